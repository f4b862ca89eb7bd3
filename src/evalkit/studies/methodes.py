"""Chapter « Méthodes »: why a naive comparison misleads, why TWFE fails under staggered adoption with heterogeneous
effects, what Callaway–Sant'Anna does — shown on a seeded simulation with KNOWN truth and on the reference data mpdta.

This chapter does not use the study data (``msp``, ``asalee``, ``assistants``): its data are

- a **simulation** generated here (:func:`simulate`, :mod:`evalkit.simulate.panels`): a staggered panel whose true
  effect of every unit and year is known — effects that grow with exposure, and units that select into treatment on
  their level (selection on levels, parallel trends otherwise);
- **mpdta** (:func:`load_mpdta`), the county panel distributed with the R package ``did``, on which evalkit's
  estimators are checked against the R reference output (:data:`R_REFERENCE`, typed once here with its source).

:func:`analyse` runs everything and returns a :class:`MethodesAnalysis`: tidy tables, plot-ready frames, French texts
for glue, the results rows (study ``methodes``) and the figure/table builders. It takes any simulated panel with the
columns of :func:`evalkit.simulate.panels.staggered_panel` (``unit, year, cohort, D, tau, y`` and optionally ``x``,
``area``): years, cohorts and covariates are derived from the data.

Steps
-----
1. The naive cross-section in the last year (treated vs untreated units) and the same comparison in the first year,
   before any entry: the pre-existing gap (selection on levels).
2. TWFE (unit and year effects, SE clustered by unit), its Goodman-Bacon decomposition and the weights it puts on
   each treated (cohort, year) cell (de Chaisemartin & D'Haultfœuille): some are negative.
3. Callaway–Sant'Anna (never-treated comparison units, doubly robust, no covariates, analytic SEs): the simple ATT
   (headline), by exposure (event study, with pre-periods), by cohort and by calendar year; each against the truth.
4. Propensity-score matching at baseline (first year: ``x``, ``area``, baseline outcome; nearest neighbour with
   replacement, caliper 0.2 SD of the logit), balance table before/after (counts < 11 suppressed) and CS on the
   matched sample.
5. Power of the CS simple ATT: the analytic MDE (AR(1) errors, one base period; Burlig, Preonas & Woerman 2020) as a
   function of the number of treated units, with σ and ρ fitted to the autocovariance of the never-treated units of
   the simulation; on the simulation's own design, that analytic MDE against the MDE simulated on the design
   (placebo entry dates among the never-treated units, CS refitted: no model of the outcome); the coverage benchmark
   of the CS intervals, read from ``benchmarks/README.md`` (not retyped).
6. mpdta: CS and TWFE against R ``did`` / ``fixest`` (replication table with absolute differences and the reference
   tolerances of ``tests/test_estimators_reference.py``), and HonestDiD (relative magnitudes) on the average
   post-treatment effect, with its breakdown value M̄.
"""

from __future__ import annotations

import hashlib
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .. import book, paths, planning, plots
from .. import lecture
from ..lecture import event_axis
from ..disclosure import MIN_CELL
from ..estimators import (
    balance_table,
    bacon_decomposition,
    callaway_santanna,
    honest_did,
    match_ps,
    naive_cross_section,
    twfe,
)
from ..estimators.base import Estimate, clean_cohort
from ..estimators.power import power_design, power_mde, power_n
from ..fr import fmt_ci, fmt_int, fmt_list, fmt_num, fmt_p, fmt_pct, fmt_sci
from ..results import make_row, to_frame
from ..simulate.panels import (
    staggered_panel,
    truth_by_event_time,
    truth_by_year,
    truth_calendar,
    truth_dynamic,
    truth_group,
    truth_simple,
    twfe_implied,
    twfe_weights,
)

STUDY = "methodes"
DATA = "synthetic"  # the results contract knows "synthetic" | "user": this chapter never reads user data
SIM_OUTCOME, SIM_UNIT = "y_sim", "count"
MPDTA_OUTCOME, MPDTA_UNIT = "lemp", "log_points"
SOURCE_SIM = "simulation evalkit (vérité connue)"
SOURCE_MPDTA = "mpdta, distribué avec le package R did (Callaway et Sant'Anna)"
SOURCE_R = "sortie de référence du package R did (Callaway et Sant'Anna) et de fixest sur mpdta"

# --- reference data ---------------------------------------------------------------------------------------------

#: SHA-256 of the shipped mpdta.csv (data/reference/README.md).
MPDTA_SHA256 = "fce100927fcca0942fcdcdbc873de4612852b343940a9973f16e022210ca1cef"

#: R reference output on mpdta — cited data, typed once here (data/reference/README.md; the same values check the
#: estimators in tests/test_estimators_reference.py): R package ``did`` (Callaway & Sant'Anna), outcome
#: lemp, never-treated controls, no covariates, analytic SE; TWFE from fixest (county and year FE, post dummy,
#: SE clustered by county). Estimates (SE).
R_REFERENCE: dict[str, Any] = {
    "att_2004_2004": (-0.0105032462, 0.0232510364),
    "simple": (-0.0399512752, 0.0120340128),
    "group": (-0.0310182822, 0.0124460594),
    "dynamic": (-0.0772398215, 0.0199649891),
    "calendar": (-0.0417004321, 0.0159718519),
    "pretest_p": 0.16812,
    "event_time": {-3: 0.0305, -2: -0.0006, -1: -0.0245, 0: -0.0199, 1: -0.0510, 2: -0.1373, 3: -0.1008},
    "twfe_fixest": (-0.036549, 0.013265),
}
R_REFERENCE_SOURCE = ("R package did (Callaway & Sant'Anna): att_gt/aggte on mpdta, outcome lemp, never-treated "
                      "controls, no covariates, analytic SE; fixest TWFE (county and year FE, cluster county); "
                      "values typed once in evalkit.studies.methodes.R_REFERENCE (data/reference/README.md)")

#: Tolerances of the reference check (tests/test_estimators_reference.py): points to 1e-6, SEs to 1e-4, the event-time
#: profile (given by R to 4 decimals) to 5e-5, the pre-test p-value (R prints 5 decimals) to 5e-6.
TOLERANCE = {"estimate": 1e-6, "std_error": 1e-4, "event_time": 5e-5, "pretest_p": 5e-6}

CALIPER = 0.2  # matching caliper, in SD of the logit of the propensity score (Austin 2011)
POWER, ALPHA = 0.8, 0.05  # planning conventions of the MDE (power 80 %, two-sided 5 % test)
POWER_SIMS = 400  # placebo designs of the power simulation on the chapter's design (≈ 4 s on the default design)
AGREE = 0.15  # relative gap within which the analytic and simulated MDEs are said to agree (issue 14's tolerance)


def mpdta_path() -> Path:
    """Location of the shipped mpdta file (``data/reference/mpdta.csv`` in the book's folder)."""
    return paths.project_root() / "data" / "reference" / "mpdta.csv"


def load_mpdta(path: Path | str | None = None, check: bool = True) -> pd.DataFrame:
    """The mpdta panel as shipped with the book (never downloaded), never-treated ``first_treat`` set to NaN.

    ``check`` verifies the file's SHA-256 against :data:`MPDTA_SHA256` (a modified copy would silently change the
    replication table).
    """
    path = Path(path) if path is not None else mpdta_path()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: mpdta reference file not found (it ships in data/reference/)")
    if check:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != MPDTA_SHA256:
            raise ValueError(f"{path}: SHA-256 {digest} differs from the reference copy's {MPDTA_SHA256}")
    df = pd.read_csv(path)
    expected = {"year", "countyreal", "lpop", "lemp", "first_treat", "treat"}
    if not expected <= set(df.columns):
        raise ValueError(f"{path}: columns {sorted(expected - set(df.columns))} missing")
    df["first_treat"] = clean_cohort(df["first_treat"])  # house convention: NaN = never treated
    return df


# --- the simulation -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimDesign:
    """Parameters of the chapter's simulation (see :func:`evalkit.simulate.panels.staggered_panel`).

    Default: 1,000 units observed 2010–2019; three entry waves (2012: 30 %, 2014: 20 %, 2016: 20 %), 30 % never
    treated; true effect 0.5 in the entry year, +1 per year of exposure (heterogeneous across cohorts and years,
    growing); units with a high baseline characteristic ``x`` enter more often and have higher levels (x_level = 4,
    selection noise SD 2): selection on levels, parallel trends otherwise. Unit effects SD 2, noise SD 1.
    """

    n_units: int = 1000
    first_year: int = 2010
    last_year: int = 2019
    cohorts: tuple[tuple[int, float], ...] = ((2012, 0.3), (2014, 0.2), (2016, 0.2))
    tau: float = 0.5
    growth: float = 1.0
    shift: tuple[tuple[int, float], ...] = ()
    level_gap: float = 0.0
    x_level: float = 4.0
    selection_noise: float = 2.0
    sigma_unit: float = 2.0
    sigma: float = 1.0


def simulate(seed: int | None = None, design: SimDesign | None = None) -> pd.DataFrame:
    """The chapter's simulated panel (seeded; default seed :func:`evalkit.paths.seed`)."""
    d = design or SimDesign()
    return staggered_panel(
        n_units=d.n_units, years=range(d.first_year, d.last_year + 1), cohorts=dict(d.cohorts), tau=d.tau,
        growth=d.growth, shift=dict(d.shift), level_gap=d.level_gap, x_level=d.x_level,
        selection_noise=d.selection_noise, sigma_unit=d.sigma_unit, sigma=d.sigma,
        seed=paths.seed() if seed is None else seed, areas=True,
    )


