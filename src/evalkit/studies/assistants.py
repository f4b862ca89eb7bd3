"""Assistants médicaux: patients gained per contract option, cost per patient gained, and the national claim.

The whole analysis of the chapter « Assistants médicaux » (``chapters/assistants.ipynb``):

1. the descriptive before/after the Cnam publishes (earliest signatories, 30 and 48 months after baseline), and the
   raw comparison with non-signatories;
2. staggered difference-in-differences (Callaway & Sant'Anna, doubly robust with baseline covariates, never-treated
   and not-yet-treated comparisons), overall and by option; dynamic effects by years since the contract;
3. dose–response across options (third, half, full time), with differences computed from the joint influence
   functions of the option-level fits;
4. the share of GPs reaching their contractual patientèle target (avenant 7), with a placebo on non-signatories;
5. the public cost per additional MT patient (aid schedule ÷ patients gained), with propagated uncertainty;
6. a national projection (published contract counts × estimated gain per contract) set against the « 500 000
   patients » claim and the 6 million people without a médecin traitant;
7. HonestDiD sensitivity; published vs reproduced.

Everything is derived from the data (years, cohorts, options present); the policy parameters (aid schedule, targets,
contract counts, the claim) are data of this module, with their sources.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .. import plots
from ..disclosure import MIN_CELL, suppress
from ..estimators import callaway_santanna, honest_did, naive_cross_section, twfe
from ..estimators.base import Estimate, normal_ci
from ..estimators.staggered import CSResult, HonestResult, _GT
from ..results import NBSP, fmt_ci, fmt_eur, fmt_num, fmt_pct, make_row, to_frame

STUDY = "assistants"
UNIT, TIME, COHORT, OPTION = "gp_id", "year", "am_year", "am_option"
OUTCOMES = ("patients_mt", "file_active", "acts")
OUTCOME_LABELS = {"patients_mt": "patientèle médecin traitant", "file_active": "file active", "acts": "actes"}
OUTCOME_UNITS = {"patients_mt": "patients", "file_active": "patients", "acts": "acts"}
OPTIONS = ("third", "half", "full")
OPTION_LABELS = {"third": "Tiers temps", "half": "Mi-temps", "full": "Temps plein"}
OPTION_FTE = {"third": 1 / 3, "half": 1 / 2, "full": 1.0}  # assistant's working time financed by the option
ANCHOR = "les bilans de l'Assurance maladie (2022, 2024) et le rapport du HCAAM (2022)"
CHAMP = "médecins généralistes libéraux, {y0}–{y1} ; contrats d'assistant médical débutant en {c0}–{c1}"

# --- policy data, with sources --------------------------------------------------------------------------------------

AID_SOURCE = ("HCAAM (2022), rapport sur l'organisation des soins de proximité, Encadré 4 ; convention médicale, "
              "avenant 7 (2019)")
AID_SCHEDULE: dict[str, tuple[float, float, float]] = {
    # annual aid of the Assurance maladie (euros) in contract year 1, year 2, year 3 and after
    "third": (12_000.0, 9_000.0, 7_000.0),
    "half": (18_000.0, 13_500.0, 10_500.0),
    "full": (36_000.0, 27_000.0, 21_000.0),  # full time: underserved areas only
}

# Patientèle targets (avenant 7, art. 9-5-2-2): the GP's increase in adult MT patientèle (and/or file active) expected
# from the 3rd contract year, by option and by the GP's starting percentile in the national distribution.
TARGET_SOURCE = ("convention médicale, avenant 7 (2019), art. 9-5-2-2 : option 1 par tranche de percentile ; "
                 "bornes des options 2 et 3 (+6 à +25 %, +12,5 à +35 %) ; tranches intermédiaires des options 2 et 3 "
                 "interpolées (règle du livre)")
TARGET_PCTILE_BANDS = (50.0, 70.0, 90.0, 95.0)  # band limits: < 50th (incl. 30–50th), 50–70, 70–90, 90–95, ≥ 95th
_TARGET_OPTION1 = (20.0, 15.0, 7.5, 4.0, 0.0)  # published for option 1 (third time), ≥ 95th percentile: maintain
_TARGET_RANGES = {"third": (4.0, 20.0, 0.0), "half": (6.0, 25.0, 0.0), "full": (12.5, 35.0, 5.0)}
# (target in the 90–95th band, target in the 30–50th band, target ≥ 95th percentile) — avenant 7; ≥ 95th: maintain
# for options 1 and 2, +5 % for option 3 (CSMF summary of avenant 7)


def _interpolated_targets() -> dict[str, tuple[float, ...]]:
    """Targets by band for each option: option 1 as published; options 2–3 keep their published ends and place the
    two intermediate bands where option 1 places them (linear in option 1's scale, rounded to 0.5 point)."""
    lo1, hi1, _ = _TARGET_RANGES["third"]
    out = {}
    for opt, (lo, hi, top) in _TARGET_RANGES.items():
        mid = [round(2 * (lo + (v - lo1) / (hi1 - lo1) * (hi - lo))) / 2 for v in _TARGET_OPTION1[:4]]
        out[opt] = (*mid, top)
    return out


TARGETS: dict[str, tuple[float, ...]] = _interpolated_targets()
TARGET_YEAR = 2  # targets apply « à partir de la 3e année » of the contract: event time e = 2

# Contracts signed (all specialties; the MT patientèle concerns GPs): published counts.
CONTRACTS = pd.DataFrame([
    {"date": "2021-11", "label": "novembre 2021", "contracts": 2_400, "gp_contracts": 1_896,
     "shares": "publiées", "source": "HCAAM (2022), Encadré 4 : 2 400 contrats de médecins libéraux, 79 % de "
                                     "généralistes ; 31 % tiers temps, 49 % mi-temps, 20 % temps plein"},
    {"date": "2022-01", "label": "janvier 2022", "contracts": 2_700, "gp_contracts": 2_133,
     "shares": "novembre 2021", "source": "Cnam, audition du directeur général (février 2022), date de l'annonce « "
                                          "500 000 patients » ; part de généralistes de novembre 2021 (79 %)"},
    {"date": "2022-06", "label": "juin 2022", "contracts": 3_112, "gp_contracts": 2_458,
     "shares": "novembre 2021", "source": "Cnam, bilan de juin 2022 ; part de généralistes de novembre 2021 (79 %)"},
    {"date": "2024-10", "label": "octobre 2024", "contracts": 7_240, "gp_contracts": 5_283,
     "shares": "novembre 2021", "source": "Assurance maladie, bilan à 4 ans (décembre 2024) : 7 240 contrats dont "
                                          "5 283 de généralistes"},
])
OPTION_SHARES_2021 = {"third": 0.31, "half": 0.49, "full": 0.20}  # HCAAM (2022), Encadré 4, November 2021
CLAIM_PATIENTS = 500_000  # « 500 000 patients qui trouvent un médecin traitant » (Cnam DG, Feb. 2022; HCAAM 2022)
CLAIM_CONTRACTS = 2_700  # contracts at the time of the claim (Jan. 2022)
WITHOUT_MT = 6_000_000  # people without a médecin traitant, > 3 million of whom want one (HCAAM 2022, note 10)

# Published descriptive figures (Cnam monitoring), for calibration tests and the « publié vs reproduit » table.
PUBLISHED = {
    "mt_change_30m": 9.9,  # % MT patientèle at 30 months (Cnam 2022, 305 contracts; June 2022: +135 patients)
    "mt_change_48m": 19.5,  # % at 48 months, 402 GPs signed 09/2019–08/2020 (Cnam, Dec. 2024)
    "mt_change_48m_ctrl": 6.6,  # % non-signatories, same period (Cnam, Dec. 2024)
    "mt_base_48m": 1_318,  # baseline MT patientèle of the 402 signatories (Cnam, Dec. 2024)
    "mt_after_48m": 1_576,  # at 48 months
    "mt_objective_48m": 8.5,  # mean contractual objective of the 402 (Cnam, Dec. 2024), %
    "fa_change_30m": 5.3,  # % file active at 30 months (Cnam 2022)
    "fa_change_48m": 4.5,  # % file active at 48 months (Cnam 2024)
    "fa_change_48m_ctrl": -5.3,  # % non-signatories
    "acts_change_48m": 7.2,  # % acts per working day at 48 months (Cnam 2024)
    "acts_change_48m_ctrl": 0.5,  # % non-signatories
}


def aid(option: str, event_time: int) -> float:
    """Annual aid (euros) in the contract year that starts at event time ``event_time`` (0 = first year)."""
    sched = AID_SCHEDULE[option]
    return sched[min(max(int(event_time), 0), len(sched) - 1)]


def aid_schedule_table() -> pd.DataFrame:
    """The aid schedule as a display table (one row per option)."""
    return pd.DataFrame([
        {"Option": OPTION_LABELS[o], "Assistant (ETP)": fmt_num(OPTION_FTE[o], 2),
         "1re année (€)": v[0], "2e année (€)": v[1], "3e année et suivantes (€)": v[2],
         "Objectif de patientèle": f"+{_fmt_smart(min(TARGETS[o][:4]))} à +{_fmt_smart(max(TARGETS[o]))}{NBSP}%"}
        for o, v in AID_SCHEDULE.items()
    ])


def _fmt_smart(x: float) -> str:
    return fmt_num(x, 0 if float(x).is_integer() else 1)


def contract_target(option: str, percentile: float | np.ndarray) -> np.ndarray:
    """Target increase of the MT patientèle (%) for a GP of ``option`` starting at ``percentile`` (0–100).

    Rule applied (avenant 7): < 50th percentile (the contract requires ≥ 30th; GPs below are given the first band's
    target) → band 1; 50–70 → band 2; 70–90 → band 3; 90–95 → band 4; ≥ 95 → band 5 (maintain, or +5 % full time).
    """
    band = np.searchsorted(np.asarray(TARGET_PCTILE_BANDS), np.asarray(percentile, dtype=float), side="right")
    return np.asarray(TARGETS[option])[band]


# --- small numerical helpers (tested against hand computations) ------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """A ratio C / G with C known (public aid) and G estimated: delta-method SE and the exact CI from G's CI."""

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float


def cost_ratio(cost: float, gain: float, gain_se: float) -> Ratio:
    """Cost per unit gained, ``cost / gain``.

    SE by the delta method, ``cost · se(G) / G²``. CI: the map G ↦ cost / G is monotone, so the 95 % CI is
    ``[cost / G_high, cost / G_low]`` from G's normal CI — exact given G's CI, and asymmetric. If G's CI reaches 0 the
    upper bound is infinite (no gain cannot be excluded); if G ≤ 0 the ratio is undefined (NaN).
    """
    if not np.isfinite(gain) or gain <= 0:
        return Ratio(float("nan"), float("nan"), float("nan"), float("nan"))
    lo, hi = normal_ci(gain, gain_se)
    se = cost * gain_se / gain**2
    ci_low = cost / hi if hi > 0 else float("nan")
    ci_high = cost / lo if lo > 0 else float("inf")
    return Ratio(cost / gain, se, ci_low, ci_high)


def linear_combination(weights: Mapping[str, float], estimates: Mapping[str, float],
                       cov: pd.DataFrame) -> tuple[float, float]:
    """``Σ w_k θ_k`` and its SE ``√(w'Σw)`` for estimates θ with covariance matrix ``cov`` (indexed by the keys)."""
    keys = [k for k in weights if k in estimates]
    w = np.array([weights[k] for k in keys], dtype=float)
    th = np.array([estimates[k] for k in keys], dtype=float)
    v = cov.loc[keys, keys].to_numpy(float)
    return float(w @ th), float(math.sqrt(max(w @ v @ w, 0.0)))


def projection(n_contracts: float, shares: Mapping[str, float], gains: Mapping[str, float],
               cov: pd.DataFrame) -> Estimate:
    """National patients gained: ``n_contracts × Σ_k share_k · gain_k`` with SE from the gains' covariance.

    Shares of options absent from ``gains`` are dropped and the others renormalised.
    """
    keys = [k for k in shares if k in gains]
    tot = sum(shares[k] for k in keys)
    w = {k: n_contracts * shares[k] / tot for k in keys}
    est, se = linear_combination(w, gains, cov)
    return Estimate.from_se("projection", est, se)


# --- preparation ---------------------------------------------------------------------------------------------------


def prepare(df: pd.DataFrame) -> pd.DataFrame:
    """Numeric copy of a validated table, plus first-year levels of the outcomes (``<outcome>_first``)."""
    d = df.copy()
    for c in (*OUTCOMES, "age", "female", "underserved"):
        d[c] = pd.to_numeric(d[c], errors="coerce").astype(float)
    d[COHORT] = pd.to_numeric(d[COHORT], errors="coerce").astype(float)
    d[OPTION] = d[OPTION].where(d[OPTION].notna(), None)
    d[TIME] = d[TIME].astype(int)
    d = d.sort_values([UNIT, TIME]).reset_index(drop=True)
    for c in OUTCOMES:
        d[f"{c}_first"] = d.groupby(UNIT)[c].transform("first")
    return d


def _covariates(d: pd.DataFrame, outcome: str, wanted: Sequence[str] | None) -> list[str]:
    cov = list(wanted) if wanted is not None else ["underserved", "age", "female", f"{outcome}_first"]
    return [c for c in cov if c in d and d[c].nunique() > 1]


def _quiet_cs(d: pd.DataFrame, outcome: str, covariates: Sequence[str], control_group: str) -> CSResult:
    # Warnings silenced here, each checked: prepare_panel's notes (units dropped are reported through CSResult.notes
    # and shown in the chapter's method box), diff-diff's propensity-score trimming notices (trimming at 0.01, the
    # package default) and its "no never-treated units" notice for not-yet-treated fits.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return callaway_santanna(d, outcome, UNIT, TIME, COHORT, covariates=list(covariates) or None,
                                 control_group=control_group)


