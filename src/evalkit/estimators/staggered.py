"""Staggered adoption: Callaway & Sant'Anna (2021), HonestDiD sensitivity and the Goodman-Bacon decomposition.

Thin wrappers around diff-diff 3.13.0 (``CallawaySantAnna``, ``HonestDiD``, ``BaconDecomposition``). diff-diff fits
the group-time ATTs and their simple, event-time and cohort aggregations. What it lacks, and this module adds from the
group-time influence functions exactly as R ``did::aggte`` does: the overall cohort (``group``) ATT, the calendar-time
aggregation, the overall dynamic ATT (mean of the event-time effects e ≥ 0), the joint Wald pre-tests and
cluster-robust standard errors. They reproduce R ``did`` on mpdta (tests/test_estimators_reference.py).

A sample is prepared once with :func:`prepare` (a :class:`Panel`) and fitted as many times as needed (outcomes,
comparison groups); :func:`callaway_santanna` also accepts a DataFrame and prepares it itself.

Influence functions are scaled as in diff-diff: the variance of a linear combination is ``Σ_i ψ_i²`` (R's
``mean(ψ²)/n`` with ψ_R = n·ψ), and ``Σ_c (Σ_{i∈c} ψ_i)²`` with clusters.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..disclosure import MIN_CELL
from ..results import make_row
from .base import Aggregate, Estimate, clean_cohort, collect_warnings, normal_ci, normal_p

CS = "callaway_santanna"
FT = "_first_treat"  # cohort column handed to diff-diff (0 = never treated)


# --- panel preparation -----------------------------------------------------------------------------------------


def _as_numeric(s: pd.Series) -> np.ndarray:
    """Nullable extension dtypes (Int64/Float64/boolean, as returned by evalkit.io.load) → float64; others as is."""
    if isinstance(s.dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_numeric_dtype(s):
        return s.astype("float64").to_numpy()
    return s.to_numpy()


def _sorted_codes(ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes 0..n-1 of the ids in sorted order, and the ids of the codes (``pd.factorize(sort=True)``, with a
    shortcut for the usual frame already sorted by unit)."""
    v = ids.to_numpy()
    if len(v) > 1 and not isinstance(ids.dtype, pd.api.extensions.ExtensionDtype):
        try:
            step = v[1:] != v[:-1]
            ordered = not (v[1:][step] < v[:-1][step]).any()
        except TypeError:  # ids of mixed types
            ordered = False
        if ordered:
            uniques = v[np.r_[True, step]]
            if not pd.isna(uniques).any():
                return np.r_[0, np.cumsum(step)].astype(np.int64), uniques
    codes, uniques = pd.factorize(ids, sort=True)
    if (codes < 0).any():
        raise ValueError(f"missing values in the unit id column {ids.name!r}")
    return codes.astype(np.int64), np.asarray(uniques)


