"""Synthetic patient-year panel of the Asalée GP–nurse cooperation, calibrated on Irdes QES n°264 (2021).

One row per type 2 diabetic patient × year (contract ``asalee``, DESIGN §3)::

    patient_id, gp_id, year, asalee_year, nurse_followed, age, sex,
    hba1c_3plus, microalb, creatinine, lipids, ecg_cardio, fundus_2y

Design (what the Irdes evaluation looked like, Gilles de La Londe, Afrite & Mousquès 2021; IJHEM 2023):

* diabetic patients nested in GPs, years 2010–2017; "Asalée" GPs join in 2012, 2013, 2014 or 2015 (``asalee_year``),
  comparison GPs never join (``asalee_year`` empty);
* in a treated GP, the nurse follows a *share* of the GP's diabetics (``nurse_followed``); the share reached at full
  deployment varies across GPs (the intensity of the cooperation), ramps up over the first two years and, once a
  patient is enrolled, she stays followed while she is in the panel;
* six 0/1 process indicators. For patient *i* of GP *j* in year *t* the probability of "done" (percentage points)
  is a linear probability model with a **bounded** patient level::

      p0_it = A_i + trend·(t − 2013)                      (counterfactual without Asalée)
      A_i   = level_2013 − h + 2h·Φ(z_i),   z_i = GP effect + patient effect + sex + 1{Asalée GP}·selection
      p1_it = p0_it + 1{followed in t}·pp_effect·m_j + 1{Asalée GP, t ≥ entry, not followed}·spillover·pp_effect·m_j

  ``y ~ Bernoulli(p1)``. The half-range *h* leaves room for the trend and the largest effect, so no probability is
  ever clipped: parallel trends hold *exactly* in percentage points (common additive trend, selection on levels
  only) unless an override plants something else. The per-patient effect multiplier ``m_j`` grows with the GP's
  intensity (dose–response) and has mean 1 over the followed patients expected at full deployment — so
  ``pp_effect`` *is* the average per-protocol effect;
* who is followed: enrolment is more likely for patients with a high latent propensity to be followed up (selection
  on levels, harmless for a difference-in-differences) and, if ``dip_selection`` > 0, for patients who missed the
  HbA1c follow-up the year before (selection on a bad year — Ashenfelter's dip: they would have bounced back anyway),
  which biases the per-protocol DiD upwards but not the intention-to-treat one (it does not change a GP's average).

The planted truth is returned by :func:`simulate_with_truth` (and attached to ``df.attrs["truth"]``): the latent
effect of every patient-year (``p1 − p0`` after clipping), averaged by GP × year (intention to treat) and by
GP × first-followed-year × year (per protocol), with helpers that aggregate it the way Callaway–Sant'Anna's simple
ATT does. Everything is vectorised numpy (one loop over the 8 years, none over patients): ``scale=50`` gives ≈ 6
million patient-years in well under a minute.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Mapping

import numpy as np
import pandas as pd
from scipy import special, stats

INDICATORS = ("hba1c_3plus", "microalb", "creatinine", "lipids", "ecg_cardio", "fundus_2y")
COLUMNS = ["patient_id", "gp_id", "year", "asalee_year", "nurse_followed", "age", "sex", *INDICATORS]
ANCHOR = "Irdes QES n°264 (2021) et les taux nationaux de suivi du diabète"


@dataclass(frozen=True)
class AsaleeParams:
    """Every parameter of the generator, with its source. Per-indicator tuples follow :data:`INDICATORS`.

    Percentages and effects are in percentage points (0–100 scale). "Assumption" marks a value that no public source
    gives: it is set to a plausible order of magnitude and the chapter does not present it as a finding.
    """

    # --- design --------------------------------------------------------------------------------------------------
    first_year: int = 2010  # QES 264: panel 2010–2017
    last_year: int = 2017  # QES 264
    entry_years: tuple[int, ...] = (2012, 2013, 2014, 2015)  # QES 264: GPs joining Asalée 2012–2015
    entry_year_probs: tuple[float, ...] = (0.25, 0.25, 0.25, 0.25)  # assumption: the split by year is not published
    n_gps_treated: int = 435  # QES 264 / Irdes « graphique du mois » Dec 2021: 435 Asalée GPs (per-protocol sample)
    n_gps_control: int = 739  # same: 739 comparison GPs
    # Distinct diabetic patients per GP over 2010–2017. QES 264: intention-to-treat sample of 18,310 matched type 2
    # diabetics, read here as two matched arms of 18,310 / 2 = 9,155 patients: 9,155 / 435 ≈ 21 per Asalée GP and
    # 9,155 / 739 ≈ 12.4 per comparison GP (the matched controls are spread over more GPs).
    patients_per_gp_treated: float = 21.0
    patients_per_gp_control: float = 12.4
    prevalent_share: float = 0.80  # assumption: share of a GP's patients already in the panel in 2010 (others enter
    #                                uniformly 2011–2017: incident diabetes, new patientèle)
    exit_rate: float = 0.03  # assumption: annual exit from the panel (deaths ≈ 2–3 %/yr among diabetics, moves)

    # --- patients ------------------------------------------------------------------------------------------------
    age_mean: float = 66.0  # assumption, order of magnitude of treated type 2 diabetics in France (mean ≈ 65–67)
    age_sd: float = 11.0  # assumption
    female_share: float = 0.45  # assumption: ≈ 55 % of treated diabetics are men (Santé publique France)

    # --- indicator levels and trends (comparison GPs) --------------------------------------------------------------
    # Level in 2013 among comparison GPs' patients. Santé publique France / Cnam national rates for 2013: HbA1c ≥ 3
    # per year 51 %, microalbuminuria 30 %, creatinine 84 %, lipid profile 74 %, cardiology (ECG/visit) 35 %
    # (evidence.md). Fundus/ophthalmology within two years: assumption (≈ 60 %, no figure in evidence.md).
    level_2013: tuple[float, ...] = (51.0, 30.0, 84.0, 74.0, 35.0, 60.0)
    # Common trend (pp per year). HbA1c: national 51 % (2013) → 56 % (2019) = +0.83 pp/yr (evidence.md). Others:
    # assumption (small improvements), not published.
    trend: tuple[float, ...] = (0.83, 0.5, 0.4, 0.3, 0.2, 0.3)
    # Dispersion of GP effects and patient effects (pp, SD near the centre of the bounded map; assumption). The
    # bounded map compresses them where the level is close to 0 or 100 % (creatinine, lipids).
    gp_sd: tuple[float, ...] = (7.0, 7.0, 4.0, 5.0, 6.0, 6.0)
    patient_sd: tuple[float, ...] = (12.0, 10.0, 6.0, 8.0, 10.0, 10.0)
    gp_factor_share: float = 0.5  # assumption: share of the GP-effect variance common to the six indicators
    patient_factor_share: float = 0.5  # assumption: same for patient effects (one latent "well followed" factor)
    female_shift: tuple[float, ...] = (0.0, -1.0, 0.0, 0.0, -4.0, 1.0)  # assumption: women vs men (pp, latent)
    margin: float = 0.5  # probabilities stay within [margin, 100 − margin] (pp)

    # --- selection -------------------------------------------------------------------------------------------------
    # Asalée GPs' patients start higher on every indicator (level only). The per-protocol 2010 gap published for
    # HbA1c is 41.0 − 32.6 = 8.4 pp (Irdes, Dec 2021); it mixes GP selection (this) and the selection of followed
    # patients within GPs (``followed_selection``); assumption: about half each.
    gp_selection_level: tuple[float, ...] = (4.0, 3.0, 1.5, 2.0, 2.0, 2.0)
    # Correlation between a patient's latent follow-up propensity and her enrolment score (probit scale). Calibrated
    # with ``gp_selection_level`` so that patients followed in 2017 start ≈ 8.4 pp above comparison patients on
    # HbA1c in 2010 (41.0 vs 32.6 %, Irdes Dec 2021); achieved ≈ 8.5 pp (mean of 3 seeds at scale 4).
    followed_selection: float = 0.55
    # Selection on a bad year (Ashenfelter's dip): coefficient, in the enrolment probit, of "missed the HbA1c
    # follow-up last year" (centred). 0 = none (default). > 0 biases the per-protocol DiD upwards, not the ITT.
    dip_selection: float = 0.0
    # Correlation (Gaussian copula) between a GP's intensity and its common GP effect: assumption, more engaged GPs
    # are a little better at follow-up to begin with (levels only).
    intensity_level_corr: float = 0.2

    # --- nurse follow-up (intensity) -------------------------------------------------------------------------------
    # Mean share of an Asalée GP's diabetics followed by the nurse at full deployment. QES 264: 2,943 followed
    # patients (per-protocol sample) for ≈ 9,155 diabetics of Asalée GPs (ITT arm), i.e. ≈ 0.32 of patients ever
    # followed; with the ramp-up, entries/exits and selected enrolment, a target of 0.355 gives ≈ 2,940 patients
    # ever followed at scale 1 (calibrated, mean of 3 seeds at scale 4).
    share_followed_mean: float = 0.355
    share_followed_concentration: float = 6.0  # assumption: Beta(a, b) with a + b = 6 → SD ≈ 0.18 across GPs
    ramp: tuple[float, ...] = (0.5, 0.8, 1.0)  # assumption: fraction of the full share reached in years 0, 1, 2+

    # --- effects ---------------------------------------------------------------------------------------------------
    # Average per-protocol effect on followed patients (pp). HbA1c: DiD +12.7 pp, Irdes « graphique du mois » Dec
    # 2021 (QES 264). The other five: assumption — the public summaries say the effects are positive and
    # significant on the indicators but do not give their sizes; set smaller, and smallest where the level is high.
    pp_effect: tuple[float, ...] = (12.7, 8.0, 3.0, 4.0, 2.0, 3.0)
    # Dose–response: the per-patient effect is pp_effect · m_j, m_j = 1 + slope·(s_j / s̄ − 1) normalised to mean 1
    # over followed patients (QES 264: the effect grows with the intensity of the cooperation; slope: assumption).
    intensity_slope: float = 0.5
    # Effect on the non-followed diabetics of an Asalée GP, as a fraction of the per-protocol effect (the GP's own
    # practice changes). Assumption: 0 by default — the intention-to-treat effect is then share followed × effect.
    spillover: float = 0.0

    def __post_init__(self) -> None:
        k = len(INDICATORS)
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, tuple) and f.name not in ("entry_years", "entry_year_probs", "ramp") and len(v) != k:
                raise ValueError(f"AsaleeParams.{f.name}: expected {k} values (one per indicator), got {len(v)}")
        if len(self.entry_years) != len(self.entry_year_probs):
            raise ValueError("AsaleeParams: entry_years and entry_year_probs must have the same length")
        if abs(sum(self.entry_year_probs) - 1) > 1e-9:
            raise ValueError("AsaleeParams.entry_year_probs must sum to 1")
        if not (0 < self.share_followed_mean < 1):
            raise ValueError("AsaleeParams.share_followed_mean must be in (0, 1)")
        if any(b < a for a, b in zip(self.ramp, self.ramp[1:])) or not self.ramp or self.ramp[-1] > 1:
            raise ValueError("AsaleeParams.ramp must be non-decreasing, with values in (0, 1]")
        if not (-1 < self.followed_selection < 1):
            raise ValueError("AsaleeParams.followed_selection must be in (-1, 1)")

    @property
    def years(self) -> np.ndarray:
        return np.arange(self.first_year, self.last_year + 1)


DEFAULT = AsaleeParams()


def params(**overrides: Any) -> AsaleeParams:
    """Default parameters with ``overrides``. A per-indicator field accepts a tuple (six values), a mapping
    ``{indicator: value}`` (others keep their default) or a scalar (same value for all six)."""
    out = {}
    names = {f.name for f in fields(AsaleeParams)}
    for key, v in overrides.items():
        if key not in names:
            raise TypeError(f"unknown Asalée parameter {key!r}; see evalkit.simulate.asalee.AsaleeParams")
        default = getattr(DEFAULT, key)
        if isinstance(default, tuple) and len(default) == len(INDICATORS) and key not in (
                "entry_years", "entry_year_probs", "ramp"):
            if isinstance(v, Mapping):
                bad = set(v) - set(INDICATORS)
                if bad:
                    raise KeyError(f"{key}: unknown indicators {sorted(bad)}")
                v = tuple(float(v.get(ind, d)) for ind, d in zip(INDICATORS, default))
            elif np.isscalar(v):
                v = (float(v),) * len(INDICATORS)
            else:
                v = tuple(float(x) for x in v)
        elif isinstance(default, tuple):
            v = tuple(v)
        out[key] = v
    if "entry_years" in out and "entry_year_probs" not in out:
        n = len(out["entry_years"])
        out["entry_year_probs"] = (1.0 / n,) * n  # uniform over the given entry years
    return replace(DEFAULT, **out)


# --- the truth -------------------------------------------------------------------------------------------------


@dataclass(eq=False)  # identity equality: pandas compares attrs when it propagates them (df.attrs["truth"])
class Truth:
    """What the generator planted.

    Attributes
    ----------
    params : AsaleeParams
    gp : DataFrame
        One row per GP: ``gp_id, asalee_year`` (NaN if never), ``intensity`` (share followed at full deployment),
        ``dose`` (m_j, the per-patient effect multiplier), ``n_patients`` (distinct patients), ``weight`` (mean
        number of patients per observed year — the weight :func:`evalkit.studies.asalee.aggregate_gp_year` uses).
    itt_cells : DataFrame
        GP × year: ``gp_id, asalee_year, year, n_patients, share_followed`` and ``delta_<indicator>`` — mean latent
        effect (pp) over the GP's patients present that year; ``fdelta_<indicator>`` — the part of it that falls on
        followed patients (Σ over followed patients / all patients present; = ``delta`` without spillover).
    pp_cells : DataFrame
        Followed patients grouped by GP × first followed year (``first_followed``) × year: ``n_patients`` and
        ``delta_<indicator>`` (mean latent effect over the followed patients present).
    """

    params: AsaleeParams
    gp: pd.DataFrame
    itt_cells: pd.DataFrame
    pp_cells: pd.DataFrame

    def simple(self, which: str = "itt", weights: str = "patients", gps: Any = None) -> dict[str, float]:
        """The planted ATT in pp, aggregated as Callaway–Sant'Anna's *simple* ATT: group-time effects for t ≥ g,
        averaged with cohort-size weights.

        ``which="itt"``: units are GPs (cohort = ``asalee_year``); ``which="pp"``: units are GP × first-followed-year
        cells of followed patients (cohort = first followed year). ``weights="patients"`` weights each unit by its
        mean number of patients per year (patient-weighted ATT), ``"units"`` counts every unit once. ``gps``
        restricts to a subset of GP ids (e.g. a tercile of intensity).
        """
        d = self._post_cells(which, gps, weights)
        w = d["w"].to_numpy()
        return {ind: float(np.sum(w * d[f"delta_{ind}"]) / np.sum(w)) if len(d) else float("nan")
                for ind in INDICATORS}

    def first_stage(self, weights: str = "patients", gps: Any = None) -> float:
        """The take-up aggregated as the ITT (:meth:`simple` with ``which="itt"``): share of the Asalée GPs'
        diabetics followed by the nurse, in percent, post-entry GP-years averaged with cohort-size weights — what a
        Callaway–Sant'Anna fit of ``pct_followed`` estimates (nobody is followed before entry or at comparison GPs)."""
        d = self._post_cells("itt", gps, weights)
        return float(100 * np.sum(d["w"] * d["share_followed"]) / np.sum(d["w"])) if len(d) else float("nan")

    def per_followed(self, weights: str = "patients", gps: Any = None) -> dict[str, float]:
        """Planted effect on followed patients (pp), averaged over the followed patient-years of the post-entry
        GP-years with the ITT's weights: Σ w·(effect on followed / patients) ÷ Σ w·share followed. Equals the Wald
        estimand :meth:`simple` ``("itt")`` ÷ :meth:`first_stage` × 100 when there is no spillover on non-followed
        patients (the default); with a spillover the Wald ratio also counts it, this does not."""
        d = self._post_cells("itt", gps, weights)
        den = np.sum(d["w"] * d["share_followed"])
        return {ind: float(np.sum(d["w"] * d[f"fdelta_{ind}"]) / den) if den > 0 else float("nan")
                for ind in INDICATORS}

    def event_time(self, which: str = "itt", indicator: str = "hba1c_3plus", gps: Any = None,
                   weights: str = "patients") -> pd.Series:
        """Planted effect by event time e = year − cohort (cohort-size weighted, as CS's dynamic aggregation)."""
        cells = self._unit_cells(which, gps, weights)
        cells = cells.assign(e=cells["year"] - cells["cohort"])
        g = cells.groupby("e")
        return (g.apply(lambda d: np.sum(d["w"] * d[f"delta_{indicator}"]) / np.sum(d["w"]), include_groups=False)
                .rename("truth"))

    def _unit_cells(self, which: str, gps: Any, weights: str = "patients") -> pd.DataFrame:
        if which == "itt":
            c = self.itt_cells[self.itt_cells["asalee_year"].notna()].rename(columns={"asalee_year": "cohort"})
            unit = ["gp_id"]
        elif which == "pp":
            c = self.pp_cells.rename(columns={"first_followed": "cohort"})
            unit = ["gp_id", "cohort"]
        else:
            raise ValueError("which must be 'itt' or 'pp'")
        if gps is not None:
            c = c[c["gp_id"].isin(set(gps))]
        if weights not in ("patients", "units"):
            raise ValueError("weights must be 'patients' or 'units'")
        # A unit's weight is constant over time (CS on a panel of units): mean patients per observed year.
        return c.assign(w=c.groupby(unit)["n_patients"].transform("mean") if weights == "patients" else 1.0)

    def _post_cells(self, which: str, gps: Any, weights: str) -> pd.DataFrame:
        """The post-entry unit-years (year ≥ cohort) of :meth:`_unit_cells`."""
        c = self._unit_cells(which, gps, weights)
        return c[c["year"] >= c["cohort"]]

    def by_intensity(self, groups: Mapping[str, Any], which: str = "itt", weights: str = "patients") -> pd.DataFrame:
        """Planted simple ATT per group of GPs (``{label: gp ids}``), one row per group × indicator."""
        return pd.DataFrame([{"group": label, "outcome": ind, "truth": v} for label, ids in groups.items()
                             for ind, v in self.simple(which, weights=weights, gps=ids).items()])


