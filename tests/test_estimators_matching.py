"""Matching that is valid when it matters (issue 14, item 4): nearest-neighbour matching without replacement never
reuses a control; matching within each entry cohort at its own baseline, then DiD on the matched sets with SEs
clustered by matched set, recovers a known effect where matching all treated units at one baseline does not.

Design of the known-truth test (``evalkit.simulate.panels.staggered_panel``): 1,000 units, 2010–2019, cohorts 2012,
2014 and 2016 of 10 % each, effect 2 every treated year, a covariate x that shifts the trend by 0.75 a year per SD
(conditional parallel trends only) and drives selection: the units with the highest x + N(0, 0.5²) enter first, so
that the cohorts differ in x. Seeds 0–7; the mean over the 8 seeds is compared with the truth (2).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from evalkit.estimators import callaway_santanna, match_ps
from evalkit.estimators.matching import match_by_cohort, matched_did
from evalkit.simulate.panels import staggered_panel, truth_simple

SEEDS = range(8)
TOL = 0.12  # ≈ 2.3 × the SD of the 8-seed mean of the new estimate (single-seed SE ≈ 0.15)


def _panel(seed: int, n: int = 1000) -> pd.DataFrame:
    return staggered_panel(n_units=n, cohorts={2012: .1, 2014: .1, 2016: .1}, tau=2.0, x_trend=0.75,
                           selection_noise=0.5, seed=seed)


# --- match_ps ---------------------------------------------------------------------------------------------------------

def test_match_ps_without_replacement_and_without_caliper_never_reuses_a_control():
    """With caliper=None every distance is finite: a used control (distance set to inf before the fix) still counted
    as within the caliper (inf <= inf) and was matched again. 30 treated, 40 controls, 1:1 and 2:1."""
    rng = np.random.default_rng(3)
    d = pd.DataFrame({"x": np.r_[rng.normal(1, 1, 30), rng.normal(0, 1, 40)], "treated": [1] * 30 + [0] * 40})
    for ratio in (1, 2):
        m = match_ps(d, "treated", ["x"], caliper=None, ratio=ratio, seed=1)
        controls = m.weights[d["treated"] == 0]
        assert controls.max() <= 1.0 / ratio + 1e-12  # each control serves one treated unit at most
        assert m.n_control_matched == min(40, 30 * ratio) and abs(controls.sum() - min(30, 40 // ratio)) < 1e-9
        assert m.n_treated_matched == min(30, 40 // ratio)  # treated units left without a free control are dropped
    # with replacement, controls may serve several treated units (weights above 1)
    assert match_ps(d, "treated", ["x"], caliper=None, seed=1, replace=True).weights.max() > 1


# --- matching within cohorts ----------------------------------------------------------------------------------------

def test_match_by_cohort_uses_each_cohorts_baseline_and_eligible_controls():
    df = _panel(0)
    m = match_by_cohort(df, "unit", "year", "cohort", ["x"], seed=0)
    s = m.sets
    assert set(s["cohort"]) == {2012, 2014, 2016}
    assert (s["base"] == s["cohort"] - 1).all()
    # controls are never treated or treated after the cohort; each control serves once over the design
    assert (s["control_cohort"].isna() | (s["control_cohort"] > s["cohort"])).all()
    assert not s["control"].duplicated().any()
    assert s["control_cohort"].notna().any()  # not-yet-treated units do serve as controls
    # sets sharing a unit (a control later treated) are one cluster
    treated_sets = s.drop_duplicates("set").set_index("treated")["set"]
    for r in s[s["control"].isin(treated_sets.index)].itertuples():
        assert m.clusters[r.set] == m.clusters[treated_sets[r.control]]
    # balance within cohorts after matching
    from evalkit.estimators import balance_table

    bal = balance_table(m.baseline, "treated", ["x"], weights=m.baseline["weight"])
    assert abs(bal["smd_before"].iloc[0]) > 0.5 and abs(bal["smd_after"].iloc[0]) < 0.1


def test_matched_did_recovers_the_truth_where_one_baseline_matching_does_not():
    new, old_weights, old_sample, truths = [], [], [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in SEEDS:
            df = _panel(seed)
            truths.append(truth_simple(df))
            r = matched_did(df, "y", match_by_cohort(df, "unit", "year", "cohort", ["x"], seed=seed))
            new.append(r.simple.estimate)
            assert r.simple.std_error > 0 and r.n_clusters > 100
            # former approach: every treated unit matched once at the first cohort's baseline, then CS on the result
            first = df[df["year"] == 2011]
            b = pd.DataFrame({"unit": first["unit"].to_numpy(), "treated": first["cohort"].notna().astype(int),
                              "x": first["x"].to_numpy()})
            mw = match_ps(b, "treated", ["x"], seed=seed, unit="unit", replace=True)  # as weights (Méthodes)
            w = pd.Series(mw.weights.to_numpy(), index=b["unit"].to_numpy())
            old_weights.append(callaway_santanna(df.assign(_w=df["unit"].map(w).fillna(0.0)), "y", "unit", "year",
                                                 "cohort", weights="_w").simple.estimate)
            ms = match_ps(b, "treated", ["x"], seed=seed, unit="unit")  # as a matched sample (MSP before)
            old_sample.append(callaway_santanna(df[df["unit"].isin(set(ms.unit_ids))], "y", "unit", "year",
                                                "cohort").simple.estimate)
    truth = float(np.mean(truths))
    assert truth == pytest.approx(2.0)
    assert abs(np.mean(new) - truth) < TOL  # observed ≈ +0.06
    assert np.mean(old_weights) - truth > TOL  # observed ≈ +0.31
    assert np.mean(old_sample) - truth > TOL  # observed ≈ +0.22


def test_matched_did_dynamic_and_percent():
    df = _panel(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = matched_did(df, "y", match_by_cohort(df, "unit", "year", "cohort", ["x"], seed=1))
    dyn = r.dynamic.table.set_index("event_time")
    assert -1 not in dyn.index  # the base year is 0 by construction
    assert dyn.loc[0:, "estimate"].sub(2.0).abs().max() < 4 * dyn.loc[0:, "std_error"].max()
    assert r.dynamic.overall.estimate == pytest.approx(dyn.loc[0:, "estimate"].mean())
    # the simple ATT averages the post cells with weights ∝ matched cohort sizes
    post = r.att_gt[r.att_gt["time"] >= r.att_gt["cohort"]]
    n = r.match.sets.drop_duplicates("set").groupby("cohort").size()
    w = post["cohort"].map(n).astype(float)
    assert r.simple.estimate == pytest.approx(float(np.average(post["estimate"], weights=w)))
    assert r.relative().estimate == pytest.approx(100 * r.simple.estimate / r.pre_mean)


@pytest.mark.slow
def test_matched_did_coverage_monte_carlo():
    """Seeds 100–159 (600 units, x_trend 0.5): the 95 % CI clustered by matched set covers the ATT of the matched
    treated units in ≥ 85 % of the samples (observed 92 %); the z-scores' SD is close to 1 (observed 1.05)."""
    cover, z = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in range(100, 160):
            df = staggered_panel(n_units=600, cohorts={2012: .1, 2014: .1, 2016: .1}, tau=2.0, x_trend=0.5,
                                 selection_noise=0.5, seed=seed)
            m = match_by_cohort(df, "unit", "year", "cohort", ["x"], seed=seed)
            r = matched_did(df, "y", m)
            t = truth_simple(df[df["unit"].isin(set(m.sets["treated"])) | df["cohort"].isna()])
            cover.append(r.simple.ci_low <= t <= r.simple.ci_high)
            z.append((r.simple.estimate - t) / r.simple.std_error)
    assert np.mean(cover) >= 0.85 and 0.8 < np.std(z) < 1.3
