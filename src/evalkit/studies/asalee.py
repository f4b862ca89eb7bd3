"""The Asalée chapter's whole analysis: effect of GP–nurse cooperation on six follow-up indicators of type 2 diabetics.

Entry point: :func:`analyse` (any table that follows the ``asalee`` contract) → :class:`AsaleeAnalysis`, which holds
the tidy tables, plot-ready frames, French texts for glue, the results rows, and the figure/table builders.

Unit of analysis and estimand (the « Encadré Méthode » of the chapter)
---------------------------------------------------------------------
Treatment is decided at the GP level (``asalee_year``) and patients are nested in GPs. The intention-to-treat
(ITT) effect is therefore estimated on the **GP × year panel of indicator shares** (× 100, percentage points) built
by :func:`aggregate_gp_year`, with Callaway & Sant'Anna (2021) group-time ATTs (never-treated GPs as comparison,
no covariates, varying base period), **each GP weighted by its number of diabetic patients** (mean per year) so that
the estimand is the effect for the average diabetic patient of an Asalée GP, not for the average GP. Inference is
analytic (influence functions) with the GP as the sampling unit: clustered at the GP level by construction.

Why aggregate: without covariates, CS on GP-year shares weighted by patient counts gives *exactly* the same
group-time ATTs — hence the same simple, dynamic and cohort aggregates — as CS on the patient panel, when every
patient is observed every year (closed cohort); the standard errors agree up to the small-sample factor of the
clustered variance (tested in ``tests/test_asalee.py``). With entries and exits (an open cohort, the default) the GP
panel estimates the effect on the GP's diabetics *as they are each year*, and runs in milliseconds whatever the
number of patients (a national extract has tens of millions of patient-years).

Per protocol: patients present every year (closed cohort), treated = patients of Asalée GPs ever followed by the
nurse, cohort = first year followed; comparison = patients of never-Asalée GPs. They are aggregated by
GP × first-followed-year cell (weights = patients, variance clustered by GP through the survey design's PSU).

What evalkit.estimators lacked (so thin wrappers live here): observation weights and a cluster/PSU variable for
Callaway–Sant'Anna. :func:`cs_fit` calls diff-diff's ``CallawaySantAnna`` with a ``SurveyDesign`` (pweights =
patients, PSU = GP) and nothing else; HonestDiD goes through diff-diff's ``HonestDiD`` on that fit.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .. import paths, plots
from ..disclosure import MIN_CELL, suppress
from ..estimators import did_2x2, naive_cross_section, twfe
from ..estimators.base import Estimate, clean_cohort
from ..results import fmt_ci, fmt_int, fmt_num, fmt_pct, fmt_pp, make_row, to_frame

STUDY = "asalee"
INDICATORS = ("hba1c_3plus", "microalb", "creatinine", "lipids", "ecg_cardio", "fundus_2y")
LABELS = {
    "hba1c_3plus": "HbA1c (≥ 3 dosages dans l'année)",
    "microalb": "Microalbuminurie",
    "creatinine": "Créatininémie",
    "lipids": "Bilan lipidique",
    "ecg_cardio": "ECG ou cardiologue",
    "fundus_2y": "Fond d'œil (sur 2 ans)",
}
SHORT = {
    "hba1c_3plus": "HbA1c ≥ 3/an",
    "microalb": "microalbuminurie",
    "creatinine": "créatininémie",
    "lipids": "bilan lipidique",
    "ecg_cardio": "ECG/cardiologue",
    "fundus_2y": "fond d'œil",
}
TREND_INDICATORS = ("hba1c_3plus", "microalb", "fundus_2y")
ANCHOR = "Irdes QES n°264 (2021) et les taux nationaux de suivi du diabète"
INTENSITY_LABELS = {3: ("low", "mid", "high"), 2: ("low", "high")}
INTENSITY_FR = {"low": "faible", "mid": "moyenne", "high": "forte"}

#: Published figures the chapter cites (typed because they are cited facts), with their sources.
PUBLISHED = {
    "pp_2010_asalee": (41.0, "Irdes, « graphique du mois », déc. 2021 (QES n°264)"),
    "pp_2010_control": (32.6, "Irdes, « graphique du mois », déc. 2021 (QES n°264)"),
    "pp_2017_asalee": (75.0, "Irdes, « graphique du mois », déc. 2021 (QES n°264)"),
    "pp_2017_control": (53.8, "Irdes, « graphique du mois », déc. 2021 (QES n°264)"),
    "pp_did": (12.7, "Irdes, « graphique du mois », déc. 2021 (QES n°264)"),
    "n_gps_asalee": (435, "QES n°264 (échantillon per-protocole)"),
    "n_gps_control": (739, "QES n°264 (échantillon per-protocole)"),
    "n_patients_pp": (2943, "QES n°264 (patients suivis, et autant de témoins)"),
    "n_patients_itt": (18310, "QES n°264 (diabétiques appariés, intention de traiter)"),
    "national_hba1c_2013": (51, "Santé publique France / Cnam"),
    "national_hba1c_2019": (56, "Santé publique France / Cnam"),
}

#: Deployment of the programme (HCAAM 2022 report; Cnam director's hearing reported in the press, 2022).
DEPLOYMENT = [
    ("2018", "Infirmières Asalée", "300", "Cnam, audition du directeur général (presse, 2022)"),
    ("2021", "Infirmières Asalée", "1 400", "Cnam, audition du directeur général (presse, 2022)"),
    ("Sept. 2021", "Infirmières Asalée / médecins généralistes partenaires", "1 250 / 6 000",
     "HCAAM, rapport 2022 sur l'organisation des soins de proximité"),
    ("2022", "Infirmières Asalée en ETP, pour 52 000 généralistes", "≈ 1 000", "HCAAM, rapport 2022"),
]


# --- aggregation --------------------------------------------------------------------------------------------------


def aggregate_gp_year(df: pd.DataFrame, indicators: Sequence[str] = INDICATORS, by: Sequence[str] = ("gp_id",),
                      cohort: str = "asalee_year") -> pd.DataFrame:
    """Patient-year table → one row per ``by`` × year: indicator shares in percent (0–100), patient counts.

    Columns: ``*by, year, <cohort>, n_patients, n_followed, pct_followed, <indicator>…`` (shares × 100) and
    ``weight`` = the unit's mean number of patients per observed year (time-invariant, as a panel weight must be).
    A vectorised groupby: a national extract (tens of millions of rows) aggregates in seconds.
    """
    by = list(by)
    keys = by + ["year"]
    d = df[keys + [cohort, "nurse_followed", *indicators]].copy()
    # Nullable integer columns (as the contract's validation returns them) → plain floats for numpy/diff-diff.
    for c in ["nurse_followed", *indicators]:
        d[c] = pd.to_numeric(d[c], errors="coerce").astype(float)
    d[cohort] = pd.to_numeric(d[cohort], errors="coerce").astype(float)
    g = d.groupby(keys, sort=True, observed=True)
    out = g[list(indicators)].mean() * 100.0
    out.insert(0, "n_patients", g.size())
    out.insert(1, "n_followed", g["nurse_followed"].sum())
    out.insert(2, "pct_followed", out["n_followed"] / out["n_patients"] * 100.0)
    coh = g[cohort].first()
    out.insert(0, cohort, coh)
    out = out.reset_index()
    out["weight"] = out.groupby(by, sort=False)["n_patients"].transform("mean").astype(float)
    return out


def gp_intensity(df: pd.DataFrame) -> pd.Series:
    """Intensity of the cooperation per Asalée GP: % of its diabetics' patient-years, from its entry year on, with
    a nurse follow-up (``nurse_followed``). Index ``gp_id``; never-Asalée GPs are not in it."""
    c = clean_cohort(df["asalee_year"])
    post = c.notna() & (df["year"] >= c)
    d = df.loc[post, ["gp_id", "nurse_followed"]]
    return (d.groupby("gp_id")["nurse_followed"].mean() * 100.0).rename("intensity")


def intensity_groups(intensity: pd.Series, min_units: int = MIN_CELL) -> pd.Series:
    """Terciles of intensity among Asalée GPs (``low``/``mid``/``high``); halves (``low``/``high``) when there are
    fewer than 3 × ``min_units`` GPs; empty when there are fewer than 2 × ``min_units``."""
    n = len(intensity)
    k = 3 if n >= 3 * min_units else 2 if n >= 2 * min_units else 0
    if k == 0 or intensity.nunique() < k:
        return pd.Series(dtype=object, name="intensity_group")
    ranks = intensity.rank(method="first")
    return pd.qcut(ranks, k, labels=list(INTENSITY_LABELS[k])).astype(str).rename("intensity_group")


# --- thin Callaway–Sant'Anna wrapper (weights and clustering) ---------------------------------------------------


@dataclass
class CSFit:
    """A weighted Callaway–Sant'Anna fit (diff-diff) and what the chapter reads from it.

    ``simple``: overall ATT (post-treatment ATT(g,t) averaged with cohort-size weights — sizes in patients when
    weighted). ``event``: ``event_time, estimate, std_error, ci_low, ci_high, n_units`` (treated units contributing).
    ``pretest_*``: joint Wald test that every pre-treatment event-time coefficient is 0 (χ², event-study covariance).
    ``n_units`` / ``n_treated`` / ``n_obs``: units in the fit, treated units, underlying observations (e.g.
    patient-years). ``notes``: what the panel preparation dropped.
    """

    outcome: str
    simple: Estimate
    event: pd.DataFrame
    pretest_stat: float
    pretest_df: int
    pretest_p: float
    n_units: int
    n_treated: int
    n_control: int
    n_obs: int
    notes: list[str]
    settings: dict
    raw: Any = field(repr=False, default=None)
    panel: pd.DataFrame | None = field(repr=False, default=None)


def _prepare(panel: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str,
             extra: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """Balanced panel for CS (rules of R ``did`` with panel=TRUE, as evalkit.estimators.prepare_panel)."""
    d = panel[[unit, time, outcome, cohort, *extra]].copy()
    notes: list[str] = []
    d["_c"] = clean_cohort(d[cohort])
    d = d[d[outcome].notna()]
    periods = np.sort(d[time].unique())
    if len(periods) < 2:
        raise ValueError("CS needs at least two periods")
    late = d["_c"] > periods[-1]
    if late.any():
        notes.append(f"{d.loc[late, unit].nunique()} unités entrées après {periods[-1]} comptées comme jamais traitées")
        d.loc[late, "_c"] = np.nan
    early = d["_c"] <= periods[0]
    if early.any():
        notes.append(f"{d.loc[early, unit].nunique()} unités entrées dès {periods[0]} (sans période avant) écartées")
        d = d[~early]
    n_per = d.groupby(unit)[time].nunique()
    short = n_per.index[n_per < len(periods)]
    if len(short):
        notes.append(f"{len(short)} unités non observées chaque année écartées (panel cylindré)")
        d = d[~d[unit].isin(short)]
    d["_ft"] = d["_c"].fillna(0).astype(int)
    return d.drop(columns="_c").sort_values([unit, time]).reset_index(drop=True), notes


def cs_fit(panel: pd.DataFrame, outcome: str, unit: str = "gp_id", time: str = "year", cohort: str = "asalee_year",
           weight: str | None = "weight", psu: str | None = None, n_obs: str | None = "n_patients",
           control_group: Literal["never_treated", "not_yet_treated"] = "never_treated",
           base_period: Literal["varying", "universal"] = "varying") -> CSFit:
    """Callaway–Sant'Anna on a unit × year panel with unit weights and a PSU (cluster) — a thin diff-diff call.

    No covariates (outcome regression = IPW = DR then). Analytic influence-function SEs; with a ``SurveyDesign``
    (pweights ``weight``, PSU ``psu``, default the unit itself) the variance is the design-based one, i.e. clustered
    at the PSU level; confidence intervals use the t distribution with (PSUs − 1) degrees of freedom.
    ``n_obs``: column summed to report the underlying observations (patient-years); None = rows.
    """
    from diff_diff import CallawaySantAnna, SurveyDesign

    extra = [c for c in {weight, psu, n_obs} if c and c not in (unit, time, outcome, cohort)]
    d, notes = _prepare(panel, outcome, unit, time, cohort, extra)
    n_treated = int(d.loc[d["_ft"] > 0, unit].nunique())
    n_control = int(d.loc[d["_ft"] == 0, unit].nunique())
    if n_treated == 0:
        raise ValueError("CS: no treated unit with a pre-period in the data")
    if control_group == "never_treated" and n_control == 0:
        raise ValueError("CS: no never-treated unit; use control_group='not_yet_treated'")
    # Integer codes for the unit and PSU ids: diff-diff factorises strings on every call otherwise.
    fit_unit, fit_psu = "_unit", None
    d["_unit"] = pd.factorize(d[unit])[0]
    if psu is not None:
        d["_psu"] = pd.factorize(d[psu])[0]
        fit_psu = "_psu"
    design = None
    if weight is not None or psu is not None:
        design = SurveyDesign(weights=weight, psu=fit_psu)
    est = CallawaySantAnna(control_group=control_group, estimation_method="reg", base_period=base_period,
                           cband=False, n_bootstrap=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        raw = est.fit(d, outcome=outcome, unit=fit_unit, time=time, first_treat="_ft", survey_design=design)
        simple_df = raw.aggregate("simple").to_dataframe().iloc[0]
        es = raw.aggregate("event_study")
    for w in caught:
        msg = str(w.message)
        if "weights normalized to mean=1" in msg:
            continue  # diff-diff rescales pweights to mean 1 and says so: harmless (ATTs are ratios of weighted sums)
        if "could not be estimated" in msg:
            # Group-time cells without a comparison unit (e.g. the last cohort with not-yet-treated controls):
            # they are left out of every aggregate, as in R did; recorded in the notes, not shown as a warning.
            notes.append("cellules (cohorte, année) sans témoin non estimées : " + msg.split(":")[0])
            continue
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    nobs = int(d[n_obs].sum()) if n_obs and n_obs in d else len(d)
    n_units = int(d[unit].nunique())
    simple = Estimate("cs_simple", float(simple_df["att"]), float(simple_df["se"]),
                      float(simple_df["conf_int_lower"]), float(simple_df["conf_int_upper"]),
                      float(simple_df["p_value"]), n_units=n_units, n_obs=nobs)
    tab = es.to_dataframe()
    ref = tab["is_reference"].astype(bool) if "is_reference" in tab else pd.Series(False, index=tab.index)
    tab = tab[~ref]
    sizes = {int(k): int(v) for k, v in d.drop_duplicates(unit)["_ft"].value_counts().items()}
    cohorts = sorted(c for c in sizes if c > 0)
    periods = set(int(x) for x in d[time].unique())

    def n_at(e: int) -> int:
        return int(sum(sizes[g] for g in cohorts if (g + e) in periods))

    event = pd.DataFrame({
        "event_time": tab["event_time"].astype(int).to_numpy(),
        "estimate": tab["att"].to_numpy(float),
        "std_error": tab["se"].to_numpy(float),
        "ci_low": tab["conf_int_lower"].to_numpy(float),
        "ci_high": tab["conf_int_upper"].to_numpy(float),
    })
    event["n_units"] = [n_at(e) for e in event["event_time"]]
    w, q, p = _pretest(es)
    settings = dict(outcome=outcome, unit=unit, time=time, cohort=cohort, weight=weight, psu=psu or unit,
                    control_group=control_group, base_period=base_period, est_method="reg", covariates=[])
    return CSFit(outcome, simple, event, w, q, p, n_units, n_treated, n_control, nobs, notes, settings,
                 raw=raw, panel=d)


def _pretest(es: Any) -> tuple[float, int, float]:
    """Joint Wald test of the pre-treatment event-time coefficients (χ²) from diff-diff's event-study covariance."""
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


