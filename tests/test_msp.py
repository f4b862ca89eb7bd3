"""MSP study: the generator hits its published calibration targets, and the chapter's analysis recovers planted
effects (default design, and other effects under other selection), on any table that follows the contract."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit import io, results
from evalkit.contracts import validate
from evalkit.simulate import DEFAULT_SEED, planted_truth, write_all
from evalkit.simulate import msp as sim
from evalkit.studies import msp as st
from evalkit.studies.msp.analysis import cs_fit, sample

SEED = DEFAULT_SEED  # the seed of the book's synthetic data
NOTEBOOK = Path(__file__).resolve().parents[1] / "chapters" / "msp.ipynb"


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return sim.simulate(seed=SEED)


@pytest.fixture(scope="module")
def bundled(tmp_path_factory) -> tuple[pd.DataFrame, dict | None]:
    """The bundled synthetic file as the chapter reads it (written, loaded back) and its planted truth."""
    d = tmp_path_factory.mktemp("synthetic")
    write_all(d, seed=SEED, studies=["msp"])
    loaded = io.load("msp", d)
    return loaded, planted_truth("msp", loaded, d)


@pytest.fixture(scope="module")
def analysis(bundled) -> st.MSPAnalysis:
    loaded, truth = bundled
    return st.analyse(loaded, seed=SEED, truth=truth, kind="synthetic")


# --- generator ---------------------------------------------------------------------------------------------------

def test_generator_follows_the_contract(df):
    p = sim.params()
    years = np.arange(p.first_year, p.last_year + 1)
    out = validate(df.copy(), "msp", balance="error")  # balanced panel, all rules of DESIGN §3
    assert len(out) == p.n_gps * len(years)
    assert sorted(df["year"].unique()) == list(years)
    assert not df.duplicated(["gp_id", "year"]).any()
    assert (df.groupby("gp_id")["msp_year"].nunique(dropna=False) == 1).all()
    ref = df[df["year"] == p.reference_year]
    assert ref["age"].max() < 65  # QES 258 field: GPs under 65 (reference year)
    # ages move with calendar time
    g = df[df["gp_id"] == df["gp_id"].iloc[0]]
    assert np.allclose(np.diff(g["age"]), 1.0)


def test_calibration_profile_gaps(df):
    """Baseline profile of future MSP GPs vs the others (Irdes QES 258 / Cassou, Mousquès, Franc 2020)."""
    p = sim.params()
    ref = df[df["year"] == p.reference_year]
    msp = ref["msp_year"].notna()
    share = lambda m, v: 100 * (ref.loc[m, "rurality"] == v).mean()  # noqa: E731
    assert share(msp, "rural") == pytest.approx(36.7, abs=0.2)  # QES 258: rural 36.7 % (MSP)
    assert share(~msp, "rural") == pytest.approx(12.2, abs=0.2)  # QES 258: rural 12.2 % (controls)
    assert share(msp, "periurban") == pytest.approx(24.8, abs=0.2)  # QES 258: periurban 24.8 %
    assert share(~msp, "periurban") == pytest.approx(18.6, abs=0.2)  # QES 258: periurban 18.6 %
    assert ref.loc[msp, "age"].mean() == pytest.approx(47.7, abs=0.15)  # QES 258: age 47.7
    assert ref.loc[~msp, "age"].mean() == pytest.approx(48.7, abs=0.15)  # QES 258: age 48.7
    assert 100 * ref.loc[msp, "female"].mean() == pytest.approx(25.4, abs=0.2)  # QES 258: women 25.4 %
    assert 100 * ref.loc[~msp, "female"].mean() == pytest.approx(28.6, abs=0.2)  # QES 258: women 28.6 %
    gap = lambda c: 100 * (ref.loc[msp, c].mean() / ref.loc[~msp, c].mean() - 1)  # noqa: E731
    assert gap("patients_mt") == pytest.approx(5.2, abs=1.0)  # QES 258: MT patientèle +5.2 % before entry
    assert gap("file_active") == pytest.approx(8.3, abs=1.0)  # QES 258: file active +8.3 % before entry


def test_calibration_levels_and_design(df):
    p = sim.params()
    ever = df.drop_duplicates("gp_id")["msp_year"]
    # ≈ 5,000 GPs in ACI MSP of ≈ 52,000 GPs (sources/000) → 10 %
    assert ever.notna().mean() == pytest.approx(0.10, abs=0.001)
    sizes = ever.value_counts().sort_index()
    assert list(sizes.index) == list(p.cohorts)  # staggered entry 2009–2016
    assert (np.diff(sizes.to_numpy()) > 0).all()  # entries rising, as the number of MSP did (HCAAM)
    assert sizes.min() >= 25  # enough treated GPs per cohort for cohort-level estimates
    by_year = df.groupby("year")["patients_mt"].mean()
    # HCAAM note 43: +90 ≈ +10 % of the mean MT patientèle → ≈ 900 over 2008–2014
    assert by_year.loc[2008:2014].mean() == pytest.approx(900, rel=0.06)
    # Cnam 2021: 960 adult MT patients per GP; file active 1,643
    assert by_year.loc[2019] == pytest.approx(960, rel=0.06)
    assert df.loc[df.year == 2019, "file_active"].mean() == pytest.approx(1643, rel=0.06)
    # QES 258: +2.5 % ≈ +€2,091 → MSP GPs' level ≈ €83,600 before entry
    pre = df[df["msp_year"].notna() & (df["year"] == df["msp_year"] - 1)]
    assert pre["fees"].mean() == pytest.approx(2091 / 0.025, rel=0.1)


def test_calibration_planted_effect(df):
    tr = sim.truth(df)
    assert tr["simple"]["patients_mt"] == pytest.approx(90, abs=2)  # HCAAM note 43 / QES 258: ≈ +90 patients MT
    assert tr["percent"]["patients_mt"] == pytest.approx(10, abs=0.6)  # ≈ +10 % of the MT patientèle
    assert tr["simple"]["file_active"] == pytest.approx(88.5, abs=2)  # QES 258: file active +88 to +89
    assert tr["simple"]["fees"] == pytest.approx(2091, rel=0.03)  # QES 258: ≈ +€2,091 a year
    assert tr["percent"]["fees"] == pytest.approx(2.5, abs=0.3)  # QES 258: +2.5 %
    dyn = tr["dynamic"]["patients_mt"]  # effects grow with years in MSP (Health Policy 2023)
    assert dyn[0] < dyn[1] < dyn[2] == pytest.approx(sim.params().effect_mt)
    cal = sim.calibration(df)
    assert {"cible", "publié", "simulé", "source"} <= set(cal.columns) and cal["simulé"].notna().all()


def test_overrides_selection_and_scale():
    with pytest.raises(TypeError, match="unknown MSP parameter"):
        sim.simulate(seed=1, effect_mtt=3)
    d0 = sim.simulate(seed=3, n_gps=2000, selection_strength=0.0, effect_mt=50.0)
    ref = d0[d0.year == 2008]
    m = ref["msp_year"].notna()
    assert (ref.loc[m, "rurality"] == "rural").mean() == pytest.approx(0.122, abs=0.01)
    assert ref.loc[m, "patients_mt"].mean() / ref.loc[~m, "patients_mt"].mean() == pytest.approx(1.0, abs=0.03)
    tr = sim.truth(d0)
    assert tr["simple"]["patients_mt"] == pytest.approx(50 * 0.851, abs=1)
    # same seed, same table; other seed, other table
    pd.testing.assert_frame_equal(sim.simulate(seed=3, n_gps=300), sim.simulate(seed=3, n_gps=300))
    assert not sim.simulate(seed=4, n_gps=300)["patients_mt"].equals(sim.simulate(seed=3, n_gps=300)["patients_mt"])


def test_national_scale():
    d = sim.simulate(seed=1, scale=sim.NATIONAL_SCALE)
    n = d["gp_id"].nunique()
    assert n == pytest.approx(52_000, rel=0.01)  # ≈ 52,000 GPs (sources/000)
    assert d.drop_duplicates("gp_id")["msp_year"].notna().sum() == pytest.approx(5_200, rel=0.01)


# --- analysis on the default synthetic data ------------------------------------------------------------------------

def test_headline_recovers_planted_effect_and_naive_is_far(df, bundled, analysis):
    tr = bundled[1]
    assert tr == sim.truth(df)  # the chapter finds the planted truth of the bundled file
    rows = analysis.rows
    for o, info in st.OUTCOMES.items():
        for unit, truth in ((info["unit"], tr["simple"][o]), ("percent", tr["percent"][o])):
            h = results.headline(rows, "msp", o, unit)
            assert h["estimator"] == "cs_simple"
            assert h["ci_low"] <= truth <= h["ci_high"], (o, unit, h.to_dict(), truth)
        naive = analysis.result.naive[o]
        # the naive cross-section is far from the truth: its CI excludes it, and it is > 1.4 × the effect
        assert naive.ci_low > tr["simple"][o], o
        assert naive.estimate > 1.4 * tr["simple"][o], o
        # the matched-sample estimate, shown beside the headline, also covers the truth
        m = analysis.result.cs_matched[o].simple
        assert m.ci_low <= tr["simple"][o] <= m.ci_high, o


def test_rows_follow_the_results_contract(analysis):
    rows = results.check(analysis.rows)
    assert set(rows["study"]) == {"msp"}
    assert (rows["n_units"].dropna() >= 11).all()
    heads = rows[rows["headline"]]
    assert len(heads) == 6  # 3 outcomes × (outcome unit, percent)
    assert set(heads["subgroup"]) == {"all"} and set(heads["estimator"]) == {"cs_simple"}
    assert np.isfinite(heads[["estimate", "ci_low", "ci_high"]].to_numpy()).all()
    for est in ("naive_cross_section", "twfe", "cs_simple", "cs_simple_matched"):
        for o in st.OUTCOMES:
            assert ((rows.estimator == est) & (rows.outcome == o) & (rows.subgroup == "all")).sum() == 2, (est, o)
    assert rows["subgroup"].str.startswith("rurality=").any()
    assert rows["subgroup"].str.startswith("event_time=").any()
    assert (rows["estimator"] == "honest_did_rm").any()


def test_figures_tables_and_texts(analysis):
    for fig in (analysis.figure_trends(), analysis.figure_estimates(), analysis.figure_event_study(),
                analysis.figure_honest(), analysis.figure_rurality()):
        assert fig.png[:4] == b"\x89PNG" and fig.alt and fig.title and "synthétiques" in fig.source
    for tab in (analysis.table_profile(), analysis.table_balance(), analysis.table_estimates(),
                analysis.table_national(), analysis.table_published()):
        html = tab._repr_html_()
        assert "Champ :" in html and "Source :" in html
    t = analysis.texts
    assert all(k.startswith("msp_") for k in t)
    assert not any(v is None or "nan" in str(v) for v in t.values())
    assert t["msp_data_kind"] == "synthétiques" and t["msp_rur_note"]
    # balance after matching: standardised differences small
    smd_after = pd.to_numeric(analysis.result.balance["smd_after"], errors="coerce").abs()
    assert smd_after.max() < 0.1
    # the estimators' expected warnings (small cohorts in the propensity scores) are collected, not printed
    assert any("Events Per Variable" in w for w in analysis.result.warnings)


def test_result_is_frozen(analysis):
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        analysis.result.truth = None
    with pytest.raises(dataclasses.FrozenInstanceError):
        analysis.rows = None


def test_truth_is_found_for_the_bundled_synthetic_file(tmp_path, monkeypatch):
    write_all(tmp_path, seed=11, scale=0.1, studies=["msp"])
    monkeypatch.setenv("EVALKIT_DATA", str(tmp_path))
    loaded = io.load("msp")
    assert "truth" not in loaded.attrs
    tr = planted_truth("msp", loaded)
    assert tr is not None and tr == sim.truth(sim.simulate(seed=11, scale=0.1))
    # a modified file is not mistaken for the generated one
    loaded.loc[0, "patients_mt"] += 1
    assert planted_truth("msp", loaded) is None
    # user data: no truth
    (tmp_path / "SYNTHETIC").unlink()
    assert planted_truth("msp", io.load("msp")) is None


# --- the notebook's glue keys ---------------------------------------------------------------------------------------

def _glue_keys_in_notebook() -> set[str]:
    """Keys the chapter's markdown glues: roles {glue}`k`, {glue:text}`k`, {glue:md}`k`… and {glue:figure} k."""
    keys = set()
    for cell in json.loads(NOTEBOOK.read_text())["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        src = "".join(cell["source"])
        keys |= set(re.findall(r"\{glue(?::\w+)?\}`([^`]+)`", src))
        keys |= set(re.findall(r"^[`:]{3,}\{glue(?::\w+)?\}\s+(\S+)", src, flags=re.M))
    return keys


def _figures_glued_by_code() -> set[str]:
    """Keys the chapter's code cells glue as figures (``evalkit.book.glue_figure("k", …)``), pasted by ``{glue} k``."""
    code = "\n".join("".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"]
                     if c["cell_type"] == "code")
    return set(re.findall(r"glue_figure\(\s*[\"']([^\"']+)[\"']", code))


def test_glue_keys_match_notebook(analysis, modified):
    """Every key the notebook glues is produced, none is produced unused: on the bundled data and on an
    evaluator's table (other years and cohorts, a rurality level absent, no planted truth). Figures glued by a code
    cell are pasted somewhere and are not texts."""
    used = _glue_keys_in_notebook()
    figures = _figures_glued_by_code()
    assert figures <= used, f"figures glued but never pasted: {sorted(figures - used)}"
    used -= figures
    assert len(used) > 50 and {"msp_att_mt", "msp_truth_sentence", "msp_honest_sentence"} <= used
    for a in (analysis, modified):
        produced = set(a.texts)
        assert not used - produced, f"glued but not produced: {sorted(used - produced)}"
        assert not produced - used, f"produced but not glued: {sorted(produced - used)}"


# --- acceptance: other planted effects, other selection -------------------------------------------------------------

def test_other_effects_and_selection_are_recovered():
    """Different planted effects, twice the published selection, and rural GPs on a steeper trend (parallel trends
    hold only conditional on rurality): the headline's 95 % CI contains the truth, the naive gap does not."""
    d = sim.simulate(seed=7, n_gps=1600, treated_share=0.25, effect_mt=40.0, effect_fa=160.0, effect_fees=5000.0,
                     selection_strength=2.0, trend_gap_rural=0.015, ramp=(0.5,))
    tr = sim.truth(d)
    a = st.analyse(d, truth=tr, kind="synthetic", honest=False, subgroups=False)
    results.check(a.rows)
    for o, info in st.OUTCOMES.items():
        h = results.headline(a.rows, "msp", o, info["unit"])
        assert h["ci_low"] <= tr["simple"][o] <= h["ci_high"], (o, h.to_dict(), tr["simple"][o])
        hp = results.headline(a.rows, "msp", o, "percent")
        assert hp["ci_low"] <= tr["percent"][o] <= hp["ci_high"], o
        assert not (a.result.naive[o].ci_low <= tr["simple"][o] <= a.result.naive[o].ci_high), o
    # the DR adjustment matters here: without covariates CS would be biased by the rural trend
    from evalkit.estimators.staggered import callaway_santanna

    nocov = callaway_santanna(a.result.prepared.panel, "patients_mt", "gp_id", "year", "cohort")
    assert nocov.simple.ci_low > tr["simple"]["patients_mt"]


# --- robustness: an evaluator's table that differs from the synthetic design ----------------------------------------

def _modified(seed: int = 5) -> pd.DataFrame:
    d = sim.simulate(seed=seed, n_gps=1500, treated_share=0.2)
    d = d[d["rurality"] != "periurban"]  # a subgroup absent
    d = d[~d["msp_year"].isin([2009, 2011, 2013, 2015])]  # fewer cohorts
    extra = d[d["year"] == 2019].copy()  # an extra year
    extra["year"] = 2020
    extra["age"] += 1
    for c in ("patients_mt", "file_active"):
        extra[c] = (extra[c] * 1.01).round().astype("int64")
    extra["fees"] = (extra["fees"] * 1.015).round()
    d = pd.concat([d, extra])
    ids = d["gp_id"].drop_duplicates()
    never = d["msp_year"].isna()
    tiny = d.loc[never, "gp_id"].drop_duplicates().iloc[:5]  # a cohort of 5 GPs: set aside
    d.loc[d["gp_id"].isin(tiny), "msp_year"] = 2017
    late = d.loc[never & ~d["gp_id"].isin(tiny), "gp_id"].drop_duplicates().iloc[:20]  # enter after the window
    d.loc[d["gp_id"].isin(late), "msp_year"] = 2023
    drop_rows = d["gp_id"].isin(ids.iloc[-3:]) & (d["year"] == 2012)  # unbalanced units
    d = d[~drop_rows].sort_values(["gp_id", "year"]).reset_index(drop=True)
    d.attrs = {}
    return d


@pytest.fixture(scope="module")
def modified() -> st.MSPAnalysis:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = validate(_modified(), "msp")
    return st.analyse(d, kind="user")


def test_analyse_on_a_modified_table(modified):
    a = modified
    rows = results.check(a.rows)
    p = a.result.prepared
    assert p.years == list(range(2005, 2021))
    assert p.cohorts == [2010, 2012, 2014, 2016]
    assert p.rurality_levels == ["urban", "rural"]
    # late entrants, unbalanced GPs, tiny cohort
    assert [(n.rule, n.n, n.cohorts) for n in p.notes] == [("late_entry", 20, ()), ("unbalanced", 3, ()),
                                                             ("small_cohorts", 1, (2017,))]
    assert a.texts["msp_prep_notes"] == (
        "20 médecins entrés en MSP après 2020 sont comptés comme non entrés sur la période ; moins de 11 médecins "
        "non observés toutes les années (ou avec une valeur manquante) sont écartés (panel cylindré) ; 1 cohorte "
        "d'entrée de moins de 11 médecins (2017) écartée.")
    assert not rows["subgroup"].str.contains("periurban").any()
    assert (rows["n_units"].dropna() >= 11).all()
    assert set(rows["data"]) == {"user"}
    assert a.result.truth is None and "inconnu" in a.texts["msp_truth_sentence"]
    assert a.texts["msp_rur_note"] == "" and a.texts["msp_data_kind"] == "fournies par l'utilisateur"
    assert len(rows[rows.headline]) == 6
    assert "planté" not in a.table_published()._repr_html_()  # no planted effect to speak of on real data
    for fig in (a.figure_estimates(), a.figure_event_study(), a.figure_rurality()):
        assert fig.png


def test_prepare_refuses_a_table_without_comparisons():
    d = sim.simulate(seed=2, n_gps=200)
    d = d[d["msp_year"].notna()]
    with pytest.raises(ValueError, match="never-MSP"):
        st.prepare(d)


# --- slow: coverage over seeds ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_headline_coverage_over_seeds():
    """Across 20 seeds, the headline 95 % CI covers the planted MT effect in about 95 % of samples."""
    hits = []
    for s in range(20):
        d = sim.simulate(seed=1000 + s, selection_strength=1.5, effect_mt=70.0)
        tr = sim.truth(d)["simple"]["patients_mt"]
        p = st.prepare(d)
        e = cs_fit(sample(p.panel, p.covariates), "patients_mt").simple
        hits.append(e.ci_low <= tr <= e.ci_high)
    assert sum(hits) >= 17


def test_profile_sentence_quotes_the_profile_table(analysis):
    """The sentence under Tableau 1 names the largest standardised difference *of that table* (it once quoted the
    matching sample's, 0,66 beside a table showing −0,64)."""
    tab = analysis.table_profile()
    col = tab.df["Différence standardisée"]
    shown = {v.lstrip("+−-") for v in col.astype(str) if v.strip()}
    assert analysis.texts["msp_smd_max"] in shown