class Panel:
    """A long panel checked and integer-coded once, for several Callaway–Sant'Anna fits on the same sample.

    Build it with :func:`prepare`; pass it to :func:`callaway_santanna` instead of a DataFrame (``unit``, ``time``,
    ``cohort`` then come from the panel). What depends on the outcome — rows with a missing outcome dropped, which may
    unbalance the panel, and the rules that follow — is applied per fit, exactly as :func:`prepare_panel` does; the
    rest (cohort checks, unit codes, dtypes) is done once. Unit ids are coded ``0..n-1`` in sorted order (the order
    diff-diff uses), so string ids cost no more than integers; :meth:`CSResult.influence` maps them back.

    Outcome, covariate, weight and cluster columns are read from the DataFrame given to :func:`prepare` when a fit
    needs them (it is not copied: do not modify it in between).
    """

    def __init__(self, df: pd.DataFrame, unit: str, time: str, cohort: str, covariates: Sequence[str] | None = None,
                 weights: str | None = None, anticipation: int = 0):
        self.unit, self.time, self.cohort = unit, time, cohort
        self.covariates = tuple(covariates or ())
        self.weights = weights
        self.anticipation = int(anticipation)
        missing = [c for c in (unit, time, cohort, *self.covariates, *([weights] if weights else [])) if c not in df]
        if missing:
            raise KeyError(f"columns not in the data: {missing}")
        self._df = df
        self.codes, self.unit_ids = _sorted_codes(df[unit])
        if pd.api.types.is_integer_dtype(df[time].dtype) and not df[time].hasnans:  # Int64 without gaps: no detour
            t = df[time].to_numpy("int64")
        else:
            t = _as_numeric(df[time])
            if pd.api.types.is_float_dtype(t.dtype) and (t % 1 == 0).all():
                t = t.astype("int64")
        self.times = t
        self.cohort_values = _as_numeric(df[cohort])
        if self.cohort_values.dtype.kind in "fiu":  # clean_cohort without the pandas round trip
            c = self.cohort_values.astype(float)
            c = np.where(np.isfinite(c) & (c != 0), c, np.nan)
        else:
            c = clean_cohort(pd.Series(self.cohort_values)).to_numpy()
        cf = np.where(np.isnan(c), -np.inf, c)
        n = len(self.unit_ids)
        lo, hi = np.full(n, np.inf), np.full(n, -np.inf)
        np.minimum.at(lo, self.codes, cf)
        np.maximum.at(hi, self.codes, cf)
        if (lo != hi).any():
            raise ValueError(f"{cohort!r} (first treated year) varies within unit; it must be constant per {unit!r}")
        self.clean = c
        self.n_units = n
        self._cache: dict = {}

    def __repr__(self) -> str:
        return (f"Panel({self.n_units} units, {len(self.codes)} rows; unit={self.unit!r}, time={self.time!r}, "
                f"cohort={self.cohort!r}, covariates={list(self.covariates)}, weights={self.weights!r}, "
                f"anticipation={self.anticipation})")

    def column(self, name: str) -> np.ndarray:
        """A column of the input as a NumPy array, nullable numeric dtypes as float64."""
        return _as_numeric(self._df[name])

    def check_invariant(self, name: str) -> None:
        """Raise ``ValueError`` if column ``name`` has missing values or varies within a unit (e.g. a cluster id)."""
        key = ("invariant", name)
        if key in self._cache:
            return
        v = self._df[name]
        if v.isna().any():
            raise ValueError(f"missing values in {name!r}: every unit needs one")
        if (pd.Series(v.to_numpy()).groupby(self.codes).nunique() > 1).any():
            raise ValueError(f"{name!r} varies within unit; it must be constant per {self.unit!r}")
        self._cache[key] = True

    def _structure(self, keep: np.ndarray | None, outcome: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Rows kept (sorted by unit and time), their cohort (0 = never treated) and the notes — the rules of
        :func:`prepare_panel` after the rows with a missing outcome (``~keep``) are dropped."""
        notes: list[str] = []
        if keep is None:
            rows, t, codes, c = np.arange(len(self.codes)), self.times, self.codes, self.clean.copy()
        else:
            rows = np.flatnonzero(keep)
            notes.append(f"{len(self.codes) - len(rows)} rows with a missing {outcome} dropped")
            t, codes, c = self.times[rows], self.codes[rows], self.clean[rows]
        if not len(rows):
            raise ValueError(f"no row with a non-missing {outcome}")
        periods = np.sort(pd.unique(t))
        t_min, t_max = periods[0], periods[-1]
        late = c > t_max
        if late.any():
            notes.append(f"{len(np.unique(codes[late]))} units first treated after {t_max} counted as never treated "
                         "in the window")
            c[late] = np.nan
        early = c <= t_min + self.anticipation
        if early.any():
            notes.append(f"{len(np.unique(codes[early]))} units treated from the first period (no pre-period) dropped")
            rows, t, codes, c = rows[~early], t[~early], codes[~early], c[~early]
        # sort by unit and time once; then per-unit counts are block lengths
        if t.dtype.kind in "iu" and t_max - t_min < 4 * len(periods):  # integer periods: offsets, no search
            key = codes * int(t_max - t_min + 1) + (t - t_min)
        else:
            key = codes * len(periods) + np.searchsorted(periods, t)
        if len(key) > 1 and not (np.diff(key) > 0).all():
            order = np.lexsort((t, codes))
            rows, t, codes, c, key = rows[order], t[order], codes[order], c[order], key[order]
        distinct = np.r_[True, np.diff(key) != 0] if len(key) else np.zeros(0, bool)  # duplicated (unit, time) rows
        n_per = np.bincount(codes[distinct], minlength=self.n_units)
        incomplete = (n_per < len(periods)) & (n_per > 0)
        if incomplete.any():
            notes.append(
                f"unbalanced panel: {int(incomplete.sum())} units not observed in all {len(periods)} periods dropped "
                "(balanced panel, as R did with panel=TRUE)"
            )
            ok = ~incomplete[codes]
            rows, t, codes, c = rows[ok], t[ok], codes[ok], c[ok]
        baseline = [*self.covariates, *([self.weights] if self.weights else [])]
        if baseline:
            base = pd.DataFrame({k: self.column(k)[rows] for k in baseline}).groupby(codes, sort=True).first()
            bad_units = base.index.to_numpy()[base.isna().any(axis=1).to_numpy()]
            if len(bad_units):
                notes.append(f"{len(bad_units)} units with a missing baseline covariate or weight dropped")
                ok = ~np.isin(codes, bad_units)
                rows, t, codes, c = rows[ok], t[ok], codes[ok], c[ok]
        if self.weights:
            w = pd.to_numeric(pd.Series(self.column(self.weights)[rows])).to_numpy(float)
            w_unit = pd.Series(w).groupby(codes).first()
            if (w_unit < 0).any():
                raise ValueError(f"negative unit weights in {self.weights!r}")
            zero = w_unit.index.to_numpy()[(w_unit == 0).to_numpy()]
            if len(zero):
                notes.append(f"{len(zero)} units of zero weight (unmatched) dropped")
                ok = ~np.isin(codes, zero)
                rows, c = rows[ok], c[ok]
        return rows, np.nan_to_num(c, nan=0.0), notes

    def frame(self, outcome: str, ids: bool = False, extra: Sequence[str] = ()) -> tuple[pd.DataFrame, list[str], int]:
        """The estimation panel for ``outcome`` (as :func:`prepare_panel`), its notes and the number of units dropped.

        The unit column holds the integer codes (``ids=True``: the original ids, plus the cohort column as given).
        ``extra``: time-invariant columns carried along (e.g. a cluster id), taken like the covariates at each unit's
        first observed period.
        """
        y = self.column(outcome)
        miss = pd.isna(y)
        key = outcome if miss.any() else None
        if key not in self._cache:
            self._cache[key] = self._structure(~miss if key else None, outcome)
        rows, ft, notes = self._cache[key]
        full = len(rows) == len(self.codes) and bool((rows == np.arange(len(rows))).all())
        take = (lambda a: a) if full else (lambda a: a[rows])  # noqa: E731 (no copy when every row is kept)
        codes = take(self.codes)
        d = {self.unit: codes, self.time: take(self.times), outcome: take(y)}
        if ids:  # prepare_panel's frame: original ids and cohort column (diff-diff needs neither)
            d.update({self.unit: self.unit_ids[codes], self.cohort: take(self.cohort_values)})
        baseline = [*self.covariates, *([self.weights] if self.weights else []), *extra]
        first = np.r_[True, codes[1:] != codes[:-1]] if len(codes) else np.zeros(0, bool)
        if baseline:  # each unit's first non-missing value in time order (its baseline)
            base = pd.DataFrame({k: self.column(k)[rows] for k in baseline}).groupby(codes, sort=True).first()
            unit_pos = np.cumsum(first) - 1
            for k in baseline:
                d[k] = base[k].to_numpy()[unit_pos]
        d[FT] = ft
        out = pd.DataFrame(d)
        n_dropped = int(self.n_units - first.sum())
        return out, list(notes), n_dropped


def prepare(df: pd.DataFrame, unit: str, time: str, cohort: str, covariates: Sequence[str] | None = None,
            weights: str | None = None, anticipation: int = 0) -> Panel:
    """Check and code a long panel once for several :func:`callaway_santanna` fits (see :class:`Panel`).

    Raises ``ValueError`` if the cohort varies within a unit or a unit id is missing.
    """
    return Panel(df, unit, time, cohort, covariates=covariates, weights=weights, anticipation=anticipation)


def prepare_panel(
    df: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: Sequence[str] | None = None,
    anticipation: int = 0,
    weights: str | None = None,
) -> tuple[pd.DataFrame, list[str], int]:
    """Balanced panel ready for diff-diff, the notes on what was changed, and the number of units dropped.

    Rules (those of R ``did`` with ``panel=TRUE``): rows with a missing outcome are dropped; units not observed in
    every period are dropped (balanced panel); units treated at or before the first period (+ anticipation) have no
    pre-period and are dropped; cohorts after the last period are recoded never-treated (untreated in the window);
    covariates are taken at each unit's first observed period (baseline), units missing them are dropped; so are
    unit weights (``weights``), and units of zero weight (e.g. unmatched) are dropped.
    Never-treated units are coded 0 in the ``_first_treat`` column. A warning lists the notes.
    """
    d, notes, n_dropped = prepare(df, unit, time, cohort, covariates, weights, anticipation).frame(outcome, ids=True)
    if notes:
        warnings.warn("panel prepared for estimation: " + "; ".join(notes), UserWarning, stacklevel=2)
    return d, notes, n_dropped


# --- influence-function algebra (R did::aggte) ------------------------------------------------------------------


def _cluster_sums(x: np.ndarray, cluster: np.ndarray | None) -> np.ndarray:
    """Σ_{i∈c} x_i for every cluster c (rows of ``x``, one or two dimensions); ``x`` itself without clusters."""
    if cluster is None:
        return x
    n = int(cluster.max()) + 1 if len(cluster) else 0
    if x.ndim == 1:
        return np.bincount(cluster, weights=x, minlength=n)
    return np.column_stack([np.bincount(cluster, weights=x[:, j], minlength=n) for j in range(x.shape[1])]) \
        if x.shape[1] else np.zeros((n, 0))


@dataclass
class GroupTimeInfluence:
    """Group-time ATTs with their per-unit influence functions (columns of ``psi``, one row per unit).

    ``g, t, att``: cohort, period and ATT of each cell; ``psi``: n_units × n_cells; ``unit_cohort``: cohort of each
    unit (0 = never treated); ``pg``: P(G = g) of each cell's cohort (weighted by the unit weights, if any); ``sw``:
    unit weights, mean 1; ``unit_ids``: the unit id of each row; ``cluster``: the cluster code (0..G-1) of each row
    (None: each unit is its own cluster) and ``cluster_ids`` its value in the data.

    ``Var(Σ_k w_k ATT_k) =`` :meth:`variance` ``(psi @ w)`` = Σ_c (Σ_{i∈c} ψ_i · w)². Covariances between two fits on
    overlapping units: Σ_i ψ_i ψ'_i (align on ``unit_ids``), or with clusters Σ_c S_c S'_c with S_c the sums of ψ by
    ``cluster_ids``.
    """

    g: np.ndarray
    t: np.ndarray
    att: np.ndarray
    psi: np.ndarray
    unit_cohort: np.ndarray
    pg: np.ndarray
    sw: np.ndarray
    unit_ids: np.ndarray
    cluster: np.ndarray | None = None
    cluster_ids: np.ndarray | None = None

    @classmethod
    def from_diff_diff(cls, raw: Any, unit_ids: np.ndarray | None = None,
                       cluster_ids: np.ndarray | None = None) -> "GroupTimeInfluence":
        """From a diff-diff ``CallawaySantAnnaResults``; ``unit_ids`` / ``cluster_ids``: the id and cluster of each unit
        in diff-diff's order (sorted ids), default positions and no clusters."""
        kit = getattr(raw, "_aggregation_kit", None)
        if kit is None or not getattr(kit, "influence", None):
            raise RuntimeError(
                "diff-diff result carries no per-cell influence functions (private _aggregation_kit, "
                "diff-diff 3.13.0); calendar/group aggregation and the pre-test need them"
            )
        cells = sorted(c for c, v in raw.group_time_effects.items() if np.isfinite(v["effect"]) and c in kit.influence)
        coh = np.asarray(kit.bookkeeping["unit_cohorts"], dtype=float)
        psi = np.zeros((len(coh), len(cells)), order="F")  # column-major: each cell is filled and read whole
        for j, c in enumerate(cells):
            inf = kit.influence[c]
            col = psi[:, j]  # a view; the two index sets are disjoint (treated vs comparison units), so
            col[inf["treated_idx"]] = inf["treated_inf"] + 0.0  # setting 0.0 + ψ (the + 0.0 turns −0.0 into 0.0)
            col[inf["control_idx"]] = inf["control_inf"] + 0.0
        g = np.array([c[0] for c in cells], dtype=float)
        sw = kit.bookkeeping.get("survey_weights")
        sw = np.ones(len(coh)) if sw is None else np.asarray(sw, dtype=float)
        share = {x: float(np.sum(sw * (coh == x)) / sw.sum()) for x in np.unique(g)}
        return cls(
            g=g,
            t=np.array([c[1] for c in cells], dtype=float),
            att=np.array([raw.group_time_effects[c]["effect"] for c in cells]),
            psi=psi,
            unit_cohort=coh,
            pg=np.array([share[x] for x in g]),
            sw=sw,
            unit_ids=np.arange(len(coh)) if unit_ids is None else np.asarray(unit_ids),
            cluster=None if cluster_ids is None else pd.factorize(np.asarray(cluster_ids))[0].astype(np.int64),
            cluster_ids=None if cluster_ids is None else np.asarray(cluster_ids),
        )

    def wif(self, keep: np.ndarray, pg: np.ndarray | None = None, groups: np.ndarray | None = None) -> np.ndarray:
        """Influence of estimating the weights pg_k / Σ pg (R ``did:::wif``, with unit weights), n_units × len(keep)."""
        pg = self.pg[keep] if pg is None else pg
        groups = self.g[keep] if groups is None else groups
        key = (groups.tobytes(), pg.tobytes())
        cache = self.__dict__.setdefault("_wif", {})  # cells of different periods often share their cohorts
        if key not in cache:
            s = pg.sum()
            if "_levels" not in self.__dict__:
                self._levels = np.unique(self.unit_cohort, return_inverse=True) if (self.sw == 1).all() else None
            if self._levels is not None:  # unweighted: a unit's row depends on its cohort only, computed once each
                levels, inverse = self._levels
                ind = np.ones(len(levels))[:, None] * (levels[:, None] == groups[None, :]) - pg[None, :]
                cache[key] = ((ind / s - np.outer(ind.sum(axis=1), pg / s**2)) / self.sw.sum())[inverse]
            else:
                ind = self.sw[:, None] * (self.unit_cohort[:, None] == groups[None, :]) - pg[None, :]
                cache[key] = (ind / s - np.outer(ind.sum(axis=1), pg / s**2)) / self.sw.sum()
        return cache[key]

    def weighted(self, keep: np.ndarray) -> tuple[float, np.ndarray]:
        """Cohort-size weighted mean of the kept cells and its influence function (weights estimated)."""
        w = self.pg[keep] / self.pg[keep].sum()
        return float(w @ self.att[keep]), self.psi[:, keep] @ w + self.wif(keep) @ self.att[keep]

    def event(self, e: float) -> tuple[float, np.ndarray]:
        """ATT(e): :meth:`weighted` over the cells of event time ``t − g = e``."""
        return self.weighted(np.flatnonzero(self.t - self.g == e))

    def cluster_sums(self, psi: np.ndarray) -> np.ndarray:
        """Per-cluster sums of an influence function (n_units, or n_units × k); ``psi`` itself without clusters."""
        return _cluster_sums(np.asarray(psi, dtype=float), self.cluster)

    def variance(self, psi: np.ndarray) -> float:
        """Σ_c (Σ_{i∈c} ψ_i)² — Σ_i ψ_i² without clusters."""
        s = self.cluster_sums(psi)
        return float(np.sum(s**2))

    def covariance(self, psi: np.ndarray) -> np.ndarray:
        """k × k covariance Σ_c S_c S'_c of the columns of an n_units × k influence matrix."""
        s = self.cluster_sums(psi)
        return s.T @ s.copy(order="K")  # two operands: the general product (numpy's s.T @ s would switch to syrk)


def _boot_se(psi: np.ndarray, draws: int, seed: int | None) -> float:
    """Multiplier-bootstrap SE (Rademacher weights, IQR / 1.349 as R ``did::mboot``), one draw per row of ``psi``
    (units, or clusters when ``psi`` holds cluster sums)."""
    rng = np.random.default_rng(seed)
    out = []
    for b in range(0, draws, 200):
        xi = rng.choice([-1.0, 1.0], size=(min(200, draws - b), len(psi)))
        out.append(xi @ psi)
    boot = np.concatenate(out)
    q75, q25 = np.quantile(boot, [0.75, 0.25])
    return float((q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25)))


