"""HonestDiD: sensitivity of event-study estimates to violations of parallel trends (Rambachan & Roth 2023).

The event-study coefficients ``β̂ = (β̂_pre, β̂_post)`` (reference period excluded, normalised to 0) satisfy
``β = δ + (0, τ_post)``: the post-period coefficients are the effects plus the bias ``δ_post``, the pre-period ones are
pure bias ``δ_pre``. The target is ``θ = l'τ_post``. A restriction ``δ ∈ Δ`` makes ``θ`` partially identified; the
robust confidence set collects the ``θ̄`` not rejected by a test of ``H0: θ = θ̄, δ ∈ Δ``.

Two restrictions are offered (R package HonestDiD defaults for each):

- **relative magnitudes** ``Δ^RM(M̄)``: every post-period first difference of ``δ`` is at most ``M̄`` times the largest
  absolute pre-period first difference (the period before treatment, ``δ_0 = 0``, included). ``Δ^RM`` is not convex
  but is the finite union of the polyhedra ``Δ^RM_{s,±}`` on which the largest pre-period difference is the one ending
  at ``s`` with sign ``±`` (Rambachan & Roth 2023, §2.4.2). On each polyhedron ``{δ : Aδ ≤ 0}`` the test is the
  conditional / least-favourable hybrid test of Andrews, Roth & Pakes (2023) for the moment inequalities
  ``E[Aβ̂ − A_post τ] ≤ 0`` with ``l'τ = θ̄``; the nuisance (the post-period effects orthogonal to ``l``) is profiled
  out by the linear programme ``η̂ = min_{η, τ̃} η s.t. Y − X τ̃ ≤ η σ`` (``σ`` the SDs of ``Y``), whose dual
  ``max_γ γ'Y, γ ≥ 0, X'γ = 0, σ'γ = 1`` is maximised at a vertex ``γ*``. Conditional on that vertex being optimal and
  on the part of ``Y`` independent of ``γ*'Y``, the statistic ``γ*'Y`` is a normal truncated to ``[v_lo, v_up]``
  (ARP, §3). The hybrid first rejects when ``η̂`` exceeds the least-favourable critical value at level ``κ = α/10``
  (the ``1 − κ`` quantile of ``η̂`` when every moment binds, simulated with a fixed seed), and otherwise uses the
  conditional test at level ``(α − κ)/(1 − κ)`` with ``v_up`` capped by that critical value (ARP, §4). The critical
  value of the conditional step is ``max(0, quantile)``. As in R HonestDiD, with more than one post-period only the
  moments that involve post-period coefficients enter the test (``postPeriodMomentsOnly``), and the confidence set for
  ``Δ^RM`` is reported as ``[min lower bound, max upper bound]`` over the polyhedra. One deliberate difference from R:
  with a single post-period R HonestDiD switches to its no-nuisance code, whose least-favourable hybrid runs the
  second stage at level ``α`` without capping ``v_up`` by the first-stage critical value; evalkit applies the ARP
  hybrid as the paper defines it in every case (a single post-period is the case without nuisance, ``X`` empty).
- **smoothness** ``Δ^SD(M)``: second differences of ``δ`` bounded by ``M`` (outcome units). The confidence interval is
  the optimal fixed-length CI (FLCI, Rambachan & Roth 2023 §4.1), computed by diff-diff 3.13's FLCI solver, which
  agrees with R HonestDiD to 2e-5 on the Medicaid reference panel (tests/test_honest_reference.py).

Computation for ``Δ^RM``: the dual polytope has few vertices for the usual designs (one per support of size
``rank [X' ; σ']``), so they are enumerated once per polyhedron; the statistic, ``γ*``, ``v_lo``, ``v_up`` and the
least-favourable simulation then reduce to matrix products. When the vertices are too many
(``> MAX_VERTICES`` candidate supports) every quantity is computed by linear programmes (``scipy.optimize.linprog``,
HiGHS) instead — same definitions, slower. The CI bounds are located on a grid and refined by bisection to
``1e-6`` of the SD of ``l'β̂_post`` (R HonestDiD reports grid points: 1,000 points on ``±20`` SDs around 0).

diff-diff 3.13's own ``Δ^RM`` interval is not this one: it widens the identified set at the estimated pre-period
differences by ±1.96 SE, ignores the sampling error of the largest pre-period difference and is too narrow from
``M̄ ≈ 1`` on (Medicaid panel: breakdown ≈ 2.3 instead of R's ≈ 1.6). It is not used.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, special

from .base import Estimate
from .did import EventStudy
from .staggered import CSResult

#: Candidate supports above which the vertex enumeration gives way to linear programmes.
MAX_VERTICES = 200_000
#: Draws of the least-favourable critical value (R HonestDiD uses 1,000; more draws, less simulation noise).
LF_DRAWS = 10_000


@dataclass
class HonestResult:
    """HonestDiD (Rambachan & Roth 2023) robust confidence intervals over a grid of M (M̄ for relative magnitudes).

    ``table``: ``M, lb, ub`` (identified set at the estimated coefficients), ``ci_low, ci_high`` (robust
    ``1 − α`` CI), ``significant`` (the CI excludes 0). ``breakdown``: smallest M of the grid at which the robust
    CI includes 0 (0.0 if it does at M = 0; None if it never does on the grid — the conclusion survives every M
    tried). ``method`` says which restriction and ``notes`` which test produced it.
    """

    method: str
    target: str
    estimate: float
    std_error: float
    grid: pd.DataFrame
    breakdown: float | None
    notes: list[str]
    raw: Any = field(repr=False, default=None)

    def table(self) -> pd.DataFrame:
        return self.grid.copy()

    summary = table

    @property
    def method_fr(self) -> str:
        """The method in French, for pages that state a robust interval or a breakdown value."""
        if self.method == "relative_magnitude":
            return ("amplitudes relatives (Δ^RM, Rambachan et Roth 2023), intervalle de confiance par le test hybride "
                    "conditionnel / moins favorable d'Andrews, Roth et Pakes (2023), comme le paquet R HonestDiD")
        return ("tendances lisses (Δ^SD, Rambachan et Roth 2023), intervalle de confiance de longueur fixe optimal "
                "(FLCI), comme le paquet R HonestDiD")

    def to_rows(self, study: str, outcome: str, unit: str, data: str | None = None, scale: float = 1.0,
                n_units: int | None = None, n_obs: int | None = None) -> list[dict]:
        """One row per M: estimate = the original estimate, CI = the robust CI (subgroup ``mbar=M`` or ``m=M``)."""
        key, est = ("mbar", "honest_did_rm") if self.method == "relative_magnitude" else ("m", "honest_did_sd")
        rows = []
        for r in self.grid.itertuples(index=False):
            e = Estimate(est, self.estimate, self.std_error, r.ci_low, r.ci_high, n_units=n_units, n_obs=n_obs)
            rows += e.to_rows(study, outcome, unit, subgroup=f"{key}={r.M:g}", data=data, scale=scale)
        return rows


# --- restrictions -------------------------------------------------------------------------------------------------


def rm_polyhedron(n_pre: int, n_post: int, mbar: float, s: int, positive: bool) -> np.ndarray:
    """``A`` of ``Δ^RM_{s,±}(M̄) = {δ : Aδ ≤ 0}`` (columns: the n_pre + n_post coefficients, δ_0 dropped).

    ``s`` in ``−(n_pre − 1), …, 0`` indexes the pre-period difference ``δ_s − δ_{s−1}`` that is the largest in
    absolute value, with sign ``+`` if ``positive``: every pre-period difference is bounded by it in absolute value and
    every post-period difference by ``M̄`` times it.
    """
    if not -(n_pre - 1) <= s <= 0:
        raise ValueError(f"s must lie in [-(n_pre-1), 0], got {s}")
    n = n_pre + n_post  # D: rows δ_{r+1} − δ_r over (δ_{-n_pre}, …, δ_0, …, δ_{n_post}); column n_pre is δ_0 = 0
    D = np.eye(n, n + 1, 1) - np.eye(n, n + 1)
    ref = D[n_pre - 1 + s] * (1.0 if positive else -1.0)
    bound = np.outer(np.r_[np.ones(n_pre), np.full(n_post, float(mbar))], ref)
    A = np.vstack([D - bound, -D - bound])
    A = A[np.einsum("ij,ij->i", A, A) > 1e-10]
    return np.delete(A, n_pre, axis=1)


def sd_polyhedron(n_pre: int, n_post: int, m: float) -> tuple[np.ndarray, np.ndarray]:
    """``(A, d)`` of ``Δ^SD(M) = {δ : |δ_{t+1} − 2δ_t + δ_{t−1}| ≤ M}`` (δ_0 = 0 dropped)."""
    n = n_pre + n_post
    S = np.zeros((n - 1, n + 1))
    for r in range(n - 1):
        S[r, r:r + 3] = (1.0, -2.0, 1.0)
    A = np.delete(np.vstack([S, -S]), n_pre, axis=1)
    return A, np.full(2 * (n - 1), float(m))


def _identified_set(A: np.ndarray, d: np.ndarray, beta: np.ndarray, l_vec: np.ndarray, n_pre: int
                    ) -> tuple[float, float] | None:
    """Bounds of ``{l'(β_post − δ_post) : Aδ ≤ d, δ_pre = β_pre}`` (None if the polyhedron excludes β_pre)."""
    n = A.shape[1]
    obj = np.r_[np.zeros(n_pre), l_vec]
    eq = np.hstack([np.eye(n_pre), np.zeros((n_pre, n - n_pre))])
    base = float(l_vec @ beta[n_pre:])
    out = []
    for sign in (1.0, -1.0):
        r = optimize.linprog(sign * obj, A_ub=A, b_ub=d, A_eq=eq, b_eq=beta[:n_pre], bounds=(None, None),
                             method="highs")
        if r.status == 3:
            out.append(-math.inf if sign > 0 else math.inf)
        elif r.status != 0:
            return None
        else:
            out.append(sign * r.fun)
    lo_delta, hi_delta = out
    return base - hi_delta, base - lo_delta


# --- the ARP conditional / hybrid test on one polyhedron ----------------------------------------------------------


_RAYS: dict[bytes, np.ndarray | None] = {}


def _extreme_rays(X: np.ndarray) -> np.ndarray | None:
    """Extreme rays (rows, max entry 1) of ``{γ ≥ 0, X'γ = 0}``; None if ``C(m, rank X + 1) > MAX_VERTICES``.

    A ray is extreme iff the rows of X on its support have rank |support| − 1, so every extreme ray is the
    one-dimensional null space of ``X_B'`` for some support B of size ``rank X + 1``.
    """
    key = X.shape[0].to_bytes(4, "little") + np.ascontiguousarray(X).tobytes()
    if key in _RAYS:
        return _RAYS[key]
    m = X.shape[0]
    if X.size:
        u, sv, _ = np.linalg.svd(X, full_matrices=False)
        k = int(np.sum(sv > sv[0] * 1e-10)) if sv[0] > 0 else 0
    else:
        k = 0
    if k == 0:
        rays: np.ndarray | None = np.eye(m)
    elif math.comb(m, k + 1) > MAX_VERTICES:
        rays = None
    else:
        Xr = u[:, :k] * sv[:k]  # m × k, full column rank, same null spaces as X
        supports = np.array(list(itertools.combinations(range(m), k + 1)))
        sub = Xr[supports].transpose(0, 2, 1)  # n × k × (k+1): X_B'
        _, s_b, vt = np.linalg.svd(sub, full_matrices=True)
        ok = s_b[:, -1] > 1e-10 * max(1.0, float(np.abs(Xr).max()))
        v = vt[ok, -1, :]  # null vector of each full-rank X_B'
        v = v * np.where(v.sum(axis=1, keepdims=True) < 0, -1.0, 1.0)
        tol = 1e-10 * np.abs(v).max(axis=1, keepdims=True)
        keep = (v >= -tol).all(axis=1)
        G = np.zeros((int(keep.sum()), m))
        G[np.repeat(np.arange(G.shape[0]), k + 1), supports[ok][keep].ravel()] = np.clip(v[keep], 0.0, None).ravel()
        G = G / G.max(axis=1, keepdims=True)
        rays = np.unique(np.round(G, 12), axis=0)
    if len(_RAYS) > 64:
        _RAYS.clear()
    _RAYS[key] = rays
    return rays


def _linprog(c: np.ndarray, A_ub: np.ndarray, b_ub: np.ndarray):
    """``min c'x s.t. A_ub x ≤ b_ub`` (x free) by HiGHS, retried by its interior point method when the
    simplex stops without a status (HiGHS « model status Unknown » on badly scaled event studies)."""
    r = optimize.linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=(None, None), method="highs")
    if r.status not in (0, 2, 3):
        r = optimize.linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=(None, None), method="highs-ipm")
    return r