@dataclass
class HonestFit:
    """HonestDiD (Rambachan & Roth 2023), relative magnitudes, on the average post-entry effect.

    ``grid``: ``M, ci_low, ci_high`` (robust 95 % CI for the average event-time effect e ≥ 0 when post-entry
    violations of parallel trends may reach M̄ times the largest pre-entry one). ``breakdown``: smallest M̄ at which
    the robust CI includes 0 (None if never on the grid).
    """

    estimate: float
    std_error: float
    grid: pd.DataFrame
    breakdown: float | None


def honest(fit: CSFit, mbar: Sequence[float] = (0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)) -> HonestFit | None:
    """HonestDiD sensitivity of ``fit``'s average post-entry effect (refit with a universal base period, as
    HonestDiD requires; post-entry effects are identical). None when there is no pre-period to learn from."""
    from diff_diff import HonestDiD

    s = fit.settings
    uni = cs_fit(fit.panel.drop(columns="_ft"), s["outcome"], s["unit"], s["time"], s["cohort"],
                 weight=s["weight"], psu=s["psu"] if s["psu"] != s["unit"] else None,
                 n_obs=None, control_group=s["control_group"], base_period="universal")
    es = uni.raw.aggregate("event_study")
    tab = es.to_dataframe()
    pre = tab[(tab["event_time"] < 0) & ~tab["is_reference"].astype(bool)]
    if len(pre) == 0:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # diff-diff notes about the universal base: checked, expected here
        sens = HonestDiD(method="relative_magnitude", alpha=0.05).sensitivity_analysis(es, M_grid=list(mbar))
    g = sens.to_dataframe().rename(columns={"ci_lb": "ci_low", "ci_ub": "ci_high", "is_significant": "significant"})
    g = g[["M", "ci_low", "ci_high", "significant"]].reset_index(drop=True)
    bd = sens.breakdown_M
    return HonestFit(float(sens.original_estimate), float(sens.original_se), g, None if bd is None else float(bd))


# --- per protocol -------------------------------------------------------------------------------------------------


