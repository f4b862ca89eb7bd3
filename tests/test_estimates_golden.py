"""The bundled book's estimates equal the recorded reference file (tests/fixtures/baseline/estimates_bundled.csv).

A change that moves any estimate on the bundled data must update the fixture in the same commit and say which rows
changed and why: refactors (same numbers by construction) are checked here against the file recorded before them.
Numbers are compared to 1e-9 relative (numpy reductions may differ in the last bit between processes); keys, units,
counts and flags exactly. HonestDiD bounds (``honest_did_*`` rows) are found by bisection to 1e-6 of their scale
(``estimators.honest``), with LP solves whose last digits can vary between processes: their CI bounds are compared to
1e-5 × the row's standard error. Reads the results the strict build of ``make test`` recorded (``EVALKIT_BOOK_HTML`` names
its html folder; the results are beside it).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit import results

FIXTURE = Path(__file__).parent / "fixtures" / "baseline" / "estimates_bundled.csv"
NUM = ["estimate", "std_error", "ci_low", "ci_high"]
KEY = ["study", "outcome", "subgroup", "estimator"]


def _built() -> pd.DataFrame:
    html = os.environ.get("EVALKIT_BOOK_HTML")
    if not html:
        pytest.skip("needs the strict build of make test (EVALKIT_BOOK_HTML)")
    res = Path(html).resolve().parent / "results"
    assert res.is_dir() and any(res.glob("*.csv")), f"no recorded results beside {html}"
    return results.collect(res)


def test_bundled_estimates_equal_the_reference_file():
    now = _built().sort_values(KEY, kind="stable").reset_index(drop=True)
    ref = results.check(pd.read_csv(FIXTURE, dtype={"subgroup": str})).sort_values(KEY, kind="stable")
    ref = ref.reset_index(drop=True)
    missing = set(map(tuple, ref[KEY].to_numpy())) - set(map(tuple, now[KEY].to_numpy()))
    extra = set(map(tuple, now[KEY].to_numpy())) - set(map(tuple, ref[KEY].to_numpy()))
    assert not missing and not extra, f"rows missing: {sorted(missing)[:10]}; rows added: {sorted(extra)[:10]}"
    other = [c for c in ref.columns if c not in NUM]
    diff = (now[other].astype(str) != ref[other].astype(str)).any(axis=1)
    assert not diff.any(), now.loc[diff, other].head(10).to_string()
    a, b = now[NUM].to_numpy(float), ref[NUM].to_numpy(float)
    assert (np.isnan(a) == np.isnan(b)).all()
    ok = np.isclose(a, b, rtol=1e-9, atol=1e-12) | np.isnan(b)
    honest = now["estimator"].str.startswith("honest_did").to_numpy()
    bisected = np.abs(a - b) <= 1e-5 * np.nan_to_num(b[:, [1]], nan=1.0)
    ok[honest, 2:] |= bisected[honest, 2:]  # ci_low, ci_high of the bisected bounds
    bad = ~ok.all(axis=1)
    assert not bad.any(), pd.concat([now.loc[bad, KEY + NUM], ref.loc[bad, NUM].add_prefix("ref_")], axis=1).head(10)
