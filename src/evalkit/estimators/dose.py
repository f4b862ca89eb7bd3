"""Multi-valued (discrete-dose) staggered DiD of Callaway, Goodman-Bacon & Sant'Anna (2024): a thin wrapper of
diff-diff's public ``ContinuousDiD`` with ``treatment_type="discrete"`` (one saturated effect per dose level).

What it estimates, and under which assumption:

- ``ATT(d)`` — for the units that received dose d, the average effect of having received it (a 2×2 DiD of the dose-d
  units against the untreated comparison group, averaged over the post-treatment group-time cells). Identified under
  the usual parallel trends of each dose group with the untreated.
- Comparisons *across* doses (ATT(d′) − ATT(d), and the ACRT, the average causal response to one more unit of dose)
  are the effect of a larger dose only under **strong parallel trends**: the untreated potential-outcome trend and the
  trend each dose group *would have had under every other dose* are the same — no selection into a dose on its gain.
  Under ordinary parallel trends such a difference also contains a selection term (units that expect more from a
  larger dose choose it) (Callaway, Goodman-Bacon & Sant'Anna 2024, § 3).

Never-treated units (``cohort`` NaN / 0) must have dose 0; all cohorts must share the same dose levels (diff-diff
refuses otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .base import Estimate, normal_ci
from ..results import make_row

ESTIMATOR = "cgbs_discrete_dose"


@dataclass(frozen=True)
class DoseResult:
    """``table``: one row per dose level — ``dose, att, att_se, att_ci_low, att_ci_high, acrt, acrt_se, n_units``;
    ``overall``: the binarised ATT of any dose vs none; ``settings``: what was fitted; ``raw``: the diff-diff result."""

    table: pd.DataFrame
    overall: Estimate
    n_units: int
    n_obs: int
    settings: dict
    raw: Any = field(repr=False)

    def att(self, dose: float) -> Estimate:
        """ATT(d) of the dose level closest to ``dose`` (within 1e-9)."""
        row = self.table.iloc[int(np.argmin(np.abs(self.table["dose"].to_numpy() - dose)))]
        if abs(row.dose - dose) > 1e-9:
            raise KeyError(f"no dose level {dose}")
        return Estimate(ESTIMATOR, float(row.att), float(row.att_se), float(row.att_ci_low), float(row.att_ci_high),
                        n_units=int(row.n_units), n_obs=self.n_obs)

    def to_rows(self, study: str, outcome: str, unit: str, labels: dict[float, str] | None = None,
                subgroup_key: str = "dose", data: str | None = None, prefix: str = "") -> list[dict]:
        """One row per dose level, ``subgroup = <prefix><subgroup_key>=<label>`` (label of the dose in ``labels``)."""
        out = []
        for r in self.table.itertuples():
            lab = next((v for k, v in (labels or {}).items() if abs(k - r.dose) < 1e-9), f"{r.dose:g}")
            out.append(make_row(study=study, outcome=outcome, estimator=ESTIMATOR, estimate=r.att,
                                std_error=r.att_se, ci_low=r.att_ci_low, ci_high=r.att_ci_high, unit=unit,
                                n_units=int(r.n_units), n_obs=self.n_obs, subgroup=f"{prefix}{subgroup_key}={lab}",
                                data=data))
        return out


def discrete_dose_did(df: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str, dose: str,
                      covariates: Sequence[str] | None = None, control_group: str = "never_treated",
                      estimation_method: str = "dr") -> DoseResult:
    """Callaway, Goodman-Bacon & Sant'Anna (2024) with a discrete dose (diff-diff ``ContinuousDiD``, analytic SEs).

    ``cohort``: first treated period, NaN or 0 = never treated; ``dose``: the unit's dose (0 for never treated);
    ``covariates``: baseline covariates of conditional parallel trends (doubly robust by default; diff-diff reads them
    in each comparison's base period). The panel must be balanced (as for :func:`~.staggered.callaway_santanna`).
    """
    from diff_diff import ContinuousDiD

    cols = [unit, time, outcome, cohort, dose, *(covariates or [])]
    d = df[cols].copy()
    d.attrs = {}  # diff-diff reads the frame row by row: pandas would deep-copy the attrs into every row
    d[cohort] = pd.to_numeric(d[cohort], errors="coerce").fillna(0).astype(int)
    d[dose] = pd.to_numeric(d[dose], errors="coerce").fillna(0.0).astype(float)
    d[outcome] = pd.to_numeric(d[outcome], errors="coerce").astype(float)
    # integer codes in the order of the ids as strings (diff-diff's unit order, hence the same numbers as with the
    # string ids): an all-numeric frame, which diff-diff 3.13 reads row by row (``iterrows``) ≈ 4× faster
    d[unit] = pd.factorize(d[unit].astype(str), sort=True)[0]
    if ((d[cohort] == 0) & (d[dose] != 0)).any():
        raise ValueError("discrete_dose_did: never-treated units must have dose 0")
    cov = [c for c in (covariates or []) if d[c].nunique() > 1] or None
    est = ContinuousDiD(treatment_type="discrete", control_group=control_group, estimation_method=estimation_method,
                        rank_deficient_action="silent")
    raw = est.fit(d, outcome, unit, time, cohort, dose, covariates=cov)
    tab = raw.to_dataframe("dose_response")
    units = d.drop_duplicates(unit)
    counts = units[units[cohort] > 0].groupby(dose).size()
    table = pd.DataFrame({
        "dose": tab["dose"].astype(float), "att": tab["att"], "att_se": tab["att_se"],
        "att_ci_low": tab["att_ci_lower"], "att_ci_high": tab["att_ci_upper"], "acrt": tab["acrt"],
        "acrt_se": tab["acrt_se"],
        "n_units": [int(counts[np.isclose(counts.index, x)].sum()) for x in tab["dose"]],
    })
    lo, hi = normal_ci(raw.overall_att, raw.overall_att_se)
    n_units = int(units[unit].nunique())
    overall = Estimate(ESTIMATOR, float(raw.overall_att), float(raw.overall_att_se), lo, hi,
                       n_units=n_units, n_obs=int(len(d)))
    settings = {"covariates": cov or [], "control_group": control_group, "estimation_method": estimation_method}
    return DoseResult(table, overall, n_units, int(len(d)), settings, raw)


__all__ = ["DoseResult", "ESTIMATOR", "discrete_dose_did"]
