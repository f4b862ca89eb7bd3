"""HonestDiD against R: the Medicaid-expansion panel (tests/fixtures/ehec) and R HonestDiD's published tables.

The event study is the fixest TWFE one of the Mixtape "Advanced DiD" exercise 2 (README of
shared/data/reference/ehec, §2), whose SEs evalkit reproduces (tests/test_twfe_fixest.py). R's intervals are grid
points: 1,000 values of θ̄ on ±20 SDs of the target around 0 (``computeConditionalCS_DeltaRM``), so for Δ^RM they are
the reference to one grid step; the least-favourable critical value is simulated (R: 1,000 draws, evalkit: 10,000),
which moves a bound by a fraction of a step.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.estimators import twfe_event_study
from evalkit.estimators.honest import breakdown, sensitivity

EHEC = Path(__file__).parent / "fixtures" / "ehec" / "ehec_data.csv"

#: createSensitivityResults_relativeMagnitudes(betahat, sigma, 5, 2, Mbarvec = seq(0, 2, by = 0.5)), C-LF
R_RM = {0.0: (0.0261269926, 0.0584113020), 0.5: (0.0208017457, 0.0634037209), 1.0: (0.0124810474, 0.0713915913),
        1.5: (0.0028290374, 0.0810436013), 2.0: (-0.0078214564, 0.0916940951)}
#: createSensitivityResults(betahat, sigma, 5, 2, Mvec = seq(0, 0.05, by = 0.01)), FLCI
R_SD = {0.0: (0.0262489519, 0.0583273513), 0.01: (0.0072388040, 0.0648685531), 0.02: (-0.0027282391, 0.0748355961),
        0.03: (-0.0127282391, 0.0848355961), 0.04: (-0.0227282391, 0.0948355961),
        0.05: (-0.0327282391, 0.1048355961)}


@pytest.fixture(scope="module")
def event_study():
    df = pd.read_csv(EHEC)
    d = df[(df.year <= 2015) & (df.yexp2.isna() | (df.yexp2 < 2015))].copy()
    d["cohort"] = np.where(d.yexp2 == 2014, 2014.0, np.nan)
    es = twfe_event_study(d, "dins", "stfips", "year", "cohort")
    assert list(es.vcov.index) == [-6, -5, -4, -3, -2, 0, 1]  # R's order: 2008..2012, 2014, 2015
    beta = es.table().set_index("event_time").loc[es.vcov.index, "estimate"].to_numpy()
    return beta, es.vcov.to_numpy()


@pytest.fixture(scope="module")
def rm(event_study):
    beta, sigma = event_study
    return sensitivity(beta, sigma, 5, 2, method="relative_magnitude", mbar=sorted(R_RM), l_vec=[1, 0])


def _r_step(sigma):
    return 40 * np.sqrt(sigma[5, 5]) / 999


def test_r_bounds_are_grid_points(event_study):
    """Pins the resolution used below: R's bounds sit on seq(-20 sd, 20 sd, length.out = 1000)."""
    _, sigma = event_study
    step, sd = _r_step(sigma), np.sqrt(sigma[5, 5])
    k = np.array([(b + 20 * sd) / step for pair in R_RM.values() for b in pair])
    assert np.abs(k - np.round(k)).max() < 1e-4


def test_relative_magnitudes_match_r_to_its_grid(event_study, rm):
    _, sigma = event_study
    step = _r_step(sigma)
    g = rm.grid.set_index("M")
    for m, (lo, hi) in R_RM.items():
        assert g.loc[m, "ci_low"] == pytest.approx(lo, abs=step), m
        assert g.loc[m, "ci_high"] == pytest.approx(hi, abs=step), m
    assert list(rm.grid.columns) == ["M", "lb", "ub", "ci_low", "ci_high", "significant"]
    assert rm.grid.significant.tolist() == [True, True, True, True, False]
    assert rm.breakdown == 2.0  # first grid value whose CI contains 0


def test_identified_set_is_inside_the_ci(event_study, rm):
    beta, _ = event_study
    g = rm.grid
    assert g.lb.iloc[0] == pytest.approx(beta[5], abs=1e-12) and g.ub.iloc[0] == pytest.approx(beta[5], abs=1e-12)
    # Δ^RM(M̄) at the estimate: β_2014 ± M̄ · max |pre-period first difference| (here |0 − β_2012|)
    diffs = np.abs(np.diff(np.r_[beta[:5], 0.0]))
    np.testing.assert_allclose(g.ub - g.lb, 2 * g.M * diffs.max(), atol=1e-10)
    assert ((g.ci_low < g.lb) & (g.ci_high > g.ub)).all()


def test_breakdown_matches_r_not_diff_diff(event_study):
    """R: the CI first contains 0 between M̄ = 1.5 and 2 (≈ 1.6); diff-diff 3.13's ±1.96 SE interval: ≈ 2.3."""
    beta, sigma = event_study
    b = breakdown(beta, sigma, 5, 2, l_vec=[1, 0], tol=1e-3)
    assert 1.55 < b < 1.7
    from diff_diff.honest_did import HonestDiD

    def dd_ci(m):
        return HonestDiD(method="relative_magnitude")._compute_rm_bounds(
            beta[:5], beta[5:], sigma, sigma[5:, 5:], np.array([1.0, 0.0]), 5, 2, m, None, None)[2:]

    # diff-diff's interval is too narrow against R from M̄ = 1 on, and still excludes 0 at M̄ = 2
    step = _r_step(sigma)
    assert dd_ci(1.0)[0] > R_RM[1.0][0] + 5 * step
    assert dd_ci(2.0)[0] > 0 > R_RM[2.0][0]


def test_smoothness_matches_r(event_study):
    beta, sigma = event_study
    res = sensitivity(beta, sigma, 5, 2, method="smoothness", mbar=sorted(R_SD), l_vec=[1, 0])
    g = res.grid.set_index("M")
    for m, (lo, hi) in R_SD.items():
        assert g.loc[m, "ci_low"] == pytest.approx(lo, abs=2.5e-5), m
        assert g.loc[m, "ci_high"] == pytest.approx(hi, abs=2.5e-5), m
    assert res.breakdown == 0.02  # R: between M = 0.01 and 0.02
    # the estimated pre-trend's own curvature exceeds M = 0, 0.01: the estimated identified set is empty
    assert g.loc[0.0, ["lb", "ub"]].isna().all() and g.loc[0.02, ["lb", "ub"]].notna().all()


def test_honest_did_accepts_the_twfe_event_study():
    from evalkit.estimators.honest import honest_did

    df = pd.read_csv(EHEC)
    d = df[(df.year <= 2015) & (df.yexp2.isna() | (df.yexp2 < 2015))].copy()
    d["cohort"] = np.where(d.yexp2 == 2014, 2014.0, np.nan)
    es = twfe_event_study(d, "dins", "stfips", "year", "cohort")
    res = honest_did(es, e=0, mbar=[1.0])
    assert res.raw["pre_times"] == [-6, -5, -4, -3, -2] and res.raw["post_times"] == [0, 1]
    lo, hi = R_RM[1.0]
    step = _r_step(es.vcov.to_numpy())
    assert res.grid.ci_low.iloc[0] == pytest.approx(lo, abs=step) and res.grid.ci_high.iloc[0] == pytest.approx(hi, abs=step)
    with pytest.raises(ValueError, match="consecutive"):
        honest_did(es.__class__(es.estimator, es.coefficients[es.coefficients.event_time != -3], es.n_units,
                                es.n_obs, -1, vcov=es.vcov.drop(index=-3, columns=-3)), e=0, mbar=[1.0])
