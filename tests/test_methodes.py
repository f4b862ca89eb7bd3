"""Chapter « Méthodes » (evalkit.studies.methodes): the simulation's known truth is recovered by Callaway–Sant'Anna,
TWFE is biased in the direction the design implies, the naive comparison is far off where selection on levels is
planted, the mpdta replication equals R did within the reference tolerances, and every figure/table carries its
texts. Also on other planted effects and selections, and on modified panels (small cohort, late cohort, no area)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

import evalkit.contracts
import evalkit.results
from evalkit import plots
from evalkit.disclosure import MARK, MIN_CELL
from evalkit.simulate import panels
from evalkit.studies import methodes as M

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def a() -> M.MethodesAnalysis:
    return M.analyse(seed=20240501)


def _est(a: M.MethodesAnalysis, name: str) -> pd.Series:
    return a.estimates.set_index("estimator").loc[name]


def covers(r: pd.Series, truth: float | None = None, k: float = 1.5) -> bool:
    """Truth inside the 95 % CI widened k times (≈ ±3 SE at k = 1.5): on freshly drawn designs, one seeded draw must
    not fail by chance one time in twenty (CI calibration itself: benchmarks/coverage.py). The chapter's own default
    simulation is checked with the exact CI it shows."""
    truth = r.truth if truth is None else truth
    centre, half = (r.ci_high + r.ci_low) / 2, k * (r.ci_high - r.ci_low) / 2
    return abs(centre - truth) <= half


# --- the generator moved into evalkit ----------------------------------------------------------------------------


def test_tests_use_the_packaged_generator():
    import sim_panels

    assert sim_panels.staggered_panel is panels.staggered_panel
    assert sim_panels.twfe_implied is panels.twfe_implied


def test_new_generator_options_do_not_change_default_draws():
    base = panels.staggered_panel(seed=5, tau=1.0, growth=0.5)
    more = panels.staggered_panel(seed=5, tau=1.0, growth=0.5, areas=True)
    pd.testing.assert_frame_equal(base, more.drop(columns="area"))
    assert set(more["area"]) == set(panels.AREAS)


def test_twfe_weights_sum_to_one_and_reproduce_twfe_limit():
    df = panels.staggered_panel(seed=2, tau=0.5, growth=1.0)
    w = panels.twfe_weights(df)
    assert w["weight"].sum() == pytest.approx(1.0)
    assert (w["weight"] * w["tau"]).sum() == pytest.approx(panels.twfe_implied(df))
    assert (w["weight"] < 0).any()  # early cohorts, late years


# --- mpdta --------------------------------------------------------------------------------------------------------


def test_mpdta_shipped_copy_is_the_reference_file():
    assert (ROOT / "data" / "reference" / "mpdta.csv").read_bytes() == (ROOT / "tests" / "fixtures" /
                                                                       "mpdta.csv").read_bytes()
    df = M.load_mpdta()
    assert len(df) == 2500 and df["countyreal"].nunique() == 500
    assert df["first_treat"].isna().sum() == 309 * 5  # 309 never-treated counties, house convention NaN
    assert set(df["first_treat"].dropna().unique()) == {2004, 2006, 2007}


def test_mpdta_modified_copy_is_refused(tmp_path):
    bad = tmp_path / "mpdta.csv"
    shutil.copy(M.mpdta_path(), bad)
    with bad.open("a") as fh:
        fh.write("2007,99999,1.0,1.0,0,0\n")
    with pytest.raises(ValueError, match="SHA-256"):
        M.load_mpdta(bad)
    assert len(M.load_mpdta(bad, check=False)) == 2501


def test_replication_equals_r_within_reference_tolerances(a):
    r = a.replication
    assert r["within"].all(), r[~r["within"]]
    # every reference quantity is compared: 5 CS quantities (estimate + SE), pre-test, TWFE (estimate + SE), 7 e
    assert len(r) == 5 * 2 + 1 + 2 + 7
    assert set(r.quantity) >= {"att_2004_2004", "simple", "group", "dynamic", "calendar", "pretest_p", "twfe"}
    est = r[(r.statistic == "estimate") & ~r.quantity.str.startswith("event_time")]
    assert (est["abs_diff"] <= M.TOLERANCE["estimate"]).all()
    assert (r.loc[r.statistic == "std_error", "abs_diff"] <= M.TOLERANCE["std_error"]).all()
    # the table shows R's values as typed data, and ours
    for q, (val, se) in ((k, M.R_REFERENCE[k]) for k in ("simple", "group", "dynamic", "calendar")):
        row = r[(r.quantity == q) & (r.statistic == "estimate")].iloc[0]
        assert row.r_value == val and row.evalkit == pytest.approx(val, abs=1e-6)


def test_honest_did_on_mpdta(a):
    h = a.honest
    g = h.grid.sort_values("M")
    assert g["ci_high"].iloc[0] < 0  # significant under exact parallel trends
    assert h.breakdown is not None and 0 < h.breakdown < g["M"].max()
    assert (np.diff(g["ci_high"] - g["ci_low"]) >= -1e-12).all()  # robust CI widens with M̄


# --- the simulation: truth recovered, TWFE biased, naive far off ----------------------------------------------------


def test_cs_recovers_the_simulated_truth(a):
    for name in ("cs_simple", "cs_dynamic", "cs_group", "cs_calendar", "cs_simple_matched"):
        r = _est(a, name)
        assert r.ci_low <= r.truth <= r.ci_high, (name, r.estimate, r.truth)
    tab = a.event_study.set_index("event_time")
    truth = panels.truth_by_event_time(a.sim)
    z = (tab.loc[truth.index, "estimate"] - truth) / tab.loc[truth.index, "std_error"]
    assert (z.abs() < 3.5).all()
    assert a.cs.pretest_p > 0.01  # parallel trends hold by construction


def test_twfe_bias_has_the_sign_the_design_implies(a):
    tw, att = _est(a, "twfe"), a.truth["simple"]
    implied = a.settings["twfe_implied"]
    assert implied < att - att / 3  # growing effects + staggered entry: strong downward bias
    assert tw.ci_high < att  # TWFE misses the ATT
    assert abs(tw.estimate - implied) < 3 * tw.std_error  # it estimates the design-weighted mix
    assert a.settings["n_negative_cells"] > 0 and a.settings["negative_weight_sum"] < 0
    # Goodman-Bacon identity and the sign of the forbidden comparisons
    b = a.bacon
    assert (b.comparisons["weight"] * b.comparisons["estimate"]).sum() == pytest.approx(b.twfe_estimate, abs=1e-8)
    assert b.twfe_estimate == pytest.approx(tw.estimate, abs=1e-6)
    assert a.settings["bacon_forbidden_weight"] > 0.1 and a.settings["bacon_forbidden_estimate"] < 0


def test_naive_comparison_is_far_off_where_selection_is_planted(a):
    nv = _est(a, "naive_cross_section")
    assert nv.ci_low > nv.truth  # far above the true effect of the year it compares
    assert nv.estimate - nv.truth > 0.4 * nv.truth
    assert a.naive_before.ci_low > 0  # the gap existed before any entry


def test_matching_balances(a):
    assert a.settings["max_smd_before"] > 0.5
    assert a.settings["max_smd_after"] < 0.1
    assert a.match.n_treated_matched >= 0.9 * a.settings["n_treated"]


def test_power(a):
    from evalkit.estimators import callaway_santanna
    from evalkit.estimators.power import METHOD_LABELS, power_mde

    c = a.power_curve
    for _, d in c.groupby("controls_per_treated"):
        assert (np.diff(d.sort_values("n_treated")["mde"]) < 0).all()
    one = c[c.controls_per_treated == 1].set_index("n_treated")["mde"]
    four = c[c.controls_per_treated == 4].set_index("n_treated")["mde"]
    common = one.index.intersection(four.index)
    assert (four.loc[common] < one.loc[common]).all()
    p = a.power
    # the simulation's noise is i.i.d. of SD SimDesign.sigma around unit and year effects: the AR(1) fit finds it
    assert p["sigma"] == pytest.approx(M.SimDesign().sigma, rel=0.05) and abs(p["rho"]) < 0.05
    an, ds, need = p["analytic"], p["design"], p["need"]
    assert an.method == need.method == "analytic_cs_ar1" and ds.method == "simulation_placebo_cs"
    assert (an.n_treated, an.n_control) == (a.settings["n_treated"], a.settings["n_never"])
    # the non-circular check: the analytic MDE of the chapter's design against the one simulated on that design
    # (placebo entry dates among never-treated units, CS refitted; no AR(1) model), issue 14's ±15 %
    assert an.mde == pytest.approx(ds.mde, rel=0.15)
    assert ds.n_sims == M.POWER_SIMS and ds.shift == "checked"
    assert abs(ds.size - M.ALPHA) <= 3 * np.sqrt(M.ALPHA * (1 - M.ALPHA) / ds.n_sims)  # test level ≈ 5 %
    # and against the SE CS itself reports on the simulation with the planted effects made constant (the analytic
    # variance is exact for a constant effect)
    sim = a.sim.assign(y=a.sim["y"] - a.sim["tau"] + 1.0 * a.sim["D"])
    cs = callaway_santanna(sim, "y", "unit", "year", "cohort", control_group="never_treated", est_method="dr",
                           bootstrap=0)
    assert an.std_error == pytest.approx(cs.simple.std_error, rel=0.05)
    # the units needed: the smallest balanced design whose MDE reaches the planted entry-year effect
    n_pre = {k: v for k, v in p["cohorts"].items()}
    assert need.mde <= p["effect"]
    smaller = power_mde(need.n_units - 2, p["n_periods"], 0.5, p["sigma"], p["rho"], cohorts=n_pre)
    assert smaller.mde > p["effect"]
    # every power number on the page names its method
    assert a.texts["power_method_analytic"] == METHOD_LABELS["analytic_cs_ar1"]
    assert a.texts["power_method_sim"] == METHOD_LABELS["simulation_placebo_cs"]
    note = a.figure_power().note
    assert METHOD_LABELS["analytic_cs_ar1"] in note and METHOD_LABELS["simulation_placebo_cs"] in note
    assert "analytique" in a.texts["power_needed_sentence"]
    assert "analytique" in a.texts["power_design_sentence"] and "simulation" in a.texts["power_design_sentence"]
    # results rows: the analytic and simulated MDEs of the design, no equicorrelated 2×2 row
    r = a.rows[a.rows.estimator.str.startswith("power")].set_index("estimator")
    assert set(r.index) == {"power_mde", "power_mde_sim"}
    assert r.loc["power_mde", "estimate"] == pytest.approx(an.mde)
    assert r.loc["power_mde_sim", "estimate"] == pytest.approx(ds.mde)
    assert r.loc["power_mde_sim", "std_error"] == pytest.approx(ds.mde_mc_se)


def test_power_design_is_seeded(a):
    b = M.analyse(seed=20240501)
    assert b.power["design"].mde == a.power["design"].mde
    assert b.texts["power_design_sentence"] == a.texts["power_design_sentence"]


def test_coverage_read_from_benchmark_file(a, tmp_path):
    cov = a.coverage
    assert cov is not None and set(cov["coverage"]) == {"simple", "dynamic", "group", "calendar"}
    assert all(0.9 <= v <= 1.0 for v in cov["coverage"].values())
    assert cov["seeds"] >= 100 and cov["twfe"] is not None and cov["twfe"] < 0.5
    other = tmp_path / "README.md"
    other.write_text("# Benchmarks\n\nnothing recorded yet\n")
    assert M.read_coverage_benchmark(other) is None
    assert M.read_coverage_benchmark(tmp_path / "absent.md") is None


# --- rows, figures, texts -------------------------------------------------------------------------------------------


def test_rows_follow_the_contract(a):
    rows = evalkit.results.check(a.rows)
    assert (rows["study"] == "methodes").all()
    assert (rows.loc[rows.unit == "count", "data"] == "synthetic").all()  # the chapter's own simulation
    assert (rows.loc[rows.unit == "log_points", "data"] == "reference").all()  # mpdta, public reference data
    assert set(rows["unit"]) == {"count", "log_points"} and set(rows["unit"]) <= set(evalkit.contracts.RESULT_UNITS)
    head = rows[rows["headline"]]
    assert len(head) == 2 and (head["estimator"] == "cs_simple").all() and (head["subgroup"] == "all").all()
    assert (rows["n_units"].dropna() >= MIN_CELL).all()
    sim_head = head[head.unit == "count"].iloc[0]
    assert sim_head.ci_low <= a.truth["simple"] <= sim_head.ci_high
    truth = rows[(rows.estimator == "truth") & (rows.subgroup == "all")].iloc[0]
    assert truth.estimate == pytest.approx(a.truth["simple"])
    mp = head[head.unit == "log_points"].iloc[0]
    assert mp.estimate == pytest.approx(M.R_REFERENCE["simple"][0], abs=1e-6)


def test_figures_have_titles_labels_alt_and_source(a):
    figs = [a.figure_trends(), a.figure_estimators(), a.figure_bacon(), a.figure_event_study(), a.figure_honest(),
            a.figure_power(), a.figure_coverage()]
    for f in figs:
        assert isinstance(f, plots.Figure)
        assert f.title and f.alt and f.champ and f.xlabel and f.ylabel, f.name
        assert M.SOURCE_SIM in f.source or M.SOURCE_MPDTA in f.source, f.name
        assert re.search(r"\d", f.alt), f"alt text of {f.name} states no number"
        assert "nan" not in f.alt.lower() and "n.d." not in f.alt
    assert M.SOURCE_MPDTA in a.figure_honest().source
    tables = [a.table_estimates(), a.table_bacon(), a.table_replication(), a.table_balance()]
    for t in tables:
        assert isinstance(t, plots.Table) and t.title and t.champ and t.source
        html = t._repr_html_()
        assert "Champ :" in html and "Source :" in html
    assert M.SOURCE_MPDTA in a.table_replication().source
    assert (a.table_replication().df["Conforme"]).all()


def test_texts_are_complete(a):
    assert a.texts, "no texts"
    for k, v in a.texts.items():
        assert isinstance(v, str) and v.strip(), k
        assert "nan" not in v.lower() and "n.d." not in v, (k, v)


def test_notebook_glues_every_name_it_uses_and_types_no_number(a):
    nb = nbformat.read(ROOT / "chapters" / "methodes.ipynb", as_version=4)
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    used = set(re.findall(r"\{glue:md\}`([^`]+)`", md))
    assert used and used <= set(a.texts), used - set(a.texts)
    power_keys = {k for k in a.texts if k.startswith("power_")}
    assert power_keys <= used, f"power texts produced but not glued: {sorted(power_keys - used)}"
    prose = re.sub(r"\{(glue:md|cite)\}`[^`]+`", "", md)
    prose = re.sub(r"`[^`]*`", "", prose)  # code names
    numbers = re.findall(r"\d+(?:[,.]\d+)?", prose)
    # definitions, not results: « IC à 95 % », « 2×2 », « M̄ = 0 »
    assert set(numbers) <= {"95", "2", "0"}, sorted(set(numbers))
    for c in nb.cells:
        if c.cell_type == "code":
            assert not c.get("outputs"), "outputs are stripped in the committed notebook"


# --- other planted effects and selections, modified panels ---------------------------------------------------------


@pytest.mark.parametrize(
    "design",
    [
        # homogeneous, constant effect: TWFE is unbiased too, CS recovers it
        M.SimDesign(n_units=600, tau=2.0, growth=0.0, x_level=2.0),
        # direct selection on levels (no covariate), two cohorts, effects differing by cohort and growing
        M.SimDesign(n_units=600, cohorts=((2013, 0.3), (2016, 0.3)), tau=1.0, growth=0.8, shift=((2013, 1.5),),
                    level_gap=5.0, x_level=0.0),
    ],
    ids=["homogeneous", "level-gap-two-cohorts"],
)
def test_other_designs(design):
    b = M.analyse(design=design, seed=7, power_sims=100)
    cs, tw, nv = _est(b, "cs_simple"), _est(b, "twfe"), _est(b, "naive_cross_section")
    assert covers(cs)
    assert covers(_est(b, "cs_dynamic"))
    if design.growth == 0 and not design.shift:
        assert covers(tw)  # no bias without heterogeneity
        assert b.settings["twfe_implied"] == pytest.approx(b.truth["simple"])
    else:
        assert tw.ci_high < tw.truth  # biased downwards, as the design implies
    assert nv.ci_low > nv.truth  # selection on levels makes the naive gap too large
    evalkit.results.check(b.rows)


def test_modified_panel_small_cohort_late_cohort_no_area_extra_year():
    sim = panels.staggered_panel(n_units=500, years=range(2009, 2021), seed=3, tau=1.0, growth=0.5,
                                 cohorts={2012: 0.3, 2015: 0.2, 2019: 0.016, 2024: 0.1}, x_level=2.0)
    assert "area" not in sim
    b = M.analyse(sim=sim, seed=3, power_sims=100)
    s = b.settings
    assert s["cohorts"] == [2012, 2015, 2019] and s["first_year"] == 2009 and s["last_year"] == 2020
    assert s["cohort_sizes"][2019] == 8  # a cohort of 8 units: estimated, never published alone
    rows = evalkit.results.check(b.rows)
    assert (rows["n_units"].dropna() >= MIN_CELL).all()
    assert "cohort=2019" not in set(rows.subgroup)
    assert "vague 2019" not in set(b.trends["group"])
    assert s["covariates"] == ["x", "y_base"]
    assert covers(_est(b, "cs_simple"))
    # units first treated after the window (2024) count as never treated
    assert s["n_never"] == 500 - 150 - 100 - 8 and s["n_units"] == 500
    b.figure_trends(), b.figure_bacon(), b.figure_estimators(), b.table_balance()
    assert "design_sentence" in b.texts and "2009" in b.texts["design_sentence"]


def test_small_cells_are_masked_in_the_balance_table():
    sim = panels.staggered_panel(n_units=400, seed=4, tau=1.0, x_level=2.0, areas=True)
    units = sim.drop_duplicates("unit")
    rare = units.loc[units.cohort.notna(), "unit"].head(5)
    sim.loc[sim.unit.isin(rare), "area"] = "island"
    b = M.analyse(sim=sim, seed=4, power_sims=100)
    t = b.table_balance().df.set_index("Variable")
    row = [v for v in t.index if "island" in v]
    assert row and t.loc[row[0], "Traitées (n)"] == MARK and t.loc[row[0], "Diff. std. avant"] == MARK
    assert "masquée" in b.texts["balance_suppressed"]


def test_needs_never_treated_units():
    sim = panels.staggered_panel(n_units=200, seed=1, cohorts={2012: 0.5, 2014: 0.5})
    with pytest.raises(ValueError, match="never-treated"):
        M.analyse(sim=sim)


def test_fmt_sci():
    import evalkit.fr

    assert M.fmt_sci is evalkit.fr.fmt_sci  # one formatter for the book (evalkit.fr)
    assert M.fmt_sci(3.2e-10) == "3,2\u00a0×\u00a010⁻¹⁰"
    assert M.fmt_sci(0.0) == "0"
    assert M.fmt_sci(1e-6) == "10⁻⁶"
    assert M.fmt_sci(5e-5) == "5,0\u00a0×\u00a010⁻⁵"
