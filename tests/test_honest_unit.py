"""HonestDiD building blocks: the Δ^RM polyhedra, the two computation paths of the ARP test, the CS front end."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.estimators import callaway_santanna
from evalkit.estimators import honest as H

MPDTA = Path(__file__).parent / "fixtures" / "mpdta.csv"


def _in_delta_rm(delta, n_pre, mbar):
    """Direct definition: max post |first difference| ≤ M̄ · max pre |first difference| (δ_0 = 0 inserted)."""
    full = np.r_[delta[:n_pre], 0.0, delta[n_pre:]]
    d = np.diff(full)
    return np.abs(d[n_pre:]).max() <= mbar * np.abs(d[:n_pre]).max() + 1e-12


@pytest.mark.parametrize("n_pre,n_post,mbar", [(1, 1, 0.5), (3, 2, 1.0), (4, 3, 0.7)])
def test_union_of_polyhedra_is_delta_rm(n_pre, n_post, mbar):
    rng = np.random.default_rng(0)
    polys = [H.rm_polyhedron(n_pre, n_post, mbar, s, pos) for s in range(-(n_pre - 1), 1) for pos in (True, False)]
    assert len(polys) == 2 * n_pre
    inside = 0
    for _ in range(3000):
        delta = rng.normal(size=n_pre + n_post) * np.r_[np.ones(n_pre), np.full(n_post, 0.5)]
        union = any((A @ delta <= 1e-12).all() for A in polys)
        assert union == _in_delta_rm(delta, n_pre, mbar)
        inside += union
    assert 300 < inside < 2700  # both outcomes exercised


def test_vertex_and_lp_paths_agree():
    """Enumerated dual vertices and the linear programmes give the same test (same definitions, two algorithms)."""
    rng = np.random.default_rng(3)
    n_pre, n_post = 3, 3
    L = rng.normal(size=(6, 6))
    sigma = L @ L.T / 6 + np.eye(6) * 0.2
    beta = np.r_[0.1, -0.2, 0.15, 0.5, 0.7, 0.4]
    l_vec = np.array([0.2, 0.3, 0.5])
    for s, pos in ((0, True), (-1, False), (-2, True)):
        A = H.rm_polyhedron(n_pre, n_post, 1.0, s, pos)
        rows = np.flatnonzero(np.abs(A[:, n_pre:]).sum(axis=1) > 0)
        t = H._MomentTest(A, np.zeros(len(A)), beta, sigma, n_pre, l_vec, 0.05, 0.005, rows, 0, 3000)
        assert t.vertices is not None and len(t.vertices) > 0
        grid = np.linspace(-12, 12, 97)
        fast = t.accept(grid)
        t.vertices = None  # force the LP path (same least-favourable critical value)
        slow = t.accept(grid)
        assert fast.any() and not fast.all()
        assert (fast == slow).all()


def test_conditional_test_without_hybrid_and_one_post_period():
    """n_post = 1, M̄ = 0: no nuisance; the bias is pinned to 0, so the CI is close to the naive ±1.96 SE one."""
    sigma = np.diag([0.01, 0.01, 0.01])
    beta = np.array([0.02, -0.01, 0.3])
    res = H.sensitivity(beta, sigma, 2, 1, mbar=[0.0], kappa=0.0)
    g = res.grid.iloc[0]
    assert g.lb == g.ub == pytest.approx(0.3)
    assert g.ci_low < 0.3 - 1.5 * 0.1 and g.ci_high > 0.3 + 1.5 * 0.1
    assert g.ci_high - g.ci_low < 2 * 2.5 * 0.1


def test_validation():
    with pytest.raises(ValueError, match="n_pre"):
        H.sensitivity([0.1, 0.2], np.eye(3), 1, 1)
    with pytest.raises(ValueError, match="l_vec"):
        H.sensitivity([0.1, 0.2, 0.3], np.eye(3), 1, 2, l_vec=[1.0])
    with pytest.raises(ValueError, match="method"):
        H.sensitivity([0.1, 0.2], np.eye(2), 1, 1, method="rm")


@pytest.fixture(scope="module")
def mpdta_cs():
    m = pd.read_csv(MPDTA)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return callaway_santanna(m, "lemp", "countyreal", "year", "first_treat")


def test_event_study_inputs_match_the_dynamic_aggregation(mpdta_cs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        uni = callaway_santanna(mpdta_cs._panel, "lemp", base_period="universal")
    beta, sigma, pre, post = H.event_study_inputs(uni)
    assert (pre, post) == ([-4, -3, -2], [0, 1, 2, 3])
    es = uni.raw.aggregate("event_study")
    np.testing.assert_allclose(sigma, np.asarray(es.vcov), atol=1e-15)
    ref = es.to_dataframe().set_index("event_time")
    np.testing.assert_allclose(beta, ref.loc[[-4, -3, -2, 0, 1, 2, 3], "att"].to_numpy(), atol=1e-12)
    # the window of R's aggte(min_e, max_e): a sub-vector / sub-matrix
    b2, s2, pre2, post2 = H.event_study_inputs(uni, min_e=-3, max_e=1)
    assert (pre2, post2) == ([-3, -2], [0, 1])
    np.testing.assert_allclose(b2, beta[[1, 2, 3, 4]], atol=1e-15)
    np.testing.assert_allclose(s2, sigma[np.ix_([1, 2, 3, 4], [1, 2, 3, 4])], atol=1e-15)


def test_honest_did_front_end(mpdta_cs):
    res = H.honest_did(mpdta_cs, e=0, mbar=[0, 1], max_e=2)
    assert res.notes[0].startswith("refitted with base_period='universal'")
    assert res.raw["pre_times"] == [-4, -3, -2] and res.raw["post_times"] == [0, 1, 2]
    direct = H.sensitivity(res.raw["betahat"], res.raw["sigma"], 3, 3, mbar=[0, 1], l_vec=[1, 0, 0])
    pd.testing.assert_frame_equal(res.grid, direct.grid)
    assert res.target == "event_time=0" and res.estimate == pytest.approx(-0.019932, abs=1e-6)
    avg = H.honest_did(mpdta_cs, e="average", method="relative_magnitude", mbar=[0.5], max_e=2)
    assert avg.raw["l_vec"].tolist() == pytest.approx([1 / 3] * 3)
    rows = avg.to_rows("methodes", "lemp", "log_points", n_units=mpdta_cs.n_units)
    assert rows[0]["subgroup"] == "mbar=0.5" and rows[0]["estimator"] == "honest_did_rm"
    assert rows[0]["ci_low"] <= rows[0]["ci_high"]
    with pytest.raises(ValueError, match="e=5"):
        H.honest_did(mpdta_cs, e=5)


def test_anticipation_periods_are_post_periods(mpdta_cs):
    """With anticipation a the reference is e = −1 − a and e = −a … −1 are (anticipated) post-periods."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = callaway_santanna(pd.read_csv(MPDTA), "lemp", "countyreal", "year", "first_treat", anticipation=1,
                               base_period="universal")
    beta, sigma, pre, post = H.event_study_inputs(cs)
    assert (pre, post) == ([-4, -3], [-1, 0, 1])  # cohort 2004 dropped (treated by 2003 + 1)
    res = H.honest_did(cs, e="average", mbar=[0.5])
    assert res.raw["l_vec"].tolist() == pytest.approx([0, 0.5, 0.5])
    with pytest.raises(ValueError, match="universal"):
        H.event_study_inputs(mpdta_cs)


def test_method_is_stated():
    res = H.sensitivity([0.01, -0.02, 0.3], np.diag([0.01, 0.01, 0.01]), 2, 1, mbar=[0.5])
    assert "Andrews, Roth et Pakes" in res.method_fr and "hybrid" in res.notes[0]
    sd = H.sensitivity([0.01, -0.02, 0.3], np.diag([0.01, 0.01, 0.01]), 2, 1, method="smoothness", mbar=[0.0])
    assert "FLCI" in sd.method_fr


@pytest.mark.parametrize("cluster", [None, "state"])
def test_event_study_covariance_matches_the_dynamic_ses(cluster):
    """sigma's diagonal is the engine's event-time SEs, cluster-robust when the fit is clustered."""
    m = pd.read_csv(MPDTA)
    m["state"] = m.countyreal // 1000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = callaway_santanna(m, "lemp", "countyreal", "year", "first_treat", base_period="universal",
                               cluster=cluster)
    _, sigma, pre, post = H.event_study_inputs(cs)
    tab = cs.dynamic.table.set_index("event_time")
    np.testing.assert_allclose(np.sqrt(np.diag(sigma)), tab.loc[pre + post, "std_error"].to_numpy(), atol=1e-14)