# --- the generator -----------------------------------------------------------------------------------------------


def simulate(seed: int = 0, scale: float = 1.0, **overrides: Any) -> pd.DataFrame:
    """The synthetic ``asalee`` table (passes :func:`evalkit.contracts.validate`); the planted truth is attached
    as ``df.attrs["truth"]`` (a :class:`Truth`; lost if the frame is written to CSV).

    ``scale`` multiplies the number of GPs (1.0 ≈ 18,000 patients and 130,000 patient-years; 50 ≈ 6 million
    patient-years, the order of magnitude of a national extract). ``overrides``: see :func:`params`.
    """
    df, truth = simulate_with_truth(seed=seed, scale=scale, **overrides)
    df.attrs["truth"] = truth
    return df


def simulate_with_truth(seed: int = 0, scale: float = 1.0, **overrides: Any) -> tuple[pd.DataFrame, Truth]:
    """:func:`simulate` returning ``(table, Truth)`` separately."""
    p = params(**overrides)
    if scale <= 0:
        raise ValueError("scale must be > 0")
    rng = np.random.default_rng(seed)
    years = p.years
    n_years = len(years)
    k = len(INDICATORS)

    # --- GPs ---------------------------------------------------------------------------------------------------
    n_t = max(1, int(round(p.n_gps_treated * scale))) if p.n_gps_treated > 0 else 0
    n_c = max(1, int(round(p.n_gps_control * scale))) if p.n_gps_control > 0 else 0
    n_gp = n_t + n_c
    treated = np.r_[np.ones(n_t, bool), np.zeros(n_c, bool)]
    cohort = np.full(n_gp, np.nan)
    cohort[:n_t] = rng.choice(np.asarray(p.entry_years, float), size=n_t, p=np.asarray(p.entry_year_probs))
    gp_factor = rng.standard_normal(n_gp)
    gp_eff = np.asarray(p.gp_sd) * (np.sqrt(p.gp_factor_share) * gp_factor[:, None]
                                    + np.sqrt(1 - p.gp_factor_share) * rng.standard_normal((n_gp, k)))
    # Intensity s_j (share followed at full deployment): Beta, correlated with the GP's common effect (copula).
    a = p.share_followed_mean * p.share_followed_concentration
    b = (1 - p.share_followed_mean) * p.share_followed_concentration
    r = p.intensity_level_corr
    z = r * gp_factor + np.sqrt(1 - r**2) * rng.standard_normal(n_gp)
    intensity = np.where(treated, np.clip(stats.beta.ppf(special.ndtr(z), a, b), 1e-4, 1 - 1e-4), 0.0)

    # --- patients ----------------------------------------------------------------------------------------------
    mean_pat = np.where(treated, p.patients_per_gp_treated, p.patients_per_gp_control)
    n_pat_gp = 1 + rng.poisson(np.maximum(mean_pat - 1, 0))
    n_pat = int(n_pat_gp.sum())
    gp_of = np.repeat(np.arange(n_gp), n_pat_gp)
    entry = np.where(rng.random(n_pat) < p.prevalent_share, years[0],
                     rng.integers(years[0] + 1, years[-1] + 1, size=n_pat) if n_years > 1 else years[0])
    stay = rng.geometric(p.exit_rate, size=n_pat) if p.exit_rate > 0 else np.full(n_pat, n_years)
    last = np.minimum(entry + stay - 1, years[-1])
    female = rng.random(n_pat) < p.female_share
    age0 = np.clip(rng.normal(p.age_mean, p.age_sd, n_pat), 30, 95).round()  # age at entry in the panel
    eta = rng.standard_normal(n_pat)  # latent propensity to be well followed up
    pat_eff = np.asarray(p.patient_sd) * (np.sqrt(p.patient_factor_share) * eta[:, None]
                                          + np.sqrt(1 - p.patient_factor_share) * rng.standard_normal((n_pat, k)))

    # --- dose: per-patient effect multiplier m_j, mean 1 over the patients followed at full deployment ----------
    tw = n_pat_gp * intensity * treated
    s_bar = float(np.sum(tw * intensity) / np.sum(tw)) if tw.sum() > 0 else 1.0
    dose = np.maximum(1 + p.intensity_slope * (intensity / s_bar - 1), 0.0) * treated
    norm = float(np.sum(tw * dose) / np.sum(tw)) if tw.sum() > 0 else 1.0
    dose = dose / norm if norm > 0 else dose

    # --- bounded patient levels A_ik (no clipping anywhere: exact parallel trends in pp) ------------------------
    level = np.asarray(p.level_2013, float)
    trend = np.asarray(p.trend, float)
    eff = np.asarray(p.pp_effect, float)
    dmax = float(dose.max()) if treated.any() else 0.0
    eff_hi = np.maximum(eff, 0) * dmax * max(1.0, p.spillover)
    eff_lo = np.maximum(-eff, 0) * dmax * max(1.0, p.spillover)
    tr_hi = np.maximum(trend * (years[-1] - 2013), trend * (years[0] - 2013)).clip(min=0)
    tr_lo = np.maximum(-trend * (years[-1] - 2013), -trend * (years[0] - 2013)).clip(min=0)
    half = np.minimum(100 - p.margin - level - tr_hi - eff_hi, level - p.margin - tr_lo - eff_lo)
    if np.any(half <= 1):
        bad = [INDICATORS[i] for i in np.flatnonzero(half <= 1)]
        raise ValueError(f"no room for the planted trend and effects within [0, 100] % for {bad}: lower the "
                         "effect, the trend or move the 2013 level")
    slope = 2 * half * special.ndtr(0.0) * np.sqrt(2 / np.pi)  # dA/dz at z = 0: 2h·φ(0)
    fem = (female - p.female_share)[:, None] * np.asarray(p.female_shift)
    zlat = (gp_eff[gp_of] + pat_eff + fem) / slope
    var_z = (np.asarray(p.gp_sd) ** 2 + np.asarray(p.patient_sd) ** 2
             + np.asarray(p.female_shift) ** 2 * p.female_share * (1 - p.female_share)) / slope**2
    # Shift of Asalée GPs' patients in z units so that their mean level is gp_selection_level pp higher.
    target = np.clip(0.5 + np.asarray(p.gp_selection_level) / (2 * half), 1e-6, 1 - 1e-6)
    dz = np.sqrt(1 + var_z) * special.ndtri(target)
    zlat += treated[gp_of][:, None] * dz
    A = level - half + 2 * half * special.ndtr(zlat)  # n_pat × k, in pp

    # --- patient-years (long format, vectorised) ---------------------------------------------------------------
    span = (last - entry + 1).astype(int)
    pid = np.repeat(np.arange(n_pat), span)
    offs = np.arange(len(pid)) - np.repeat(np.cumsum(span) - span, span)
    year = entry[pid] + offs
    gid = gp_of[pid]
    n_obs = len(pid)
    t_idx = (year - years[0]).astype(int)
    row_of = np.full((n_pat, n_years), -1, dtype=np.int64)
    row_of[pid, t_idx] = np.arange(n_obs)

    # --- year by year: enrolment by the nurse (uses last year's outcome), then outcomes ------------------------
    coh_p = cohort[gp_of]
    s_p = intensity[gp_of]
    ramp = np.asarray(p.ramp, float)
    rho = p.followed_selection
    first_followed = np.full(n_pat, np.nan)
    p0 = np.empty((n_obs, k))
    p1 = np.empty((n_obs, k))
    y = np.zeros((n_obs, k), dtype=np.int8)
    followed = np.zeros(n_obs, bool)
    post_gp = treated[gid] & (year >= cohort[gid])
    for ti, t in enumerate(years):
        e = t - coh_p
        active = treated[gp_of] & (e >= 0) & (entry <= t) & (last >= t) & np.isnan(first_followed)
        if active.any():
            ia = np.flatnonzero(active)
            ei = np.minimum(e[ia], len(ramp) - 1).astype(int)
            c_now = s_p[ia] * ramp[ei]
            c_prev = np.where(ei > 0, s_p[ia] * ramp[np.maximum(ei - 1, 0)], 0.0)
            hazard = np.clip((c_now - c_prev) / (1 - c_prev), 0, 1)
            # Enrolled when u > −Φ⁻¹(hazard), u = (selection score + noise) rescaled to unit variance, so that the
            # average hazard is close to the target. Score: latent propensity to be followed up (levels) and, if
            # planted, having missed the HbA1c follow-up last year (a bad year, centred).
            sel = rho * eta[ia]
            var_sel = rho**2
            if p.dip_selection and ti > 0:
                prev_row = row_of[ia, ti - 1]
                missed = np.where(prev_row >= 0, 1 - y[np.maximum(prev_row, 0), 0], 0).astype(float)
                missed[prev_row < 0] = missed[prev_row >= 0].mean() if (prev_row >= 0).any() else 0.0
                sd = missed.std()
                if sd > 0:
                    sel = sel + p.dip_selection * (missed - missed.mean()) / sd
                    var_sel += p.dip_selection**2
            u = (sel + rng.standard_normal(len(ia))) / np.sqrt(1.0 + var_sel)
            first_followed[ia[u > -special.ndtri(np.clip(hazard, 1e-12, 1 - 1e-12))]] = t
        rows = np.flatnonzero(t_idx == ti)
        pr = pid[rows]
        fol = ~np.isnan(first_followed[pr]) & (t >= first_followed[pr])
        followed[rows] = fol
        share = np.where(fol, 1.0, np.where(post_gp[rows], p.spillover, 0.0))
        base = A[pr] + trend * (t - 2013)
        p0[rows] = base
        p1[rows] = base + (share * dose[gid[rows]])[:, None] * eff
        y[rows] = rng.random((len(rows), k)) * 100 < p1[rows]
    # Safety: by construction nothing leaves [margin, 100 − margin]; keep the bounds exact anyway.
    np.clip(p1, 0, 100, out=p1)
    delta = p1 - p0

    # --- the table -----------------------------------------------------------------------------------------------
    gp_ids = np.char.add("MG", np.char.zfill(np.arange(1, n_gp + 1).astype(str), len(str(n_gp)))).astype(object)
    pat_ids = np.char.add("P", np.char.zfill(np.arange(1, n_pat + 1).astype(str), len(str(n_pat)))).astype(object)
    df = pd.DataFrame({
        "patient_id": pat_ids[pid],
        "gp_id": gp_ids[gid],
        "year": year.astype(np.int64),
        "asalee_year": pd.array(cohort[gid], dtype="Int64"),
        "nurse_followed": followed.astype(np.int64),
        "age": (age0[pid] + offs).astype(float),
        "sex": np.where(female[pid], "F", "M").astype(object),
        **{ind: y[:, j].astype(np.int64) for j, ind in enumerate(INDICATORS)},
    })

    # --- truth ---------------------------------------------------------------------------------------------------
    gp_tab = pd.DataFrame({"gp_id": gp_ids, "asalee_year": cohort, "intensity": intensity, "dose": dose,
                           "n_patients": n_pat_gp})
    dcols = [f"delta_{ind}" for ind in INDICATORS]
    cell = pd.DataFrame(delta, columns=dcols).assign(gp=gid, year=year, followed=followed.astype(float))
    g = cell.groupby(["gp", "year"], sort=True)
    itt = g[dcols].mean()
    fcols = [f"fdelta_{ind}" for ind in INDICATORS]
    itt[fcols] = (cell[dcols].mul(cell["followed"], axis=0).groupby([cell["gp"], cell["year"]], sort=True).mean()
                  .to_numpy())
    itt["share_followed"] = g["followed"].mean()
    itt["n_patients"] = g.size()
    itt = itt.reset_index()
    itt.insert(0, "gp_id", gp_ids[itt["gp"].to_numpy()])
    itt.insert(1, "asalee_year", cohort[itt["gp"].to_numpy()])
    itt = itt.drop(columns="gp")
    gp_tab["weight"] = gp_tab["gp_id"].map(itt.groupby("gp_id")["n_patients"].mean()).fillna(0.0)
    ever = ~np.isnan(first_followed[pid])
    fc = cell[ever].assign(first_followed=first_followed[pid][ever])
    gpp = fc.groupby(["gp", "first_followed", "year"], sort=True)
    pp = gpp[dcols].mean()
    pp["n_patients"] = gpp.size()
    pp = pp.reset_index()
    pp.insert(0, "gp_id", gp_ids[pp["gp"].to_numpy()])
    pp = pp.drop(columns="gp")
    return df, Truth(params=p, gp=gp_tab, itt_cells=itt, pp_cells=pp)


__all__ = ["ANCHOR", "AsaleeParams", "COLUMNS", "DEFAULT", "INDICATORS", "Truth", "params", "simulate", "simulate_with_truth"]
