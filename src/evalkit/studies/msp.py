"""Chapter « Maisons de santé pluriprofessionnelles »: does joining an MSP raise a GP's patientèle and fees?

:func:`analyse` runs the whole chapter on any table that follows the ``msp`` contract (DESIGN.md §3) and returns an
:class:`MSPAnalysis`: tidy tables, plot-ready frames, French texts to glue into the prose, figure/table builders, and
the results rows. Everything is derived from the data (years, entry cohorts, rurality levels present); nothing of the
synthetic design is assumed.

Steps
-----
1. Panel preparation (stated rules, see :func:`prepare`): balanced panel, entry years after the last year counted as
   never treated, GPs in MSP from the first year (no pre-period) and entry cohorts of fewer than 11 GPs set aside.
2. Who joins: baseline profile (year before the first entry) of future MSP GPs vs the others, standardised
   differences, counts < 11 suppressed.
3. The naive cross-section (last year: MSP GPs vs the others) and the same gap before any entry.
4. Propensity-score matching (nearest neighbour on the logit, caliper 0.2 SD, without replacement) on age, sex,
   rurality and baseline activity, with the balance table before/after.
5. Difference-in-differences: TWFE (unit and year effects, SE clustered by GP) and Callaway–Sant'Anna group-time ATTs
   (never-treated comparison GPs, doubly robust on the matching covariates) — the **headline** is the CS simple ATT
   over all treated GPs; beside it, the same estimator on the matched sample and with not-yet-treated comparisons.
6. Event study (CS by years since entry) with the joint pre-trend test; HonestDiD sensitivity (relative magnitudes)
   on the average post-entry effect of the MT patientèle.
7. Heterogeneity by rurality; national order of magnitude (effect × ≈ 5,000 GPs in ACI MSP); published vs reproduced.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import paths, plots
from ..disclosure import MIN_CELL, suppress
from ..estimators.base import Estimate
from ..estimators.did import twfe
from ..estimators.matching import balance_table, match_ps
from ..estimators.naive import naive_cross_section
from ..estimators.staggered import bacon_decomposition, callaway_santanna, honest_did
from ..results import NBSP, fmt_ci, fmt_num, make_row, to_frame

STUDY = "msp"
UNIT, TIME, COHORT = "gp_id", "year", "cohort"

#: Outcomes: column → (unit of the results rows, French label, short label, decimals in prose, unit suffix).
OUTCOMES: dict[str, dict[str, Any]] = {
    "patients_mt": dict(unit="patients", label="patientèle médecin traitant", short="Patientèle MT", dec=0,
                        suffix="patients"),
    "file_active": dict(unit="patients", label="file active", short="File active", dec=0, suffix="patients"),
    "fees": dict(unit="euros", label="honoraires annuels", short="Honoraires", dec=0, suffix="€"),
}
RURALITY_FR = {"urban": "Urbain", "periurban": "Périurbain", "rural": "Rural"}

ANCHOR = ("les résultats publiés de l'Irdes sur les maisons de santé (Cassou, Mousquès et Franc, 2020 ; "
          "Questions d'économie de la santé n° 258, 2021)")

#: Published figures the chapter cites (evidence.md). Typed here once, with their source, because they are facts.
PUBLISHED: dict[str, dict[str, Any]] = {
    "effect_mt": dict(value=90.0, text="≈ +90 patients", source="HCAAM 2022, note 43 ; Irdes, QES n° 258, 2021"),
    "effect_mt_pct": dict(value=10.0, text="≈ +10\u202f%", source="HCAAM 2022, note 43"),
    "effect_fa": dict(value=88.5, text="+88 à +89 patients", source="Irdes, QES n° 258, 2021"),
    "effect_fees_pct": dict(value=2.5, text="+2,5\u202f%", source="Irdes, QES n° 258, 2021"),
    "effect_fees_eur": dict(value=2091.0, text="≈ +2\u202f091\u202f€ par an", source="Irdes, QES n° 258, 2021"),
    "naive_claim": dict(value=600.0, text="« 600 patients supplémentaires par an »",
                        source="CPAM de Saône-et-Loire, 2024"),
    "gps_in_msp": dict(value=5000.0, text="près de 5 000 médecins généralistes",
                       source="audition du directeur général de la Cnam, Le Quotidien du médecin, 2022"),
    "sample": dict(value=844.0, n_total=30541, n_msp=844, text="30 541 médecins dont 844 en MSP, 2008–2014",
                   source="Irdes, QES n° 258, 2021"),
    "profile": dict(value=None, source="Irdes, QES n° 258, 2021",
                    msp=dict(age=47.7, female=25.4, rural=36.7, periurban=24.8),
                    control=dict(age=48.7, female=28.6, rural=12.2, periurban=18.6),
                    gap=dict(patients_mt=5.2, file_active=8.3)),
}

MIN_COHORT = MIN_CELL  # entry cohorts of fewer GPs are set aside (their rows could not be published anyway)
# Cohort-specific propensity scores P(G = g | X) are naturally far below 1 % when a cohort is small next to the
# never-treated pool; diff-diff's default trimming at 0.01 would clip most of them. We follow R ``did`` (which trims
# nothing) with a bound that only guards against exact 0/1.
PSCORE_TRIM = 1e-6
HONEST_GRID = tuple(np.round(np.arange(0, 4.01, 0.25), 2))


# --- preparation -------------------------------------------------------------------------------------------------

@dataclass
class Prepared:
    """The analysis panel and what was done to the input."""

    panel: pd.DataFrame  # one row per GP × year, with baseline covariates (constant within GP)
    baseline: pd.DataFrame  # one row per GP: treated, cohort, age, female, rurality, base_* (baseline year values)
    years: list[int]
    cohorts: list[int]
    baseline_year: int
    covariates: list[str]  # CS covariates (standardised numeric columns of ``panel``)
    rurality_levels: list[str]
    notes: list[str]
    n_input: int


def prepare(df: pd.DataFrame) -> Prepared:
    """Stated rules that turn a contract table into the analysis panel.

    - entry years after the last observed year: counted as never treated within the window;
    - GPs not observed every year, or with a missing outcome: set aside (balanced panel, as the CS estimator needs);
    - GPs in MSP from the first observed year: set aside (no year before entry to compare with);
    - entry cohorts of fewer than 11 GPs: set aside (too few for a cohort estimate; unpublishable).
    Baseline = the year before the first remaining entry cohort.
    """
    need = ["gp_id", "year", *OUTCOMES, "age", "female", "rurality", "msp_year"]
    miss = [c for c in need if c not in df.columns]
    if miss:
        raise ValueError(f"msp analysis: missing columns {miss}")
    d = df[need].copy()
    d[UNIT] = d["gp_id"].astype(str)
    d[TIME] = pd.to_numeric(d["year"]).astype(int)
    for o in OUTCOMES:
        d[o] = pd.to_numeric(d[o], errors="coerce").astype(float)
    d["age"] = pd.to_numeric(d["age"], errors="coerce").astype(float)
    d["female"] = pd.to_numeric(d["female"], errors="coerce").astype(float)
    d[COHORT] = pd.to_numeric(d["msp_year"], errors="coerce").astype(float)
    d = d.drop(columns=["msp_year"])
    n_input = d[UNIT].nunique()
    notes: list[str] = []
    years = sorted(d[TIME].unique())
    first, last = years[0], years[-1]

    late = d[COHORT] > last
    if late.any():
        notes.append(f"{d.loc[late, UNIT].nunique()} médecins entrés en MSP après {last} sont comptés comme non "
                     "entrés sur la période")
        d.loc[late, COHORT] = np.nan
    bad = d[list(OUTCOMES)].isna().any(axis=1)
    per_gp = d.groupby(UNIT)[TIME].nunique()
    drop = set(d.loc[bad, UNIT]) | set(per_gp.index[per_gp < len(years)])
    if drop:
        notes.append(f"{len(drop)} médecins non observés toutes les années (ou avec une valeur manquante) sont "
                     "écartés (panel cylindré)")
        d = d[~d[UNIT].isin(drop)]
    early = d[COHORT] <= first
    if early.any():
        notes.append(f"{d.loc[early, UNIT].nunique()} médecins déjà en MSP en {first} (aucune année avant l'entrée) "
                     "sont écartés")
        d = d[~early]
    sizes = d.drop_duplicates(UNIT)[COHORT].value_counts()
    small = sizes[sizes < MIN_COHORT]
    if len(small):
        notes.append(f"{len(small)} cohorte(s) d'entrée de moins de {MIN_COHORT} médecins "
                     f"({', '.join(str(int(g)) for g in sorted(small.index))}) écartée(s)")
        d = d[~d[COHORT].isin(small.index)]
    cohorts = sorted(int(g) for g in d[COHORT].dropna().unique())
    n_never = d.loc[d[COHORT].isna(), UNIT].nunique()
    if not cohorts or n_never < MIN_CELL:
        raise ValueError("msp analysis: need at least one entry cohort of ≥ 11 GPs and ≥ 11 GPs never in MSP "
                         f"(found cohorts {cohorts}, {n_never} never-MSP GPs)")
    baseline_year = max(y for y in years if y < cohorts[0])

    b = d[d[TIME] == baseline_year].set_index(UNIT)
    base = pd.DataFrame({
        UNIT: b.index,
        "treated": b[COHORT].notna().astype(int).to_numpy(),
        COHORT: b[COHORT].to_numpy(),
        "age": b["age"].to_numpy(),
        "female": b["female"].to_numpy(),
        "rurality": b["rurality"].astype(str).to_numpy(),
        "base_mt": b["patients_mt"].to_numpy(),
        "base_fa": b["file_active"].to_numpy(),
        "base_fees": b["fees"].to_numpy(),
    }).reset_index(drop=True)
    levels = [r for r in RURALITY_FR if r in set(base["rurality"])]
    levels += sorted(set(base["rurality"]) - set(levels))

    # Standardised baseline covariates for the DR estimator (rescaling does not change DR estimates; it helps the
    # logit converge). Rurality enters as dummies for the levels present (first level = reference).
    cov = pd.DataFrame({UNIT: base[UNIT]})
    covariates = []
    for c in ("age", "female", "base_mt", "base_fa"):
        x = base[c].astype(float)
        sd = x.std(ddof=1)
        if not np.isfinite(sd) or sd == 0:
            continue
        cov[f"z_{c}"] = (x - x.mean()) / sd
        covariates.append(f"z_{c}")
    for r in levels[1:]:
        cov[f"r_{r}"] = (base["rurality"] == r).astype(float)
        covariates.append(f"r_{r}")
    d = d.drop(columns=["rurality"]).merge(base[[UNIT, "rurality"]], on=UNIT).merge(cov, on=UNIT)
    d = d.sort_values([UNIT, TIME]).reset_index(drop=True)
    return Prepared(d, base, [int(y) for y in years], cohorts, int(baseline_year), covariates, levels, notes, n_input)


# --- estimation helpers -------------------------------------------------------------------------------------------

class _Warnings:
    """Collect warnings raised by the estimators instead of printing them on the page.

    Checked and expected on these data: diff-diff's « Low Events Per Variable » (small early entry cohorts in the
    cohort-specific propensity scores: the doubly robust estimate stays consistent through its outcome regression),
    and notes on the refit with a universal base period for HonestDiD. They are kept in ``MSPAnalysis.warnings``.
    """

    def __init__(self):
        self.messages: list[str] = []

    def __enter__(self):
        self._cm = warnings.catch_warnings(record=True)
        self._rec = self._cm.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        rec = list(self._rec)
        self._cm.__exit__(*exc)
        for w in rec:
            msg = f"{w.category.__name__}: {str(w.message).splitlines()[0][:200]}"
            if msg not in self.messages:
                self.messages.append(msg)
        return False


def _cs(panel: pd.DataFrame, outcome: str, covariates: list[str], control_group: str = "never_treated",
        seed: int = 0):
    """Callaway–Sant'Anna, doubly robust on ``covariates``; falls back to outcome regression if the logit fails."""
    try:
        return callaway_santanna(panel, outcome, UNIT, TIME, COHORT, covariates=covariates,
                                 control_group=control_group, est_method="dr", pscore_trim=PSCORE_TRIM, seed=seed)
    except (ValueError, np.linalg.LinAlgError, RuntimeError) as e:
        warnings.warn(f"CS doubly robust failed for {outcome} ({type(e).__name__}: {e}); outcome regression used",
                      UserWarning)
        return callaway_santanna(panel, outcome, UNIT, TIME, COHORT, covariates=covariates,
                                 control_group=control_group, est_method="reg", seed=seed)


