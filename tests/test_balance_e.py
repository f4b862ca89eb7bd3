"""Balanced event window (R ``did::aggte(type="dynamic", balance_e=b)``) in the CS engine's ``event_influence``.

R's rule (``compute.aggte``): keep the ATT(g,t) cells of cohorts with ``last period − g ≥ b``; ATT(e) is their
cohort-size weighted mean, weights renormalised over the kept cohorts, influence function with the estimated-weights
term (``wif``); event times are limited to ``b − (last − first cell period) ≤ e ≤ b``. Checked on mpdta (cohorts
2004, 2006, 2007; cells 2004–2007), whose unbalanced aggregation is checked against R in test_estimators_reference.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.estimators import callaway_santanna

MPDTA = Path(__file__).parent / "fixtures" / "mpdta.csv"


@pytest.fixture(scope="module")
def cs():
    df = pd.read_csv(MPDTA)
    df["first_treat"] = df["first_treat"].replace(0, np.nan)
    return callaway_santanna(df, "lemp", "countyreal", "year", "first_treat", control_group="never_treated",
                             est_method="dr", bootstrap=0, pscore_trim=1e-10)


def _by_hand(cs, e: int, cohorts) -> float:
    """Cohort-size weighted mean of ATT(g, g + e) over ``cohorts`` (R's pg weights, renormalised)."""
    tab = cs.att_gt.set_index(["cohort", "time"])
    sizes = cs.att_gt.drop_duplicates("cohort").set_index("cohort")["n_units"]
    w = np.array([sizes[g] for g in cohorts], dtype=float)
    att = np.array([tab.loc[(g, g + e), "estimate"] for g in cohorts])
    return float(w @ att / w.sum())


def test_balance_e_keeps_the_cohorts_observed_b_periods(cs):
    # b = 1: cohorts 2004 and 2006 (2007 − g ≥ 1), not 2007
    for e in (0, 1):
        v, psi = cs.event_influence([e], balance_e=1)
        assert v == pytest.approx(_by_hand(cs, e, [2004, 2006]), abs=1e-12)
    # a pre-period: cohort 2004 has no cell at e = −2 (first cell 2004), cohort 2006 has (2004)
    assert cs.event_influence([-2], balance_e=1)[0] == pytest.approx(_by_hand(cs, -2, [2006]), abs=1e-12)
    unbalanced = cs.event_influence([0])[0]
    assert unbalanced == pytest.approx(_by_hand(cs, 0, [2004, 2006, 2007]), abs=1e-12)
    assert unbalanced != pytest.approx(cs.event_influence([0], balance_e=1)[0], abs=1e-6)
    # cumulative effect over the balanced window = sum of the balanced ATT(e)
    cum = cs.event_influence(range(2), balance_e=1)[0]
    assert cum == pytest.approx(_by_hand(cs, 0, [2004, 2006]) + _by_hand(cs, 1, [2004, 2006]), abs=1e-12)


def test_single_cohort_window_has_the_cell_standard_error(cs):
    # b = 3: only cohort 2004; its weight is 1 whatever the sample, so the weights' influence term vanishes and the
    # SE of ATT(e) is that of the cell ATT(2004, 2004 + e)
    gt = cs.influence()
    for e in (0, 2, 3):
        v, psi = cs.event_influence([e], balance_e=3)
        cell = cs.att_gt.query("cohort == 2004 and time == @e + 2004").iloc[0]
        assert v == pytest.approx(cell.estimate, abs=1e-12)
        assert np.sqrt(gt.variance(psi.to_numpy())) == pytest.approx(cell.std_error, rel=1e-8)


def test_balance_e_zero_is_the_unbalanced_impact_effect_and_window_is_enforced(cs):
    # b = 0 keeps every cohort treated by the last period: ATT(0) unchanged
    v0, p0 = cs.event_influence([0], balance_e=0)
    v, p = cs.event_influence([0])
    assert v0 == pytest.approx(v) and np.allclose(p0.to_numpy(), p.to_numpy())
    with pytest.raises(ValueError, match="balanced window"):
        cs.event_influence([2], balance_e=1)  # R drops e > balance_e
