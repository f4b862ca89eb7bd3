"""Estimation for the MSP chapter: does joining an MSP raise a GP's patientèle and fees?

:func:`analyse_data` takes any table that follows the ``msp`` contract and returns a frozen :class:`MSPResult`.
Estimation only: no French text, no environment read, no file access; the planted truth (synthetic data) is given by
the caller. Everything is derived from the data (years, entry cohorts, rurality levels present).

Steps
-----
1. Panel preparation (stated rules, see :func:`prepare`): balanced panel, entry years after the last year counted as
   never treated, GPs in MSP from the first year (no pre-period) and entry cohorts of fewer than 11 GPs set aside.
2. Who joins: baseline profile (year before the first entry) of future MSP GPs vs the others, standardised
   differences.
3. The naive cross-section (last year: MSP GPs vs the others) and the same gap before any entry.
4. Propensity-score matching within each entry cohort g, in the year before entry (g − 1), among GPs not yet in MSP
   after g or never in MSP (nearest neighbour on the logit, caliper 0.2 SD, without replacement over the whole
   design) on age, sex, rurality and activity that year, with the balance table before/after (cohorts stacked, each
   at its own baseline).
5. Difference-in-differences: TWFE (unit and year effects, SE clustered by GP) and Callaway–Sant'Anna group-time ATTs
   (never-treated comparison GPs, doubly robust on the matching covariates) — the **headline** is the CS simple ATT
   over all treated GPs; beside it, the DiD on the matched sets (each MSP GP against its own matched controls from its
   baseline year, aggregated as CS, SEs clustered by matched set: :func:`evalkit.estimators.matching.matched_did`)
   and CS with not-yet-treated comparisons. Matching all MSP GPs at one common baseline and handing the matched
   sample to CS (the former approach) compares each cohort with controls balanced on the pooled MSP GPs, not on that
   cohort: biased when the covariates shift trends, with SEs that ignore the matching.
6. Event study (CS by years since entry, universal base year g − 1, pointwise CIs and a sup-t simultaneous band)
   with the joint event-time pre-trend test; HonestDiD sensitivity (relative magnitudes) on the average post-entry
   effect of the MT patientèle.
7. Heterogeneity by rurality; national order of magnitude (effect × ≈ 5,000 GPs in ACI MSP; the published « 600 » raw
   gap is a file-active gap and is set against the file-active effect).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...disclosure import MIN_CELL
from ...estimators.agreement import AgreementResult, agreement
from ...estimators.base import Estimate, collect_warnings
from ...estimators.did import twfe
from ...estimators.matching import MatchedDiDResult, MatchResult, balance_table, match_by_cohort, matched_did
from ...estimators.naive import naive_cross_section
from ...estimators.staggered import (BaconResult, CSResult, EventStudyBands, HonestResult, Panel,
                                     bacon_decomposition, callaway_santanna, honest_did)
from ...estimators.staggered import prepare as prepare_sample
from .. import BAND_DRAWS, BAND_SEED, ci_cells
from .published import PUBLISHED

STUDY = "msp"
UNIT, TIME, COHORT = "gp_id", "year", "cohort"
#: Outcomes and the unit of their results rows.
OUTCOME_UNITS = {"patients_mt": "patients", "file_active": "patients", "fees": "euros"}
#: Baseline activity columns of :class:`Prepared` and :func:`activity_means` → the outcome they are read in.
_BASE = {"base_mt": "patients_mt", "base_fa": "file_active", "base_fees": "fees"}
#: Rurality levels in display order (other levels present in the data follow, sorted).
RURALITY_ORDER = ("urban", "periurban", "rural")
MIN_COHORT = MIN_CELL  # entry cohorts of fewer GPs are set aside (their rows could not be published anyway)
# Cohort-specific propensity scores P(G = g | X) are naturally far below 1 % when a cohort is small next to the
# never-treated pool; diff-diff's default trimming at 0.01 would clip most of them. We follow R ``did`` (which trims
# nothing) with a bound that only guards against exact 0/1.
PSCORE_TRIM = 1e-6
HONEST_GRID = tuple(np.round(np.arange(0, 4.01, 0.25), 2))
#: Event window of the sensitivity analysis (R ``aggte(min_e, max_e)``): five years before and after entry. The far
#: event times rest on the few earliest cohorts (noisy, and the Δ^RM bound takes the largest pre-period jump), and
#: the ARP hybrid test over all 10 pre- and 11 post-periods takes minutes.
HONEST_WINDOW = (-5, 5)


# --- preparation -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SetAside:
    """One preparation rule that changed the input: ``rule`` and the number of GPs it concerned.

    ``rule``: ``late_entry`` (entered after the last year: counted as never treated), ``unbalanced`` (not observed
    every year or a missing outcome: dropped), ``in_msp_at_start`` (no year before entry: dropped), ``small_cohorts``
    (cohorts of fewer than :data:`MIN_COHORT` GPs: dropped; ``n`` counts cohorts, ``cohorts`` lists them).
    """

    rule: str
    n: int
    cohorts: tuple[int, ...] = ()


@dataclass(frozen=True)
class Prepared:
    """The analysis panel and what was done to the input."""

    panel: pd.DataFrame  # one row per GP × year, baseline covariates (constant within GP), in_msp (ever, in window)
    baseline: pd.DataFrame  # one row per GP: treated, cohort, age, female, rurality, base_* (baseline year values)
    years: list[int]
    cohorts: list[int]
    baseline_year: int
    covariates: list[str]  # CS covariates (standardised numeric columns of ``panel``)
    rurality_levels: list[str]
    notes: tuple[SetAside, ...]
    n_input: int


def prepare(df: pd.DataFrame) -> Prepared:
    """Stated rules that turn a contract table into the analysis panel.

    - entry years after the last observed year: counted as never treated within the window;
    - GPs not observed every year, or with a missing outcome: set aside (balanced panel, as the CS estimator needs);
    - GPs in MSP from the first observed year: set aside (no year before entry to compare with);
    - entry cohorts of fewer than 11 GPs: set aside (too few for a cohort estimate; unpublishable).
    Baseline = the year before the first remaining entry cohort.
    """
    need = ["gp_id", "year", *OUTCOME_UNITS, "age", "female", "rurality", "msp_year"]
    miss = [c for c in need if c not in df.columns]
    if miss:
        raise ValueError(f"msp analysis: missing columns {miss}")
    d = df[need].copy()
    d[UNIT] = d["gp_id"].astype(str)
    d[TIME] = pd.to_numeric(d["year"]).astype(int)
    for c in (*OUTCOME_UNITS, "age", "female"):
        d[c] = pd.to_numeric(d[c], errors="coerce").astype(float)
    d[COHORT] = pd.to_numeric(d["msp_year"], errors="coerce").astype(float)
    d = d.drop(columns=["msp_year"])
    n_input = d[UNIT].nunique()
    notes: list[SetAside] = []
    years = sorted(d[TIME].unique())
    first, last = years[0], years[-1]

    late = d[COHORT] > last
    if late.any():
        notes.append(SetAside("late_entry", int(d.loc[late, UNIT].nunique())))
        d.loc[late, COHORT] = np.nan
    bad = d[list(OUTCOME_UNITS)].isna().any(axis=1)
    per_gp = d.groupby(UNIT)[TIME].nunique()
    drop = set(d.loc[bad, UNIT]) | set(per_gp.index[per_gp < len(years)])
    if drop:
        notes.append(SetAside("unbalanced", len(drop)))
        d = d[~d[UNIT].isin(drop)]
    early = d[COHORT] <= first
    if early.any():
        notes.append(SetAside("in_msp_at_start", int(d.loc[early, UNIT].nunique())))
        d = d[~early]
    sizes = d.drop_duplicates(UNIT)[COHORT].value_counts()
    small = sizes[sizes < MIN_COHORT]
    if len(small):
        notes.append(SetAside("small_cohorts", len(small), tuple(sorted(int(g) for g in small.index))))
        d = d[~d[COHORT].isin(small.index)]
    cohorts = sorted(int(g) for g in d[COHORT].dropna().unique())
    n_never = d.loc[d[COHORT].isna(), UNIT].nunique()
    if not cohorts or n_never < MIN_CELL:
        raise ValueError("msp analysis: need at least one entry cohort of ≥ 11 GPs and ≥ 11 GPs never in MSP "
                         f"(found cohorts {cohorts}, {n_never} never-MSP GPs)")
    baseline_year = max(y for y in years if y < cohorts[0])

    b = d[d[TIME] == baseline_year].set_index(UNIT)
    base = pd.DataFrame({UNIT: b.index, "treated": b[COHORT].notna().astype(int).to_numpy(),
                         **{c: b[c].to_numpy() for c in (COHORT, "age", "female")},
                         "rurality": b["rurality"].astype(str).to_numpy(),
                         **{k: b[c].to_numpy() for k, c in _BASE.items()}}).reset_index(drop=True)
    levels = [r for r in RURALITY_ORDER if r in set(base["rurality"])]
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
    d["in_msp"] = d[COHORT].notna().astype(int)  # in MSP by the last year (cohorts ≤ last year)
    return Prepared(d, base, [int(y) for y in years], cohorts, int(baseline_year), covariates, levels, tuple(notes),
                    n_input)


# --- estimation helpers -------------------------------------------------------------------------------------------

#: Years of activity averaged for matching: the mean of the last MATCH_YEARS years up to the baseline year.
MATCH_YEARS = 3


def activity_means(panel: pd.DataFrame, years: int = MATCH_YEARS) -> pd.DataFrame:
    """``panel`` with ``base_mt``, ``base_fa``, ``base_fees``: each GP's mean patientèle, file active and fees over
    the ``years`` years up to each year (fewer at the start of the panel).

    The matching reads them in each cohort's baseline year. Matching on a single year's level would pair MSP GPs
    with controls that had the same level that year partly by chance (a transitory shock, which then fades): the
    matched controls' later evolution would then reflect that shock's fading, not the counterfactual trend — a
    regression-to-the-mean bias of the difference-in-differences (Daw & Hatfield 2018). Averaging several years
    keeps the lasting level and damps the shock."""
    d = panel.sort_values([UNIT, TIME])
    out = panel.copy()
    for new, col in _BASE.items():
        out.loc[d.index, new] = (d.groupby(UNIT)[col].rolling(years, min_periods=1).mean()
                                 .reset_index(level=0, drop=True).loc[d.index])
    return out


def sample(panel: pd.DataFrame, covariates: list[str]) -> Panel:
    """One estimation sample (GPs × years), prepared once for its Callaway–Sant'Anna fits (outcomes, comparisons)."""
    return prepare_sample(panel, UNIT, TIME, COHORT, covariates=covariates)