def event_time_pretest(cs, min_units: int = MIN_CELL) -> tuple[float, int, float]:
    """Joint Wald test that the pre-entry event-study coefficients (e < 0, each resting on ≥ ``min_units`` treated
    units) are all zero: (W, df, p-value), with their covariance from diff-diff's event-study aggregation.

    evalkit's ``CSResult.pretest_p`` tests every pre-entry ATT(g,t) cell (R ``did``'s pre-test): with many small entry
    cohorts that is dozens of restrictions, each estimated on a few dozen GPs, and the χ² approximation then rejects
    too often (on this chapter's synthetic design, where parallel trends hold by construction, about one sample in
    five at the 5 % level). The event-time test has one restriction per pre-entry year — what the figure shows.
    (Thin helper here: evalkit.estimators has no event-time pre-test.)
    """
    from scipy import stats

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


def _row(est: Estimate, outcome: str, unit: str, estimator: str, subgroup: str = "all", headline: bool = False,
         scale: float = 1.0, n_units: int | None = None) -> dict:
    e = est.scaled(scale) if scale != 1.0 else est
    return make_row(study=STUDY, outcome=outcome, estimator=estimator, estimate=e.estimate, std_error=e.std_error,
                    ci_low=e.ci_low, ci_high=e.ci_high, unit=unit, n_units=n_units or e.n_units, n_obs=e.n_obs,
                    subgroup=subgroup, headline=headline)


# --- French text helpers ---------------------------------------------------------------------------------------------

def _num(x: float, dec: int = 0, sign: bool = False) -> str:
    return fmt_num(x, dec, sign=sign)


def _val(x: float, outcome: str, sign: bool = True, pct: bool = False) -> str:
    """``+91 patients``, ``+2 092 €`` or ``+9,9 %``."""
    if pct:
        return f"{_num(x, 1, sign)}{NBSP}%"
    o = OUTCOMES[outcome]
    return f"{_num(x, o['dec'], sign)}{NBSP}{o['suffix']}"


def _ci(e: Estimate, outcome: str, pct: bool = False) -> str:
    if pct:
        return fmt_ci(e.ci_low, e.ci_high, 1, "%")
    o = OUTCOMES[outcome]
    return fmt_ci(e.ci_low, e.ci_high, o["dec"], o["suffix"] if o["suffix"] == "€" else "")


def _fmt_p(p: float) -> str:
    if not np.isfinite(p):
        return "n.d."
    return "< 0,001" if p < 0.001 else fmt_num(p, 3 if p < 0.01 else 2)


def _round_sig(x: float, digits: int = 2) -> float:
    """Round to ``digits`` significant digits (national orders of magnitude must not look precise)."""
    if not np.isfinite(x) or x == 0:
        return x
    return float(round(x, digits - 1 - int(math.floor(math.log10(abs(x))))))


def _span(a: list[int]) -> str:
    return f"{a[0]}–{a[-1]}" if len(a) > 1 else str(a[0])


def _forest(tab: pd.DataFrame, *, xlabel: str, ylabel: str, title: str, alt: str, champ: str, source: str,
            name: str, decimals: int = 0, colors: list[str] | None = None, truth: float | None = None,
            note: str = "") -> plots.Figure:
    """Forest plot (one line per row of ``tab``: label, estimate, ci_low, ci_high), with an optional truth line.

    (``evalkit.plots.forest`` leaves its y axis unlabelled, which ``plots.figure`` refuses: hence this local one.)
    """
    fig, ax = plots.new(height=0.55 * len(tab) + 1.6)
    y = np.arange(len(tab))[::-1]
    colors = colors or [plots.PALETTE[0]] * len(tab)
    for yi, (_, r), c in zip(y, tab.iterrows(), colors):
        ax.errorbar(r["estimate"], yi, xerr=[[r["estimate"] - r["ci_low"]], [r["ci_high"] - r["estimate"]]],
                    fmt="o", color=c, capsize=3)
        ax.annotate(plots.ci_label(r["estimate"], r["ci_low"], r["ci_high"], decimals), (r["ci_high"], yi),
                    xytext=(6, 0), textcoords="offset points", va="center", fontsize=8)
    ax.axvline(0, color=plots.NEUTRAL, lw=1)
    if truth is not None:
        import matplotlib.transforms as mtransforms

        ax.axvline(truth, color=plots.TRUTH, ls="--", lw=1.2)
        ax.text(truth, 1.01, "effet simulé (vérité connue)", color=plots.TRUTH, fontsize=8, ha="center",
                va="bottom", transform=mtransforms.blended_transform_factory(ax.transData, ax.transAxes))
    ax.set_yticks(y)
    ax.set_yticklabels(tab["label"])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    plots.french_axis(ax, "x")
    lo, hi = min(0.0, float(tab["ci_low"].min())), float(tab["ci_high"].max())
    span = hi - lo if hi > lo else 1.0
    ax.set_xlim(lo - 0.03 * span, hi + 0.5 * span)
    return plots.figure(fig, title=title, alt=alt, champ=champ, source=source, name=name, note=note)


# --- the analysis ---------------------------------------------------------------------------------------------------