class _MomentTest:
    """ARP hybrid test of ``H0: θ = θ̄`` for ``δ ∈ {Aδ ≤ d}``: moments ``Y(θ̄) − X τ̃ ≤ 0`` in expectation."""

    def __init__(self, A: np.ndarray, d: np.ndarray, beta: np.ndarray, sigma: np.ndarray, n_pre: int,
                 l_vec: np.ndarray, alpha: float, kappa: float, rows: np.ndarray, seed: int, draws: int):
        A_post = A[:, n_pre:]
        # τ = θ l/(l'l) + N τ̃, N an orthonormal basis of l's orthogonal complement: l'τ = θ
        ll = float(l_vec @ l_vec)
        N = np.linalg.svd(l_vec[None, :])[2][1:].T if len(l_vec) > 1 else np.zeros((1, 0))
        self.y0 = (A @ beta - d)[rows]
        self.a = (A_post @ l_vec / ll)[rows]
        self.X = (A_post @ N)[rows]
        self.Sigma = (A @ sigma @ A.T)[np.ix_(rows, rows)]
        self.sd = np.sqrt(np.clip(np.diag(self.Sigma), 0.0, None))
        self.alpha, self.kappa = alpha, kappa
        self.size2 = (alpha - kappa) / (1 - kappa) if kappa > 0 else alpha
        self.vertices = self._vertices()
        self.lf_cv = self._lf_cv(seed, draws) if kappa > 0 else math.inf

    # dual vertices ------------------------------------------------------------------------------------------------
    def _vertices(self) -> np.ndarray | None:
        """Vertices of ``{γ ≥ 0, X'γ = 0, σ'γ = 1}`` (rows), or None when too many supports to enumerate.

        With σ > 0 they are the extreme rays of the cone ``{γ ≥ 0, X'γ = 0}`` scaled to ``σ'γ = 1``; the rays depend
        on X only, which is the same for every polyhedron and M̄ of one problem, so they are cached.
        """
        if not (self.sd > 0).all():
            return None
        rays = _extreme_rays(self.X)
        if rays is None:
            return None
        return rays / (rays @ self.sd)[:, None]

    # the LP statistic ---------------------------------------------------------------------------------------------
    def _eta_lp(self, y: np.ndarray) -> tuple[float, np.ndarray | None]:
        """``min η s.t. y − Xτ̃ ≤ ησ`` and the dual vertex γ* (−inf, None if unbounded)."""
        k = self.X.shape[1]
        r = _linprog(np.r_[1.0, np.zeros(k)], -np.column_stack([self.sd, self.X]), -y)
        if r.status == 3:
            return -math.inf, None
        if r.status != 0:
            raise RuntimeError(f"HonestDiD: LP failed ({r.message})")
        return float(r.fun), -np.asarray(r.ineqlin.marginals)

    def _interval_lp(self, S: np.ndarray, c: np.ndarray) -> tuple[float, float]:
        """``{η : ∃τ̃, S + cη − Xτ̃ ≤ ησ}``: the values of γ*'Y keeping γ* optimal given S (ARP, §3)."""
        k = self.X.shape[1]
        A_ub = np.column_stack([c - self.sd, -self.X])
        out = []
        for sign in (1.0, -1.0):
            r = _linprog(np.r_[sign, np.zeros(k)], A_ub, -S)
            # unbounded (3) or not solved (HiGHS « Unknown », 4): the truncation bound is dropped (±inf), which only
            # widens the conditioning interval of the conditional test
            out.append(sign * float(r.fun) if r.status == 0 else (-math.inf if sign > 0 else math.inf))
        return out[0], out[1]

    def _lf_cv(self, seed: int, draws: int) -> float:
        """``1 − κ`` quantile of ``η̂`` at ``E[Y] = 0`` (every moment binding: the least favourable null)."""
        rng = np.random.default_rng(seed)
        m = len(self.y0)
        w, U = np.linalg.eigh(self.Sigma)  # Σ_Y may be singular (e.g. M̄ = 0: rows ±D_r)
        root = U * np.sqrt(np.clip(w, 0.0, None))
        xi = rng.standard_normal((draws, m)) @ root.T
        if self.vertices is not None:
            if not len(self.vertices):
                return math.inf
            eta = (xi @ self.vertices.T).max(axis=1)
        else:  # one LP per draw: R's 1,000 draws
            eta = np.array([self._eta_lp(x)[0] for x in xi[:1000]])
        return float(np.quantile(eta, 1 - self.kappa))

    # the test -----------------------------------------------------------------------------------------------------
    def accept(self, thetas: np.ndarray) -> np.ndarray:
        """Vector of acceptances (True = θ̄ not rejected) of the hybrid test at each θ̄."""
        thetas = np.atleast_1d(np.asarray(thetas, dtype=float))
        if self.vertices is not None:
            return self._accept_vertices(thetas)
        return np.array([self._accept_lp(t) for t in thetas])

    def _decide(self, eta: float, sigma_b: float, vlo: float, vup: float) -> bool:
        if not np.isfinite(eta):
            return True
        if eta > self.lf_cv:
            return False
        if sigma_b < 1e-10:
            return not eta > 0
        vup = min(vup, self.lf_cv)
        zlo, zup, stat = vlo / sigma_b, vup / sigma_b, eta / sigma_b
        if not (zlo - 1e-9 <= stat <= zup + 1e-9) or zup <= zlo:
            return True
        q = _truncnorm_quantile(1 - self.size2, zlo, zup)
        return not stat > max(0.0, q)

    def _accept_lp(self, theta: float) -> bool:
        y = self.y0 - self.a * theta
        eta, g = self._eta_lp(y)
        if g is None:
            return True
        sb2 = float(g @ self.Sigma @ g)
        c = self.Sigma @ g / sb2 if sb2 > 0 else np.zeros_like(g)
        vlo, vup = self._interval_lp(y - c * eta, c)
        return self._decide(eta, math.sqrt(max(sb2, 0.0)), vlo, vup)

    def _accept_vertices(self, thetas: np.ndarray) -> np.ndarray:
        V = self.vertices
        if not len(V):
            return np.ones(len(thetas), bool)
        Y = self.y0[None, :] - np.outer(thetas, self.a)  # nθ × m
        vals = Y @ V.T  # nθ × nV: γ_v'Y
        star = vals.argmax(axis=1)
        eta = vals[np.arange(len(thetas)), star]
        VS = V @ self.Sigma
        gsg = np.einsum("ij,ij->i", VS, V)[star]  # γ*'Σγ*
        out = np.ones(len(thetas), bool)
        eta_ok = np.isfinite(eta)
        out[eta_ok & (eta > self.lf_cv)] = False  # least-favourable first stage
        degenerate = eta_ok & (eta <= self.lf_cv) & (gsg < 1e-20)
        out[degenerate] = ~(eta[degenerate] > 0)
        todo = np.flatnonzero(eta_ok & (eta <= self.lf_cv) & (gsg >= 1e-20))
        if not len(todo):
            return out
        gc = (VS[star[todo]] @ V.T) / gsg[todo, None]  # γ_v'c, c = Σγ*/γ*'Σγ*
        gS = vals[todo] - gc * eta[todo, None]  # γ_v'S, S = Y − c·γ*'Y
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = gS / (1 - gc)
        vlo = np.where(gc < 1 - 1e-10, bound, -np.inf).max(axis=1)
        vup = np.minimum(np.where(gc > 1 + 1e-10, bound, np.inf).min(axis=1), self.lf_cv)
        sb = np.sqrt(gsg[todo])
        zlo, zup, stat = vlo / sb, vup / sb, eta[todo] / sb
        inside = (zlo - 1e-9 <= stat) & (stat <= zup + 1e-9) & (zup > zlo)
        for i in np.flatnonzero(inside):
            q = _truncnorm_quantile(1 - self.size2, zlo[i], zup[i])
            out[todo[i]] = not stat[i] > max(0.0, q)
        return out