def _restrict_for_option(d: pd.DataFrame, option: str, covariates: Sequence[str]) -> tuple[pd.DataFrame, list[str],
                                                                                           list[str]]:
    """GPs of ``option`` plus never-signatories; binary covariates constant among the option's signatories (full time
    is underserved-only) restrict the comparison group to the same value and leave the covariate list."""
    sub = d[(d[OPTION] == option) | d[COHORT].isna()]
    treated = sub[sub[OPTION] == option]
    keep, notes = [], []
    for c in covariates:
        vals = treated[c].dropna().unique()
        if len(vals) == 1 and set(sub[c].dropna().unique()) <= {0.0, 1.0}:
            sub = sub[sub[c] == vals[0]]
            notes.append(f"{c} = {int(vals[0])}")
        elif sub[c].nunique() > 1:
            keep.append(c)
    return sub, keep, notes


def _unit_ids(cs: CSResult) -> np.ndarray:
    idx = cs.raw._aggregation_kit.bookkeeping["unit_to_idx"]
    ids = np.empty(len(idx), dtype=object)
    for u, i in idx.items():
        ids[i] = u
    return ids


def event_influence(cs: CSResult, event_times: Sequence[int]) -> tuple[float, pd.Series]:
    """Σ_e ATT(e) over ``event_times`` and its per-GP influence function (index = gp_id).

    Thin helper on evalkit's group-time influence functions (``_GT``; evalkit.estimators exposes no public accessor
    yet): Var = Σ_i ψ_i², and covariances between fits on overlapping GPs are Σ_i ψ_i ψ'_i.
    """
    gt = _GT.from_diff_diff(cs.raw)
    total, psi = 0.0, np.zeros(len(gt.unit_cohort))
    for e in event_times:
        keep = np.flatnonzero(gt.t - gt.g == e)
        if len(keep) == 0:
            raise ValueError(f"no ATT(g,t) at event time {e}")
        v, p = gt.weighted(keep)
        total += v
        psi = psi + p
    return total, pd.Series(psi, index=_unit_ids(cs))


def _cov(psis: Mapping[str, pd.Series]) -> pd.DataFrame:
    keys = list(psis)
    m = pd.concat([psis[k].rename(k) for k in keys], axis=1).fillna(0.0)
    return pd.DataFrame(m.to_numpy().T @ m.to_numpy(), index=keys, columns=keys)


# --- descriptive (as the Cnam publishes) ----------------------------------------------------------------------------


def cnam_descriptive(d: pd.DataFrame, outcomes: Sequence[str] = OUTCOMES) -> pd.DataFrame:
    """Before/after of the earliest signatories, as the Cnam publishes it, and non-signatories over the same years.

    Baseline = 31 December of the year before the contract (g − 1). « 30 months » = mean of years g + 1 and g + 2;
    « 48 months » = year g + 3. Cohorts kept: those observed 48 months after baseline (if none, the earliest cohort and
    the longest horizon observed). Non-signatories: GPs who never sign in the data, over each cohort's calendar window,
    weighted by the cohort's number of signatories. Changes are ratios of means (as 1,318 → 1,576 = +19.5 %).
    """
    years = np.sort(d[TIME].unique())
    y_last = int(years.max())
    cohorts = sorted(int(c) for c in d[COHORT].dropna().unique() if c - 1 >= years.min())
    if not cohorts:
        return pd.DataFrame()
    keep = [c for c in cohorts if c + 3 <= y_last] or [cohorts[0]]
    wide = {o: d.pivot(index=UNIT, columns=TIME, values=o) for o in outcomes}
    cohort_of = d.drop_duplicates(UNIT).set_index(UNIT)[COHORT]
    never = cohort_of.index[cohort_of.isna()]
    rows = []
    for o in outcomes:
        w = wide[o]
        for group in ("signataires", "non-signataires"):
            acc = {"n": 0, "base": 0.0, "h30": 0.0, "h48": 0.0, "w30": 0.0, "w48": 0.0}
            for c in keep:
                ids = cohort_of.index[cohort_of == c]
                n_c = len(ids)
                sel = ids if group == "signataires" else never
                base = w.loc[sel, c - 1].mean()
                y30 = [y for y in (c + 1, c + 2) if y <= y_last]
                h30 = w.loc[sel, y30].mean(axis=1).mean() if len(y30) == 2 else np.nan
                h48 = w.loc[sel, c + 3].mean() if c + 3 <= y_last else np.nan
                acc["n"] += len(sel) if group == "signataires" else 0
                acc["base"] += n_c * base
                if np.isfinite(h30):
                    acc["h30"] += n_c * h30
                    acc["w30"] += n_c
                if np.isfinite(h48):
                    acc["h48"] += n_c * h48
                    acc["w48"] += n_c
            n_w = sum(len(cohort_of.index[cohort_of == c]) for c in keep)
            base = acc["base"] / n_w
            h30 = acc["h30"] / acc["w30"] if acc["w30"] else np.nan
            h48 = acc["h48"] / acc["w48"] if acc["w48"] else np.nan
            rows.append({"outcome": o, "group": group,
                         "n_gps": acc["n"] if group == "signataires" else len(never),
                         "base": base, "after_30m": h30, "after_48m": h48,
                         "change_30m": h30 - base, "change_48m": h48 - base,
                         "change_30m_pct": 100 * (h30 / base - 1), "change_48m_pct": 100 * (h48 / base - 1)})
    out = pd.DataFrame(rows)
    out.attrs["cohorts"] = keep
    return out