def cs_fit(s: Panel, outcome: str, control_group: str = "never_treated", seed: int = 0) -> CSResult:
    """Callaway–Sant'Anna, doubly robust on the sample's covariates; outcome regression if the logit fails."""
    try:
        return callaway_santanna(s, outcome, control_group=control_group, est_method="dr", pscore_trim=PSCORE_TRIM,
                                 seed=seed)
    except (ValueError, np.linalg.LinAlgError, RuntimeError) as e:
        warnings.warn(f"CS doubly robust failed for {outcome} ({type(e).__name__}: {e}); outcome regression used",
                      UserWarning)
        return callaway_santanna(s, outcome, control_group=control_group, est_method="reg", seed=seed)


# --- the result ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MSPResult:
    """Every estimate of the MSP chapter (no text). Dicts are keyed by outcome (:data:`OUTCOME_UNITS`).

    ``by_rurality``: one row per rurality level × outcome estimated (``rurality, outcome, n_treated, n_control,
    estimate, std_error, ci_low, ci_high, pre_mean, n_units, n_obs``), the fits in ``rurality_fits[(level, outcome)]``.
    ``profile``: who joins — baseline year (before the first entry) means and standardised differences of future MSP
    GPs vs the others; ``balance``: the matching's balance, cohorts stacked, each at its own baseline year (before:
    all eligible controls; after: matched controls). ``events[outcome]``: the event study with a universal base year
    and its simultaneous band. ``trends``: mean outcome by ``outcome, group`` (``msp``: GPs entering in the window, ``never``), ``year``.
    ``national``: effect × published number of GPs in MSP, rows ``key`` = ``patients_mt``, ``file_active`` and
    ``naive_claim`` (the published raw gap). ``pretests[outcome]`` = event-time pre-test (W, df, p).
    ``truth``: the generator's planted effect (synthetic data) or None. ``warnings``: estimator warnings collected.
    """

    prepared: Prepared
    naive: dict[str, Estimate]
    naive_pre: dict[str, Estimate]
    twfe: dict[str, Estimate]
    cs: dict[str, CSResult]
    cs_matched: dict[str, MatchedDiDResult]
    cs_notyet: dict[str, CSResult]
    events: dict[str, EventStudyBands]
    by_rurality: pd.DataFrame
    rurality_fits: dict[tuple[str, str], CSResult]
    honest: HonestResult | None
    bacon: BaconResult | None
    match: MatchResult
    match_ratio: int
    balance: pd.DataFrame
    profile: pd.DataFrame
    n_treated: int
    n_control: int
    trends: pd.DataFrame
    national: pd.DataFrame
    pretests: dict[str, tuple[float, int, float]]
    truth: dict | None
    seed: int
    warnings: tuple[str, ...]
    #: Estimator agreement panel per outcome (:func:`agreement_panels`); empty when not asked.
    agreement: dict[str, AgreementResult] = field(default_factory=dict)

    def estimate(self, outcome: str, which: str = "cs", pct: bool = False) -> Estimate:
        """One of the chapter's estimates (``which``: the field ``naive``, ``naive_pre``, ``twfe``, ``cs``,
        ``cs_matched`` or ``cs_notyet``), in outcome units or in percent of the treated GPs'
        pre-entry mean (the headline's denominator, :attr:`CSResult.pre_mean`: cohorts weighted as in the simple
        ATT)."""
        src = getattr(self, which)[outcome]
        e = src.simple if isinstance(src, (CSResult, MatchedDiDResult)) else src
        return e.scaled(self.percent_factor(outcome)) if pct else e

    def percent_factor(self, outcome: str) -> float:
        return 100.0 / self.cs[outcome].pre_mean

    def event_study(self, outcome: str = "patients_mt") -> pd.DataFrame:
        """Event study of the headline CS fit with a universal base year (the year before entry, a row at 0),
        pointwise CIs and the simultaneous band (``band_low``, ``band_high``), event times resting on ≥ 11 treated
        GPs; :attr:`events` holds the critical value."""
        return self.events[outcome].table

    def rurality_overlap(self, outcome: str = "patients_mt") -> bool:
        """True if the rurality subgroups' 95 % CIs all overlap (at least two subgroups)."""
        t = self.by_rurality[self.by_rurality["outcome"] == outcome]
        return len(t) >= 2 and t["ci_low"].max() <= t["ci_high"].min()