def _truncnorm_quantile(p: float, lo: float, hi: float) -> float:
    """Quantile of the standard normal truncated to [lo, hi], computed in the tail that keeps precision."""
    if lo > 0:  # upper tail: sf(x) = sf(lo)·[(1 − p) + p·sf(hi)/sf(lo)], sf(x) = Φ(−x)
        slo, shi = special.log_ndtr(-lo), special.log_ndtr(-hi)
        return float(-special.ndtri(np.exp(slo + np.log((1 - p) + p * np.exp(shi - slo)))))
    if hi < 0:  # lower tail: cdf(x) = cdf(hi)·[p + (1 − p)·cdf(lo)/cdf(hi)]
        clo, chi = special.log_ndtr(lo), special.log_ndtr(hi)
        return float(special.ndtri(np.exp(chi + np.log(p + (1 - p) * np.exp(clo - chi)))))
    flo, fhi = special.ndtr(lo), special.ndtr(hi)
    return float(special.ndtri(flo + p * (fhi - flo)))


def _accepted_interval(test: _MomentTest, centre: float, scale: float, grid_points: int = 401,
                       tol: float = 1e-6) -> tuple[float, float]:
    """Smallest and largest accepted θ̄: grid search widened until both ends reject, then refinement.

    ``(nan, nan)`` if no θ̄ is accepted (the polyhedron is rejected whatever the effect); an end still accepted after
    widening the grid 4^11-fold is reported as infinite.
    """
    half = 25.0 * scale
    for attempt in range(12):
        grid = np.linspace(centre - half, centre + half, grid_points)
        acc = test.accept(grid)
        if not acc.any():
            grid = np.linspace(centre - half, centre + half, 20 * grid_points)  # a set narrower than the step?
            acc = test.accept(grid)
            if not acc.any():
                return math.nan, math.nan
        if (acc[0] or acc[-1]) and attempt < 11:
            half *= 4
            continue
        idx = np.flatnonzero(acc)
        lo = -math.inf if acc[0] else _bisect(test, grid[idx[0] - 1], grid[idx[0]], tol * scale)
        hi = math.inf if acc[-1] else _bisect(test, grid[idx[-1] + 1], grid[idx[-1]], tol * scale)
        return lo, hi
    raise AssertionError("unreachable")