# --- the analysis ----------------------------------------------------------------------------------------------


@dataclass
class AssistantsAnalysis:
    """Everything the chapter shows. Tables are tidy DataFrames; ``texts`` holds the French strings glued in the
    prose; ``rows`` the results rows (DESIGN §3)."""

    data_years: tuple[int, int]
    cohorts: list[int]
    n_gps: int
    n_signatories: int
    descriptive: pd.DataFrame
    estimators: pd.DataFrame
    cs: dict[str, CSResult]
    cs_variants: dict[str, CSResult]
    by_option: dict[str, CSResult]
    by_option_nyt: dict[str, CSResult]
    option_notes: dict[str, list[str]]
    dynamic: pd.DataFrame
    dose: pd.DataFrame
    horizon: int
    targets: pd.DataFrame
    cost: pd.DataFrame
    projection: pd.DataFrame
    honest: HonestResult | None
    published: pd.DataFrame
    rows: pd.DataFrame
    texts: dict[str, str] = field(default_factory=dict)
    trends: pd.DataFrame = field(default_factory=pd.DataFrame)

    # -- display helpers --------------------------------------------------------------------------------------
    @property
    def champ(self) -> str:
        return CHAMP.format(y0=self.data_years[0], y1=self.data_years[1], c0=min(self.cohorts),
                            c1=max(self.cohorts))

    @property
    def source(self) -> str:
        return plots.synthetic_source(ANCHOR) + " ; calculs evalkit"

    def table_aid(self) -> plots.Table:
        return plots.table(aid_schedule_table(), title="Aide annuelle de l'Assurance maladie et objectif de "
                           "patientèle, par option du contrat", champ="contrats signés à partir de 2019 (avenant 7)",
                           source=AID_SOURCE, decimals=0, name="assistants_aide")

    def figure_trends(self) -> plots.Figure:
        t = self.trends
        first = t.attrs.get("cohorts", self.cohorts[:1])
        last_e = int(t["event_time"].max())
        end = {g: float(t[(t.group == g) & (t.event_time == last_e)]["index"].iloc[0]) - 100
               for g in ("signataires", "non-signataires")}
        months = 12 * (last_e + 1)
        title = (f"En {fmt_num(months, 0)} mois, la patientèle des premiers signataires progresse de "
                 f"{fmt_pct(end['signataires'], 1, sign=True)}, celle des non-signataires de "
                 f"{fmt_pct(end['non-signataires'], 1, sign=True)}")
        return plots.trends(
            t, x="event_time", y="index", hue="group",
            xlabel="Années depuis la signature (−1 = année précédant le contrat)",
            ylabel="Patientèle médecin traitant (indice 100 en −1)", title=title,
            champ=self.champ + f" ; signataires des cohortes {' et '.join(map(str, first))}, non-signataires "
                               "sur les mêmes années",
            source=self.source, name="assistants_tendances",
            hue_labels={"signataires": "Signataires (premières cohortes)", "non-signataires": "Non-signataires"},
            vline=-0.5, vline_label="signature")

    def table_estimators(self) -> plots.Table:
        t = self.estimators.copy()
        show = pd.DataFrame({
            "Méthode": t["label"],
            "Écart ou effet, patients [IC à 95 %]": [_est_ci(e, a, b) for e, a, b in
                                                      zip(t["estimate"], t["ci_low"], t["ci_high"])],
            "Ce que mesure le chiffre": t["reads"],
        })
        return plots.table(show, title="Du simple avant/après à la double différence : le gain attribuable à "
                           "l'assistant est bien plus faible que la hausse brute", champ=self.champ,
                           source=self.source, decimals=0, name="assistants_estimateurs",
                           note="Effet moyen sur l'ensemble des années suivant le contrat, sauf lignes « 48 mois ».")

    def figure_event_study(self) -> plots.Figure:
        cs = self.cs["patients_mt"]
        tab = cs.dynamic.table
        tab = tab[tab["n_units"] >= MIN_CELL]
        post = tab[tab["event_time"] >= 0]
        at_h = post[post["event_time"] == self.horizon]
        last = at_h.iloc[0] if len(at_h) else post.sort_values("event_time").iloc[-1]
        first = post.sort_values("event_time").iloc[0]
        verb = "croît" if last.estimate > first.estimate else "ne croît pas"
        title = (f"Le gain de patientèle {verb} avec l'ancienneté du contrat : "
                 f"{fmt_num(first.estimate, 0, sign=True)} patients l'année de la signature, "
                 f"{fmt_num(last.estimate, 0, sign=True)} après {int(last.event_time) + 1} ans")
        return plots.event_study(tab, ylabel="Effet sur la patientèle médecin traitant (patients)", title=title,
                                 champ=self.champ, source=self.source, name="assistants_dynamique",
                                 alt_unit=" patients", decimals=0)

    def figure_dynamic_by_option(self) -> plots.Figure:
        dyn = self.dynamic[(self.dynamic["option"] != "all") & (self.dynamic["event_time"] >= 0)]
        fig, ax = plots.new()
        offs = {"third": -0.15, "half": 0.0, "full": 0.15}
        for i, opt in enumerate(OPTIONS):
            s = dyn[dyn["option"] == opt].sort_values("event_time")
            if s.empty:
                continue
            x = s["event_time"] + offs[opt]
            ax.errorbar(x, s["estimate"], yerr=[s["estimate"] - s["ci_low"], s["ci_high"] - s["estimate"]],
                        fmt="o-", color=plots.PALETTE[i], capsize=3, label=OPTION_LABELS[opt])
        ax.axhline(0, color=plots.NEUTRAL, lw=1)
        ax.set_xlabel("Années depuis le début du contrat (0 = année de signature)")
        ax.set_ylabel("Effet sur la patientèle médecin traitant (patients)")
        ax.set_xticks(sorted(dyn["event_time"].unique()))
        plots.french_axis(ax, "y")
        ax.legend(frameon=False, fontsize=8, loc="upper left")
        h = self.horizon
        parts = [f"{OPTION_LABELS[o].lower()} : {fmt_num(r.estimate, 0, sign=True)} "
                 f"[{fmt_num(r.ci_low, 0)} ; {fmt_num(r.ci_high, 0)}]"
                 for o in OPTIONS for r in dyn[(dyn.option == o) & (dyn.event_time == h)].itertuples()]
        alt = (f"Effet estimé par année depuis le contrat, pour chaque option, avec intervalles de confiance à 95 %. "
               f"À {h + 1} ans : " + " ; ".join(parts) + " patients.")
        return plots.figure(fig, title=self._dose_title("Le gain de patientèle par année de contrat"), alt=alt, champ=self.champ, source=self.source,
                            name="assistants_dynamique_option")

    def figure_dose(self) -> plots.Figure:
        t = self.dose.copy()
        t["label"] = [f"{OPTION_LABELS[o]} (n = {fmt_num(n, 0)})" for o, n in zip(t["option"], t["n_gps"])]
        t = t.rename(columns={"gain": "estimate", "gain_ci_low": "ci_low", "gain_ci_high": "ci_high"})
        h = self.horizon
        return _forest(t, label="label", xlabel=f"Patients médecin traitant gagnés {12 * (h + 1)} mois après "
                            "la signature (patients)", title=self._dose_title("Le gain de patientèle"), champ=self.champ, source=self.source, name="assistants_dose",
                            decimals=0, alt_unit=" patients")

    def table_dose(self) -> plots.Table:
        t = self.dose
        m = 12 * (self.horizon + 1)
        show = pd.DataFrame({
            "Option": [OPTION_LABELS[o] for o in t["option"]],
            "Médecins": t["n_gps"].astype("Int64"),
            "Effet moyen, % [IC]": [_est_ci(e, a, b, 1, True) for e, a, b in
                                    zip(t["att_pct"], t["att_pct_ci_low"], t["att_pct_ci_high"])],
            f"Gain à {m} mois, patients [IC]": [_est_ci(e, a, b, 0, True) for e, a, b in
                                                 zip(t["gain"], t["gain_ci_low"], t["gain_ci_high"])],
            "Gain par ETP d'assistant": [fmt_num(x, 0) for x in t["gain_per_fte"]],
            "Écart au tiers temps [IC]": [_est_ci(x, a, b, 0, True) for x, a, b in
                                          zip(t["diff_third"], t["diff_third_ci_low"], t["diff_third_ci_high"])],
        })
        show = suppress(show, ["Médecins"], [c for c in show.columns if c not in ("Option", "Médecins")])
        return plots.table(show, title=self._dose_title("L'effet du contrat"), champ=self.champ, source=self.source,
                           name="assistants_options",
                           note="Effet moyen : moyenne sur toutes les années suivant le contrat (agrégation « simple » "
                                "de Callaway et Sant'Anna), en % de la patientèle l'année précédant le contrat. Écart au "
                                "tiers temps : IC calculé avec la covariance des estimations (groupe de comparaison "
                                "commun).")

    def _dose_title(self, prefix: str) -> str:
        """« <prefix> croît avec … » only when the point estimates are ordered third < half < full."""
        g = self.dose.set_index("option")["gain"] if len(self.dose) else pd.Series(dtype=float)
        present = [o for o in OPTIONS if o in g.index]
        if len(present) < 2:
            return prefix + " selon l'option du contrat"
        vals = [g[o] for o in present]
        if all(a < b for a, b in zip(vals, vals[1:])):
            return prefix + " croît avec le temps d'assistant financé"
        return prefix + " ne croît pas régulièrement avec le temps d'assistant financé"

    def table_targets(self) -> plots.Table:
        t = self.targets
        show = pd.DataFrame({
            "Option": [OPTION_LABELS.get(o, "Ensemble") for o in t["option"]],
            "Médecins évalués": t["n_gps"].astype("Int64"),
            "Objectif moyen (%)": t["target_mean"],
            "Hausse observée (%)": t["growth_mean"],
            "Objectif atteint (% des signataires)": t["share_reached"],
            "Non-signataires qui l'« atteignent » (%)": t["placebo_share"],
        })
        show = suppress(show, ["Médecins évalués"], [c for c in show.columns if c not in ("Option",
                                                                                             "Médecins évalués")])
        return plots.table(show, title="Une part des objectifs contractuels serait atteinte sans assistant",
                           champ=self.champ + f" ; signataires observés {TARGET_YEAR + 1} ans après la signature",
                           source=self.source + " ; objectifs : " + TARGET_SOURCE, decimals=1,
                           name="assistants_objectifs",
                           note="Objectif atteint si la patientèle MT de la 3e année (au 31 décembre de l'année g + 2) "
                                "dépasse celle de l'année précédant le contrat augmentée de l'objectif de la tranche "
                                "de percentile du médecin. Non-signataires : même règle, mêmes années, médecins "
                                "éligibles (au-dessus du 30e percentile).")

    def figure_cost(self) -> plots.Figure:
        t = self.cost.copy()
        t = t[np.isfinite(t["estimate"])]
        t["label"] = [OPTION_LABELS.get(o, "Ensemble") for o in t["option"]]
        hi = np.where(np.isfinite(t["ci_high"]), t["ci_high"], t["estimate"] * 3)
        t["ci_high"] = hi
        return _forest(t, label="label", xlabel="Aide publique par patient médecin traitant supplémentaire et "
                            "par an (euros)", title="Coût public par patient gagné : " + ", ".join(
                                f"{r.label.lower()} {fmt_eur(r.estimate)}" for r in t.itertuples()),
                            champ=self.champ + f" ; {self.horizon + 1} premières années de contrat",
                            source=self.source + " ; barème : " + AID_SOURCE, name="assistants_cout",
                            decimals=0, alt_unit=" €", reference=None)

    def table_cost(self) -> plots.Table:
        t = self.cost
        show = pd.DataFrame({
            "Option": [OPTION_LABELS.get(o, "Ensemble") for o in t["option"]],
            f"Aide sur {self.horizon + 1} ans (€)": [fmt_num(x, 0) for x in t["aid_total"]],
            "Patients-années gagnés": [fmt_num(x, 0) for x in t["gain_total"]],
            "Coût par patient et par an, € [IC]": [_est_ci(e, a, b) for e, a, b in
                                                    zip(t["estimate"], t["ci_low"], t["ci_high"])],
            "En régime de croisière, € [IC]": [_est_ci(e, a, b) for e, a, b in
                                                zip(t["steady"], t["steady_ci_low"], t["steady_ci_high"])],
        })
        return plots.table(show, title="Ce que coûte à l'Assurance maladie chaque patient médecin traitant "
                           "supplémentaire", champ=self.champ, source=self.source + " ; barème : " + AID_SOURCE,
                           name="assistants_cout",
                           note="Coût = aide versée sur les premières années du contrat ÷ somme des gains annuels "
                                "estimés (patients-années). Régime de croisière : aide de la 3e année ÷ gain estimé "
                                "la dernière année retenue. IC : image de l'IC du gain par la fonction coût ÷ gain. "
                                "Ensemble : options pondérées par leur part parmi les signataires.")

    def figure_projection(self) -> plots.Figure:
        t = self.projection
        fig, ax = plots.new(height=3.8)
        x = np.arange(len(t))
        ax.bar(x, t["estimate"], color=plots.TREATED, width=0.55, label="Projection (gain estimé × contrats)")
        ax.errorbar(x, t["estimate"], yerr=[t["estimate"] - t["ci_low"], t["ci_high"] - t["estimate"]],
                    fmt="none", color="black", capsize=4)
        ax.axhline(CLAIM_PATIENTS, color=plots.TRUTH, ls="--", lw=1.2,
                   label=f"Annonce Cnam (février 2022) : {fmt_num(CLAIM_PATIENTS, 0)} patients")
        ax.set_xticks(x)
        ax.set_xticklabels([f"{lab}\n{fmt_num(n, 0)} contrats MG" for lab, n in zip(t["label"], t["gp_contracts"])],
                           fontsize=8)
        ax.set_xlabel("Date du décompte des contrats signés")
        ax.set_ylabel("Patients médecin traitant gagnés")
        plots.french_axis(ax, "y")
        ax.legend(frameon=False, fontsize=8, loc="upper left")
        ax.set_ylim(0, max(t["ci_high"].max(), CLAIM_PATIENTS) * 1.25)
        alt = ("Diagramme en barres : patients médecin traitant gagnés projetés selon le nombre de contrats signés. "
               + " ; ".join(f"{r.label} : {fmt_num(r.estimate, 0)} [{fmt_num(r.ci_low, 0)} ; {fmt_num(r.ci_high, 0)}]"
                            for r in t.itertuples())
               + f". Ligne horizontale : l'annonce de {fmt_num(CLAIM_PATIENTS, 0)} patients.")
        last = t.iloc[-1]
        share = 100 * last.estimate / WITHOUT_MT
        title = (f"Avec {fmt_num(last.gp_contracts, 0)} contrats de généralistes, le gain projeté couvrirait "
                 f"{fmt_pct(share, 0)} des {fmt_num(WITHOUT_MT / 1e6, 0)} millions de personnes sans médecin traitant")
        return plots.figure(fig, title=title, alt=alt, champ="contrats de médecins généralistes signés à chaque date ; "
                            f"gain par contrat estimé {12 * (self.horizon + 1)} mois après la signature",
                            source=self.source + " ; contrats : HCAAM (2022), Assurance maladie (2022, 2024)",
                            name="assistants_projection",
                            note="Répartition par option de novembre 2021 appliquée aux autres dates.")

    def table_projection(self) -> plots.Table:
        t = self.projection
        show = pd.DataFrame({
            "Date": t["label"], "Contrats (toutes spécialités)": [fmt_num(x, 0) for x in t["contracts"]],
            "Contrats de généralistes": [fmt_num(x, 0) for x in t["gp_contracts"]],
            "Patients gagnés [IC]": [_est_ci(*(round(x, -3) for x in v)) for v in
                                     zip(t["estimate"], t["ci_low"], t["ci_high"])],
            "En % de l'annonce (500 000)": [fmt_num(100 * x / CLAIM_PATIENTS, 0) for x in t["estimate"]],
            "En % des 6 millions sans médecin traitant": [fmt_num(100 * x / WITHOUT_MT, 1) for x in t["estimate"]],
        })
        return plots.table(show, title="Projection nationale : contrats signés × gain estimé par contrat",
                           champ="contrats d'assistant médical ; effectifs publiés",
                           source=self.source + " ; contrats : HCAAM (2022, Encadré 4) pour novembre 2021, Cnam "
                                                "(2022) pour janvier et juin 2022, Assurance maladie (2024) pour "
                                                "octobre 2024",
                           name="assistants_projection",
                           note="Contrats de généralistes : 79 % des contrats (novembre 2021) sauf octobre 2024 "
                                "(5 283 publiés). Gain par contrat = effet estimé par option "
                                f"{12 * (self.horizon + 1)} mois après la signature, pondéré par la répartition des "
                                "options de novembre 2021 ; les patients gagnés peuvent avoir quitté un autre médecin "
                                "(voir limites).")

    def table_honest(self) -> plots.Table | None:
        if self.honest is None:
            return None
        g = self.honest.grid
        show = pd.DataFrame({
            "M̄ (violation relative)": g["M"],
            "Borne basse IC robuste": g["ci_low"], "Borne haute IC robuste": g["ci_high"],
            "Effet significatif": g["significant"].astype(bool),
        })
        return plots.table(show, title="Sensibilité aux écarts à l'hypothèse de tendances parallèles (HonestDiD)",
                           champ=self.champ, source=self.source, decimals={"M̄ (violation relative)": 2,
                                                                           "Borne basse IC robuste": 0,
                                                                           "Borne haute IC robuste": 0},
                           name="assistants_honestdid",
                           note="M̄ = 1 : après le contrat, l'écart de tendance peut atteindre le plus grand écart "
                                "observé avant. Cible : " + self.texts.get("honest_target", ""))

    def table_published(self) -> plots.Table:
        return plots.table(self.published, title="Chiffres publiés et chiffres reproduits sur les données "
                           "synthétiques", champ=self.champ,
                           source=self.source + " ; chiffres publiés : Cnam 2022 = analyse de 305 contrats ; Cnam 2024 "
                                                "= Points de repère, 402 généralistes signataires de septembre 2019 à "
                                                "août 2020 ; Cnam, février 2022 = directeur général, cité par le HCAAM "
                                                "(2022)", name="assistants_publie_reproduit",
                           note="Actes : le chiffre publié porte sur les actes par jour travaillé, le chiffre reproduit "
                                "sur les actes annuels (jours travaillés supposés constants).")


