"""Synthetic panel of GPs joining maisons de santé pluriprofessionnelles (MSP), calibrated on published figures.

One row per GP × year (contract ``msp``, DESIGN.md §3)::

    gp_id, year, patients_mt, file_active, fees, age, female, rurality, department, msp_year

Design (every number is a field of :class:`MSPParams`, commented with its source):

- population: sector-1 GPs under 65 in the reference year (2008, the baseline year of the Irdes evaluation), observed
  every year 2005–2019 (balanced panel: attrition is not simulated);
- staggered entry into an MSP: cohorts 2009–2016, entries rising over time as the number of MSP did; the other GPs
  never join;
- selection into MSP on rurality, age, sex and baseline activity, generated so that the baseline profile of future
  MSP GPs vs the others reproduces the published gaps (Irdes QES 258: rural 36.7 % vs 12.2 %, periurban 24.8 % vs
  18.6 %, age 47.7 vs 48.7, women 25.4 % vs 28.6 %, MT patientèle +5.2 % and file active +8.3 % before entry).
  Characteristics are drawn *conditionally on future MSP status* (quota draws, so that the published profile is hit
  in every sample, not only on average); ``selection_strength`` scales every gap (0 = no selection, 2 = twice the
  published gaps);
- a common trend, additive in levels (parallel trends hold in levels by construction unless ``trend_gap_rural`` or
  ``trend_gap_msp`` says otherwise), GP-specific slopes and AR(1) shocks;
- an effect of MSP on the MT patientèle, the file active and fees, building up over the first years after entry,
  sized so that the average effect over the post-entry years (the Callaway–Sant'Anna "simple" ATT) is the published
  one (≈ +90 patients MT ≈ +10 %, file active +88 to +89 patients, fees +2.5 % ≈ +€2,091 a year); the number of
  consultations is not in the contract (published: not significantly different).

The planted truth is exposed in ``df.attrs["truth"]`` (read it with :func:`truth`): the ATT averaged like the
Callaway–Sant'Anna aggregations (simple, by event time, by cohort, by rurality), in outcome units and in percent of
the treated GPs' mean in the year before their entry, each GP weighted by its number of post-entry years as in the
simple ATT (the denominator of evalkit's ``CSResult.pre_mean``), plus
``parallel_trends`` (True when no differential trend was planted). Generation is vectorised over GPs (the only loops
run over the 15 years or the three GP groups).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

import numpy as np
import pandas as pd

OUTCOMES = ("patients_mt", "file_active", "fees")
RURALITY = ("urban", "periurban", "rural")
# Metropolitan départements (INSEE codes): 01–95 with Corsica as 2A/2B.
DEPARTMENTS = tuple([f"{i:02d}" for i in range(1, 96) if i != 20] + ["2A", "2B"])
NATIONAL_GPS = 52_000  # ≈ 52,000 GPs in France (sources/000_0e1fece776666cb3.txt: « 1 000 ETP pour 52 000 MG »)


@dataclass(frozen=True)
class MSPParams:
    """Every parameter of the MSP generator, with its source (« stylised » = not published, chosen to be plausible).

    Published figures come from evidence.md: Irdes QES n°258 (2021) and Cassou, Mousquès & Franc, Eur J Health Econ
    2020 (« QES 258 » below); HCAAM 2022 report (``sources/004_18d4e70b77ba85c8.txt``, « HCAAM »); Cnam 2021.
    """

    # --- population and design ----------------------------------------------------------------------------------
    # GPs at scale 1. QES 258 had 30,541 GPs of whom 844 in MSP (2.8 %); we keep a few thousand GPs so the chapter
    # runs in seconds, and over-represent MSP GPs (treated_share) so that every entry cohort has enough of them.
    # scale = NATIONAL_GPS / n_gps (≈ 10.4) gives the national size (≈ 52,000 GPs, sources/000).
    n_gps: int = 5_000
    first_year: int = 2005  # QES 258 / Health Policy 2023 panels start in 2005
    last_year: int = 2019  # medium-term follow-up to 2017 (Health Policy 2023); stylised end before Covid-19
    reference_year: int = 2008  # QES 258 baseline year (panel 2008–2014): profile gaps are measured this year
    # Entry cohorts (first year in MSP): QES 258 covers entries 2009–2014; we extend to 2016 (stylised).
    cohorts: tuple[int, ...] = (2009, 2010, 2011, 2012, 2013, 2014, 2015, 2016)
    # Relative number of GPs entering each cohort: rising linearly, as the number of MSP did (from a few dozen at the
    # end of the 2000s to > 2,000 in 2022, « doublé sur les quatre dernières années », HCAAM Encadré 2). Stylised.
    cohort_weights: tuple[float, ...] = (3, 4, 5, 6, 7, 8, 9, 10)
    # Share of GPs who ever join an MSP: ≈ 5,000 GPs in ACI MSP (sources/000, Jan 2022) of ≈ 52,000 GPs ≈ 10 %.
    treated_share: float = 0.10

    # --- selection into MSP (baseline profile, reference year) --------------------------------------------------
    selection_strength: float = 1.0  # multiplies every published gap below (0: no selection on observables)
    rural_control: float = 0.122  # QES 258: rural 12.2 % of comparison GPs
    rural_msp: float = 0.367  # QES 258: rural 36.7 % of MSP GPs
    periurban_control: float = 0.186  # QES 258: periurban 18.6 % of comparison GPs
    periurban_msp: float = 0.248  # QES 258: periurban 24.8 % of MSP GPs
    age_control: float = 48.7  # QES 258: mean age 48.7 (comparison GPs)
    age_msp: float = 47.7  # QES 258: mean age 47.7 (MSP GPs)
    age_sd: float = 8.0  # stylised (spread of GP ages)
    age_min: float = 30.0  # stylised (youngest installed GP)
    age_max: float = 64.0  # QES 258 field: GPs under 65 (in the reference year here)
    female_control: float = 0.286  # QES 258: women 28.6 % of comparison GPs
    female_msp: float = 0.254  # QES 258: women 25.4 % of MSP GPs
    baseline_gap_mt: float = 0.052  # QES 258: MT patientèle +5.2 % before entry (MSP vs comparison GPs)
    baseline_gap_fa: float = 0.083  # QES 258: file active +8.3 % before entry

    # --- levels in the reference year (comparison GPs) ----------------------------------------------------------
    # Mean MT patientèle. HCAAM (§2, note 43): +90 patients ≈ +10 % of the mean MT patientèle → mean ≈ 900. With the
    # +5.2 % gap and the trend below, MSP GPs have ≈ 910 MT patients the year before they join (CSResult.pre_mean)
    # and the mean reaches ≈ 960 in 2019, in line with Cnam 2021 (960 adult MT patients; HCAAM: ≈ 1,050 with
    # children).
    mt_control: float = 830.0
    # File active / MT patientèle ratio: Cnam 2021, file active 1,643 vs 960 MT patients → 1.71.
    fa_ratio: float = 1.71
    # Mean annual fees: QES 258, +2.5 % ≈ +€2,091 a year → MSP GPs' level ≈ €83,600; comparison GPs a little lower
    # through the fees–activity elasticity below.
    fees_control: float = 80_000.0
    fees_activity_elasticity: float = 0.6  # stylised: fees rise less than proportionally with the file active
    # GP heterogeneity of the MT patientèle (log sd). Cnam 2021: mean 960 vs median 927 → lognormal σ ≈ 0.26.
    mt_sd: float = 0.26
    fa_ratio_sd: float = 0.15  # stylised
    fees_sd: float = 0.12  # stylised
    # Stylised log-level shifters by GP characteristics (not published): rural and periurban GPs have larger
    # patientèles, women GPs smaller ones, older GPs slightly larger ones (per year of age above 50).
    level_rural: float = 0.10
    level_periurban: float = 0.04
    level_female: float = -0.20
    level_age: float = 0.004

    # --- time ------------------------------------------------------------------------------------------------
    # Common trends (growth a year of the comparison group's mean, log scale), stylised: patientèles per GP rise as GP numbers fall (isolated GPs 56 % in
    # 1998 → 39 % in 2019, HCAAM; MT ≈ 860 → ≈ 1,000); fees rise with fee schedules (nominal euros).
    trend_mt: float = 0.012
    trend_fa: float = 0.008
    trend_fees: float = 0.015
    gp_slope_sd: float = 0.004  # stylised: GP-specific slopes (sd a year, share of own level), independent of MSP
    shock_rho: float = 0.6  # stylised: AR(1) persistence of yearly shocks
    shock_sd: float = 0.05  # stylised: innovation sd of yearly shocks (share of own level)
    # Violations of parallel trends, off by default (tests and sensitivity analyses switch them on):
    # (extra growth a year, as a share of the comparison group's reference-year mean)
    trend_gap_rural: float = 0.0  # rural GPs grow faster: parallel trends hold only conditional on rurality
    trend_gap_msp: float = 0.0  # future MSP GPs grow faster: parallel trends fail (DiD biased by construction)

    # --- planted effects (additive, after entry) ----------------------------------------------------------------
    # Long-run effects, reached after len(ramp) years; ramp = share of the long-run effect in the entry year and the
    # next ones (effects grow with years in MSP: Health Policy 2023). With the default cohorts and years, the simple
    # ATT averages ramp over post-entry years at 0.851, so the long-run values below give a simple ATT of
    # ≈ +90 MT patients (HCAAM note 43, QES 258), ≈ +89 file active (QES 258: +88 to +89) and ≈ +€2,090 (QES 258).
    effect_mt: float = 106.0
    effect_fa: float = 104.5
    effect_fees: float = 2_460.0
    ramp: tuple[float, ...] = (1 / 3, 2 / 3)
    # Effect multipliers by rurality (urban, periurban, rural): no published heterogeneity → homogeneous.
    effect_rurality: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def __post_init__(self):
        if len(self.cohort_weights) != len(self.cohorts):
            raise ValueError("cohort_weights must have one weight per cohort")
        if not (self.first_year <= self.reference_year <= self.last_year):
            raise ValueError("reference_year must lie within [first_year, last_year]")
        if any(c <= self.first_year or c > self.last_year for c in self.cohorts):
            raise ValueError("cohorts must start after first_year (≥ 1 pre-period) and by last_year")
        if not 0 < self.treated_share < 1:
            raise ValueError("treated_share must be in (0, 1)")
        if len(self.effect_rurality) != 3:
            raise ValueError("effect_rurality needs three multipliers (urban, periurban, rural)")

    @property
    def years(self) -> np.ndarray:
        return np.arange(self.first_year, self.last_year + 1)


def params(**overrides) -> MSPParams:
    """Default parameters with ``overrides`` applied (unknown names raise TypeError listing the valid ones)."""
    names = {f.name for f in fields(MSPParams)}
    bad = sorted(set(overrides) - names)
    if bad:
        raise TypeError(f"unknown MSP parameter(s) {bad}; valid: {sorted(names)}")
    return replace(MSPParams(), **{k: (tuple(v) if isinstance(v, list) else v) for k, v in overrides.items()})


NATIONAL_SCALE = NATIONAL_GPS / MSPParams.n_gps


# --- helpers --------------------------------------------------------------------------------------------------

def _quota(n: int, probs, rng: np.random.Generator) -> np.ndarray:
    """Indices 0..k-1 with counts n·probs rounded by largest remainder, in random order (exact shares)."""
    p = np.clip(np.asarray(probs, dtype=float), 0, None)
    p = p / p.sum()
    raw = n * p
    cnt = np.floor(raw).astype(int)
    rest = n - cnt.sum()
    if rest > 0:
        cnt[np.argsort(-(raw - cnt), kind="stable")[:rest]] += 1
    return rng.permutation(np.repeat(np.arange(len(p)), cnt))


def _truncnorm_mean_draw(n: int, mean: float, sd: float, lo: float, hi: float, rng) -> np.ndarray:
    """n ages from a normal truncated to [lo, hi], stratified, then shifted so that their mean is exactly ``mean``."""
    from scipy.stats import truncnorm

    if n == 0:
        return np.empty(0)
    u = (rng.permutation(n) + rng.uniform(size=n)) / n
    a, b = (lo - mean) / sd, (hi - mean) / sd
    x = truncnorm.ppf(u, a, b, loc=mean, scale=sd)
    for _ in range(5):  # shifting may push a few ages out of bounds: clip and re-centre
        x = np.clip(x + (mean - x.mean()), lo, hi)
    return x


# --- generator ------------------------------------------------------------------------------------------------

def simulate(seed: int = 0, scale: float = 1.0, **overrides) -> pd.DataFrame:
    """Generate the MSP panel (contract ``msp``). ``overrides`` are :class:`MSPParams` fields.

    ``scale`` multiplies the number of GPs (``scale=NATIONAL_SCALE`` ≈ 52,000 GPs). The planted truth and the
    parameters are in ``df.attrs["truth"]`` and ``df.attrs["params"]``.
    """
    p = params(**overrides)
    rng = np.random.default_rng(seed)
    n = max(int(round(p.n_gps * scale)), 20)
    years = p.years
    T = len(years)
    s = p.selection_strength

    # Who joins, and when: exact numbers per cohort (largest remainder), random GPs.
    n_treat = int(round(p.treated_share * n))
    treated = np.zeros(n, dtype=bool)
    treated[rng.choice(n, size=n_treat, replace=False)] = True
    cohort = np.full(n, -1, dtype=int)
    cohort[treated] = np.asarray(p.cohorts)[_quota(n_treat, p.cohort_weights, rng)]

    # Characteristics drawn conditionally on future MSP status, at the published shares (quota draws).
    p_ctrl = np.array([1 - p.rural_control - p.periurban_control, p.periurban_control, p.rural_control])
    p_msp = np.array([1 - p.rural_msp - p.periurban_msp, p.periurban_msp, p.rural_msp])
    p_grp = np.clip(p_ctrl + s * (p_msp - p_ctrl), 0.005, None)  # MSP GPs' shares at selection strength s
    rur = np.empty(n, dtype=int)
    female = np.empty(n, dtype=int)
    age_ref = np.empty(n)
    for grp, pr, fem, age_mean in (
        (~treated, p_ctrl, p.female_control, p.age_control),
        (treated, p_grp / p_grp.sum(), p.female_control + s * (p.female_msp - p.female_control),
         p.age_control + s * (p.age_msp - p.age_control)),
    ):
        m = int(grp.sum())
        rur[grp] = _quota(m, pr, rng)
        fem = float(np.clip(fem, 0.0, 1.0))
        female[grp] = _quota(m, [1 - fem, fem], rng)
        age_ref[grp] = _truncnorm_mean_draw(m, age_mean, p.age_sd, p.age_min, p.age_max, rng)
    age_ref = np.round(age_ref)
    rural = (rur == 2).astype(float)
    periurban = (rur == 1).astype(float)

    # Reference-year expected levels: observed shifters × GP heterogeneity × residual selection on activity.
    def calibrate(x: np.ndarray, mean_ctrl: float, gap: float) -> np.ndarray:
        """Rescale x so that its control mean is mean_ctrl and the MSP/control ratio of means is (1+gap)^s."""
        x = x * (mean_ctrl / x[~treated].mean())
        if treated.any():
            x[treated] *= (1 + gap) ** s * mean_ctrl / x[treated].mean()
        return x

    shifter = (p.level_rural * rural + p.level_periurban * periurban + p.level_female * female
               + p.level_age * (age_ref - 50))
    mt0 = calibrate(np.exp(shifter + p.mt_sd * rng.standard_normal(n)), p.mt_control, p.baseline_gap_mt)
    fa0 = calibrate(mt0 * np.exp(p.fa_ratio_sd * rng.standard_normal(n)), p.mt_control * p.fa_ratio,
                    p.baseline_gap_fa)
    fees0 = (fa0 / fa0[~treated].mean()) ** p.fees_activity_elasticity * np.exp(p.fees_sd * rng.standard_normal(n))
    fees0 *= p.fees_control / fees0[~treated].mean()

    # Paths, additive in levels so that parallel trends hold in levels (the scale of the DiD estimates):
    # Y0_it = base_i · (1 + slope_i·dt + u_it) + common_t + differential trends, with common_t the comparison
    # group's mean growth (log-linear trend) and u_it AR(1) proportional shocks.
    dt = (years - p.reference_year)[None, :].astype(float)  # (1, T)

    def path(level0: np.ndarray, mean_ctrl: float, trend: float) -> np.ndarray:
        slope = p.gp_slope_sd * rng.standard_normal(n)
        u = np.empty((n, T))
        u[:, 0] = rng.standard_normal(n) * p.shock_sd / np.sqrt(1 - p.shock_rho ** 2)
        for t in range(1, T):  # loop over years, vectorised over GPs
            u[:, t] = p.shock_rho * u[:, t - 1] + p.shock_sd * rng.standard_normal(n)
        common = mean_ctrl * (np.exp(trend * dt) - 1)
        extra = mean_ctrl * (p.trend_gap_rural * rural + p.trend_gap_msp * treated)[:, None] * dt
        return level0[:, None] * (1 + slope[:, None] * dt + u) + common + extra

    y0 = {"patients_mt": path(mt0, p.mt_control, p.trend_mt),
          "file_active": path(fa0, p.mt_control * p.fa_ratio, p.trend_fa),
          "fees": path(fees0, p.fees_control, p.trend_fees)}

    # Planted effects.
    e = np.where(treated[:, None], years[None, :] - cohort[:, None], -1)
    mult = np.asarray(p.effect_rurality, dtype=float)[rur]
    ramp = np.append(np.asarray(p.ramp, dtype=float), 1.0)  # share of the long-run effect: p.ramp, then 1
    tau_shape = np.where(e >= 0, ramp[np.clip(e, 0, len(p.ramp))], 0.0) * mult[:, None]
    tau = {k: effect * tau_shape for k, effect in zip(OUTCOMES, (p.effect_mt, p.effect_fa, p.effect_fees))}

    out = {k: np.clip(np.rint(y0[k] + tau[k]), 0, None).astype(np.int64) for k in ("patients_mt", "file_active")}
    out["fees"] = np.round(np.clip(y0["fees"] + tau["fees"], 0, None), 0)

    width = max(5, len(str(n)))
    gp_ids = np.char.add("MG", np.char.zfill(np.arange(1, n + 1).astype(str), width))
    dept = np.asarray(DEPARTMENTS)[rng.integers(0, len(DEPARTMENTS), size=n)]
    msp_year = pd.array(np.repeat(np.where(treated, cohort, np.nan), T), dtype="Int64")
    df = pd.DataFrame({
        "gp_id": np.repeat(gp_ids, T),
        "year": np.tile(years, n).astype(np.int64),
        "patients_mt": out["patients_mt"].ravel(),
        "file_active": out["file_active"].ravel(),
        "fees": out["fees"].ravel(),
        "age": (age_ref[:, None] + dt).ravel(),
        "female": np.repeat(female, T).astype(np.int64),
        "rurality": np.repeat(np.asarray(RURALITY)[rur], T),
        "department": np.repeat(dept, T),
        "msp_year": msp_year,
    })
    df.attrs["params"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(p).items()}
    df.attrs["seed"] = seed
    df.attrs["truth"] = _truth(df, {k: tau[k].ravel() for k in OUTCOMES})
    # Parallel trends hold by construction (unconditionally) unless a differential trend was planted.
    df.attrs["truth"]["parallel_trends"] = bool(p.trend_gap_rural == 0 and p.trend_gap_msp == 0)
    return df


def _truth(df: pd.DataFrame, tau: dict[str, np.ndarray]) -> dict:
    """The planted ATTs, aggregated like Callaway–Sant'Anna (obs-weighted means of unit effects over cells)."""
    g = df["msp_year"].to_numpy(dtype=float, na_value=np.nan)
    yr = df["year"].to_numpy()
    post = ~np.isnan(g) & (yr >= g)
    pre_treated = ~np.isnan(g) & (yr == g - 1)  # last pre-entry year (as evalkit's CSResult.pre_mean)
    # CSResult.pre_mean weights each GP's pre-entry level by its number of post-entry years (the simple ATT's
    # weights): the same here, one weight per GP
    n_post = pd.Series(post).groupby(df["gp_id"].to_numpy()).transform("sum").to_numpy()
    e = np.where(post, yr - np.nan_to_num(g), -1)
    out: dict = {"simple": {}, "percent": {}, "pre_mean_treated": {}, "dynamic": {}, "group": {}, "rurality": {},
                 "rurality_percent": {}, "n_treated": int(df.loc[~np.isnan(g), "gp_id"].nunique())}
    rur = df["rurality"].to_numpy()
    for k, t in tau.items():
        tp = pd.Series(t[post])
        out["pre_mean_treated"][k] = pre_mean = float(np.average(df.loc[pre_treated, k], weights=n_post[pre_treated]))
        out["simple"][k] = simple = float(tp.mean()) if post.any() else 0.0
        out["percent"][k] = 100 * simple / pre_mean
        out["dynamic"][k] = {int(a): float(b) for a, b in tp.groupby(e[post]).mean().items()}
        out["group"][k] = {int(a): float(b) for a, b in tp.groupby(g[post]).mean().items()}
        out["rurality"][k] = {str(a): float(b) for a, b in tp.groupby(rur[post]).mean().items()}
        wy = df.loc[pre_treated, k] * n_post[pre_treated]
        pm = wy.groupby(df.loc[pre_treated, "rurality"]).sum() / \
            pd.Series(n_post[pre_treated], index=wy.index).groupby(df.loc[pre_treated, "rurality"]).sum()
        out["rurality_percent"][k] = {r: 100 * v / float(pm[r]) for r, v in out["rurality"][k].items() if r in pm}
    return out