def _bisect(test: _MomentTest, rejected: float, accepted: float, tol: float, points: int = 33) -> float:
    """Accepted end of the bracket [rejected, accepted] refined to ``tol`` (``points`` tests per round)."""
    while abs(accepted - rejected) > tol:
        grid = np.linspace(accepted, rejected, points)
        acc = test.accept(grid)
        if acc.all():
            return float(rejected)
        k = int(np.argmin(acc))  # first rejected point from the accepted end
        accepted, rejected = grid[k - 1], grid[k]
    return float(accepted)


# --- public API ---------------------------------------------------------------------------------------------------


def _target_sd(l_vec: np.ndarray, sigma: np.ndarray, n_pre: int) -> float:
    """SD of ``l'β̂_post``."""
    return float(np.sqrt(l_vec @ sigma[n_pre:, n_pre:] @ l_vec))


def _rm_tests(beta, sigma, n_pre, n_post, l_vec, mbar, alpha, kappa, seed, draws):
    """``(A, test)`` on each of the 2·n_pre polyhedra ``Δ^RM_{s,±}(M̄)``; with several post-periods only the moments
    involving post-period coefficients enter the test (R ``postPeriodMomentsOnly``)."""
    for s in range(-(n_pre - 1), 1):
        for positive in (True, False):
            A = rm_polyhedron(n_pre, n_post, mbar, s, positive)
            rows = np.flatnonzero(np.abs(A[:, n_pre:]).sum(axis=1) > 0) if n_post > 1 else np.arange(len(A))
            yield A, _MomentTest(A, np.zeros(len(A)), beta, sigma, n_pre, l_vec, alpha, kappa, rows, seed, draws)


