"""Reference check: Callaway–Sant'Anna and TWFE on mpdta against R `did` / fixest (the values R prints on these
data).

Setting: outcome lemp, unit countyreal, time year, cohort first_treat (0 = never treated), never-treated controls,
no covariates, analytic SEs. Points to 1e-6, SEs to 1e-4, the event-time profile (given to 4 decimals) to 5e-5.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.estimators import callaway_santanna, twfe

MPDTA = Path(__file__).parent / "fixtures" / "mpdta.csv"


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    df = pd.read_csv(MPDTA)
    df["first_treat"] = df["first_treat"].replace(0, np.nan)  # house convention: NaN = never treated
    return df


@pytest.fixture(scope="module")
def cs(mpdta):
    # pscore_trim: R did trims nothing (irrelevant without covariates, set anyway to mirror R)
    return callaway_santanna(
        mpdta, "lemp", "countyreal", "year", "first_treat", control_group="never_treated", est_method="dr",
        bootstrap=0, pscore_trim=1e-10,
    )


def test_sample(cs):
    assert cs.n_units == 500 and cs.n_obs == 2500 and cs.n_units_dropped == 0 and cs.notes == []


def test_att_2004_2004(cs):
    row = cs.att_gt.query("cohort == 2004 and time == 2004").iloc[0]
    assert row.estimate == pytest.approx(-0.0105032462, abs=1e-6)
    assert row.std_error == pytest.approx(0.0232510364, abs=1e-4)
    assert row.event_time == 0 and row.n_units == 20


@pytest.mark.parametrize(
    "name, est, se",
    [
        ("simple", -0.0399512752, 0.0120340128),
        ("group", -0.0310182822, 0.0124460594),
        ("dynamic", -0.0772398215, 0.0199649891),
        ("calendar", -0.0417004321, 0.0159718519),
    ],
)
def test_aggregates(cs, name, est, se):
    agg = cs.aggregates()[name]
    assert agg.estimate == pytest.approx(est, abs=1e-6)
    assert agg.std_error == pytest.approx(se, abs=1e-4)
    assert agg.ci_low < agg.estimate < agg.ci_high


def test_aggregate_ses_tight(cs):
    """Beyond the 1e-4 contract: the influence-function algebra reproduces R's SEs to 1e-8."""
    got = [cs.simple.std_error, cs.group.overall.std_error, cs.dynamic.overall.std_error,
           cs.calendar.overall.std_error]
    assert got == pytest.approx([0.0120340128, 0.0124460594, 0.0199649891, 0.0159718519], abs=1e-8)


def test_pretest(cs):
    # R reports round(p, 5) = 0.16812; 5 restrictions (pre-treatment cells of cohorts 2006 and 2007)
    assert cs.pretest_df == 5
    assert abs(cs.pretest_p - 0.16812) <= 5e-6


def test_event_time_profile(cs):
    tab = cs.dynamic.table.set_index("event_time")
    assert list(tab.index) == [-3, -2, -1, 0, 1, 2, 3]
    expected = [0.0305, -0.0006, -0.0245, -0.0199, -0.0510, -0.1373, -0.1008]
    assert np.abs(tab["estimate"].to_numpy() - expected).max() <= 5e-5 + 1e-12


def test_twfe_matches_fixest(mpdta):
    res = twfe(mpdta, "lemp", "countyreal", "year", "first_treat")
    assert res.estimate == pytest.approx(-0.036549, abs=1e-6)
    assert res.std_error == pytest.approx(0.013265, abs=1e-4)
    # the known trap: linearmodels' default clustered SE counts the absorbed unit effects
    naive = twfe(mpdta, "lemp", "countyreal", "year", "first_treat", fit_options=dict(auto_df=True,
                                                                                      count_effects=True))
    assert naive.std_error == pytest.approx(0.01482, abs=1e-4)


def test_rows(cs):
    rows = pd.DataFrame(cs.to_rows("methodes", "lemp", "log_points", headline=True, data="synthetic"))
    head = rows[rows.headline]
    assert len(head) == 1 and head.iloc[0].subgroup == "all" and head.iloc[0].estimator == "callaway_santanna"
    assert head.iloc[0].estimate == pytest.approx(-0.0399512752, abs=1e-9)
    # cohort 2004 (20 units) is publishable, every row rests on ≥ 11 units
    assert {"cohort=2004", "cohort=2006", "cohort=2007", "event_time=-3", "event_time=3"} <= set(rows.subgroup)
    assert (rows.n_units >= 11).all()
    assert set(rows.estimator) == {"callaway_santanna", "callaway_santanna_dynamic", "callaway_santanna_group",
                                   "callaway_santanna_calendar"}
