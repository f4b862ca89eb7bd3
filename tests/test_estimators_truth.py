"""Known-truth recovery on seeded simulated staggered panels (tests/sim_panels.py).

(a) homogeneous effect: naive (no level selection), 2×2, TWFE and Callaway–Sant'Anna all recover it;
(b) effects growing with exposure and differing by cohort: CS recovers every aggregate, TWFE converges to the
    design-weighted value Σ D̃·tau / Σ D̃·D, far below the ATT;
(c) selection on levels: the naive cross-section is far off, DiD is not;
(d) conditional parallel trends: CS without covariates is biased, with the baseline covariate it is not.
"""

import numpy as np
import pytest
from sim_panels import (
    staggered_panel,
    truth_by_event_time,
    truth_calendar,
    truth_dynamic,
    truth_group,
    truth_simple,
    twfe_implied,
)

from evalkit.estimators import (
    callaway_santanna,
    did_2x2,
    naive_cross_section,
    twfe,
    twfe_event_study,
)


def covers(est, truth, k: float = 1.5) -> bool:
    """Truth inside the 95 % CI widened k times (default 1.5: about ±3 SE, so that one seeded draw does not fail by
    chance one time in twenty; calibration itself is checked over seeds in test_coverage_slow and benchmarks)."""
    half = k * (est.ci_high - est.ci_low) / 2
    centre = (est.ci_high + est.ci_low) / 2
    return abs(centre - truth) <= half


# --- (a) homogeneous effect ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def homogeneous():
    return staggered_panel(tau=2.0, seed=11)


def test_a_naive_recovers_without_level_selection(homogeneous):
    df = homogeneous.assign(treated_now=lambda d: d.D)
    est = naive_cross_section(df, "y", 2017, "treated_now")
    assert est.estimator == "naive_cross_section"
    assert covers(est, 2.0)
    assert est.std_error > 0.1  # unit heterogeneity makes it noisy, but unbiased here


def test_a_2x2_recovers(homogeneous):
    d = homogeneous[homogeneous.cohort.isna() | (homogeneous.cohort == 2014)]
    d = d.assign(treated=d.ever, post=(d.year >= 2014).astype(int))
    est = did_2x2(d, "y", "unit", "year", "treated", "post")
    assert covers(est, 2.0)
    assert est.means.loc["difference", "change"] == pytest.approx(est.estimate, abs=1e-10)
    assert est.std_error < 0.15


def test_a_twfe_and_cs_recover(homogeneous):
    tw = twfe(homogeneous, "y", "unit", "year", "cohort")
    assert covers(tw, 2.0) and tw.std_error < 0.1
    cs = callaway_santanna(homogeneous, "y", "unit", "year", "cohort")
    for name, agg in cs.aggregates().items():
        assert covers(agg, 2.0), name
    es = twfe_event_study(homogeneous, "y", "unit", "year", "cohort").table().set_index("event_time")
    post = es.loc[es.index >= 0, "estimate"]
    assert post.mean() == pytest.approx(2.0, abs=0.15)
    assert es.loc[-1, "estimate"] == 0 and es.loc[-1, "is_reference"]


# --- (b) heterogeneous, growing effects ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dynamic_panel():
    return staggered_panel(tau=1.0, growth=1.0, shift={2012: 2.0}, seed=7)


@pytest.fixture(scope="module")
def dynamic_cs(dynamic_panel):
    return callaway_santanna(dynamic_panel, "y", "unit", "year", "cohort")


def test_b_cs_recovers_every_aggregate(dynamic_panel, dynamic_cs):
    truths = {
        "simple": truth_simple(dynamic_panel),
        "dynamic": truth_dynamic(dynamic_panel),
        "group": truth_group(dynamic_panel),
        "calendar": truth_calendar(dynamic_panel),
    }
    for name, agg in dynamic_cs.aggregates().items():
        assert covers(agg, truths[name]), (name, agg.estimate, truths[name])