@dataclass
class MSPAnalysis:
    """Everything the MSP chapter shows. Tables are tidy DataFrames; ``texts`` are French strings to glue
    (keys prefixed ``msp_``); ``rows`` is the chapter's results table (DESIGN §3)."""

    prepared: Prepared
    naive: dict[str, Estimate]
    naive_pre: dict[str, Estimate]
    twfe: dict[str, Estimate]
    cs: dict[str, Any]
    cs_matched: dict[str, Any]
    cs_notyet: dict[str, Any]
    by_rurality: pd.DataFrame
    honest: Any
    bacon: Any
    match: Any
    balance: pd.DataFrame
    trends: pd.DataFrame
    national: pd.DataFrame
    truth: dict | None
    rows: pd.DataFrame
    texts: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    seed: int = 0
    pretests: dict[str, tuple[float, int, float]] = field(default_factory=dict)

    # -- shared captions --
    @property
    def champ(self) -> str:
        p = self.prepared
        n = p.baseline[UNIT].nunique()
        n_t = int(p.baseline["treated"].sum())
        return (f"{_num(n)} médecins généralistes libéraux observés chaque année de {p.years[0]} à {p.years[-1]}, "
                f"dont {_num(n_t)} entrés en maison de santé pluriprofessionnelle entre {p.cohorts[0]} et "
                f"{p.cohorts[-1]}.")

    @property
    def source(self) -> str:
        return plots.synthetic_source(ANCHOR) + " ; calculs evalkit."

    def estimate(self, outcome: str, which: str = "cs", pct: bool = False) -> Estimate:
        """One of the chapter's estimates (``naive``, ``naive_pre``, ``twfe``, ``cs``, ``cs_matched``,
        ``cs_notyet``), in outcome units or in percent of the treated GPs' pre-entry mean."""
        src = getattr(self, which)[outcome]
        e = src.simple if hasattr(src, "simple") else src
        return e.scaled(self.percent_factor(outcome)) if pct else e

    def percent_factor(self, outcome: str) -> float:
        return 100.0 / self.cs[outcome].pre_mean

    # -- figures --
    def figure_trends(self, outcome: str = "patients_mt") -> plots.Figure:
        """Mean outcome by year: future/actual MSP GPs vs GPs never in MSP (the raw picture)."""
        t = self.trends[self.trends["outcome"] == outcome]
        o = OUTCOMES[outcome]
        p = self.prepared
        gap_pre = self.naive_pre[outcome].estimate
        gap_last = self.naive[outcome].estimate
        title = (f"{o['short']} : les médecins qui rejoindront une MSP en suivaient déjà davantage avant d'y entrer "
                 f"({_val(gap_pre, outcome)} en {p.baseline_year}, {_val(gap_last, outcome)} en {p.years[-1]})"
                 if gap_pre > 0 else f"{o['short']} moyenne par année, médecins en MSP et autres médecins")
        return plots.trends(
            t, x="year", y="mean", hue="group", xlabel="Année",
            ylabel=f"{o['short']} moyenne ({o['suffix']} par médecin)", title=title, champ=self.champ,
            source=self.source, name=f"msp-tendances-{outcome}", decimals=o["dec"], alt_unit=f" {o['suffix']}",
            vline=p.cohorts[0] - 0.5, vline_label=f"premières entrées ({p.cohorts[0]})",
        )

    def figure_estimates(self, outcome: str = "patients_mt") -> plots.Figure:
        """Forest plot: naive gap vs DiD estimates (and the planted effect on synthetic data)."""
        tab = self.comparison(outcome)
        o = OUTCOMES[outcome]
        colors = [plots.CONTROL if k.startswith("naive") else (plots.TREATED if k == "cs" else plots.NEUTRAL)
                  for k in tab["key"]]
        truth = (self.truth or {}).get("simple", {}).get(outcome)
        naive, cs = self.naive[outcome].estimate, self.cs[outcome].simple.estimate
        title = (f"{o['short']} : l'écart brut ({_val(naive, outcome)}) est {_num(naive / cs, 1)} fois l'effet "
                 f"estimé par différence de différences ({_val(cs, outcome)})"
                 if cs > 0 and naive > cs else f"{o['short']} : écart brut et effets estimés")
        alt = "Graphique en forêt : " + " ; ".join(
            f"{r['label']} : {plots.ci_label(r['estimate'], r['ci_low'], r['ci_high'], o['dec'])} {o['suffix']}"
            for _, r in tab.iterrows()) + (f". Effet simulé : {_val(truth, outcome)}." if truth is not None else ".")
        return _forest(tab, xlabel=f"Écart ou effet estimé ({o['suffix']} par médecin), intervalle de confiance à "
                                   "95 %", ylabel="Comparaison", title=title, alt=alt, champ=self.champ,
                       source=self.source, name=f"msp-estimations-{outcome}", decimals=o["dec"], colors=colors,
                       truth=truth,
                       note="écarts bruts : moyenne des médecins en MSP moins celle des autres médecins une année "
                            "donnée ; les autres lignes comparent des évolutions (différences de différences).")

    def figure_event_study(self, outcome: str = "patients_mt") -> plots.Figure:
        """CS event study (years since entry), pre-entry placebo estimates included."""
        tab = self.event_study(outcome)
        o = OUTCOMES[outcome]
        truth = None
        if self.truth:
            dyn = self.truth["dynamic"][outcome]
            truth = pd.Series({e: v for e, v in dyn.items() if e in set(tab["event_time"])}, dtype=float)
            truth = pd.concat([pd.Series(0.0, index=[e for e in tab["event_time"] if e < 0]), truth]).sort_index()
        post = tab[tab["event_time"] >= 0]
        p = self.pretests[outcome][2]
        first = post.iloc[0]
        pre_max = tab.loc[tab["event_time"] < 0, "estimate"].abs().max()
        small = np.isfinite(pre_max) and pre_max < 0.2 * abs(post["estimate"].mean())
        verdict = ("pas d'écart d'évolution significatif avant l'entrée" if np.isfinite(p) and p >= 0.05
                   else f"{'de petits' if small else 'des'} écarts avant l'entrée (test joint : p = {_fmt_p(p)})")
        title = (f"{o['short']} : {verdict}, puis un effet de {_val(first['estimate'], outcome)} l'année d'entrée "
                 f"et de {_val(post['estimate'].iloc[min(2, len(post) - 1)], outcome)} deux ans après")
        return plots.event_study(
            tab, ylabel=f"Effet estimé ({o['suffix']} par médecin)", title=title, champ=self.champ,
            source=self.source, name=f"msp-evenement-{outcome}", truth=truth, alt_unit=f" {o['suffix']}",
            decimals=o["dec"])

    def figure_honest(self) -> plots.Figure:
        """HonestDiD robust CIs of the average post-entry MT effect as the allowed violation M̄ grows."""
        h = self.honest
        g = h.grid
        fig, ax = plots.new()
        ax.fill_between(g["M"], g["ci_low"], g["ci_high"], color=plots.TREATED, alpha=0.18,
                        label="intervalle de confiance robuste à 95 %")
        ax.plot(g["M"], g["ci_low"], color=plots.TREATED, lw=1)
        ax.plot(g["M"], g["ci_high"], color=plots.TREATED, lw=1)
        ax.axhline(0, color=plots.NEUTRAL, lw=1)
        ax.axhline(h.estimate, color=plots.TREATED, ls=":", lw=1, label="estimation sous tendances parallèles")
        if h.breakdown is not None:
            ax.axvline(h.breakdown, color=plots.TRUTH, ls="--", lw=1.2,
                       label=f"seuil de rupture M̄ = {_num(h.breakdown, 1)}")
        ax.set_xlabel("M̄ : écart de tendance permis après l'entrée, en multiple du plus grand écart observé avant")
        ax.set_ylabel("Effet moyen après l'entrée (patients MT par médecin)")
        plots.french_axis(ax, "both")
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        title = self.texts["msp_honest_title"]
        alt = (f"Aire entre deux courbes : intervalle de confiance robuste de l'effet moyen après l'entrée selon M̄, "
               f"de {fmt_ci(g['ci_low'].iloc[0], g['ci_high'].iloc[0], 0)} pour M̄ = 0 à "
               f"{fmt_ci(g['ci_low'].iloc[-1], g['ci_high'].iloc[-1], 0)} pour M̄ = {_num(g['M'].iloc[-1], 1)}. "
               + (f"L'intervalle inclut zéro à partir de M̄ = {_num(h.breakdown, 1)}." if h.breakdown is not None
                  else "L'intervalle n'inclut jamais zéro sur la grille."))
        return plots.figure(fig, title=title, alt=alt, champ=self.champ, source=self.source, name="msp-honestdid",
                            note="méthode de Rambachan et Roth (2023), restriction en « magnitudes relatives » ; "
                                 "cible : moyenne des effets par année depuis l'entrée.")

    def figure_rurality(self) -> plots.Figure:
        """Forest plot of the MT effect by rurality (with the overall effect)."""
        t = self.by_rurality[self.by_rurality["outcome"] == "patients_mt"].copy()
        allr = self.cs["patients_mt"].simple
        t = pd.concat([pd.DataFrame([{"label": "Ensemble", "estimate": allr.estimate, "ci_low": allr.ci_low,
                                      "ci_high": allr.ci_high}]), t], ignore_index=True)
        t["label"] = [t["label"].iloc[0]] + [f"{lab} ({_num(n)} en MSP)" for lab, n in
                                             zip(t["label"].iloc[1:], t["n_treated"].iloc[1:])]
        est = t["estimate"].iloc[1:]
        title = ("Patientèle MT : effet estimé selon le type de commune d'exercice"
                 if len(est) < 2 else
                 f"Patientèle MT : effet estimé de {_val(est.min(), 'patients_mt')} à "
                 f"{_val(est.max(), 'patients_mt')} selon le type de commune, intervalles qui se recouvrent"
                 if self._overlap() else
                 f"Patientèle MT : effet estimé de {_val(est.min(), 'patients_mt')} à "
                 f"{_val(est.max(), 'patients_mt')} selon le type de commune")
        alt = "Graphique en forêt : " + " ; ".join(
            f"{r['label']} : {plots.ci_label(r['estimate'], r['ci_low'], r['ci_high'], 0)} patients"
            for _, r in t.iterrows()) + "."
        truth = (self.truth or {}).get("simple", {}).get("patients_mt")
        return _forest(t, xlabel="Effet estimé (patients MT par médecin), intervalle de confiance à 95 %",
                       ylabel="Type de commune d'exercice", title=title, alt=alt, champ=self.champ,
                       source=self.source, name="msp-ruralite", decimals=0,
                       colors=[plots.TREATED] + [plots.NEUTRAL] * (len(t) - 1), truth=truth,
                       note="estimateur de Callaway et Sant'Anna doublement robuste, estimé séparément dans chaque "
                            "type de commune ; effectifs de médecins en MSP entre parenthèses.")

    def _overlap(self) -> bool:
        t = self.by_rurality[self.by_rurality["outcome"] == "patients_mt"]
        return len(t) >= 2 and t["ci_low"].max() <= t["ci_high"].min()

    # -- tables --
    def comparison(self, outcome: str) -> pd.DataFrame:
        """The estimates of one outcome, from the naive gap to the headline (plot-ready)."""
        p = self.prepared
        items = [
            ("naive", f"Écart brut en {p.years[-1]} (MSP − autres)", self.naive[outcome]),
            ("naive_pre", f"Écart déjà présent en {p.baseline_year}, avant toute entrée", self.naive_pre[outcome]),
            ("twfe", "DiD à effets fixes (TWFE)", self.twfe[outcome]),
            ("cs_notyet", "Callaway–Sant'Anna, témoins pas encore entrés", self.cs_notyet[outcome].simple),
            ("cs_matched", "Callaway–Sant'Anna, échantillon apparié", self.cs_matched[outcome].simple),
            ("cs", "Callaway–Sant'Anna, doublement robuste (retenu)", self.cs[outcome].simple),
        ]
        return pd.DataFrame([{"key": k, "label": lab, "estimate": e.estimate, "ci_low": e.ci_low,
                              "ci_high": e.ci_high, "std_error": e.std_error} for k, lab, e in items])

    def event_study(self, outcome: str = "patients_mt") -> pd.DataFrame:
        """CS dynamic table restricted to event times resting on ≥ 11 treated GPs."""
        t = self.cs[outcome].dynamic.table
        return t[t["n_units"] >= MIN_CELL].reset_index(drop=True)

    def table_profile(self) -> plots.Table:
        """Who joins an MSP: baseline profile, standardised differences, published figures beside."""
        p = self.prepared
        b = self.balance
        pub, smp = PUBLISHED["profile"], PUBLISHED["sample"]
        labels = {"age": "Âge (années)", "female": "Femmes (%)", "rurality=rural": "Commune rurale (%)",
                  "rurality=periurban": "Commune périurbaine (%)", "rurality=urban": "Commune urbaine (%)",
                  "base_mt": "Patientèle médecin traitant", "base_fa": "File active",
                  "base_fees": "Honoraires (€)"}
        publ = {"age": f"{_num(pub['msp']['age'], 1)} / {_num(pub['control']['age'], 1)}",
                "female": f"{_num(pub['msp']['female'], 1)} / {_num(pub['control']['female'], 1)}",
                "rurality=rural": f"{_num(pub['msp']['rural'], 1)} / {_num(pub['control']['rural'], 1)}",
                "rurality=periurban": f"{_num(pub['msp']['periurban'], 1)} / "
                                      f"{_num(pub['control']['periurban'], 1)}",
                "rurality=urban": f"{_num(100 - pub['msp']['rural'] - pub['msp']['periurban'], 1)} / "
                                  f"{_num(100 - pub['control']['rural'] - pub['control']['periurban'], 1)}",
                "base_mt": f"écart {_num(pub['gap']['patients_mt'], 1, True)} %",
                "base_fa": f"écart {_num(pub['gap']['file_active'], 1, True)} %", "base_fees": "—"}
        rows = [{"Caractéristique": "Nombre de médecins", "Futurs médecins en MSP": _num(b.attrs["n_t"]),
                 "Autres médecins": _num(b.attrs["n_c"]), "Différence standardisée": "",
                 "Publié (MSP / témoins)": f"{_num(smp['n_msp'])} / {_num(smp['n_total'] - smp['n_msp'])}"}]
        for _, r in b.iterrows():
            v = r["variable"]
            pct = v == "female" or v.startswith("rurality=")
            dec = 1 if v in ("age",) or pct else 0

            def f(x):
                if isinstance(x, str):
                    return x
                return _num(100 * x if pct else x, dec)

            gap = ""
            if v.startswith("base_") and not isinstance(r["mean_treated"], str):
                gap = f" ({_num(100 * (r['mean_treated'] / r['mean_control'] - 1), 1, True)} %)"
            rows.append({"Caractéristique": labels.get(v, v), "Futurs médecins en MSP": f(r["mean_treated"]) + gap,
                         "Autres médecins": f(r["mean_control"]),
                         "Différence standardisée": r["smd_before"] if isinstance(r["smd_before"], str)
                         else _num(r["smd_before"], 2, True), "Publié (MSP / témoins)": publ.get(v, "—")})
        return plots.table(pd.DataFrame(rows),
                           title=self.texts["msp_profile_title"], champ=self.champ, source=self.source,
                           note=f"caractéristiques en {p.baseline_year}, année précédant les premières entrées. "
                                "Différence standardisée : écart des moyennes rapporté à l'écart-type commun "
                                "(au-delà de 0,1 en valeur absolue, le déséquilibre est usuellement jugé notable). "
                                "Colonne « Publié » : Irdes, QES n° 258 (2021), profil de 2008. "
                                "Cases de moins de 11 médecins masquées (« < 11 »).",
                           name="msp-profil")

    def table_balance(self) -> plots.Table:
        """Standardised differences before/after matching."""
        b = self.balance
        labels = {"age": "Âge", "female": "Femme", "rurality=rural": "Commune rurale",
                  "rurality=periurban": "Commune périurbaine", "rurality=urban": "Commune urbaine",
                  "base_mt": "Patientèle MT initiale", "base_fa": "File active initiale",
                  "base_fees": "Honoraires initiaux"}

        def f(x):
            return x if isinstance(x, str) else _num(x, 2, True)

        t = pd.DataFrame({"Variable": [labels.get(v, v) for v in b["variable"]],
                          "Avant appariement": [f(x) for x in b["smd_before"]],
                          "Après appariement": [f(x) for x in b["smd_after"]]})
        m = self.match
        return plots.table(t, title=self.texts["msp_balance_title"], champ=self.champ, source=self.source,
                           note=f"appariement sur le score de propension (plus proche voisin, sans remise, "
                                f"{m.matched.attrs.get('ratio', 1)} témoin(s) par médecin en MSP, caliper 0,2 "
                                f"écart-type du logit) ; {_num(m.n_treated_matched)} médecins en MSP appariés sur "
                                f"{_num(m.n_treated)}, {_num(m.n_control_matched)} témoins retenus. "
                                "Les honoraires initiaux ne servent pas à l'appariement (contrôle).",
                           name="msp-equilibre")

    def table_estimates(self) -> plots.Table:
        """Every outcome × estimator, in outcome units and in percent."""
        recs = []
        names = {"naive": "Écart brut (dernière année)", "twfe": "DiD à effets fixes (TWFE)",
                 "cs_notyet": "CS, témoins pas encore entrés", "cs_matched": "CS, échantillon apparié",
                 "cs": "CS doublement robuste (retenu)"}
        for o, info in OUTCOMES.items():
            for k, lab in names.items():
                e, ep = self.estimate(o, k), self.estimate(o, k, pct=True)
                recs.append({"Indicateur": info["short"], "Estimation": lab,
                             "Effet": f"{_val(e.estimate, o)} {_ci(e, o)}",
                             "En % du niveau avant l'entrée": f"{_val(ep.estimate, o, pct=True)} {_ci(ep, o, True)}"})
        return plots.table(pd.DataFrame(recs), title=self.texts["msp_estimates_title"], champ=self.champ,
                           source=self.source, name="msp-estimations",
                           note="entre crochets, intervalle de confiance à 95 % (erreurs-types groupées par "
                                "médecin). Pourcentages rapportés au niveau moyen des médecins en MSP l'année "
                                "précédant leur entrée. CS : Callaway et Sant'Anna (2021).")

    def table_national(self) -> plots.Table:
        n = self.national
        t = pd.DataFrame({
            "Mesure": n["label"],
            "Par médecin": [f"{_num(v, 0, True)}" for v in n["per_gp"]],
            "× médecins en MSP": [_num(v) for v in n["gps"]],
            "Total (patients, arrondi)": [_num(_round_sig(v)) for v in n["total"]],
            "Intervalle à 95 %": [fmt_ci(_round_sig(lo), _round_sig(hi), 0) if np.isfinite(lo) else "—"
                                  for lo, hi in zip(n["total_low"], n["total_high"])],
        })
        return plots.table(t, title=self.texts["msp_national_title"], champ=self.champ,
                           source=self.source + " Effectif de médecins en MSP : "
                           + PUBLISHED["gps_in_msp"]["source"] + ". Écart brut : "
                           + PUBLISHED["naive_claim"]["source"] + ".",
                           name="msp-national",
                           note="ordre de grandeur : l'effet moyen estimé est appliqué à l'effectif publié de "
                                "médecins en MSP ; l'intervalle ne reflète que l'incertitude d'échantillonnage de "
                                "l'effet, pas celle de l'effectif ni la transposition à d'autres années ; les patients "
                                "gagnés peuvent venir d'autres médecins (déplacement plutôt que gain net d'accès).")

    def table_published(self) -> plots.Table:
        t = self.published()
        return plots.table(t, title="Résultats publiés et résultats reproduits sur les données de ce livre",
                           champ=self.champ, source=self.source + " Colonne « Publié » : sources indiquées.",
                           name="msp-publie-reproduit",
                           note="effets publiés : double différence après appariement (Irdes, 2008–2014) ; "
                                "reproduits : Callaway–Sant'Anna doublement robuste, en pourcentage du niveau de "
                                "l'année précédant l'entrée. L'Irdes mesure les revenus, ce livre les honoraires. "
                                "L'écart brut publié compare des médecins en MSP à des médecins en exercice isolé ; "
                                "l'écart reproduit compare, la dernière année, médecins en MSP et autres médecins. "
                                "Sur données synthétiques, retrouver l'effet publié vérifie la méthode (l'effet a été "
                                "planté à cette taille), ce n'est pas une nouvelle preuve.")

    def published(self) -> pd.DataFrame:
        """Published figure, source, our estimate (and the planted truth on synthetic data)."""
        tr = self.truth
        recs = []

        def add(ind, key, est: Estimate | None, outcome, pct=False, truth_val=None):
            pub = PUBLISHED[key]
            rec = {"Indicateur": ind, "Publié (source)": f"{pub['text']} — {pub['source']}",
                   "Reproduit [IC à 95 %]": "—" if est is None else f"{_val(est.estimate, outcome, pct=pct)} "
                                                                  f"{_ci(est, outcome, pct)}"}
            if tr:
                rec["Effet simulé"] = "—" if truth_val is None else _val(truth_val, outcome, pct=pct)
            recs.append(rec)

        tv = (lambda k, o: tr[k][o]) if tr else (lambda k, o: None)
        add("Patientèle MT, effet (patients)", "effect_mt", self.estimate("patients_mt"), "patients_mt",
            truth_val=tv("simple", "patients_mt"))
        add("Patientèle MT, effet (%)", "effect_mt_pct", self.estimate("patients_mt", pct=True), "patients_mt",
            pct=True, truth_val=tv("percent", "patients_mt"))
        add("File active, effet (patients)", "effect_fa", self.estimate("file_active"), "file_active",
            truth_val=tv("simple", "file_active"))
        add("Honoraires, effet (%)", "effect_fees_pct", self.estimate("fees", pct=True), "fees", pct=True,
            truth_val=tv("percent", "fees"))
        add("Honoraires, effet (€ par an)", "effect_fees_eur", self.estimate("fees"), "fees",
            truth_val=tv("simple", "fees"))
        add("Écart brut MSP − autres médecins (file active)", "naive_claim", self.naive["file_active"], "file_active")
        return pd.DataFrame(recs)


