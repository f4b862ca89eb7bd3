"""Event studies with a universal base period and simultaneous (sup-t) bands; percent-effect denominators and
anticipation conventions as R ``did`` (issue 14, items 5 and 7).

References: the ATT(g,t) simultaneous band R ``did`` printed on the Medicaid panel (not-yet-treated controls,
``tests/fixtures/ehec/README.md``, critical value = half-width / SE ≈ 2.80 on its 55 cells); seeded simulations
with known effects (``evalkit.simulate.panels``).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.estimators import callaway_santanna, sup_t_critical
from evalkit.simulate.panels import staggered_panel, truth_by_event_time

EHEC = Path(__file__).parent / "fixtures" / "ehec"


def _quiet(f, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*a, **k)


# --- sup-t critical value -------------------------------------------------------------------------------------------

def test_sup_t_matches_r_did_cband_on_ehec():
    """R's band on the 55 ATT(g,t) is att ± c·se with one c (R prints 4 decimals: c read within ±0.05); the
    multiplier bootstrap on evalkit's influence functions gives the same c within 3 % (seeds 0–2, 5,000 draws)."""
    text = (EHEC / "README.md").read_text()
    rows = re.findall(r"^\s+(\d{4}) (\d{4})\s+(-?[\d.]+)\s+([\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)", text, re.M)
    assert len(rows) == 55
    implied = np.array([(float(hi) - float(lo)) / 2 / float(se) for *_, se, lo, hi in rows])
    c_r = float(np.median(implied))
    assert 2.7 < c_r < 2.9 and np.ptp(implied) < 0.1  # one critical value, up to rounding
    d = pd.read_csv(EHEC / "ehec_data.csv")
    cs = _quiet(callaway_santanna, d, "dins", "stfips", "year", "yexp2", control_group="not_yet_treated")
    gt = cs.influence()
    assert len(gt.att) == 55
    for seed in range(3):
        c = sup_t_critical(gt.psi, alpha=0.05, draws=5000, seed=seed)
        assert c == pytest.approx(c_r, rel=0.03)
    # fewer cells, smaller critical value; one cell: the normal quantile
    assert sup_t_critical(gt.psi[:, :5], draws=5000) < c_r
    assert sup_t_critical(gt.psi[:, 0], draws=20000) == pytest.approx(stats.norm.ppf(0.975), abs=0.06)


def test_sup_t_is_seeded_and_checks_its_arguments():
    rng = np.random.default_rng(0)
    psi = rng.normal(size=(200, 6)) / 200
    assert sup_t_critical(psi, seed=4) == sup_t_critical(psi, seed=4)
    assert sup_t_critical(psi, seed=4) != sup_t_critical(psi, seed=5)
    with pytest.raises(ValueError):
        sup_t_critical(psi, alpha=1.5)
    with pytest.raises(ValueError):
        sup_t_critical(psi, draws=10)


def test_sup_t_band_covers_jointly_where_pointwise_cis_do_not():
    """Monte Carlo (seed 2024, 400 samples of n = 300 units, 8 correlated means): the sup-t band covers the 8 true
    means at once in 95 % ± 3 points of the samples; the 8 pointwise 95 % CIs all cover them far less often (< 80 %)."""
    rng = np.random.default_rng(2024)
    k, n, reps = 8, 300, 400
    corr = 0.5 ** np.abs(np.subtract.outer(np.arange(k), np.arange(k)))  # AR(1)-like correlation between estimates
    chol = np.linalg.cholesky(corr)
    from threadpoolctl import threadpool_limits  # small products: BLAS threads only contend on a shared machine

    with threadpool_limits(1):
        covered = [_one_sample(rng, chol, n, k, r) for r in range(reps)]
    joint_band = sum(b for b, _ in covered)
    joint_point = sum(p for _, p in covered)
    assert abs(joint_band / reps - 0.95) <= 0.03
    assert joint_point / reps < 0.80


def _one_sample(rng, chol, n, k, r):
    """One sample of n units: (band covers the k true means (0) jointly, pointwise CIs do)."""
    x = rng.normal(size=(n, k)) @ chol.T * np.linspace(1, 3, k)
    est = x.mean(axis=0)
    psi = (x - est) / n  # influence functions scaled as in evalkit: Var = Σ ψ²
    se = np.sqrt((psi**2).sum(axis=0))
    c = sup_t_critical(psi, se, draws=1000, seed=r)
    return bool(np.all(np.abs(est) <= c * se)), bool(np.all(np.abs(est) <= stats.norm.ppf(0.975) * se))


# --- event study on a Callaway–Sant'Anna fit ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def growing():
    return staggered_panel(n_units=400, tau=1.0, growth=0.3, seed=1)


def test_event_study_universal_base(growing):
    cs = _quiet(callaway_santanna, growing, "y", "unit", "year", "cohort")
    assert cs.settings["base_period"] == "varying"
    es = _quiet(cs.event_study, min_units=0, seed=3)
    t = es.table.set_index("event_time")
    assert es.base_period == "universal"
    # the reference year is shown at 0, without an interval; the other rows have both intervals
    assert t.loc[-1, "reference"] and t.loc[-1, "estimate"] == 0 and np.isnan(t.loc[-1, "ci_low"])
    rest = t[~t["reference"]]
    assert (rest["band_low"] < rest["ci_low"]).all() and (rest["band_high"] > rest["ci_high"]).all()
    # the band's critical value lies between the pointwise one and Bonferroni's
    k = len(rest)
    assert stats.norm.ppf(0.975) < es.crit < stats.norm.ppf(1 - 0.025 / k)
    # post-entry coefficients are the same with either base period; pre-entry ones are not year-on-year changes
    var = cs.dynamic.table.set_index("event_time")
    post = [e for e in rest.index if e >= 0]
    assert np.allclose(rest.loc[post, "estimate"], var.loc[post, "estimate"], atol=1e-10)
    uni = _quiet(callaway_santanna, growing, "y", "unit", "year", "cohort", base_period="universal")
    pre = [-5, -2]
    assert np.allclose(rest.loc[pre, "estimate"], uni.dynamic.table.set_index("event_time").loc[pre, "estimate"])
    assert not np.allclose(rest.loc[pre, "estimate"], var.loc[pre, "estimate"])
    # seeded, and the disclosure rule drops thin event times
    assert _quiet(cs.event_study, min_units=0, seed=3).crit == es.crit
    thin = _quiet(cs.event_study, min_units=150)
    assert thin.table["n_units"].min() >= 150 and thin.table["event_time"].max() == 5