def _se(psi: np.ndarray, bootstrap: int, seed: int | None, cluster: np.ndarray | None = None) -> float:
    psi = _cluster_sums(psi, cluster)
    return _boot_se(psi, bootstrap, seed) if bootstrap else float(np.sqrt(np.sum(psi**2)))


def sup_t_critical(psi: np.ndarray, se: Sequence[float] | np.ndarray | None = None, *, alpha: float = 0.05,
                   draws: int = 1000, seed: int = 0, cluster: np.ndarray | None = None) -> float:
    """Critical value c of a simultaneous (sup-t) 1 − ``alpha`` band ``estimate_j ± c · se_j`` for k estimates.

    Multiplier bootstrap on their influence functions (R ``did::mboot``): ``psi`` is n × k (one column per estimate,
    scaled as in this module, Var = Σ_i ψ_i²; n units, or the per-cluster sums are taken when ``cluster`` codes are
    given), each draw multiplies the rows by independent Rademacher weights (drawn per cluster), and c is the
    1 − ``alpha`` quantile over ``draws`` draws of max_j |Σ_i ξ_i ψ_ij| / se_j. ``se``: the standard errors of the
    estimates (default √Σψ², the analytic ones; R studentises by bootstrap SEs, an interquartile-range estimate of the
    same quantity). Columns with a zero or undefined SE are left out of the maximum. Seeded: the same ``seed`` gives
    the same c. With k = 1, c ≈ 1.96; c grows with the number of estimates and falls with their correlation.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"sup_t_critical: alpha must be in (0, 1), not {alpha}")
    if draws < 100:
        raise ValueError("sup_t_critical: at least 100 bootstrap draws")
    x = np.asarray(psi, dtype=float)
    x = x[:, None] if x.ndim == 1 else x
    x = _cluster_sums(x, None if cluster is None else np.asarray(cluster, dtype=np.int64))
    sd = np.sqrt(np.sum(x**2, axis=0)) if se is None else np.asarray(se, dtype=float)
    ok = np.isfinite(sd) & (sd > 0)
    if not ok.any():
        return float("nan")
    x, sd = x[:, ok], sd[ok]
    rng = np.random.default_rng(seed)
    out = []
    for b in range(0, draws, 250):
        xi = 2.0 * rng.integers(0, 2, size=(min(250, draws - b), len(x)), dtype=np.int8) - 1.0
        out.append(np.max(np.abs(xi @ x) / sd, axis=1))
    return float(np.quantile(np.concatenate(out), 1 - alpha))


def _wald(a: np.ndarray, v: np.ndarray) -> tuple[float, int, float]:
    """``W = a' V⁻¹ a`` against χ²(len(a)); NaN (with a warning) when V is not finite or numerically singular."""
    q = len(a)
    if not np.all(np.isfinite(v)) or np.linalg.cond(v) > 1 / np.finfo(float).eps:
        warnings.warn("callaway_santanna: singular pre-period covariance, no pre-test", UserWarning, stacklevel=3)
        return float("nan"), q, float("nan")
    try:
        w = float(a @ np.linalg.solve(v, a))
    except np.linalg.LinAlgError:
        return float("nan"), q, float("nan")
    return w, q, float(stats.chi2.sf(w, q))