def _forest(tab: pd.DataFrame, *, label: str, xlabel: str, title: str, champ: str, source: str, name: str,
            decimals: int = 0, alt_unit: str = "", reference: float | None = 0.0,
            ylabel: str = "Option du contrat") -> plots.Figure:
    """Forest plot of the options (evalkit.plots.forest with this chapter's defaults)."""
    return plots.forest(tab, label=label, xlabel=xlabel, title=title, champ=champ, source=source, name=name,
                        reference=reference, decimals=decimals, alt_unit=alt_unit, ylabel=ylabel)


def analyse(df: pd.DataFrame, *, seed: int = 0, covariates: Sequence[str] | None = None,
            horizon: int = 3) -> AssistantsAnalysis:
    """The chapter's whole analysis on any table following the ``assistants`` contract.

    ``covariates``: baseline covariates of the doubly robust DiD (default underserved, age, female and the outcome's
    first-year level); ``horizon``: the event time at which gains per contract are read (default 3 = 48 months after
    baseline), lowered to what the data allow for every option. ``seed`` is recorded (no randomness is used: all
    standard errors are analytic).
    """
    d = prepare(df)
    years = (int(d[TIME].min()), int(d[TIME].max()))
    cohorts = sorted(int(c) for c in d[COHORT].dropna().unique())
    gps = d.drop_duplicates(UNIT)
    n_sign = int(gps[COHORT].notna().sum())
    if n_sign < MIN_CELL or gps[COHORT].isna().sum() < MIN_CELL:
        raise ValueError(f"assistants: {n_sign} signatories and {int(gps[COHORT].isna().sum())} never-signatories; "
                         f"at least {MIN_CELL} of each are needed")

    # 1. Main DiD fits (doubly robust, baseline covariates, never-signatories as comparison) --------------------
    cs = {o: _quiet_cs(d, o, _covariates(d, o, covariates), "never_treated") for o in OUTCOMES}
    main = cs["patients_mt"]
    cov_main = _covariates(d, "patients_mt", covariates)
    variants = {
        "not_yet_treated": _quiet_cs(d, "patients_mt", cov_main, "not_yet_treated"),
        "no_covariates": _quiet_cs(d, "patients_mt", [], "never_treated"),
    }

    # 2. By option -------------------------------------------------------------------------------------------
    by_opt, by_opt_nyt, notes = {}, {}, {}
    present = [o for o in OPTIONS if (gps[OPTION] == o).sum() >= MIN_CELL]
    for o in present:
        sub, cov_o, nt = _restrict_for_option(d, o, cov_main)
        notes[o] = nt
        by_opt[o] = _quiet_cs(sub, "patients_mt", cov_o, "never_treated")
        by_opt_nyt[o] = _quiet_cs(sub, "patients_mt", cov_o, "not_yet_treated")

    dyn_parts = [main.dynamic.table.assign(option="all")]
    for o, r in by_opt.items():
        dyn_parts.append(r.dynamic.table.assign(option=o))
    dynamic = pd.concat(dyn_parts, ignore_index=True)
    dynamic = dynamic[dynamic["n_units"] >= MIN_CELL].reset_index(drop=True)

    # horizon: the largest event time ≤ horizon estimated on ≥ 11 GPs for every option present, from e = 0
    h = horizon
    for o in present:
        t = dynamic[(dynamic.option == o) & (dynamic.event_time >= 0)]
        ok = set(t["event_time"])
        e = -1
        while e + 1 in ok and e + 1 <= h:
            e += 1
        h = min(h, e)
    h = max(h, 0)

    # 3. Dose–response with joint influence functions --------------------------------------------------------
    gains, psi_gain, cum, psi_cum = {}, {}, {}, {}
    for o, r in by_opt.items():
        gains[o], psi_gain[o] = event_influence(r, [h])
        cum[o], psi_cum[o] = event_influence(r, list(range(h + 1)))
    cov_gain, cov_cum = _cov(psi_gain), _cov(psi_cum)
    dose_rows = []
    for o, r in by_opt.items():
        se = math.sqrt(cov_gain.loc[o, o])
        lo, hi = normal_ci(gains[o], se)
        if o != "third" and "third" in gains:
            diff, dse = linear_combination({o: 1.0, "third": -1.0}, gains, cov_gain)
            dlo, dhi = normal_ci(diff, dse)
        else:
            diff = dse = dlo = dhi = float("nan")
        rel = r.relative("simple")
        dose_rows.append({"option": o, "n_gps": r.n_treated, "att": r.simple.estimate, "att_se": r.simple.std_error,
                          "att_ci_low": r.simple.ci_low, "att_ci_high": r.simple.ci_high, "att_pct": rel.estimate,
                          "att_pct_ci_low": rel.ci_low, "att_pct_ci_high": rel.ci_high, "pre_mean": r.pre_mean,
                          "gain": gains[o], "gain_se": se, "gain_ci_low": lo, "gain_ci_high": hi,
                          "gain_pct": 100 * gains[o] / r.pre_mean, "gain_per_fte": gains[o] / OPTION_FTE[o],
                          "diff_third": diff, "diff_third_se": dse, "diff_third_ci_low": dlo,
                          "diff_third_ci_high": dhi, "pretest_p": r.pretest_p, "notes": "; ".join(notes[o])})
    dose = pd.DataFrame(dose_rows)

    # 4. Contract targets -------------------------------------------------------------------------------------
    targets = target_attainment(d)

    # 5. Cost per additional patient -------------------------------------------------------------------------
    shares = {o: float((gps[OPTION] == o).sum()) for o in by_opt}
    tot = sum(shares.values()) or 1.0
    shares = {o: s / tot for o, s in shares.items()}
    cost_rows = []
    for o in by_opt:
        aid_tot = sum(aid(o, e) for e in range(h + 1))
        ratio = cost_ratio(aid_tot, cum[o], math.sqrt(cov_cum.loc[o, o]))
        steady = cost_ratio(aid(o, max(h, 2)), gains[o], math.sqrt(cov_gain.loc[o, o]))
        cost_rows.append({"option": o, "n_gps": by_opt[o].n_treated, "aid_total": aid_tot, "gain_total": cum[o],
                          "gain_total_se": math.sqrt(cov_cum.loc[o, o]), **_ratio_cols(ratio),
                          **_ratio_cols(steady, "steady")})
    if by_opt:
        aid_all = sum(shares[o] * sum(aid(o, e) for e in range(h + 1)) for o in by_opt)
        g_all, g_se = linear_combination(shares, cum, cov_cum)
        steady_aid = sum(shares[o] * aid(o, max(h, 2)) for o in by_opt)
        gh_all, gh_se = linear_combination(shares, gains, cov_gain)
        cost_rows.append({"option": "all", "n_gps": sum(by_opt[o].n_treated for o in by_opt), "aid_total": aid_all,
                          "gain_total": g_all, "gain_total_se": g_se, **_ratio_cols(cost_ratio(aid_all, g_all, g_se)),
                          **_ratio_cols(cost_ratio(steady_aid, gh_all, gh_se), "steady")})
    cost = pd.DataFrame(cost_rows)

    # 6. National projection ----------------------------------------------------------------------------------
    proj_rows = []
    for c in CONTRACTS.itertuples():
        p = projection(c.gp_contracts, OPTION_SHARES_2021, gains, cov_gain) if gains else None
        proj_rows.append({"date": c.date, "label": c.label, "contracts": c.contracts, "gp_contracts": c.gp_contracts,
                          "estimate": p.estimate if p else np.nan, "std_error": p.std_error if p else np.nan,
                          "ci_low": p.ci_low if p else np.nan, "ci_high": p.ci_high if p else np.nan,
                          "source": c.source})
    proj = pd.DataFrame(proj_rows)

    # 7. Sensitivity (HonestDiD, relative magnitudes, on the effect at the horizon) ------------------------------
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # diff-diff notices on the universal-base refit (recorded in notes)
            hon = honest_did(main, e=h, method="relative_magnitude", mbar=[0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0])
    except (ValueError, RuntimeError, np.linalg.LinAlgError):
        hon = None

    # 8. Descriptive, estimator comparison, published vs reproduced -----------------------------------------
    desc = cnam_descriptive(d)
    trends = _trends(d, desc.attrs.get("cohorts", cohorts[:1]))
    estimators = _estimator_table(d, desc, main, variants, h)
    published = _published_table(desc, targets, main, dose, proj, h)

    a = AssistantsAnalysis(
        data_years=years, cohorts=cohorts, n_gps=int(len(gps)), n_signatories=n_sign, descriptive=desc,
        estimators=estimators, cs=cs, cs_variants=variants, by_option=by_opt, by_option_nyt=by_opt_nyt,
        option_notes=notes, dynamic=dynamic, dose=dose, horizon=h, targets=targets, cost=cost, projection=proj,
        honest=hon, published=published, rows=pd.DataFrame(), trends=trends,
    )
    a.rows = _rows(a)
    a.texts = _texts(a, seed)
    return a