# --- main entry point ---------------------------------------------------------------------------------------------

def analyse(df: pd.DataFrame, *, seed: int = 0, truth: dict | None = None, honest: bool = True,
            subgroups: bool = True) -> MSPAnalysis:
    """Run the MSP chapter's analysis on a table following the ``msp`` contract.

    Parameters
    ----------
    df : DataFrame
        The ``msp`` table (as returned by :func:`evalkit.io.load`).
    seed : int
        Seed of the matching order (greedy nearest neighbour) — the only random step.
    truth : dict, optional
        Planted truth (:func:`evalkit.simulate.msp.truth`) to show beside the estimates; by default taken from
        ``df.attrs`` or, for the bundled synthetic data, regenerated from the recorded seed when it reproduces the
        file exactly. None on user data.
    honest, subgroups : bool
        Skip the HonestDiD sensitivity or the rurality subgroups (faster, for tests).
    """
    collected = _Warnings()
    with collected:
        a = _analyse(df, seed=seed, truth=truth if truth is not None else _find_truth(df), honest=honest,
                     subgroups=subgroups)
    a.warnings = collected.messages
    return a


def _analyse(df, *, seed, truth, honest, subgroups) -> MSPAnalysis:
    p = prepare(df)
    panel, base = p.panel, p.baseline
    last = p.years[-1]
    panel["in_msp"] = panel[COHORT].notna().astype(int)  # in MSP by the last year (cohorts ≤ last year)

    naive = {o: naive_cross_section(panel, o, last, "in_msp") for o in OUTCOMES}
    naive_pre = {o: naive_cross_section(panel, o, p.baseline_year, "in_msp") for o in OUTCOMES}
    tw = {o: twfe(panel, o, UNIT, TIME, COHORT) for o in OUTCOMES}
    cs = {o: _cs(panel, o, p.covariates) for o in OUTCOMES}
    cs_notyet = {o: _cs(panel, o, p.covariates, control_group="not_yet_treated") for o in OUTCOMES}

    # Matching on baseline characteristics, then the same DR estimator on the matched GPs.
    n_t, n_c = int(base["treated"].sum()), int((1 - base["treated"]).sum())
    ratio = 2 if n_c >= 4 * n_t else 1
    match_cov = ["age", "female", "rurality", "base_mt", "base_fa"]
    match_cov = [c for c in match_cov if base[c].nunique() > 1]
    m = match_ps(base, "treated", match_cov, caliper=0.2, ratio=ratio, seed=seed, unit=UNIT)
    m.matched.attrs["ratio"] = ratio
    bal = balance_table(base, "treated", [*match_cov, "base_fees"], weights=m.weights)
    order = ["age", "female", "rurality=rural", "rurality=periurban", "rurality=urban", "base_mt", "base_fa",
             "base_fees"]
    bal = bal.assign(_o=bal["variable"].map({v: i for i, v in enumerate(order)}).fillna(len(order)))
    bal = bal.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)
    bal.attrs.update(n_t=n_t, n_c=n_c)
    matched_panel = panel[panel[UNIT].isin(set(m.unit_ids))]
    cs_matched = {o: _cs(matched_panel, o, p.covariates) for o in OUTCOMES}

    # Heterogeneity by rurality (CS DR without the rurality dummies), where both arms have ≥ 11 GPs.
    rur_rows, rur_fits = [], {}
    if subgroups:
        cov_r = [c for c in p.covariates if not c.startswith("r_")]
        for r in p.rurality_levels:
            sub = panel[panel["rurality"] == r]
            nt = sub.loc[sub[COHORT].notna(), UNIT].nunique()
            nc = sub.loc[sub[COHORT].isna(), UNIT].nunique()
            if nt < MIN_CELL or nc < MIN_CELL:
                continue
            # keep only cohorts with ≥ 11 GPs in the subgroup (smaller ones cannot be estimated reliably)
            sizes = sub.drop_duplicates(UNIT)[COHORT].value_counts()
            sub = sub[sub[COHORT].isna() | sub[COHORT].isin(sizes[sizes >= MIN_CELL].index)]
            if sub[COHORT].notna().sum() == 0:
                continue
            nt = sub.loc[sub[COHORT].notna(), UNIT].nunique()
            for o in OUTCOMES:
                f = _cs(sub, o, cov_r)
                rur_fits[(r, o)] = f
                e = f.simple
                rur_rows.append({"rurality": r, "label": RURALITY_FR.get(r, r), "outcome": o, "n_treated": nt,
                                 "n_control": nc, "estimate": e.estimate, "std_error": e.std_error,
                                 "ci_low": e.ci_low, "ci_high": e.ci_high, "pre_mean": f.pre_mean,
                                 "n_units": e.n_units, "n_obs": e.n_obs})
    by_rur = pd.DataFrame(rur_rows, columns=["rurality", "label", "outcome", "n_treated", "n_control", "estimate",
                                             "std_error", "ci_low", "ci_high", "pre_mean", "n_units", "n_obs"])

    hon = honest_did(cs["patients_mt"], e="average", method="relative_magnitude", mbar=list(HONEST_GRID)) \
        if honest else None
    try:
        bac = bacon_decomposition(panel, "patients_mt", UNIT, TIME, COHORT)
    except Exception as e:  # informative only (TWFE weights); never block the chapter
        warnings.warn(f"Bacon decomposition failed: {e}", UserWarning)
        bac = None

    # Raw trends: mean outcome by year, GPs who join an MSP in the window vs GPs never in MSP.
    tr = panel.assign(group=np.where(panel["in_msp"] == 1, "Médecins entrés en MSP (à un moment de la période)",
                                     "Médecins jamais en MSP"))
    trends = (tr.melt(id_vars=[TIME, "group"], value_vars=list(OUTCOMES), var_name="outcome")
              .groupby(["outcome", "group", TIME], as_index=False)["value"].mean()
              .rename(columns={"value": "mean"}))
    trends = trends.sort_values(["outcome", "group", TIME]).reset_index(drop=True)  # MSP GPs first (palette)

    # National order of magnitude: effect per GP × GPs in MSP (published count).
    n_fr = PUBLISHED["gps_in_msp"]["value"]
    nat = []
    for o in ("patients_mt", "file_active"):
        e = cs[o].simple
        nat.append({"label": f"Effet estimé, {OUTCOMES[o]['label']} (DiD)", "per_gp": e.estimate, "gps": n_fr,
                    "total": e.estimate * n_fr, "total_low": e.ci_low * n_fr, "total_high": e.ci_high * n_fr})
    claim = PUBLISHED["naive_claim"]["value"]
    nat.append({"label": "Écart brut publié (« 600 patients »)", "per_gp": claim, "gps": n_fr,
                "total": claim * n_fr, "total_low": np.nan, "total_high": np.nan})
    national = pd.DataFrame(nat)

    a = MSPAnalysis(prepared=p, naive=naive, naive_pre=naive_pre, twfe=tw, cs=cs, cs_matched=cs_matched,
                    cs_notyet=cs_notyet, by_rurality=by_rur, honest=hon, bacon=bac, match=m, balance=bal,
                    trends=trends, national=national, truth=truth, rows=pd.DataFrame(), texts={}, seed=seed)
    a.pretests = {o: event_time_pretest(cs[o]) for o in OUTCOMES}
    a.rows = _rows(a, rur_fits)
    a.texts = _texts(a)
    return a