def test_event_study_cluster_band_is_wider_than_unit_band(growing):
    d = growing.assign(area=growing["unit"] % 40)  # 40 clusters of 10 units
    cs = _quiet(callaway_santanna, d, "y", "unit", "year", "cohort", cluster="area", base_period="universal")
    es = cs.event_study(min_units=0)
    assert np.isfinite(es.crit) and es.crit > stats.norm.ppf(0.975)


@pytest.mark.slow
def test_event_study_band_coverage_monte_carlo():
    """Seeds 100–249 (150 panels of 300 units, cohorts 2012 and 2014 drawn at random, 2010–2015, effects growing
    0.3 a year, never-treated controls, 500 draws): the universal-base sup-t band covers every true event-time
    effect (pre-entry ones: 0) jointly in ≥ 90 % of the panels (observed 94 %); the pointwise CIs in ≤ 85 % (77 %)."""
    reps, point, band = 150, 0, 0
    for r in range(reps):
        df = staggered_panel(n_units=300, years=range(2010, 2016), cohorts={2012: .3, 2014: .3}, tau=1.0,
                             growth=0.3, seed=100 + r, random_cohorts=True)
        cs = _quiet(callaway_santanna, df, "y", "unit", "year", "cohort", base_period="universal")
        es = cs.event_study(min_units=0, draws=500, seed=r)
        truth = truth_by_event_time(df)
        truth.index = truth.index.astype(int)
        pre = es.table.loc[(es.table.event_time < 0) & ~es.table.reference, "event_time"]
        p, b = es.covers(pd.concat([pd.Series(0.0, index=pre), truth]))
        point, band = point + p, band + b
    assert band / reps >= 0.90 and point / reps <= 0.85


# --- percent effects and anticipation (R conventions) ----------------------------------------------------------

def test_pre_mean_uses_the_simple_att_weights():
    """Cohorts of different levels and lengths of exposure: the denominator is the cohorts' base-year means
    weighted like the simple ATT (cohort share × post periods), not the mean over treated units."""
    df = staggered_panel(n_units=300, cohorts={2012: 1 / 3, 2017: 1 / 3}, tau=1.0, seed=5)
    df.loc[df["cohort"] == 2017, "y"] += 10.0  # the late cohort sits 10 higher
    cs = _quiet(callaway_santanna, df, "y", "unit", "year", "cohort")
    base = {g: df[(df["cohort"] == g) & (df["year"] == g - 1)]["y"].mean() for g in (2012, 2017)}
    post = {2012: 8, 2017: 3}  # years 2012–2019 and 2017–2019
    expected = (base[2012] * post[2012] + base[2017] * post[2017]) / (post[2012] + post[2017])
    assert cs.pre_mean == pytest.approx(expected, rel=1e-12)
    assert abs(cs.pre_mean - (base[2012] + base[2017]) / 2) > 1  # the per-unit mean would be another number
    assert cs.relative("simple").estimate == pytest.approx(100 * cs.simple.estimate / expected, rel=1e-12)


def test_anticipation_cells_enter_no_average_effect_as_in_r():
    """R ``aggte``: post-treatment cells are t ≥ g whatever the anticipation; diff-diff also averages t = g − 1."""
    df = staggered_panel(tau=1.0, growth=0.5, seed=6)
    cs = _quiet(callaway_santanna, df, "y", "unit", "year", "cohort", anticipation=1)
    gt = cs.influence()
    post = gt.t >= gt.g
    w = gt.pg[post] / gt.pg[post].sum()
    assert cs.simple.estimate == pytest.approx(float(w @ gt.att[post]), abs=1e-12)
    value, psi = gt.weighted(np.flatnonzero(post))
    assert cs.simple.std_error == pytest.approx(float(np.sqrt(np.sum(psi**2))), rel=1e-10)
    for g, row in cs.group.table.set_index("cohort").iterrows():
        assert row["estimate"] == pytest.approx(gt.att[(gt.g == g) & (gt.t >= g)].mean(), abs=1e-12)
    cal = cs.calendar.table.set_index("year")
    assert cal.index.min() == 2012  # no calendar effect before the first cohort's entry year
    # the anticipation cell (e = −1) is shown in the event study, outside the overall dynamic ATT
    dyn = cs.dynamic.table.set_index("event_time")
    assert -1 in dyn.index and cs.dynamic.overall.estimate == pytest.approx(dyn.loc[dyn.index >= 0,
                                                                                     "estimate"].mean())
    # without anticipation nothing changes: diff-diff's simple ATT is R's
    cs0 = _quiet(callaway_santanna, df, "y", "unit", "year", "cohort")
    gt0 = cs0.influence()
    p0 = gt0.t >= gt0.g
    assert cs0.simple.estimate == pytest.approx(float(gt0.pg[p0] @ gt0.att[p0] / gt0.pg[p0].sum()), abs=1e-12)