def wald_pretest(gt: GroupTimeInfluence, anticipation: int = 0) -> tuple[float, int, float]:
    """Joint Wald test that every pre-treatment ATT(g,t) (t < g − anticipation) is zero: (W, df, p-value).

    ``W = a' V⁻¹ a`` with V the influence-function covariance of the pre-period cells (cluster-robust if ``gt`` has
    clusters) — R ``did``'s pre-test when there is no anticipation (with anticipation R also includes the cells
    g − anticipation ≤ t < g; here they are left out: they may hold anticipated effects).
    """
    pre = np.flatnonzero(gt.t < gt.g - anticipation)
    if len(pre) == 0:
        return float("nan"), 0, float("nan")
    return _wald(gt.att[pre], gt.covariance(gt.psi[:, pre]))


# --- the result -------------------------------------------------------------------------------------------------


@dataclass
class EventStudyBands:
    """An event study with pointwise 95 % CIs and a simultaneous (sup-t) band: :meth:`CSResult.event_study`.

    ``table``: one row per event time, ``event_time, estimate, std_error, ci_low, ci_high`` (pointwise), ``band_low,
    band_high`` (simultaneous: they cover all the shown effects at once with probability 1 − ``alpha``),
    ``n_units`` (treated units behind the coefficient), ``reference`` (True on the base period's row, e = −1 −
    anticipation with a universal base: 0 by construction, no interval). ``crit``: the sup-t critical value (1.96
    for a pointwise CI). ``base_period``: ``universal`` (every coefficient against the year before entry — pre- and
    post-entry coefficients on the same footing, Roth 2024) or ``varying`` (pre-entry ones are year-on-year changes).
    """

    table: pd.DataFrame
    crit: float
    alpha: float
    draws: int
    seed: int
    base_period: str
    anticipation: int = 0

    def covers(self, truth: pd.Series) -> tuple[bool, bool]:
        """(every true effect inside its pointwise CI, every true effect inside the band) over the event times of
        ``truth`` (index = event time) shown in the table (reference row excluded)."""
        t = self.table[~self.table["reference"]].set_index("event_time")
        common = [e for e in truth.index if e in t.index]
        if not common:
            raise ValueError("covers: no event time in common with the truth")
        v, t = truth.loc[common].to_numpy(float), t.loc[common]
        point = bool(((t["ci_low"] <= v) & (v <= t["ci_high"])).all())
        band = bool(((t["band_low"] <= v) & (v <= t["band_high"])).all())
        return point, band


