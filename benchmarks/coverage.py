"""Coverage of the 95 % confidence intervals of evalkit's Callaway–Sant'Anna wrapper over seeded simulations.

Design (tests/sim_panels.py): 300 units, 2010–2019, each unit's cohort drawn at random — 2012, 2014, 2016 (25 % each)
or never treated (25 %) —, effects growing with exposure (tau = 1 + 0.5·(t − g), +1 for the 2012 cohort), unit effects
SD 2, noise SD 1. The truth is the population ATT of each aggregation (cohort shares at their expected values), the
target of R did's / diff-diff's SEs, which include the estimation of the cohort shares. Also reported: coverage of the
truth computed on each simulated sample (conservative by design: that truth does not vary with the realised shares),
the rejection rate of the pre-trend Wald test (parallel trends hold, so ≈ 5 % is expected) and TWFE's coverage of the
simple ATT (biased here).

Usage: ``python benchmarks/coverage.py [--seeds 500] [--units 300] [--bootstrap 0]``. Exits with status 1 if a
coverage rate falls outside [0.92, 0.98].
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from sim_panels import (  # noqa: E402
    staggered_panel,
    truth_calendar,
    truth_dynamic,
    truth_group,
    truth_simple,
)

from evalkit.estimators import callaway_santanna, twfe  # noqa: E402

TRUTHS = {"simple": truth_simple, "dynamic": truth_dynamic, "group": truth_group, "calendar": truth_calendar}


DESIGN = dict(tau=1.0, growth=0.5, shift={2012: 1.0})


def run(seeds: int, units: int, bootstrap: int) -> dict[str, float]:
    population = staggered_panel(n_units=400, sigma=0.0, **DESIGN)  # exact 25 % shares, noiseless
    truth = {k: f(population) for k, f in TRUTHS.items()}
    hits = {k: [] for k in TRUTHS}
    sample_hits = {k: [] for k in TRUTHS}
    twfe_hits, pre_rej = [], []
    for s in range(seeds):
        df = staggered_panel(n_units=units, seed=10_000 + s, random_cohorts=True, **DESIGN)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cs = callaway_santanna(df, "y", "unit", "year", "cohort", bootstrap=bootstrap, seed=s)
        for name, agg in cs.aggregates().items():
            hits[name].append(agg.ci_low <= truth[name] <= agg.ci_high)
            sample_hits[name].append(agg.ci_low <= TRUTHS[name](df) <= agg.ci_high)
        pre_rej.append(cs.pretest_p < 0.05)
        tw = twfe(df, "y", "unit", "year", "cohort")
        twfe_hits.append(tw.ci_low <= truth["simple"] <= tw.ci_high)
    out = {f"coverage_{k}": float(np.mean(v)) for k, v in hits.items()}
    out |= {f"sample_truth_coverage_{k}": float(np.mean(v)) for k, v in sample_hits.items()}
    out["pretest_rejection_5pct"] = float(np.mean(pre_rej))
    out["twfe_coverage_of_simple_att"] = float(np.mean(twfe_hits))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=500)
    ap.add_argument("--units", type=int, default=300)
    ap.add_argument("--bootstrap", type=int, default=0, help="0 = analytic SEs, else multiplier-bootstrap draws")
    a = ap.parse_args()
    t0 = time.perf_counter()
    res = run(a.seeds, a.units, a.bootstrap)
    mc = np.sqrt(0.95 * 0.05 / a.seeds)
    print(f"Callaway–Sant'Anna 95 % CI coverage, {a.seeds} seeds, {a.units} units, "
          f"{'analytic SE' if not a.bootstrap else f'bootstrap {a.bootstrap}'} (MC SE ±{mc:.3f})")
    for k, v in res.items():
        print(f"  {k:<30} {v:.3f}")
    print(f"  elapsed {time.perf_counter() - t0:.1f} s")
    bad = [k for k, v in res.items() if k.startswith("coverage_") and not 0.92 <= v <= 0.98]
    if bad:
        print(f"FAIL: coverage outside [0.92, 0.98] for {bad}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
