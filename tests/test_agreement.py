"""Estimator agreement panel (evalkit.estimators.agreement) on seeded known-truth panels (evalkit.simulate.panels).

(a) constant effect, staggered entry: every estimator, static TWFE included, within 3 SE of the truth;
(b) effects growing with time since entry (and a larger first cohort effect): static TWFE far off the truth, the
    heterogeneity-robust estimators on it;
(c) real-extract shapes: string ids with leading zeros, an unbalanced panel, unit weights;
(d) a failing estimator is recorded, not raised; the French sentence flags gaps of more than 2 headline SEs.
"""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sim_panels import staggered_panel, truth_simple

from evalkit import results
from evalkit.estimators import agreement as ag
from evalkit.estimators import callaway_santanna
from evalkit.estimators.base import Estimate
from evalkit.studies import agreement as ag_fr

Z_TOL = 3.0  # |estimate − truth| ≤ 3 SE: a seeded draw fails by chance about 3 times in 1,000 per estimator


@pytest.fixture(scope="module")
def constant():
    df = staggered_panel(tau=2.0, seed=11)  # seed 11, effect 2 in every treated year, cohorts 2012/2014/2016
    cs = callaway_santanna(df, "y", "unit", "year", "cohort")
    return df, ag.agreement(df, "y", "unit", "year", "cohort", headline=cs.simple)


@pytest.fixture(scope="module")
def dynamic():
    # seed 7: effect 1 + 1 per year since entry, +2 for the 2012 cohort — TWFE's negative weights bite
    df = staggered_panel(tau=1.0, growth=1.0, shift={2012: 2.0}, seed=7)
    cs = callaway_santanna(df, "y", "unit", "year", "cohort")
    return df, ag.agreement(df, "y", "unit", "year", "cohort", headline=cs.simple)


def test_a_constant_effect_every_estimator_within_3_se(constant):
    df, panel = constant
    truth = truth_simple(df)
    assert truth == pytest.approx(2.0)
    t = panel.table().set_index("estimator")
    assert list(t.index) == ["cs_simple", *ag.ALL] and (t["status"] == "ok").all()
    z = (t["estimate"] - truth) / t["std_error"]
    assert (z.abs() <= Z_TOL).all(), z.to_dict()
    assert (t["std_error"] < 0.15).all() and (t["std_error"] > 0.02).all()
    assert (t["n_units"] == 600).all() and (t["n_obs"] == 6000).all()
    # same point estimate, different variance: imputation and two-stage (Gardner) are one estimator
    assert t.loc["two_stage_gardner", "estimate"] == pytest.approx(t.loc["imputation_bjs", "estimate"], abs=1e-8)
    assert panel.flagged() == {}


def test_b_dynamic_effects_twfe_off_robust_on(dynamic):
    df, panel = dynamic
    truth = truth_simple(df)
    t = panel.table().set_index("estimator")
    for name in ag.ROBUST:
        z = (t.loc[name, "estimate"] - truth) / t.loc[name, "std_error"]
        assert abs(z) <= Z_TOL, (name, t.loc[name, "estimate"], truth)
    tw = panel["twfe"].estimate
    assert (tw.estimate - truth) / tw.std_error < -10  # far below the ATT, not a matter of noise
    assert tw.ci_high < truth
    assert set(panel.flagged()) == {"twfe"}  # only TWFE is more than 2 headline SEs from CS
    assert panel.flagged(include_twfe=False) == {}


def test_c_string_ids_with_leading_zeros_and_unbalanced_panel():
    df = staggered_panel(tau=2.0, seed=3)  # seed 3, constant effect 2
    ref = ag.agreement(df, "y", "unit", "year", "cohort")
    d = df.assign(unit=df["unit"].map(lambda u: f"{u:06d}"))  # "000012": must stay a string id, not 12
    d["cohort"] = d["cohort"].astype("Int64")  # nullable cohort, as evalkit.io.load returns it
    same = ag.agreement(d, "y", "unit", "year", "cohort")
    for name in ag.ALL:
        assert same.estimate(name).estimate == pytest.approx(ref.estimate(name).estimate, rel=1e-9), name
    # unbalanced careers and a missing outcome: units not observed every year are set aside, as CS does
    rng = np.random.default_rng(3)
    gone = rng.choice(d.index, size=150, replace=False)
    holes = d.drop(index=gone[:100])
    holes.loc[gone[100:], "y"] = np.nan
    n_kept = int((holes.dropna(subset=["y"]).groupby("unit")["year"].nunique() == 10).sum())
    panel = ag.agreement(holes, "y", "unit", "year", "cohort", headline=Estimate.from_se("cs_simple", 2.0, 0.1))
    assert panel.failed == {} and panel.n_units == n_kept < 600
    assert any("unbalanced panel" in n for n in panel.notes)
    for name in ag.ALL:
        e = panel.estimate(name)
        assert abs(e.estimate - 2.0) <= Z_TOL * e.std_error, name
    rows = results.check(panel.to_rows("msp", "patients", data="synthetic"))
    assert list(rows["estimator"]) == list(ag.ROBUST)  # TWFE skipped by default (the studies write it already)
    assert (rows["n_units"] == n_kept).all() and not rows["headline"].any()