def _rows(a: MSPAnalysis, rur_fits: dict) -> pd.DataFrame:
    rows: list[dict] = []
    p = a.prepared
    for o, info in OUTCOMES.items():
        u = info["unit"]
        f = a.percent_factor(o)
        c = a.cs[o]
        for scale, unit, head in ((1.0, u, True), (f, "percent", True)):
            rows.append(_row(a.naive[o], o, unit, "naive_cross_section", scale=scale))
            rows.append(_row(a.naive_pre[o], o, unit, "naive_cross_section", subgroup=f"year={p.baseline_year}",
                             scale=scale))
            rows.append(_row(a.twfe[o], o, unit, "twfe", scale=scale))
            rows.append(_row(c.simple, o, unit, "cs_simple", headline=head, scale=scale))
            rows.append(_row(a.cs_matched[o].simple, o, unit, "cs_simple_matched", scale=scale))
            rows.append(_row(a.cs_notyet[o].simple, o, unit, "cs_simple_notyet", scale=scale))
            for name in ("dynamic", "group", "calendar"):
                rows.append(_row(c.aggregates()[name], o, unit, f"cs_{name}", scale=scale))
        rows += c.dynamic.to_rows(STUDY, o, u, estimator="cs_dynamic", n_obs=c.n_obs)
        rows += c.group.to_rows(STUDY, o, u, estimator="cs_group", n_obs=c.n_obs)
        for (r, oo), fit in rur_fits.items():
            if oo != o:
                continue
            nt = int(a.by_rurality.loc[(a.by_rurality.rurality == r) & (a.by_rurality.outcome == o),
                                       "n_treated"].iloc[0])
            if nt < MIN_CELL:
                continue
            rows.append(_row(fit.simple, o, u, "cs_simple", subgroup=f"rurality={r}"))
            rows.append(_row(fit.simple, o, "percent", "cs_simple", subgroup=f"rurality={r}",
                             scale=100.0 / fit.pre_mean))
    if a.honest is not None:
        c = a.cs["patients_mt"]
        rows += a.honest.to_rows(STUDY, "patients_mt", "patients", n_units=c.n_units, n_obs=c.n_obs)
    out = to_frame(rows)
    return out[out["n_units"].isna() | (out["n_units"] >= MIN_CELL)].reset_index(drop=True)