@dataclass
class CSResult:
    """Callaway–Sant'Anna estimates (all SEs analytic unless ``settings['bootstrap'] > 0``; cluster-robust when
    ``settings['cluster']`` is set).

    Attributes
    ----------
    att_gt : DataFrame
        ``cohort, time, event_time, estimate, std_error, ci_low, ci_high, n_units`` (treated units of the cohort).
    simple : Estimate
        Overall ATT: post-treatment ATT(g,t) averaged with cohort-size weights (R ``aggte(type="simple")``).
    group : Aggregate
        ``table`` by ``cohort`` (mean of each cohort's post-treatment ATTs); ``overall`` = cohort-size weighted mean.
    dynamic : Aggregate
        ``table`` by ``event_time`` (pre-periods included); ``overall`` = mean over e ≥ 0.
    calendar : Aggregate
        ``table`` by ``year``; ``overall`` = mean over years.
    pretest_stat, pretest_df, pretest_p : float, int, float
        Joint Wald test of the pre-treatment ATT(g,t) = 0 (:meth:`pretest` ``("att_gt")``).
    n_units, n_obs, n_units_dropped : int
        Estimation sample and units dropped by the panel preparation (``notes`` says why).
    pre_mean : float
        Mean outcome of the treated cohorts in their base period (g − 1 − anticipation), cohorts weighted as in the
        simple ATT (cohort share × number of post-treatment periods): the denominator of :meth:`relative`.
    warnings : list of str
        Messages of the warnings raised during the fit (panel preparation, diff-diff); they are also re-emitted.
    n_clusters : int or None
        Number of clusters when the SEs are clustered.
    raw : diff_diff.CallawaySantAnnaResults
        The diff-diff result.
    """

    att_gt: pd.DataFrame
    simple: Estimate
    group: Aggregate
    dynamic: Aggregate
    calendar: Aggregate
    pretest_stat: float
    pretest_df: int
    pretest_p: float
    n_units: int
    n_obs: int
    n_units_dropped: int
    notes: list[str]
    pre_mean: float
    settings: dict
    raw: Any = field(repr=False)
    _panel: Panel | None = field(default=None, repr=False)
    warnings: list[str] = field(default_factory=list)
    n_clusters: int | None = None
    _unit_ids: np.ndarray | None = field(default=None, repr=False)
    _cluster_ids: np.ndarray | None = field(default=None, repr=False)
    _es: Any = field(default=None, repr=False)
    _gt: GroupTimeInfluence | None = field(default=None, repr=False)

    def influence(self) -> GroupTimeInfluence:
        """Group-time ATTs with their per-unit influence functions (``g, t, att, psi, pg, unit_ids, cluster``).

        ``Var(Σ_k w_k ATT_k) = gt.variance(gt.psi @ w)`` (Σ_i (ψ_i · w)², or over cluster sums when clustered);
        ``.weighted(keep)`` gives the cohort-size weighted mean of the kept cells and its influence function including
        the estimated weights (R ``did`` aggregation). Covariances between two fits on the same units: Σ_i ψ_i ψ'_i
        (align on ``unit_ids``). Built on the first call (n_units × n_cells floats) and kept by the result: do not
        modify it.
        """
        if self._gt is None:
            self._gt = GroupTimeInfluence.from_diff_diff(self.raw, self._unit_ids, self._cluster_ids)
        return self._gt

    def event_influence(self, event_times: Sequence[int],
                        balance_e: int | None = None) -> tuple[float, pd.Series]:
        """Σ_e ATT(e) over ``event_times`` and its per-unit influence function (index = unit id).

        ATT(e) is the cohort-size weighted mean of the ATT(g,t) with t − g = e (the ``dynamic`` rows), its influence
        function including the estimated weights. One event time gives ATT(e) itself; ``range(h + 1)`` the cumulative
        effect up to h (divide value and ψ by ``len(event_times)`` for their mean). Variance: ``influence().variance``
        of the ψ values (Σ_i ψ_i² without clusters); covariance with another fit: Σ_i ψ_i ψ'_i over the units of both
        (align the two Series on their index, 0 where a unit is absent).

        ``balance_e``: R ``aggte(type="dynamic", balance_e=b)`` — only the cohorts observed at least b periods after
        treatment (last period − g ≥ b) enter every ATT(e), weights renormalised over them, so that a cumulative effect
        over e = 0..b sums effects of the same cohorts (without it, ATT(0) also averages the late cohorts that never
        reach b). R also drops the event times e > b, and those below b − (last − first period): asking for them here
        raises ``ValueError``.
        """
        gt = self.influence()
        total, psi = 0.0, np.zeros(len(gt.unit_cohort))
        balanced = np.ones(len(gt.g), dtype=bool)
        if balance_e is not None:
            periods = np.unique(np.asarray(self.att_gt["time"], dtype=float))
            t_max, t_min = float(periods.max()), float(periods.min())
            balanced = t_max - gt.g >= balance_e
            outside = [e for e in event_times if e > balance_e or e < balance_e - (t_max - t_min)]
            if outside:
                raise ValueError(f"event times {outside} are outside the balanced window of balance_e={balance_e}")
        for e in event_times:
            keep = np.flatnonzero((gt.t - gt.g == e) & balanced)
            if len(keep) == 0:
                raise ValueError(f"no ATT(g,t) at event time {e}")
            v, p = gt.weighted(keep)
            total += v
            psi = psi + p
        return total, pd.Series(psi, index=gt.unit_ids)

    def refit(self, **changes: Any) -> "CSResult":
        """The same fit on the same prepared sample with some settings changed (e.g. ``base_period="universal"``)."""
        if self._panel is None:
            raise RuntimeError("refit: this result keeps no prepared panel")
        keep = ("control_group", "est_method", "base_period", "bootstrap", "seed", "pscore_trim", "cluster")
        kw = {k: self.settings[k] for k in keep}
        kw.update(changes)
        return callaway_santanna(self._panel, self.settings["outcome"], **kw)

    def event_study(self, *, base_period: Literal["universal", "varying"] = "universal", alpha: float = 0.05,
                    draws: int = 1000, seed: int = 0, min_units: int = MIN_CELL, min_e: int | None = None,
                    max_e: int | None = None) -> EventStudyBands:
        """Event-time effects ATT(e) with pointwise 95 % CIs and a simultaneous (sup-t) 1 − ``alpha`` band.

        ``base_period="universal"`` (default) refits, if needed, with every coefficient measured against the
        cohort's last year before entry (g − 1 − anticipation): pre- and post-entry coefficients are then on the
        same footing and can be read on one graph (Roth 2024); the reference year is a row at 0. The band's
        critical value comes from a multiplier bootstrap (Rademacher weights, per cluster if the fit is clustered;
        ``draws``, ``seed``) on the influence functions of the shown ATT(e), including the estimated cohort weights
        (:func:`sup_t_critical`; R ``aggte(cband=TRUE)``). Event times resting on fewer than ``min_units`` treated
        units (disclosure rule) or outside ``[min_e, max_e]`` are left out of the table and of the band.
        """
        fit = self if self.settings["base_period"] == base_period else self.refit(base_period=base_period)
        gt = fit.influence()
        tab = fit.dynamic.table
        keep = (tab["n_units"] >= min_units) & tab["event_time"].isin(gt.t - gt.g)  # event times with ATT(g,t) cells
        if min_e is not None:
            keep &= tab["event_time"] >= min_e
        if max_e is not None:
            keep &= tab["event_time"] <= max_e
        tab = tab[keep].reset_index(drop=True)
        if len(tab):
            psi = np.column_stack([gt.event(e)[1] for e in tab["event_time"]])
            crit = sup_t_critical(psi, tab["std_error"].to_numpy(float), alpha=alpha, draws=draws, seed=seed,
                                  cluster=gt.cluster)
        else:
            crit = float("nan")
        tab["band_low"] = tab["estimate"] - crit * tab["std_error"]
        tab["band_high"] = tab["estimate"] + crit * tab["std_error"]
        tab["reference"] = False
        ref = -1 - fit.settings["anticipation"]
        if base_period == "universal" and len(tab) and ref not in set(tab["event_time"]) \
                and tab["event_time"].min() < ref < tab["event_time"].max():
            n_ref = int(fit.dynamic.table.loc[fit.dynamic.table["event_time"] == ref + 1, "n_units"].sum())
            row = {"event_time": ref, "estimate": 0.0, "std_error": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                   "p_value": np.nan, "n_units": n_ref, "band_low": np.nan, "band_high": np.nan, "reference": True}
            tab = pd.concat([tab, pd.DataFrame([row])], ignore_index=True).sort_values("event_time")
        cols = ["event_time", "estimate", "std_error", "ci_low", "ci_high", "band_low", "band_high", "p_value",
                "n_units", "reference"]
        return EventStudyBands(tab[cols].reset_index(drop=True), crit, alpha, draws, seed, base_period,
                               int(fit.settings["anticipation"]))

    def pretest(self, kind: Literal["att_gt", "event_time"] = "att_gt",
                min_units: int = MIN_CELL) -> tuple[float, int, float]:
        """Joint Wald pre-test of parallel trends: (W, degrees of freedom, p-value against χ²).

        ``"att_gt"``: every pre-treatment ATT(g,t) (t < g − anticipation) is zero — R ``did``'s pre-test, the
        ``pretest_*`` attributes. ``"event_time"``: every pre-treatment event-time effect ATT(e), e < 0, resting on at
        least ``min_units`` treated units (``min_units=0``: all) is zero, with their covariance from diff-diff's
        event-study aggregation (or the cluster-robust one from the influence functions). With many small entry cohorts
        the ATT(g,t) test has dozens of restrictions, each estimated on few units, and its χ² approximation rejects too
        often; the event-time test has one restriction per pre-treatment event time — what an event-study figure shows.
        NaN when there is no such coefficient or their covariance is singular.
        """
        if kind == "att_gt":
            return self.pretest_stat, self.pretest_df, self.pretest_p
        if kind != "event_time":
            raise ValueError(f"pretest: kind must be 'att_gt' or 'event_time', not {kind!r}")
        tab = self.dynamic.table
        es = self._es
        idx = [int(e) for e in np.asarray(es.vcov_index)] if getattr(es, "vcov_index", None) is not None else []
        pre = [int(e) for e, n in zip(tab["event_time"], tab["n_units"]) if e < 0 and n >= min_units and int(e) in idx]
        if not pre:
            return float("nan"), 0, float("nan")
        b = tab.set_index("event_time").loc[pre, "estimate"].to_numpy(float)
        if self.settings.get("cluster") is None:
            ii = [idx.index(e) for e in pre]
            v = np.asarray(es.vcov)[np.ix_(ii, ii)]
        else:
            gt = self.influence()
            v = gt.covariance(np.column_stack([gt.event(e)[1] for e in pre]))
        return _wald(b, v)

    @property
    def n_treated(self) -> int:
        """Number of ever-treated units in the estimation sample."""
        return int(self.raw.n_treated_units)

    def aggregates(self) -> dict[str, Estimate]:
        """The four overall ATTs by name: simple, dynamic, group, calendar."""
        return {"simple": self.simple, **{k: getattr(self, k).overall for k in ("dynamic", "group", "calendar")}}

    def summary(self) -> pd.DataFrame:
        """One row per overall aggregation, plus the pre-test p-value as a column."""
        out = pd.DataFrame(
            [{"aggregation": k, **{c: getattr(v, c) for c in ("estimate", "std_error", "ci_low", "ci_high", "p_value")}}
             for k, v in self.aggregates().items()]
        )
        out["n_units"], out["n_obs"], out["pretest_p"] = self.n_units, self.n_obs, self.pretest_p
        return out

    def table(self) -> pd.DataFrame:
        """Long tidy table of every aggregate: ``aggregation, key, value, estimate, std_error, ci_low, ci_high``."""
        parts = [self.summary().assign(key="overall", value=np.nan)]
        for name, agg in (("dynamic", self.dynamic), ("group", self.group), ("calendar", self.calendar)):
            parts.append(agg.table.rename(columns={agg.key: "value"}).assign(aggregation=name, key=agg.key))
        cols = ["aggregation", "key", "value", "estimate", "std_error", "ci_low", "ci_high", "p_value", "n_units"]
        return pd.concat(parts, ignore_index=True)[cols]

    @property
    def percent_factor(self) -> float:
        """100 / pre-period mean of the treated: multiplies an ATT into percent of the treated group's level."""
        return 100.0 / self.pre_mean

    def relative(self, which: str = "simple") -> Estimate | Aggregate:
        """An aggregate in percent of the treated group's pre-period mean (:attr:`pre_mean`).

        The denominator averages the cohorts' base-period means with the simple ATT's weights, so ``"simple"`` is a
        ratio of two means over the same cells; the other aggregates are scaled by the same factor (a common unit,
        not each row's own baseline). Delta method treating the pre-period mean as fixed: SE and CI are scaled by the
        same factor (the sampling error of the mean is ignored — it is small next to that of the ATT in a panel of
        this size).
        """
        f = self.percent_factor
        if which == "simple":
            return self.simple.scaled(f)
        agg: Aggregate = getattr(self, which)
        tab = agg.table.copy()
        tab[["estimate", "std_error", "ci_low", "ci_high"]] *= f
        return Aggregate(agg.key, agg.overall.scaled(f), tab)

    def to_rows(
        self,
        study: str,
        outcome: str,
        unit: str,
        headline: bool = False,
        data: str | None = None,
        scale: float = 1.0,
        subgroup: str = "all",
        subgroup_prefix: str = "",
        estimator: str = CS,
        percent: bool = False,
        overall: Iterable[str] = ("dynamic", "group", "calendar"),
        event_times: bool = True,
        cohorts: bool = True,
        years: bool = False,
        min_units: int = MIN_CELL,
    ) -> list[dict]:
        """Results rows: the simple ATT (``subgroup``, may be the headline), the other overall aggregates
        (estimator ``<estimator>_<name>``), event-time rows ``<prefix>event_time=e``, cohort rows
        ``<prefix>cohort=g`` and, if asked, calendar rows ``<prefix>year=t``.

        ``percent=True`` expresses everything in percent of :attr:`pre_mean` (pass ``unit="percent"``). Rows resting on
        fewer than ``min_units`` treated units are left out (disclosure rule).
        """
        f = scale * (self.percent_factor if percent else 1.0)
        kw = dict(data=data, scale=f)
        rows = self.simple.to_rows(study, outcome, unit, subgroup=subgroup, headline=headline, estimator=estimator, **kw)
        aggs = self.aggregates()
        for name in overall:
            rows += aggs[name].to_rows(study, outcome, unit, subgroup=subgroup, estimator=f"{estimator}_{name}", **kw)
        common = dict(estimator=estimator, subgroup_prefix=subgroup_prefix, n_obs=self.n_obs, min_units=min_units, **kw)
        for wanted, agg in ((event_times, self.dynamic), (cohorts, self.group), (years, self.calendar)):
            if wanted:  # keys event_time, cohort, year
                rows += agg.to_rows(study, outcome, unit, **common)
        return rows


