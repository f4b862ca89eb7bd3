"""The Asalée chapter: effect of GP–nurse cooperation on six follow-up indicators of type 2 diabetics.

Entry point: :func:`analyse` (any table that follows the ``asalee`` contract) → :class:`AsaleeAnalysis`, which holds
the estimation (:class:`~.analysis.AsaleeResult`, also readable as attributes: ``a.itt``, ``a.cohorts``…), the
results rows, the French texts for glue, and the figure/table builders the notebook calls.

The package: :mod:`.analysis` (estimation: data frame in, frozen result out), :mod:`.rows` (results rows),
:mod:`.texts` (French labels, captions, glued sentences), :mod:`.display` (figures and tables), :mod:`.published`
(published figures the chapter cites).
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd

from ... import paths
from ...simulate.asalee import ANCHOR
from .. import Analysis
from . import display, rows as _rows, texts as _texts
from .analysis import (INDICATORS, MAIN, AsaleeResult, Fit, aggregate_gp_year, analyse_data, cs_sample,
                       dose_equality, dose_response, fit_cs, gp_intensity, intensity_groups, per_protocol_panel,
                       published_design)
from .published import DEPLOYMENT, PUBLISHED
from .texts import LABELS


class AsaleeAnalysis(Analysis):
    """The chapter's analysis (:class:`~evalkit.studies.Analysis`): ``result`` (estimation, its fields read as
    attributes: ``a.itt``, ``a.per_protocol``, ``a.settings``…), ``kind`` of data, results ``rows``, glue ``texts``.

    Builders (:mod:`.display`): ``table_programme()``, ``table_sample()``, ``figure_trends(indicators)``,
    ``table_itt()``, ``figure_forest()``, ``figure_event_study()``, ``table_robustness()``, ``table_per_protocol()``,
    ``figure_dose(indicator)``, ``table_dose()``, ``table_honest()``, ``table_published()``,
    ``figure_agreement(indicator)``.
    """

    result: AsaleeResult
    display = display


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
           "fit_cs", "gp_intensity", "intensity_groups", "per_protocol_panel", "published_design"]
