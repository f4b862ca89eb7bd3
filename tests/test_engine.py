"""The Callaway–Sant'Anna engine's public API: clustered SEs, Panel reuse, contract-frame input, influence functions,
pre-tests and warning collection.

References: cluster-robust SEs against a hand computation from the 2×2 cells; the helpers the studies kept before
(assistants' ``event_influence``, msp's ``event_time_pretest``, asalee's ``_pretest``) are copied here verbatim as the
reference of the engine methods that replace them.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sim_panels import staggered_panel

from evalkit.estimators import (
    GroupTimeInfluence,
    Panel,
    callaway_santanna,
    caught,
    collect_warnings,
    prepare,
)

# --- helpers the studies had (references, verbatim apart from the imports) --------------------------------------


def old_assistants_event_influence(cs, event_times):
    """studies/assistants.py:event_influence before the engine method (with its _unit_ids)."""
    gt = GroupTimeInfluence.from_diff_diff(cs.raw)
    total, psi = 0.0, np.zeros(len(gt.unit_cohort))
    for e in event_times:
        keep = np.flatnonzero(gt.t - gt.g == e)
        if len(keep) == 0:
            raise ValueError(f"no ATT(g,t) at event time {e}")
        v, p = gt.weighted(keep)
        total += v
        psi = psi + p
    idx = cs.raw._aggregation_kit.bookkeeping["unit_to_idx"]
    ids = np.empty(len(idx), dtype=object)
    for u, i in idx.items():
        ids[i] = u
    return total, pd.Series(psi, index=ids)


def old_msp_event_time_pretest(cs, min_units=11):
    """studies/msp.py:event_time_pretest before the engine method."""
    es = cs.raw.aggregate("event_study")
    idx = [int(e) for e in np.asarray(es.vcov_index)]
    tab = cs.dynamic.table
    pre = [int(e) for e, n in zip(tab["event_time"], tab["n_units"]) if e < 0 and n >= min_units and int(e) in idx]
    if not pre:
        return float("nan"), 0, float("nan")
    ii = [idx.index(e) for e in pre]
    b = tab.set_index("event_time").loc[pre, "estimate"].to_numpy(float)
    v = np.asarray(es.vcov)[np.ix_(ii, ii)]
    try:
        w = float(b @ np.linalg.solve(v, b))
    except np.linalg.LinAlgError:
        return float("nan"), len(pre), float("nan")
    return w, len(pre), float(stats.chi2.sf(w, len(pre)))


def old_asalee_pretest(es):
    """studies/asalee.py:_pretest before the engine method (argument: diff-diff's event-study aggregation)."""
    idx = list(np.asarray(es.vcov_index)) if getattr(es, "vcov_index", None) is not None else []
    if not idx or es.vcov is None:
        return float("nan"), 0, float("nan")
    tab = es.to_dataframe().set_index("event_time")
    pre = [e for e in idx if e < 0 and not bool(tab.loc[e, "is_reference"])]
    if not pre:
        return float("nan"), 0, float("nan")
    pos = [idx.index(e) for e in pre]
    v = np.asarray(es.vcov)[np.ix_(pos, pos)]
    a = tab.loc[pre, "att"].to_numpy(float)
    if not np.all(np.isfinite(v)) or np.linalg.cond(v) > 1e12:
        return float("nan"), len(pre), float("nan")
    w = float(a @ np.linalg.solve(v, a))
    return w, len(pre), float(stats.chi2.sf(w, len(pre)))


# --- fixtures ----------------------------------------------------------------------------------------------------


def clustered_panel(n_units=400, n_clusters=12, shock=1.5, seed=3) -> pd.DataFrame:
    """Staggered panel plus a ``dept`` cluster with a cluster × year shock (errors correlated within clusters).

    Adoption is clustered, as for a regional programme: each entry cohort's units sit in 3 of the 12 départements
    (never-treated units anywhere), so the shocks of the treated départements do not cancel in the comparison.
    """
    df = staggered_panel(n_units=n_units, tau=1.0, growth=0.3, seed=seed)
    rng = np.random.default_rng(seed + 100)
    cohort = df.drop_duplicates("unit").set_index("unit").cohort.sort_index().to_numpy()
    home = {c: rng.choice(n_clusters, 3, replace=False) for c in np.unique(cohort[~np.isnan(cohort)])}
    dept = np.array([rng.choice(home[c]) if c == c else rng.integers(0, n_clusters) for c in cohort])
    df["dept"] = np.array([f"D{d:02d}" for d in dept])[df.unit]
    years = np.sort(df.year.unique())
    eps = rng.normal(scale=shock, size=(n_clusters, len(years)))
    df["y"] = df["y"] + eps[dept[df.unit], np.searchsorted(years, df.year)]
    return df


@pytest.fixture(scope="module")
def cdf():
    return clustered_panel()


@pytest.fixture(scope="module")
def fits(cdf):
    plain = callaway_santanna(cdf, "y", "unit", "year", "cohort")
    clus = callaway_santanna(cdf, "y", "unit", "year", "cohort", cluster="dept")
    return plain, clus


def _all_ses(cs) -> np.ndarray:
    """Every SE of a fit: att_gt rows, the four overall aggregates and the cohort, event-time and year rows."""
    parts = [cs.att_gt.std_error.to_numpy(), np.array([a.std_error for a in cs.aggregates().values()])]
    parts += [getattr(cs, a).table.std_error.to_numpy() for a in ("group", "dynamic", "calendar")]
    return np.concatenate(parts)


# --- cluster-robust standard errors -------------------------------------------------------------------------------


def test_cluster_se_of_a_2x2_cell_by_hand(cdf, fits):
    """ATT(2012, 2013) (varying base 2011, never-treated controls, no covariates): ψ_i from the 2×2 cell by hand."""
    _, clus = fits
    wide = cdf.pivot(index="unit", columns="year", values="y")
    info = cdf.drop_duplicates("unit").set_index("unit")
    dy = wide[2013] - wide[2011]
    treated, control = info.cohort == 2012, info.cohort.isna()
    att = dy[treated].mean() - dy[control].mean()
    psi = pd.Series(0.0, index=wide.index)
    psi[treated] = (dy[treated] - dy[treated].mean()) / treated.sum()
    psi[control] = -(dy[control] - dy[control].mean()) / control.sum()
    se_hand = np.sqrt((psi.groupby(info.dept).sum() ** 2).sum())
    se_unclustered = np.sqrt((psi**2).sum())
    row = clus.att_gt.query("cohort == 2012 and time == 2013").iloc[0]
    assert row.estimate == pytest.approx(att, abs=1e-10)
    assert row.std_error == pytest.approx(se_hand, rel=1e-10)
    assert row.ci_low == pytest.approx(att - 1.959963984540054 * se_hand, rel=1e-9)
    plain_row = fits[0].att_gt.query("cohort == 2012 and time == 2013").iloc[0]
    assert plain_row.std_error == pytest.approx(se_unclustered, rel=1e-8)  # the hand ψ is diff-diff's
    assert se_hand > 1.5 * se_unclustered  # a cluster × year shock of SD 1.5: clustering matters here


def test_cluster_se_of_every_aggregate_from_influence(cdf, fits):
    """Simple, cohort, event-time, calendar: SE = √Σ_c(Σ_{i∈c} ψ_i)² with ψ from the group-time influence functions."""
    plain, clus = fits
    gt = plain.influence()
    dept = cdf.drop_duplicates("unit").set_index("unit").dept.loc[gt.unit_ids].to_numpy()

    def cse(psi):
        return np.sqrt((pd.Series(psi).groupby(dept).sum() ** 2).sum())

    post = np.flatnonzero(gt.t >= gt.g)
    assert clus.simple.estimate == plain.simple.estimate
    assert clus.simple.std_error == pytest.approx(cse(gt.weighted(post)[1]), rel=1e-10)
    psi_e = {e: gt.weighted(np.flatnonzero(gt.t - gt.g == e))[1] for e in clus.dynamic.table.event_time}
    for r in clus.dynamic.table.itertuples():
        assert r.std_error == pytest.approx(cse(psi_e[r.event_time]), rel=1e-10)
    dyn = np.mean([psi_e[e] for e in psi_e if e >= 0], axis=0)
    assert clus.dynamic.overall.std_error == pytest.approx(cse(dyn), rel=1e-10)
    for r in clus.group.table.itertuples():
        psi_g = gt.psi[:, (gt.g == r.cohort) & (gt.t >= r.cohort)].mean(axis=1)
        assert r.std_error == pytest.approx(cse(psi_g), rel=1e-10)
    for r in clus.calendar.table.itertuples():
        assert r.std_error == pytest.approx(cse(gt.weighted(np.flatnonzero((gt.t == r.year) & (gt.g <= r.year)))[1]),
                                            rel=1e-10)
    # estimates untouched, every SE changed, CIs and p-values follow
    assert np.array_equal(plain.att_gt.estimate, clus.att_gt.estimate)
    assert (np.abs(_all_ses(clus) / _all_ses(plain) - 1) > 1e-3).all()
    s = clus.simple
    assert s.ci_high - s.ci_low == pytest.approx(2 * 1.959963984540054 * s.std_error)
    assert s.p_value == pytest.approx(2 * stats.norm.sf(abs(s.estimate / s.std_error)))
    assert clus.n_clusters == 12 and clus.settings["cluster"] == "dept" and plain.n_clusters is None
    cg = clus.influence()
    assert (cg.cluster_ids == dept).all() and plain.influence().cluster_ids is None
    assert cg.variance(gt.weighted(post)[1]) == pytest.approx(clus.simple.std_error**2, rel=1e-10)


def test_cluster_ses_are_diff_diffs_cr1_without_its_small_sample_factor(cdf, fits):
    """Reference implementation: diff-diff's own ``cluster=`` (CR1 Liang–Zeger on the influence functions, through its
    survey PSU machinery) is Σ_c (S_c − S̄)² × G/(G − 1); the cluster sums of an influence function add up to zero,
    so it is ours × G/(G − 1) exactly, cell by cell and aggregate by aggregate."""
    from diff_diff import CallawaySantAnna

    _, clus = fits
    r = CallawaySantAnna(control_group="never_treated", estimation_method="dr", cluster="dept", cband=False).fit(
        cdf.assign(ft=cdf.cohort.fillna(0)), outcome="y", unit="unit", time="year", first_treat="ft")
    factor = np.sqrt(12 / 11)
    ours = clus.att_gt.set_index(["cohort", "time"]).std_error
    for (g, t), v in r.group_time_effects.items():
        assert v["se"] == pytest.approx(factor * ours.loc[(int(g), int(t))], rel=1e-10)
    assert r.aggregate("simple").to_dataframe().iloc[0]["se"] == pytest.approx(factor * clus.simple.std_error,
                                                                                rel=1e-10)
    np.testing.assert_allclose(r.aggregate("group").to_dataframe().se, factor * clus.group.table.std_error,
                               rtol=1e-10)
    es = r.aggregate("event_study").to_dataframe()
    np.testing.assert_allclose(es[~es.is_reference.astype(bool)].se, factor * clus.dynamic.table.std_error,
                               rtol=1e-10)


def test_cluster_pretests_by_hand(cdf, fits):
    plain, clus = fits
    gt = plain.influence()
    dept = cdf.drop_duplicates("unit").set_index("unit").dept.loc[gt.unit_ids].to_numpy()
    pre = np.flatnonzero(gt.t < gt.g)
    s = pd.DataFrame(gt.psi[:, pre]).groupby(dept).sum().to_numpy()
    a = gt.att[pre]
    w = a @ np.linalg.solve(s.T @ s, a)
    assert clus.pretest_df == len(pre) == 9
    assert clus.pretest_stat == pytest.approx(w, rel=1e-9)
    assert clus.pretest_p == pytest.approx(stats.chi2.sf(w, len(pre)), rel=1e-8)
    # event-time pre-test: ATT(e), e < 0, with the clustered covariance of their influence functions
    es = [e for e in clus.dynamic.table.event_time if e < 0]
    psi = np.column_stack([gt.weighted(np.flatnonzero(gt.t - gt.g == e))[1] for e in es])
    sc = pd.DataFrame(psi).groupby(dept).sum().to_numpy()
    b = clus.dynamic.table.set_index("event_time").loc[es, "estimate"].to_numpy()
    we = b @ np.linalg.solve(sc.T @ sc, b)
    got = clus.pretest("event_time", min_units=0)
    assert got[1] == len(es) and got[0] == pytest.approx(we, rel=1e-9)


def test_cluster_equal_to_unit_is_no_clustering(cdf, fits):
    plain, _ = fits
    same_name = callaway_santanna(cdf, "y", "unit", "year", "cohort", cluster="unit")
    assert np.array_equal(_all_ses(same_name), _all_ses(plain))  # R drops idname from clustervars: no clustering
    assert same_name.settings["cluster"] is None
    # a copy of the unit id under another name goes through the cluster path: the same SEs, to rounding
    copy = callaway_santanna(cdf.assign(u2=cdf.unit), "y", "unit", "year", "cohort", cluster="u2")
    assert copy.n_clusters == plain.n_units
    np.testing.assert_allclose(_all_ses(copy), _all_ses(plain), rtol=1e-10)
    assert copy.pretest_stat == pytest.approx(plain.pretest_stat, rel=1e-9)
    np.testing.assert_allclose(copy.pretest("event_time"), plain.pretest("event_time"), rtol=1e-9)


def test_cluster_with_weights_covariates_and_panel(cdf):
    w = np.random.default_rng(1).uniform(0.5, 2.0, cdf.unit.nunique())
    d = cdf.assign(w=w[cdf.unit])
    p = prepare(d, "unit", "year", "cohort", covariates=["x"], weights="w")
    for kw in (dict(), dict(control_group="not_yet_treated")):
        a = callaway_santanna(p, "y", cluster="dept", **kw)
        b = callaway_santanna(d.assign(u2=d.unit), "y", "unit", "year", "cohort", covariates=["x"], weights="w",
                              cluster="u2", **kw)
        ref = callaway_santanna(p, "y", **kw)
        np.testing.assert_allclose(_all_ses(b), _all_ses(ref), rtol=1e-8)  # cluster = unit copy ≡ unclustered
        assert (_all_ses(a) > 0).all() and not np.allclose(_all_ses(a), _all_ses(ref), rtol=1e-3)


def test_cluster_bootstrap_draws_per_cluster(cdf, fits):
    _, clus = fits
    b = callaway_santanna(cdf, "y", "unit", "year", "cohort", cluster="dept", bootstrap=999, seed=1)
    for name, agg in b.aggregates().items():
        assert agg.estimate == clus.aggregates()[name].estimate
        assert agg.std_error == pytest.approx(clus.aggregates()[name].std_error, rel=0.25), name


def test_cluster_must_be_time_invariant_and_present(cdf):
    bad = cdf.copy()
    bad.loc[(bad.unit == 3) & (bad.year == 2015), "dept"] = "D99"
    with pytest.raises(ValueError, match="varies within unit"):
        callaway_santanna(bad, "y", "unit", "year", "cohort", cluster="dept")
    bad = cdf.copy()
    bad.loc[bad.unit == 3, "dept"] = None
    with pytest.raises(ValueError, match="missing values"):
        callaway_santanna(bad, "y", "unit", "year", "cohort", cluster="dept")


# --- Panel: prepared once, fitted many times ----------------------------------------------------------------------


def _same_fit(a, b):
    assert a.att_gt.equals(b.att_gt)
    for name in ("group", "dynamic", "calendar"):
        assert getattr(a, name).table.equals(getattr(b, name).table), name
    assert a.aggregates() == b.aggregates() and a.simple == b.simple
    assert (a.pretest_stat, a.pretest_df, a.pretest_p) == (b.pretest_stat, b.pretest_df, b.pretest_p)
    assert (a.n_units, a.n_obs, a.n_units_dropped, a.notes, a.pre_mean) == (
        b.n_units, b.n_obs, b.n_units_dropped, b.notes, b.pre_mean)
    ga, gb = a.influence(), b.influence()
    assert np.array_equal(ga.psi, gb.psi) and np.array_equal(ga.unit_ids, gb.unit_ids)


def test_panel_reuse_equals_fitting_each_frame():
    df = staggered_panel(n_units=300, tau=1.0, growth=0.5, seed=8)
    df["y2"] = df["y"] * 2 + df["x"]
    df.loc[(df.unit < 5) & (df.year == 2013), "y2"] = np.nan  # one outcome with gaps: its own balanced sample
    p = prepare(df, "unit", "year", "cohort", covariates=["x"])
    assert isinstance(p, Panel) and "300 units" in repr(p)
    for outcome in ("y", "y2"):
        for cg in ("never_treated", "not_yet_treated"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                a = callaway_santanna(p, outcome, control_group=cg)
                b = callaway_santanna(df, outcome, "unit", "year", "cohort", covariates=["x"], control_group=cg)
            _same_fit(a, b)
    with pytest.warns(UserWarning, match="5 rows with a missing y2 dropped") as rec:
        gaps = callaway_santanna(p, "y2")
    assert rec[0].filename == __file__  # re-emitted at the caller's line
    assert gaps.n_units == 295 and gaps.n_units_dropped == 5 and gaps.notes[0] == "5 rows with a missing y2 dropped"
    assert callaway_santanna(p, "y").n_units == 300


def test_panel_settings_must_match():
    df = staggered_panel(n_units=100, seed=2)
    p = prepare(df, "unit", "year", "cohort", anticipation=1)
    assert callaway_santanna(p, "y", "unit", "year", "cohort", anticipation=1).settings["anticipation"] == 1
    with pytest.raises(ValueError, match="prepared panel"):
        callaway_santanna(p, "y", anticipation=0)
    with pytest.raises(ValueError, match="prepared panel"):
        callaway_santanna(p, "y", covariates=["x"])
    with pytest.raises(TypeError, match="required"):
        callaway_santanna(df, "y")


def test_contract_frame_costs_nothing_in_numbers():
    """String ids with leading zeros (rows shuffled) and a nullable Int64 cohort give the integer-coded results."""
    df = staggered_panel(n_units=250, tau=1.0, growth=0.5, seed=9)
    contract = df.assign(unit="GP" + df.unit.astype(str).str.zfill(6), cohort=df.cohort.astype("Int64"),
                         y=df.y.astype("Float64")).sample(frac=1, random_state=0)
    a = callaway_santanna(df, "y", "unit", "year", "cohort")
    b = callaway_santanna(contract, "y", "unit", "year", "cohort")
    c = callaway_santanna(contract.sort_values(["unit", "year"]), "y", "unit", "year", "cohort")
    for r in (b, c):
        assert r.att_gt.equals(a.att_gt) and r.aggregates() == a.aggregates()
        assert (r.pretest_stat, r.pre_mean) == (a.pretest_stat, a.pre_mean)
        assert np.array_equal(r.influence().psi, a.influence().psi)
        assert list(r.influence().unit_ids) == ["GP" + str(u).zfill(6) for u in a.influence().unit_ids]


def test_unit_ids_sorted_as_strings():
    """The unit order is the ids' sorted order (as diff-diff's groupby), also when it differs from numeric order."""
    df = staggered_panel(n_units=120, seed=1)
    df["unit"] = "GP" + df.unit.astype(str)  # GP10 < GP2
    cs = callaway_santanna(df, "y", "unit", "year", "cohort")
    gt = cs.influence()
    assert list(gt.unit_ids) == sorted(df.unit.unique())
    cohort = df.drop_duplicates("unit").set_index("unit").cohort.fillna(0)
    assert (cohort.loc[gt.unit_ids].to_numpy() == gt.unit_cohort).all()


# --- influence functions and pre-tests as methods -----------------------------------------------------------------


@pytest.fixture(scope="module")
def small_cohorts():
    """The latest entry cohort is small (9 units): it alone gives the earliest event times e = −7, −6, so the
    ``min_units`` rule of the event-time pre-test matters."""
    return staggered_panel(n_units=600, years=range(2010, 2020), tau=1.0, growth=0.3, seed=11,
                           cohorts={2012: 0.2, 2014: 0.2, 2016: 0.2, 2018: 0.015})


def test_event_influence_equals_the_assistants_helper(small_cohorts):
    df = small_cohorts.assign(unit="GP" + small_cohorts.unit.astype(str).str.zfill(4))
    cs = callaway_santanna(df, "y", "unit", "year", "cohort")
    for ets in ([0], [2], [0, 1, 2], [-3, -2]):
        v_old, psi_old = old_assistants_event_influence(cs, ets)
        v, psi = cs.event_influence(ets)
        assert v == v_old and np.array_equal(psi.to_numpy(), psi_old.to_numpy())
        # the old helper's index was diff-diff's positions 0..n-1; the engine's is the unit ids, in the same order
        assert list(psi_old.index) == list(range(len(psi)))
        assert list(psi.index) == sorted(df.unit.unique())
    v, psi = cs.event_influence([1])
    row = cs.dynamic.table.set_index("event_time").loc[1]
    assert v == pytest.approx(row.estimate, abs=1e-12)
    assert np.sqrt(cs.influence().variance(psi.to_numpy())) == pytest.approx(row.std_error, rel=1e-8)
    with pytest.raises(ValueError, match="no ATT"):
        cs.event_influence([40])


def test_event_time_pretest_equals_the_msp_and_asalee_helpers(small_cohorts):
    cs = callaway_santanna(small_cohorts, "y", "unit", "year", "cohort")
    for m in (0, 11, 30, 200):
        assert cs.pretest("event_time", min_units=m) == old_msp_event_time_pretest(cs, m), m
    assert cs.pretest("event_time") == old_msp_event_time_pretest(cs)  # default MIN_CELL = 11
    full, filtered = cs.pretest("event_time", min_units=0), cs.pretest("event_time")
    assert full[1] == 7 and filtered[1] == 5  # e = −7, −6 rest on the 9 units of the 2018 cohort only
    # asalee's test is the same one with no min_units (it only guarded cond(V) > 1e12 instead of 1/eps)
    assert cs.pretest("event_time", min_units=0) == old_asalee_pretest(cs.raw.aggregate("event_study"))
    with pytest.warns(UserWarning, match="singular"):  # universal base: the reference cells are 0 by construction
        uni = callaway_santanna(small_cohorts, "y", "unit", "year", "cohort", base_period="universal")
    assert uni.warnings == ["callaway_santanna: singular pre-period covariance, no pre-test"]
    assert uni.pretest("event_time", min_units=0) == old_asalee_pretest(uni.raw.aggregate("event_study"))
    assert cs.pretest() == cs.pretest("att_gt") == (cs.pretest_stat, cs.pretest_df, cs.pretest_p)
    with pytest.raises(ValueError, match="kind"):
        cs.pretest("cells")


# --- warnings -----------------------------------------------------------------------------------------------------


def test_collect_warnings_options():
    def noisy():
        warnings.warn("12 units dropped\nsecond line", UserWarning)
        warnings.warn("12 units dropped\nsecond line", UserWarning)
        warnings.warn("weights normalized to mean=1", UserWarning)
        warnings.warn("x" * 300, RuntimeWarning)
        return 7

    with collect_warnings() as full:
        noisy()
    assert len(full) == 4 and full[0] == "12 units dropped\nsecond line" and len(full.records) == 4
    with collect_warnings(short=True, unique=True, ignore=["normalized"]) as short:
        noisy()
    assert short == ["UserWarning: 12 units dropped", "RuntimeWarning: " + "x" * 200]
    assert short.records[1].category is RuntimeWarning
    res, msgs = caught(noisy)
    assert res == 7 and msgs == list(full)
    with pytest.raises(ZeroDivisionError), collect_warnings() as partial:
        warnings.warn("before the error")
        1 / 0
    assert partial == ["before the error"]


def test_fit_warnings_are_recorded_and_still_raised():
    df = staggered_panel(n_units=80, seed=1)
    df = df.drop(df.index[(df.unit == 2) & (df.year == 2013)])
    with pytest.warns(UserWarning, match="unbalanced panel: 1 units"):
        cs = callaway_santanna(df, "y", "unit", "year", "cohort")
    assert any("unbalanced panel: 1 units" in m for m in cs.warnings)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to say on a clean panel
        clean = callaway_santanna(staggered_panel(n_units=80, seed=1), "y", "unit", "year", "cohort")
    assert clean.warnings == []
    res, msgs = caught(callaway_santanna, df, "y", "unit", "year", "cohort")
    assert msgs == res.warnings