def _ratio_cols(r: Ratio, prefix: str = "") -> dict:
    if not prefix:
        return {"estimate": r.estimate, "std_error": r.std_error, "ci_low": r.ci_low, "ci_high": r.ci_high}
    return {prefix: r.estimate, f"{prefix}_std_error": r.std_error, f"{prefix}_ci_low": r.ci_low,
            f"{prefix}_ci_high": r.ci_high}


def target_attainment(d: pd.DataFrame) -> pd.DataFrame:
    """Share of signatories reaching their contractual target, by option, with a placebo on non-signatories.

    For a GP of cohort g: baseline = MT patientèle in g − 1; percentile = its rank among all GPs that year; target =
    :func:`contract_target`; reached if the patientèle in g + TARGET_YEAR ≥ baseline × (1 + target). Placebo: never-
    signatories above the 30th percentile, same windows (weighted by the option's cohorts), same rule.
    """
    y_last = int(d[TIME].max())
    wide = d.pivot(index=UNIT, columns=TIME, values="patients_mt")
    info = d.drop_duplicates(UNIT).set_index(UNIT)[[COHORT, OPTION]]
    never = info.index[info[COHORT].isna()]
    rows = []
    all_ev = []
    for o in OPTIONS:
        ids = info.index[(info[OPTION] == o)]
        ev, plc = [], []
        for c, grp in info.loc[ids].groupby(COHORT):
            c = int(c)
            if c - 1 not in wide.columns or c + TARGET_YEAR > y_last:
                continue
            base_all = wide[c - 1]
            pct = base_all.rank(pct=True) * 100
            base = base_all[grp.index]
            tgt = contract_target(o, pct[grp.index])
            after = wide.loc[grp.index, c + TARGET_YEAR]
            ev.append(pd.DataFrame({"target": tgt, "growth": 100 * (after / base - 1),
                                    "reached": after >= base * (1 + tgt / 100)}))
            elig = never[pct[never] >= 30]
            tgt0 = contract_target(o, pct[elig])
            after0 = wide.loc[elig, c + TARGET_YEAR]
            reached0 = (after0 >= base_all[elig] * (1 + tgt0 / 100)).mean()
            plc.append((len(grp), reached0))
        if not ev:
            continue
        e = pd.concat(ev)
        all_ev.append(e.assign(option=o))
        w = np.array([n for n, _ in plc], dtype=float)
        rows.append(_target_row(o, e, float(np.average([p for _, p in plc], weights=w)) * 100))
    if all_ev:
        e = pd.concat(all_ev)
        plc_all = np.average([r["placebo_share"] for r in rows], weights=[r["n_gps"] for r in rows])
        rows.append(_target_row("all", e, float(plc_all)))
    return pd.DataFrame(rows)


