"""Asalée: calibrated generator, planted-truth recovery, aggregation equivalence, robustness of the analysis.

Calibration targets (sources in comments) are checked on the default synthetic table; the planted effects are
recovered within the headline CIs, on the default design and on a design with OTHER effects and OTHER selection (the
acceptance test of issue 6); the GP-year aggregation gives the patient-level Callaway–Sant'Anna estimates where it
should; analyse() works on modified tables (fewer cohorts, no nurse follow-up, other years, no never-treated GP,
tiny samples) and its rows pass evalkit.results.check.
"""

from __future__ import annotations

import json
import re
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit import plots
from evalkit.contracts import DataError, validate
from evalkit.disclosure import MIN_CELL
from evalkit.results import check
from evalkit.simulate import DEFAULT_SEED
from evalkit.simulate import asalee as sim
from evalkit.studies import asalee as st

IND = list(sim.INDICATORS)

# Other planted effects and other selection (acceptance test): bigger and negative effects, zero effects, GPs
# selected on levels in both directions, followed patients selected *negatively* on their propensity, enrolment after
# a bad year (Ashenfelter's dip: biases the per-protocol DiD, not the ITT), other entry timing, steeper dose–response,
# spillover on non-followed patients and a higher share followed.
OTHER = dict(
    pp_effect=(20.0, 0.0, -5.0, 6.0, 10.0, 0.0),
    gp_selection_level=(10.0, -5.0, 3.0, 8.0, 6.0, -4.0),
    followed_selection=-0.3,
    dip_selection=1.0,
    entry_year_probs=(0.1, 0.2, 0.3, 0.4),
    intensity_slope=1.5,
    spillover=0.2,
    share_followed_mean=0.5,
)


def inside(lo: float, est_truth: float, hi: float) -> bool:
    return lo <= est_truth <= hi