def per_protocol_panel(df: pd.DataFrame, indicators: Sequence[str] = INDICATORS) -> tuple[pd.DataFrame, dict]:
    """Closed cohort (patients observed every year) aggregated by GP × first-followed-year cell.

    Treated cells: patients of Asalée GPs ever followed by the nurse, cohort = first year followed. Comparison cells:
    patients of never-Asalée GPs (cohort empty). Patients of Asalée GPs never followed are left out (they are in the
    ITT, not in the per-protocol comparison). Returns the cell × year panel (``cell`` id, ``gp_id``,
    ``first_followed``, shares × 100, ``n_patients``, ``weight``) and counts of patients kept/dropped.
    """
    years = np.sort(df["year"].unique())
    n_years = df.groupby("patient_id", sort=False)["year"].nunique()
    closed = n_years.index[n_years == len(years)]
    d = df[df["patient_id"].isin(closed)]
    coh = clean_cohort(d["asalee_year"])
    first = d.loc[d["nurse_followed"] == 1].groupby("patient_id")["year"].min()
    ff = d["patient_id"].map(first)
    keep_t = coh.notna() & ff.notna()
    keep_c = coh.isna()
    d = d.loc[keep_t | keep_c].assign(first_followed=ff[keep_t | keep_c].astype(float))
    counts = {
        "patients_total": int(df["patient_id"].nunique()),
        "patients_closed": int(len(closed)),
        "patients_followed": int(d.loc[d["first_followed"].notna(), "patient_id"].nunique()),
        "patients_control": int(d.loc[d["first_followed"].isna(), "patient_id"].nunique()),
    }
    if d.empty:
        return pd.DataFrame(), counts
    cells = aggregate_gp_year(d.assign(_cohort=d["first_followed"].fillna(0)), indicators,
                              by=("gp_id", "_cohort"), cohort="first_followed")
    cells["cell"] = cells["gp_id"].astype(str) + ":" + cells["_cohort"].astype(int).astype(str)
    counts["gps_followed"] = int(cells.loc[cells["first_followed"].notna(), "gp_id"].nunique())
    counts["gps_control"] = int(cells.loc[cells["first_followed"].isna(), "gp_id"].nunique())
    return cells.drop(columns="_cohort"), counts


# --- the analysis -------------------------------------------------------------------------------------------------


