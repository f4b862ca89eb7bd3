"""Power and minimum detectable effect (MDE) for an evaluator planning a DiD study (diff-diff power tools).

Analytic formulas (diff-diff ``compute_mde`` / ``compute_sample_size``, Burlig, Preonas & Woerman 2020, equicorrelated
case): Var(DiD) = σ² (1/N_T + 1/N_C) (1/m + 1/r) (1 − ρ), with m pre- and r post-periods, σ the total residual SD of
one observation (around the year means and the treatment effect), and ρ the correlation
between two years of the same unit. MDE = (z_{1−α/2} + z_{power}) · SE. :func:`power_simulate` checks a design by
simulation on data that satisfy exactly these assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PowerResult:
    """A power calculation: the inputs, the MDE, the required number of units and the achieved power."""

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

    @property
    def std_error(self) -> float:
        """SE of the DiD estimator implied by the design."""
        from scipy.stats import norm

        return self.mde / (norm.ppf(1 - self.alpha / 2) + norm.ppf(self.power))

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{**self.__dict__, "std_error": self.std_error}])

    summary = table

    def to_rows(self, study: str, outcome: str, unit: str, data: str | None = None) -> list[dict]:
        """The MDE as a results row (estimator ``power_mde``, SE = the design's SE, no CI)."""
        from ..results import make_row

        return [
            make_row(study=study, outcome=outcome, estimator="power_mde", estimate=self.mde,
                     std_error=self.std_error, ci_low=float("nan"), ci_high=float("nan"), unit=unit,
                     n_units=self.n_units, data=data)
        ]


def _split(n_units: int, treated_share: float) -> tuple[int, int]:
    n_t = int(round(n_units * treated_share))
    if not 0 < n_t < n_units:
        raise ValueError(f"treated_share={treated_share} leaves an empty arm among {n_units} units")
    return n_t, n_units - n_t


def _periods(n_periods: int, n_pre: int | None) -> tuple[int, int]:
    pre = n_periods // 2 if n_pre is None else n_pre
    if not 0 < pre < n_periods:
        raise ValueError(f"need at least one pre- and one post-period among {n_periods} (n_pre={pre})")
    return pre, n_periods - pre


def power_mde(
    n_units: int,
    n_periods: int,
    treated_share: float,
    sigma: float,
    rho: float = 0.0,
    alpha: float = 0.05,
    power: float = 0.8,
    n_pre: int | None = None,
) -> PowerResult:
    """Minimum detectable effect of a DiD with ``n_units`` units over ``n_periods`` periods (diff-diff ``compute_mde``).

    Parameters
    ----------
    n_units : int
        Treated + control units.
    n_periods : int
        Periods observed; ``n_pre`` of them before treatment (default half).
    treated_share : float
        Share of treated units.
    sigma : float
        SD of one observation's residual (outcome units).
    rho : float
        Correlation between two periods of the same unit (higher ρ → smaller MDE: differencing removes it).
    """
    from diff_diff import compute_mde

    n_t, n_c = _split(n_units, treated_share)
    pre, post = _periods(n_periods, n_pre)
    mde = compute_mde(n_t, n_c, sigma, power=power, alpha=alpha, n_pre=pre, n_post=post, rho=rho)
    return PowerResult(float(mde), n_units, n_t, n_c, pre, post, sigma, rho, alpha, power)


def power_n(
    effect: float,
    n_periods: int,
    treated_share: float,
    sigma: float,
    rho: float = 0.0,
    alpha: float = 0.05,
    power: float = 0.8,
    n_pre: int | None = None,
) -> PowerResult:
    """Units needed to detect ``effect`` with the given power (diff-diff ``compute_sample_size``)."""
    from diff_diff import compute_sample_size

    pre, post = _periods(n_periods, n_pre)
    n = int(compute_sample_size(effect, sigma, power=power, alpha=alpha, n_pre=pre, n_post=post, rho=rho,
                                treat_frac=treated_share))
    res = power_mde(n, n_periods, treated_share, sigma, rho, alpha, power, pre)
    return res


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
    """Panel satisfying the analytic power formula: unit effect (variance ρσ²) + noise ((1−ρ)σ²) + year trend,
    σ = ``noise_sd`` the total residual SD (argument names are those diff-diff's ``simulate_power`` passes).

    Columns follow diff-diff's simulation convention: ``unit, period, treated, post, outcome``.
    """
    sigma = noise_sd
    rng = np.random.default_rng(seed)
    n_t = int(round(n_units * treatment_fraction))
    treated = np.r_[np.ones(n_t), np.zeros(n_units - n_t)]
    unit_fx = rng.normal(0, np.sqrt(rho) * sigma, n_units)
    period = np.arange(n_periods)
    post = (period >= treatment_period).astype(float)
    y = (
        unit_fx[:, None]
        + 0.3 * period[None, :]
        + treatment_effect * treated[:, None] * post[None, :]
        + rng.normal(0, np.sqrt(1 - rho) * sigma, (n_units, n_periods))
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
    """Share of simulated studies (2×2 DiD regression, SE clustered by unit) rejecting no effect at level ``alpha``.

    diff-diff ``simulate_power`` with ``DifferenceInDifferences(cluster="unit")`` on :func:`equicorrelated_panel`.
    With ``effect = power_mde(...).mde`` it should be close to the target power; with ``effect = 0`` close to
    ``alpha`` (test size).
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
