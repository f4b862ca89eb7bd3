"""Power and minimum detectable effect (MDE) of the estimator the studies actually report.

The headline of every study is the simple ATT of Callaway & Sant'Anna (2021) with never-treated controls and a
*varying* base period: each post-treatment ATT(g, t) compares period t with the single period g − 1 (m = 1
pre-period, not the mean of all pre-periods), and the ATT(g, t) are averaged with cohort-size weights. Two tools
describe its power:

**Simulation on the real design** (:func:`power_design`, ``evalkit power --data``). Placebo adoption dates are drawn
among the never-treated units with the observed cohort structure, a known effect is added to the placebo-treated
units' post-periods, the headline estimator is refitted, and the rejection rate of « no effect » (two-sided Wald test
with the SE the estimator reports) is read at each effect; the MDE is where it reaches the target power. No model of
the outcome is assumed: the never-treated units' own serial correlation, heteroskedasticity and drifts are used.

**Analytic approximation** (:func:`power_mde`, :func:`power_n`, :func:`cs_variance`), for planning without data:
Burlig, Preonas & Woerman (2020) for the CS contrast (m = 1 base period, r post-periods per cohort) with serially
correlated errors. With contrast vector ``a_g`` of cohort g (``+w_g`` at each post-period, ``−r_g w_g`` at g − 1,
``w_g = n_g / Σ_h n_h r_h``, the cohort-size weights of the simple ATT) and ``Γ`` the covariance of one unit's
outcomes across periods::

    Var(ATT_simple) = Σ_g a_g' Γ a_g / n_g  +  (Σ_g a_g)' Γ (Σ_g a_g) / N_C .

This is the exact variance of the CS simple ATT without covariates when the cohort weights are known (their
estimation adds a term proportional to the spread of the ATT(g, t), nil under a constant effect). Γ is either the
covariance estimated on never-treated units (:func:`evalkit.planning.autocovariance`) or the model
``y_it = a_i + l_t + e_it`` with ``e`` a stationary AR(1) of SD σ and autocorrelation ρ (``model="ar1"``, the default:
``Γ_st = σ² ρ^|s−t|`` plus unit effects, which cancel). MDE = (z_{1−α/2} + z_{power}) · SE.

The old formula (diff-diff ``compute_mde``: a 2×2 DiD on the means of all m pre- and r post-periods with
equicorrelated errors, Var = σ²(1/N_T + 1/N_C)(1/m + 1/r)(1 − ρ)) is kept as ``model="equicorrelated"`` and labelled
as such: it does not describe the CS estimator (it overstates the precision of a varying-base contrast). Every result
carries a ``method`` code and a French ``method_label`` that pages quoting a required sample size must show.
"""

from __future__ import annotations

import math
import time as _time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

METHOD_LABELS = {
    "analytic_cs_ar1": ("calcul analytique : estimateur de Callaway et Sant'Anna (une année de référence), erreurs "
                        "autocorrélées AR(1) (Burlig, Preonas et Woerman, 2020)"),
    "analytic_cs_autocov": ("calcul analytique : estimateur de Callaway et Sant'Anna (une année de référence), "
                            "covariances entre années estimées sur les unités jamais traitées (Burlig, Preonas et "
                            "Woerman, 2020)"),
    "analytic_2x2_equicorrelated": ("calcul analytique : différence de doubles différences 2×2 sur les moyennes "
                                    "avant/après, erreurs équicorrélées (formule simplifiée, qui ne décrit pas "
                                    "l'estimateur de Callaway et Sant'Anna)"),
    "simulation_placebo_cs": ("simulation sur le plan d'étude réel : dates d'entrée fictives tirées parmi les unités "
                              "jamais traitées, estimateur de Callaway et Sant'Anna réestimé à chaque tirage"),
}


def _z(alpha: float, power: float) -> float:
    return float(norm.ppf(1 - alpha / 2) + norm.ppf(power))


# --- analytic variance of the CS simple ATT -------------------------------------------------------------------


def cs_contrasts(periods: Sequence[float], cohort_sizes: Mapping[float, float]) -> dict[float, np.ndarray]:
    """Contrast vector ``a_g`` (length T) of each cohort in the CS simple ATT (varying base, never-treated controls).

    The simple ATT is ``Σ_g a_g' (ȳ_g − ȳ_C)`` with ``ȳ_g`` the vector of cohort g's period means. ``cohort_sizes``
    maps each first-treated period g to its number (or share) of units; g must lie after the first period (the
    base period is the last period before g) and not after the last one.
    """
    per = np.asarray(sorted(periods), dtype=float)
    t = len(per)
    post_counts = {}
    for g in cohort_sizes:
        if not per[0] < g <= per[-1]:
            raise ValueError(f"cohort {g:g} has no pre-period or no post-period among periods {per[0]:g}–{per[-1]:g}")
        post_counts[g] = int(np.sum(per >= g))
    denom = float(sum(n * post_counts[g] for g, n in cohort_sizes.items()))
    if denom <= 0:
        raise ValueError("no treated unit")
    out = {}
    for g, n in cohort_sizes.items():
        a = np.zeros(t)
        w = n / denom
        a[per >= g] = w
        a[np.flatnonzero(per < g)[-1]] = -post_counts[g] * w
        out[g] = a
    return out