# --- small helpers --------------------------------------------------------------------------------------------------

def _caught(notes: list[str], fn, *args, **kw):
    """Run an estimator and return its result, the warnings it raised added to ``notes``. The chapter shows these
    messages in the text when they matter (units dropped by the panel preparation); none is discarded silently."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fn(*args, **kw)
    notes += [str(w.message) for w in caught]
    return res


# --- the analysis ---------------------------------------------------------------------------------------------------


@dataclass
class MethodesAnalysis:
    """Everything the chapter shows. Tables are tidy DataFrames; ``texts`` are French strings to glue."""

    sim: pd.DataFrame = field(repr=False)
    settings: dict
    truth: dict
    estimates: pd.DataFrame  # estimator, label, target, estimate, std_error, ci_low, ci_high, truth, covers
    trends: pd.DataFrame
    naive: Estimate
    naive_before: Estimate | None
    twfe: Estimate
    cs: Any = field(repr=False)
    cs_matched: Any = field(repr=False)
    bacon: Any = field(repr=False)
    weights: pd.DataFrame
    event_study: pd.DataFrame
    match: Any = field(repr=False)
    balance: pd.DataFrame
    power_curve: pd.DataFrame
    power: dict
    coverage: dict | None
    mpdta_cs: Any = field(repr=False)
    mpdta_twfe: Estimate
    replication: pd.DataFrame
    honest: Any = field(repr=False)
    rows: pd.DataFrame = field(repr=False)
    texts: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    # --- captions ---
    @property
    def champ_sim(self) -> str:
        s = self.settings
        return (f"simulation de {fmt_int(s['n_units'])} unités observées de {s['first_year']} à {s['last_year']} : "
                f"{fmt_int(s['n_treated'])} entrent dans le dispositif en {fmt_list(int(y) for y in s['cohorts'])}, "
                f"{fmt_int(s['n_never'])} n'y entrent jamais")

    @property
    def champ_mpdta(self) -> str:
        s = self.settings
        return (f"{fmt_int(s['mpdta_units'])} comtés américains, {s['mpdta_years'][0]}–{s['mpdta_years'][1]} ; "
                "emploi des jeunes (logarithme), hausse du salaire minimum")

    def banner(self) -> "book.Banner":
        return book.reference_banner()

    # --- figures and tables ---
    def figure_trends(self) -> plots.Figure:
        """Mean outcome by year, per entry wave and for never-treated units."""
        t = self.trends
        gap = self.naive_before.estimate if self.naive_before is not None else float("nan")
        title = ("Les unités qui entrent dans le dispositif partaient déjà de plus haut" if gap > 0 else
                 "Les unités qui entrent dans le dispositif partaient déjà de plus bas" if gap < 0 else
                 "Résultat moyen par vague d'entrée")
        return plots.trends(
            t, x="year", y="mean", hue="group", xlabel="Année", ylabel="Résultat moyen (unités)", title=title,
            champ=self.champ_sim, source=SOURCE_SIM, name="methodes-tendances", decimals=1,
        )

    def figure_estimators(self) -> plots.Figure:
        """Naive, TWFE, CS and matched CS with 95 % CIs against the true ATT (one figure)."""
        e = self.estimates[self.estimates["in_figure"]].reset_index(drop=True)
        att = self.truth["simple"]
        fig, ax = plots.new(height=0.7 * len(e) + 1.6)
        y = np.arange(len(e))[::-1]
        colors = {"naive_cross_section": plots.PALETTE[4], "twfe": plots.PALETTE[1]}
        for yi, r in zip(y, e.itertuples(index=False)):
            c = colors.get(r.estimator, plots.PALETTE[0])
            ax.errorbar(r.estimate, yi, xerr=[[r.estimate - r.ci_low], [r.ci_high - r.estimate]], fmt="o", color=c,
                        capsize=4, ms=6)
            ax.annotate(plots.ci_label(r.estimate, r.ci_low, r.ci_high, 2), (r.ci_high, yi), xytext=(8, 0),
                        textcoords="offset points", va="center", fontsize=8)
            if r.target != "simple":
                ax.plot(r.truth, yi, "x", color=plots.TRUTH, ms=9, mew=2)
                ax.annotate(f"sa cible : {fmt_num(r.truth, 2)}", (r.truth, yi), xytext=(0, -14),
                            textcoords="offset points", ha="center", fontsize=7.5, color=plots.TRUTH)
        ax.axvline(att, color=plots.TRUTH, lw=1.6, label=f"effet moyen réel (ATT) : {fmt_num(att, 2)}")
        ax.axvline(0, color=plots.NEUTRAL, lw=0.8)
        ax.set_yticks(y)
        ax.set_yticklabels(e["label"])
        ax.set_xlabel("Effet estimé (unités du résultat), intervalle de confiance à 95 %")
        ax.set_ylabel("Méthode d'estimation")
        plots.french_axis(ax, "x")
        lo, hi = min(e["ci_low"].min(), att, 0), max(e["ci_high"].max(), att)
        span = hi - lo if hi > lo else 1
        ax.set_xlim(lo - 0.05 * span, hi + 0.4 * span)
        ax.set_ylim(-0.8, len(e) - 0.4)
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        covers = e.set_index("estimator")["covers"]  # (TWFE and CS are always estimated and shown)
        if not covers["twfe"] and covers["cs_simple"]:
            title = ("Seul l'estimateur de Callaway et Sant'Anna retrouve l'effet réel ; la comparaison naïve et la "
                     "régression à effets fixes s'en écartent")
        elif covers["cs_simple"]:
            title = "L'estimateur de Callaway et Sant'Anna retrouve l'effet réel de la simulation"
        else:
            title = "Estimations de l'effet comparées à l'effet réel de la simulation"
        alt = (f"Graphique en points avec intervalles de confiance à 95 %. Effet moyen réel : {fmt_num(att, 2)}. "
               + " ; ".join(f"{r.label} : {plots.ci_label(r.estimate, r.ci_low, r.ci_high, 2)}"
                            + ("" if r.target == "simple" else f" (sa cible : {fmt_num(r.truth, 2)})")
                            for r in e.itertuples(index=False)) + ".")
        own = {"naive_cross_section": "comparaison naïve : effet réel de l'année comparée",
               "cs_simple_matched": "après appariement : effet réel sur les unités traitées appariées"}
        crosses = [own[r.estimator] for r in e.itertuples(index=False) if r.target != "simple" and r.estimator in own]
        note = "trait vertical : effet moyen réel sur les unités traitées"
        if crosses:
            note = ("croix : la valeur réelle que vise l'estimation lorsqu'elle diffère de l'effet moyen ("
                    + " ; ".join(crosses) + ") ; " + note)
        return plots.figure(fig, title=title, alt=alt, champ=self.champ_sim, source=SOURCE_SIM,
                            name="methodes-estimateurs", note=note + ".")

    def table_estimates(self) -> plots.Table:
        """Every estimate of the simulation next to its true value."""
        e = self.estimates
        t = pd.DataFrame({
            "Estimateur": e["label"],
            "Estimation": e["estimate"],
            "IC à 95 %": [fmt_ci(lo, hi, 2) for lo, hi in zip(e["ci_low"], e["ci_high"])],
            "Valeur réelle visée": e["truth"],
            "Écart à la valeur réelle": e["estimate"] - e["truth"],
            "L'IC contient la valeur réelle": e["covers"].astype(bool),
        })
        return plots.table(t, title="Chaque estimateur face à la quantité qu'il vise", champ=self.champ_sim,
                           source=SOURCE_SIM, decimals=2, name="methodes-estimations",
                           note="valeur réelle : moyenne des effets simulés sur les unités et années concernées "
                                "(pour la comparaison naïve, l'effet réel de l'année comparée).")

    def figure_bacon(self) -> plots.Figure:
        """Goodman-Bacon decomposition (2×2 estimates vs weight) and the TWFE weight of each treated cell."""
        comp = self.bacon.comparisons.copy()
        labels = {"treated_vs_never": "traitées vs jamais traitées",
                  "earlier_vs_later": "précoces vs tardives (pas encore traitées)",
                  "later_vs_earlier": "tardives vs précoces déjà traitées (comparaison « interdite »)"}
        colors = dict(zip(labels, (plots.PALETTE[0], plots.PALETTE[2], plots.PALETTE[3])))
        fig, (ax, ax2) = plots.new(2, 1, width=7.5, height=10.5, gridspec_kw={"height_ratios": [1.25, 1]})
        comp["pct"] = 100 * comp["weight"]
        span_x = max(float(comp["pct"].max() - comp["pct"].min()), 1e-9)
        span_y = max(float(comp["estimate"].max() - comp["estimate"].min()), 1e-9)
        placed: list[tuple[float, float]] = []
        for typ, d in comp.groupby("type", sort=False):
            ax.scatter(d["pct"], d["estimate"], s=45, color=colors.get(typ, plots.NEUTRAL),
                       label=labels.get(typ, typ), zorder=3)
            for r in d.itertuples(index=False):
                ctrl = "jamais" if str(r.control_group) == "never_treated" else f"{int(float(r.control_group))}"
                # labels of nearby points alternate above / below, so that they do not overlap
                near = any(abs(r.pct - px) / span_x < 0.12 and abs(r.estimate - py) / span_y < 0.08
                           for px, py in placed)
                placed.append((r.pct, r.estimate))
                ax.annotate(f"{int(r.treated_group)} vs {ctrl}", (r.pct, r.estimate),
                            xytext=(4, -10) if near else (4, 3), textcoords="offset points", fontsize=7)
        ax.axhline(self.bacon.twfe_estimate, color=plots.PALETTE[1], ls="--", lw=1.3,
                   label=f"estimation classique (effets fixes) = moyenne pondérée : {fmt_num(self.bacon.twfe_estimate, 2)}")
        ax.axhline(self.truth["simple"], color=plots.TRUTH, lw=1.3,
                   label=f"effet moyen réel : {fmt_num(self.truth['simple'], 2)}")
        ax.axhline(0, color=plots.NEUTRAL, lw=0.8)
        ax.set_xlabel("Poids de chaque comparaison 2×2 dans l'estimation classique (%)")
        ax.set_ylabel("Estimation 2×2 (unités du résultat)")
        ax.set_title("Comparaisons 2×2", fontsize=10)
        plots.french_axis(ax, "both")
        lo_x, hi_x = float(comp["pct"].min()), float(comp["pct"].max())
        ax.set_xlim(max(lo_x - 0.08 * span_x, 0), hi_x + 0.22 * span_x)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=7.5, frameon=False)
        w = self.weights
        for i, (g, d) in enumerate(w.groupby("cohort")):
            ax2.plot(d["event_time"], 100 * d["weight"], "o-", color=plots.PALETTE[i % len(plots.PALETTE)],
                     label=f"vague {g}")
        ax2.axhline(0, color=plots.NEUTRAL, lw=1)
        ax2.set_xlabel(event_axis())
        ax2.set_ylabel("Poids de la cellule (vague, année), en %")
        ax2.set_title("Poids de chaque effet dans l'estimation classique", fontsize=10)
        ax2.xaxis.set_major_locator(plots.mticker.MaxNLocator(integer=True))
        plots.french_axis(ax2, "y")
        ax2.legend(loc="upper right", fontsize=8, frameon=False)
        s = self.settings
        forb = s.get("bacon_forbidden_weight", 0.0)
        title = ("La régression à effets fixes mêle des comparaisons « interdites » et donne un poids négatif aux "
                 "effets les plus anciens" if forb > 0 and s["n_negative_cells"] > 0 else
                 "Décomposition de la régression à effets fixes en comparaisons 2×2")
        alt = ("Deux graphiques. En haut, nuage de points : chaque comparaison 2×2 entre vagues, son poids dans "
               "TWFE et son estimation ; "
               + " ; ".join(f"{labels.get(r.type, r.type)} : poids total {fmt_pct(100 * r.weight, 0)}, estimation "
                            f"moyenne {fmt_num(r.estimate, 2)}" for r in self.bacon.by_type.itertuples(index=False))
               + f". TWFE vaut {fmt_num(self.bacon.twfe_estimate, 2)}, l'effet moyen réel "
               f"{fmt_num(self.truth['simple'], 2)}. En bas, poids de chaque cellule (vague, année) traitée selon "
               f"l'ancienneté : {s['n_negative_cells']} cellules sur {s['n_cells']} ont un poids négatif, toutes "
               f"à {s['negative_min_event_time']} ans d'ancienneté ou plus." if s["n_negative_cells"] else
               "Deux graphiques : décomposition de Goodman-Bacon et poids des cellules traitées ; aucun poids négatif.")
        return plots.figure(fig, title=title, alt=alt, champ=self.champ_sim, source=SOURCE_SIM, name="methodes-bacon")

    def table_bacon(self) -> plots.Table:
        b = self.bacon.by_type
        labels = {"treated_vs_never": "Traitées vs jamais traitées",
                  "earlier_vs_later": "Précoces vs tardives pas encore traitées",
                  "later_vs_earlier": "Tardives vs précoces déjà traitées (« interdite »)"}
        t = pd.DataFrame({"Type de comparaison": [labels.get(x, x) for x in b["type"]],
                          "Nombre de comparaisons": b["n_comparisons"].astype(int),
                          "Poids total dans TWFE (%)": 100 * b["weight"],
                          "Estimation 2×2 moyenne": b["estimate"]})
        return plots.table(t, title="Ce que moyenne la régression à effets fixes", champ=self.champ_sim,
                           source=SOURCE_SIM, decimals={"Poids total dans TWFE (%)": 1, "Estimation 2×2 moyenne": 2},
                           name="methodes-bacon")

    def figure_event_study(self) -> plots.Figure:
        tab = self.event_study
        truth = truth_by_event_time(self.sim)
        truth = truth[truth.index.isin(tab["event_time"])]
        pre_ok = self.cs.pretest_p >= 0.05
        post = tab[tab.event_time >= 0].sort_values("event_time")
        first, last = post.iloc[0], post.iloc[-1]
        grows = len(post) > 1 and (last.estimate - first.estimate) > 1.96 * math.hypot(first.std_error,
                                                                                       last.std_error)
        truth_grows = len(truth) > 1 and truth.iloc[-1] > truth.iloc[0]
        title = ("Aucun écart significatif avant l'entrée" if pre_ok else "Des écarts apparaissent déjà avant l'entrée")
        if grows:
            title += " ; après, l'effet croît avec l'ancienneté" + (", comme dans la simulation" if truth_grows else "")
        else:
            title += " ; après, l'effet estimé par année d'ancienneté"
        return plots.event_study(
            tab, ylabel="Effet estimé (unités du résultat)", title=title, champ=self.champ_sim, source=SOURCE_SIM,
            name="methodes-etude-evenement", truth=truth, decimals=2,
        )

    def table_replication(self) -> plots.Table:
        """Ours vs R ``did`` / fixest on mpdta, with absolute differences (pre-formatted strings)."""
        r = self.replication
        stat_fr = {"estimate": "estimation", "std_error": "écart-type", "p_value": "p-valeur"}
        rows = []
        for x in r.itertuples(index=False):
            dec = _decimals(x.r_value)  # evalkit shown with as many decimals as R's published value
            rows.append({"Quantité": x.label, "Statistique": stat_fr.get(x.statistic, x.statistic),
                         "R (did / fixest)": fmt_num(x.r_value, dec), "evalkit": fmt_num(x.evalkit, dec),
                         "Écart absolu": fmt_sci(x.abs_diff), "Conforme": bool(x.within)})
        t = pd.DataFrame(rows)
        t.loc[t["Quantité"].duplicated(), "Quantité"] = ""
        ok = bool(r["within"].all())
        title = ("evalkit reproduit le package R did sur mpdta, à la précision de la référence" if ok else
                 "evalkit et le package R did sur mpdta : des écarts au-delà de la tolérance")
        return plots.table(
            t, title=title, champ=self.champ_mpdta, source=f"{SOURCE_MPDTA} ; {SOURCE_R} ; calculs evalkit",
            name="methodes-replication-mpdta",
            note=(f"tolérances : {fmt_sci(TOLERANCE['estimate'])} sur les estimations, "
                  f"{fmt_sci(TOLERANCE['std_error'])} sur les écarts-types, {fmt_sci(TOLERANCE['event_time'])} sur "
                  f"les effets par ancienneté (publiés par R à 4 décimales), {fmt_sci(TOLERANCE['pretest_p'])} sur "
                  "la p-valeur du test de pré-tendances (5 décimales). Valeurs R en unités de log de l'emploi."),
        )

    def figure_honest(self) -> plots.Figure:
        """HonestDiD on mpdta: robust 95 % CI of the average post-treatment effect as a function of M̄."""
        h = self.honest
        g = h.grid.sort_values("M")
        fig, ax = plots.new()
        ax.fill_between(g["M"], g["ci_low"], g["ci_high"], color=plots.PALETTE[5], alpha=0.35,
                        label="intervalle de confiance robuste à 95 %")
        ax.fill_between(g["M"], g["lb"], g["ub"], color=plots.PALETTE[0], alpha=0.45,
                        label="ensemble identifié (sans erreur d'échantillonnage)")
        ax.plot([0], [h.estimate], "o", color=plots.PALETTE[0], label=f"estimation : {fmt_num(h.estimate, 3)}")
        ax.axhline(0, color=plots.NEUTRAL, lw=1)
        bd = h.breakdown
        if bd is not None and bd > 0:
            ax.axvline(bd, color=plots.TRUTH, ls="--", lw=1.3,
                       label=f"l'intervalle atteint zéro à partir de {fmt_num(bd, 2)}")
        ax.set_xlabel("Écart de tendance permis après l'entrée, en multiple du plus grand écart observé avant")
        ax.set_ylabel("Effet moyen après la hausse (log de l'emploi)")
        ax.xaxis.set_major_locator(plots.mticker.MultipleLocator(0.25 if g["M"].max() <= 3 else 1.0))
        plots.french_axis(ax, "both", decimals=2)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8, frameon=False)
        if bd is None:
            title = "La conclusion résiste à tous les écarts de tendance testés"
            tail = f"l'intervalle exclut zéro jusqu'à M̄ = {fmt_num(g['M'].max(), 1)}"
        elif bd == 0:
            title = "L'effet n'est pas significatif même avec des tendances parfaitement parallèles"
            tail = "l'intervalle contient zéro dès M̄ = 0"
        else:
            title = (f"L'effet reste significatif tant que l'écart de tendance ne dépasse pas {fmt_num(bd, 2)} fois "
                     "celui observé avant la hausse")
            tail = f"l'intervalle robuste contient zéro à partir de M̄ = {fmt_num(bd, 2)}"
        alt = (f"Bandes en fonction de M̄ de 0 à {fmt_num(g['M'].max(), 1)} : à M̄ = 0, l'intervalle robuste va de "
               f"{fmt_num(g['ci_low'].iloc[0], 3)} à {fmt_num(g['ci_high'].iloc[0], 3)} ; à M̄ = "
               f"{fmt_num(g['M'].iloc[-1], 1)}, de {fmt_num(g['ci_low'].iloc[-1], 3)} à "
               f"{fmt_num(g['ci_high'].iloc[-1], 3)} ; {tail}.")
        return plots.figure(fig, title=title, alt=alt, champ=self.champ_mpdta,
                            source=f"{SOURCE_MPDTA} ; calculs evalkit (HonestDiD, magnitudes relatives)",
                            name="methodes-honestdid",
                            lecture=lecture.honest(g, "", 3, "la hausse"),
                            note="écart de tendance permis : M̄ dans la méthode de Rambachan et Roth (HonestDiD).")

    def table_balance(self) -> plots.Table:
        b = self.balance
        first = self.settings["first_year"]
        names = {"x": "Caractéristique x", "y_base": f"Résultat initial ({first})"}
        area_fr = {"urban": "urbaine", "periurban": "périurbaine", "rural": "rurale"}
        t = pd.DataFrame({
            "Variable": [f"Zone {area_fr.get(v[5:], v[5:])} (part)" if v.startswith("area=") else names.get(v, v)
                         for v in b["variable"]],
            "Traitées (n)": b["n_treated"],
            "Témoins (n)": b["n_control"],
            "Moyenne traitées": b["mean_treated"],
            "Moyenne témoins": b["mean_control"],
            "Diff. std. avant": b["smd_before"],
            "Diff. std. après": b["smd_after"],
        })
        s = self.settings
        ok = s["max_smd_after"] < 0.1
        title = ("Après appariement, les témoins ressemblent aux unités traitées"
                 if ok else "Après appariement, des écarts subsistent entre unités traitées et témoins")
        return plots.table(
            t, title=title, champ=self.champ_sim + f" ; caractéristiques en {first}", source=SOURCE_SIM,
            decimals=2, name="methodes-equilibre",
            note=("moyennes et effectifs avant appariement. Différence standardisée : écart des moyennes rapporté à "
                  "l'écart-type commun avant appariement ; au-delà de 0,1 en valeur absolue, les groupes sont jugés "
                  "déséquilibrés. Après appariement : "
                  f"{fmt_int(s['matched_treated'])} unités traitées et {fmt_int(s['matched_controls'])} témoins, "
                  "chaque témoin pondéré par le nombre d'unités traitées auxquelles il est associé. Effectifs "
                  "inférieurs à 11 masqués (« < 11 »), avec les moyennes de la ligne."),
        )

    def figure_power(self) -> plots.Figure:
        """Analytic MDE against the number of treated units (1 and 4 controls per treated unit), and the
        simulation's own design: analytic (open marker) and simulated on the design (filled, ± 1.96 Monte Carlo
        SE)."""
        c, p = self.power_curve, self.power
        an, ds = p["analytic"], p["design"]
        fig, ax = plots.new()
        for i, (k, d) in enumerate(c.groupby("controls_per_treated")):
            ax.plot(d["n_treated"], d["mde"], "-", color=plots.PALETTE[i], lw=2,
                    label=f"{k} témoin{'s' if k > 1 else ''} par unité traitée (calcul analytique)")
        here = (f"plan de la simulation ({fmt_int(an.n_treated)} unités traitées, {fmt_int(an.n_control)} "
                "témoins)")
        ax.plot([an.n_treated], [an.mde], "o", mfc="white", mec=plots.PALETTE[2], mew=2, ms=8,
                label=f"{here} : calcul analytique")
        ax.errorbar([ds.n_treated], [ds.mde], yerr=[[1.96 * ds.mde_mc_se], [1.96 * ds.mde_mc_se]], fmt="D",
                    color=plots.PALETTE[3], ms=6, capsize=3, label=f"{here} : simulation sur le plan")
        ax.axhline(p["effect"], color=plots.TRUTH, lw=1.2, ls="--",
                   label=f"effet réel de l'année d'entrée (simulation) : {fmt_num(p['effect'], 2)}")
        ax.set_xscale("log")
        ax.set_xlabel("Nombre d'unités traitées (échelle logarithmique)")
        ax.set_ylabel("Effet minimal détectable (unités du résultat)")
        ax.xaxis.set_major_formatter(plots.mticker.FuncFormatter(lambda v, _p: fmt_int(v)))
        ax.xaxis.set_minor_formatter(plots.mticker.NullFormatter())
        plots.french_axis(ax, "y")
        ax.legend(fontsize=7, frameon=False)
        one = c[c.controls_per_treated == 1]
        alt = (f"Courbes décroissantes : avec autant de témoins que d'unités traitées, l'effet minimal détectable "
               f"calculé passe de {fmt_num(one['mde'].iloc[0], 2)} pour {fmt_int(one['n_treated'].iloc[0])} unités "
               f"traitées à {fmt_num(one['mde'].iloc[-1], 2)} pour {fmt_int(one['n_treated'].iloc[-1])} ; "
               f"{_need_text(p)}. Pour le plan de la simulation, {fmt_num(an.mde, 2)} par le calcul analytique et "
               f"{fmt_num(ds.mde, 2)} par simulation.")
        pre = fmt_list(sorted(p["cohorts"]))
        return plots.figure(
            fig, title="L'effet minimal détectable diminue avec la racine carrée du nombre d'unités suivies",
            alt=alt, champ=(f"plan échelonné sur {p['n_periods']} années, vagues entrant après {pre} années, dans "
                            "les proportions de la simulation ; écart-type (σ = "
                            f"{fmt_num(p['sigma'], 2)}) et autocorrélation d'une année sur l'autre (ρ = "
                            f"{fmt_num(p['rho'], 2)}) mesurés sur les unités jamais traitées de la simulation"),
            source=f"{SOURCE_SIM} ; calculs evalkit",
            name="methodes-puissance",
            note=(f"test bilatéral au seuil de {fmt_pct(100 * ALPHA, 0)}, puissance {fmt_pct(100 * POWER, 0)}. "
                  f"Courbes et cercle : {an.method_label}. Losange : {ds.method_label} ({fmt_int(ds.n_sims)} "
                  "tirages ; barre : ± 1,96 erreur de simulation)."))

    def figure_coverage(self) -> plots.Figure | None:
        cov = self.coverage
        if not cov:
            return None
        labels = {"simple": "effet moyen sur les traités", "dynamic": "par ancienneté (moyenne e ≥ 0)",
                  "group": "par vague", "calendar": "par année calendaire"}
        items = [(labels.get(k, k), v) for k, v in cov["coverage"].items()]
        if cov.get("twfe") is not None:
            items.append(("comparaison classique (effets fixes), effet moyen", cov["twfe"]))
        fig, ax = plots.new(height=0.5 * len(items) + 1.6)
        y = np.arange(len(items))[::-1]
        vals = [100 * v for _, v in items]
        cols = [plots.PALETTE[0]] * len(cov["coverage"]) + [plots.PALETTE[1]] * (len(items) - len(cov["coverage"]))
        ax.barh(y, vals, color=cols, height=0.6)
        mc = 100 * 1.96 * math.sqrt(0.95 * 0.05 / cov["seeds"])
        ax.axvspan(95 - mc, 95 + mc, color=plots.NEUTRAL, alpha=0.2, label="95 % ± marge de simulation")
        ax.axvline(95, color=plots.NEUTRAL, lw=1.2)
        for yi, v in zip(y, vals):
            inside = v > 20
            ax.annotate(fmt_pct(v, 1), (v, yi), xytext=(-30 if inside else 4, 0), textcoords="offset points",
                        va="center", ha="right" if inside else "left", fontsize=8,
                        color="white" if inside else "black")
        ax.set_yticks(y)
        ax.set_yticklabels([k for k, _ in items])
        ax.set_xlim(0, 108)
        ax.set_xlabel("Part des simulations où l'intervalle à 95 % contient l'effet réel (%)")
        ax.set_ylabel("Estimateur et agrégation")
        plots.french_axis(ax, "x")
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        alt = (f"Barres horizontales, sur {fmt_int(cov['seeds'])} simulations : "
               + " ; ".join(f"{k} : {fmt_pct(100 * v, 1)}" for k, v in items) + ". Valeur nominale : 95 %.")
        return plots.figure(
            fig, title="Les intervalles de Callaway et Sant'Anna ont la couverture annoncée ; ceux de TWFE, non",
            alt=alt, champ=f"{fmt_int(cov['seeds'])} simulations indépendantes de {fmt_int(cov['units'])} unités "
                           "(vagues tirées au hasard, effets croissant avec l'ancienneté)",
            source=f"{SOURCE_SIM} ; banc d'essai benchmarks/coverage.py (résultats consignés dans "
                   "benchmarks/README.md)", name="methodes-couverture")


def _decimals(x: float) -> int:
    """Decimals of a typed reference value (``-0.0510`` was published with 4: trailing zeros are lost in floats, so at
    least 4; at most 10)."""
    s = repr(float(x))
    published = len(s.split(".")[1]) if "." in s and "e" not in s else 6
    return min(max(published, 4), 10)


# --- pieces of the analysis ------------------------------------------------------------------------------------


def group_trends(sim: pd.DataFrame, outcome: str = "y") -> pd.DataFrame:
    """Mean outcome per year for each entry wave and for never-treated units (``year, group, mean, n_units``);
    groups of fewer than 11 units are left out."""
    grp = clean_cohort(sim["cohort"]).map(lambda v: "jamais traitées" if pd.isna(v) else f"vague {int(v)}")
    out = sim.assign(group=grp).groupby(["group", "year"]).agg(mean=(outcome, "mean"), n_units=("unit", "nunique"))
    out = out.reset_index()
    out = out[out["n_units"] >= MIN_CELL]
    order = sorted(out["group"].unique(), key=lambda g: (g == "jamais traitées", g))
    out["group"] = pd.Categorical(out["group"], order, ordered=True)
    return out.sort_values(["group", "year"]).assign(group=lambda t: t["group"].astype(str)).reset_index(drop=True)


def _power(sim: pd.DataFrame, unit_cohort: pd.Series, years: list[int], truth: dict, seed: int,
           n_sims: int) -> tuple[dict, pd.DataFrame]:
    """Power of the headline CS estimator, two ways (:mod:`evalkit.estimators.power`).

    Planning without data: σ and ρ of the AR(1) model fitted to the autocovariance of the never-treated units
    (:func:`evalkit.planning.ar1_fit`), and the analytic MDE (``power_mde(model="ar1")``, Burlig, Preonas & Woerman
    2020 with one base period) for the simulation's calendar of entry (number of pre-periods and share of each
    cohort), against the number of treated units with 1 or 4 controls per treated unit; the units needed to detect
    the true effect of the entry year with as many controls as treated units.

    The non-circular check: the analytic MDE of the simulation's own design against the MDE simulated on that design
    by :func:`~evalkit.estimators.power.power_design` (placebo entry dates among the never-treated units, CS refitted,
    ``n_sims`` draws, seeded) — which assumes no model of the outcome — and the MDE implied by the SE the estimator
    reports on the simulation.
    """
    never = sim[sim["cohort"].isna()]
    gamma = planning.autocovariance(never, "y", "unit", "year")
    fit = planning.ar1_fit(gamma)
    sigma, rho = fit["sigma"], fit["rho"]
    sizes = unit_cohort.dropna().value_counts().sort_index()
    n_treated, n_units = int(sizes.sum()), int(len(unit_cohort))
    n_periods = len(years)
    # calendar of entry: number of pre-periods of each cohort -> its share of the treated
    cohorts = {int(sum(1 for y in years if y < g)): float(n / n_treated) for g, n in sizes.items()}
    kw = dict(alpha=ALPHA, power=POWER, model="ar1", cohorts=cohorts)
    grid = np.unique(np.round(np.geomspace(10, max(1000, 2 * n_treated), 30)).astype(int))
    curve = []
    for k in (1, 4):
        for nt in grid:
            r = power_mde(int(nt * (1 + k)), n_periods, 1 / (1 + k), sigma, rho, **kw)
            curve.append(dict(controls_per_treated=k, n_treated=r.n_treated, n_control=r.n_control, mde=r.mde,
                              std_error=r.std_error))
    curve = pd.DataFrame(curve)
    # planning target: the true effect of the entry year (the smallest, and the first one a study would see)
    te = truth_by_event_time(sim)
    effect = float(te.loc[0]) if 0 in te.index else truth["simple"]
    need = power_n(effect, n_periods, 0.5, sigma, rho, **kw)
    analytic = power_mde(n_units, n_periods, n_treated / n_units, sigma, rho, **kw)
    design = power_design(sim, outcome="y", unit="unit", time="year", cohort="cohort", n_sims=n_sims, alpha=ALPHA,
                          power=POWER, seed=seed)
    # spread of the true ATT(g, t) across treated cells: what the reported SE carries and the two calculations ignore
    cells = sim[sim["D"] == 1].groupby(["cohort", "year"])["tau"].mean()
    power = dict(sigma=sigma, rho=rho, ar1_max_rel_gap=fit["max_rel_gap"], cohorts=cohorts, n_periods=n_periods,
                 effect=effect, need=need, analytic=analytic, design=design,
                 heterogeneous=bool(cells.max() - cells.min() > 1e-9 * max(1.0, abs(cells.mean()))))
    return power, curve


def _need_text(p: dict) -> str:
    """« selon le calcul analytique, il faut N unités traitées et autant de témoins pour détecter … »."""
    need = p["need"]
    return (f"selon le calcul analytique, il faut {fmt_int(need.n_treated)} unités traitées et autant de témoins pour "
            f"détecter un effet de {fmt_num(p['effect'], 2)} (l'effet réel de l'année d'entrée dans la simulation)")


def read_coverage_benchmark(path: Path | str | None = None) -> dict | None:
    """The coverage figures recorded in ``benchmarks/README.md`` (not retyped): seeds, units, coverage of the
    population ATT per aggregation, TWFE's coverage and the pre-test rejection rate. None if the file is absent or
    its format changed."""
    path = Path(path) if path is not None else paths.project_root() / "benchmarks" / "README.md"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    m = re.search(r"Result \((\d+) seeds", text)
    units = re.search(r"Design:\s*(\d+) units", text)
    cov = {}
    for key in ("simple", "dynamic", "group", "calendar"):
        r = re.search(rf"^\|\s*{key}\b[^|]*\|\s*([0-9.]+)\s*\|\s*([0-9.]+)\s*\|", text, flags=re.M)
        if r:
            cov[key] = float(r.group(1))
    if not m or len(cov) < 4:
        return None
    tw = re.search(r"TWFE's CI contains the\s+simple\s+ATT in ([0-9.]+)\s*%", text)
    pre = re.search(r"rejects ([0-9.]+)\s*% of the time", text)
    return {"seeds": int(m.group(1)), "units": int(units.group(1)) if units else None, "coverage": cov,
            "twfe": float(tw.group(1)) / 100 if tw else None, "pretest_rejection": float(pre.group(1)) / 100
            if pre else None, "source": str(path)}


def replication_table(cs: Any, tw: Estimate) -> pd.DataFrame:
    """evalkit on mpdta against :data:`R_REFERENCE`: one row per (quantity, statistic) with ``r_value, evalkit,
    abs_diff, tolerance, within``."""
    rows = []

    def add(q: str, label: str, stat: str, r: float, ours: float, tol: float) -> None:
        diff = abs(ours - r)
        rows.append(dict(quantity=q, label=label, statistic=stat, r_value=r, evalkit=float(ours), abs_diff=diff,
                         tolerance=tol, within=bool(diff <= tol + 1e-12)))

    def add_est_se(q: str, label: str, ref: str, e) -> None:  # R's (estimate, SE) against ours
        for stat, r in zip(("estimate", "std_error"), R_REFERENCE[ref]):
            add(q, label, stat, r, getattr(e, stat), TOLERANCE[stat])

    cell = cs.att_gt.query("cohort == 2004 and time == 2004")
    if len(cell):
        add_est_se("att_2004_2004", "ATT(2004, 2004)", "att_2004_2004", cell.iloc[0])
    labels = {"simple": "ATT simple", "group": "Par vague (group)",
              "dynamic": "Par ancienneté (dynamic)", "calendar": "Par année (calendar)"}
    aggs = cs.aggregates()
    for k, lab in labels.items():
        add_est_se(k, lab, k, aggs[k])
    add("pretest_p", "Test de pré-tendances", "p_value", R_REFERENCE["pretest_p"], cs.pretest_p,
        TOLERANCE["pretest_p"])
    add_est_se("twfe", "TWFE (fixest)", "twfe_fixest", tw)
    dyn = cs.dynamic.table.set_index("event_time")["estimate"]
    for e, r in R_REFERENCE["event_time"].items():
        if e in dyn.index:
            add(f"event_time={e}", f"Ancienneté e = {fmt_num(e, 0, sign=e != 0)}", "estimate", r, dyn.loc[e],
                TOLERANCE["event_time"])
    return pd.DataFrame(rows)


def _cs_rows(cs: Any, outcome: str, unit: str, headline: bool, suffix: str = "", detail: bool = True) -> list[dict]:
    """Results rows of a CS fit with the book's estimator names (cs_simple, cs_dynamic, cs_group, cs_calendar)."""
    rows = cs.simple.to_rows(STUDY, outcome, unit, headline=headline, data=DATA, estimator=f"cs_simple{suffix}")
    if not detail:
        return rows
    for name, agg in cs.aggregates().items():
        if name != "simple":
            rows += agg.to_rows(STUDY, outcome, unit, data=DATA, estimator=f"cs_{name}{suffix}")
    rows += cs.dynamic.to_rows(STUDY, outcome, unit, data=DATA, estimator=f"cs_dynamic{suffix}", n_obs=cs.n_obs)
    rows += cs.group.to_rows(STUDY, outcome, unit, data=DATA, estimator=f"cs_group{suffix}", n_obs=cs.n_obs)
    return rows