@dataclass
class AsaleeAnalysis:
    """Everything the chapter shows. Tables are tidy DataFrames; ``texts`` are French strings for glue; ``rows`` is
    the results table (DESIGN §3). Figure/table builders: :meth:`table_programme`, :meth:`figure_trends`,
    :meth:`table_itt`, :meth:`figure_forest`, :meth:`figure_event_study`, :meth:`table_per_protocol`,
    :meth:`figure_dose`, :meth:`table_dose`, :meth:`table_honest`, :meth:`table_published`, :meth:`table_sample`,
    :meth:`table_robustness`."""

    years: list[int]
    cohorts: list[int]
    indicators: list[str]
    gp_panel: pd.DataFrame
    sample: pd.DataFrame
    itt: pd.DataFrame
    itt_fits: dict[str, CSFit]
    event_hba1c: pd.DataFrame
    pretest_p: float
    honest: HonestFit | None
    per_protocol: pd.DataFrame
    pp_counts: dict
    pp_2x2: dict | None
    trends: pd.DataFrame
    intensity: pd.Series
    dose: pd.DataFrame
    robustness: pd.DataFrame
    naive: pd.DataFrame
    notes: list[str]
    texts: dict[str, str]
    rows: pd.DataFrame
    settings: dict

    # ---- shared captions -----------------------------------------------------------------------------------------
    @property
    def champ(self) -> str:
        y0, y1 = self.years[0], self.years[-1]
        coh = _years_fr(self.cohorts)
        return (f"patients diabétiques de type 2 des médecins généralistes entrés dans Asalée en {coh} et des "
                f"médecins témoins (jamais entrés), {y0}–{y1}")

    @property
    def source(self) -> str:
        return plots.synthetic_source(ANCHOR)

    # ---- figures and tables ------------------------------------------------------------------------------------
    def table_programme(self) -> plots.Table:
        """Deployment of Asalée (published figures, with sources)."""
        t = pd.DataFrame(DEPLOYMENT, columns=["Date", "Indicateur", "Valeur", "Source"])
        return plots.table(t, title="Asalée a changé d'échelle : de 300 infirmières en 2018 à plus de 1 000 en 2021",
                           champ="France entière, dispositif Asalée", source="voir la colonne « Source »",
                           name="asalee_deploiement")

    def table_sample(self) -> plots.Table:
        """Sample by group and entry cohort: GPs, patients, patient-years (small cells suppressed)."""
        t = self.sample.copy()
        t = suppress(t, ["Médecins", "Patients"], [c for c in t.columns if c not in ("Groupe", "Médecins", "Patients")])
        return plots.table(t, title="Les médecins Asalée entrent dans le dispositif par vagues successives",
                           champ=self.champ, source=self.source,
                           name="asalee_echantillon",
                           note="« < 11 » : effectif inférieur à 11, masqué (secret statistique).")

    def figure_trends(self, indicators: Sequence[str] = TREND_INDICATORS) -> plots.Figure:
        """Share of patients with each indicator done, by year: followed patients (per-protocol closed cohort), all
        diabetics of Asalée GPs, and diabetics of comparison GPs — in the style of Irdes' figure."""
        tr = self.trends
        inds = [i for i in indicators if i in self.indicators]
        fig, axes = plots.new(1, len(inds), width=10, height=4.2, sharey=False)
        axes = np.atleast_1d(axes)
        groups = [g for g in GROUP_LABELS if g in set(tr["group"])]
        styles = {"followed": dict(color=plots.TREATED, ls="-", marker="o"),
                  "asalee_all": dict(color=plots.TREATED, ls="--", marker="s", alpha=0.7),
                  "control": dict(color=plots.CONTROL, ls="-", marker="o")}
        for ax, ind in zip(axes, inds):
            for g in groups:
                d = tr[(tr["group"] == g) & (tr["outcome"] == ind)].sort_values("year")
                ax.plot(d["year"], d["share"], label=GROUP_LABELS[g], ms=4, **styles[g])
            ax.set_title(SHORT[ind][0].upper() + SHORT[ind][1:], fontsize=12)
            ax.set_xlabel("Année", fontsize=11)
            ax.set_ylabel("Patients concernés (%)", fontsize=11)
            ax.tick_params(labelsize=10)
            ax.xaxis.set_major_locator(plots.mticker.MaxNLocator(integer=True, nbins=4))
            ax.xaxis.set_major_formatter(plots.mticker.FuncFormatter(lambda v, _p: f"{int(v)}"))
            plots.french_axis(ax, "y", decimals=0)
            if self.cohorts:
                ax.axvspan(min(self.cohorts) - 0.5, max(self.cohorts) + 0.5, color="#eeeeee", zorder=0)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False, fontsize=11,
                   bbox_to_anchor=(0.5, -0.06))
        parts = []
        for ind in inds:
            seg = []
            for g in groups:
                d = tr[(tr["group"] == g) & (tr["outcome"] == ind)].sort_values("year")
                if len(d):
                    seg.append(f"{GROUP_LABELS[g].lower()} de {fmt_num(d['share'].iloc[0], 1)} % en "
                               f"{int(d['year'].iloc[0])} à {fmt_num(d['share'].iloc[-1], 1)} % en "
                               f"{int(d['year'].iloc[-1])}")
            parts.append(f"{LABELS[ind]} : " + ", ".join(seg))
        alt = ("Trois graphiques de courbes, un par indicateur, part des patients concernés par année. "
               + " ; ".join(parts) + ". La zone grisée marque les années d'entrée des médecins dans Asalée.")
        gap = self._trend_gap("hba1c_3plus")
        title = ("Le suivi progresse partout, plus vite pour les patients suivis par l'infirmière"
                 if gap is not None and gap > 0 else
                 "Évolution du suivi des patients des médecins Asalée et des médecins témoins")
        return plots.figure(fig, title=title, alt=alt, champ=self.champ + " ; patients suivis : cohorte fermée "
                            "(présents chaque année)", source=self.source, name="asalee_tendances",
                            note="zone grisée : années d'entrée des médecins dans Asalée.")

    def _trend_gap(self, ind: str) -> float | None:
        tr = self.trends[self.trends["outcome"] == ind]
        f, c = tr[tr["group"] == "followed"], tr[tr["group"] == "control"]
        if f.empty or c.empty:
            return None
        y0, y1 = self.years[0], self.years[-1]
        try:
            return float((f.set_index("year")["share"][y1] - c.set_index("year")["share"][y1])
                         - (f.set_index("year")["share"][y0] - c.set_index("year")["share"][y0]))
        except KeyError:
            return None

    def table_itt(self) -> plots.Table:
        """ITT (CS simple ATT, pp) for the six indicators, with the comparison group's level before entry."""
        t = self.itt.copy()
        out = pd.DataFrame({
            "Indicateur": t["outcome"].map(LABELS),
            "Niveau avant entrée, médecins Asalée (%)": t["pre_mean"],
            "Effet (points)": t["estimate"],
            "IC 95 % bas": t["ci_low"],
            "IC 95 % haut": t["ci_high"],
            "p": t["p_value"].map(_fmt_p),
        })
        sig = int((t["ci_low"] > 0).sum())
        title = (f"Intention de traiter : effet positif et significatif sur {sig} indicateur{'s' if sig > 1 else ''} "
                 f"sur {len(t)}" if sig else "Intention de traiter : aucun effet significatif à 5 %")
        return plots.table(out, title=title,
                           champ=self.champ, source=self.source,
                           note=("double différence échelonnée de Callaway et Sant'Anna sur le panel médecin × année "
                                 "des parts de patients, pondérée par le nombre de patients, médecins jamais entrés "
                                 "comme témoins ; IC clusterisés au niveau du médecin."),
                           name="asalee_itt")

    def figure_forest(self) -> plots.Figure:
        """Forest plot of the six ITT effects (pp, 95 % CI)."""
        t = self.itt.assign(label=self.itt["outcome"].map(LABELS)).reset_index(drop=True)
        n_pos = int((t["ci_low"] > 0).sum())
        title = (f"L'entrée du médecin dans Asalée améliore {n_pos} des {len(t)} indicateurs de suivi "
                 "de ses patients diabétiques" if n_pos else
                 "Effet de l'entrée du médecin dans Asalée sur les indicateurs de suivi de ses patients diabétiques")
        # Drawn here rather than with plots.forest, which blanks the y label that plots.figure then requires.
        fig, ax = plots.new(width=7.5, height=0.5 * len(t) + 1.5)
        y = np.arange(len(t))[::-1]
        for yi, r in zip(y, t.itertuples()):
            color = plots.TREATED if r.ci_low > 0 else plots.NEUTRAL
            ax.errorbar(r.estimate, yi, xerr=[[r.estimate - r.ci_low], [r.ci_high - r.estimate]], fmt="o",
                        color=color, capsize=3)
            ax.annotate(plots.ci_label(r.estimate, r.ci_low, r.ci_high), (r.ci_high, yi), xytext=(6, 0),
                        textcoords="offset points", va="center", fontsize=8)
        ax.axvline(0, color=plots.NEUTRAL, lw=1)
        ax.set_yticks(y)
        ax.set_yticklabels(t["label"])
        ax.set_ylabel("Indicateur de suivi")
        ax.set_xlabel("Effet en points de pourcentage (intention de traiter, IC à 95 %)")
        plots.french_axis(ax, "x")
        lo, hi = min(t["ci_low"].min(), 0), t["ci_high"].max()
        span = hi - lo if hi > lo else 1
        ax.set_xlim(lo - 0.05 * span, hi + 0.5 * span)
        alt = "Graphique en forêt, effet et intervalle de confiance à 95 % par indicateur : " + " ; ".join(
            f"{r.label} : {plots.ci_label(r.estimate, r.ci_low, r.ci_high)} point" for r in t.itertuples()) + "."
        return plots.figure(fig, title=title, alt=alt, champ=self.champ, source=self.source, name="asalee_forest",
                            note="en bleu : intervalle de confiance entièrement au-dessus de zéro.")

    def figure_event_study(self) -> plots.Figure:
        t = self.event_hba1c.copy()
        post = t[t["event_time"] >= 0]
        rising = len(post) > 1 and post["estimate"].iloc[-1] > post["estimate"].iloc[0]
        title = ("HbA1c : pas d'écart avant l'entrée, un effet qui apparaît dès la première année"
                 + (" et se renforce" if rising else "")
                 if self.pretest_p >= 0.05 and len(post) and post["ci_low"].iloc[0] > 0 else
                 "HbA1c : effet par année depuis l'entrée du médecin dans Asalée")
        t = t[t["n_units"] >= MIN_CELL]
        return plots.event_study(t, ylabel="Effet sur la part de patients avec ≥ 3 HbA1c (points)", title=title,
                                 champ=self.champ, source=self.source, name="asalee_event_study", alt_unit=" point")

    def table_per_protocol(self) -> plots.Table:
        if self.per_protocol.empty:
            return plots.table(pd.DataFrame({"Message": ["Estimation per-protocole impossible sur ces données "
                                                         "(aucun patient suivi par l'infirmière, ou pas de témoins)"]}),
                               title="Per-protocole : non disponible", champ=self.champ, source=self.source)
        t = self.per_protocol.merge(self.itt[["outcome", "estimate"]].rename(columns={"estimate": "itt"}),
                                    on="outcome", how="left")
        out = pd.DataFrame({
            "Indicateur": t["outcome"].map(LABELS),
            "Per-protocole (points)": t["estimate"],
            "IC 95 % bas": t["ci_low"],
            "IC 95 % haut": t["ci_high"],
            "Intention de traiter (points)": t["itt"],
        })
        bigger = bool((t["estimate"] > t["itt"]).all())
        title = ("Pour les patients effectivement suivis par l'infirmière, l'écart est plus grand qu'en intention de "
                 "traiter — mais il peut mêler effet et sélection" if bigger else
                 "Per-protocole et intention de traiter, indicateur par indicateur")
        return plots.table(out, title=title,
                           champ=self.champ + " ; per-protocole : patients présents chaque année, suivis par "
                           "l'infirmière (médecins Asalée) ou patients des médecins témoins",
                           source=self.source, name="asalee_per_protocole",
                           note=("double différence échelonnée (Callaway–Sant'Anna), cohorte = première année de suivi "
                                 "par l'infirmière, pondérée par patient, IC clusterisés par médecin. Les patients "
                                 "suivis sont choisis par le médecin et l'infirmière : l'estimation n'est causale que "
                                 "si, sans Asalée, leur suivi aurait évolué comme celui des témoins."))

    def table_dose(self) -> plots.Table:
        if self.dose.empty:
            return plots.table(pd.DataFrame({"Message": ["Trop peu de médecins Asalée pour former des groupes "
                                                         "d'intensité d'au moins 11 médecins"]}),
                               title="Intensité : non disponible", champ=self.champ, source=self.source)
        groups = (self.dose.drop_duplicates("group")[["group", "n_gps", "intensity_mean"]]
                  .sort_values("intensity_mean").reset_index(drop=True))
        small = groups["n_gps"] < MIN_CELL  # never the case (groups have ≥ 11 GPs), checked anyway
        cols = {}
        for r in groups.itertuples():
            cols[r.group] = (f"Intensité {INTENSITY_FR[r.group]} ({fmt_int(r.n_gps) if r.n_gps >= MIN_CELL else '< 11'}"
                             f" médecins, {fmt_num(r.intensity_mean, 0)} % suivis)")
        wide = self.dose.pivot_table(index="outcome", columns="group", values="estimate", observed=True)
        out = pd.DataFrame({"Indicateur (effet en points)": [LABELS[i] for i in self.indicators if i in wide.index]})
        for r in groups.itertuples():
            v = [wide.loc[i, r.group] for i in self.indicators if i in wide.index]
            out[cols[r.group]] = v if not small[r.Index] else ["< 11"] * len(v)
        main = "hba1c_3plus" if "hba1c_3plus" in wide.index else self.indicators[0]
        up = bool(np.all(np.diff([wide.loc[main, g] for g in groups["group"]]) > 0))
        title = ("L'effet sur l'HbA1c croît avec la part de patients suivis par l'infirmière" if up else
                 "Effet selon l'intensité de la coopération, indicateur par indicateur")
        return plots.table(out, title=title,
                           champ=self.champ + " ; groupes de médecins Asalée selon la part de leurs patients "
                           "diabétiques suivis par l'infirmière", source=self.source, name="asalee_intensite",
                           note="effet en intention de traiter (points) ; chaque groupe est comparé à tous les "
                                "médecins témoins ; « % suivis » : part moyenne des patients-années suivis par "
                                "l'infirmière après l'entrée du médecin.")

    def figure_dose(self, indicator: str = "hba1c_3plus") -> plots.Figure | plots.Table:
        d = self.dose[self.dose["outcome"] == indicator].sort_values("intensity_mean")
        if d.empty:
            return self.table_dose()
        fig, ax = plots.new(width=7.0, height=4.0)
        x = d["intensity_mean"].to_numpy()
        ax.errorbar(x, d["estimate"], yerr=[d["estimate"] - d["ci_low"], d["ci_high"] - d["estimate"]],
                    fmt="o", color=plots.TREATED, capsize=4, label="effet en intention de traiter (IC 95 %)")
        for xi, (_, r) in zip(x, d.iterrows()):
            ax.annotate(f"intensité {INTENSITY_FR[r['group']]}\n{plots.ci_label(r['estimate'], r['ci_low'], r['ci_high'])}",
                        (xi, r["ci_high"]), xytext=(0, 6), textcoords="offset points", ha="center", fontsize=8)
        pp = self.per_protocol[self.per_protocol["outcome"] == indicator]
        if len(pp):
            ax.axhline(pp["estimate"].iloc[0], color=plots.NEUTRAL, ls=":", lw=1)
            ax.annotate("per-protocole (patients suivis)", (x.min(), pp["estimate"].iloc[0]), xytext=(0, 4),
                        textcoords="offset points", fontsize=8, color=plots.NEUTRAL)
        ax.axhline(0, color=plots.NEUTRAL, lw=1)
        ax.set_xlabel("Part des patients diabétiques du médecin suivis par l'infirmière (%, moyenne du groupe)")
        ax.set_ylabel("Effet sur la part avec ≥ 3 HbA1c (points)")
        plots.french_axis(ax, "both")
        lo = min(0, d["ci_low"].min())
        hi = max(d["ci_high"].max(), pp["estimate"].iloc[0] if len(pp) else d["ci_high"].max())
        ax.set_ylim(lo - 0.1 * (hi - lo), hi + 0.25 * (hi - lo))
        ax.set_xlim(max(0, x.min() - 12), min(100, x.max() + 12))
        alt = "Graphique en points : " + " ; ".join(
            f"intensité {INTENSITY_FR[r['group']]} ({fmt_num(r['intensity_mean'], 0)} % de patients suivis) : "
            f"{plots.ci_label(r['estimate'], r['ci_low'], r['ci_high'])} point" for _, r in d.iterrows())
        increasing = bool(np.all(np.diff(d["estimate"].to_numpy()) > 0))
        title = ("L'effet sur le suivi de l'HbA1c croît avec la part de patients suivis par l'infirmière"
                 if increasing else "Effet sur le suivi de l'HbA1c selon l'intensité de la coopération")
        return plots.figure(fig, title=title, alt=alt, champ=self.champ, source=self.source, name="asalee_dose")

    def table_honest(self) -> plots.Table:
        if self.honest is None:
            return plots.table(pd.DataFrame({"Message": ["Pas de période avant l'entrée : sensibilité non calculable"]}),
                               title="HonestDiD : non disponible", champ=self.champ, source=self.source)
        g = self.honest.grid
        out = pd.DataFrame({"M̄": g["M"], "IC robuste bas": g["ci_low"], "IC robuste haut": g["ci_high"],
                            "Exclut zéro": g["significant"].astype(bool)})
        bd = self.honest.breakdown
        title = ("HbA1c : l'effet résiste tant que l'écart de tendance après l'entrée ne dépasse pas "
                 f"{fmt_num(bd, 2)} fois le plus grand écart observé avant" if bd is not None and bd > 0 else
                 "HbA1c : sensibilité de l'effet à un écart de tendances parallèles (HonestDiD)")
        return plots.table(out, title=title, champ=self.champ, source=self.source, decimals={"M̄": 2},
                           name="asalee_honestdid",
                           note=("effet moyen sur les années depuis l'entrée (e ≥ 0), intention de traiter ; "
                                 "M̄ = rapport entre la violation permise après l'entrée et la plus grande observée "
                                 "avant (Rambachan et Roth, 2023)."))

    def table_robustness(self) -> plots.Table:
        t = self.robustness.copy()
        out = pd.DataFrame({"Spécification": t["label"], "Effet HbA1c (points)": t["estimate"],
                            "IC 95 % bas": t["ci_low"], "IC 95 % haut": t["ci_high"]})
        did = t[~t["label"].str.startswith("Comparaison naïve")]
        naive = t[t["label"].str.startswith("Comparaison naïve")]
        ref = did.iloc[0] if len(did) else None
        agree = ref is not None and bool(((did["estimate"] >= ref["ci_low"]) & (did["estimate"] <= ref["ci_high"])).all())
        apart = ref is not None and len(naive) and not (ref["ci_low"] <= naive["estimate"].iloc[0] <= ref["ci_high"])
        title = ("La comparaison naïve s'écarte des doubles différences, qui concordent entre elles"
                 if agree and apart else "HbA1c : comparaison naïve et variantes de la double différence")
        return plots.table(out, title=title, champ=self.champ, source=self.source, name="asalee_robustesse",
                           note="comparaison naïve : écart de niveau la dernière année, sans tenir compte de l'écart "
                                "qui existait avant l'entrée ; CS : Callaway et Sant'Anna (intention de traiter).")

    def table_published(self) -> plots.Table:
        """Published vs reproduced (per-protocol compared with per-protocol, ITT with ITT)."""
        synthetic = paths.data_kind() == "synthetic"
        rows = []
        y0, y1 = self.years[0], self.years[-1]
        pp = self.pp_2x2
        pub = {k: v[0] for k, v in PUBLISHED.items()}
        cal = "calibré : le générateur pose cet écart, le retrouver vérifie la chaîne de calcul" if synthetic else \
            "comparaison directe"
        if pp is not None:
            gap = pp["pre_t"] - pp["pre_c"]
            pub_gap = pub["pp_2010_asalee"] - pub["pp_2010_control"]
            rows.append(("Per-protocole, HbA1c : niveaux en 2010, suivis vs témoins (%)",
                         f"{fmt_num(pub['pp_2010_asalee'], 1)} vs {fmt_num(pub['pp_2010_control'], 1)} "
                         f"(écart {fmt_num(pub_gap, 1)})",
                         f"{fmt_num(pp['pre_t'], 1)} vs {fmt_num(pp['pre_c'], 1)} (écart {fmt_num(gap, 1)}, {y0})",
                         "écart de départ calibré ; niveaux calés sur les taux nationaux, pas sur l'échantillon "
                         "apparié de l'Irdes" if synthetic else "écart de départ : sélection des patients suivis"))
            rows.append(("Per-protocole, HbA1c : niveaux en 2017, suivis vs témoins (%)",
                         f"{fmt_num(pub['pp_2017_asalee'], 1)} vs {fmt_num(pub['pp_2017_control'], 1)}",
                         f"{fmt_num(pp['post_t'], 1)} vs {fmt_num(pp['post_c'], 1)} ({y1})",
                         "niveaux non comparables (populations différentes) ; seule la double différence l'est"
                         if synthetic else "comparaison directe des niveaux"))
            covered = pp["ci_low"] <= pub["pp_did"] <= pp["ci_high"]
            rows.append(("Per-protocole, HbA1c : double différence 2010–2017 (points)",
                         fmt_num(pub["pp_did"], 1, sign=True),
                         f"{fmt_num(pp['estimate'], 1, sign=True)} {fmt_ci(pp['ci_low'], pp['ci_high'])}",
                         ("effet planté = valeur publiée ; l'IC la contient" if covered else
                          "effet planté = valeur publiée ; l'IC ne la contient pas") if synthetic else
                         ("IC compatible avec la valeur publiée" if covered else "différent de la valeur publiée")))
        ppc = self.per_protocol[self.per_protocol["outcome"] == "hba1c_3plus"]
        if len(ppc):
            r = ppc.iloc[0]
            rows.append(("Per-protocole, HbA1c : DiD échelonnée, moyenne des années suivies (points)", "non publié",
                         f"{fmt_num(r['estimate'], 1, sign=True)} {fmt_ci(r['ci_low'], r['ci_high'])}",
                         "moyenne de toutes les années de suivi (méthode de cette page)"))
        itt = self.itt.set_index("outcome")
        if "hba1c_3plus" in itt.index:
            r = itt.loc["hba1c_3plus"]
            smaller = len(ppc) and r["estimate"] < ppc.iloc[0]["estimate"]
            rows.append(("Intention de traiter, HbA1c (points)", "positif, significatif, plus faible qu'en "
                         "per-protocole (valeur non reprise dans les synthèses)",
                         f"{fmt_num(r['estimate'], 1, sign=True)} {fmt_ci(r['ci_low'], r['ci_high'])}",
                         ("même conclusion : " if (r["ci_low"] > 0 and smaller) else "conclusion différente : ")
                         + ("positif et significatif" if r["ci_low"] > 0 else "non significatif")
                         + (", plus faible qu'en per-protocole" if smaller else "")))
        dh = self.dose[self.dose["outcome"] == "hba1c_3plus"].sort_values("intensity_mean")
        if len(dh) >= 2:
            lo, hi = dh.iloc[0], dh.iloc[-1]
            rows.append(("Intensité de la coopération, HbA1c (points)", "effet plus grand quand la coopération "
                         "est plus intense",
                         f"{fmt_num(lo['estimate'], 1, sign=True)} (faible) → {fmt_num(hi['estimate'], 1, sign=True)} "
                         "(forte)",
                         "même sens" if hi["estimate"] > lo["estimate"] else "sens différent"))
        s = self.pp_counts
        rows.append(("Échantillon", f"{fmt_int(pub['n_gps_asalee'])} médecins Asalée, {fmt_int(pub['n_gps_control'])} "
                     f"témoins ; {fmt_int(pub['n_patients_pp'])} patients suivis ; "
                     f"{fmt_int(pub['n_patients_itt'])} diabétiques en intention de traiter",
                     f"{fmt_int(self.settings['n_gps_asalee'])} médecins Asalée, "
                     f"{fmt_int(self.settings['n_gps_control'])} témoins ; "
                     f"{fmt_int(s.get('patients_followed', 0))} patients suivis (cohorte fermée) ; "
                     f"{fmt_int(self.settings['n_patients'])} diabétiques",
                     "tailles calées sur l'étude publiée" if synthetic else "tailles de l'extraction"))
        t = pd.DataFrame(rows, columns=["Résultat", "Publié (QES n°264)", "Reproduit (cette page)", "Lecture"])
        return plots.table(t, title="Publié et reproduit : le per-protocole se compare au per-protocole, "
                                    "l'intention de traiter à l'intention de traiter",
                           champ=self.champ, source="Irdes (QES n°264, graphique du mois de décembre 2021) ; "
                           + self.source, name="asalee_publie_reproduit")