def cs_variance(gamma: np.ndarray | pd.DataFrame, periods: Sequence[float], cohort_sizes: Mapping[float, float],
                n_control: float) -> float:
    """Variance of the CS simple ATT: ``Σ_g a_g'Γa_g / n_g + (Σ_g a_g)'Γ(Σ_g a_g) / N_C`` (see the module docstring).

    Parameters
    ----------
    gamma : (T, T) array
        Covariance of one unit's outcomes across the sorted ``periods`` (treated and controls alike).
    periods : sequence
        The T periods observed.
    cohort_sizes : mapping
        First-treated period → number of units (may be fractional, for planning).
    n_control : float
        Never-treated units.
    """
    g = np.asarray(gamma, dtype=float)
    a = cs_contrasts(periods, cohort_sizes)
    if n_control <= 0 or any(n <= 0 for n in cohort_sizes.values()):
        raise ValueError("every arm needs at least one unit")
    c = sum(a.values())
    return float(sum(v @ g @ v / cohort_sizes[k] for k, v in a.items()) + c @ g @ c / n_control)


def ar1_covariance(n_periods: int, sigma: float, rho: float) -> np.ndarray:
    """``Γ_st = σ² ρ^|s−t|``: covariance of a stationary AR(1) of SD σ and autocorrelation ρ over T periods."""
    if not 0 <= rho < 1:
        raise ValueError(f"rho = {rho} must lie in [0, 1) for a stationary AR(1)")
    k = np.arange(n_periods)
    return sigma**2 * rho ** np.abs(k[:, None] - k[None, :]).astype(float)


# --- analytic planning ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PowerResult:
    """A power calculation: the inputs, the MDE, the required number of units and the achieved power.

    ``method`` says which formula produced it (``analytic_cs_ar1``, ``analytic_cs_autocov`` or the simplified
    ``analytic_2x2_equicorrelated``); :attr:`method_label` is the French sentence a page quoting the number shows.
    ``cohorts`` = (number of pre-periods of the cohort, share of the treated) pairs; with several cohorts ``n_pre`` is
    that of the earliest planned cohort (:func:`power_mde`) or the periods before the size-weighted mean entry period
    (:func:`power_mde_design`). ``sigma, rho``: the AR(1) model's (for ``analytic_cs_autocov``, the AR(1) fitted to
    the estimated covariance — for information; the MDE uses the covariance itself).
    """

    mde: float
    n_units: int
    n_treated: int
    n_control: int
    n_pre: int
    n_post: int
    sigma: float
    rho: float
    alpha: float
    power: float
    method: str = "analytic_cs_ar1"
    cohorts: tuple = ()

    @property
    def std_error(self) -> float:
        """SE of the estimator implied by the design."""
        return self.mde / _z(self.alpha, self.power)

    @property
    def method_label(self) -> str:
        return METHOD_LABELS[self.method]

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{**self.__dict__, "cohorts": str(dict(self.cohorts)), "std_error": self.std_error}])

    summary = table

    def to_rows(self, study: str, outcome: str, unit: str, data: str | None = None) -> list[dict]:
        """The MDE as a results row (estimator ``power_mde`` — ``power_mde_2x2`` for the simplified formula —,
        SE = the design's SE, no CI)."""
        from ..results import make_row

        est = "power_mde_2x2" if self.method == "analytic_2x2_equicorrelated" else "power_mde"
        return [
            make_row(study=study, outcome=outcome, estimator=est, estimate=self.mde,
                     std_error=self.std_error, ci_low=float("nan"), ci_high=float("nan"), unit=unit,
                     n_units=self.n_units, data=data)
        ]


def _periods(n_periods: int, n_pre: int | None) -> tuple[int, int]:
    pre = n_periods // 2 if n_pre is None else n_pre
    if not 0 < pre < n_periods:
        raise ValueError(f"need at least one pre- and one post-period among {n_periods} (n_pre={pre})")
    return pre, n_periods - pre


def _planned_cohorts(n_periods: int, n_pre: int | None, cohorts: Mapping[int, float] | None) -> dict[int, float]:
    """{number of pre-periods: share of the treated}, shares normalised to 1."""
    if cohorts is None:
        pre, _ = _periods(n_periods, n_pre)
        return {pre: 1.0}
    out = {int(k): float(v) for k, v in cohorts.items() if v > 0}
    for k in out:
        _periods(n_periods, k)
    s = sum(out.values())
    if not out or s <= 0:
        raise ValueError("cohorts: give at least one cohort with a positive share")
    return {k: v / s for k, v in out.items()}