def _rm_ci(beta, sigma, n_pre, n_post, l_vec, mbar, alpha, kappa, seed, draws):
    """ARP-hybrid CI and identified set for ``Δ^RM(M̄)``: hulls over the 2·n_pre polyhedra."""
    sd_theta = _target_sd(l_vec, sigma, n_pre)
    centre = float(l_vec @ beta[n_pre:])
    lows, highs, id_lo, id_hi = [], [], [], []
    for A, test in _rm_tests(beta, sigma, n_pre, n_post, l_vec, mbar, alpha, kappa, seed, draws):
        ids = _identified_set(A, np.zeros(len(A)), beta, l_vec, n_pre)
        if ids is not None:
            id_lo.append(ids[0])
            id_hi.append(ids[1])
        lo, hi = _accepted_interval(test, centre, max(sd_theta, 1e-12) * (1 + mbar))
        if not (math.isnan(lo) or math.isnan(hi)):
            lows.append(lo)
            highs.append(hi)
    ci = (min(lows), max(highs)) if lows else (math.nan, math.nan)
    ids = (min(id_lo), max(id_hi)) if id_lo else (math.nan, math.nan)
    return ci, ids


def _sd_ci(beta, sigma, n_pre, n_post, l_vec, m, alpha):
    from diff_diff.honest_did import _compute_optimal_flci

    lo, hi = _compute_optimal_flci(beta[:n_pre], beta[n_pre:], sigma, l_vec, n_pre, n_post, float(m), alpha)
    A, d = sd_polyhedron(n_pre, n_post, m)
    ids = _identified_set(A, d, beta, l_vec, n_pre) or (math.nan, math.nan)
    return (float(lo), float(hi)), ids