# --- main entry point ---------------------------------------------------------------------------------------------

def analyse_data(df: pd.DataFrame, *, seed: int = 0, truth: dict | None = None, honest: bool = True,
                 subgroups: bool = True, agreement: bool = True) -> MSPResult:
    """Estimate everything the MSP chapter shows on a table following the ``msp`` contract.

    ``seed``: seed of the matching order (greedy nearest neighbour), the only random step. ``truth``: the planted
    effect (:func:`evalkit.simulate.planted_truth`) to show beside the estimates, None on real data. ``honest``,
    ``subgroups``: skip the HonestDiD sensitivity or the rurality subgroups (faster, for tests). Estimator warnings
    are collected in ``MSPResult.warnings`` instead of reaching the page. ``agreement``: skip the estimator
    agreement panel (:func:`agreement_panels`, the costliest step after HonestDiD).
    """
    with collect_warnings(short=True, unique=True) as caught:
        fields = _estimate_all(df, seed=seed, honest=honest, subgroups=subgroups, agreement=agreement)
    return MSPResult(**fields, truth=truth, seed=seed, warnings=tuple(caught))


def agreement_panels(s: Panel, cs: dict[str, CSResult], tw: dict | None = None) -> dict[str, AgreementResult]:
    """The estimator agreement panel of each outcome (:func:`evalkit.estimators.agreement.agreement`), fitted once
    on the sample of the headline CS (all GPs) with never-treated comparisons, **without covariates**: the headline
    is doubly robust on six baseline covariates, whose covariate × year terms (and Wooldridge's cell × covariate
    terms, over a hundred cohort × year cells) take minutes per outcome at the bundled size. A gap to the headline
    can therefore come from the covariates as well as from the estimator; the sentence says so when it flags one.
    ``tw``: the chapter's static TWFE per outcome, reused when fitted on the same rows (not fitted twice)."""
    return {o: agreement(s, o, headline=cs[o].simple, control_group="never_treated",
                         static_twfe=(tw or {}).get(o)) for o in OUTCOME_UNITS}


