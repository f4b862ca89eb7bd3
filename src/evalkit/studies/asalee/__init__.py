"""The Asalée chapter: effect of GP–nurse cooperation on six follow-up indicators of type 2 diabetics.

Entry point: :func:`analyse` (any table that follows the ``asalee`` contract) → :class:`AsaleeAnalysis`, which holds
the estimation (:class:`~.analysis.AsaleeResult`, also readable as attributes: ``a.itt``, ``a.cohorts``…), the
results rows, the French texts for glue, and the figure/table builders the notebook calls.

The package: :mod:`.analysis` (estimation: data frame in, frozen result out), :mod:`.rows` (results rows),
:mod:`.texts` (French labels, captions, glued sentences), :mod:`.display` (figures and tables), :mod:`.published`
(published figures the chapter cites).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Sequence

import pandas as pd

from ... import paths, plots
from ...simulate.asalee import ANCHOR
from . import display, rows as _rows, texts as _texts
from .analysis import (INDICATORS, MAIN, AsaleeResult, Fit, aggregate_gp_year, analyse_data, cs_sample,
                       dose_equality, dose_response, fit_cs, gp_intensity, intensity_groups, per_protocol_panel,
                       published_design)
from .published import DEPLOYMENT, PUBLISHED
from .texts import LABELS

STUDY = "asalee"


@dataclass(frozen=True)
class AsaleeAnalysis:
    """The chapter's analysis: ``result`` (estimation), ``kind`` of data, results ``rows``, glue ``texts``.

    The result's fields read as attributes (``a.itt``, ``a.per_protocol``, ``a.settings``…). Builders:
    :meth:`table_programme`, :meth:`table_sample`, :meth:`figure_trends`, :meth:`table_itt`, :meth:`figure_forest`,
    :meth:`figure_event_study`, :meth:`table_robustness`, :meth:`table_per_protocol`, :meth:`figure_dose`,
    :meth:`table_dose`, :meth:`table_honest`, :meth:`table_published`.
    """

    result: AsaleeResult
    kind: str
    rows: pd.DataFrame
    texts: dict[str, str]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "result":
            raise AttributeError(name)
        return getattr(self.result, name)

    @property
    def champ(self) -> str:
        return _texts.champ(self.result)

    @property
    def source(self) -> str:
        return _texts.source(self.kind)

    def table_programme(self) -> plots.Table:
        return display.table_programme()

    def table_sample(self) -> plots.Table:
        return display.table_sample(self.result, self.kind)

    def figure_trends(self, indicators: Sequence[str] = display.TREND_INDICATORS) -> plots.Figure:
        return display.figure_trends(self.result, self.kind, indicators)

    def table_itt(self) -> plots.Table:
        return display.table_itt(self.result, self.kind)

    def figure_forest(self) -> plots.Figure:
        return display.figure_forest(self.result, self.kind)

    def figure_event_study(self) -> plots.Figure:
        return display.figure_event_study(self.result, self.kind)

    def table_robustness(self) -> plots.Table:
        return display.table_robustness(self.result, self.kind)

    def table_per_protocol(self) -> plots.Table:
        return display.table_per_protocol(self.result, self.kind)

    def figure_dose(self, indicator: str = MAIN) -> plots.Figure | plots.Table:
        return display.figure_dose(self.result, self.kind, indicator)

    def table_dose(self) -> plots.Table:
        return display.table_dose(self.result, self.kind)

    def table_honest(self) -> plots.Table:
        return display.table_honest(self.result, self.kind)

    def table_published(self) -> plots.Table:
        return display.table_published(self.result, self.kind)

    def figure_agreement(self, indicator: str = MAIN) -> plots.Figure | plots.Table:
        return display.figure_agreement(self.result, self.kind, indicator)


def analyse(df: pd.DataFrame, *, seed: int = 0, truth: Any = None, kind: str | None = None,
            weights: Literal["patients", "units"] = "patients", agreement: bool = True) -> AsaleeAnalysis:
    """The chapter's analysis on any table following the ``asalee`` contract.

    ``kind``: ``"synthetic"`` or ``"user"`` (the rows' ``data`` column, the « Source » lines); None asks
    :func:`evalkit.paths.data_kind`. ``truth``: accepted for the common study interface and not used — the chapter
    shows no planted effect (the tests compare with the generator's ``Truth`` directly). ``weights``, ``seed`` and
    ``agreement``: see :func:`~.analysis.analyse_data`.
    """
    del truth
    kind = kind or paths.data_kind()
    result = analyse_data(df, seed=seed, weights=weights, agreement=agreement)
    return AsaleeAnalysis(result, kind, _rows.rows(result, kind), _texts.texts(result, kind))


__all__ = ["ANCHOR", "DEPLOYMENT", "INDICATORS", "LABELS", "MAIN", "PUBLISHED", "AsaleeAnalysis", "AsaleeResult",
           "Fit", "aggregate_gp_year", "analyse", "analyse_data", "cs_sample", "dose_equality", "dose_response",
           "fit_cs", "gp_intensity",
           "intensity_groups", "per_protocol_panel", "published_design"]