def power_mde(
    n_units: int,
    n_periods: int,
    treated_share: float,
    sigma: float,
    rho: float = 0.0,
    alpha: float = 0.05,
    power: float = 0.8,
    n_pre: int | None = None,
    *,
    model: Literal["ar1", "equicorrelated"] = "ar1",
    cohorts: Mapping[int, float] | None = None,
) -> PowerResult:
    """Minimum detectable effect of the CS simple ATT with ``n_units`` units over ``n_periods`` periods.

    Parameters
    ----------
    n_units : int
        Treated + never-treated units.
    n_periods : int
        Periods observed; the treated enter after ``n_pre`` of them (default half).
    treated_share : float
        Share of treated units.
    sigma, rho : float
        ``model="ar1"`` (default): SD and first-order autocorrelation of ``e_it`` in ``y_it = a_i + l_t + e_it``
        (deviation of a unit-period from its unit's level and the period mean; unit effects ``a_i`` cancel).
        ``model="equicorrelated"``: the old 2×2 formula, σ = SD of one unit-period around the period means and
        ρ = correlation between any two periods of the same unit (:func:`evalkit.planning.variance_components`).
    cohorts : mapping, optional
        Staggered entry (AR(1) model only): number of pre-periods of each entry cohort → its share of the treated
        (e.g. ``{3: 0.5, 5: 0.5}``); ``n_pre`` then only sets the reported ``n_pre``.
    """
    n_t = int(round(n_units * treated_share))
    if not 0 < n_t < n_units:
        raise ValueError(f"treated_share={treated_share} leaves an empty arm among {n_units} units")
    n_c = n_units - n_t
    if model == "equicorrelated":
        from diff_diff import compute_mde

        if cohorts is not None:
            raise ValueError("the equicorrelated 2×2 formula has a single entry date: cohorts not supported")
        pre, post = _periods(n_periods, n_pre)
        mde = compute_mde(n_t, n_c, sigma, power=power, alpha=alpha, n_pre=pre, n_post=post, rho=rho)
        return PowerResult(float(mde), n_units, n_t, n_c, pre, post, sigma, rho, alpha, power,
                           "analytic_2x2_equicorrelated", ((pre, 1.0),))
    if model != "ar1":
        raise ValueError(f"model={model!r}: choose 'ar1' or 'equicorrelated'")
    coh = _planned_cohorts(n_periods, n_pre, cohorts)
    pre = n_pre if n_pre is not None else min(coh)
    var = cs_variance(ar1_covariance(n_periods, sigma, rho), range(n_periods), {k: n_t * s for k, s in coh.items()},
                      n_c)
    return PowerResult(float(_z(alpha, power) * np.sqrt(var)), n_units, n_t, n_c, pre, n_periods - pre, sigma, rho,
                       alpha, power, "analytic_cs_ar1", tuple(sorted(coh.items())))


def power_n(
    effect: float,
    n_periods: int,
    treated_share: float,
    sigma: float,
    rho: float = 0.0,
    alpha: float = 0.05,
    power: float = 0.8,
    n_pre: int | None = None,
    *,
    model: Literal["ar1", "equicorrelated"] = "ar1",
    cohorts: Mapping[int, float] | None = None,
) -> PowerResult:
    """Units needed to detect ``effect`` with the given power (same design arguments as :func:`power_mde`).

    AR(1) model: ``N = (z_{1−α/2} + z_{power})² · v / effect²`` with ``v`` the variance of the design with one unit,
    rounded up, then increased until the MDE of the rounded arms is at most ``effect``.
    """
    if effect <= 0:
        raise ValueError("effect must be positive")
    if model == "equicorrelated":
        from diff_diff import compute_sample_size

        pre, _ = _periods(n_periods, n_pre)
        n = int(compute_sample_size(effect, sigma, power=power, alpha=alpha, n_pre=pre, n_post=n_periods - pre,
                                    rho=rho, treat_frac=treated_share))
        return power_mde(n, n_periods, treated_share, sigma, rho, alpha, power, pre, model="equicorrelated")
    if not 0 < treated_share < 1:
        raise ValueError(f"treated_share={treated_share} must lie strictly between 0 and 1")
    coh = _planned_cohorts(n_periods, n_pre, cohorts)
    # N × Var(ATT_simple) under the AR(1) model: the variance of the design with one unit in all
    v = cs_variance(ar1_covariance(n_periods, sigma, rho), range(n_periods),
                    {k: treated_share * s for k, s in coh.items()}, 1 - treated_share)
    n = max(int(math.ceil(_z(alpha, power) ** 2 * v / effect**2)), 2)
    for _ in range(10_000):
        try:
            res = power_mde(n, n_periods, treated_share, sigma, rho, alpha, power, n_pre, cohorts=cohorts)
            if res.mde <= effect:
                return res
        except ValueError:
            pass
        n += 1
    raise ValueError("no sample size found")  # pragma: no cover


def power_mde_design(
    df: pd.DataFrame, *, outcome: str, unit: str, time: str, cohort: str, alpha: float = 0.05, power: float = 0.8,
    gamma: np.ndarray | pd.DataFrame | None = None,
) -> PowerResult:
    """Analytic MDE of the CS simple ATT on an existing design: its periods, cohort sizes and never-treated units,
    with Γ estimated on the never-treated units (``method="analytic_cs_autocov"``). Panel rules as
    :func:`evalkit.estimators.prepare_panel` (balanced, no-pre-period cohorts dropped).
    """
    from .staggered import prepare_panel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        panel, _, _ = prepare_panel(df, outcome, unit, time, cohort)
    return _design_analytic(panel, outcome, unit, time, alpha, power, gamma)


def _design(panel: pd.DataFrame, unit: str, time: str) -> tuple[pd.Series, int, int, np.ndarray]:
    """Units per first-treated period (sorted), never-treated and treated units, sorted periods of a prepared panel."""
    from .staggered import FT

    first = panel.drop_duplicates(unit)
    sizes = first.loc[first[FT] > 0, FT].value_counts().sort_index()
    return sizes, int((first[FT] == 0).sum()), int(sizes.sum()), np.sort(panel[time].unique())