# --- the estimator -----------------------------------------------------------------------------------------------


def callaway_santanna(
    df: pd.DataFrame | Panel,
    outcome: str,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    covariates: Sequence[str] | None = None,
    control_group: Literal["never_treated", "not_yet_treated"] = "never_treated",
    est_method: Literal["dr", "reg", "ipw"] = "dr",
    anticipation: int | None = None,
    base_period: Literal["varying", "universal"] = "varying",
    bootstrap: int = 0,
    seed: int | None = 0,
    pscore_trim: float = 0.01,
    weights: str | None = None,
    cluster: str | None = None,
) -> CSResult:
    """Callaway & Sant'Anna (2021) group-time ATTs and their aggregations (diff-diff ``CallawaySantAnna``).

    Parameters
    ----------
    df : DataFrame or Panel
        Long panel, one row per unit and period, prepared by the rules of :func:`prepare_panel` (balanced); or a
        :class:`Panel` from :func:`prepare`, to fit several outcomes or designs on one sample prepared once (``unit``,
        ``time``, ``cohort``, ``covariates``, ``weights``, ``anticipation`` then default to the panel's and, if given,
        must equal them).
    outcome, unit, time : str
        Column names.
    cohort : str
        First treated period; NaN, 0 or inf = never treated.
    covariates : list of str, optional
        Time-invariant covariates (taken at baseline) for conditional parallel trends.
    control_group : {"never_treated", "not_yet_treated"}
    est_method : {"dr", "reg", "ipw"}
        Doubly robust (default), outcome regression or inverse probability weighting.
    anticipation : int
        Periods of anticipation δ (default 0). As R ``did``: the base period of cohort g is g − 1 − δ (the comparison
        for ATT(g,t) is drawn at g − 1 − δ), units treated by the first period + δ have no pre-period and are
        dropped, and the aggregations (simple, cohort, calendar, the overall dynamic ATT) average the cells t ≥ g
        only — the anticipation cells g − δ ≤ t < g are shown in the event study (e = −δ … −1) but enter no average
        effect (diff-diff averages them with the post-treatment cells; evalkit recomputes as R). One difference from
        R, stated: the Wald pre-test uses the cells t < g − δ (R's tests every t < g, the anticipation cells too,
        which then tests "no anticipation" jointly with parallel trends).
    base_period : {"varying", "universal"}
        R's default ``varying``; :func:`honest_did` refits with ``universal``.
    bootstrap : int
        0 = analytic (influence-function) SEs; otherwise number of multiplier-bootstrap draws (seeded, and
        simultaneous bands are then computed for the event study).
    seed : int, optional
        Bootstrap seed (recorded in ``settings``).
    pscore_trim : float
        Propensity-score trimming bound (diff-diff default 0.01; R ``did`` trims nothing — use a tiny value such as
        1e-10 to match R with covariates; without covariates it has no effect).
    weights : str, optional
        Column of unit weights (time-invariant, e.g. ``MatchResult.weights`` merged on the unit id): weighted
        ATT(g,t) (diff-diff sampling weights) and weighted cohort shares in every aggregation (R ``weightsname``).
    cluster : str, optional
        Time-invariant column (e.g. ``department``) at which to cluster: every standard error (ATT(g,t) rows, simple,
        cohort, event-time and calendar aggregations and their rows) and both pre-tests use the cluster-robust
        influence-function variance Σ_c (Σ_{i∈c} ψ_i)², with the estimated aggregation weights included in ψ. No
        small-sample factor G/(G − 1) and no centring: the estimand of R ``did``'s ``clustervars`` (clusters drawn
        together in its multiplier bootstrap, cluster sums of ψ; current R ``did``). R computes clustered SEs only
        by the bootstrap (``bstrap=TRUE``); here they are analytic unless ``bootstrap > 0``, in which case the
        Rademacher weights are drawn per cluster, as in R. diff-diff's own ``cluster=`` (CR1 Liang–Zeger, not used)
        gives these variances × G/(G − 1), with t(G − 1) intervals: the cluster sums of ψ add up to zero, so its
        centring changes nothing. ``cluster == unit`` is no clustering (R drops ``idname`` from ``clustervars``).
        Confidence intervals stay normal; ``n_clusters`` says how many clusters there are (few clusters: caution).

    Returns
    -------
    CSResult
        ``warnings`` lists the messages of the warnings raised during the fit; they are re-emitted as well.
    """
    if bootstrap and seed is None:
        raise ValueError("callaway_santanna: a bootstrap needs a seed (reproducible pages)")
    if isinstance(df, Panel):
        panel = df
        given = dict(unit=unit, time=time, cohort=cohort, anticipation=anticipation, weights=weights,
                     covariates=None if covariates is None else tuple(covariates))
        own = dict(unit=panel.unit, time=panel.time, cohort=panel.cohort, anticipation=panel.anticipation,
                   weights=panel.weights, covariates=panel.covariates)
        bad = {k: v for k, v in given.items() if v is not None and v != own[k]}
        if bad:
            raise ValueError(f"callaway_santanna: {bad} differ from the prepared panel's {own}; prepare another Panel")
    else:
        if unit is None or time is None or cohort is None:
            raise TypeError("callaway_santanna: unit, time and cohort are required with a DataFrame")
        panel = prepare(df, unit, time, cohort, covariates, weights, anticipation or 0)
    unit, time, anticipation = panel.unit, panel.time, panel.anticipation
    covariates, weights = list(panel.covariates), panel.weights
    if cluster is not None and cluster == unit:
        cluster = None  # units are the clusters of the analytic variance already
    settings = dict(
        outcome=outcome, unit=unit, time=time, covariates=covariates, control_group=control_group,
        est_method=est_method, anticipation=anticipation, base_period=base_period, bootstrap=bootstrap, seed=seed,
        pscore_trim=pscore_trim, weights=weights, cluster=cluster,
    )
    with collect_warnings() as caught:
        res = _fit(panel, outcome, settings)
    for w in caught.records:  # re-emitted at the caller's line
        warnings.warn(w.message, w.category, stacklevel=2)
    res.warnings = list(caught)
    return res