def _target_row(option: str, e: pd.DataFrame, placebo: float) -> dict:
    n = len(e)
    p = float(e["reached"].mean())
    se = math.sqrt(p * (1 - p) / n) if n else float("nan")
    return {"option": option, "n_gps": n, "target_mean": float(e["target"].mean()),
            "growth_mean": float(e["growth"].mean()), "share_reached": 100 * p, "share_se": 100 * se,
            "placebo_share": placebo}


def _trends(d: pd.DataFrame, first: Sequence[int]) -> pd.DataFrame:
    """Mean MT patientèle by years since the contract (e = year − g), earliest signatory cohorts vs never-signatories
    over the same calendar years, index 100 in the year before the contract (e = −1); cohorts weighted by size.

    Only event times observed for every kept cohort are shown, so the last point is the « 48 months » of
    :func:`cnam_descriptive`.
    """
    years = set(int(y) for y in d[TIME].unique())
    wide = d.pivot(index=UNIT, columns=TIME, values="patients_mt")
    cohort_of = d.drop_duplicates(UNIT).set_index(UNIT)[COHORT]
    never = cohort_of.index[cohort_of.isna()]
    ev = sorted(set.intersection(*[{y - c for y in years} for c in first]))
    rows = []
    for lab, pick in (("signataires", lambda c: cohort_of.index[cohort_of == c]), ("non-signataires",
                                                                                    lambda c: never)):
        for e in ev:
            num = den = 0.0
            for c in first:
                n_c = float((cohort_of == c).sum())
                ids = pick(c)
                num += n_c * wide.loc[ids, c + e].mean() / wide.loc[ids, c - 1].mean()
                den += n_c
            rows.append({"event_time": e, "index": 100 * num / den, "group": lab})
    out = pd.DataFrame(rows)
    out.attrs["cohorts"] = list(first)
    return out


def _p(p: float) -> str:
    return "< 0,001" if p < 0.001 else f"= {fmt_num(p, 3)}"


def _est_ci(est: float, lo: float, hi: float, decimals: int = 0, sign: bool = False) -> str:
    """« 95 [72 ; 118] » — an estimate and its CI in one cell (narrow tables)."""
    if not np.isfinite(est):
        return ""
    if not (np.isfinite(lo) or np.isfinite(hi)):
        return fmt_num(est, decimals, sign=sign)
    hi_s = fmt_num(hi, decimals) if np.isfinite(hi) else "∞"
    return f"{fmt_num(est, decimals, sign=sign)} [{fmt_num(lo, decimals)} ; {hi_s}]"


def _estimator_table(d: pd.DataFrame, desc: pd.DataFrame, main: CSResult, variants: dict[str, CSResult],
                     h: int) -> pd.DataFrame:
    rows = []
    mt = desc[desc["outcome"] == "patients_mt"].set_index("group") if len(desc) else None
    if mt is not None and np.isfinite(mt.loc["signataires", "change_48m"]):
        s, n = mt.loc["signataires"], mt.loc["non-signataires"]
        rows.append({"key": "before_after", "label": "Avant/après, premiers signataires (48 mois)",
                     "estimate": s["change_48m"], "ci_low": np.nan, "ci_high": np.nan,
                     "reads": "effet + tendance commune + tendance propre aux signataires"})
        rows.append({"key": "raw_did", "label": "Signataires vs non-signataires, écart d'évolution (48 mois)",
                     "estimate": s["change_48m"] - n["change_48m"], "ci_low": np.nan, "ci_high": np.nan,
                     "reads": "effet + tendance propre aux signataires (zones sous-denses, âge)"})
    last = int(d[TIME].max())
    d2 = d.assign(_signed=(d[COHORT].notna() & (d[COHORT] <= last)).astype(int))
    naive = naive_cross_section(d2, "patients_mt", last, "_signed")
    rows.append({"key": "naive", "label": f"Écart de niveau en {last}, signataires vs autres",
                 "estimate": naive.estimate, "ci_low": naive.ci_low, "ci_high": naive.ci_high,
                 "reads": "effet + écart de taille de patientèle préexistant"})
    tw = twfe(d, "patients_mt", UNIT, TIME, COHORT)
    rows.append({"key": "twfe", "label": "Double différence classique (effets fixes médecin et année)",
                 "estimate": tw.estimate, "ci_low": tw.ci_low, "ci_high": tw.ci_high,
                 "reads": "moyenne pondérée de comparaisons, biaisée si l'effet croît avec le temps"})
    nc = variants["no_covariates"]
    rows.append({"key": "cs_nocov", "label": "Callaway–Sant'Anna sans covariables",
                 "estimate": nc.simple.estimate, "ci_low": nc.simple.ci_low, "ci_high": nc.simple.ci_high,
                 "reads": f"tendances parallèles non conditionnelles (test avant contrat : p {_p(nc.pretest_p)})"})
    nyt = variants["not_yet_treated"]
    rows.append({"key": "cs_nyt", "label": "Callaway–Sant'Anna, comparaison élargie aux futurs signataires",
                 "estimate": nyt.simple.estimate, "ci_low": nyt.simple.ci_low, "ci_high": nyt.simple.ci_high,
                 "reads": "tendances parallèles conditionnelles, autre groupe de comparaison"})
    rows.append({"key": "cs", "label": "Callaway–Sant'Anna avec covariables (estimation retenue)",
                 "estimate": main.simple.estimate, "ci_low": main.simple.ci_low, "ci_high": main.simple.ci_high,
                 "reads": f"effet moyen attribuable à l'assistant (test avant contrat : p {_p(main.pretest_p)})"})
    row_h = main.dynamic.table[main.dynamic.table.event_time == h]
    if len(row_h):
        r = row_h.iloc[0]
        rows.append({"key": "cs_h", "label": f"Callaway–Sant'Anna avec covariables, {12 * (h + 1)} mois",
                     "estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high,
                     "reads": "effet attribuable après " + f"{h + 1} ans de contrat"})
    return pd.DataFrame(rows)