def _design_analytic(panel: pd.DataFrame, outcome: str, unit: str, time: str, alpha: float, power: float,
                     gamma=None) -> PowerResult:
    from ..planning import ar1_fit, autocovariance
    from .staggered import FT

    sizes, n_c, n_t, periods = _design(panel, unit, time)
    if gamma is None:
        gamma = autocovariance(panel[panel[FT] == 0], outcome, unit, time)
    if n_c == 0 or n_t == 0:
        raise ValueError("the design needs treated and never-treated units")
    var = cs_variance(gamma, periods, sizes.to_dict(), n_c)
    fit = ar1_fit(gamma)
    pre = int(np.sum(periods < float(np.average(sizes.index, weights=sizes.to_numpy()))))
    coh = tuple((int(np.sum(periods < g)), float(n / n_t)) for g, n in sizes.items())
    return PowerResult(float(_z(alpha, power) * np.sqrt(var)), n_t + n_c, n_t, n_c, pre, len(periods) - pre,
                       fit["sigma"], fit["rho"], alpha, power, "analytic_cs_autocov", coh)


# --- panels with serially correlated errors ---------------------------------------------------------------------


def ar1_panel(
    n_units: int = 600,
    n_periods: int = 8,
    cohorts: Mapping[int, float] | None = None,
    sigma: float = 1.0,
    rho: float = 0.5,
    sigma_unit: float = 1.0,
    effect: float = 0.0,
    first_year: int = 2010,
    seed: int = 0,
) -> pd.DataFrame:
    """Balanced staggered panel ``unit, year, cohort (NaN = never), y`` with stationary AR(1) errors.

    ``y_it = a_i + 0.3·(t − t_0) + effect·1{t ≥ g_i} + e_it``, ``a_i ~ N(0, sigma_unit²)``, ``e`` a stationary AR(1)
    of SD ``sigma`` and autocorrelation ``rho`` — the model of :func:`power_mde` (``model="ar1"``). ``cohorts`` maps
    a cohort's number of pre-periods to its share of all units (default ``{3: 0.15, 5: 0.15}``); cohort sizes are fixed
    (rounded), assigned to a random permutation of the units.
    """
    rng = np.random.default_rng(seed)
    cohorts = dict(cohorts or {3: 0.15, 5: 0.15})
    years = first_year + np.arange(n_periods)
    g = np.full(n_units, np.nan)
    order = rng.permutation(n_units)
    start = 0
    for pre, share in cohorts.items():
        k = int(round(share * n_units))
        g[order[start:start + k]] = years[pre]
        start += k
    e = np.empty((n_units, n_periods))
    e[:, 0] = rng.normal(0, sigma, n_units)
    innov = rng.normal(0, sigma * np.sqrt(1 - rho**2), (n_units, n_periods))
    for t in range(1, n_periods):
        e[:, t] = rho * e[:, t - 1] + innov[:, t]
    a = rng.normal(0, sigma_unit, n_units)
    post = years[None, :] >= np.nan_to_num(g, nan=np.inf)[:, None]
    y = a[:, None] + 0.3 * (years - years[0])[None, :] + effect * post + e
    return pd.DataFrame({"unit": np.repeat(np.arange(n_units), n_periods), "year": np.tile(years, n_units),
                         "cohort": np.repeat(g, n_periods), "y": y.ravel()})


# --- simulation on the real design --------------------------------------------------------------------------------


def rejection_rate(estimates: np.ndarray, std_errors: np.ndarray, effects: Sequence[float] | np.ndarray,
                   alpha: float = 0.05) -> np.ndarray:
    """Share of draws rejecting « no effect » (two-sided Wald test, normal critical value) once ``effect`` is added
    to each draw's estimate — valid when adding a constant effect shifts the estimate by exactly that effect and
    leaves its SE unchanged (checked by :func:`power_design`)."""
    est = np.asarray(estimates, float)[None, :]
    se = np.asarray(std_errors, float)[None, :]
    eff = np.asarray(effects, float)[:, None]
    return np.mean(np.abs(est + eff) > norm.ppf(1 - alpha / 2) * se, axis=1)


def mde_from_draws(estimates: np.ndarray, std_errors: np.ndarray, alpha: float = 0.05, power: float = 0.8,
                   n_grid: int = 4001) -> float:
    """Smallest positive effect whose rejection rate reaches ``power``, read off the draws at effect 0.

    The rejection curve is evaluated on a fine grid (0 to 10 × the largest SE … ) and linearly interpolated between
    the two grid points around the crossing. NaN if the target is never reached on the grid.
    """
    est = np.asarray(estimates, float)
    se = np.asarray(std_errors, float)
    ok = np.isfinite(est) & np.isfinite(se)
    est, se = est[ok], se[ok]
    if len(est) == 0:
        return float("nan")
    hi = float(np.max(np.abs(est)) + (norm.ppf(1 - alpha / 2) + norm.ppf(max(power, 0.5)) + 4) * np.max(se))
    grid = np.linspace(0.0, hi, n_grid)
    p = rejection_rate(est, se, grid, alpha)
    above = np.flatnonzero(p >= power)
    if len(above) == 0:
        return float("nan")
    i = int(above[0])
    if i == 0:
        return 0.0
    x0, x1, p0, p1 = grid[i - 1], grid[i], p[i - 1], p[i]
    return float(x0 + (power - p0) * (x1 - x0) / (p1 - p0))