def _texts(a: MSPAnalysis) -> dict[str, str]:
    """French strings glued into the chapter's prose (keys prefixed ``msp_``)."""
    p = a.prepared
    t: dict[str, str] = {}
    base = p.baseline
    n_t = int(base["treated"].sum())
    t["msp_n_gps"] = _num(len(base))
    t["msp_n_msp"] = _num(n_t)
    t["msp_n_never"] = _num(len(base) - n_t)
    t["msp_share_msp"] = f"{_num(100 * n_t / len(base), 1)}{NBSP}%"
    t["msp_years"] = _span(p.years)
    t["msp_first_year"], t["msp_last_year"] = str(p.years[0]), str(p.years[-1])
    t["msp_cohorts"] = _span(p.cohorts)
    t["msp_cohort_first"], t["msp_cohort_last"] = str(p.cohorts[0]), str(p.cohorts[-1])
    t["msp_n_cohorts"] = str(len(p.cohorts))
    t["msp_baseline_year"] = str(p.baseline_year)
    sizes = base.loc[base["treated"] == 1, COHORT].value_counts()
    t["msp_cohort_min"], t["msp_cohort_max"] = _num(sizes.min()), _num(sizes.max())
    t["msp_prep_notes"] = ("Aucun médecin n'a été écarté." if not p.notes
                           else " ; ".join(p.notes).capitalize() + ".")

    for o in OUTCOMES:
        k = {"patients_mt": "mt", "file_active": "fa", "fees": "fees"}[o]
        e, ep = a.estimate(o), a.estimate(o, pct=True)
        t[f"msp_att_{k}"] = _val(e.estimate, o)
        t[f"msp_att_{k}_ci"] = _ci(e, o) if OUTCOMES[o]["suffix"] == "€" else fmt_ci(e.ci_low, e.ci_high, 0)
        t[f"msp_att_{k}_pct"] = _val(ep.estimate, o, pct=True)
        t[f"msp_att_{k}_phrase"] = (f"{_val(abs(e.estimate), o, sign=False)} "
                                    f"{'de plus' if e.estimate >= 0 else 'de moins'}")
        t[f"msp_att_{k}_pct_ci"] = _ci(ep, o, pct=True)
        for which in ("naive", "naive_pre", "twfe", "cs_matched", "cs_notyet"):
            w = a.estimate(o, which)
            t[f"msp_{which}_{k}"] = _val(w.estimate, o)
            t[f"msp_{which}_{k}_ci"] = fmt_ci(w.ci_low, w.ci_high, OUTCOMES[o]["dec"])
            t[f"msp_{which}_{k}_pct"] = _val(a.estimate(o, which, pct=True).estimate, o, pct=True)
        t[f"msp_pre_mean_{k}"] = _num(a.cs[o].pre_mean, 0)
        t[f"msp_pretest_{k}"] = _fmt_p(a.pretests[o][2])
        t[f"msp_pretest_q_{k}"] = str(a.pretests[o][1])
        t[f"msp_pretest_gt_{k}"] = _fmt_p(a.cs[o].pretest_p)
        t[f"msp_pretest_gt_q_{k}"] = str(a.cs[o].pretest_df)
        naive_v, pre_v, cs_v = a.naive[o].estimate, a.naive_pre[o].estimate, e.estimate
        t[f"msp_naive_ratio_{k}"] = _num(naive_v / cs_v, 1) if cs_v > 0 else "n.d."
        t[f"msp_naive_change_{k}"] = _val(naive_v - pre_v, o)
        t[f"msp_naive_pre_share_{k}"] = (f"{_num(100 * pre_v / naive_v, 0)}{NBSP}%"
                                         if naive_v > 0 and pre_v > 0 else "n.d.")

    # Profile (baseline year): the sentences use the data, the published figures are cited beside them.
    b = a.balance.set_index("variable")

    def pct_of(var, col):
        v = b.loc[var, col] if var in b.index else np.nan
        return "n.d." if isinstance(v, str) or pd.isna(v) else f"{_num(100 * v, 1)}{NBSP}%"

    t["msp_rural_msp"], t["msp_rural_ctrl"] = pct_of("rurality=rural", "mean_treated"), \
        pct_of("rurality=rural", "mean_control")
    t["msp_periurban_msp"], t["msp_periurban_ctrl"] = pct_of("rurality=periurban", "mean_treated"), \
        pct_of("rurality=periurban", "mean_control")
    t["msp_female_msp"], t["msp_female_ctrl"] = pct_of("female", "mean_treated"), pct_of("female", "mean_control")

    def num_of(var, col, dec=1):
        v = b.loc[var, col] if var in b.index else np.nan
        return "n.d." if isinstance(v, str) or pd.isna(v) else _num(v, dec)

    t["msp_age_msp"], t["msp_age_ctrl"] = num_of("age", "mean_treated"), num_of("age", "mean_control")
    for var, k in (("base_mt", "mt"), ("base_fa", "fa")):
        mt, mc = b.loc[var, "mean_treated"], b.loc[var, "mean_control"]
        t[f"msp_base_gap_{k}"] = ("n.d." if isinstance(mt, str) or isinstance(mc, str)
                                  else f"{_num(100 * (mt / mc - 1), 1, True)}{NBSP}%")
    smd = pd.to_numeric(b["smd_before"], errors="coerce").abs()
    t["msp_smd_max_var"] = {"rurality=rural": "la ruralité", "rurality=urban": "le caractère urbain",
                            "rurality=periurban": "le caractère périurbain", "age": "l'âge",
                            "female": "le sexe", "base_mt": "la patientèle MT", "base_fa": "la file active",
                            "base_fees": "les honoraires"}.get(smd.idxmax(), smd.idxmax())
    t["msp_smd_max"] = _num(smd.max(), 2)
    smd_after = pd.to_numeric(b.drop(index="base_fees", errors="ignore")["smd_after"], errors="coerce").abs()
    t["msp_smd_after_max"] = _num(smd_after.max(), 2)
    m = a.match
    t["msp_matched_t"], t["msp_matched_c"] = _num(m.n_treated_matched), _num(m.n_control_matched)
    t["msp_match_ratio"] = str(m.matched.attrs.get("ratio", 1))
    t["msp_profile_title"] = (
        f"Les futurs médecins en MSP exercent plus souvent en commune rurale ({t['msp_rural_msp']} contre "
        f"{t['msp_rural_ctrl']}) et suivaient déjà plus de patients ({t['msp_base_gap_mt']} en patientèle MT)"
        if t["msp_rural_msp"] != "n.d." else "Profil des médecins qui rejoignent une MSP, avant leur entrée")
    t["msp_balance_title"] = (f"Après appariement, les différences standardisées ne dépassent pas "
                              f"{t['msp_smd_after_max']} en valeur absolue (jusqu'à {t['msp_smd_max']} avant)")
    much_bigger = all(a.naive[o].ci_low > a.cs[o].simple.ci_high for o in OUTCOMES)
    t["msp_estimates_title"] = (f"Effet de l'entrée en MSP : {t['msp_att_mt']} en patientèle MT, "
                                f"{t['msp_att_fa']} en file active, {t['msp_att_fees_pct']} d'honoraires"
                                + (" ; les écarts bruts sont nettement plus grands" if much_bigger else ""))
    # Pre-trends.
    pt = a.pretests["patients_mt"][2]
    t["msp_pretest_sentence"] = (
        f"Avant l'entrée, les effets « placebo » sont proches de zéro et le test joint de leur nullité ne rejette pas "
        f"l'hypothèse de tendances parallèles (p = {_fmt_p(pt)})" if np.isfinite(pt) and pt >= 0.05 else
        f"Avant l'entrée, le test joint de nullité des effets « placebo » rejette l'hypothèse de tendances "
        f"parallèles (p = {_fmt_p(pt)}) : les résultats doivent être lus avec prudence")
    if a.truth and a.truth.get("parallel_trends") and not (np.isfinite(pt) and pt >= 0.05):
        t["msp_pretest_sentence"] += (
            ". Sur ces données synthétiques, les tendances sont pourtant parallèles par construction : ce rejet est "
            "une fausse alerte, comme un test au seuil de 5 % en produit en moyenne une fois sur vingt. Un test de "
            "tendances parallèles ne suffit donc pas à trancher, dans un sens comme dans l'autre, d'où l'analyse de "
            "sensibilité qui suit")
    dyn = a.event_study("patients_mt")
    post = dyn[dyn["event_time"] >= 0].set_index("event_time")["estimate"]
    t["msp_dyn_e0"] = _val(post.iloc[0], "patients_mt")
    t["msp_dyn_e2"] = _val(post.iloc[min(2, len(post) - 1)], "patients_mt")
    t["msp_dyn_last_e"] = str(int(post.index[-1]))
    t["msp_dyn_last"] = _val(post.iloc[-1], "patients_mt")
    t["msp_dyn_avg"] = _val(a.cs["patients_mt"].dynamic.overall.estimate, "patients_mt")

    # TWFE vs CS, Bacon.
    if a.bacon is not None:
        by = a.bacon.by_type.set_index("type")
        w_bad = float(by["weight"].get("later_vs_earlier", 0.0))
        t["msp_bacon_forbidden"] = f"{_num(100 * w_bad, 1)}{NBSP}%"
    else:
        t["msp_bacon_forbidden"] = "n.d."

    # HonestDiD.
    h = a.honest
    if h is not None:
        t["msp_honest_target"] = _val(h.estimate, "patients_mt")
        if h.breakdown is None:
            t["msp_breakdown"] = f"au-delà de {_num(max(HONEST_GRID), 1)}"
            t["msp_honest_sentence"] = (
                f"l'intervalle de confiance robuste exclut zéro sur toute la grille examinée (jusqu'à M̄ = "
                f"{_num(max(HONEST_GRID), 1)})")
        elif h.breakdown == 0:
            t["msp_breakdown"] = "0"
            t["msp_honest_sentence"] = "l'intervalle de confiance inclut zéro même sans écart de tendance"
        else:
            t["msp_breakdown"] = _num(h.breakdown, 1)
            t["msp_honest_sentence"] = (
                f"la conclusion d'un effet positif ne tombe que si l'écart de tendance après l'entrée dépasse "
                f"{_num(h.breakdown, 1)} fois le plus grand écart observé d'une année sur l'autre avant l'entrée"
                + (". En clair : pour conclure à l'absence d'effet, il faudrait supposer que les médecins en MSP "
                   "auraient dévié de la tendance des autres nettement plus qu'on ne l'observe avant leur entrée"
                   if h.breakdown >= 1 else
                   ". Autrement dit, un écart de tendance du même ordre que ceux observés avant l'entrée suffirait "
                   "à rendre l'effet non significatif"))
        t["msp_honest_title"] = (
            f"L'effet moyen sur la patientèle MT reste positif tant que l'écart de tendance permis est inférieur à "
            f"{_num(h.breakdown, 1)} fois le plus grand écart observé avant l'entrée"
            if h.breakdown not in (None, 0) else
            "Intervalle de confiance robuste de l'effet moyen selon l'écart de tendance permis")
    # Rurality.
    r = a.by_rurality[a.by_rurality["outcome"] == "patients_mt"]
    t["msp_rur_sentence"] = ("Les effectifs ne permettent pas d'estimer l'effet par type de commune."
                             if r.empty else "Par type de commune, l'effet estimé sur la patientèle MT est de "
                             + ", ".join(f"{_val(x.estimate, 'patients_mt')} {fmt_ci(x.ci_low, x.ci_high, 0)} "
                                         f"en {x.label.lower()}" for x in r.itertuples())
                             + (" ; les intervalles se recouvrent : les données ne permettent pas de conclure à un "
                                "effet différent selon le territoire." if a._overlap() else "."))
    # National.
    nat = a.national.set_index("label")
    n0 = a.national.iloc[0]
    t["msp_nat_total"] = _num(_round_sig(n0["total"]), 0)
    t["msp_nat_ci"] = fmt_ci(_round_sig(n0["total_low"]), _round_sig(n0["total_high"]), 0)
    t["msp_nat_gps"] = _num(PUBLISHED["gps_in_msp"]["value"])
    t["msp_nat_claim_total"] = _num(a.national.iloc[-1]["total"])
    t["msp_national_title"] = (f"Appliqué aux quelque {t['msp_nat_gps']} médecins en MSP, l'effet estimé représente "
                               f"de l'ordre de {t['msp_nat_total']} patients de plus suivis comme médecin traitant par "
                               f"des médecins en MSP, loin des {t['msp_nat_claim_total']} qu'impliquerait l'écart brut "
                               "publié")
    claim, eff = PUBLISHED["naive_claim"]["value"], PUBLISHED["effect_mt"]["value"]
    t["msp_claim_minus_effect"] = _num(claim - eff)
    t["msp_claim_ratio"] = _num(claim / eff, 1)
    # Truth (synthetic data only).
    tr = a.truth
    if tr:
        e = a.estimate("patients_mt")
        inside = e.ci_low <= tr["simple"]["patients_mt"] <= e.ci_high
        t["msp_truth_mt"] = _val(tr["simple"]["patients_mt"], "patients_mt")
        t["msp_truth_sentence"] = (
            f"Sur ces données synthétiques, l'effet vrai est connu puisqu'il a été planté : "
            f"{t['msp_truth_mt']} en moyenne sur les années qui suivent l'entrée (soit "
            f"{_val(tr['percent']['patients_mt'], 'patients_mt', pct=True)}). L'estimateur retenu "
            + ("le retrouve : son intervalle de confiance le contient. " if inside else
               "s'en écarte : son intervalle de confiance ne le contient pas. ")
            + f"L'écart brut ({t['msp_naive_mt']}) le surestime de "
            f"{_val(a.naive['patients_mt'].estimate - tr['simple']['patients_mt'], 'patients_mt', sign=False)}.")
    else:
        t["msp_truth_mt"] = "n.d."
        t["msp_truth_sentence"] = ("Sur des données réelles, l'effet vrai est inconnu : seule la cohérence des "
                                   "estimateurs et les tests de tendances parallèles renseignent sur leur fiabilité.")
    # Data-dependent sentences (their direction is computed, so the prose stays true on other data).
    def cmp(x_t, x_c, more, less, same, tol=0.0):
        if isinstance(x_t, str) or isinstance(x_c, str) or pd.isna(x_t) or pd.isna(x_c):
            return None
        return more if x_t - x_c > tol else (less if x_c - x_t > tol else same)

    def val(var, col):
        return b.loc[var, col] if var in b.index else np.nan

    parts = []
    for var, more, less, fmt in (
        ("rurality=rural", "exercent plus souvent en commune rurale", "exercent moins souvent en commune rurale",
         lambda x: f"{_num(100 * x, 1)}{NBSP}%"),
        ("rurality=periurban", "plus souvent en commune périurbaine", "moins souvent en commune périurbaine",
         lambda x: f"{_num(100 * x, 1)}{NBSP}%"),
        ("age", "sont plus âgés", "sont plus jeunes", lambda x: f"{_num(x, 1)} ans"),
        ("female", "sont plus souvent des femmes", "sont moins souvent des femmes",
         lambda x: f"{_num(100 * x, 1)}{NBSP}%"),
    ):
        xt, xc = val(var, "mean_treated"), val(var, "mean_control")
        c = cmp(xt, xc, more, less, None, tol=0.005 if var != "age" else 0.25)
        if c:
            parts.append(f"{c} ({fmt(xt)} contre {fmt(xc)})")
    t["msp_profile_sentence"] = (
        f"Avant toute entrée, en {p.baseline_year}, les futurs médecins en MSP "
        + (", ".join(parts[:-1]) + " et " + parts[-1] if len(parts) > 1 else (parts[0] if parts else
           "ressemblent aux autres par l'âge, le sexe et le type de commune")) + ".")
    gmt, gfa = (val("base_mt", "mean_treated"), val("base_mt", "mean_control")), \
        (val("base_fa", "mean_treated"), val("base_fa", "mean_control"))
    act = cmp(*gmt, "plus", "moins", "autant")
    t["msp_activity_sentence"] = (
        "Les effectifs ne permettent pas de comparer leur activité." if act is None else
        f"Ils suivaient {'déjà ' if act == 'plus' else ''}{act} de patients : {t['msp_base_gap_mt']} de patientèle "
        f"médecin traitant et {t['msp_base_gap_fa']} de file active.")
    t["msp_chapeau_why"] = (
        "les médecins qui rejoignent une MSP suivaient déjà plus de patients avant d'y entrer"
        if act == "plus" else "l'écart brut mêle l'effet de la MSP et les différences qui existaient avant l'entrée")
    pre_mt = a.naive_pre["patients_mt"]
    t["msp_pre_gap_sentence"] = (
        f"L'écart existe avant la première entrée : il était de {t['msp_naive_pre_mt']} en {p.baseline_year}, soit "
        f"{t['msp_naive_pre_share_mt']} de l'écart brut observé en {p.years[-1]}."
        if pre_mt.ci_low > 0 and a.naive["patients_mt"].estimate > 0 else
        f"En {p.baseline_year}, avant la première entrée, l'écart était de {t['msp_naive_pre_mt']} "
        f"{t['msp_naive_pre_mt_ci']}.")
    tw_mt, cs_mt = a.twfe["patients_mt"].estimate, a.cs["patients_mt"].simple.estimate
    diff_pct = 100 * (tw_mt - cs_mt) / abs(cs_mt) if cs_mt else np.nan
    t["msp_twfe_sentence"] = (
        f"Ici, ces comparaisons « interdites » pèsent {t['msp_bacon_forbidden']} du total et l'estimation TWFE "
        + (f"s'écarte de {_num(abs(diff_pct), 0)}{NBSP}% de l'estimation retenue ci-dessous : le biais reste "
           "modeste, car la plupart des médecins n'entrent jamais en MSP et servent de témoins propres."
           if abs(diff_pct) < 10 else
           f"s'écarte de {_num(abs(diff_pct), 0)}{NBSP}% de l'estimation retenue ci-dessous."))
    f_pct, mt_pct = a.estimate("fees", pct=True).estimate, a.estimate("patients_mt", pct=True).estimate
    t["msp_fees_sentence"] = (
        "Les honoraires progressent bien moins que la patientèle : l'Irdes n'observe pas non plus de hausse "
        "significative du nombre de consultations" if f_pct < 0.5 * mt_pct else
        "L'Irdes observe une hausse des revenus bien plus faible que celle de la patientèle, sans hausse "
        "significative du nombre de consultations")
    e0, e2 = post.iloc[0], post.iloc[min(2, len(post) - 1)]
    t["msp_dyn_sentence"] = (
        f"Après l'entrée, l'effet est de {t['msp_dyn_e0']} l'année d'entrée et de {t['msp_dyn_e2']} deux ans après : "
        "il faut quelques années pour que la patientèle s'ajuste. C'est pourquoi la moyenne sur toutes les années qui "
        f"suivent l'entrée ({t['msp_att_mt']}) est inférieure à l'effet atteint au bout de quelques années."
        if e2 > e0 * 1.2 and len(post) > 2 else
        f"Après l'entrée, l'effet est de {t['msp_dyn_e0']} l'année d'entrée et de {t['msp_dyn_e2']} deux ans après.")
    t["msp_rur_note"] = (
        "Faute de résultat publié par type de commune, les données synthétiques ont été générées avec le même "
        "effet partout : les écarts entre territoires visibles ici relèvent du hasard de l'échantillon. Cette section "
        "illustre la méthode ; elle ne renseigne pas sur les territoires."
        if paths.data_kind() == "synthetic" else "")
    t["msp_data_kind"] = "synthétiques" if paths.data_kind() == "synthetic" else "fournies par l'utilisateur"
    return t