def _fmt_p(p: float) -> str:
    """p-value in French notation (« < 0,001 » below one in a thousand)."""
    if p is None or not np.isfinite(p):
        return "n.d."
    return "<\u00a00,001" if p < 0.001 else fmt_num(p, 3)


GROUP_LABELS = {"followed": "Patients suivis par l'infirmière", "asalee_all": "Tous les diabétiques des médecins Asalée",
                "control": "Diabétiques des médecins témoins"}


def _years_fr(years: Sequence[int]) -> str:
    ys = sorted(int(y) for y in years)
    if not ys:
        return "—"
    if len(ys) == 1:
        return str(ys[0])
    if ys == list(range(ys[0], ys[-1] + 1)):
        return f"{ys[0]}–{ys[-1]}"
    return ", ".join(map(str, ys[:-1])) + f" et {ys[-1]}"


def _row(est: Estimate, outcome: str, estimator: str, subgroup: str = "all", headline: bool = False,
         n_units: int | None = None, data: str | None = None) -> dict:
    return make_row(study=STUDY, outcome=outcome, estimator=estimator, estimate=est.estimate,
                    std_error=est.std_error, ci_low=est.ci_low, ci_high=est.ci_high, unit="pp",
                    n_units=n_units if n_units is not None else est.n_units, n_obs=est.n_obs, subgroup=subgroup,
                    headline=headline, data=data)