def sensitivity(
    betahat: Sequence[float],
    sigma: np.ndarray,
    n_pre: int,
    n_post: int,
    *,
    method: Literal["relative_magnitude", "smoothness"] = "relative_magnitude",
    mbar: Sequence[float] | None = None,
    l_vec: Sequence[float] | None = None,
    alpha: float = 0.05,
    kappa: float | None = None,
    seed: int = 0,
    lf_draws: int = LF_DRAWS,
    target: str | None = None,
) -> HonestResult:
    """Rambachan–Roth robust confidence intervals for ``θ = l'τ_post`` over a grid of M̄ (or M).

    Parameters
    ----------
    betahat : sequence of float
        Event-study coefficients, the ``n_pre`` pre-period ones first (earliest first, the reference period — the one
        just before treatment — excluded), then the ``n_post`` post-period ones (on impact first).
    sigma : array
        Their covariance matrix.
    n_pre, n_post : int
    method : {"relative_magnitude", "smoothness"}
        ``Δ^RM(M̄)`` with the ARP conditional / least-favourable hybrid test (R HonestDiD ``C-LF``, its default for
        relative magnitudes) or ``Δ^SD(M)`` with the optimal FLCI (R's default for smoothness). Module docstring.
    mbar : sequence of float, optional
        Grid of M̄ (default 0–2 by 0.25) or M (default 0, 0.005, 0.01, 0.02, 0.05, outcome units).
    l_vec : sequence of float, optional
        Weights of the target on the post-period effects (default: the on-impact effect, R's default). Use
        ``np.full(n_post, 1/n_post)`` for the average effect.
    alpha : float
        1 − confidence level.
    kappa : float, optional
        Size of the least-favourable first stage (default ``alpha / 10``, R's default; 0 = purely conditional test).
    seed, lf_draws : int
        Seed and number of draws of the simulated least-favourable critical value.
    target : str, optional
        Label of the target stored in the result.

    Returns
    -------
    HonestResult
        ``grid`` columns ``M, lb, ub, ci_low, ci_high, significant``.
    """
    beta = np.asarray(betahat, dtype=float).ravel()
    sigma = np.asarray(sigma, dtype=float)
    if n_pre < 1 or n_post < 1 or len(beta) != n_pre + n_post or sigma.shape != (len(beta), len(beta)):
        raise ValueError(f"sensitivity: betahat has {len(beta)} entries and sigma shape {sigma.shape}; "
                         f"expected n_pre + n_post = {n_pre + n_post}")
    if not np.allclose(sigma, sigma.T, atol=1e-12 * max(1.0, np.abs(sigma).max())):
        raise ValueError("sensitivity: sigma is not symmetric")
    l_vec = np.eye(n_post)[0] if l_vec is None else np.asarray(l_vec, dtype=float).ravel()
    if not l_vec.any():
        raise ValueError("sensitivity: l_vec is zero")
    if len(l_vec) != n_post:
        raise ValueError(f"sensitivity: l_vec has {len(l_vec)} entries, expected n_post = {n_post}")
    if method not in ("relative_magnitude", "smoothness"):
        raise ValueError(f"sensitivity: unknown method {method!r}")
    if mbar is None:
        mbar = np.arange(0, 2.01, 0.25) if method == "relative_magnitude" else [0, 0.005, 0.01, 0.02, 0.05]
    mbar = [float(m) for m in mbar]
    if any(m < 0 for m in mbar):
        raise ValueError("sensitivity: M must be non-negative")
    kappa = alpha / 10 if kappa is None else float(kappa)
    rows = []
    for m in mbar:
        if method == "relative_magnitude":
            (lo, hi), (ilo, ihi) = _rm_ci(beta, sigma, n_pre, n_post, l_vec, m, alpha, kappa, seed, lf_draws)
        else:
            (lo, hi), (ilo, ihi) = _sd_ci(beta, sigma, n_pre, n_post, l_vec, m, alpha)
        rows.append((m, ilo, ihi, lo, hi, bool(lo > 0 or hi < 0)))
    grid = pd.DataFrame(rows, columns=["M", "lb", "ub", "ci_low", "ci_high", "significant"])
    includes_zero = ~grid["significant"].to_numpy()
    breakdown = float(grid["M"].to_numpy()[np.argmax(includes_zero)]) if includes_zero.any() else None
    if method == "relative_magnitude":
        notes = [f"Delta^RM(Mbar): Andrews-Roth-Pakes conditional / least-favourable hybrid test (kappa = {kappa:g}) "
                 "on each polyhedron of the union (Rambachan & Roth 2023; R HonestDiD C-LF)"]
    else:
        notes = ["Delta^SD(M): optimal fixed-length CI (FLCI, Rambachan & Roth 2023; R HonestDiD default)"]
    estimate = float(l_vec @ beta[n_pre:])
    se = _target_sd(l_vec, sigma, n_pre)
    return HonestResult(method, target or f"l_vec={np.round(l_vec, 6).tolist()}", estimate, se, grid, breakdown,
                        notes, raw=dict(betahat=beta, sigma=sigma, n_pre=n_pre, n_post=n_post, l_vec=l_vec,
                                        alpha=alpha, kappa=kappa))