def test_c_unit_weights_change_the_estimates_not_the_truth():
    df = staggered_panel(tau=2.0, seed=5)  # seed 5, constant effect 2: any weighting targets 2
    w = 1.0 + (df["unit"] % 4)
    panel = ag.agreement(df.assign(w=w), "y", "unit", "year", "cohort", weights="w")
    plain = ag.agreement(df, "y", "unit", "year", "cohort")
    for name in ag.ALL:
        e = panel.estimate(name)
        assert abs(e.estimate - 2.0) <= Z_TOL * e.std_error, name
        if name == "dcdh":  # diff-diff weights within (unit, year) cells only: every unit counts once (noted)
            assert e.estimate == pytest.approx(plain.estimate(name).estimate, rel=1e-12)
            assert any(n.startswith("dcdh: diff-diff applies the weights") for n in panel.notes)
        else:
            assert e.estimate != pytest.approx(plain.estimate(name).estimate, abs=1e-6), name  # the weights are used


def test_d_a_failing_estimator_is_recorded(constant, monkeypatch):
    df, _ = constant

    def broken(*args, **kwargs):
        raise np.linalg.LinAlgError("singular matrix")

    monkeypatch.setitem(ag._FITTERS, "sun_abraham", broken)
    panel = ag.agreement(df, "y", "unit", "year", "cohort", estimators=("sun_abraham", "imputation_bjs"),
                         headline=Estimate.from_se("cs_simple", 2.0, 0.08))
    assert panel.failed == {"sun_abraham": "LinAlgError: singular matrix"}
    assert panel["imputation_bjs"].ok and panel.estimate("sun_abraham") is None
    assert [r["estimator"] for r in panel.to_rows("msp", "patients")] == ["imputation_bjs"]
    t = panel.table().set_index("estimator")
    assert t.loc["sun_abraham", "status"] == "failed" and "singular" in t.loc["sun_abraham", "reason"]
    assert "Sun et Abraham n'a pas pu être calculé pour la patientèle" in \
        ag_fr.sentence({"y": panel}, {"y": "la patientèle"})
    with pytest.raises(ValueError, match="unknown estimators"):
        ag.agreement(df, "y", "unit", "year", "cohort", estimators=("cs",))


def test_d_sentence_flags_gaps_beyond_two_headline_ses(constant):
    _, panel = constant
    h = panel.headline
    assert "à moins de deux erreurs-types" in ag_fr.sentence({"y": panel}, {"y": "la patientèle"})
    # the same panel against a headline 5 SEs (of the headline) higher: every estimator is flagged
    shifted = dataclasses.replace(panel, headline=Estimate.from_se("cs_simple", h.estimate + 5 * h.std_error,
                                                                    h.std_error))
    gaps = shifted.flagged()
    assert set(gaps) == set(ag.ALL) and all(g < -2 for g in gaps.values())
    text = ag_fr.sentence({"y": shifted}, {"y": "la patientèle"})
    assert text.startswith("S'écartent de l'estimation retenue de plus de deux fois son erreur-type : Sun et Abraham")
    assert "Les autres" not in text and "Le TWFE statique s'en écarte" in text
    fig = ag_fr.figure(panel, outcome_fr="patientèle", xlabel="Effet (patients)", champ="c", source="s", name="t")
    assert "moins de deux erreurs-types" in fig.title and fig.alt.count(" ; ") == len(ag.ALL)


def test_e_conditional_parallel_trends_with_covariates():
    """Trends rise with a baseline covariate x that also drives entry (seed 13, effect 2): without x every estimator
    is biased; with x (covariate × year terms, Wooldridge's own covariate terms) the robust ones recover the effect."""
    df = staggered_panel(tau=2.0, x_trend=0.3, seed=13)
    blind = ag.agreement(df, "y", "unit", "year", "cohort", estimators=ag.ROBUST)
    aware = ag.agreement(df, "y", "unit", "year", "cohort", estimators=ag.ROBUST, covariates=["x"])
    assert aware.settings["covariates"] == ("x",) and aware.failed == {}
    for name in ag.ROBUST:
        b, a = blind.estimate(name), aware.estimate(name)
        assert (b.estimate - 2.0) / b.std_error > 3, name  # units with a high x enter and trend up
        assert abs(a.estimate - 2.0) <= Z_TOL * a.std_error, (name, a.estimate)


