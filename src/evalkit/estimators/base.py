"""Tidy result types shared by every estimator: one estimate, a keyed table of estimates, and their results rows.

An :class:`Estimate` is a point estimate with its standard error and 95 % confidence interval. An
:class:`Aggregate` is an overall :class:`Estimate` plus a table keyed by cohort, event time or year (the shape of a
Callaway–Sant'Anna aggregation or an event study). Both turn into rows of the results table
(:func:`evalkit.results.make_row`) with ``to_rows``. :func:`collect_warnings` / :func:`caught` gather the warnings an
estimator raises so that a chapter reports them instead of printing them.
"""

from __future__ import annotations

import math
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence, TypeVar

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..disclosure import MIN_CELL
from ..results import make_row

LEVEL = 0.95
Z = float(norm.ppf(0.5 + LEVEL / 2))  # 1.959964


def normal_ci(estimate: float, std_error: float, z: float = Z) -> tuple[float, float]:
    """Normal-approximation confidence interval ``estimate ± z·se`` (NaN when the SE is not finite)."""
    if std_error is None or not np.isfinite(std_error):
        return float("nan"), float("nan")
    return float(estimate - z * std_error), float(estimate + z * std_error)


def normal_p(estimate: float, std_error: float) -> float:
    """Two-sided p-value of ``estimate / se`` against the standard normal."""
    if std_error is None or not np.isfinite(std_error) or std_error <= 0:
        return float("nan")
    return float(2 * norm.sf(abs(estimate / std_error)))


@dataclass(frozen=True)
class Estimate:
    """One estimate with its standard error and 95 % confidence interval.

    Attributes
    ----------
    estimator : str
        Label written to the ``estimator`` column of the results table (e.g. ``"twfe"``).
    estimate, std_error, ci_low, ci_high, p_value : float
        Point estimate, standard error, 95 % CI bounds and two-sided p-value.
    n_units, n_obs : int or None
        Units and observations the estimate rests on.
    """

    estimator: str
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    p_value: float = float("nan")
    n_units: int | None = None
    n_obs: int | None = None

    @classmethod
    def from_se(cls, estimator: str, estimate: float, std_error: float, **kw: Any) -> "Estimate":
        """Build an estimate whose CI and p-value follow from the SE (normal approximation)."""
        lo, hi = normal_ci(estimate, std_error)
        return cls(estimator, float(estimate), float(std_error), lo, hi, normal_p(estimate, std_error), **kw)

    def scaled(self, factor: float, estimator: str | None = None) -> "Estimate":
        """The same estimate in another unit (estimate, SE and CI multiplied by ``factor``)."""
        lo, hi = sorted((self.ci_low * factor, self.ci_high * factor))
        return Estimate(
            estimator or self.estimator,
            self.estimate * factor,
            self.std_error * abs(factor),
            lo,
            hi,
            self.p_value,
            self.n_units,
            self.n_obs,
        )

    def table(self) -> pd.DataFrame:
        """One-row DataFrame ready to display."""
        return pd.DataFrame([self.__dict__])

    summary = table

    def to_rows(
        self,
        study: str,
        outcome: str,
        unit: str,
        subgroup: str = "all",
        headline: bool = False,
        data: str | None = None,
        scale: float = 1.0,
        estimator: str | None = None,
    ) -> list[dict]:
        """A one-element list holding this estimate as a results-table row (estimate, SE and CI × ``scale``)."""
        if headline and subgroup != "all":
            raise ValueError("a headline row must have subgroup 'all'")
        e = self.scaled(scale) if scale != 1.0 else self
        return [
            make_row(
                study=study,
                outcome=outcome,
                estimator=estimator or e.estimator,
                estimate=e.estimate,
                std_error=e.std_error,
                ci_low=e.ci_low,
                ci_high=e.ci_high,
                unit=unit,
                n_units=e.n_units,
                n_obs=e.n_obs,
                subgroup=subgroup,
                headline=headline,
                data=data,
            )
        ]