def _fit(panel: Panel, outcome: str, s: dict) -> CSResult:
    from diff_diff import CallawaySantAnna

    unit, time, anticipation, weights, cluster = s["unit"], s["time"], s["anticipation"], s["weights"], s["cluster"]
    bootstrap, seed = s["bootstrap"], s["seed"]
    if cluster is not None:
        panel.check_invariant(cluster)
    d, notes, n_dropped = panel.frame(outcome, extra=[cluster] if cluster else [])
    if notes:
        warnings.warn("panel prepared for estimation: " + "; ".join(notes), UserWarning)
    est = CallawaySantAnna(
        control_group=s["control_group"], anticipation=anticipation, estimation_method=s["est_method"],
        n_bootstrap=bootstrap, seed=seed if bootstrap else None, base_period=s["base_period"], cband=bool(bootstrap),
        pscore_trim=s["pscore_trim"],
    )
    raw = est.fit(d, outcome=outcome, unit=unit, time=time, first_treat=FT, covariates=s["covariates"] or None,
                  survey_design=_survey(d, weights))
    codes = d[unit].to_numpy()
    first = np.r_[True, codes[1:] != codes[:-1]]
    n_units, n_obs = int(first.sum()), len(d)
    # one id (and cluster) per unit, in diff-diff's unit order: sorted codes, as the frame
    gt = GroupTimeInfluence.from_diff_diff(raw, unit_ids=panel.unit_ids[codes[first]],
                                           cluster_ids=d[cluster].to_numpy()[first] if cluster else None)
    cl = gt.cluster
    if len(gt.unit_cohort) != n_units:
        raise RuntimeError("callaway_santanna: unit ids and influence rows do not align")
    sizes = pd.Series(d[FT].to_numpy()[first]).value_counts()

    att_gt = _att_gt_table(raw, sizes, gt, bootstrap, seed)
    common = dict(bootstrap=bootstrap, seed=seed, n_units=n_units, n_obs=n_obs)
    simple_row = raw.aggregate("simple").to_dataframe().iloc[0]
    if cl is None and anticipation == 0:
        simple = Estimate(CS, *(float(simple_row[k]) for k in _DD_COLUMNS), n_units=n_units, n_obs=n_obs)
    else:  # R aggte: post-treatment cells are t >= g whatever the anticipation (diff-diff: t >= g - anticipation)
        value, psi = gt.weighted(np.flatnonzero(gt.t >= gt.g))
        value = float(simple_row["att"]) if anticipation == 0 else value  # the same number, diff-diff's rounding
        simple = _estimate(value, psi, bootstrap, seed, cl, n_units=n_units, n_obs=n_obs)
    group = _group(raw, gt, sizes, anticipation, **common)
    es = raw.aggregate("event_study")
    dynamic = _dynamic(es, gt, sizes, **common)
    calendar = _calendar(gt, sizes, anticipation, **common)
    w, q, p = wald_pretest(gt, anticipation)
    return CSResult(
        att_gt=att_gt, simple=simple, group=group, dynamic=dynamic, calendar=calendar,
        pretest_stat=w, pretest_df=q, pretest_p=p,
        n_units=n_units, n_obs=n_obs, n_units_dropped=n_dropped, notes=notes,
        pre_mean=_pre_mean(d, outcome, time, anticipation, weights, gt), settings=s, raw=raw, _panel=panel,
        n_clusters=None if cl is None else int(cl.max()) + 1, _unit_ids=gt.unit_ids, _cluster_ids=gt.cluster_ids,
        _es=es,
    )  # the influence matrix is not kept (influence() rebuilds it): tens of MB per fit at national size


def _survey(d: pd.DataFrame, weights: str | None) -> Any:
    """diff-diff's ``SurveyDesign`` of the unit weights ``weights`` (None without), normalised in ``d`` to mean 1 as
    diff-diff would, without its notice."""
    if not weights:
        return None
    from diff_diff import SurveyDesign

    d[weights] = d[weights] / d[weights].mean()
    return SurveyDesign(weights=weights)


def _reinfer(table: pd.DataFrame, psis: dict, gt: GroupTimeInfluence, bootstrap: int, seed: int | None) -> None:
    """Replace, in place, the SE, CI and p-value of the rows ``i`` of ``psis`` by the cluster-robust ones of ψ_i."""
    for i, psi in psis.items():
        est = table.at[i, "estimate"]
        se = _se(psi, bootstrap, seed, gt.cluster)
        lo, hi = normal_ci(est, se)
        table.loc[i, ["std_error", "ci_low", "ci_high", "p_value"]] = [se, lo, hi, normal_p(est, se)]


def _att_gt_table(raw: Any, sizes: pd.Series, gt: GroupTimeInfluence, bootstrap: int, seed: int | None
                  ) -> pd.DataFrame:
    rows = []
    for (g, t), v in sorted(raw.group_time_effects.items()):
        lo, hi = v["conf_int"]
        rows.append((int(g), int(t), int(t - g), v["effect"], v["se"], lo, hi, v.get("p_value", np.nan),
                     int(sizes.get(g, 0))))
    cols = ["cohort", "time", "event_time", "estimate", "std_error", "ci_low", "ci_high", "p_value", "n_units"]
    table = pd.DataFrame(rows, columns=cols)
    if gt.cluster is not None:
        col = {(float(g), float(t)): j for j, (g, t) in enumerate(zip(gt.g, gt.t))}
        psis = {i: gt.psi[:, col[(float(g), float(t))]] for i, (g, t) in enumerate(zip(table.cohort, table.time))
                if (float(g), float(t)) in col}
        _reinfer(table, psis, gt, bootstrap, seed)
    return table


def _estimate(value: float, psi: np.ndarray, bootstrap: int, seed: int | None, cluster: np.ndarray | None = None,
              **kw: Any) -> Estimate:
    return Estimate.from_se(CS, value, _se(psi, bootstrap, seed, cluster), **kw)


def _group(raw: Any, gt: GroupTimeInfluence, sizes: pd.Series, anticipation: int, bootstrap: int, seed,
           **kw: Any) -> Aggregate:
    tab = raw.aggregate("group").to_dataframe()
    table = _tidy_agg(tab, "cohort")
    table["n_units"] = [int(sizes.get(g, 0)) for g in table["cohort"]]
    cohorts = np.asarray(table["cohort"], dtype=float)
    # R aggte: a cohort's post-treatment cells are t >= g (diff-diff also averages the anticipation cells)
    post = [(gt.g == g) & (gt.t >= g) for g in cohorts]
    psi_g = np.column_stack([gt.psi[:, k].mean(axis=1) for k in post])
    if anticipation:
        table["estimate"] = [float(gt.att[k].mean()) for k in post]
    if gt.cluster is not None or anticipation:
        _reinfer(table, {i: psi_g[:, i] for i in range(len(cohorts))}, gt, bootstrap, seed)
    pg = np.array([np.sum(gt.sw * (gt.unit_cohort == g)) / gt.sw.sum() for g in cohorts])
    att_g = table["estimate"].to_numpy()
    value = float(pg @ att_g / pg.sum())
    psi = psi_g @ (pg / pg.sum()) + gt.wif(np.arange(len(cohorts)), pg=pg, groups=cohorts) @ att_g
    return Aggregate("cohort", _estimate(value, psi, bootstrap, seed, gt.cluster, **kw), table)


