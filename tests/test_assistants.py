"""Assistants médicaux: generator calibration, recovery of planted effects by option, cost and projection arithmetic,
and the analysis on modified data.

Published targets (sources in comments) are checked on a 3 × default sample (≈ 18,000 GPs, ≈ 450 earliest
signatories — the size of the Cnam's 402-GP panel).
"""

from __future__ import annotations

import dataclasses
import warnings
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.contracts import validate
from evalkit.results import check, suppress_small
from evalkit.simulate import DEFAULT_SEED
from evalkit.simulate import assistants as sim_mod
from evalkit.studies import assistants as S

SOURCE_004 = Path("/work/shared/sources/004_18d4e70b77ba85c8.txt")
NOTEBOOK = Path(__file__).resolve().parents[1] / "chapters" / "assistants.ipynb"


# --- fixtures ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def calib():
    """Descriptive statistics of a large sample (scale 3), as the Cnam computes them."""
    sim = sim_mod.generate(seed=11, scale=3)
    d = S.prepare(validate(sim.data, "assistants"))
    desc = S.cnam_descriptive(d).set_index(["outcome", "group"])
    return sim, d, desc


@pytest.fixture(scope="module")
def default_run():
    sim = sim_mod.generate(seed=DEFAULT_SEED)
    df = validate(sim.data, "assistants")
    return sim, S.analyse(df)


@pytest.fixture(scope="module")
def other_run():
    """Other planted effects by option (none for third time, large for full time) and other selection."""
    sim = sim_mod.generate(seed=7, effect_mt={"third": 0.0, "half": 0.05, "full": 0.30},
                           sel_underserved=1.2, sel_baseline=0.8, sel_age=-0.08, mt_slope_underserved=35.0)
    return sim, S.analyse(validate(sim.data, "assistants"))


# --- generator -----------------------------------------------------------------------------------------------------


def test_simulated_table_follows_the_contract():
    sim = sim_mod.generate(seed=3)
    df = validate(sim.data, "assistants")  # raises on any contract violation
    assert df.groupby("gp_id")["year"].nunique().eq(8).all()  # balanced 2016–2023
    gps = df.drop_duplicates("gp_id")
    signed = gps[gps["am_year"].notna()]
    assert set(signed["am_year"].astype(int)) == {2019, 2020, 2021, 2022}
    assert set(signed["am_option"]) == {"third", "half", "full"}
    # full time is reserved to underserved areas (avenant 7; HCAAM 2022 Encadré 4 « Plein temps (en zone déficitaire) »)
    assert signed.loc[signed["am_option"] == "full", "underserved"].eq(1).all()
    assert gps.loc[gps["am_year"].isna(), "am_option"].isna().all()