def _estimate_all(df: pd.DataFrame, *, seed: int, honest: bool, subgroups: bool, agreement: bool = True) -> dict:
    p = prepare(df)
    panel, base = p.panel, p.baseline
    last = p.years[-1]

    naive = {o: naive_cross_section(panel, o, last, "in_msp") for o in OUTCOME_UNITS}
    naive_pre = {o: naive_cross_section(panel, o, p.baseline_year, "in_msp") for o in OUTCOME_UNITS}
    tw = {o: twfe(panel, o, UNIT, TIME, COHORT) for o in OUTCOME_UNITS}
    everyone = sample(panel, p.covariates)
    cs = {o: cs_fit(everyone, o) for o in OUTCOME_UNITS}
    cs_notyet = {o: cs_fit(everyone, o, control_group="not_yet_treated") for o in OUTCOME_UNITS}
    agree = agreement_panels(everyone, cs, tw) if agreement else {}

    # Matching within each entry cohort in the year before entry (controls: GPs not yet in MSP after that cohort's
    # entry, or never), then DiD on the matched sets with SEs clustered by matched set.
    n_t, n_c = int(base["treated"].sum()), int((1 - base["treated"]).sum())
    ratio = 2 if n_c >= 4 * n_t else 1
    match_cov = [c for c in ("age", "female", "rurality", "base_mt", "base_fa") if base[c].nunique() > 1]
    cm = match_by_cohort(activity_means(panel), UNIT, TIME, COHORT, match_cov, caliper=0.2, ratio=ratio, seed=seed,
                         keep=["base_fees"])
    m = cm.match
    order = ["age", "female", "rurality=rural", "rurality=periurban", "rurality=urban", "base_mt", "base_fa",
             "base_fees"]

    def ordered(b: pd.DataFrame) -> pd.DataFrame:
        b = b.assign(_o=b["variable"].map({v: i for i, v in enumerate(order)}).fillna(len(order)))
        return b.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)

    bal = ordered(balance_table(cm.baseline, "treated", [*match_cov, "base_fees"], weights=cm.baseline["weight"]))
    profile = ordered(balance_table(base, "treated", [*match_cov, "base_fees"]))
    cs_matched = {o: matched_did(panel, o, cm, estimator="cs_simple_matched") for o in OUTCOME_UNITS}
    events = {o: cs[o].event_study(draws=BAND_DRAWS, seed=BAND_SEED) for o in OUTCOME_UNITS}

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
            level = sample(sub, cov_r)
            for o in OUTCOME_UNITS:
                f = cs_fit(level, o)
                rur_fits[(r, o)] = f
                rur_rows.append({"rurality": r, "outcome": o, "n_treated": nt, "n_control": nc, **ci_cells(f.simple),
                                 "pre_mean": f.pre_mean, "n_units": f.simple.n_units, "n_obs": f.simple.n_obs})
    by_rur = pd.DataFrame(rur_rows, columns=["rurality", "outcome", "n_treated", "n_control", "estimate",
                                             "std_error", "ci_low", "ci_high", "pre_mean", "n_units", "n_obs"])

    hon = honest_did(cs["patients_mt"], e="average", method="relative_magnitude", mbar=list(HONEST_GRID),
                     min_e=HONEST_WINDOW[0], max_e=HONEST_WINDOW[1]) \
        if honest else None
    try:
        bac = bacon_decomposition(panel, "patients_mt", UNIT, TIME, COHORT)
    except Exception as e:  # informative only (TWFE weights); never block the chapter
        warnings.warn(f"Bacon decomposition failed: {e}", UserWarning)
        bac = None

    # Raw trends: mean outcome by year, GPs who join an MSP in the window vs GPs never in MSP.
    tr = panel.assign(group=np.where(panel["in_msp"] == 1, "msp", "never"))
    trends = (tr.melt(id_vars=[TIME, "group"], value_vars=list(OUTCOME_UNITS), var_name="outcome")
              .groupby(["outcome", "group", TIME], as_index=False)["value"].mean()  # sorted: MSP GPs first (palette)
              .rename(columns={"value": "mean"}))

    # National order of magnitude: effect per GP × GPs in ACI MSP (one published count, PUBLISHED["gps_in_msp"]), and
    # the published raw gap × the same GPs — the « 600 » is a gap in file active (PUBLISHED["naive_claim"]["measure"]).
    n_fr = PUBLISHED["gps_in_msp"]["value"]
    nat = [{"key": o, "per_gp": cs[o].simple.estimate, "gps": n_fr, "total": cs[o].simple.estimate * n_fr,
            "total_low": cs[o].simple.ci_low * n_fr, "total_high": cs[o].simple.ci_high * n_fr}
           for o in ("patients_mt", "file_active")]
    claim = PUBLISHED["naive_claim"]["value"]
    nat.append({"key": "naive_claim", "per_gp": claim, "gps": n_fr, "total": claim * n_fr, "total_low": np.nan,
                "total_high": np.nan})

    return dict(prepared=p, naive=naive, naive_pre=naive_pre, twfe=tw, cs=cs, cs_matched=cs_matched,
                cs_notyet=cs_notyet, events=events, by_rurality=by_rur, rurality_fits=rur_fits, honest=hon, bacon=bac, match=m,
                match_ratio=ratio, balance=bal, profile=profile, n_treated=n_t, n_control=n_c, trends=trends,
                national=pd.DataFrame(nat), agreement=agree,
                pretests={o: cs[o].pretest("event_time", min_units=MIN_CELL) for o in OUTCOME_UNITS})