def _dynamic(es: Any, gt: GroupTimeInfluence, sizes: pd.Series, bootstrap: int, seed, **kw: Any) -> Aggregate:
    tab = es.to_dataframe()
    tab = tab[~tab["is_reference"].astype(bool)] if "is_reference" in tab else tab
    table = _tidy_agg(tab.rename(columns={"event_time": "label"}), "event_time")
    table["event_time"] = table["event_time"].astype(int)
    table["n_units"] = [int(sum(sizes.get(g, 0) for g in np.unique(gt.g[gt.t - gt.g == e]))) for e in table.event_time]
    post = table["event_time"].to_numpy() >= 0
    value = float(table.loc[post, "estimate"].mean())
    if bootstrap or gt.cluster is not None:
        psi_e = {i: gt.event(e)[1] for i, e in enumerate(table.event_time)
                 if (gt.t - gt.g == e).any()}
        if gt.cluster is not None:
            _reinfer(table, psi_e, gt, bootstrap, seed)
        se = _se(np.mean([psi_e[i] for i in np.flatnonzero(post)], axis=0), bootstrap, seed, gt.cluster)
    else:  # SE √(w'Vw) from diff-diff's event-study covariance (reproduces R's dynamic overall SE)
        idx = list(np.asarray(es.vcov_index))
        w = np.zeros(len(idx))
        for e in table.event_time[post]:
            w[idx.index(e)] = 1.0 / post.sum()
        se = float(np.sqrt(w @ np.asarray(es.vcov) @ w))
    return Aggregate("event_time", Estimate.from_se(CS, value, se, **kw), table)


def _calendar(gt: GroupTimeInfluence, sizes: pd.Series, anticipation: int, bootstrap: int, seed,
              **kw: Any) -> Aggregate:
    years = np.unique(gt.t[gt.t >= gt.g.min()])
    rows, psis = [], []
    for t in years:
        keep = np.flatnonzero((gt.t == t) & (gt.g <= t))  # R aggte: cohorts treated by t (anticipation cells out)
        if len(keep) == 0:
            continue
        value, psi = gt.weighted(keep)
        e = _estimate(value, psi, bootstrap, seed, gt.cluster)
        n = int(sum(sizes.get(g, 0) for g in np.unique(gt.g[keep])))
        rows.append((int(t), e.estimate, e.std_error, e.ci_low, e.ci_high, e.p_value, n))
        psis.append(psi)
    table = pd.DataFrame(rows, columns=["year", "estimate", "std_error", "ci_low", "ci_high", "p_value", "n_units"])
    overall = _estimate(float(table["estimate"].mean()), np.mean(psis, axis=0), bootstrap, seed, gt.cluster, **kw)
    return Aggregate("year", overall, table)


#: diff-diff's aggregation columns → evalkit's, in Estimate's order.
_DD_COLUMNS = {"att": "estimate", "se": "std_error", "conf_int_lower": "ci_low", "conf_int_upper": "ci_high",
               "p_value": "p_value"}


def _tidy_agg(tab: pd.DataFrame, key: str) -> pd.DataFrame:
    out = pd.DataFrame({key: tab["label"].to_numpy(),
                        **{new: tab[old].to_numpy(float) for old, new in _DD_COLUMNS.items()}})
    if key == "cohort":
        out[key] = out[key].astype(float).astype(int)
    return out


def _pre_mean(panel: pd.DataFrame, outcome: str, time: str, anticipation: int, weights: str | None = None,
              gt: GroupTimeInfluence | None = None) -> float:
    """Denominator of the percent effects: the treated cohorts' (weighted) mean outcome in their base period
    (g − 1 − anticipation), averaged over cohorts with the weights of the simple ATT.

    The simple ATT weights each post-treatment cell ATT(g,t), t ≥ g, by the cohort share P(G = g): cohort g weighs
    P(G = g) × (its number of post-treatment periods). The same weights average the cohorts' base-period means, so
    that simple ATT / pre_mean is a ratio of two means over the same cells (not over the treated units, which would
    give the late cohorts, observed after entry for fewer years, as much weight as the early ones). Without ``gt``
    (or without post-treatment cells) every treated unit counts once.
    """
    ft, t = panel[FT].to_numpy(), panel[time].to_numpy()
    treated = np.flatnonzero(ft > 0)
    periods = np.sort(pd.unique(t))
    cohorts, which = np.unique(ft[treated], return_inverse=True)
    base = np.full(len(cohorts), np.nan)
    for k, g in enumerate(cohorts):  # each cohort's base period, once
        before = periods[periods < g - anticipation]
        if len(before):
            base[k] = before.max()
    sel = treated[t[treated] == base[which]]
    if not len(sel):
        return float("nan")
    y = panel[outcome].to_numpy()[sel]
    w = panel[weights].to_numpy()[sel].astype(float) if weights else np.ones(len(sel))
    if gt is None:
        return float(np.average(y, weights=w))
    coh = ft[sel]
    cell_w = {g: float(gt.pg[(gt.g == g) & (gt.t >= g)].sum()) for g in np.unique(coh)}
    means = {g: float(np.average(y[coh == g], weights=w[coh == g])) for g in cell_w if w[coh == g].sum() > 0}
    tot = sum(cell_w[g] for g in means)
    if tot <= 0:
        return float(np.average(y, weights=w))
    return float(sum(cell_w[g] * means[g] for g in means) / tot)


# --- Goodman-Bacon ------------------------------------------------------------------------------------------------


@dataclass
class BaconResult:
    """Goodman-Bacon (2021) decomposition of the TWFE estimate into 2×2 comparisons.

    ``comparisons``: ``treated_group, control_group, type`` (``treated_vs_never``, ``earlier_vs_later``,
    ``later_vs_earlier`` — the forbidden one, already-treated units as controls), ``estimate, weight, n_treated,
    n_control``. ``by_type``: total weight and weighted mean estimate per type. Σ weight × estimate = ``twfe_estimate``.
    """

    twfe_estimate: float
    comparisons: pd.DataFrame
    by_type: pd.DataFrame
    n_units: int
    n_obs: int
    notes: list[str]
    raw: Any = field(repr=False, default=None)

    def table(self) -> pd.DataFrame:
        return self.comparisons.copy()

    def summary(self) -> pd.DataFrame:
        return self.by_type.copy()

    def to_rows(self, study: str, outcome: str, unit: str, data: str | None = None, scale: float = 1.0) -> list[dict]:
        """One row per comparison type (``subgroup="comparison=<type>"``, estimator ``bacon``, no SE): the type's
        weighted mean 2×2 estimate. The weights have no results-table column; show :meth:`summary`."""
        return [
            make_row(study=study, outcome=outcome, estimator="bacon", estimate=r.estimate * scale, unit=unit,
                     n_units=self.n_units, n_obs=self.n_obs, subgroup=f"comparison={r.type}", data=data)
            for r in self.by_type.itertuples(index=False)
        ]


def bacon_decomposition(df: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str) -> BaconResult:
    """Goodman-Bacon decomposition (diff-diff ``BaconDecomposition``, exact weights) on the balanced panel.

    The panel is prepared as for :func:`callaway_santanna` (balanced; see :func:`prepare_panel`).
    """
    from diff_diff import BaconDecomposition

    panel, notes, _ = prepare_panel(df, outcome, unit, time, cohort)
    raw = BaconDecomposition(weights="exact").fit(panel, outcome=outcome, unit=unit, time=time, first_treat=FT)
    comp = raw.to_dataframe().rename(columns={"comparison_type": "type"})
    comp["weighted"] = comp["estimate"] * comp["weight"]
    by = comp.groupby("type", sort=False).agg(weight=("weight", "sum"), weighted=("weighted", "sum"),
                                              n_comparisons=("weight", "size"))
    by["estimate"] = by["weighted"] / by["weight"]
    by = by.reset_index()[["type", "weight", "estimate", "n_comparisons"]]
    comp = comp.drop(columns="weighted")
    return BaconResult(float(raw.twfe_estimate), comp, by, int(panel[unit].nunique()), len(panel), notes, raw=raw)


# HonestDiD (Rambachan & Roth 2023, ARP hybrid test for relative magnitudes) lives in evalkit.estimators.honest, which
# builds on this module: its names are served lazily here for older imports (PEP 562).
def __getattr__(name: str):
    if name in ("HonestResult", "honest_did"):
        from . import honest

        return getattr(honest, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