@dataclass
class DesignPowerResult:
    """Simulation-based power of the headline estimator on a real design (:func:`power_design`).

    Attributes
    ----------
    mde, mde_mc_se : float
        MDE at the target power on the real design, and its Monte Carlo SE (bootstrap over the simulations).
    size, size_mc_se : float
        Rejection rate at effect 0 (should be close to ``alpha``) and its binomial Monte Carlo SE.
    curve : DataFrame
        ``effect, power, mc_se``: rejection rate at each effect of the grid, on the real design (the effects are
        those of the placebo design multiplied by :attr:`scale`).
    draws : DataFrame
        ``sim, estimate, std_error`` of the placebo fits at effect 0 (placebo design units).
    placebo_cohorts, cohorts : dict
        First-treated period → units, in the placebo design and in the real one.
    scale : float
        Ratio of the real design's SE to the placebo design's (analytic, same Γ): effects and MDE of the placebo
        design multiplied by it describe the real design.
    reference_estimate, reference_se : float
        The headline estimator on the real data, and its SE: ``mde_from_se`` = (z_{1−α/2} + z_power) × that SE is the
        MDE the reported SE implies — an independent check of :attr:`mde`.
    analytic : PowerResult
        The analytic MDE of the real design (Γ estimated on the never-treated units).
    shift : str
        ``"checked"``: refitting the first draw with an effect added shifted the estimate by exactly that effect (SE
        unchanged), so rejection rates at every effect come from the draws at effect 0; ``"assumed"``: not checked
        (``check_shift=False``); ``"refitted"``: the shift was not exact and every effect was refitted.
    engine : str
        ``"diff-diff"``: the draws were fitted by diff-diff's ``CallawaySantAnna`` simple ATT alone, after checking on
        the first draw that it equals evalkit's :func:`~evalkit.estimators.callaway_santanna` (to 1e-9); ``"evalkit"``:
        by evalkit's function (a custom estimator, settings the shortcut does not reproduce, or a failed check).
    """

    mde: float
    mde_mc_se: float
    size: float
    size_mc_se: float
    curve: pd.DataFrame
    draws: pd.DataFrame
    n_sims: int
    alpha: float
    power: float
    seed: int
    n_units: int
    n_treated: int
    n_control: int
    n_periods: int
    cohorts: dict
    placebo_cohorts: dict
    n_pool: int
    scale: float
    reference_estimate: float
    reference_se: float
    analytic: PowerResult
    shift: str
    elapsed: float
    notes: list[str] = field(default_factory=list)
    engine: str = "evalkit"
    method: str = "simulation_placebo_cs"

    @property
    def method_label(self) -> str:
        return METHOD_LABELS[self.method]

    @property
    def mde_from_se(self) -> float:
        return _z(self.alpha, self.power) * self.reference_se

    def power_at(self, effect: float) -> float:
        """Rejection rate at ``effect`` (real-design units): from the draws when the shift was exact, otherwise
        interpolated on :attr:`curve`."""
        if self.shift != "refitted":
            d = self.draws
            return float(rejection_rate(d["estimate"], d["std_error"], [effect / self.scale], self.alpha)[0])
        return float(np.interp(effect, self.curve["effect"], self.curve["power"]))

    def table(self) -> pd.DataFrame:
        return self.curve.copy()

    def summary(self) -> pd.DataFrame:
        """The three MDEs side by side: simulated (this design), analytic (estimated Γ), implied by the reported SE."""
        return pd.DataFrame([
            {"method": self.method, "mde": self.mde, "mc_se": self.mde_mc_se},
            {"method": self.analytic.method, "mde": self.analytic.mde, "mc_se": float("nan")},
            {"method": "reported_se", "mde": self.mde_from_se, "mc_se": float("nan")},
        ])

    def to_rows(self, study: str, outcome: str, unit: str, data: str | None = None) -> list[dict]:
        """Results rows: ``power_mde_sim`` (estimate = simulated MDE, SE = its Monte Carlo SE, no CI) and the
        analytic ``power_mde``."""
        from ..results import make_row

        return [
            make_row(study=study, outcome=outcome, estimator="power_mde_sim", estimate=self.mde,
                     std_error=self.mde_mc_se, ci_low=float("nan"), ci_high=float("nan"), unit=unit,
                     n_units=self.n_units, data=data),
            *self.analytic.to_rows(study, outcome, unit, data=data),
        ]


_FAST_KEYS = {"control_group", "est_method", "covariates", "pscore_trim", "base_period", "anticipation"}


def _cs_estimator(fit_kwargs: Mapping[str, Any]) -> Callable[..., tuple[float, float]]:
    """evalkit's :func:`~evalkit.estimators.callaway_santanna`, simple ATT and its SE."""
    from .staggered import callaway_santanna

    kw = {"control_group": "never_treated", "est_method": "dr", **fit_kwargs}

    def fit(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str) -> tuple[float, float]:
        r = callaway_santanna(data, outcome, unit, time, cohort, **kw)
        return float(r.simple.estimate), float(r.simple.std_error)

    return fit