def _publishable(fit: CSFit) -> bool:
    return fit.n_treated >= MIN_CELL and (fit.n_control >= MIN_CELL or fit.settings["control_group"] != "never_treated")


def analyse(df: pd.DataFrame, *, seed: int = 0, weights: Literal["patients", "units"] = "patients",
            data: str | None = None) -> AsaleeAnalysis:
    """The chapter's analysis on any table following the ``asalee`` contract.

    Years, cohorts and GPs are read from the data. ``weights="patients"`` (default) weights each GP by its number
    of diabetic patients (patient-level ITT); ``"units"`` counts each GP once. ``seed`` is recorded (every SE here is
    analytic, nothing is drawn). ``data``: value of the results' ``data`` column (default: from the environment).
    """
    inds = [i for i in INDICATORS if i in df.columns]
    if not inds:
        raise ValueError("analyse: no indicator column in the data")
    df = df.copy()
    df.attrs = {}  # metadata (e.g. a simulator's planted truth) must not travel into every derived frame
    df["year"] = df["year"].astype(int)
    years = sorted(int(y) for y in df["year"].unique())
    notes: list[str] = []
    wcol = "weight" if weights == "patients" else None

    gp = aggregate_gp_year(df, inds)
    never = gp["asalee_year"].isna().groupby(gp["gp_id"]).first()
    control_group = "never_treated" if never.sum() >= 1 else "not_yet_treated"
    if control_group == "not_yet_treated":
        notes.append("aucun médecin jamais entré : témoins = médecins pas encore entrés")

    # --- ITT: CS on the GP-year panel, one fit per indicator -------------------------------------------------------
    fits: dict[str, CSFit] = {ind: cs_fit(gp, ind, weight=wcol, control_group=control_group) for ind in inds}
    first = fits[inds[0]]
    notes += first.notes
    cohorts = sorted(int(c) for c in first.panel.loc[first.panel["_ft"] > 0, "_ft"].unique())
    itt_rows = []
    for ind, f in fits.items():
        pre = f.panel[(f.panel["_ft"] > 0) & (f.panel["year"] == f.panel["_ft"] - 1)]
        pre_mean = float(np.average(pre[ind], weights=pre["weight"] if wcol else None)) if len(pre) else np.nan
        itt_rows.append({"outcome": ind, "estimate": f.simple.estimate, "std_error": f.simple.std_error,
                         "ci_low": f.simple.ci_low, "ci_high": f.simple.ci_high, "p_value": f.simple.p_value,
                         "pre_mean": pre_mean, "n_gps": f.n_units, "n_treated": f.n_treated,
                         "n_obs": f.n_obs, "pretest_p": f.pretest_p})
    itt = pd.DataFrame(itt_rows)
    main = "hba1c_3plus" if "hba1c_3plus" in fits else inds[0]
    ev = fits[main].event.copy()
    hon = honest(fits[main])

    # --- sample table -------------------------------------------------------------------------------------------
    kept = first.panel["gp_id"].unique()
    pk = df[df["gp_id"].isin(kept)]
    cg = clean_cohort(pk["asalee_year"])
    lab = np.where(cg.isna(), "Médecins témoins", "Asalée, entrée " + cg.fillna(0).astype(int).astype(str))
    share_col = "Patients-années suivis par l'infirmière après l'entrée (%)"
    followed_post = pd.to_numeric(pk["nurse_followed"]).astype(float).where(cg.notna() & (pk["year"] >= cg))
    sample = (pk.assign(Groupe=lab, _fp=followed_post).groupby("Groupe")
              .agg(**{"Médecins": ("gp_id", "nunique"), "Patients": ("patient_id", "nunique"),
                      "Patients-années": ("patient_id", "size"), share_col: ("_fp", "mean")})
              .reset_index())
    sample[share_col] *= 100
    sample = sample.sort_values("Groupe", key=lambda s: s.str.startswith("Médecins témoins")).reset_index(drop=True)

    # --- per protocol ---------------------------------------------------------------------------------------------
    cells, pp_counts = per_protocol_panel(df, inds)
    pp_rows, pp_fits = [], {}
    pp_2x2 = None
    if not cells.empty and cells["first_followed"].notna().any():
        pp_cg = "never_treated" if cells["first_followed"].isna().any() else "not_yet_treated"
        for ind in inds:
            try:
                f = cs_fit(cells, ind, unit="cell", cohort="first_followed", weight="weight", psu="gp_id",
                           control_group=pp_cg)
            except ValueError as e:
                notes.append(f"per-protocole {ind} : {e}")
                continue
            pp_fits[ind] = f
            pp_rows.append({"outcome": ind, "estimate": f.simple.estimate, "std_error": f.simple.std_error,
                            "ci_low": f.simple.ci_low, "ci_high": f.simple.ci_high, "p_value": f.simple.p_value,
                            "n_cells": f.n_units, "n_obs": f.n_obs,
                            "n_patients": int(f.panel.drop_duplicates("cell")["weight"].sum()),
                            "n_gps": int(f.panel["gp_id"].nunique()),
                            "n_gps_treated": int(f.panel.loc[f.panel["_ft"] > 0, "gp_id"].nunique()),
                            "pretest_p": f.pretest_p})
        pp_2x2 = _published_design(df, main)
    per_protocol = pd.DataFrame(pp_rows, columns=["outcome", "estimate", "std_error", "ci_low", "ci_high", "p_value",
                                                  "n_cells", "n_obs", "n_patients", "n_gps", "n_gps_treated",
                                                  "pretest_p"])

    # --- trends (figure) ------------------------------------------------------------------------------------------
    trends = _trends(df, cells, inds)

    # --- dose–response by intensity -----------------------------------------------------------------------------
    inten = gp_intensity(df[df["gp_id"].isin(kept)])
    groups = intensity_groups(inten)
    dose_rows, dose_fits = [], {}
    if len(groups) and inten.max() > 0:
        ctrl = gp[gp["asalee_year"].isna()]
        for label in [lab_ for lab_ in ("low", "mid", "high") if lab_ in set(groups)]:
            ids = groups.index[groups == label]
            sub = pd.concat([gp[gp["gp_id"].isin(ids)], ctrl])
            for ind in inds:
                try:
                    f = cs_fit(sub, ind, weight=wcol, control_group=control_group)
                except ValueError as e:
                    notes.append(f"intensité {label} {ind} : {e}")
                    continue
                dose_fits[(label, ind)] = f
                dose_rows.append({"group": label, "outcome": ind, "estimate": f.simple.estimate,
                                  "std_error": f.simple.std_error, "ci_low": f.simple.ci_low,
                                  "ci_high": f.simple.ci_high, "n_gps": f.n_treated, "n_units": f.n_units,
                                  "n_obs": f.n_obs, "intensity_mean": float(inten[ids].mean()),
                                  "intensity_min": float(inten[ids].min()), "intensity_max": float(inten[ids].max())})
    dose = pd.DataFrame(dose_rows, columns=["group", "outcome", "estimate", "std_error", "ci_low", "ci_high", "n_gps",
                                            "n_units", "n_obs", "intensity_mean", "intensity_min", "intensity_max"])

    # --- naive cross-section and robustness (HbA1c) ---------------------------------------------------------------
    last = years[-1]
    naive_rows = []
    df["_asalee_gp"] = clean_cohort(df["asalee_year"]).notna().astype(int)
    naive_est = {}
    for ind in inds:
        try:
            e = naive_cross_section(df.assign(_y=df[ind] * 100.0), "_y", last, "_asalee_gp")
        except ValueError:
            continue
        naive_est[ind] = e
        naive_rows.append({"outcome": ind, "estimate": e.estimate, "ci_low": e.ci_low, "ci_high": e.ci_high,
                           "n_obs": e.n_obs})
    naive = pd.DataFrame(naive_rows, columns=["outcome", "estimate", "ci_low", "ci_high", "n_obs"])
    rob = [("Comparaison naïve en " + str(last) + " (patients des médecins Asalée − témoins)", naive_est.get(main)),
           ("CS, témoins jamais entrés, pondéré par patient (référence)", fits[main].simple)]
    alt_w = cs_fit(gp, main, weight=None if wcol else "weight", control_group=control_group)
    rob.append(("CS, chaque médecin compte pour un" if wcol else "CS, pondéré par patient", alt_w.simple))
    tw = None
    try:  # the classic estimator, for the lesson: GP and year fixed effects, each GP counts once (no weights)
        tw = twfe(first.panel.assign(_c=first.panel["_ft"].replace(0, np.nan)), main, "gp_id", "year", "_c")
        rob.append(("Effets fixes médecin et année (TWFE), chaque médecin compte pour un", tw))
    except Exception as e:  # noqa: BLE001 — a failed TWFE must not stop the chapter; it is reported in the notes
        notes.append(f"TWFE non estimé : {e}")
    alt_c = None
    if control_group == "never_treated" and len(cohorts) > 1:
        alt_c = cs_fit(gp, main, weight=wcol, control_group="not_yet_treated")
        rob.append(("CS, témoins : médecins pas encore entrés", alt_c.simple))
    robustness = pd.DataFrame([{"label": lbl, "estimate": e.estimate, "ci_low": e.ci_low, "ci_high": e.ci_high}
                               for lbl, e in rob if e is not None])

    # --- results rows ------------------------------------------------------------------------------------------
    data = data or paths.data_kind()
    rows: list[dict] = []
    for ind, f in fits.items():
        if _publishable(f):
            rows.append(_row(f.simple, ind, "cs_simple", headline=True, data=data))
    for (label, ind), f in dose_fits.items():
        if _publishable(f):
            rows.append(_row(f.simple, ind, "cs_simple", subgroup=f"intensity={label}", data=data))
    for ind, f in pp_fits.items():
        n_pat = int(f.panel.drop_duplicates("cell")["weight"].sum())
        n_gp_t = int(f.panel.loc[f.panel["_ft"] > 0, "gp_id"].nunique())
        if n_gp_t >= MIN_CELL and n_pat >= MIN_CELL:
            rows.append(_row(f.simple, ind, "cs_simple_per_protocol", n_units=n_pat, data=data))
    fm = fits[main]
    if _publishable(fm):
        for r in fm.event.itertuples(index=False):
            if r.n_units >= MIN_CELL:
                est = Estimate("cs_dynamic", r.estimate, r.std_error, r.ci_low, r.ci_high, n_units=fm.n_units,
                               n_obs=fm.n_obs)
                rows.append(_row(est, main, "cs_dynamic", subgroup=f"event_time={int(r.event_time)}", data=data))
        if alt_c is not None:
            rows.append(_row(alt_c.simple, main, "cs_simple_not_yet_treated", data=data))
        if tw is not None:
            rows.append(_row(tw, main, "twfe", data=data))
        rows.append(_row(alt_w.simple, main, "cs_simple_gp_weighted" if wcol else "cs_simple_patient_weighted",
                         data=data))
        if hon is not None:
            for r in hon.grid.itertuples(index=False):
                rows.append(make_row(study=STUDY, outcome=main, estimator="honest_did_rm", estimate=hon.estimate,
                                     std_error=hon.std_error, ci_low=r.ci_low, ci_high=r.ci_high, unit="pp",
                                     n_units=fm.n_units, n_obs=fm.n_obs, subgroup=f"mbar={r.M:g}", data=data))
    for ind, e in naive_est.items():
        if e.n_units is not None and e.n_units >= MIN_CELL:
            rows.append(_row(e, ind, "naive_cross_section", data=data))
    if pp_2x2 is not None and min(pp_2x2["n_treated"], pp_2x2["n_control"]) >= MIN_CELL:
        rows.append(make_row(study=STUDY, outcome=main, estimator="did_2x2_per_protocol", estimate=pp_2x2["estimate"],
                             std_error=pp_2x2["std_error"], ci_low=pp_2x2["ci_low"], ci_high=pp_2x2["ci_high"],
                             unit="pp", n_units=pp_2x2["n_treated"] + pp_2x2["n_control"], n_obs=pp_2x2["n_obs"],
                             data=data))
    rows_df = to_frame(rows)

    settings = dict(seed=seed, weights=weights, control_group=control_group, est_method="reg", covariates=[],
                    n_gps_asalee=int(first.n_treated), n_gps_control=int(first.n_control),
                    n_patients=int(df.loc[df["gp_id"].isin(kept), "patient_id"].nunique()),
                    n_patient_years=int(first.n_obs))
    a = AsaleeAnalysis(
        years=years, cohorts=cohorts, indicators=inds, gp_panel=gp, sample=sample, itt=itt, itt_fits=fits,
        event_hba1c=ev, pretest_p=fits[main].pretest_p, honest=hon, per_protocol=per_protocol, pp_counts=pp_counts,
        pp_2x2=pp_2x2, trends=trends, intensity=inten, dose=dose, robustness=robustness, naive=naive, notes=notes,
        texts={}, rows=rows_df, settings=settings,
    )
    a.texts = _texts(a)
    return a