def _published_table(desc: pd.DataFrame, targets: pd.DataFrame, main: CSResult, dose: pd.DataFrame,
                     proj: pd.DataFrame, h: int) -> pd.DataFrame:
    def get(outcome, group, col):
        if desc.empty:
            return float("nan")
        s = desc[(desc.outcome == outcome) & (desc.group == group)]
        return float(s[col].iloc[0]) if len(s) else float("nan")

    cnam22 = "Cnam 2022"
    cnam24 = "Cnam 2024"
    first_target = targets[targets.option == "all"]["target_mean"]
    row22 = proj[proj.date == "2022-01"]
    rows = [
        ("Patientèle MT des signataires avant le contrat (patients)", PUBLISHED["mt_base_48m"], cnam24,
         get("patients_mt", "signataires", "base"), "calibrage : sélection de médecins à forte patientèle"),
        ("Hausse de la patientèle MT à 30 mois (%)", PUBLISHED["mt_change_30m"], cnam22,
         get("patients_mt", "signataires", "change_30m_pct"), "calibrage (avant/après, sans comparaison)"),
        ("Hausse de la patientèle MT à 48 mois (%)", PUBLISHED["mt_change_48m"], cnam24,
         get("patients_mt", "signataires", "change_48m_pct"), "calibrage (avant/après, sans comparaison)"),
        ("Non-signataires, même période (%)", PUBLISHED["mt_change_48m_ctrl"], cnam24,
         get("patients_mt", "non-signataires", "change_48m_pct"), "calibrage : tendance commune"),
        ("File active à 48 mois, signataires (%)", PUBLISHED["fa_change_48m"], cnam24,
         get("file_active", "signataires", "change_48m_pct"), "calibrage"),
        ("File active à 48 mois, non-signataires (%)", PUBLISHED["fa_change_48m_ctrl"], cnam24,
         get("file_active", "non-signataires", "change_48m_pct"), "calibrage"),
        ("Actes à 48 mois, signataires (%)", PUBLISHED["acts_change_48m"], cnam24,
         get("acts", "signataires", "change_48m_pct"), "calibrage"),
        ("Objectif contractuel moyen (%)", PUBLISHED["mt_objective_48m"], cnam24,
         float(first_target.iloc[0]) if len(first_target) else float("nan"),
         "vérifie la règle d'objectifs appliquée (tranches interpolées)"),
        (f"Effet attribuable à {12 * (h + 1)} mois (%)", float("nan"), "non publié",
         float(dose["gain"].mul(dose["n_gps"]).sum() / dose["n_gps"].sum() /
               main.pre_mean * 100) if len(dose) else float("nan"),
         "estimation de ce chapitre (double différence)"),
        ("Patients gagnés, 2 700 contrats (janvier 2022)", float(CLAIM_PATIENTS),
         "Cnam, février 2022",
         float(round(row22["estimate"].iloc[0], -3)) if len(row22) else float("nan"),
         "l'annonce suppose les objectifs atteints et ne retranche pas la tendance"),
    ]
    out = pd.DataFrame(rows, columns=["Indicateur", "Publié", "Source", "Reproduit (synthétique)",
                                      "Ce que montre la comparaison"])
    pct = out["Indicateur"].str.endswith("(%)")
    for c in ("Publié", "Reproduit (synthétique)"):
        out[c] = [("" if not np.isfinite(v) else fmt_num(v, 1) if is_pct else fmt_num(v, 0))
                  for v, is_pct in zip(out[c], pct)]
    return out


def _rows(a: AssistantsAnalysis) -> pd.DataFrame:
    rows: list[dict] = []
    main = a.cs["patients_mt"]
    # headline: CS simple ATT on patients_mt, in patients and in percent of the pre-period mean
    rows += main.simple.to_rows(STUDY, "patients_mt", "patients", headline=True, estimator="cs_simple")
    rows += main.relative("simple").to_rows(STUDY, "patients_mt", "percent", headline=True, estimator="cs_simple")
    aggs = main.aggregates()
    for name in ("dynamic", "group", "calendar"):
        rows += aggs[name].to_rows(STUDY, "patients_mt", "patients", estimator=f"cs_{name}")
    rows += main.dynamic.to_rows(STUDY, "patients_mt", "patients", estimator="cs_dynamic", n_obs=main.n_obs)
    for key, r in a.cs_variants.items():
        est = "cs_simple_not_yet_treated" if key == "not_yet_treated" else "cs_simple_no_covariates"
        rows += r.simple.to_rows(STUDY, "patients_mt", "patients", estimator=est)
    for o in ("file_active", "acts"):
        r = a.cs[o]
        rows += r.simple.to_rows(STUDY, o, OUTCOME_UNITS[o], headline=True, estimator="cs_simple")
        rows += r.relative("simple").to_rows(STUDY, o, "percent", headline=True, estimator="cs_simple")
    for o, r in a.by_option.items():
        sg = f"option={o}"
        rows += r.simple.to_rows(STUDY, "patients_mt", "patients", subgroup=sg, estimator="cs_simple")
        rows += r.relative("simple").to_rows(STUDY, "patients_mt", "percent", subgroup=sg, estimator="cs_simple")
        rows += r.dynamic.to_rows(STUDY, "patients_mt", "patients", estimator="cs_dynamic",
                                  subgroup_prefix=f"option_{o}_", n_obs=r.n_obs)
        ny = a.by_option_nyt[o]
        rows += ny.simple.to_rows(STUDY, "patients_mt", "patients", subgroup=sg, estimator="cs_simple_not_yet_treated")
    for r in a.dose.itertuples():
        if np.isfinite(r.diff_third):
            rows.append(make_row(study=STUDY, outcome="patients_mt", estimator="cs_dose_difference",
                                 estimate=r.diff_third, std_error=r.diff_third_se, ci_low=r.diff_third_ci_low,
                                 ci_high=r.diff_third_ci_high, unit="patients", n_units=r.n_gps,
                                 subgroup=f"option={r.option}"))
    for r in a.cost.itertuples():
        rows.append(make_row(study=STUDY, outcome="cost_per_patient", estimator="aid_over_cs_gain",
                             estimate=r.estimate, std_error=r.std_error, ci_low=r.ci_low,
                             ci_high=r.ci_high if np.isfinite(r.ci_high) else float("nan"),
                             unit="eur_per_patient", n_units=r.n_gps,
                             subgroup="all" if r.option == "all" else f"option={r.option}",
                             headline=r.option == "all"))
    n_proj = int(a.dose["n_gps"].sum()) if len(a.dose) else None
    last = a.projection.iloc[-1] if len(a.projection) else None
    for r in a.projection.itertuples():
        if not np.isfinite(r.estimate):
            continue
        rows.append(make_row(study=STUDY, outcome="national_projection", estimator="contracts_x_cs_gain",
                             estimate=r.estimate, std_error=r.std_error, ci_low=r.ci_low, ci_high=r.ci_high,
                             unit="patients", n_units=n_proj, subgroup=f"date={r.date}"))
    if last is not None and np.isfinite(last.estimate):
        rows.append(make_row(study=STUDY, outcome="national_projection", estimator="contracts_x_cs_gain",
                             estimate=last.estimate, std_error=last.std_error, ci_low=last.ci_low,
                             ci_high=last.ci_high, unit="patients", n_units=n_proj, headline=True))
    t = a.targets
    for r in t.itertuples():
        rows.append(make_row(study=STUDY, outcome="target_reached", estimator="share_of_signatories",
                             estimate=r.share_reached, std_error=r.share_se, unit="pp", n_units=r.n_gps,
                             subgroup="all" if r.option == "all" else f"option={r.option}",
                             headline=r.option == "all"))
    if a.honest is not None:
        rows += a.honest.to_rows(STUDY, "patients_mt", "patients", n_units=main.n_units, n_obs=main.n_obs)
    out = to_frame(rows)
    small = out["n_units"].notna() & (out["n_units"] < MIN_CELL)
    return out[~small].reset_index(drop=True)