def _cs_simple_only(fit_kwargs: Mapping[str, Any]) -> Callable[..., tuple[float, float]] | None:
    """The same simple ATT computed by diff-diff's ``CallawaySantAnna`` alone (what evalkit's engine wraps), without
    the other aggregations evalkit adds — ≈ 10× faster on the bundled msp design. For panels already prepared (balanced,
    cohort 0 = never treated, baseline covariates); :func:`power_design` checks it equals
    :func:`~evalkit.estimators.callaway_santanna` on the first draw and falls back to the latter otherwise. None when
    a setting it does not reproduce is asked for (weights, clusters, bootstrap)."""
    if not set(fit_kwargs) <= _FAST_KEYS:
        return None
    from diff_diff import CallawaySantAnna

    kw = {"control_group": "never_treated", "est_method": "dr", "pscore_trim": 0.01, "base_period": "varying",
          "anticipation": 0, **fit_kwargs}
    covariates = list(kw.pop("covariates", None) or []) or None

    def fit(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str) -> tuple[float, float]:
        est = CallawaySantAnna(control_group=kw["control_group"], anticipation=kw["anticipation"],
                               estimation_method=kw["est_method"], n_bootstrap=0, base_period=kw["base_period"],
                               pscore_trim=kw["pscore_trim"])
        raw = est.fit(data, outcome=outcome, unit=unit, time=time, first_treat=cohort, covariates=covariates)
        row = raw.aggregate("simple").to_dataframe().iloc[0]
        return float(row["att"]), float(row["se"])

    return fit


def _nice_grid(top: float, steps: int = 8) -> np.ndarray:
    """0, h, 2h, … up to ``top`` with h a round number (1, 2 or 5 × 10^k) close to top / steps."""
    raw = top / steps
    mag = 10 ** math.floor(math.log10(raw))
    h = min((m * mag for m in (1, 2, 2.5, 5, 10)), key=lambda x: abs(x - raw))
    return np.round(np.arange(0, top + h / 2, h), 12)


def _placebo_sizes(sizes: pd.Series, n_pool: int, n_real: int) -> dict:
    """Cohort sizes × n_pool / n_real, rounded by largest remainder (total = round(N_T · n_pool / n_real)), each
    cohort kept with at least one unit."""
    f = n_pool / n_real
    raw = sizes.to_numpy(float) * f
    total = int(round(raw.sum()))
    base = np.floor(raw).astype(int)
    rest = total - base.sum()
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:max(rest, 0)]] += 1
    base = np.maximum(base, 1)
    return {float(g): int(n) for g, n in zip(sizes.index, base)}