def _published_design(df: pd.DataFrame, ind: str) -> dict | None:
    """The published per-protocol comparison: first vs last year, patients present both years, followed by the nurse
    in the last year (Asalée GPs) vs patients of comparison GPs — 2×2 DiD (evalkit.estimators.did_2x2)."""
    y0, y1 = int(df["year"].min()), int(df["year"].max())
    d = df[df["year"].isin([y0, y1])]
    both = d.groupby("patient_id")["year"].nunique()
    d = d[d["patient_id"].isin(both.index[both == 2])]
    fol = d.loc[(d["year"] == y1) & (d["nurse_followed"] == 1), "patient_id"]
    coh = clean_cohort(d["asalee_year"])
    treated = d["patient_id"].isin(set(fol))
    control = coh.isna()
    d = d[treated | control].assign(_T=treated[treated | control].astype(int), _P=(d["year"] == y1).astype(int),
                                     _y=d[ind] * 100.0)
    if d["_T"].sum() == 0 or (d["_T"] == 0).sum() == 0:
        return None
    r = did_2x2(d, "_y", "patient_id", "year", "_T", "_P")
    m = r.means
    n_t = int(d.loc[d["_T"] == 1, "patient_id"].nunique())
    n_c = int(d.loc[d["_T"] == 0, "patient_id"].nunique())
    return {"estimate": r.estimate, "std_error": r.std_error, "ci_low": r.ci_low, "ci_high": r.ci_high,
            "pre_t": float(m.loc["treated", "pre"]), "pre_c": float(m.loc["control", "pre"]),
            "post_t": float(m.loc["treated", "post"]), "post_c": float(m.loc["control", "post"]),
            "n_treated": n_t, "n_control": n_c, "n_obs": r.n_obs, "year0": y0, "year1": y1}


def _trends(df: pd.DataFrame, cells: pd.DataFrame, inds: Sequence[str]) -> pd.DataFrame:
    """Yearly shares (%) by group: followed (closed cohort), all diabetics of Asalée GPs, comparison GPs."""
    out = []
    coh = clean_cohort(df["asalee_year"])
    for name, mask in (("asalee_all", coh.notna()), ("control", coh.isna())):
        d = df[mask]
        if d.empty:
            continue
        m = d.groupby("year")[list(inds)].mean() * 100
        n = d.groupby("year")["patient_id"].nunique()
        for ind in inds:
            out.append(pd.DataFrame({"group": name, "outcome": ind, "year": m.index, "share": m[ind].to_numpy(),
                                     "n_patients": n.to_numpy()}))
    if not cells.empty and cells["first_followed"].notna().any():
        f = cells[cells["first_followed"].notna()]
        for ind in inds:
            g = f.groupby("year").apply(lambda x: np.average(x[ind], weights=x["n_patients"]), include_groups=False)
            n = f.groupby("year")["n_patients"].sum()
            out.append(pd.DataFrame({"group": "followed", "outcome": ind, "year": g.index, "share": g.to_numpy(),
                                     "n_patients": n.to_numpy()}))
    t = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["group", "outcome", "year", "share",
                                                                             "n_patients"])
    # Small cells: a yearly share on fewer than 11 patients is not shown.
    return t[t["n_patients"] >= MIN_CELL].reset_index(drop=True)