def _truth_rows(sim: pd.DataFrame, truth: dict) -> list[dict]:
    """The simulation's true values as results rows (estimator ``truth*``, no SE): the yardstick of the estimates."""
    treated = sim[sim["D"] == 1]
    n_tr = int(treated["unit"].nunique())
    rows = [make_row(study=STUDY, outcome=SIM_OUTCOME, estimator="truth" if k == "simple" else f"truth_{k}",
                     estimate=truth[k], unit=SIM_UNIT, n_units=n_tr, n_obs=len(treated), data=DATA)
            for k in ("simple", "dynamic", "group", "calendar")]
    by_e = treated.assign(e=treated["year"] - treated["cohort"]).groupby("e")
    for e, v in by_e["tau"].mean().items():
        n = int(by_e["unit"].nunique().loc[e])
        if n >= MIN_CELL:
            rows.append(make_row(study=STUDY, outcome=SIM_OUTCOME, estimator="truth", estimate=float(v),
                                 unit=SIM_UNIT, n_units=n, subgroup=f"event_time={int(e)}", data=DATA))
    return rows


def analyse(
    sim: pd.DataFrame | None = None,
    mpdta: pd.DataFrame | None = None,
    *,
    seed: int | None = None,
    design: SimDesign | None = None,
    mbar: Sequence[float] | None = None,
    power_sims: int = POWER_SIMS,
    coverage_path: Path | str | None = None,
) -> MethodesAnalysis:
    """Run the chapter: the simulation (given, or generated from ``seed``/``design``) and mpdta (given, or the
    shipped copy).

    ``sim`` needs the columns ``unit, year, cohort (NaN = never), D, tau, y`` (``x`` and ``area`` are used for the
    matching when present) and some never-treated units.
    """
    seed = paths.seed() if seed is None else int(seed)
    generated = sim is None
    if generated:
        sim = simulate(seed, design)
    sim = sim.copy()
    sim["cohort"] = clean_cohort(sim["cohort"])
    notes: list[str] = []
    years = sorted(int(y) for y in sim["year"].unique())
    first, last = years[0], years[-1]
    # the rules of evalkit.estimators.prepare_panel, applied once so that every estimate and truth uses one sample:
    # units first treated after the window are untreated in it (never treated); units treated from the first year
    # have no pre-period and are set aside
    late = sim["cohort"] > last
    if late.any():
        notes.append(f"{sim.loc[late, 'unit'].nunique()} units first treated after {last} counted as never treated")
        sim.loc[late, "cohort"] = np.nan
    early = sim["cohort"] <= first
    if early.any():
        notes.append(f"{sim.loc[early, 'unit'].nunique()} units treated from {first} (no pre-period) set aside")
        sim = sim[~early].reset_index(drop=True)
    unit_cohort = sim.drop_duplicates("unit").set_index("unit")["cohort"]
    n_units = int(len(unit_cohort))
    n_never = int(unit_cohort.isna().sum())
    if n_never < MIN_CELL:
        raise ValueError(f"the simulated panel has {n_never} never-treated units; the chapter needs at least "
                         f"{MIN_CELL} (comparison group of the naive and Callaway–Sant'Anna estimates)")
    cohorts = sorted(int(c) for c in unit_cohort.dropna().unique() if first < c <= last)
    cohort_sizes = unit_cohort.value_counts().sort_index()

    truth = {"simple": truth_simple(sim), "dynamic": truth_dynamic(sim), "group": truth_group(sim),
             "calendar": truth_calendar(sim)}
    by_year = truth_by_year(sim)

    # 1. naive comparisons: last year (treated by then vs not) and first year (before any entry)
    naive = naive_cross_section(sim.assign(_t=sim["D"]), "y", last, "_t")
    naive_truth = float(by_year.get(last, np.nan))
    naive_before = None
    if first < min(cohorts):
        naive_before = naive_cross_section(sim.assign(_t=sim["cohort"].notna().astype(int)), "y", first, "_t")

    # 2. TWFE, Bacon decomposition, TWFE weights of the treated cells
    tw = twfe(sim, "y", "unit", "year", "cohort")
    bacon = _caught(notes, bacon_decomposition, sim, "y", "unit", "year", "cohort")
    weights = twfe_weights(sim[sim["cohort"].isna() | (sim["cohort"] > first)])
    implied = twfe_implied(sim[sim["cohort"].isna() | (sim["cohort"] > first)])

    # 3. Callaway–Sant'Anna
    cs_kw = dict(control_group="never_treated", est_method="dr", bootstrap=0)  # also for the matched sample and mpdta
    cs = _caught(notes, callaway_santanna, sim, "y", "unit", "year", "cohort", **cs_kw)

    # 4. matching at baseline (first year), balance, CS on the matched sample
    base = sim[sim["year"] == first].set_index("unit")
    covs = [c for c in ("x", "area") if c in base.columns] + ["y_base"]
    baseline = pd.DataFrame({"unit": base.index, "treated": base["cohort"].notna().astype(int).to_numpy(),
                             **{c: base[c].to_numpy() for c in covs if c != "y_base"},
                             "y_base": base["y"].to_numpy()})
    match = match_ps(baseline, "treated", covs, caliper=CALIPER, ratio=1, seed=seed, unit="unit", replace=True)
    balance = balance_table(baseline, "treated", covs, weights=match.weights)
    wmap = pd.Series(match.weights.to_numpy(), index=baseline["unit"].to_numpy())
    sim_w = sim.assign(_w=sim["unit"].map(wmap).fillna(0.0))
    cs_m = _caught(notes, callaway_santanna, sim_w, "y", "unit", "year", "cohort", weights="_w", **cs_kw)
    matched_treated = set(match.matched.loc[match.matched.treated == 1, "unit"])
    truth_matched = truth_simple(sim[sim["unit"].isin(matched_treated)])

    # 5. power: analytic MDE curve (AR(1) fitted on the never-treated units), simulation on the design itself,
    # coverage benchmark
    n_treated = int(unit_cohort.notna().sum())
    power, curve = _power(sim, unit_cohort, years, truth, seed, power_sims)
    coverage = read_coverage_benchmark(coverage_path)

    # 6. mpdta: replication and HonestDiD
    mp = load_mpdta() if mpdta is None else mpdta.copy()
    mp["first_treat"] = clean_cohort(mp["first_treat"])
    mcs = _caught(notes, callaway_santanna, mp, "lemp", "countyreal", "year", "first_treat", pscore_trim=1e-10,
                  **cs_kw)
    mtw = twfe(mp, "lemp", "countyreal", "year", "first_treat")
    replication = replication_table(mcs, mtw)
    mbar = list(np.round(np.arange(0, 2.0001, 0.1), 2)) if mbar is None else list(mbar)
    honest = honest_did(mcs, e="average", method="relative_magnitude", mbar=mbar)

    # estimates vs truth (simulation)
    def est_row(estimator: str, label: str, e: Estimate, target: str, value: float, in_figure: bool) -> dict:
        return dict(estimator=estimator, label=label, target=target, estimate=e.estimate, std_error=e.std_error,
                    ci_low=e.ci_low, ci_high=e.ci_high, truth=value, covers=bool(e.ci_low <= value <= e.ci_high),
                    in_figure=in_figure)

    aggs = cs.aggregates()
    estimates = pd.DataFrame([
        est_row("naive_cross_section", f"Comparaison naïve ({last})", naive, f"year={last}", naive_truth, True),
        est_row("twfe", "Comparaison classique (effets fixes)", tw, "simple", truth["simple"], True),
        est_row("cs_simple", "Callaway–Sant'Anna", aggs["simple"], "simple", truth["simple"], True),
        est_row("cs_simple_matched", "Callaway–Sant'Anna après appariement", cs_m.simple, "simple_matched",
                truth_matched, True),
        *(est_row(f"cs_{k}", f"Callaway–Sant'Anna, {lab}", aggs[k], k, truth[k], False) for k, lab in (
            ("dynamic", "par ancienneté (moyenne e ≥ 0)"), ("group", "par vague"), ("calendar", "par année"))),
    ])
    # the matched CS targets the matched treated units; shown on the ATT line when that truth is the same
    if abs(truth_matched - truth["simple"]) < 1e-12:
        estimates.loc[estimates.estimator == "cs_simple_matched", "target"] = "simple"

    bt = bacon.by_type.set_index("type")
    neg = weights[weights["weight"] < 0]
    settings = dict(
        seed=seed, n_units=n_units, n_never=n_never, n_treated=n_treated, first_year=first, last_year=last,
        years=years, cohorts=cohorts, cohort_sizes={int(k): int(v) for k, v in cohort_sizes.items()},
        n_obs=len(sim), twfe_implied=implied, n_cells=len(weights), n_negative_cells=len(neg),
        negative_weight_sum=float(neg["weight"].sum()),
        negative_min_event_time=int(neg["event_time"].min()) if len(neg) else None,
        bacon_forbidden_weight=float(bt["weight"].get("later_vs_earlier", 0.0)),
        bacon_forbidden_estimate=float(bt["estimate"].get("later_vs_earlier", np.nan)),
        matched_treated=match.n_treated_matched, matched_controls=match.n_control_matched,
        max_smd_before=float(pd.to_numeric(balance["smd_before"], errors="coerce").abs().max()),
        max_smd_after=float(pd.to_numeric(balance["smd_after"], errors="coerce").abs().max()),
        truth_matched=truth_matched, covariates=covs,
        mpdta_units=int(mp["countyreal"].nunique()), mpdta_years=(int(mp["year"].min()), int(mp["year"].max())),
        design=(design or SimDesign()) if generated else None,
    )

    # results rows
    rows: list[dict] = []
    rows += naive.to_rows(STUDY, SIM_OUTCOME, SIM_UNIT, data=DATA)
    if naive_before is not None:
        rows += naive_before.to_rows(STUDY, SIM_OUTCOME, SIM_UNIT, subgroup=f"year={first}", data=DATA)
    rows += tw.to_rows(STUDY, SIM_OUTCOME, SIM_UNIT, data=DATA)
    rows += _cs_rows(cs, SIM_OUTCOME, SIM_UNIT, headline=True)
    rows += _cs_rows(cs_m, SIM_OUTCOME, SIM_UNIT, headline=False, suffix="_matched", detail=False)
    rows += bacon.to_rows(STUDY, SIM_OUTCOME, SIM_UNIT, data=DATA)
    rows += _truth_rows(sim, truth)
    rows += power["analytic"].to_rows(STUDY, SIM_OUTCOME, SIM_UNIT, data=DATA)
    rows += [r for r in power["design"].to_rows(STUDY, SIM_OUTCOME, SIM_UNIT, data=DATA)
             if r["estimator"] == "power_mde_sim"]
    rows += _cs_rows(mcs, MPDTA_OUTCOME, MPDTA_UNIT, headline=True)
    rows += mtw.to_rows(STUDY, MPDTA_OUTCOME, MPDTA_UNIT, data=DATA)
    hr = honest.to_rows(STUDY, MPDTA_OUTCOME, MPDTA_UNIT, data=DATA, n_units=mcs.n_units, n_obs=mcs.n_obs)
    rows += [r for r in hr if any(math.isclose(float(r["subgroup"].split("=")[1]), m) for m in (0, 0.5, 1, 1.5, 2))]
    rows = to_frame([r for r in rows if pd.isna(r["n_units"]) or r["n_units"] >= MIN_CELL])
    rows.loc[rows["outcome"] == MPDTA_OUTCOME, "data"] = "reference"  # public reference data (R did's mpdta)

    a = MethodesAnalysis(
        sim=sim, settings=settings, truth=truth, estimates=estimates, trends=group_trends(sim), naive=naive,
        naive_before=naive_before, twfe=tw, cs=cs, cs_matched=cs_m, bacon=bacon, weights=weights,
        event_study=cs.dynamic.table, match=match, balance=balance, power_curve=curve, power=power,
        coverage=coverage, mpdta_cs=mcs, mpdta_twfe=mtw, replication=replication, honest=honest, rows=rows,
        notes=notes,
    )
    a.texts = _texts(a)
    return a