@dataclass
class Aggregate:
    """An overall estimate plus a table of estimates keyed by ``key`` (``cohort``, ``event_time`` or ``year``).

    ``table`` columns: ``key, estimate, std_error, ci_low, ci_high, p_value`` and, where known, ``n_units`` (units
    the row rests on: treated units of the cohort, or treated units observed at that event time / year).
    """

    key: str
    overall: Estimate
    table: pd.DataFrame = field(repr=False)

    def to_rows(
        self,
        study: str,
        outcome: str,
        unit: str,
        data: str | None = None,
        scale: float = 1.0,
        estimator: str | None = None,
        subgroup_prefix: str = "",
        n_obs: int | None = None,
        min_units: int = MIN_CELL,
    ) -> list[dict]:
        """Rows ``<prefix><key>=<value>`` for every table row (:func:`table_rows`; not the overall estimate).

        Rows resting on fewer than ``min_units`` units are left out (statistical disclosure rule).
        """
        return table_rows(self.table, self.key, estimator or self.overall.estimator, study, outcome, unit, data=data,
                          scale=scale, subgroup_prefix=subgroup_prefix, n_obs=n_obs, min_units=min_units)


def table_rows(table: pd.DataFrame, key: str, estimator: str, study: str, outcome: str, unit: str, *,
               data: str | None = None, scale: float = 1.0, subgroup_prefix: str = "", n_obs: int | None = None,
               min_units: int = MIN_CELL) -> list[dict]:
    """Results rows ``<prefix><key>=<value>`` of a table of estimates (columns ``key, estimate, std_error, ci_low,
    ci_high, p_value`` and, where known, ``n_units``); rows resting on fewer than ``min_units`` units are left out
    (statistical disclosure rule)."""
    rows = []
    for r in table.itertuples(index=False):
        n = getattr(r, "n_units", None)
        n = None if n is None or (isinstance(n, float) and math.isnan(n)) else int(n)
        if n is not None and n < min_units:
            continue
        v = getattr(r, key)
        label = str(int(v)) if isinstance(v, (float, np.floating)) and float(v).is_integer() else str(v)  # 2006.0
        est = Estimate(estimator, r.estimate, r.std_error, r.ci_low, r.ci_high, r.p_value, n, n_obs)
        rows += est.to_rows(study, outcome, unit, subgroup=f"{subgroup_prefix}{key}={label}", data=data, scale=scale)
    return rows


def clean_cohort(s: pd.Series) -> pd.Series:
    """First-treated year as float, never-treated = NaN (accepts NaN, 0 or ±inf as the never-treated code)."""
    c = pd.to_numeric(s, errors="coerce").astype(float)
    return c.where(np.isfinite(c) & (c != 0))


def treatment_dummy(df: pd.DataFrame, time: str, cohort: str) -> pd.Series:
    """D_it = 1{t ≥ cohort} (0 for never-treated units)."""
    c = clean_cohort(df[cohort])
    return (c.notna() & (df[time] >= c)).astype(float)


# --- warnings raised by the estimators ----------------------------------------------------------------------------


class CaughtWarnings(list):
    """Messages (``str``) of the warnings caught by :func:`collect_warnings`, in the order raised.

    ``records`` keeps the :class:`warnings.WarningMessage` objects of the messages listed (category, file, line), e.g.
    to re-emit some of them with :func:`warnings.warn_explicit`.
    """

    records: list


@contextmanager
def collect_warnings(*, short: bool = False, unique: bool = False,
                     ignore: Sequence[str] = ()) -> Iterator[CaughtWarnings]:
    """Record every warning raised in the block (none is printed) and yield the list of their messages.

    The list is filled when the block exits (also when it raises). ``short``: each message as ``"<Category>: <first
    line, 200 characters at most>"`` instead of the full text; ``unique``: repeats left out; ``ignore``: regular
    expressions (``re.search``) of messages left out of the list (checked and harmless ones).

    >>> with collect_warnings() as caught:
    ...     warnings.warn("12 units dropped")
    >>> caught
    ['12 units dropped']
    """
    out = CaughtWarnings()
    out.records = []
    pats = [re.compile(p) for p in ignore]
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        try:
            yield out
        finally:
            for w in rec:
                if any(p.search(str(w.message)) for p in pats):
                    continue
                text = str(w.message)
                msg = f"{w.category.__name__}: {text.splitlines()[0][:200] if text else ''}" if short else text
                if unique and msg in out:
                    continue
                out.append(msg)
                out.records.append(w)


T = TypeVar("T")


def caught(fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, CaughtWarnings]:
    """Call ``fn(*args, **kwargs)`` and return ``(result, messages of the warnings it raised)`` (none printed)."""
    with collect_warnings() as messages:
        result = fn(*args, **kwargs)
    return result, messages