def _texts(a: AsaleeAnalysis) -> dict[str, str]:
    """French strings for the prose (glued by the notebook)."""
    t: dict[str, str] = {}
    y0, y1 = a.years[0], a.years[-1]
    t["years"] = f"{y0}–{y1}"
    t["cohorts"] = _years_fr(a.cohorts)
    t["n_gps_asalee"] = fmt_int(a.settings["n_gps_asalee"])
    t["n_gps_control"] = fmt_int(a.settings["n_gps_control"])
    t["n_patients"] = fmt_int(a.settings["n_patients"])
    t["n_patient_years"] = fmt_int(a.settings["n_patient_years"])
    itt = a.itt.set_index("outcome")
    for ind in a.indicators:
        r = itt.loc[ind]
        t[f"itt_{ind}"] = fmt_pp(r["estimate"], 1, sign=True)
        t[f"itt_{ind}_ci"] = fmt_ci(r["ci_low"], r["ci_high"])
        t[f"pre_{ind}"] = fmt_pct(r["pre_mean"], 0)
    n_pos = int((a.itt["ci_low"] > 0).sum())
    n_neg = int((a.itt["ci_high"] < 0).sum())
    t["n_itt_positive"] = {0: "aucun", 1: "un", 2: "deux", 3: "trois", 4: "quatre", 5: "cinq", 6: "six"}.get(
        n_pos, str(n_pos))
    t["n_indicators"] = {6: "six"}.get(len(a.indicators), str(len(a.indicators)))
    main = "hba1c_3plus" if "hba1c_3plus" in itt.index else a.indicators[0]
    r = itt.loc[main]
    sig = r["ci_low"] > 0 or r["ci_high"] < 0
    verb = "augmente" if r["estimate"] > 0 else "réduit"
    t["answer_itt"] = (
        f"l'entrée d'un médecin dans Asalée {verb} de {fmt_pp(abs(r['estimate']), 1)} (IC à 95 % "
        f"{fmt_ci(r['ci_low'], r['ci_high'])}) la part de ses patients diabétiques qui ont au moins trois dosages "
        f"d'HbA1c dans l'année" + ("" if sig else " — un écart que l'incertitude ne permet pas de distinguer de zéro"))
    t["itt_others"] = (f"{t['n_itt_positive']} des {t['n_indicators']} indicateurs progressent significativement"
                       + (f", {n_neg} reculent" if n_neg else ""))
    pp = a.per_protocol.set_index("outcome") if len(a.per_protocol) else None
    share = float(a.intensity.mean()) if len(a.intensity) else np.nan
    t["share_followed"] = fmt_pct(share, 0)
    if pp is not None and main in pp.index:
        p = pp.loc[main]
        t["pp_hba1c"] = fmt_pp(p["estimate"], 1, sign=True)
        t["pp_hba1c_ci"] = fmt_ci(p["ci_low"], p["ci_high"])
        t["pp_n_followed"] = fmt_int(a.pp_counts.get("patients_followed", 0))
        ratio = r["estimate"] / p["estimate"] if p["estimate"] else np.nan
        t["itt_pp_ratio"] = fmt_pct(100 * ratio, 0) if np.isfinite(ratio) else "n.d."
        t["pp_sentence"] = (
            f"Pour les seuls patients effectivement suivis par l'infirmière ({t['pp_n_followed']} patients présents "
            f"toutes les années, comparés aux patients des médecins témoins), l'écart estimé atteint {t['pp_hba1c']} "
            f"(IC à 95 % {t['pp_hba1c_ci']}). L'effet en intention de traiter n'en représente que "
            f"{t['itt_pp_ratio']} : l'infirmière ne suit qu'une partie des diabétiques du médecin "
            f"({t['share_followed']} en moyenne des patients-années après l'entrée).")
    else:
        for k in ("pp_hba1c", "pp_hba1c_ci", "pp_n_followed", "itt_pp_ratio"):
            t[k] = "n.d."
        t["pp_sentence"] = ("Les données ne permettent pas d'estimer l'effet pour les seuls patients suivis par "
                            "l'infirmière (suivi infirmier non renseigné ou absence de témoins).")
    if a.pp_2x2 is not None:
        q = a.pp_2x2
        t["pp2x2"] = fmt_pp(q["estimate"], 1, sign=True)
        t["pp2x2_ci"] = fmt_ci(q["ci_low"], q["ci_high"])
        t["pp2x2_pre_t"], t["pp2x2_pre_c"] = fmt_pct(q["pre_t"], 1), fmt_pct(q["pre_c"], 1)
        t["pp2x2_post_t"], t["pp2x2_post_c"] = fmt_pct(q["post_t"], 1), fmt_pct(q["post_c"], 1)
    else:
        for k in ("pp2x2", "pp2x2_ci", "pp2x2_pre_t", "pp2x2_pre_c", "pp2x2_post_t", "pp2x2_post_c"):
            t[k] = "n.d."
    d = a.dose[a.dose["outcome"] == main].sort_values("intensity_mean")
    if len(d) >= 2:
        lo, hi = d.iloc[0], d.iloc[-1]
        t["dose_low"] = fmt_pp(lo["estimate"], 1, sign=True)
        t["dose_high"] = fmt_pp(hi["estimate"], 1, sign=True)
        t["dose_low_share"] = fmt_pct(lo["intensity_mean"], 0)
        t["dose_high_share"] = fmt_pct(hi["intensity_mean"], 0)
        part = "tiers" if len(d) == 3 else "moitié"
        t["dose_groups"] = part
        up = bool(np.all(np.diff(d["estimate"].to_numpy()) > 0))
        t["dose_sentence"] = (
            ("L'effet croît avec l'intensité de la coopération : " if up else
             "L'effet ne croît pas régulièrement avec l'intensité de la coopération : ")
            + f"{t['dose_low']} pour le {part} des médecins Asalée dont l'infirmière suit la plus petite part des "
            f"diabétiques ({t['dose_low_share']} en moyenne), {t['dose_high']} pour le {part} où elle en suit la plus "
            f"grande part ({t['dose_high_share']}).")
    else:
        for k in ("dose_low", "dose_high", "dose_low_share", "dose_high_share", "dose_groups"):
            t[k] = "n.d."
        t["dose_sentence"] = ("Trop peu de médecins Asalée pour comparer des groupes d'intensité d'au moins "
                              f"{MIN_CELL} médecins.")
    t["pretest_p"] = fmt_num(a.pretest_p, 2)
    if not np.isfinite(a.pretest_p):
        t["pretest_verdict"] = "ne peut pas être calculé (pas d'écart observable avant l'entrée)"
    elif a.pretest_p >= 0.05:
        t["pretest_verdict"] = "ne rejette pas l'hypothèse de tendances parallèles avant l'entrée"
    else:
        t["pretest_verdict"] = "rejette l'hypothèse de tendances parallèles avant l'entrée : la comparaison est fragile"
    if a.honest is not None:
        bd = a.honest.breakdown
        g = a.honest.grid
        t["honest_estimate"] = fmt_pp(a.honest.estimate, 1, sign=True)
        if bd is None:
            t["honest_breakdown"] = "n.d."
            t["honest_sentence"] = (
                "l'intervalle robuste exclut zéro pour toutes les valeurs essayées, jusqu'à M̄ = "
                f"{fmt_num(g['M'].max(), 0)} (violations après l'entrée deux fois plus grandes que la plus grande "
                "observée avant)")
        elif bd <= 0 or not bool(g["significant"].iloc[0]):
            t["honest_breakdown"] = fmt_num(0, 0)
            t["honest_sentence"] = "l'intervalle robuste contient zéro même sans violation des tendances parallèles"
        else:
            t["honest_breakdown"] = fmt_num(bd, 2)
            t["honest_sentence"] = (
                f"l'effet moyen reste significatif tant que l'écart de tendance après l'entrée ne dépasse pas "
                f"{t['honest_breakdown']} fois le plus grand écart d'une année sur l'autre observé avant l'entrée ; "
                "au-delà, les données ne permettent plus de conclure")
    else:
        t["honest_breakdown"] = t["honest_estimate"] = "n.d."
        t["honest_sentence"] = "la sensibilité ne peut pas être calculée (pas d'année observée avant l'entrée)"
    nv = a.naive.set_index("outcome") if len(a.naive) else None
    t["naive_hba1c"] = fmt_pp(nv.loc[main, "estimate"], 1, sign=True) if nv is not None and main in nv.index else "n.d."
    t["last_year"] = str(y1)
    t["first_year"] = str(y0)
    t["pretest_sentence"] = (f"le test joint de nullité des écarts avant l'entrée (p = {t['pretest_p']}) "
                             + t["pretest_verdict"])
    return t


__all__ = ["AsaleeAnalysis", "CSFit", "HonestFit", "INDICATORS", "LABELS", "PUBLISHED", "aggregate_gp_year",
           "analyse", "cs_fit", "gp_intensity", "honest", "intensity_groups", "per_protocol_panel"]