@pytest.fixture(scope="module")
def default():
    """The chapter's data (default seed) analysed once."""
    df, truth = sim.simulate_with_truth(DEFAULT_SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the chapter must not show warnings: analyse() emits none
        a = st.analyse(validate(df, "asalee"), kind="synthetic")
    return df, truth, a


@pytest.fixture(scope="module")
def other():
    df, truth = sim.simulate_with_truth(11, **OTHER)
    return df, truth, st.analyse(df, kind="synthetic")


# --- generator: contract and calibration ------------------------------------------------------------------------


def test_contract_and_structure(default):
    df, truth, _ = default
    out = validate(df, "asalee")  # raises on any contract violation
    assert list(out.columns) == sim.COLUMNS
    assert out.groupby("gp_id")["asalee_year"].nunique(dropna=False).max() == 1
    post = out["asalee_year"].notna() & (out["year"] >= out["asalee_year"])
    assert out.loc[~post, "nurse_followed"].sum() == 0  # followed only in an Asalée GP, from its entry year
    # follow-up is absorbing while the patient is in the panel
    f = out.sort_values(["patient_id", "year"]).groupby("patient_id")["nurse_followed"].diff()
    assert (f.dropna() >= 0).all()
    assert set(out["sex"]) == {"F", "M"}
    assert set(out["year"]) == set(range(2010, 2018))
    assert sorted(out["asalee_year"].dropna().unique()) == [2012, 2013, 2014, 2015]  # QES 264: entry 2012–2015


def test_calibration_targets(default):
    df, truth, _ = default
    gps = df.drop_duplicates("gp_id")
    # QES 264 / Irdes Dec 2021: 435 Asalée GPs and 739 comparison GPs.
    assert gps["asalee_year"].notna().sum() == 435
    assert gps["asalee_year"].isna().sum() == 739
    # QES 264: 18,310 matched type 2 diabetics in the intention-to-treat analysis (±5 %).
    assert abs(df["patient_id"].nunique() / 18310 - 1) < 0.05
    # QES 264: 2,943 patients followed by an Asalée nurse in the per-protocol sample (±10 %).
    assert abs(df.loc[df["nurse_followed"] == 1, "patient_id"].nunique() / 2943 - 1) < 0.10
    # Santé publique France / Cnam, 2013 national rates: HbA1c ≥ 3 51 %, microalbuminuria 30 %, creatinine 84 %,
    # lipids 74 %, cardiology 35 % (fundus 60 %: assumption) — comparison GPs' patients, ± 2.5 pp.
    c13 = df[df["asalee_year"].isna() & (df["year"] == 2013)][IND].mean() * 100
    for ind, target in zip(IND, (51, 30, 84, 74, 35, 60)):
        assert abs(c13[ind] - target) < 2.5, (ind, c13[ind])
    # Santé publique France: HbA1c ≥ 3 from 51 % (2013) to 56 % (2019), +0.83 pp a year (± 0.5).
    c = df[df["asalee_year"].isna()]
    slope = (c[c.year == 2017]["hba1c_3plus"].mean() - c[c.year == 2010]["hba1c_3plus"].mean()) * 100 / 7
    assert abs(slope - 0.83) < 0.5
    # Irdes Dec 2021 (per protocol, HbA1c): followed patients start 41.0 − 32.6 = 8.4 pp above the controls in
    # 2010 (± 3.5 pp at this sample size).
    a = st.published_design(df, "hba1c_3plus")
    assert abs((a["pre_t"] - a["pre_c"]) - 8.4) < 3.5
    # Irdes Dec 2021: per-protocol DiD 2010–2017 +12.7 pp — within the reproduced 2×2's CI.
    assert a["ci_low"] <= 12.7 <= a["ci_high"]
    # The planted per-protocol effect is the published one: mean effect over followed patient-years ≈ 12.7.
    assert abs(truth.simple("pp")["hba1c_3plus"] - 12.7) < 0.6
    # QES 264: the ITT effect is smaller than the per-protocol one and grows with intensity.
    itt = truth.simple("itt")
    assert 0 < itt["hba1c_3plus"] < truth.simple("pp")["hba1c_3plus"] / 2
    gp = truth.gp[truth.gp["asalee_year"].notna()]
    terc = pd.qcut(gp["intensity"].rank(method="first"), 3, labels=["low", "mid", "high"])
    by = truth.by_intensity({lab: gp.loc[terc == lab, "gp_id"] for lab in ["low", "mid", "high"]})
    h = by[by.outcome == "hba1c_3plus"].set_index("group")["truth"]
    assert h["low"] < h["mid"] < h["high"]


def test_parallel_trends_exact_without_effect():
    """No effect planted → every planted delta is exactly 0 and the counterfactual is never clipped."""
    df, truth = sim.simulate_with_truth(3, scale=0.3, pp_effect=0.0)
    d = truth.itt_cells[[f"delta_{i}" for i in IND]].to_numpy()
    assert np.abs(d).max() == 0.0


def test_overrides_and_errors():
    p = sim.params(pp_effect={"hba1c_3plus": 5.0}, trend=0.0)
    assert p.pp_effect[0] == 5.0 and p.pp_effect[1] == sim.DEFAULT.pp_effect[1]
    assert p.trend == (0.0,) * 6
    with pytest.raises(TypeError):
        sim.params(not_a_parameter=1)
    with pytest.raises(ValueError):
        sim.simulate(0, scale=0.1, pp_effect=90.0)  # no room within [0, 100] %
    a = sim.simulate(5, scale=0.1)
    b = sim.simulate(5, scale=0.1)
    pd.testing.assert_frame_equal(a, b)  # seeded
    assert isinstance(a.attrs["truth"], sim.Truth)


# --- planted effects recovered -----------------------------------------------------------------------------------


def test_headline_recovers_planted_itt(default):
    _, truth, a = default
    t = truth.simple("itt")
    for r in a.itt.itertuples():
        assert inside(r.ci_low, t[r.outcome], r.ci_high), (r.outcome, r.ci_low, t[r.outcome], r.ci_high)
    head = a.rows[a.rows["headline"]]
    assert sorted(head["outcome"]) == sorted(IND)
    assert (head["estimator"] == "cs_simple").all() and (head["unit"] == "pp").all()
    assert (head["subgroup"] == "all").all()


def test_per_protocol_and_dose_recovered(default):
    _, truth, a = default
    tp = truth.simple("pp")
    pp = a.per_protocol.set_index("outcome")
    assert inside(pp.loc["hba1c_3plus", "ci_low"], tp["hba1c_3plus"], pp.loc["hba1c_3plus", "ci_high"])
    for ind in IND:  # ± 3 SE for all six
        assert abs(pp.loc[ind, "estimate"] - tp[ind]) < 3 * pp.loc[ind, "std_error"], ind
    # dose–response: each intensity group's planted ITT inside its CI (HbA1c); estimates increase with intensity
    groups = st.intensity_groups(a.intensity)
    d = a.dose[a.dose.outcome == "hba1c_3plus"].set_index("group")
    for lab in ("low", "mid", "high"):
        t = truth.simple("itt", gps=groups.index[groups == lab])["hba1c_3plus"]
        assert inside(d.loc[lab, "ci_low"], t, d.loc[lab, "ci_high"]), lab
    assert d.loc["low", "estimate"] < d.loc["high", "estimate"]
    # event study: post-entry effects cover the planted ones (± 3 SE), pre-entry ones are 0 within ± 3 SE
    te = truth.event_time("itt", "hba1c_3plus")
    ev = a.event_hba1c.set_index("event_time")
    for e, r in ev[~ev["reference"]].iterrows():
        assert abs(r["estimate"] - te.get(e, 0.0)) < 3 * r["std_error"], e
    assert ev.loc[ev["reference"], "estimate"].eq(0).all()  # the base year (universal base period)
    assert a.pretest_p > 0.01


def test_naive_far_from_truth_when_selection_planted(default):
    _, truth, a = default
    # Asalée GPs' patients start higher (selection on levels): the naive cross-section overstates the effect.
    nv = a.naive.set_index("outcome")["estimate"]
    assert nv["hba1c_3plus"] - truth.simple("itt")["hba1c_3plus"] > 2.0


def test_other_effects_and_selection_acceptance(other):
    """Issue 6 acceptance: with other planted effects and other selection, the six headline CIs contain the truth."""
    df, truth, a = other
    t = truth.simple("itt")
    head = a.rows[a.rows["headline"]].set_index("outcome")
    assert len(head) == 6
    for ind in IND:
        assert inside(head.loc[ind, "ci_low"], t[ind], head.loc[ind, "ci_high"]), (ind, t[ind])
    # zero effects are not found significant where none was planted (microalb, fundus): CI contains 0
    for ind in ("microalb", "fundus_2y"):
        assert head.loc[ind, "ci_low"] <= 0 <= head.loc[ind, "ci_high"]
    # selection on levels planted in both directions → the naive gap is far from the truth
    nv = a.naive.set_index("outcome")["estimate"]
    assert abs(nv["hba1c_3plus"] - t["hba1c_3plus"]) > 4
    assert abs(nv["microalb"] - t["microalb"]) > 3
    # enrolment after a bad year (dip) → the per-protocol DiD overstates the effect on the followed, the ITT does not
    pp = a.per_protocol.set_index("outcome").loc["hba1c_3plus"]
    assert pp["estimate"] - truth.simple("pp")["hba1c_3plus"] > 3 * pp["std_error"]


# --- effect on followed patients (Wald DiD), selection diagnostic, dose–response, multiplicity ---------------------

#: Selection on a bad year (Ashenfelter's dip), nothing else changed: the per-protocol DiD is badly biased.
DIP = dict(dip_selection=1.0)
#: A design where the effect on followed patients is the same at every intensity (slope 0) or grows steeply with it
#: (slope 1.5); HbA1c effect 20 pp and half the diabetics followed on average, so that terciles have a usable first
#: stage.
DOSE = dict(share_followed_mean=0.5, pp_effect={"hba1c_3plus": 20.0})


def _gp_fits(df: pd.DataFrame, ind: str = "hba1c_3plus"):
    """ITT and first-stage CS fits on the GP panel (as analyse() does), and the Wald DiD."""
    from evalkit.estimators import wald_did

    sample = st.cs_sample(st.aggregate_gp_year(df))
    _, itt, _ = st.fit_cs(sample, ind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the first stage's pre-test is singular (nobody followed before entry)
        _, fs, _ = st.fit_cs(sample, "pct_followed")
    return itt, fs, wald_did(itt, fs, scale=100.0)


def test_wald_recovers_effect_on_followed_default(default):
    """Default design: the Wald DiD (ITT ÷ first stage) covers the planted effect on followed patients (HbA1c in its
    95 % CI, all six within 3 SE); the first stage covers the planted share followed; per protocol − Wald ≈ 0."""
    _, truth, a = default
    pf = truth.per_followed()
    w = a.wald.set_index("outcome")
    assert inside(w.loc["hba1c_3plus", "ci_low"], pf["hba1c_3plus"], w.loc["hba1c_3plus", "ci_high"])
    for ind in IND:
        assert abs(w.loc[ind, "estimate"] - pf[ind]) < 3 * w.loc[ind, "std_error"], ind
    fs = a.first_stage
    assert abs(fs.estimate - truth.first_stage()) < 3 * fs.std_error
    # without spillover, the Wald estimand is exactly the planted effect on the followed
    ratio = truth.simple("itt")["hba1c_3plus"] / truth.first_stage() * 100
    assert abs(ratio - pf["hba1c_3plus"]) < 1e-9
    gap = a.selection.set_index("outcome").loc["hba1c_3plus"]
    assert abs(gap["estimate"]) < 3 * gap["std_error"]
    rows = a.rows.set_index(["estimator", "subgroup", "outcome"])
    assert ("wald_did", "all", "hba1c_3plus") in rows.index
    assert ("per_protocol_minus_wald", "all", "hba1c_3plus") in rows.index
    assert ("cs_simple_first_stage", "all", "pct_followed") in rows.index


def test_wald_recovers_effect_on_followed_under_dip_selection():
    """Enrolment after a bad year (dip): the per-protocol CS is far above the planted effect on followed patients,
    the Wald DiD covers it, and per protocol − Wald (joint influence functions, by GP) flags the selection."""
    df, truth = sim.simulate_with_truth(21, **DIP)
    pf = truth.per_followed()["hba1c_3plus"]
    _, _, w = _gp_fits(df)
    assert inside(w.estimate.ci_low, pf, w.estimate.ci_high), (w.estimate, pf)
    cells, _ = st.per_protocol_panel(df, ["hba1c_3plus"])
    _, pp, _ = st.fit_cs(st.cs_sample(cells, unit="cell", cohort="first_followed"), "hba1c_3plus", cluster="gp_id")
    assert pp.simple.estimate - pf > 10 * pp.simple.std_error  # badly biased (≈ +60 pp for a planted ≈ 13)
    from evalkit.estimators.joint import difference, estimate, simple_influence

    gap = estimate(*difference(*simple_influence(pp), w.estimate.estimate, w.influence), "gap")
    assert gap.ci_low > 0


def test_wald_with_spillover_and_selection_sentence(other):
    """OTHER (dip selection and a spillover on non-followed patients): the Wald DiD estimates ITT ÷ first stage —
    which then also counts the spillover, as the chapter states — and the page flags the per-protocol excess."""
    _, truth, a = other
    w = a.wald.set_index("outcome").loc["hba1c_3plus"]
    estimand = truth.simple("itt")["hba1c_3plus"] / truth.first_stage() * 100
    assert inside(w["ci_low"], estimand, w["ci_high"])
    assert estimand > truth.per_followed()["hba1c_3plus"]  # the spillover is counted in the ratio
    assert "dépasse significativement" in a.texts["selection_sentence"]


def test_published_2x2_clustered_by_gp():
    """The published-design 2×2 is clustered by GP: its SE is the CR1 sandwich over GPs (hand computation,
    G/(G−1)·(n−1)/(n−K) as linearmodels), not the patient-clustered one."""
    from evalkit.estimators import did_2x2

    df, _ = sim.simulate_with_truth(3, scale=0.3)
    q = st.published_design(df, "hba1c_3plus")
    y0, y1 = q["year0"], q["year1"]
    d = df[df.year.isin([y0, y1])]
    both = d.groupby("patient_id")["year"].nunique()
    d = d[d.patient_id.isin(both.index[both == 2])]
    fol = set(d.loc[(d.year == y1) & (d.nurse_followed == 1), "patient_id"])
    d = d[d.patient_id.isin(fol) | d.asalee_year.isna()]
    d = d.assign(T=d.patient_id.isin(fol).astype(float), P=(d.year == y1).astype(float), y=d["hba1c_3plus"] * 100.0)
    X = np.column_stack([np.ones(len(d)), d["T"], d["P"], d["T"] * d["P"]])
    yv = d["y"].to_numpy()
    b = np.linalg.lstsq(X, yv, rcond=None)[0]
    u = yv - X @ b
    codes = pd.factorize(d["gp_id"])[0]
    scores = np.zeros((codes.max() + 1, 4))
    np.add.at(scores, codes, X * u[:, None])
    bread = np.linalg.inv(X.T @ X)
    g, n = len(scores), len(yv)
    v = bread @ scores.T @ scores @ bread * g / (g - 1) * (n - 1) / (n - 4)
    assert abs(q["estimate"] - b[3]) < 1e-9
    assert abs(q["std_error"] / np.sqrt(v[3, 3]) - 1) < 1e-9
    by_patient = did_2x2(d, "y", "patient_id", "year", "T", "P")
    assert abs(by_patient.std_error / q["std_error"] - 1) > 1e-3


def _dose_verdict(seed: int, **kw) -> tuple[str, pd.DataFrame]:
    df, _ = sim.simulate_with_truth(seed, **DOSE, **kw)
    gp = st.aggregate_gp_year(df)
    inten = st.gp_intensity(df)
    dose, _, inf = st.dose_response(gp, inten, st.intensity_groups(inten), ["hba1c_3plus"], "never_treated",
                                    "weight", [])
    test = st.dose_equality(dose, inf).iloc[0]
    verdict = "equal" if test["p_value"] >= 0.05 else ("up" if test["increasing"] else "differs")
    return verdict, dose.sort_values("intensity_mean")


def test_dose_response_no_growth_when_effects_equal():
    """Same effect for every followed patient (slope 0): the page says « croît » in at most 1 of 6 seeded draws
    (seeds 300–305; nominal rate ≤ 5 %), while the undivided ITT rises with the share followed in most of them."""
    verdicts, itt_rises = [], 0
    for seed in range(300, 306):
        v, d = _dose_verdict(seed, intensity_slope=0.0)
        verdicts.append(v)
        itt_rises += d["estimate"].iloc[-1] > d["estimate"].iloc[0]
    assert verdicts.count("up") <= 1, verdicts
    assert itt_rises >= 5  # the mechanical gradient the division by each group's first stage removes


def test_dose_response_gradient_detected():
    """Effect on followed patients growing steeply with intensity (slope 1.5): « croît » in at least 5 of 6 seeded
    draws (seeds 300–305)."""
    verdicts = [_dose_verdict(seed, intensity_slope=1.5)[0] for seed in range(300, 306)]
    assert verdicts.count("up") >= 5, verdicts


def test_multiplicity_in_the_chapter(default):
    """Holm and Romano–Wolf adjusted p-values of the six ITT effects, stored as rows; « k des six » counts the
    Romano–Wolf ones."""
    from evalkit.estimators import holm

    _, _, a = default
    itt = a.itt.set_index("outcome")
    np.testing.assert_allclose(itt["p_holm"], holm(itt["p_value"].to_numpy()))
    assert (itt["p_romano_wolf"] >= itt["p_value"] - 0.01).all() and (itt["p_romano_wolf"] <= 1).all()
    assert (itt["p_romano_wolf"] <= itt["p_holm"] + 0.02).all()  # never much more conservative than Holm
    rows = a.rows
    for est in ("cs_simple_p_holm", "cs_simple_p_romano_wolf"):
        r = rows[rows.estimator == est]
        assert sorted(r.outcome) == sorted(IND) and (r.unit == "p_value").all()
    n_up = int(((itt["p_romano_wolf"] < 0.05) & (itt["estimate"] > 0)).sum())
    words = {0: "aucun", 1: "un", 2: "deux", 3: "trois", 4: "quatre", 5: "cinq", 6: "six"}
    assert a.texts["itt_others"].startswith(f"{words[n_up]} des six indicateurs")


# --- aggregation equals the patient-level fit ---------------------------------------------------------------------


def _patient_cs(d: pd.DataFrame, outcome: str, cohort: str):
    from diff_diff import CallawaySantAnna

    d = d.assign(_y=d[outcome] * 100.0, _ft=d[cohort].fillna(0).astype(int))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CallawaySantAnna(estimation_method="reg", cband=False, cluster="gp_id").fit(
            d, "_y", "patient_id", "year", "_ft")


def test_aggregation_equals_patient_level_itt():
    """Closed cohort (every patient observed every year), no covariates: CS on GP-year shares weighted by the
    GP's patient count = CS on the patient panel — every ATT(g,t), the simple and event-study aggregates, to machine
    precision; clustered SEs equal up to the small-sample factor (< 1 %)."""
    df, _ = sim.simulate_with_truth(2, scale=0.3, exit_rate=0.0, prevalent_share=1.0)
    gp = st.aggregate_gp_year(df)
    agg, cs, _ = st.fit_cs(st.cs_sample(gp), "hba1c_3plus")
    pat = _patient_cs(df, "hba1c_3plus", "asalee_year")
    a_gt = {k: v["effect"] for k, v in cs.raw.group_time_effects.items()}
    p_gt = {k: v["effect"] for k, v in pat.group_time_effects.items()}
    assert a_gt.keys() == p_gt.keys()
    assert max(abs(a_gt[k] - p_gt[k]) for k in a_gt) < 1e-9
    ps = pat.aggregate("simple").to_dataframe().iloc[0]
    assert abs(agg.simple.estimate - ps["att"]) < 1e-9
    assert abs(agg.simple.std_error / ps["se"] - 1) < 0.01
    pe = pat.aggregate("event_study").to_dataframe().set_index("event_time")
    for r in agg.event.itertuples():
        assert abs(r.estimate - pe.loc[r.event_time, "att"]) < 1e-9
        assert abs(r.std_error / pe.loc[r.event_time, "se"] - 1) < 0.01
    # unweighted GP means would NOT equal the patient-level estimate (GPs differ in size and effect)
    unw, _, _ = st.fit_cs(st.cs_sample(gp, weight=None), "hba1c_3plus")
    assert abs(unw.simple.estimate - ps["att"]) > 1e-6


def test_aggregation_equals_patient_level_per_protocol():
    """Per protocol: CS on GP × first-followed-year cells (weights = patients, PSU = GP) = patient-level CS on the
    closed cohort with SEs clustered by GP."""
    df, _ = sim.simulate_with_truth(4, scale=0.3)
    cells, counts = st.per_protocol_panel(df)
    agg, _, _ = st.fit_cs(st.cs_sample(cells, unit="cell", cohort="first_followed"), "hba1c_3plus", cluster="gp_id")
    years = df["year"].nunique()
    n = df.groupby("patient_id")["year"].nunique()
    d = df[df["patient_id"].isin(n.index[n == years])]
    first = d.loc[d.nurse_followed == 1].groupby("patient_id")["year"].min()
    d = d.assign(ff=d["patient_id"].map(first))
    d = d[d["ff"].notna() | d["asalee_year"].isna()]
    assert d["patient_id"].nunique() == counts["patients_followed"] + counts["patients_control"]
    pat = _patient_cs(d, "hba1c_3plus", "ff")
    ps = pat.aggregate("simple").to_dataframe().iloc[0]
    assert abs(agg.simple.estimate - ps["att"]) < 1e-9
    assert abs(agg.simple.std_error / ps["se"] - 1) < 0.01


def test_aggregation_2x2_open_cohort():
    """Open cohort (entries, exits): the patient-level 2×2 DiD equals the 2×2 of GP-year shares weighted by the
    GP-year patient counts — exactly (the TWFE/2×2 equivalence that holds with time-varying composition)."""
    from evalkit.estimators import did_2x2

    df, _ = sim.simulate_with_truth(6, scale=0.3, entry_year_probs=(1.0, 0.0, 0.0, 0.0))
    d = df.assign(T=df["asalee_year"].notna().astype(int), P=(df["year"] >= 2012).astype(int),
                  y=df["hba1c_3plus"] * 100.0)
    pat = did_2x2(d, "y", "patient_id", "year", "T", "P")
    gp = st.aggregate_gp_year(df).assign(T=lambda x: x["asalee_year"].notna(), P=lambda x: x["year"] >= 2012)
    m = gp.groupby(["T", "P"]).apply(lambda x: np.average(x["hba1c_3plus"], weights=x["n_patients"]),
                                     include_groups=False)
    did = (m[(True, True)] - m[(True, False)]) - (m[(False, True)] - m[(False, False)])
    assert abs(pat.estimate - did) < 1e-9


# --- the notebook's glue keys -------------------------------------------------------------------------------------

NOTEBOOK = Path(__file__).resolve().parents[1] / "chapters" / "asalee.ipynb"


def notebook_glue_keys() -> set[str]:
    """Keys pasted by the chapter's markdown cells: ``{glue}`k```, ``{glue:text}`k```, ``{glue:md}`k```…"""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    md = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return set(re.findall(r"\{glue(?::\w+)?\}`([^`]+)`", md))


def test_glue_keys_match_notebook(default):
    """Every key the notebook pastes is produced, and no key is produced that the notebook does not paste (here on
    the chapter's data; on the other data variants in _check_analysis, where other branches of the texts run)."""
    _, _, a = default
    used = notebook_glue_keys()
    assert len(used) > 20  # the parser finds the prose's keys (guards against a silently empty set)
    assert set(a.texts) == used, (sorted(used - set(a.texts)), sorted(set(a.texts) - used))


# --- analyse() on modified data ------------------------------------------------------------------------------------


def _check_analysis(a: st.AsaleeAnalysis, figures: bool = True) -> None:
    rows = check(a.rows)
    assert (rows["n_units"].dropna() >= MIN_CELL).all()
    head = rows[rows["headline"]]
    assert np.isfinite(head[["estimate", "ci_low", "ci_high"]].to_numpy()).all()
    builders = (a.table_programme, a.table_sample, a.table_itt, a.table_per_protocol, a.table_dose, a.table_honest,
                a.table_published, a.table_robustness)
    if figures:  # rendering PNGs is the slow part: done where the data shape changes what is drawn
        builders += (a.figure_trends, a.figure_forest, a.figure_event_study, a.figure_dose)
    for build in builders:
        out = build()
        assert isinstance(out, (plots.Figure, plots.Table))
        assert out.title
        if isinstance(out, plots.Figure):
            assert out.alt and out.champ and out.source
        else:
            out._repr_html_()
    for k, v in a.texts.items():
        assert isinstance(v, str) and v, k
    assert set(a.texts) == notebook_glue_keys()


def test_analyse_fewer_cohorts():
    df, _ = sim.simulate_with_truth(7, scale=0.5)
    d = df[~df["asalee_year"].isin([2014, 2015])]
    a = st.analyse(d, kind="synthetic")
    assert a.cohorts == [2012, 2013]
    _check_analysis(a)


def test_analyse_other_years_and_extra_year():
    df, truth = sim.simulate_with_truth(8, scale=0.5, first_year=2011, last_year=2018,
                                        entry_years=(2013, 2014, 2016))
    a = st.analyse(validate(df, "asalee"), kind="synthetic")
    assert a.years == list(range(2011, 2019)) and a.cohorts == [2013, 2014, 2016]
    _check_analysis(a, figures=False)
    t = truth.simple("itt")["hba1c_3plus"]
    r = a.itt.set_index("outcome").loc["hba1c_3plus"]
    assert abs(r["estimate"] - t) < 3 * r["std_error"]


def test_analyse_without_nurse_follow_up():
    df, _ = sim.simulate_with_truth(7, scale=0.4)
    d = df.assign(nurse_followed=0)  # an extract without the follow-up flag: ITT only
    a = st.analyse(d, kind="synthetic")
    assert a.per_protocol.empty and a.dose.empty and a.pp_2x2 is None
    assert not (a.rows["estimator"] == "cs_simple_per_protocol").any()
    _check_analysis(a)


def test_analyse_without_never_treated():
    df, _ = sim.simulate_with_truth(9, scale=0.5, n_gps_control=0)
    a = st.analyse(df, kind="synthetic")
    assert a.settings["control_group"] == "not_yet_treated"
    assert any("not yet" in n for n in a.notes)
    check(a.rows)


def test_analyse_small_sample_suppression():
    df, _ = sim.simulate_with_truth(10, scale=0.05)  # ≈ 22 Asalée GPs, 37 comparison GPs
    a = st.analyse(df, kind="synthetic")
    _check_analysis(a, figures=False)
    # 22 Asalée GPs → two intensity groups (11 each), never three groups of fewer than 11
    assert set(a.dose["group"]) <= {"low", "high"}
    # a cohort of fewer than 11 GPs is masked in the sample table
    shown = a.table_sample().formatted()
    small = a.sample["n_gps"] < MIN_CELL
    if small.any():
        assert (shown.loc[small, "Médecins"] == "< 11").all()


def test_analyse_from_french_csv(tmp_path):
    from evalkit.io import load

    df, _ = sim.simulate_with_truth(12, scale=0.2)
    df["age"] = df["age"] + 0.5
    df.to_csv(tmp_path / "asalee.csv", sep=";", decimal=",", index=False)
    d = load("asalee", tmp_path)
    a = st.analyse(d, kind="user")
    assert (a.rows["data"] == "user").all()
    check(a.rows)


def test_analyse_rejects_nothing_silently():
    df, _ = sim.simulate_with_truth(13, scale=0.1)
    bad = df.copy()
    bad.loc[bad.index[:3], "nurse_followed"] = 1
    bad.loc[bad.index[:3], "asalee_year"] = pd.NA
    with pytest.raises(DataError):
        validate(bad, "asalee")


# --- scale ----------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_national_scale():
    """scale=50 → millions of patient-years, generated and aggregated quickly (vectorised numpy)."""
    t0 = time.perf_counter()
    df, _ = sim.simulate_with_truth(1, scale=50)
    t1 = time.perf_counter()
    gp = st.aggregate_gp_year(df)
    t2 = time.perf_counter()
    assert len(df) > 5_000_000
    assert t1 - t0 < 120 and t2 - t1 < 30
    fit, _, _ = st.fit_cs(st.cs_sample(gp), "hba1c_3plus")
    assert fit.simple.std_error < 0.2


@pytest.mark.slow
def test_coverage_over_seeds():
    """95 % CIs of the six headline estimates cover the planted ITT in ≥ 85 % of 40 seeded draws each."""
    hits = np.zeros(6)
    n = 40
    for seed in range(n):
        df, truth = sim.simulate_with_truth(1000 + seed, scale=0.5, **(OTHER if seed % 2 else {}))
        gp = st.cs_sample(st.aggregate_gp_year(df))
        t = truth.simple("itt")
        for j, ind in enumerate(IND):
            f, _, _ = st.fit_cs(gp, ind)
            hits[j] += f.simple.ci_low <= t[ind] <= f.simple.ci_high
    assert (hits / n >= 0.85).all(), hits / n