def power_design(
    df: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    estimator: str | Callable[..., tuple[float, float]] = "callaway_santanna",
    fit_kwargs: Mapping[str, Any] | None = None,
    effects: Sequence[float] | None = None,
    n_sims: int = 200,
    alpha: float = 0.05,
    power: float = 0.8,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    check_shift: bool = True,
) -> DesignPowerResult:
    """Power of the headline estimator on the real design, by placebo simulation among the never-treated units.

    Design. The panel is prepared as for the estimator (balanced, see :func:`evalkit.estimators.prepare_panel`):
    N = N_T + N_C units, cohort sizes n_g. Placebo designs are drawn from the N_C never-treated units only (their
    outcomes carry no treatment effect): a random set of them gets placebo first-treated periods with the observed
    cohort structure, the others stay controls. Since N_C < N, the cohort sizes are scaled by N_C / N (shares of
    every cohort and of the controls kept; largest-remainder rounding, at least one unit per cohort), and effects and
    MDE are mapped back to the real design by :attr:`DesignPowerResult.scale` = SE(real) / SE(placebo) from
    :func:`cs_variance` with the covariance Γ estimated on the never-treated units (≈ √(N_C / N); the ratio, not Γ's
    level, is what is used).

    Effect. A constant effect δ is added to the placebo-treated units' outcomes from their placebo date on (shape:
    constant in time and across cohorts; the true simple ATT is δ). Adding a constant shifts the estimate by δ and
    leaves its SE unchanged for the CS estimator (its influence functions are centred within each arm), so each
    placebo design is fitted once and the rejection rates at every δ follow from the (estimate, SE) draws; with
    ``check_shift`` the first draw is refitted with the largest effect of the grid added to the outcome, and if the
    shift is not exact every effect is refitted on every draw.

    What it assumes. The treated units would vary like the never-treated ones and the effect is the same for all:
    the simulated power is that of the design under a constant effect. When the actual effects differ across treated
    units (e.g. proportional to their level), the SE the estimator reports on the real data also carries that spread
    and :attr:`~DesignPowerResult.mde_from_se` exceeds the simulated MDE (bundled assistants data: ≈ 1.5×); when the
    treated units are less variable than the controls, the other way round. Compare the two
    (``evalkit power`` prints a warning beyond ±15 %).

    Speed. With the default estimator the draws are fitted by diff-diff's ``CallawaySantAnna`` simple ATT alone (the
    computation evalkit's engine wraps, without the other aggregations it adds), once it has been checked on the first
    draw to give evalkit's estimate and SE (``engine`` in the result); about 10 s for 200 draws on the bundled msp
    design (5,000 GPs × 15 years) against ≈ 0.3–0.5 s per draw through the full evalkit fit.

    Parameters
    ----------
    df : DataFrame
        The study panel (treated and never-treated units).
    outcome, unit, time, cohort : str
        Column names (``cohort`` = first treated period, NaN/0 = never).
    estimator : "callaway_santanna" or callable
        Default: evalkit's :func:`~evalkit.estimators.callaway_santanna`, simple ATT, with ``fit_kwargs`` (default
        never-treated controls, doubly robust, no covariates — the study headline's settings; pass
        ``fit_kwargs={"covariates": [...]}`` for a conditional design). A callable
        ``f(data, outcome, unit, time, cohort) -> (estimate, std_error)`` replaces it (``data``: the never-treated
        units' balanced panel, integer unit codes, ``cohort`` = the placebo first-treated period, 0 = never).
    effects : sequence of float, optional
        Effects (real-design units) at which to report the rejection rate; default 0 to ≈ 2 × MDE in round steps.
    n_sims : int
        Placebo designs drawn.
    alpha, power : float
        Test level (two-sided) and target power.
    seed : int
        Seed of the placebo draws and of the Monte Carlo bootstrap.
    progress : callable, optional
        ``progress(done, total)`` after each draw.

    Returns
    -------
    DesignPowerResult
    """
    from ..planning import autocovariance
    from .staggered import FT, prepare_panel

    t0 = _time.monotonic()
    fit_kwargs = dict(fit_kwargs or {})
    covariates = list(fit_kwargs.get("covariates") or [])
    fit = _cs_estimator(fit_kwargs) if estimator == "callaway_santanna" else estimator
    if not callable(fit):
        raise ValueError(f"estimator={estimator!r}: give 'callaway_santanna' or a callable")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        panel, notes, _ = prepare_panel(df, outcome, unit, time, cohort, covariates)
        ref_est, ref_se = fit(df, outcome, unit, time, cohort)
    sizes, n_c, n_t, periods = _design(panel, unit, time)
    if n_t == 0:
        raise ValueError("no treated unit in the data: the design has no cohort to reproduce")
    n_real = n_t + n_c
    placebo = _placebo_sizes(sizes, n_c, n_real)
    n_ctrl_placebo = n_c - sum(placebo.values())
    if n_ctrl_placebo < 2:
        raise ValueError(f"only {n_c} never-treated units: too few to draw placebo cohorts and keep controls")

    # never-treated panel, integer-coded units, one row per unit-period in (unit, time) order
    never = panel[panel[FT] == 0].drop(columns=[FT, cohort]).sort_values([unit, time]).reset_index(drop=True)
    gamma = autocovariance(never, outcome, unit, time)
    analytic = _design_analytic(panel, outcome, unit, time, alpha, power, gamma)
    scale = float(np.sqrt(cs_variance(gamma, periods, {float(g): n for g, n in sizes.items()}, n_c)
                          / cs_variance(gamma, periods, placebo, n_ctrl_placebo)))
    never[unit] = pd.factorize(never[unit], sort=True)[0]
    n_per = len(periods)
    y0 = never[outcome].to_numpy(float)
    tvals = never[time].to_numpy()
    labels = np.repeat(np.array(list(placebo), dtype=float), list(placebo.values()))
    pcol = "_placebo_cohort"
    rng = np.random.default_rng(seed)
    fast = _cs_simple_only(fit_kwargs) if estimator == "callaway_santanna" else None
    engine = "evalkit"

    def draw() -> np.ndarray:  # placebo first-treated period of each row, 0 = never treated
        g = np.zeros(n_c)
        g[rng.permutation(n_c)[: len(labels)]] = labels
        return np.repeat(g, n_per)

    def one(g_rows: np.ndarray, delta: float, f: Callable | None = None) -> tuple[float, float]:
        d = never.copy()
        d[pcol] = g_rows
        if delta:
            d[outcome] = y0 + delta * ((g_rows > 0) & (tvals >= g_rows))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return (f or fit)(d, outcome, unit, time, pcol)

    est, se = np.empty(n_sims), np.empty(n_sims)
    refit: dict[float, np.ndarray] | None = None
    shift = "assumed"
    for s in range(n_sims):
        g_rows = draw()
        if s == 0 and fast is not None:  # the simple-only fit must give evalkit's numbers exactly, or is not used
            e_full = one(g_rows, 0.0)
            try:
                e_fast = one(g_rows, 0.0, fast)
            except Exception:  # noqa: BLE001 (any failure of the shortcut: keep evalkit's fit)
                e_fast = (np.nan, np.nan)
            if np.allclose(e_fast, e_full, rtol=1e-9, atol=0):
                fit, engine = fast, "diff-diff"
            else:
                notes.append("diff-diff's simple ATT differs from evalkit's on this design: evalkit used")
            est[s], se[s] = e_full
        else:
            try:
                est[s], se[s] = one(g_rows, 0.0)
            except (ValueError, np.linalg.LinAlgError, RuntimeError):
                est[s], se[s] = np.nan, np.nan
        if s == 0 and check_shift:
            probe = max((abs(float(e)) for e in effects), default=0.0) / scale if effects is not None else 0.0
            probe = probe if probe > 0 else 4.0 * se[0]
            e1, s1 = one(g_rows, probe)
            exact = bool(np.isclose(e1 - est[0], probe, rtol=1e-6, atol=1e-9 * max(abs(probe), 1))
                         and np.isclose(s1, se[0], rtol=1e-6))
            shift = "checked" if exact else "refitted"
            if not exact:
                notes.append("adding a constant effect does not shift this estimator exactly: every effect refitted")
                eff_placebo = (np.asarray(effects, float) / scale if effects is not None
                               else np.linspace(0, 8 * se[0], 17))
                refit = {float(e): np.empty((n_sims, 2)) for e in eff_placebo}
        if refit is not None:
            for e in refit:
                refit[e][s] = (est[s], se[s]) if e == 0 else one(g_rows, e)
        if progress is not None:
            progress(s + 1, n_sims)

    z_crit = norm.ppf(1 - alpha / 2)
    boot = np.random.default_rng([seed, 1])
    ok = np.isfinite(est) & np.isfinite(se) & (se > 0)
    if not ok.all():
        notes.append(f"{int((~ok).sum())} of {n_sims} placebo fits failed and were left out")
    n_ok = int(ok.sum())
    if n_ok < 2:
        raise ValueError("the estimator failed on (almost) every placebo design")
    if refit is None:
        est_ok, se_ok = est[ok], se[ok]
        mde_p = mde_from_draws(est_ok, se_ok, alpha, power)
        idx = boot.integers(0, n_ok, size=(500, n_ok))
        mde_b = np.array([mde_from_draws(est_ok[i], se_ok[i], alpha, power, n_grid=1001) for i in idx])
        mde, mde_mc = mde_p * scale, float(np.nanstd(mde_b, ddof=1)) * scale
        if effects is None:
            effects = _nice_grid(2 * mde) if np.isfinite(mde) and mde > 0 else np.array([0.0])
        eff = np.asarray(effects, float)
        pw = rejection_rate(est_ok, se_ok, eff / scale, alpha)
    else:
        eff_p = np.array(sorted(refit))
        pw_p = np.array([np.mean(np.abs(refit[e][ok, 0]) > z_crit * refit[e][ok, 1]) for e in eff_p])
        above = np.flatnonzero(pw_p >= power)
        if len(above) and above[0] > 0:
            i = above[0]
            mde_p = eff_p[i - 1] + (power - pw_p[i - 1]) * (eff_p[i] - eff_p[i - 1]) / (pw_p[i] - pw_p[i - 1])
            slope = (pw_p[i] - pw_p[i - 1]) / (eff_p[i] - eff_p[i - 1])
            mde_mc = float(np.sqrt(power * (1 - power) / n_ok) / slope) * scale
        else:
            mde_p, mde_mc = float("nan"), float("nan")
        mde = float(mde_p) * scale
        eff, pw = eff_p * scale, pw_p
    size = float(np.mean(np.abs(est[ok]) > z_crit * se[ok]))
    curve = pd.DataFrame({"effect": eff, "power": pw, "mc_se": np.sqrt(pw * (1 - pw) / n_ok)})
    draws = pd.DataFrame({"sim": np.arange(n_sims), "estimate": est, "std_error": se})
    return DesignPowerResult(
        mde=float(mde), mde_mc_se=float(mde_mc), size=size, size_mc_se=float(np.sqrt(size * (1 - size) / n_ok)),
        curve=curve, draws=draws, n_sims=n_sims, alpha=alpha, power=power, seed=seed, n_units=n_real, n_treated=n_t,
        n_control=n_c, n_periods=n_per, cohorts={float(g): int(n) for g, n in sizes.items()},
        placebo_cohorts=placebo, n_pool=n_c, scale=scale, reference_estimate=float(ref_est),
        reference_se=float(ref_se), analytic=analytic, shift=shift,
        elapsed=float(_time.monotonic() - t0), notes=list(notes), engine=engine,
    )