# --- French texts for glue ---------------------------------------------------------------------------------------


def _texts(a: MethodesAnalysis) -> dict[str, str]:
    s, t, p = a.settings, a.truth, a.power
    e = a.estimates.set_index("estimator")
    d2 = lambda x: fmt_num(x, 2)  # noqa: E731
    ci = lambda r: fmt_ci(r.ci_low, r.ci_high, 2)  # noqa: E731
    tw, cs, nv = e.loc["twfe"], e.loc["cs_simple"], e.loc["naive_cross_section"]
    out: dict[str, str] = {f"sim_{k}": fmt_int(s[k]) for k in ("n_units", "n_treated", "n_never")}
    n_coh = len(s["cohorts"])
    out.update(sim_years=f"{s['first_year']} à {s['last_year']}", sim_cohorts=fmt_list(int(y) for y in s["cohorts"]),
               sim_n_cohorts={1: "une vague", 2: "deux vagues", 3: "trois vagues", 4: "quatre vagues"}.get(
                   n_coh, f"{n_coh} vagues"))
    out.update(truth_att=d2(t["simple"]), truth_dynamic=d2(t["dynamic"]), truth_last_year=d2(nv.truth),
               last_year=str(s["last_year"]), first_year=str(s["first_year"]), naive=d2(nv.estimate), naive_ci=ci(nv))
    out["naive_ratio"] = fmt_num(nv.estimate / t["simple"], 1) if t["simple"] else "n.d."
    naive = (f"En {s['last_year']}, les unités entrées dans le dispositif dépassent les autres de {d2(nv.estimate)} "
             f"(IC à 95 % {ci(nv)}), alors que l'effet réel cette année-là est de {d2(nv.truth)}")
    if a.naive_before is not None:
        out.update(naive_before=d2(a.naive_before.estimate), naive_before_ci=ci(a.naive_before))
        out["naive_sentence"] = naive + (
            f" : l'écart brut additionne l'effet et une avance que ces unités avaient déjà en {s['first_year']}, "
            f"avant toute entrée ({out['naive_before']}, IC {out['naive_before_ci']}).")
    else:
        out["naive_before"] = out["naive_before_ci"] = "n.d."
        out["naive_sentence"] = naive + "."
    out.update(twfe=d2(tw.estimate), twfe_ci=ci(tw), twfe_bias=fmt_num(tw.estimate - t["simple"], 2, sign=True),
               twfe_bias_pct=fmt_pct(100 * (tw.estimate - t["simple"]) / t["simple"], 0, sign=True)
               if t["simple"] else "n.d.", twfe_implied=d2(s["twfe_implied"]))
    m = e.loc["cs_simple_matched"]
    for k, r in (("cs", cs), ("cs_dynamic", e.loc["cs_dynamic"]), ("cs_matched", m)):
        out[k], out[f"{k}_ci"] = d2(r.estimate), ci(r)
    out["truth_matched"] = d2(m.truth)
    if tw.covers:
        verdict = (f"la régression à double effet fixe (TWFE) donne {d2(tw.estimate)} (IC {ci(tw)}), compatible avec "
                   "l'effet réel")
    else:
        sens = "le sous-estime" if tw.estimate < t["simple"] else "le surestime"
        verdict = (f"la régression classique à double effet fixe (TWFE) {sens} : {d2(tw.estimate)} "
                   f"(IC {ci(tw)})")
    cs_verdict = ("retrouve l'effet réel" if cs.covers else "s'écarte de l'effet réel")
    out["answer"] = (
        f"Sur une simulation où l'effet moyen réel est connu ({d2(t['simple'])}), la comparaison naïve des niveaux "
        f"donne {d2(nv.estimate)}, {verdict}, et l'estimateur de Callaway et Sant'Anna {cs_verdict} : "
        f"{d2(cs.estimate)} (IC {ci(cs)}).")
    out["twfe_sentence"] = (
        f"Sur la simulation, TWFE donne {d2(tw.estimate)} (IC {ci(tw)}) pour un effet moyen réel de {d2(t['simple'])}"
        + (" : l'effet simulé est le même pour toutes les vagues et toutes les années, et la régression n'a alors pas "
           "de biais." if abs(s["twfe_implied"] - t["simple"]) <= 0.01 * abs(t["simple"]) else
           f", soit un écart de {out['twfe_bias']} ({out['twfe_bias_pct']}). Ce n'est pas un accident "
           "d'échantillon : compte tenu des dates d'entrée et des effets simulés, la régression converge vers "
           f"{d2(s['twfe_implied'])}, quelle que soit la taille de l'échantillon."))
    fw, bt = s["bacon_forbidden_weight"], a.bacon.by_type.set_index("type")
    out.update(bacon_forbidden_weight=fmt_pct(100 * fw, 0),
               bacon_forbidden_estimate=d2(s["bacon_forbidden_estimate"]) if fw > 0 else "n.d.",
               bacon_clean_weight=fmt_pct(100 * float(bt["weight"].get("treated_vs_never", 0.0)), 0),
               bacon_clean_estimate=d2(float(bt["estimate"].get("treated_vs_never", np.nan))))
    out.update(n_cells=fmt_int(s["n_cells"]), n_negative_cells=fmt_int(s["n_negative_cells"]),
               negative_weight_sum=fmt_pct(100 * s["negative_weight_sum"], 0))
    if s["n_negative_cells"]:
        w = a.weights
        strongest = bool(w.loc[w["weight"] < 0, "tau"].min() > w.loc[w["weight"] >= 0, "tau"].mean())
        out["negative_sentence"] = (
            f"Sur les {s['n_cells']} cellules (vague, année) traitées de la simulation, {s['n_negative_cells']} "
            f"reçoivent un poids négatif (au total {fmt_pct(100 * s['negative_weight_sum'], 0)}) : ce sont des années "
            f"éloignées de l'entrée (à partir de {s['negative_min_event_time']} ans d'ancienneté)"
            + (", celles où l'effet simulé est le plus fort." if strongest else "."))
    else:
        out["negative_sentence"] = ("Sur la simulation, aucune cellule (vague, année) traitée ne reçoit de poids "
                                    "négatif.")
    out.update(pretest_p=fmt_p(a.cs.pretest_p, style="words"), pretest_df=str(int(a.cs.pretest_df)))
    out["pretest_sentence"] = (
        f"le test joint de nullité des {int(a.cs.pretest_df)} écarts d'avant l'entrée donne une p-valeur de "
        f"{fmt_p(a.cs.pretest_p, style='words')}"
        + (" : rien ne signale de tendances divergentes" if a.cs.pretest_p >= 0.05 else
           " : les tendances semblent diverger avant l'entrée"))
    es = a.event_study
    post = es[es.event_time >= 0].sort_values("event_time")
    te = truth_by_event_time(a.sim)
    out.update(es_first=d2(post["estimate"].iloc[0]), es_last=d2(post["estimate"].iloc[-1]),
               es_last_e=str(int(post["event_time"].iloc[-1])),
               es_truth_first=d2(float(te.loc[post["event_time"].iloc[0]])),
               es_truth_last=d2(float(te.loc[post["event_time"].iloc[-1]])),
               # matching
               n_matched_treated=fmt_int(s["matched_treated"]), n_matched_controls=fmt_int(s["matched_controls"]),
               max_smd_before=fmt_num(s["max_smd_before"], 2), max_smd_after=fmt_num(s["max_smd_after"], 2))
    n_sup = int(a.balance.attrs.get("suppressed_cells", 0))
    out["balance_suppressed"] = ("aucune ligne n'a dû être masquée" if n_sup == 0 else
                                 f"{n_sup} ligne{'s' if n_sup > 1 else ''} masquée{'s' if n_sup > 1 else ''} "
                                 "(effectif inférieur à 11)")
    # power
    an, ds = p["analytic"], p["design"]
    d3 = lambda x: fmt_num(x, 3)  # noqa: E731  (MDEs and SEs of the power section: three decimals)
    out.update(power_sigma=d2(p["sigma"]), power_rho=d2(p["rho"]), power_n_periods=str(p["n_periods"]),
               power_pre_list=fmt_list(sorted(p["cohorts"])), power_simulations=fmt_int(ds.n_sims),
               power_method_analytic=an.method_label, power_method_sim=ds.method_label, cs_se=d2(cs.std_error))
    cov = a.coverage
    if cov:
        c = cov["coverage"]
        out["coverage_sentence"] = (
            f"Sur {fmt_int(cov['seeds'])} simulations du banc d'essai d'evalkit, l'intervalle à 95 % de "
            f"Callaway et Sant'Anna contient l'effet réel dans {fmt_pct(100 * min(c.values()), 1)} à "
            f"{fmt_pct(100 * max(c.values()), 1)} des cas selon l'agrégation"
            + (f", celui de TWFE dans {fmt_pct(100 * cov['twfe'], 0)} des cas" if cov.get("twfe") is not None
               else "") + ".")
    else:
        out["coverage_sentence"] = ("Le banc d'essai de couverture (benchmarks/coverage.py) n'a pas de résultat "
                                    "consigné dans ce dossier.")
    # mpdta
    r = a.replication
    cs_q = ~r.quantity.str.startswith("event_time") & (r.quantity != "twfe") & (r.statistic != "p_value")
    out["rep_max_diff_cs"] = fmt_sci(float(r.loc[cs_q, "abs_diff"].max()))
    for k, stat in (("est", "estimate"), ("se", "std_error")):
        out[f"rep_max_diff_twfe_{k}"] = fmt_sci(float(r.loc[(r.quantity == "twfe") & (r.statistic == stat),
                                                            "abs_diff"].max()))
    out["rep_max_diff_event"] = fmt_sci(float(r.loc[r.quantity.str.startswith("event_time"), "abs_diff"].max()))
    out["rep_diff_pretest"] = fmt_sci(float(r.loc[r.quantity == "pretest_p", "abs_diff"].max()))
    out.update(rep_all_within="oui" if bool(r["within"].all()) else "non", rep_n=fmt_int(len(r)))
    out["rep_sentence"] = (
        f"Les {len(r)} valeurs comparées sont toutes dans la tolérance de référence" if r["within"].all() else
        f"{int((~r['within']).sum())} des {len(r)} valeurs comparées sortent de la tolérance de référence")
    mcs = a.mpdta_cs
    h = a.honest
    out.update(mpdta_units=fmt_int(s["mpdta_units"]), mpdta_years=f"{s['mpdta_years'][0]} à {s['mpdta_years'][1]}",
               mpdta_simple=fmt_num(mcs.simple.estimate, 4),
               mpdta_simple_ci=fmt_ci(mcs.simple.ci_low, mcs.simple.ci_high, 4),
               mpdta_dynamic=fmt_num(mcs.dynamic.overall.estimate, 4), mpdta_twfe=fmt_num(a.mpdta_twfe.estimate, 4),
               honest_estimate=fmt_num(h.estimate, 3),
               honest_ci0=fmt_ci(h.grid["ci_low"].iloc[0], h.grid["ci_high"].iloc[0], 3))
    bd, m_max = h.breakdown, fmt_num(h.grid["M"].max(), 1)
    if bd is None:
        out["honest_sentence"] = f"l'intervalle robuste exclut zéro sur toute la grille testée (jusqu'à M̄ = {m_max})"
    elif bd == 0:
        out["honest_sentence"] = "l'intervalle contient zéro dès M̄ = 0 : l'effet n'est pas significatif"
    else:
        out["honest_sentence"] = (
            f"l'intervalle robuste exclut zéro tant que M̄ reste inférieur à {fmt_num(bd, 2)} : la conclusion tient "
            f"si, après la hausse, l'écart de tendance ne dépasse pas {fmt_num(bd, 2)} fois le plus grand écart "
            "observé d'une année sur l'autre avant elle")
    out["honest_breakdown"] = f"au-delà de {m_max}" if bd is None else "0" if bd == 0 else fmt_num(bd, 2)
    out.update(caliper=fmt_num(CALIPER, 1), power_level=fmt_pct(100 * POWER, 0), alpha_level=fmt_pct(100 * ALPHA, 0))
    need = _need_text(p)
    out["power_needed_sentence"] = need[0].upper() + need[1:]
    gap = an.mde / ds.mde - 1 if ds.mde > 0 else float("nan")
    agree = math.isfinite(gap) and abs(gap) <= AGREE
    out["power_design_sentence"] = (
        f"Pour le plan de la simulation ({fmt_int(s['n_treated'])} unités traitées, {fmt_int(s['n_never'])} "
        f"témoins), l'effet minimal détectable est de {d3(an.mde)} selon le calcul analytique et de {d3(ds.mde)} "
        f"selon la simulation sur le plan (erreur de simulation {d3(ds.mde_mc_se)}, {fmt_int(ds.n_sims)} tirages) : "
        + (f"les deux calculs concordent (écart de {fmt_pct(100 * abs(gap), 1)})" if agree else
           f"le calcul analytique s'en écarte de {fmt_pct(100 * gap, 0, sign=True)}, au-delà de la marge de "
           f"{fmt_pct(100 * AGREE, 0)} qu'on peut attendre de cette approximation")
        + f". Sans effet ajouté, le test rejette à tort l'absence d'effet dans {fmt_pct(100 * ds.size, 1)} des "
        f"tirages, pour un seuil de {fmt_pct(100 * ALPHA, 0)}.")
    ratio = cs.std_error / an.std_error if an.std_error > 0 else float("nan")
    same = math.isfinite(ratio) and abs(ratio - 1) <= 0.05
    out["power_se_sentence"] = (
        f"L'écart-type que l'estimateur de Callaway et Sant'Anna annonce sur la simulation ({d3(cs.std_error)}) "
        f"{'est' if same else 'dépasse' if ratio > 1 else 'est inférieur à'} celui du calcul analytique "
        f"({d3(an.std_error)})"
        + (" : il tient compte aussi de l'incertitude sur le poids de chaque vague, qui compte lorsque les effets "
           "diffèrent d'une vague et d'une année à l'autre, comme ici ; les deux calculs de puissance supposent un "
           "effet identique pour tous." if not same and ratio > 1 and p["heterogeneous"] else "."))
    # matched vs all
    overlap = m.ci_low <= cs.ci_high and cs.ci_low <= m.ci_high
    out["matched_vs_all"] = ("voisine de l'estimation sur l'ensemble des unités" if overlap else
                             "distincte de l'estimation sur l'ensemble des unités")
    # Bacon, in words
    if fw > 0:
        all_pos = bool((a.sim.loc[a.sim["D"] == 1, "tau"] > 0).all())
        out["bacon_sentence"] = (
            f"Sur la simulation, ces comparaisons « interdites » pèsent {fmt_pct(100 * fw, 0)} du coefficient TWFE "
            f"et donnent en moyenne {d2(s['bacon_forbidden_estimate'])}"
            + (", alors que tous les effets simulés sont positifs." if all_pos and s["bacon_forbidden_estimate"] < 0
               else "."))
    else:
        out["bacon_sentence"] = "Sur la simulation, aucune comparaison n'utilise d'unités déjà traitées comme témoins."
    out.update(mpdta_cohorts=fmt_list(sorted(int(g) for g in a.mpdta_cs.group.table["cohort"])),
               mpdta_simple_pct=fmt_pct(100 * (math.exp(a.mpdta_cs.simple.estimate) - 1), 1, sign=True))
    # design (Encadré)
    dz = s.get("design")
    if isinstance(dz, SimDesign):
        out["design_sentence"] = (
            f"{fmt_int(dz.n_units)} unités observées de {dz.first_year} à {dz.last_year} ; vagues d'entrée "
            + ", ".join(f"{g} ({fmt_pct(100 * sh, 0)} des unités)" for g, sh in dz.cohorts)
            + f", les autres jamais traitées ; effet réel de {fmt_num(dz.tau, 1)} l'année d'entrée, augmenté de "
            f"{fmt_num(dz.growth, 1)} par année d'ancienneté ; une caractéristique x (loi normale centrée réduite) "
            f"élève le niveau du résultat ({fmt_num(dz.x_level, 1)} par écart-type) et la probabilité d'entrer ; "
            f"effets individuels d'écart-type {fmt_num(dz.sigma_unit, 1)}, bruit d'écart-type "
            f"{fmt_num(dz.sigma, 1)} ; graine {s['seed']}")
    else:
        out["design_sentence"] = (f"{fmt_int(s['n_units'])} unités observées de {s['first_year']} à "
                                  f"{s['last_year']}, vagues d'entrée {fmt_list(int(y) for y in s['cohorts'])}")
    return {k: v.replace("  ", " ") for k, v in out.items()}


__all__ = [
    "DATA",
    "MethodesAnalysis",
    "R_REFERENCE",
    "SimDesign",
    "TOLERANCE",
    "analyse",
    "fmt_sci",
    "group_trends",
    "load_mpdta",
    "read_coverage_benchmark",
    "replication_table",
    "simulate",
]