# --- planted truth on the bundled synthetic data ---------------------------------------------------------------------

def _find_truth(df: pd.DataFrame) -> dict | None:
    """The planted truth: from ``df.attrs``, or by regenerating the bundled synthetic file from its recorded seed
    (only if the regenerated table reproduces ``df`` exactly). None for user data."""
    if "truth" in df.attrs:
        return df.attrs["truth"]
    if paths.data_kind() != "synthetic":
        return None
    try:
        meta = json.loads((paths.data_dir() / "SYNTHETIC").read_text())
    except (OSError, ValueError):
        return None
    # (the marker's study list is not trusted: each study's generation rewrites it; the exact comparison below is)
    from ..simulate import msp as sim

    try:
        sim_df = sim.simulate(seed=int(meta["seed"]), scale=float(meta.get("scale", 1.0)))
    except Exception:  # noqa: BLE001 — any failure means: no truth to show
        return None
    if len(sim_df) != len(df):
        return None
    cols = ["gp_id", "year", "patients_mt", "file_active"]
    a = sim_df[cols].astype(str).sort_values(["gp_id", "year"]).reset_index(drop=True)
    b = df[cols].astype(str).sort_values(["gp_id", "year"]).reset_index(drop=True)
    if not a.equals(b):
        return None
    return sim.truth(sim_df)


__all__ = ["ANCHOR", "MSPAnalysis", "OUTCOMES", "PUBLISHED", "analyse", "prepare"]