def truth(df: pd.DataFrame) -> dict:
    """The planted truth of a table made by :func:`simulate` (``KeyError`` for data that were not simulated)."""
    if "truth" not in df.attrs:
        raise KeyError("no planted truth: this table was not produced by evalkit.simulate.msp.simulate")
    return df.attrs["truth"]


def calibration(df: pd.DataFrame, p: MSPParams | None = None) -> pd.DataFrame:
    """Calibration targets (published value, source) vs what the simulated table achieves.

    Profile gaps are measured in the reference year (future MSP GPs vs never-MSP GPs); effects are the planted simple
    ATTs (:func:`truth`).
    """
    p = p or params(**df.attrs.get("params", {}))
    ref = df[df["year"] == p.reference_year]
    msp = ref["msp_year"].notna()
    tr = truth(df)
    q258 = "Irdes QES 258 (2021) ; Cassou, Mousquès, Franc (2020)"

    def share(mask, col, val):
        return 100 * (ref.loc[mask, col] == val).mean()

    rows = [
        ("Part de ruraux, MSP (%)", 100 * p.rural_msp, share(msp, "rurality", "rural"), q258),
        ("Part de ruraux, témoins (%)", 100 * p.rural_control, share(~msp, "rurality", "rural"), q258),
        ("Part de périurbains, MSP (%)", 100 * p.periurban_msp, share(msp, "rurality", "periurban"), q258),
        ("Part de périurbains, témoins (%)", 100 * p.periurban_control, share(~msp, "rurality", "periurban"), q258),
        ("Âge moyen, MSP", p.age_msp, ref.loc[msp, "age"].mean(), q258),
        ("Âge moyen, témoins", p.age_control, ref.loc[~msp, "age"].mean(), q258),
        ("Part de femmes, MSP (%)", 100 * p.female_msp, 100 * ref.loc[msp, "female"].mean(), q258),
        ("Part de femmes, témoins (%)", 100 * p.female_control, 100 * ref.loc[~msp, "female"].mean(), q258),
        ("Patientèle MT avant l'entrée, écart MSP/témoins (%)", 100 * p.baseline_gap_mt,
         100 * (ref.loc[msp, "patients_mt"].mean() / ref.loc[~msp, "patients_mt"].mean() - 1), q258),
        ("File active avant l'entrée, écart MSP/témoins (%)", 100 * p.baseline_gap_fa,
         100 * (ref.loc[msp, "file_active"].mean() / ref.loc[~msp, "file_active"].mean() - 1), q258),
        ("Effet sur la patientèle MT (patients)", 90.0, tr["simple"]["patients_mt"], "HCAAM 2022, note 43 ; " + q258),
        ("Effet sur la patientèle MT (%)", 10.0, tr["percent"]["patients_mt"], "HCAAM 2022, note 43"),
        ("Effet sur la file active (patients)", 88.5, tr["simple"]["file_active"], q258),
        ("Effet sur les honoraires (euros)", 2091.0, tr["simple"]["fees"], q258),
        ("Effet sur les honoraires (%)", 2.5, tr["percent"]["fees"], q258),
    ]
    return pd.DataFrame(rows, columns=["cible", "publié", "simulé", "source"])


__all__ = ["MSPParams", "NATIONAL_SCALE", "OUTCOMES", "calibration", "params", "simulate", "truth"]