# --- the old check of the equicorrelated 2×2 formula ---------------------------------------------------------------


def equicorrelated_panel(
    n_units: int,
    n_periods: int,
    treatment_effect: float,
    treatment_fraction: float,
    treatment_period: int,
    noise_sd: float = 1.0,
    rho: float = 0.0,
    seed: int | None = None,
) -> pd.DataFrame:
    """Panel satisfying the equicorrelated 2×2 formula: unit effect (variance ρσ²) + noise ((1−ρ)σ²) + year trend,
    σ = ``noise_sd`` the total residual SD (argument names are those diff-diff's ``simulate_power`` passes).

    Columns follow diff-diff's simulation convention: ``unit, period, treated, post, outcome``.
    """
    rng = np.random.default_rng(seed)
    n_t = int(round(n_units * treatment_fraction))
    treated = np.r_[np.ones(n_t), np.zeros(n_units - n_t)]
    unit_fx = rng.normal(0, np.sqrt(rho) * noise_sd, n_units)
    period = np.arange(n_periods)
    post = (period >= treatment_period).astype(float)
    y = (
        unit_fx[:, None]
        + 0.3 * period[None, :]
        + treatment_effect * treated[:, None] * post[None, :]
        + rng.normal(0, np.sqrt(1 - rho) * noise_sd, (n_units, n_periods))
    )
    return pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n_units), n_periods),
            "period": np.tile(period, n_units),
            "treated": np.repeat(treated, n_periods).astype(int),
            "post": np.tile(post, n_units).astype(int),
            "outcome": y.ravel(),
        }
    )


def power_simulate(
    effect: float,
    n_units: int,
    n_periods: int,
    treated_share: float,
    sigma: float,
    rho: float = 0.0,
    alpha: float = 0.05,
    n_pre: int | None = None,
    n_simulations: int = 500,
    seed: int = 0,
) -> float:
    """Share of simulated 2×2 studies (DiD regression on all pre/post periods, SE clustered by unit) rejecting no
    effect, on :func:`equicorrelated_panel` — checks ``power_mde(model="equicorrelated")`` only, on data built to
    satisfy its own assumptions (circular; :func:`power_design` is the check of the estimator the studies report).
    """
    from diff_diff import DifferenceInDifferences, simulate_power

    pre, _ = _periods(n_periods, n_pre)
    res = simulate_power(
        DifferenceInDifferences(cluster="unit"), n_units=n_units, n_periods=n_periods, treatment_effect=effect,
        treatment_fraction=treated_share, treatment_period=pre, sigma=sigma, n_simulations=n_simulations,
        alpha=alpha, seed=seed, data_generator=equicorrelated_panel, data_generator_kwargs={"rho": rho},
        progress=False,
    )
    return float(res.power)
