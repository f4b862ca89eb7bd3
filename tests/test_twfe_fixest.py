"""TWFE standard errors as fixest: CR1 with G/(G−1)·(n−1)/(n−K), K = regressors + year-effect levels; t(G−1).

Reference: the Medicaid-expansion panel (tests/fixtures/ehec, copied from shared/data/reference/ehec) and the
published fixest/HonestDiD output of the Mixtape "Advanced DiD" exercise 2 (README of that folder).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.estimators import twfe, twfe_event_study

EHEC = Path(__file__).parent / "fixtures" / "ehec" / "ehec_data.csv"

#: the 95 % CI of (β_2014 + β_2015)/2 printed by HonestDiD (``constructOriginalCS``: betahat ± z·√(l'Σl), Σ the
#: fixest ``cov.scaled``), README §2
R_AVERAGE_CI = (0.0386150574, 0.0724384402)


@pytest.fixture(scope="module")
def nonstaggered():
    df = pd.read_csv(EHEC)
    d = df[(df.year <= 2015) & (df.yexp2.isna() | (df.yexp2 < 2015))].copy()
    d["cohort"] = np.where(d.yexp2 == 2014, 2014.0, np.nan)
    assert (len(d), d.stfips.nunique(), d[d.cohort == 2014].stfips.nunique()) == (304, 38, 22)
    return d


@pytest.fixture(scope="module")
def es(nonstaggered):
    return twfe_event_study(nonstaggered, "dins", "stfips", "year", "cohort")


def _by_hand(d: pd.DataFrame, k_extra: int):
    """LSDV + CR1 with K = 7 regressors + ``k_extra`` (independent of linearmodels)."""
    d = d.sort_values(["stfips", "year"]).reset_index(drop=True)
    ev = d.year - d.cohort
    x = np.column_stack([(ev == k).to_numpy(float) for k in (-6, -5, -4, -3, -2, 0, 1)])
    X = np.column_stack([x, pd.get_dummies(d.stfips).to_numpy(float), pd.get_dummies(d.year).to_numpy(float)[:, 1:]])
    y = d.dins.to_numpy()
    bread = np.linalg.pinv(X.T @ X)
    b = bread @ X.T @ y
    u = y - X @ b
    cl = d.stfips.to_numpy()
    scores = np.array([X[cl == g].T @ u[cl == g] for g in np.unique(cl)])
    n, G = len(y), len(scores)
    V = (bread @ scores.T @ scores @ bread)[:7, :7] * G / (G - 1) * (n - 1) / (n - 7 - k_extra)
    return b[:7], V


def test_event_study_average_ci_reproduces_published_fixest(es):
    tab = es.table().set_index("event_time")
    assert list(es.vcov.index) == [-6, -5, -4, -3, -2, 0, 1]
    l_vec = np.array([0, 0, 0, 0, 0, 0.5, 0.5])
    b = tab.loc[es.vcov.index, "estimate"].to_numpy()
    est, se = l_vec @ b, float(np.sqrt(l_vec @ es.vcov.to_numpy() @ l_vec))
    z = stats.norm.ppf(0.975)
    lo, hi = est - z * se, est + z * se
    # fixest demeans iteratively (fixef.tol = 1e-6): its coefficients carry ~1e-9 of numerical error, so the
    # published bounds are reproduced to 1e-8, not to their 10 printed digits
    assert lo == pytest.approx(R_AVERAGE_CI[0], abs=1e-8)
    assert hi == pytest.approx(R_AVERAGE_CI[1], abs=1e-8)
    # the half-width pins K: K = 14 (one year level dropped) misses it by 3e-5, K = 7 (regressors only) by 2e-4
    assert (hi - lo) / 2 == pytest.approx((R_AVERAGE_CI[1] - R_AVERAGE_CI[0]) / 2, abs=1e-8)


def test_event_study_matches_lsdv_cr1_to_machine_precision(nonstaggered, es):
    b, V = _by_hand(nonstaggered, k_extra=8)  # the 8 year levels 2008..2015
    tab = es.table().set_index("event_time").loc[es.vcov.index]
    np.testing.assert_allclose(tab.estimate.to_numpy(), b, rtol=0, atol=1e-13)
    np.testing.assert_allclose(es.vcov.to_numpy(), V, rtol=1e-10, atol=0)
    np.testing.assert_allclose(tab.std_error.to_numpy(), np.sqrt(np.diag(V)), rtol=1e-10)
    # regressors-only K (the former default) is 1.1 % to 1.7 % too small here: the test can tell them apart
    _, V7 = _by_hand(nonstaggered, k_extra=0)
    assert np.all(np.sqrt(np.diag(V7)) < 0.99 * tab.std_error.to_numpy())


def test_event_study_t_critical_values(es):
    tab = es.table().set_index("event_time").drop(-1)
    q = stats.t.ppf(0.975, 38 - 1)  # fixest t.df = "min": G − 1
    np.testing.assert_allclose(tab.ci_high - tab.estimate, q * tab.std_error, rtol=1e-12)
    np.testing.assert_allclose(tab.p_value, 2 * stats.t.sf(np.abs(tab.estimate / tab.std_error), 37), rtol=1e-10)


def test_twfe_static_matches_lsdv(nonstaggered):
    res = twfe(nonstaggered, "dins", "stfips", "year", "cohort")
    d = nonstaggered.sort_values(["stfips", "year"]).reset_index(drop=True)
    D = ((d.year >= d.cohort) & d.cohort.notna()).to_numpy(float)
    X = np.column_stack([D, pd.get_dummies(d.stfips).to_numpy(float), pd.get_dummies(d.year).to_numpy(float)[:, 1:]])
    bread = np.linalg.pinv(X.T @ X)
    b = bread @ X.T @ d.dins.to_numpy()
    u = d.dins.to_numpy() - X @ b
    cl = d.stfips.to_numpy()
    s = np.array([X[cl == g].T @ u[cl == g] for g in np.unique(cl)])
    n, G, K = len(d), 38, 1 + 8
    se = float(np.sqrt((bread @ s.T @ s @ bread)[0, 0] * G / (G - 1) * (n - 1) / (n - K)))
    assert res.estimate == pytest.approx(b[0], abs=1e-13)
    assert res.std_error == pytest.approx(se, rel=1e-10)
    q = stats.t.ppf(0.975, G - 1)
    assert (res.ci_low, res.ci_high) == pytest.approx((b[0] - q * se, b[0] + q * se), rel=1e-10)


def test_direct_fit_equals_linearmodels_on_unbalanced_weighted_panels(monkeypatch):
    """The static TWFE is fitted directly (two-way within transformation); on an unbalanced panel with unit weights,
    a time-varying control and string ids, it gives linearmodels' numbers (with the fixest correction); a design
    whose control the unit effects absorb is declined and left to linearmodels, which says why."""
    from evalkit.estimators import did

    rng = np.random.default_rng(7)
    rows = []
    for i in range(300):
        g = rng.choice([2013, 2015, 2017, np.nan])
        years = [y for y in range(2010, 2020) if rng.uniform() > 0.15]  # unbalanced careers
        for y in years:
            rows.append({"id": f"{i:05d}", "year": y, "cohort": g, "w": 0.5 + i % 4,
                         "x": rng.normal(), "y": rng.normal() + 0.1 * y + 2.0 * (not np.isnan(g) and y >= g)})
    df = pd.DataFrame(rows)
    direct = twfe(df, "y", "id", "year", "cohort", controls=["x"], weights="w")
    assert direct.raw is None  # fitted without linearmodels
    monkeypatch.setattr(did, "_twfe_within", lambda *a, **k: None)
    lm = twfe(df, "y", "id", "year", "cohort", controls=["x"], weights="w")
    assert lm.raw is not None
    assert direct.estimate == pytest.approx(lm.estimate, rel=1e-10)
    assert direct.std_error == pytest.approx(lm.std_error, rel=1e-8)
    assert (direct.ci_low, direct.ci_high, direct.p_value) == pytest.approx((lm.ci_low, lm.ci_high, lm.p_value),
                                                                             rel=1e-8)
    assert (direct.n_units, direct.n_obs) == (lm.n_units, lm.n_obs) == (300, len(df))
    monkeypatch.undo()
    d = df.assign(D=((df.year >= df.cohort) & df.cohort.notna()).astype(float), _w=df.w,
                  z=pd.factorize(df.id)[0] % 5, id=pd.factorize(df.id, sort=True)[0])
    assert did._twfe_within(d, "y", "id", "year", ["D", "z"]) is None  # z is constant within units: absorbed
    assert did._twfe_within(d, "y", "id", "year", ["D", "x"]) is not None