def test_f_costly_estimators_skipped_above_max_units(constant, monkeypatch):
    df, full = constant  # 600 units
    monkeypatch.delenv(ag.ENV_FULL, raising=False)
    h = full.headline
    small = ag.agreement(df, "y", "unit", "year", "cohort", headline=h, max_units=500)
    assert set(small.skipped) == set(ag.COSTLY) and small.failed == {}
    assert "600 units > 500" in small.skipped["dcdh"]
    t = small.table().set_index("estimator")
    assert (t.loc[list(ag.COSTLY), "status"] == "skipped").all()
    assert (t.drop(list(ag.COSTLY))["status"] == "ok").all()
    # the others are the same numbers as in the full panel; no results row for what was not computed
    for name in ("sun_abraham", "imputation_bjs", "twfe"):
        assert small[name].estimate.estimate == full[name].estimate.estimate
    assert not {r["estimator"] for r in small.to_rows("msp", "patients")} & set(ag.COSTLY)
    text = ag_fr.sentence({"y": small}, {"y": "la patientèle"})
    assert "Trois estimateurs ne sont pas calculés sur un échantillon de cette taille (600 unités)" in text
    assert "carré du nombre d'unités" in text and "cellule cohorte × année" in text
    assert "`--full-panel`" in text and "n'a pas pu être calculé" not in text  # code: no smart dash
    # "auto": the default threshold (above 600), or none at all when evalkit run --full-panel sets the variable
    assert ag.MAX_UNITS > 600 and ag.agreement(df, "y", "unit", "year", "cohort",
                                               estimators=("dcdh",), max_units="auto")["dcdh"].ok
    monkeypatch.setattr(ag, "MAX_UNITS", 500)
    assert ag.agreement(df, "y", "unit", "year", "cohort", estimators=("dcdh",))["dcdh"].skipped
    monkeypatch.setenv(ag.ENV_FULL, "1")
    assert ag.agreement(df, "y", "unit", "year", "cohort", estimators=("dcdh",))["dcdh"].ok


def test_g_timings_file_records_each_fit_for_the_benchmark(constant, tmp_path, monkeypatch):
    """With EVALKIT_TIMINGS set (benchmarks/run_bench.py), each panel appends one JSON line per estimator, tagged
    with the page the executor names; skipped estimators are recorded as such, with no time spent."""
    import json

    df, _ = constant
    log = tmp_path / "timings.jsonl"
    monkeypatch.setenv(ag.ENV_TIMINGS, str(log))
    monkeypatch.setenv("EVALKIT_PAGE", "msp")
    ag.agreement(df, "y", "unit", "year", "cohort", estimators=("sun_abraham", "dcdh"), max_units=500)
    rows = [json.loads(x) for x in log.read_text().splitlines()]
    assert [(r["page"], r["outcome"], r["estimator"], r["status"]) for r in rows] == [
        ("msp", "y", "sun_abraham", "ok"), ("msp", "y", "dcdh", "skipped")]
    assert rows[0]["seconds"] > 0 and rows[1]["seconds"] == 0 and rows[0]["n_units"] == 600
    monkeypatch.delenv(ag.ENV_TIMINGS)
    ag.agreement(df, "y", "unit", "year", "cohort", estimators=("sun_abraham",))
    assert len(log.read_text().splitlines()) == 2  # nothing written without the variable


def test_h_static_twfe_reused_only_when_fitted_on_the_same_rows(constant):
    """A study passes its own static TWFE (static_twfe): reused as the panel's TWFE when its units and observations
    are the panel's and the panel has no covariates (no second fit), refitted otherwise."""
    from evalkit.estimators.did import twfe

    df, full = constant
    tw = twfe(df, "y", "unit", "year", "cohort")
    assert tw.n_obs == full["twfe"].estimate.n_obs and np.isclose(tw.estimate, full["twfe"].estimate.estimate,
                                                                     rtol=1e-12)
    marked = dataclasses.replace(tw, estimate=tw.estimate + 1.0)  # a value no fit gives: shows which one is used
    used = ag.agreement(df, "y", "unit", "year", "cohort", estimators=("twfe",), static_twfe=marked)
    assert used["twfe"].estimate.estimate == tw.estimate + 1.0 and used["twfe"].estimate.std_error == tw.std_error
    other = dataclasses.replace(marked, n_obs=marked.n_obs - 1)  # another sample: refitted
    refit = ag.agreement(df, "y", "unit", "year", "cohort", estimators=("twfe",), static_twfe=other)
    assert np.isclose(refit["twfe"].estimate.estimate, tw.estimate, rtol=1e-12)
    df2 = df.assign(x=df["unit"].astype(int) % 3)  # with covariates the panel's TWFE has trends: refitted
    cov = ag.agreement(df2, "y", "unit", "year", "cohort", estimators=("twfe",), covariates=["x"], static_twfe=marked)
    assert cov["twfe"].estimate.estimate != marked.estimate