def test_b_cs_event_time_profile(dynamic_panel, dynamic_cs):
    tab = dynamic_cs.dynamic.table.set_index("event_time")
    truth = truth_by_event_time(dynamic_panel)
    z = (tab.loc[truth.index, "estimate"] - truth) / tab.loc[truth.index, "std_error"]
    assert (z.abs() < 3.5).all()
    pre = tab.loc[tab.index < 0, "estimate"]
    assert pre.abs().max() < 0.4  # parallel trends hold: pre-period placebo effects ≈ 0
    assert dynamic_cs.pretest_p > 0.001  # size of the pre-test over seeds: benchmarks/coverage.py


def test_b_not_yet_treated_controls(dynamic_panel):
    cs = callaway_santanna(dynamic_panel, "y", "unit", "year", "cohort", control_group="not_yet_treated")
    assert covers(cs.simple, truth_simple(dynamic_panel))
    assert covers(cs.dynamic.overall, truth_dynamic(dynamic_panel))
    assert covers(cs.calendar.overall, truth_calendar(dynamic_panel))


def test_b_twfe_bias_matches_design_weights(dynamic_panel, dynamic_cs):
    tw = twfe(dynamic_panel, "y", "unit", "year", "cohort")
    implied = twfe_implied(dynamic_panel)  # from adoption dates and true effects only
    att = truth_simple(dynamic_panel)
    # TWFE converges to the design-weighted value, not to the ATT
    assert abs(tw.estimate - implied) < 3 * tw.std_error
    # and that value is far below the ATT: bias negative and more than a third of the effect
    assert implied - att < -att / 3
    assert tw.ci_high < att
    # CS is not biased on the same data
    assert covers(dynamic_cs.simple, att)


# --- (c) selection on levels --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def selected():
    return staggered_panel(tau=2.0, level_gap=6.0, seed=21)


def test_c_naive_is_far_off(selected):
    est = naive_cross_section(selected.assign(t=selected.D), "y", 2017, "t")
    assert est.estimate - 2.0 > 4.0  # picks up the level gap of 6
    assert not covers(est, 2.0)


def test_c_did_is_not(selected):
    assert covers(twfe(selected, "y", "unit", "year", "cohort"), 2.0)
    cs = callaway_santanna(selected, "y", "unit", "year", "cohort")
    assert covers(cs.simple, 2.0)
    d = selected[selected.cohort.isna() | (selected.cohort == 2016)]
    est = did_2x2(d.assign(post=(d.year >= 2016).astype(int)), "y", "unit", "year", "ever", "post")
    assert covers(est, 2.0)


# --- (d) conditional parallel trends --------------------------------------------------------------------------------


def test_d_covariates_restore_parallel_trends():
    df = staggered_panel(tau=2.0, x_trend=0.5, seed=1)
    plain = callaway_santanna(df, "y", "unit", "year", "cohort")
    assert plain.simple.estimate - 2.0 > 5 * plain.simple.std_error  # treated units have steeper trends
    assert plain.pretest_p < 1e-3  # and the pre-test sees it
    for method in ("dr", "reg", "ipw"):
        adj = callaway_santanna(df, "y", "unit", "year", "cohort", covariates=["x"], est_method=method)
        assert covers(adj.simple, 2.0), method


# --- slow: coverage over seeds (the full study is benchmarks/coverage.py) -----------------------------------------


@pytest.mark.slow
def test_coverage_slow():
    """Population ATT inside the 95 % CI in 91–99 % of 200 seeds (random cohort membership, as the SEs assume)."""
    design = dict(tau=1.0, growth=0.5, shift={2012: 1.0})
    population = staggered_panel(n_units=400, sigma=0.0, **design)
    truth = {"simple": truth_simple(population), "dynamic": truth_dynamic(population),
             "calendar": truth_calendar(population), "group": truth_group(population)}
    hits = []
    for seed in range(200):
        df = staggered_panel(n_units=300, seed=1000 + seed, random_cohorts=True, **design)
        aggs = callaway_santanna(df, "y", "unit", "year", "cohort").aggregates()
        hits.append([covers(aggs[k], truth[k], k=1) for k in truth])
    rate = np.mean(hits, axis=0)
    assert ((rate >= 0.91) & (rate <= 0.99)).all(), dict(zip(truth, rate))