def _texts(a: AssistantsAnalysis, seed: int) -> dict[str, str]:
    """French strings for the prose (glued in the notebook)."""
    m = a.cs["patients_mt"]
    rel = m.relative("simple")
    # every key the chapter pastes exists, « n.d. » when the data do not allow it (e.g. an option absent)
    t: dict[str, str] = {f"{o}_{k}": "n.d." for o in OPTIONS
                         for k in ("att", "gain", "gain_ci", "gain_pct", "gain_fte", "n", "diff", "diff_ci")}
    t.update({f"cost_{o}{k}": "n.d." for o in (*OPTIONS, "all") for k in ("", "_ci", "_steady")})
    t.update({f"target_{o}_{k}": "n.d." for o in (*OPTIONS, "all") for k in ("share", "placebo", "mean")})
    t.update({k: "n.d." for k in ("gain_h", "gain_h_ci", "gain_h_pct", "gain_0", "share_trend", "honest_m1_ci",
                                  "desc_cohorts", "desc_n", "desc_base", "desc_after48", "desc_change48",
                                  "desc_change48_pct", "desc_change30_pct", "desc_ctrl48_pct", "desc_ctrl48",
                                  "desc_ctrl_base", "desc_rawdid", "dose_ratio", "gain_per_contract",
                                  "honest_breakdown", "honest_target")})
    t["n_never"] = fmt_num(a.n_gps - a.n_signatories, 0)
    labels = {"underserved": "zone sous-dense", "age": "âge", "female": "sexe",
              "patients_mt_first": "patientèle médecin traitant de la première année"}
    cov = m.settings.get("covariates", [])
    t["cov_list"] = ", ".join(labels.get(c, c) for c in cov) if cov else "aucune"
    t["full_note"] = ("les médecins à temps plein, tous en zone sous-dense, sont comparés aux seuls médecins des zones "
                      "sous-denses" if a.option_notes.get("full") else "")
    t["claim_per_contract"] = fmt_num(CLAIM_PATIENTS / CLAIM_CONTRACTS, 0)
    t["claim_per_gp_contract"] = fmt_num(CLAIM_PATIENTS / float(CONTRACTS.loc[CONTRACTS.date == "2022-01",
                                                                              "gp_contracts"].iloc[0]), 0)
    if len(a.dose):
        g = a.dose.set_index("option")["gain"]
        if "third" in g and "full" in g and g["third"] > 0:
            t["dose_ratio"] = fmt_num(g["full"] / g["third"], 1)
        sh = {o: OPTION_SHARES_2021[o] for o in g.index}
        t["gain_per_contract"] = fmt_num(sum(sh[o] * g[o] for o in g.index) / sum(sh.values()), 0)
    t["att"] = fmt_num(m.simple.estimate, 0, sign=True)
    t["att_ci"] = fmt_ci(m.simple.ci_low, m.simple.ci_high, 0)
    t["att_pct"] = fmt_pct(rel.estimate, 1, sign=True)
    t["att_pct_ci"] = fmt_ci(rel.ci_low, rel.ci_high, 1, "%")
    t["pre_mean"] = fmt_num(m.pre_mean, 0)
    t["pretest_p"] = fmt_num(m.pretest_p, 2)
    nc = a.cs_variants["no_covariates"]
    t["pretest_p_nocov"] = f"= {fmt_num(nc.pretest_p, 3)}" if nc.pretest_p >= 0.001 else "< 0,001"
    t["att_nocov"] = fmt_num(nc.simple.estimate, 0, sign=True)
    t["pretest_nocov_sentence"] = ("est rejetée avant même la signature" if nc.pretest_p < 0.05
                                   else "n'est pas rejetée avant la signature")
    t["pretest_cov_sentence"] = ("les écarts avant contrat sont compatibles avec zéro" if m.pretest_p >= 0.05
                                 else "des écarts significatifs subsistent avant le contrat")
    est = a.estimators.set_index("key")
    if "twfe" in est.index:
        t["twfe"] = fmt_num(est.loc["twfe", "estimate"], 0, sign=True)
        t["twfe_ci"] = fmt_ci(est.loc["twfe", "ci_low"], est.loc["twfe", "ci_high"], 0)
    for o in OPTIONS:
        r = a.by_option_nyt.get(o)
        t[f"{o}_att_nyt"] = fmt_num(r.simple.estimate, 0, sign=True) if r is not None else "n.d."
        t[f"{o}_att_nyt_ci"] = fmt_ci(r.simple.ci_low, r.simple.ci_high, 0) if r is not None else "n.d."
    ny = a.cs_variants["not_yet_treated"]
    t["att_nyt"] = fmt_num(ny.simple.estimate, 0, sign=True)
    t["att_nyt_ci"] = fmt_ci(ny.simple.ci_low, ny.simple.ci_high, 0)
    h = a.horizon
    t["horizon_months"] = fmt_num(12 * (h + 1), 0)
    t["horizon_years"] = fmt_num(h + 1, 0)
    row_h = m.dynamic.table[m.dynamic.table.event_time == h]
    if len(row_h):
        r = row_h.iloc[0]
        t["gain_h"] = fmt_num(r.estimate, 0, sign=True)
        t["gain_h_ci"] = fmt_ci(r.ci_low, r.ci_high, 0)
        t["gain_h_pct"] = fmt_pct(100 * r.estimate / m.pre_mean, 1, sign=True)
    row0 = m.dynamic.table[m.dynamic.table.event_time == 0]
    if len(row0):
        t["gain_0"] = fmt_num(row0.iloc[0].estimate, 0, sign=True)
    t["n_gps"] = fmt_num(a.n_gps, 0)
    t["n_sign"] = fmt_num(a.n_signatories, 0)
    t["years"] = f"{a.data_years[0]}–{a.data_years[1]}"
    t["cohorts"] = f"{min(a.cohorts)}–{max(a.cohorts)}"
    desc = a.descriptive
    if len(desc):
        s = desc[(desc.outcome == "patients_mt") & (desc.group == "signataires")].iloc[0]
        n = desc[(desc.outcome == "patients_mt") & (desc.group == "non-signataires")].iloc[0]
        t["desc_cohorts"] = " et ".join(str(c) for c in desc.attrs.get("cohorts", []))
        t["desc_n"] = fmt_num(s.n_gps, 0)
        t["desc_base"] = fmt_num(s.base, 0)
        t["desc_after48"] = fmt_num(s.after_48m, 0)
        t["desc_change48"] = fmt_num(s.change_48m, 0, sign=True)
        t["desc_change48_pct"] = fmt_pct(s.change_48m_pct, 1, sign=True)
        t["desc_change30_pct"] = fmt_pct(s.change_30m_pct, 1, sign=True)
        t["desc_ctrl48_pct"] = fmt_pct(n.change_48m_pct, 1, sign=True)
        t["desc_ctrl48"] = fmt_num(n.change_48m, 0, sign=True)
        t["desc_ctrl_base"] = fmt_num(n.base, 0)
        t["desc_rawdid"] = fmt_num(s.change_48m - n.change_48m, 0, sign=True)
        if len(row_h):
            t["share_trend"] = fmt_pct(100 * (1 - row_h.iloc[0].estimate / s.change_48m), 0)
    for r in a.dose.itertuples():
        o = r.option
        t[f"{o}_att"] = fmt_num(r.att, 0, sign=True)
        t[f"{o}_gain"] = fmt_num(r.gain, 0, sign=True)
        t[f"{o}_gain_ci"] = fmt_ci(r.gain_ci_low, r.gain_ci_high, 0)
        t[f"{o}_gain_pct"] = fmt_pct(r.gain_pct, 1, sign=True)
        t[f"{o}_gain_fte"] = fmt_num(r.gain_per_fte, 0)
        t[f"{o}_n"] = fmt_num(r.n_gps, 0)
        if np.isfinite(r.diff_third):
            t[f"{o}_diff"] = fmt_num(r.diff_third, 0, sign=True)
            t[f"{o}_diff_ci"] = fmt_ci(r.diff_third_ci_low, r.diff_third_ci_high, 0)
    for r in a.cost.itertuples():
        o = r.option
        t[f"cost_{o}"] = fmt_eur(r.estimate)
        t[f"cost_{o}_ci"] = (fmt_ci(r.ci_low, r.ci_high, 0, "€") if np.isfinite(r.ci_high)
                             else f"[{fmt_num(r.ci_low, 0)}{NBSP}€ ; ∞[")
        t[f"cost_{o}_steady"] = fmt_eur(r.steady)
    for r in a.targets.itertuples():
        o = r.option
        t[f"target_{o}_share"] = fmt_pct(r.share_reached, 0)
        t[f"target_{o}_placebo"] = fmt_pct(r.placebo_share, 0)
        t[f"target_{o}_mean"] = fmt_pct(r.target_mean, 1, sign=True)
    for r in a.projection.itertuples():
        key = r.date.replace("-", "_")
        t[f"proj_{key}"] = fmt_num(round(r.estimate, -3), 0)  # rounded to the thousand: a projection
        t[f"proj_{key}_ci"] = fmt_ci(round(r.ci_low, -3), round(r.ci_high, -3), 0)
        t[f"proj_{key}_claim_pct"] = fmt_pct(100 * r.estimate / CLAIM_PATIENTS, 0)
        t[f"proj_{key}_nomt_pct"] = fmt_pct(100 * r.estimate / WITHOUT_MT, 1)
    if a.honest is not None:
        hb = a.honest.breakdown
        m_max = fmt_num(float(a.honest.grid["M"].max()), 1)
        t["honest_breakdown"] = (f"le gain reste significatif pour toutes les valeurs testées, jusqu'à M̄ = {m_max}"
                                 if hb is None else f"le gain cesse d'être significatif à partir de M̄ = "
                                                    f"{fmt_num(hb, 2)}")
        t["honest_target"] = f"effet à {12 * (h + 1)} mois"
        g = a.honest.grid
        one = g[np.isclose(g["M"], 1.0)]
        if len(one):
            t["honest_m1_ci"] = fmt_ci(float(one.ci_low.iloc[0]), float(one.ci_high.iloc[0]), 0)
    fa, ac = a.cs["file_active"], a.cs["acts"]
    t["fa_att"] = fmt_num(fa.simple.estimate, 0, sign=True)
    t["fa_att_pct"] = fmt_pct(fa.relative("simple").estimate, 1, sign=True)
    t["fa_att_ci"] = fmt_ci(fa.simple.ci_low, fa.simple.ci_high, 0)
    t["acts_att"] = fmt_num(ac.simple.estimate, 0, sign=True)
    t["acts_att_pct"] = fmt_pct(ac.relative("simple").estimate, 1, sign=True)
    t["acts_att_ci"] = fmt_ci(ac.simple.ci_low, ac.simple.ci_high, 0)
    t["seed"] = str(seed)
    return t


__all__ = ["AID_SCHEDULE", "AID_SOURCE", "CONTRACTS", "CLAIM_PATIENTS", "WITHOUT_MT", "TARGETS", "PUBLISHED",
           "AssistantsAnalysis", "aid", "aid_schedule_table", "analyse", "cnam_descriptive", "contract_target",
           "cost_ratio", "event_influence", "linear_combination", "prepare", "projection", "target_attainment"]
