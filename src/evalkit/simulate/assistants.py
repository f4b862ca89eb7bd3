"""Synthetic panel of the assistants médicaux contract (aide à l'emploi d'un assistant médical, avenant 7, 2019).

One row per GP × year (DESIGN.md §3): ``gp_id, year, patients_mt, file_active, acts, age, female, department,
underserved, am_year, am_option``. What the generator plants, and why (every number is a field of :class:`Params`,
with its source or the word *assumption*):

- a panel of GPs observed 2016–2023, a national share of them signing a contract that starts in 2019–2022 (the
  staggered cohorts of the published counts), with the three options in the published shares (31 / 49 / 20 %) and the
  full-time option reserved to underserved areas, as the contract requires;
- **selection**: signatories practise more often in underserved areas (47 % of contracts vs ≈ 30 % of GPs), are
  younger and start with a larger patientèle (Cnam 2024: 1,318 MT patients at baseline) — eligibility also requires a
  minimum patientèle (30th percentile);
- **trends**: MT patientèles grow for every GP (fewer GPs for the same population; non-signatories +6.6 % in 48
  months, Cnam 2024), faster in underserved areas and for younger GPs. Parallel trends hold *conditionally* on
  (underserved, age, sex): the raw comparison with all non-signatories — what the Cnam publishes — overstates the
  effect, and a before/after comparison overstates it more;
- **effects**: a gain in MT patients proportional to the GP's baseline patientèle, growing with the option (third <
  half < full) and over the first contract years (ramp), heterogeneous across GPs; smaller effects on file active and
  acts. Calibrated so that the *descriptive* before/after of the earliest cohorts resembles the Cnam figures (+9.9 %
  at 30 months, +19.5 % at 48 months) while the counterfactual effect is smaller.

:func:`generate` returns the table and the planted truth (:class:`Truth`: realised ATTs in patients, by option and
event time, computed on the simulated units — the estimand a correct estimator targets); :func:`simulate` returns the
table only. Overrides (``simulate(effect_mt={"full": 0.3}, sel_underserved=0.0, ...)``) change any parameter; effect
dictionaries are merged with the defaults, so tests can plant other effects by option.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Mapping

import numpy as np
import pandas as pd

OPTIONS = ("third", "half", "full")
OUTCOMES = ("patients_mt", "file_active", "acts")
NATIONAL_GPS = 52_000  # « Pour 52 000 généralistes » (HCAAM 2022, sources/004_18d4e70b77ba85c8.txt)

# Metropolitan département codes (01–95 with Corsica as 2A/2B) and the five overseas départements.
DEPARTMENTS = tuple([f"{i:02d}" for i in range(1, 20)] + ["2A", "2B"] + [f"{i:02d}" for i in range(21, 96)]
                    + ["971", "972", "973", "974", "976"])


@dataclass(frozen=True)
class Params:
    """Every parameter of the generator, with its source. Shares are 0–1, growth in patients (or acts) per year."""

    # --- panel -------------------------------------------------------------------------------------------------
    n_gps: int = 6_000  # GPs in the default (fast) sample; scale=NATIONAL_GPS/n_gps gives the ≈ 52,000 GPs of
    #                     France (HCAAM 2022, sources/004: « Pour 52 000 généralistes »)
    first_year: int = 2016  # panel start: three pre-contract years before the first contracts (2019)
    last_year: int = 2023  # panel end: 48 months after the first contracts (Cnam 2024 horizon)

    # --- GP characteristics (first panel year) ---------------------------------------------------------------------
    age_mean: float = 50.0  # assumption: mean age of liberal GPs ≈ 50 (order of magnitude, DREES demography)
    age_sd: float = 9.5  # assumption
    age_min: float = 29.0  # assumption: youngest installed GPs
    age_max: float = 69.0  # assumption: GPs still practising at the end of the panel (balanced panel, no exits)
    share_female: float = 0.45  # assumption: ≈ 45 % women among liberal GPs around 2020 (DREES demography)
    female_age_slope: float = -0.06  # assumption: women are over-represented among younger GPs (logit per year)
    share_underserved: float = 0.30  # assumption: ≈ 30 % of GPs practise in an underserved zone (zonage ZIP 2021-22
    #                                  covers roughly a third of the population; order of magnitude)
    dept_concentration: float = 4.0  # assumption: Beta concentration of the underserved share across départements

    # --- MT patientèle (patients_mt) -----------------------------------------------------------------------------
    mt_median: float = 935.0  # calibrated so that the mean *adult* MT patientèle of all GPs ≈ 960 (Cnam 2021: mean 960,
    #                          median 927). patients_mt is the adult patientèle, the contract's and the Cnam's measure
    #                          (with children ≈ 1,050: HCAAM 2022, sources/004)
    mt_sd_log: float = 0.38  # assumption: dispersion of patientèle size (Cnam 2021 median 927 < mean 960)
    mt_age_peak: float = 52.0  # assumption: patientèle is largest mid-career …
    mt_age_curv: float = 0.0006  # … and smaller for young and old GPs (log points per year²)
    mt_female: float = -0.12  # assumption: women GPs have smaller MT patientèles (log points)
    mt_underserved: float = 0.10  # assumption: GPs in underserved areas carry larger patientèles (log points)
    mt_growth: float = 0.0112 # calibrated: non-signatories +6.6 % in 48 months (Cnam 2024, Points de repère): common
    #                           trend, a share of the GP's own first-year patientèle a year (fewer GPs for the same
    #                           population: every patientèle grows in proportion)
    mt_slope_underserved: float = 22.0  # assumption (calibrated with mt_slope): faster growth in underserved areas,
    #                                     where retiring colleagues' patients look for a new médecin traitant
    mt_slope_age: float = -1.2  # assumption: patients a year per year of age — younger GPs build up their patientèle,
    #                             older ones let it shrink
    mt_slope_female: float = -3.0  # assumption
    mt_slope_sd: float = 12.0  # assumption: GP-specific trend heterogeneity (patients a year), unrelated to signing
    mt_noise_sd: float = 30.0  # assumption: year-to-year noise around the GP's path (patients)
    mt_year_sd: float = 3.0  # assumption: common year shocks (patients)

    # --- file active ------------------------------------------------------------------------------------------------
    fa_ratio: float = 1.65  # file active / adult MT patientèle ≈ 1,643 / 960 with children and occasional patients
    #                         (Cnam 2021: file active 1,643, adult MT 960); assumption for the split
    fa_ratio_sd_log: float = 0.15  # assumption
    fa_growth: float = -0.015  # calibrated: non-signatories' file active −5.3 % in 48 months (Cnam 2024)
    fa_slope_underserved: float = 12.0  # assumption
    fa_slope_age: float = -0.8  # assumption
    fa_slope_sd: float = 12.0  # assumption
    fa_noise_sd: float = 45.0  # assumption
    fa_year_sd: float = 5.0  # assumption

    # --- acts (consultations and visits a year) ---------------------------------------------------------------------
    acts_per_mt: float = 4.6  # assumption, checked: 1,318 MT × 4.6 / 220 days ≈ 27.5 acts a day for signatories,
    #                           Cnam 2024 +7.2 % = +2 acts a day ⇒ ≈ 28 a day at baseline
    acts_sd_log: float = 0.18  # assumption
    acts_growth: float = 0.0  # calibrated: non-signatories' acts per day +0.5 % in 48 months (Cnam 2024)
    acts_slope_underserved: float = 20.0  # assumption
    acts_slope_age: float = -2.0  # assumption
    acts_slope_sd: float = 30.0  # assumption
    acts_noise_sd: float = 160.0  # assumption
    acts_year_sd: float = 15.0  # assumption

    # --- who signs (selection) --------------------------------------------------------------------------------------
    share_signing: float = 0.07  # national share of GPs with a contract started 2019–2022: ≈ 3,600 GP contracts by
    #                              end 2022 (3,112 contracts in June 2022, ≈ 50 new a week, 79 % GPs — HCAAM 2022,
    #                              sources/000 and 004) / 52,000 GPs
    eligibility_pctile: float = 30.0  # avenant 7: a minimum patientèle (30th percentile, 640 adult MT patients —
    #                                   convention médicale, avenant 7) in the year before the scheme (2018)
    sel_underserved: float = 0.50  # calibrated: 47 % of contracts in underserved areas (Nov 2021, HCAAM 2022
    #                                Encadré 4) vs share_underserved of GPs (logit coefficient)
    sel_baseline: float = 1.9  # calibrated: signatories' baseline MT patientèle 1,318 (Cnam 2024, 402 GPs signed
    #                             09/2019–08/2020) (logit coefficient on log patientèle)
    sel_age: float = -0.035  # assumption: younger GPs sign more (20 % of signatories newly installed, HCAAM 2022)
    sel_female: float = 0.0  # assumption: no selection on sex
    cohort_shares: Mapping[int, float] = field(default_factory=lambda: {2019: 0.12, 2020: 0.28, 2021: 0.30,
                                                                        2022: 0.30})
    # start years: first contracts Sept 2019; 1,545 by Jan 2021; 2,400 Nov 2021; 2,700 Jan 2022 (≈ 50 a week);
    # ≈ 3,700 by end 2022 (Cnam / HCAAM 2022 counts; egora Jan 2021) → shares of new contracts by start year
    option_shares: Mapping[str, float] = field(default_factory=lambda: {"third": 0.31, "half": 0.49, "full": 0.20})
    # Nov 2021: 31 % third-time, 49 % half-time, 20 % full-time (HCAAM 2022, Encadré 4)
    underserved_share_contracts: float = 0.47  # 47 % of contracts in underserved areas (HCAAM 2022, Encadré 4): the
    #                                            full-time option (underserved only) takes 0.20 / 0.47 of them

    # --- effects (the planted truth) ---------------------------------------------------------------------------
    effect_mt: Mapping[str, float] = field(default_factory=lambda: {"third": 0.085, "half": 0.135, "full": 0.21})
    # long-run gain in MT patients, share of the GP's baseline patientèle, by option. Calibrated so that the earliest
    # signatories' before/after is ≈ +19.5 % at 48 months and the net effect ≈ +9 %; ordered as the contract targets
    # (third +4–20 %, half +6–25 %, full +12.5–35 %, avenant 7) and the assistant's working time
    effect_fa: Mapping[str, float] = field(default_factory=lambda: {"third": 0.065, "half": 0.088, "full": 0.13})
    # file active: smaller (Cnam: +5.3 % at 30 months, +4.5 % vs −5.3 % at 48 months)
    effect_acts: Mapping[str, float] = field(default_factory=lambda: {"third": 0.04, "half": 0.06, "full": 0.09})
    # acts: Cnam 2024 acts per day +7.2 % vs +0.5 % at 48 months; 2022 analysis +7.4 %
    ramp: tuple[float, ...] = (0.05, 0.18, 0.45, 0.85, 1.0)
    # share of the long-run effect reached at event time e = 0, 1, 2, 3, 4+ (e = 0: contract year, a few months of
    # assistant at the 31 December count). Calibrated on +9.9 % at 30 months vs +19.5 % at 48 months (Cnam 2022, 2024)
    ramp_activity: tuple[float, ...] = (0.3, 0.7, 0.9, 1.0)
    # same for file active and acts, which respond faster than registrations as médecin traitant (Cnam: file active
    # +5.3 % at 30 months, +4.5 % at 48 months; acts +7.4 % at 30 months, +7.2 % a day at 48 months)
    effect_sd: float = 0.5  # assumption: GP-level heterogeneity of the gain (sd of a mean-one Gamma multiplier)
    effect_scale: str = "relative"  # "relative": gain = effect × baseline patientèle; "absolute": effect_mt etc. are
    #                                 in patients (acts) for every treated GP — for tests planting exact gains

    def with_overrides(self, **overrides) -> "Params":
        """A copy with some fields replaced; mapping fields (effects, shares) are merged with the defaults."""
        names = {f.name for f in fields(self)}
        unknown = set(overrides) - names
        if unknown:
            raise TypeError(f"unknown parameter(s) {sorted(unknown)}; known: {sorted(names)}")
        merged = {k: {**getattr(self, k), **v} if isinstance(getattr(self, k), Mapping) and isinstance(v, Mapping)
                  else v for k, v in overrides.items()}
        return replace(self, **merged)


@dataclass(frozen=True)
class Truth:
    """The planted effects, realised on the simulated units.

    ``effects``: one row per treated GP × post-contract year (t ≥ am_year): ``gp_id, year, am_year, am_option,
    event_time, underserved`` and the gain on each outcome (``patients_mt, file_active, acts``, in patients/acts).
    Averages of these rows are the estimands: the simple ATT (all post rows, = Callaway–Sant'Anna's simple
    aggregation), the dynamic effect at event time e, the ATT of an option — of all its signatories, or of those of
    underserved areas only (``underserved=1``: the comparable GPs of the option comparison). The planted *rate* of an
    option (gain as a share of the GP's baseline patientèle) is ``params.effect_mt[option]`` × the ramp.
    """

    effects: pd.DataFrame
    baseline: pd.DataFrame  # gp_id, am_year, am_option, and each outcome observed in am_year − 1
    params: Params

    def _sel(self, option: str | None, event_time: int | None = None, underserved: int | None = None) -> pd.DataFrame:
        e = self.effects
        if option is not None:
            e = e[e["am_option"] == option]
        if underserved is not None:
            e = e[e["underserved"] == underserved]
        if event_time is not None:
            e = e[e["event_time"] == event_time]
        return e

    def att(self, outcome: str = "patients_mt", option: str | None = None, event_time: int | None = None,
            underserved: int | None = None) -> float:
        """Mean gain over the treated post-contract GP-years (optionally one option, one event time, one area)."""
        sel = self._sel(option, event_time, underserved)
        return float(sel[outcome].mean()) if len(sel) else float("nan")

    def dynamic(self, outcome: str = "patients_mt", option: str | None = None,
                underserved: int | None = None) -> pd.Series:
        """Mean gain by event time (index ``event_time``)."""
        return self._sel(option, underserved=underserved).groupby("event_time")[outcome].mean()

    def group_att(self, outcome: str = "patients_mt", option: str | None = None,
                  underserved: int | None = None) -> float:
        """Cohort-size weighted mean of each cohort's mean gain over its post-contract years (Callaway–Sant'Anna's
        « group » aggregation; also the cell weighting of diff-diff's ``ContinuousDiD`` dose response)."""
        sel = self._sel(option, underserved=underserved)
        if not len(sel):
            return float("nan")
        by_g = sel.groupby("am_year").agg(gain=(outcome, "mean"), n=("gp_id", "nunique"))
        return float((by_g["gain"] * by_g["n"]).sum() / by_g["n"].sum())

    def percent(self, outcome: str = "patients_mt", option: str | None = None) -> float:
        """Simple ATT in percent of the treated GPs' mean outcome in the year before their contract."""
        b = self.baseline if option is None else self.baseline[self.baseline["am_option"] == option]
        return 100.0 * self.att(outcome, option) / float(b[outcome].mean())


@dataclass(frozen=True)
class Simulation:
    data: pd.DataFrame
    truth: Truth
    params: Params


def national_scale(params: Params | None = None) -> float:
    """The ``scale`` that gives a national-size panel (≈ 52,000 GPs)."""
    return NATIONAL_GPS / (params or Params()).n_gps


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def _calibrate_intercept(score: np.ndarray, eligible: np.ndarray, target: float) -> float:
    """Intercept a such that the mean of expit(a + score) × eligible equals ``target`` (bisection)."""
    lo, hi = -30.0, 30.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if np.mean(_expit(mid + score) * eligible) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _option_probs(p: Params) -> tuple[np.ndarray, np.ndarray]:
    """P(option | underserved) so that options match their shares when underserved_share_contracts hold.

    Full time is reserved to underserved areas: P(full | underserved) = share_full / share_underserved_contracts; the
    rest of underserved and all other contracts split third/half in their published ratio.
    """
    s = np.array([p.option_shares.get(o, 0.0) for o in OPTIONS], dtype=float)
    s = s / s.sum()
    u = p.underserved_share_contracts
    p_full_u = min(1.0, s[2] / u) if u > 0 else 0.0
    th = s[0] / (s[0] + s[1]) if s[0] + s[1] > 0 else 0.0
    probs_u = np.array([(1 - p_full_u) * th, (1 - p_full_u) * (1 - th), p_full_u])
    probs_n = np.array([th, 1 - th, 0.0])
    return probs_n, probs_u


def generate(seed: int = 0, scale: float = 1.0, **overrides) -> Simulation:
    """Simulate the panel and return it with the planted truth (see the module docstring)."""
    p = Params().with_overrides(**overrides)
    rng = np.random.default_rng(seed)
    n = max(50, int(round(p.n_gps * scale)))
    years = np.arange(p.first_year, p.last_year + 1)
    T = len(years)
    tt = (years - p.first_year)[None, :].astype(float)  # years since panel start, 1 × T

    # GP characteristics --------------------------------------------------------------------------------------------
    age0 = np.clip(rng.normal(p.age_mean, p.age_sd, n), p.age_min, p.age_max).round()
    logit_female = np.log(p.share_female / (1 - p.share_female))
    female = rng.random(n) < _expit(logit_female + p.female_age_slope * (age0 - p.age_mean))
    dept_w = rng.gamma(2.0, 1.0, len(DEPARTMENTS))
    w_gp = dept_w / dept_w.sum()
    dept_idx = rng.choice(len(DEPARTMENTS), size=n, p=w_gp)
    a = p.share_underserved * p.dept_concentration
    dept_u = rng.beta(a, p.dept_concentration - a, len(DEPARTMENTS)) if 0 < p.share_underserved < 1 else \
        np.full(len(DEPARTMENTS), p.share_underserved)
    dept_u = np.clip(dept_u * p.share_underserved / max(float(w_gp @ dept_u), 1e-9), 0.0, 1.0)  # hit the share
    underserved = rng.random(n) < dept_u[dept_idx]
    u = underserved.astype(float)
    fem = female.astype(float)
    agec = age0 - 50.0

    # Counterfactual paths (no contract) ---------------------------------------------------------------------------
    def path(level0, slope_mean, slope_sd, noise_sd, year_sd):
        slope = slope_mean + rng.normal(0, slope_sd, n)
        shocks = rng.normal(0, year_sd, T)
        shocks -= shocks[0]
        expected = level0[:, None] + slope[:, None] * tt
        return expected, expected + shocks[None, :] + rng.normal(0, noise_sd, (n, T))

    mt0 = np.exp(np.log(p.mt_median) - p.mt_age_curv * (age0 - p.mt_age_peak) ** 2 + p.mt_female * fem
                 + p.mt_underserved * u + rng.normal(0, p.mt_sd_log, n))
    mt_exp, mt_cf = path(mt0, p.mt_growth * mt0 + p.mt_slope_underserved * u + p.mt_slope_age * agec
                         + p.mt_slope_female * fem, p.mt_slope_sd, p.mt_noise_sd, p.mt_year_sd)
    fa0 = mt0 * p.fa_ratio * np.exp(rng.normal(-p.fa_ratio_sd_log ** 2 / 2, p.fa_ratio_sd_log, n))
    fa_exp, fa_cf = path(fa0, p.fa_growth * fa0 + p.fa_slope_underserved * u + p.fa_slope_age * agec,
                         p.fa_slope_sd, p.fa_noise_sd, p.fa_year_sd)
    acts0 = mt0 * p.acts_per_mt * np.exp(rng.normal(-p.acts_sd_log ** 2 / 2, p.acts_sd_log, n))
    acts_exp, acts_cf = path(acts0, p.acts_growth * acts0 + p.acts_slope_underserved * u + p.acts_slope_age * agec,
                             p.acts_slope_sd, p.acts_noise_sd, p.acts_year_sd)

    # Who signs, when, which option --------------------------------------------------------------------------------
    cohorts = np.array(sorted(p.cohort_shares), dtype=int)
    cw = np.array([p.cohort_shares[c] for c in cohorts], dtype=float)
    pre_year = int(min(cohorts.min() - 1, p.last_year)) if len(cohorts) else p.first_year
    j_pre = int(np.clip(pre_year - p.first_year, 0, T - 1))
    level_pre = np.maximum(mt_cf[:, j_pre], 1.0)
    eligible = (level_pre >= np.percentile(level_pre, p.eligibility_pctile)).astype(float)
    score = (p.sel_underserved * u + p.sel_baseline * (np.log(level_pre) - np.log(p.mt_median)) + p.sel_age * agec
             + p.sel_female * fem)
    if p.share_signing > 0 and len(cohorts):
        a0 = _calibrate_intercept(score, eligible, p.share_signing)
        signs = rng.random(n) < _expit(a0 + score) * eligible
    else:
        signs = np.zeros(n, dtype=bool)
    am_year = np.full(n, np.nan)
    am_year[signs] = rng.choice(cohorts, size=int(signs.sum()), p=cw / cw.sum()) if signs.any() else []
    probs_n, probs_u = _option_probs(p)
    opt_idx = np.full(n, -1)
    for flag, probs in ((False, probs_n), (True, probs_u)):
        sel = signs & (underserved == flag)
        if sel.any() and probs.sum() > 0:
            opt_idx[sel] = rng.choice(3, size=int(sel.sum()), p=probs / probs.sum())
    # a non-underserved signatory can never take full time; if its probabilities are degenerate, give it half time
    opt_idx[signs & (opt_idx < 0)] = 1

    # Effects ------------------------------------------------------------------------------------------------------
    k = 1.0 / p.effect_sd ** 2 if p.effect_sd > 0 else np.inf
    het = rng.gamma(k, 1.0 / k, n) if np.isfinite(k) else np.ones(n)
    ev = np.where(signs[:, None], years[None, :] - np.nan_to_num(am_year, nan=0).astype(int)[:, None], -99)

    def ramp_of(values) -> np.ndarray:
        ramp = np.asarray(values, dtype=float)
        return np.where(ev >= 0, ramp[np.clip(ev, 0, len(ramp) - 1)], 0.0)

    r_mt, r_act = ramp_of(p.ramp), ramp_of(p.ramp_activity)
    j_base = np.clip(np.nan_to_num(am_year, nan=p.first_year + 1) - 1 - p.first_year, 0, T - 1).astype(int)

    def gains(effect: Mapping[str, float], expected: np.ndarray, r: np.ndarray) -> np.ndarray:
        e_opt = np.array([effect.get(o, 0.0) for o in OPTIONS] + [0.0])[opt_idx]  # index −1 → 0
        size = np.ones(n) if p.effect_scale == "absolute" else np.maximum(expected[np.arange(n), j_base], 0.0)
        return (e_opt * het * size)[:, None] * r

    g_mt = gains(p.effect_mt, mt_exp, r_mt)
    g_fa, g_acts = gains(p.effect_fa, fa_exp, r_act), gains(p.effect_acts, acts_exp, r_act)

    mt, fa, acts = (np.maximum(np.rint(x), 0).astype(np.int64) for x in (mt_cf + g_mt, fa_cf + g_fa, acts_cf + g_acts))

    # Assemble ---------------------------------------------------------------------------------------------------
    width = max(5, len(str(n)))
    ids = np.array([f"GP{i:0{width}d}" for i in range(1, n + 1)])
    opt_lab = np.array(list(OPTIONS) + [None], dtype=object)[opt_idx]
    df = pd.DataFrame({
        "gp_id": np.repeat(ids, T),
        "year": np.tile(years, n),
        "patients_mt": mt.ravel(),
        "file_active": fa.ravel(),
        "acts": acts.ravel(),
        "age": (age0[:, None] + tt).ravel(),
        "female": np.repeat(female.astype(int), T),
        "department": np.repeat(np.array(DEPARTMENTS)[dept_idx], T),
        "underserved": np.repeat(underserved.astype(int), T),
        "am_year": pd.array(np.repeat(am_year, T), dtype="Int64"),
        "am_option": np.repeat(opt_lab, T),
    })

    # Truth: realised gains on the treated post-contract rows (the simulated integers minus the counterfactual would
    # add rounding noise; the planted gains are the estimand).
    post = (ev >= 0).ravel()
    eff = pd.DataFrame({
        "gp_id": df["gp_id"].to_numpy()[post],
        "year": df["year"].to_numpy()[post],
        "am_year": np.repeat(am_year, T)[post].astype(int),
        "am_option": df["am_option"].to_numpy()[post],
        "event_time": ev.ravel()[post],
        "underserved": np.repeat(underserved.astype(int), T)[post],
        **{k: g.ravel()[post] for k, g in zip(OUTCOMES, (g_mt, g_fa, g_acts))},
    })
    treated_ids = signs & (np.nan_to_num(am_year, nan=p.first_year) > p.first_year)
    base_rows = np.arange(n)[treated_ids] * T + j_base[treated_ids]
    baseline = pd.DataFrame({
        "gp_id": ids[treated_ids],
        "am_year": am_year[treated_ids].astype(int),
        "am_option": opt_lab[treated_ids],
        **{k: y.ravel()[base_rows] for k, y in zip(OUTCOMES, (mt, fa, acts))},
    })
    eff = eff[eff["gp_id"].isin(set(baseline["gp_id"]))].reset_index(drop=True)
    return Simulation(df, Truth(eff, baseline, p), p)


def simulate(seed: int = 0, scale: float = 1.0, **overrides) -> pd.DataFrame:
    """The synthetic ``assistants`` table (passes :func:`evalkit.contracts.validate`). See :func:`generate`."""
    return generate(seed=seed, scale=scale, **overrides).data


def truth(seed: int = 0, scale: float = 1.0, **overrides) -> Truth:
    """The planted truth of ``simulate(seed, scale, **overrides)``."""
    return generate(seed=seed, scale=scale, **overrides).truth


__all__ = ["OPTIONS", "OUTCOMES", "NATIONAL_GPS", "Params", "Truth", "Simulation", "generate", "simulate", "truth",
           "national_scale"]