def test_seeded_and_scaled():
    a, b = sim_mod.simulate(seed=5), sim_mod.simulate(seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(sim_mod.simulate(seed=6))
    assert a["gp_id"].nunique() == sim_mod.Params().n_gps
    assert sim_mod.simulate(seed=5, scale=0.5)["gp_id"].nunique() == sim_mod.Params().n_gps // 2
    # national size: ≈ 52,000 GPs (HCAAM 2022, sources/004 « Pour 52 000 généralistes »)
    assert sim_mod.Params().n_gps * sim_mod.national_scale() == pytest.approx(52_000)


def test_national_scale_generates_fast():
    import time

    t0 = time.perf_counter()
    df = sim_mod.simulate(seed=1, scale=sim_mod.national_scale())
    assert df["gp_id"].nunique() == 52_000
    assert time.perf_counter() - t0 < 10


def test_overrides_are_checked_and_merged():
    p = sim_mod.Params().with_overrides(effect_mt={"full": 0.5})
    assert p.effect_mt["full"] == 0.5 and p.effect_mt["third"] == sim_mod.Params().effect_mt["third"]
    with pytest.raises(TypeError, match="unknown parameter"):
        sim_mod.simulate(effect_patients=1)


def test_calibration_who_signs(calib):
    sim, d, _ = calib
    gps = d.drop_duplicates("gp_id")
    signed = gps[gps["am_year"].notna()]
    # ≈ 7 % of GPs with a contract started 2019–2022 (≈ 3,600 GP contracts end 2022 / 52,000 GPs; HCAAM 2022)
    assert len(signed) / len(gps) == pytest.approx(0.07, abs=0.01)
    # 47 % of contracts in underserved areas (HCAAM 2022, Encadré 4)
    assert signed["underserved"].mean() == pytest.approx(0.47, abs=0.05)
    # options 31 / 49 / 20 % (HCAAM 2022, Encadré 4, November 2021)
    shares = signed["am_option"].value_counts(normalize=True)
    for opt, target in {"third": 0.31, "half": 0.49, "full": 0.20}.items():
        assert shares[opt] == pytest.approx(target, abs=0.04)
    # mean adult MT patientèle of all GPs ≈ 960 (Cnam 2021)
    assert d.loc[d["year"] == 2019, "patients_mt"].mean() == pytest.approx(960, abs=50)


def test_calibration_cnam_descriptive(calib):
    _, _, desc = calib
    s, n = desc.loc["patients_mt"].loc[S.SIGNATORIES], desc.loc["patients_mt"].loc[S.NEVER]
    assert s["base"] == pytest.approx(1_318, abs=80)  # baseline of the 402 signatories (Cnam, Dec. 2024)
    assert s["change_48m_pct"] == pytest.approx(19.5, abs=2.5)  # +19.5 % at 48 months (Cnam, Dec. 2024)
    assert s["change_30m_pct"] == pytest.approx(9.9, abs=2.0)  # +9.9 % at 30 months (Cnam 2022)
    assert n["change_48m_pct"] == pytest.approx(6.6, abs=1.5)  # non-signatories +6.6 % (Cnam, Dec. 2024)
    fa_s, fa_n = desc.loc["file_active"].loc[S.SIGNATORIES], desc.loc["file_active"].loc[S.NEVER]
    assert fa_s["change_48m_pct"] == pytest.approx(4.5, abs=2.0)  # file active +4.5 % (Cnam, Dec. 2024)
    assert fa_s["change_30m_pct"] == pytest.approx(5.3, abs=2.5)  # +5.3 % at 30 months (Cnam 2022)
    assert fa_n["change_48m_pct"] == pytest.approx(-5.3, abs=1.5)  # non-signatories −5.3 % (Cnam, Dec. 2024)
    ac_s, ac_n = desc.loc["acts"].loc[S.SIGNATORIES], desc.loc["acts"].loc[S.NEVER]
    assert ac_s["change_48m_pct"] == pytest.approx(7.2, abs=2.0)  # acts/day +7.2 % (Cnam, Dec. 2024)
    assert ac_n["change_48m_pct"] == pytest.approx(0.5, abs=1.5)  # non-signatories +0.5 % (Cnam, Dec. 2024)


def test_counterfactual_effect_is_smaller_than_the_descriptive(calib):
    """The planted effect at 48 months is well below the before/after and below the raw gap to non-signatories."""
    sim, _, desc = calib
    s, n = desc.loc["patients_mt"].loc[S.SIGNATORIES], desc.loc["patients_mt"].loc[S.NEVER]
    first = desc.attrs.get("cohorts") or [2019, 2020]
    eff = sim.truth.effects
    true48 = eff[eff["am_year"].isin(first) & (eff["event_time"] == 3)]["patients_mt"].mean()
    assert true48 < 0.7 * s["change_48m"]
    assert true48 < (s["change_48m"] - n["change_48m"]) - 20


def test_truth_ordered_by_option():
    t = sim_mod.truth(seed=2)
    att = {o: t.att(option=o) for o in sim_mod.OPTIONS}
    assert att["third"] < att["half"] < att["full"]
    dyn = t.dynamic()
    assert (np.diff(dyn.loc[0:4].to_numpy()) > 0).all()  # effect grows over the first contract years


def test_absolute_effects_are_planted_exactly():
    t = sim_mod.truth(seed=4, effect_scale="absolute", effect_mt={"third": 40, "half": 40, "full": 40},
                      effect_sd=0.0, ramp=(1.0,))
    assert t.effects["patients_mt"].to_numpy() == pytest.approx(40.0)


# --- policy data and arithmetic --------------------------------------------------------------------------------


def test_aid_schedule_matches_the_source():
    if not SOURCE_004.is_file():
        pytest.skip("shared source file not available")
    text = SOURCE_004.read_text(encoding="utf-8")
    labels = {"third": "Tiers-temps", "half": "Mi-temps", "full": "Plein temps"}
    for opt, lab in labels.items():
        line = next(x for x in text.splitlines() if x.startswith(lab) and "€" in x)
        amounts = [float(a.replace(" ", "").replace("\u202f", "")) for a in re.findall(r"([\d  ]+) €", line)]
        assert tuple(amounts) == S.AID_SCHEDULE[opt]


def test_aid_by_contract_year():
    assert [S.aid("half", e) for e in range(5)] == [18_000, 13_500, 10_500, 10_500, 10_500]


def test_targets_rule():
    # option 1 as published (avenant 7, art. 9-5-2-2): 30–50th +20 %, 50–70th +15 %, 70–90th +7.5 %, 90–95th +4 %
    assert S.contract_target("third", [35, 55, 75, 92, 97]).tolist() == [20.0, 15.0, 7.5, 4.0, 0.0]
    # published ranges: half +6 to +25 %, full +12.5 to +35 % (+5 % above the 95th percentile)
    assert S.TARGETS["half"][0] == 25.0 and S.TARGETS["half"][3] == 6.0
    assert S.TARGETS["full"][0] == 35.0 and S.TARGETS["full"][3] == 12.5 and S.TARGETS["full"][4] == 5.0
    for opt in S.TARGETS:
        assert list(S.TARGETS[opt]) == sorted(S.TARGETS[opt], reverse=True)
    assert all(S.TARGETS["third"][i] <= S.TARGETS["half"][i] <= S.TARGETS["full"][i] for i in range(5))


def test_cost_ratio_hand_computed():
    # 4 years of third-time aid: 12,000 + 9,000 + 7,000 + 7,000 = 35,000 €; 200 patient-years gained, SE 20
    r = S.cost_ratio(35_000, 200, 20)
    assert r.estimate == pytest.approx(175.0)
    assert r.std_error == pytest.approx(35_000 * 20 / 200**2)  # delta method: 17.5
    z = 1.959963984540054
    assert r.ci_low == pytest.approx(35_000 / (200 + z * 20))
    assert r.ci_high == pytest.approx(35_000 / (200 - z * 20))
    # a gain whose CI reaches 0: no finite upper bound; no gain: undefined
    assert math.isinf(S.cost_ratio(1_000, 10, 8).ci_high)
    assert math.isnan(S.cost_ratio(1_000, -5, 2).estimate)


def test_projection_hand_computed():
    gains = {"third": 100.0, "half": 150.0, "full": 250.0}
    cov = pd.DataFrame([[100.0, 50.0, 0.0], [50.0, 225.0, 0.0], [0.0, 0.0, 400.0]], index=list(gains),
                       columns=list(gains))
    p = S.projection(1_000, {"third": 0.31, "half": 0.49, "full": 0.20}, gains, cov)
    assert p.estimate == pytest.approx(1_000 * (0.31 * 100 + 0.49 * 150 + 0.20 * 250))  # 154,500
    var = 1_000**2 * (0.31**2 * 100 + 0.49**2 * 225 + 0.20**2 * 400 + 2 * 0.31 * 0.49 * 50)
    assert p.std_error == pytest.approx(math.sqrt(var))
    # an option absent from the data: shares renormalised over the others
    p2 = S.projection(1_000, {"third": 0.31, "half": 0.49, "full": 0.20}, {"third": 100.0, "half": 150.0}, cov)
    assert p2.estimate == pytest.approx(1_000 * (0.31 * 100 + 0.49 * 150) / 0.80)


# --- the analysis ----------------------------------------------------------------------------------------------


def _covers(row_lo, row_hi, value):
    return row_lo <= value <= row_hi


def test_headline_recovers_planted_effect(default_run):
    sim, a = default_run
    rows = a.rows
    head = rows[(rows.outcome == "patients_mt") & rows.headline & (rows.unit == "patients")].iloc[0]
    assert head.estimator == "cs_simple" and head.subgroup == "all"
    assert _covers(head.ci_low, head.ci_high, sim.truth.att())
    pct = rows[(rows.outcome == "patients_mt") & rows.headline & (rows.unit == "percent")].iloc[0]
    assert _covers(pct.ci_low, pct.ci_high, sim.truth.percent())
    assert np.isfinite([head.ci_low, head.ci_high]).all() and head.n_units >= 11


def test_option_effects_recovered(default_run, other_run):
    for sim, a in (default_run, other_run):
        rows = a.rows
        for opt in sim_mod.OPTIONS:
            r = rows[(rows.outcome == "patients_mt") & (rows.subgroup == f"option={opt}")
                     & (rows.estimator == "cs_simple") & (rows.unit == "patients")].iloc[0]
            assert not r.headline
            assert _covers(r.ci_low, r.ci_high, sim.truth.att(option=opt)), (opt, r.estimate, sim.truth.att(option=opt))
            g = a.dose.set_index("option").loc[opt]
            true_h = sim.truth.dynamic(option=opt).loc[a.horizon]
            assert _covers(g.gain_ci_low, g.gain_ci_high, true_h), (opt, g.gain, true_h)


def test_options_compared_among_comparable_gps_recover_planted_effects(default_run, other_run):
    """Among underserved GPs (each option against underserved never-signatories), every option's gain at the horizon
    and the multi-valued DiD's ATT(d) recover the effect planted on that option's underserved signatories: within 3 SE
    (seeds DEFAULT_SEED and 7; two sets of planted rates by option, see the fixtures)."""
    for sim, a in (default_run, other_run):
        u = a.dose_underserved.set_index("option")
        assert set(u.index) == set(sim_mod.OPTIONS)
        for o in sim_mod.OPTIONS:
            true_h = sim.truth.dynamic(option=o, underserved=1).loc[a.horizon]
            assert abs(u.loc[o, "gain"] - true_h) < 3 * u.loc[o, "gain_se"], (o, u.loc[o, "gain"], true_h)
            # the planted rate: share of the baseline patientèle gained by option (effect_mt) × the ramp at h
            rate = sim.params.effect_mt[o] * sim.params.ramp[min(a.horizon, len(sim.params.ramp) - 1)]
            pre = a.by_option_underserved[o].pre_mean
            assert abs(u.loc[o, "gain"] / pre - rate) < 3 * u.loc[o, "gain_se"] / pre, (o, u.loc[o, "gain"] / pre, rate)
            c = a.dose_cgbs.att(S.policy.OPTION_FTE[o])
            true_g = sim.truth.group_att(option=o, underserved=1)
            assert abs(c.estimate - true_g) < 3 * c.std_error, (o, c.estimate, true_g)
        # differences from the joint influence functions: SE of full − third below the sum of the two SEs
        assert u.loc["full", "diff_third_se"] < u.loc["full", "gain_se"] + u.loc["third", "gain_se"]
    # other run: no effect planted for third time, 0.30 of the patientèle for full time — the gap is detected
    sim, a = other_run
    u = a.dose_underserved.set_index("option")
    assert u.loc["full", "diff_third_ci_low"] > 0 and u.loc["full", "diff_half_ci_low"] > 0
    rows = a.rows
    assert {"comparison=full_vs_third", "comparison=full_vs_half", "comparison=half_vs_third"} <= set(
        rows.loc[rows.estimator == "cs_dose_difference_underserved", "subgroup"])
    assert set(rows.loc[rows.estimator == "cgbs_discrete_dose", "subgroup"]) == {
        "underserved_dose=third", "underserved_dose=half", "underserved_dose=full"}
    # the all-GP comparison keeps only half − third (both options exist in every area)
    assert set(rows.loc[rows.estimator == "cs_dose_difference", "subgroup"]) == {"option=half"}


def test_other_planted_effects_change_the_dose_response(other_run):
    sim, a = other_run
    dose = a.dose.set_index("option")
    assert abs(dose.loc["third", "att"]) < 3 * dose.loc["third", "att_se"]  # no effect planted for third time
    assert a.dose_underserved.set_index("option").loc["full", "diff_third_ci_low"] > 0
    head = a.rows[(a.rows.outcome == "patients_mt") & a.rows.headline & (a.rows.unit == "patients")].iloc[0]
    assert _covers(head.ci_low, head.ci_high, sim.truth.att())


def test_naive_comparisons_are_far_from_the_truth(default_run):
    sim, a = default_run
    est = a.estimators.set_index("key")["estimate"]
    true_h = sim.truth.dynamic().loc[a.horizon]
    assert est["before_after"] > true_h + 60  # before/after adds the common trend
    assert est["raw_did"] > true_h + 20  # the raw gap to non-signatories adds selection on trends
    assert est["naive"] > 3 * sim.truth.att()  # level gap = selection on patientèle size
    nocov = a.cs_variants["no_covariates"]
    assert nocov.pretest_p < 0.05  # unconditional parallel trends are rejected before the contract
    assert a.cs["patients_mt"].pretest_p > 0.01


def test_cost_and_projection_follow_from_the_estimates(default_run):
    _, a = default_run
    h = a.horizon
    for r in a.cost[a.cost.option != "all"].itertuples():
        aid_total = sum(S.AID_SCHEDULE[r.option][min(e, 2)] for e in range(h + 1))
        assert r.aid_total == aid_total
        # cumulative gain over a balanced window (R aggte balance_e = h): only cohorts observed h years after their
        # contract, the same at every e ≤ h, cohort-size weighted
        att = a.by_option[r.option].att_gt
        last = att["time"].max()
        kept = att[(att.cohort <= last - h) & (att.event_time.between(0, h))]
        by_hand = sum(np.average(x.estimate, weights=x.n_units) for _, x in kept.groupby("event_time"))
        assert r.gain_total == pytest.approx(by_hand)
        assert r.estimate == pytest.approx(aid_total / by_hand)
        assert r.ci_low < r.estimate < r.ci_high
    gains = a.dose.set_index("option")["gain"]
    for r in a.projection.itertuples():
        expected = r.gp_contracts * sum(S.OPTION_SHARES_2021[o] * gains[o] for o in gains.index)
        assert r.estimate == pytest.approx(expected)
        assert r.ci_low < r.estimate < r.ci_high
    head = a.rows[(a.rows.outcome == "cost_per_patient") & a.rows.headline]
    assert len(head) == 1 and head.iloc[0].unit == "eur_per_patient_year" and head.iloc[0].subgroup == "all"
    proj = a.rows[a.rows.outcome == "national_projection"]
    assert set(proj.unit) == {"patients"} and proj.headline.sum() == 1
    # both readings of the « 500 000 » claim: 2,700 contracts signed (Jan. 2022) and the 4,000 planned (HCAAM 2022,
    # sources/004: « 2 700 postes … sur les 4 000 prévus »), GP contracts at the November 2021 share (79 %)
    p = a.projection.set_index("date")
    assert p.loc["2022-01", "contracts"] == S.policy.CLAIM_CONTRACTS == 2_700
    assert p.loc["2022-objectif", "contracts"] == S.policy.CLAIM_TARGET_CONTRACTS == 4_000
    assert p.loc["2022-objectif", "gp_contracts"] == round(4_000 * 0.79)
    assert {"date=2022-01", "date=2022-objectif"} <= set(proj.subgroup)
    assert a.texts["claim_per_contract"] == "185" and a.texts["claim_per_target_contract"] == "125"


def test_event_influence_reproduces_the_event_study_se(default_run):
    """The gains and their covariances rest on the engine's per-GP influence functions of ATT(e)."""
    _, a = default_run
    cs = a.cs["patients_mt"]
    tab = cs.dynamic.table.set_index("event_time")
    for e in (0, 2):
        v, psi = cs.event_influence([e])
        assert v == pytest.approx(tab.loc[e, "estimate"])
        assert math.sqrt((psi**2).sum()) == pytest.approx(tab.loc[e, "std_error"], rel=1e-6)


def test_option_covariances_align_gps(default_run):
    """Option fits share the never-signatories: their gains covary through the same GPs, matched by gp_id.

    (Matched by position in each fit's sample, as before the shared engine, the covariances paired different GPs: they
    came out negative, −0.16 and −1.88 instead of +1.83 and +1.92 on the bundled data.)
    """
    _, a = default_run
    df = S.prepare(sim_mod.simulate(seed=DEFAULT_SEED))
    never = set(df.loc[df.am_year.isna(), "gp_id"])
    psi = {o: a.by_option[o].event_influence([a.horizon])[1] for o in a.by_option}
    for o, p in psi.items():
        signed = set(df.loc[df.am_option == o, "gp_id"])
        assert set(p.index) <= signed | never and signed <= set(p.index)  # indexed by the GPs of the option's sample
    for o in ("half",):  # full time is compared with third time among underserved GPs only (dose_underserved)
        shared = psi[o].index.intersection(psi["third"].index)
        assert set(shared) <= never
        cov = float(psi[o][shared] @ psi["third"][shared])
        assert cov > 0
        d = a.dose.set_index("option").loc[o]
        var = float((psi[o] ** 2).sum() + (psi["third"] ** 2).sum() - 2 * cov)
        assert d.diff_third_se == pytest.approx(math.sqrt(var), rel=1e-12)


def test_rows_pass_the_contract(default_run):
    _, a = default_run
    out = check(a.rows)
    assert (out.n_units.dropna() >= 11).all()
    heads = out[out.headline]
    assert not heads.duplicated(["study", "outcome", "unit"]).any()
    assert set(heads.subgroup) == {"all"}
    assert {"option=third", "option=half", "option=full"} <= set(out.subgroup)


def test_texts_and_figures_build(default_run):
    _, a = default_run
    for key in ("att", "att_ci", "att_pct", "gain_h", "cost_all", "proj_2024_10", "desc_change48_pct"):
        assert a.texts[key] and "nan" not in a.texts[key]
    for fig in (a.figure_trends(), a.figure_event_study(), a.figure_dynamic_by_option(), a.figure_dose(),
                a.figure_cost(), a.figure_projection()):
        assert fig.png[:4] == b"\x89PNG" and fig.alt
    for tab in (a.table_aid(), a.table_estimators(), a.table_dose(), a.table_options_underserved(),
                a.table_targets(), a.table_cost(),
                a.table_projection(), a.table_honest(), a.table_published()):
        assert "<table" in tab._repr_html_()


def _notebook_glue_keys() -> set[str]:
    """Keys pasted in the chapter's Markdown cells, whatever the glue role (``{glue}`k```, ``{glue:md}`k```…)."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    md = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    return set(re.findall(r"\{glue(?::[a-z]+)?\}`([^`]+)`", md))


def test_glue_keys_match_notebook(default_run, other_run):
    used = _notebook_glue_keys()
    assert len(used) > 80  # the parser finds the chapter's keys
    for _, a in (default_run, other_run):
        produced = set(a.texts)
        assert used - produced == set(), "pasted in the chapter but not produced"
        assert produced - used == set(), "produced but never pasted in the chapter"
        assert all(v and "nan" not in v for k, v in a.texts.items())


def test_kind_reaches_rows_and_source_lines(default_run):
    """The data kind is passed in (never read by the analysis): rows' ``data`` column and the « Source » lines."""
    _, a = default_run
    assert set(a.rows["data"]) == {a.kind}
    user = S.AssistantsAnalysis(a.result, "user", S.rows.rows(a.result, "user"), a.texts)
    assert set(user.rows["data"]) == {"user"}
    pd.testing.assert_frame_equal(user.rows.drop(columns="data"), a.rows.drop(columns="data"))
    syn = S.AssistantsAnalysis(a.result, "synthetic", a.rows, a.texts)
    assert "synthétiques" in syn.figure_event_study().source and "synthétiques" in syn.table_published().title
    for shown in (user.figure_event_study(), user.table_cost(), user.table_published()):
        assert "synthétique" not in shown.source and "calculs evalkit" in shown.source
        assert shown.source.count("calculs evalkit") == 1
    pub = user.table_published()
    assert "synthétique" not in pub.title and not any("synthétique" in c for c in pub.df.columns)


def test_result_is_frozen_and_the_analysis_pure(default_run):
    _, a = default_run
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.result.horizon = 1
    # estimation, rows, texts and displays neither read the environment nor files: the caller passes seed, truth, kind
    pkg = Path(S.__file__).parent
    for mod in ("analysis", "rows", "texts", "display", "policy"):
        src = (pkg / f"{mod}.py").read_text(encoding="utf-8")
        assert not re.search(r"\bpaths\b|os\.environ|\bopen\(|read_csv|\bio\.load", src), mod
    assert "data_kind" in (pkg / "__init__.py").read_text(encoding="utf-8")


# --- other data --------------------------------------------------------------------------------------------------


def _analyse_ok(df: pd.DataFrame) -> S.AssistantsAnalysis:
    a = S.analyse(validate(df, "assistants"))
    check(a.rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the suppression notice
        shown = suppress_small(a.rows)
    assert (shown.n_units.dropna() >= 11).all()  # what record writes: no count under 11
    return a


def test_fewer_cohorts():
    df = sim_mod.simulate(seed=8, scale=0.7)
    df = df[~df["am_year"].isin([2019, 2022])].reset_index(drop=True)  # two cohorts left
    a = _analyse_ok(df)
    assert a.cohorts == [2020, 2021]
    assert a.horizon <= 3


def test_option_absent():
    df = sim_mod.simulate(seed=9, scale=0.7, option_shares={"third": 0.4, "half": 0.6, "full": 0.0})
    a = _analyse_ok(df)
    assert set(a.by_option) == {"third", "half"}
    assert "option=full" not in set(a.rows.subgroup)
    assert np.isfinite(a.projection["estimate"]).all()
    # the chapter's glue keys all exist without the option, those of full time « n.d. »
    assert set(a.texts) == set(S.KEYS)
    assert a.texts["full_gain"] == a.texts["u_full_diff"] == a.texts["cost_full"] == "n.d."
    assert a.texts["third_gain"] != "n.d." and a.texts["half_diff"] != "n.d."


def test_extra_year_and_other_cohorts():
    df = sim_mod.simulate(seed=10, scale=0.7, last_year=2024,
                          cohort_shares={2019: 0.2, 2020: 0.3, 2021: 0.3, 2023: 0.2})
    a = _analyse_ok(df)
    assert a.data_years == (2016, 2024)
    assert 2023 in a.cohorts


def test_too_few_signatories_is_refused():
    df = sim_mod.simulate(seed=1, scale=0.05, share_signing=0.01)
    with pytest.raises(ValueError, match="signatories"):
        S.analyse(validate(df, "assistants"))


@pytest.mark.slow
def test_coverage_over_seeds():
    """The headline CI covers the planted ATT in most seeds (95 % nominal)."""
    hits = 0
    for seed in range(12):
        sim = sim_mod.generate(seed=100 + seed)
        a = S.analyse(validate(sim.data, "assistants"))
        r = a.cs["patients_mt"].simple
        hits += r.ci_low <= sim.truth.att() <= r.ci_high
    assert hits >= 10