def rm_accepts(betahat: Sequence[float], sigma: np.ndarray, n_pre: int, n_post: int, theta: float, mbar: float, *,
               l_vec: Sequence[float] | None = None, alpha: float = 0.05, kappa: float | None = None, seed: int = 0,
               lf_draws: int = LF_DRAWS) -> bool:
    """Whether ``θ̄ = theta`` lies in the ``Δ^RM(M̄)`` confidence set (not rejected on at least one polyhedron).

    The reported interval (:func:`sensitivity`) is the hull of these accepted values, so it contains every θ̄ for
    which this returns True.
    """
    beta, sigma = np.asarray(betahat, dtype=float).ravel(), np.asarray(sigma, dtype=float)
    l_vec = np.eye(n_post)[0] if l_vec is None else np.asarray(l_vec, dtype=float).ravel()
    kappa = alpha / 10 if kappa is None else float(kappa)
    tests = _rm_tests(beta, sigma, n_pre, n_post, l_vec, mbar, alpha, kappa, seed, lf_draws)
    return any(test.accept(np.array([theta]))[0] for _, test in tests)


def breakdown(betahat: Sequence[float], sigma: np.ndarray, n_pre: int, n_post: int, *,
              method: Literal["relative_magnitude", "smoothness"] = "relative_magnitude",
              l_vec: Sequence[float] | None = None, alpha: float = 0.05, upper: float | None = None,
              tol: float | None = None, **kw: Any) -> float | None:
    """Breakdown value: the smallest M̄ (or M) at which the robust CI includes 0, to ``tol`` (bisection).

    0.0 if the CI includes 0 at M = 0; None if it still excludes 0 at ``upper`` (default 10 for M̄; for M, 50 SDs
    of the target). Assumes, as the sets Δ(M) are nested, that the CI widens with M.
    """
    beta, sigma = np.asarray(betahat, dtype=float).ravel(), np.asarray(sigma, dtype=float)
    lv = np.eye(n_post)[0] if l_vec is None else np.asarray(l_vec, dtype=float).ravel()
    sd = _target_sd(lv, sigma, n_pre)
    upper = (10.0 if method == "relative_magnitude" else 50 * sd) if upper is None else float(upper)
    tol = (1e-3 if method == "relative_magnitude" else 1e-3 * sd) if tol is None else float(tol)

    def includes_zero(m: float) -> bool:
        g = sensitivity(beta, sigma, n_pre, n_post, method=method, mbar=[m], l_vec=lv, alpha=alpha, **kw).grid
        return not bool(g["significant"].iloc[0])

    if includes_zero(0.0):
        return 0.0
    if not includes_zero(upper):
        return None
    lo, hi = 0.0, upper
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if includes_zero(mid) else (mid, hi)
    return hi


def event_study_inputs(cs: CSResult, min_e: int | None = None, max_e: int | None = None
                       ) -> tuple[np.ndarray, np.ndarray, list[int], list[int]]:
    """``(betahat, sigma, pre_times, post_times)`` of a Callaway–Sant'Anna dynamic aggregation.

    Each event time's coefficient is the cohort-size weighted mean of its ATT(g, t) (R ``aggte(type="dynamic")``)
    and ``sigma`` the covariance of their influence functions (estimated weights included; over cluster sums when the
    fit is clustered, ``settings["cluster"]``), restricted to the window
    ``[min_e, max_e]`` as R's ``aggte(min_e, max_e)``. The reference event time ``−1 − anticipation`` (identically 0
    under a universal base) is dropped; the event times after it are the post-periods (with anticipation, the
    anticipation periods ``−anticipation … −1`` come first).
    """
    if cs.settings.get("base_period") != "universal":
        raise ValueError("event_study_inputs needs a fit with base_period='universal' (honest_did refits for you)")
    ref = -1 - int(cs.settings.get("anticipation", 0) or 0)
    gt = cs.influence()
    e_all = np.round(gt.t - gt.g).astype(int)
    times = sorted(e for e in set(e_all.tolist())
                   if e != ref and (min_e is None or e >= min_e) and (max_e is None or e <= max_e))
    fits = [gt.weighted(np.flatnonzero(e_all == e)) for e in times]
    sigma = gt.covariance(np.column_stack([psi for _, psi in fits]))  # Σ_c S_c S'_c: cluster-robust if clustered
    return np.array([value for value, _ in fits]), sigma, [e for e in times if e < ref], [e for e in times if e > ref]


def honest_did(
    cs: CSResult | EventStudy,
    e: int | Literal["average"] = 0,
    method: Literal["relative_magnitude", "smoothness"] = "relative_magnitude",
    mbar: Sequence[float] | None = None,
    min_e: int | None = None,
    max_e: int | None = None,
    alpha: float = 0.05,
    **kw: Any,
) -> HonestResult:
    """Sensitivity of a Callaway–Sant'Anna event-study effect to violations of parallel trends (:func:`sensitivity`).

    Parameters
    ----------
    cs : CSResult or EventStudy
        A Callaway–Sant'Anna fit. HonestDiD needs a common (universal) base period: a ``varying``-base fit is refitted
        with ``base_period="universal"`` on the same panel (post-treatment effects are identical; noted). Or a TWFE
        event study (:func:`evalkit.estimators.twfe_event_study`, reference period −1), used as it is.
    e : int or "average"
        Target: the event-time effect e (default the on-impact effect, R's default) or the average over the
        post-treatment event times of the window.
    method : {"relative_magnitude", "smoothness"}
    mbar : sequence of float, optional
        Grid of M̄ or M (see :func:`sensitivity`).
    min_e, max_e : int, optional
        Event window, as R ``aggte(type="dynamic", min_e, max_e)``.
    alpha : float
    **kw
        Passed to :func:`sensitivity` (``kappa``, ``seed``, ``lf_draws``).

    Returns
    -------
    HonestResult
    """
    notes: list[str] = []
    if isinstance(cs, EventStudy):
        if cs.reference != -1:
            raise ValueError("honest_did: the event study's reference period must be -1 (the period before treatment)")
        if cs.vcov is None:
            raise ValueError("honest_did: this event study carries no covariance matrix (vcov)")
        times = [int(e) for e in cs.vcov.index if (min_e is None or e >= min_e) and (max_e is None or e <= max_e)]
        beta = cs.coefficients.set_index("event_time").loc[times, "estimate"].to_numpy(dtype=float)
        sigma = cs.vcov.loc[times, times].to_numpy(dtype=float)
        pre, post = [e for e in times if e < cs.reference], [e for e in times if e > cs.reference]
    else:
        if cs.settings["base_period"] != "universal":
            if cs._panel is None:
                raise ValueError("honest_did needs a fit with base_period='universal'")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cs = cs.refit(base_period="universal")
            notes.append("refitted with base_period='universal' (a common reference period, as HonestDiD requires)")
        beta, sigma, pre, post = event_study_inputs(cs, min_e, max_e)
    if not pre or not post:
        raise ValueError(f"honest_did: needs pre- and post-treatment event times in the window (pre {pre}, post {post})")
    if np.any(np.diff(pre) != 1) or np.any(np.diff(post) != 1) or post[0] - pre[-1] != 2:
        raise ValueError(f"honest_did: Δ^RM / Δ^SD need consecutive event times around one reference period "
                         f"(pre {pre}, post {post})")
    if e == "average":
        after = np.array([x >= 0 for x in post], dtype=float)  # anticipation periods (e < 0) get no weight
        l_vec, target = after / after.sum(), "average over e >= 0"
    else:
        if e not in post:
            raise ValueError(f"honest_did: e={e} not among the post-treatment event times {post}")
        l_vec = np.array([1.0 if x == e else 0.0 for x in post])
        target = f"event_time={e}"
    res = sensitivity(beta, sigma, len(pre), len(post), method=method, mbar=mbar, l_vec=l_vec, alpha=alpha,
                      target=target, **kw)
    res.notes = notes + res.notes
    res.raw["pre_times"], res.raw["post_times"] = pre, post
    return res


__all__ = ["HonestResult", "breakdown", "event_study_inputs", "honest_did", "rm_accepts", "rm_polyhedron",
           "sd_polyhedron", "sensitivity"]
