"""Chapter « Maisons de santé pluriprofessionnelles »: does joining an MSP raise a GP's patientèle and fees?

:func:`analyse` runs the chapter on any table that follows the ``msp`` contract and returns an :class:`MSPAnalysis`:
the estimates (``result``, an :class:`~.analysis.MSPResult`), the results rows, the French texts to glue into the
prose, and the figure and table builders. The modules split the jobs: :mod:`.analysis` (estimation), :mod:`.rows`
(results rows), :mod:`.texts` (French sentences), :mod:`.display` (figures and tables), :mod:`.published` (the
published figures cited).
"""

from __future__ import annotations

import pandas as pd

from ... import paths
from .. import Analysis
from . import display
from .analysis import OUTCOME_UNITS, MSPResult, analyse_data, prepare
from .published import ANCHOR, PUBLISHED
from .rows import rows as _rows
from .texts import LABELS
from .texts import texts as _texts

#: Outcomes: column → unit of the results rows, French label, short label, decimals in prose, unit suffix.
OUTCOMES = {o: dict(unit=u, **LABELS[o]) for o, u in OUTCOME_UNITS.items()}


class MSPAnalysis(Analysis):
    """What the MSP chapter shows (:class:`~evalkit.studies.Analysis`): ``result`` (an :class:`MSPResult`), ``rows``,
    ``texts`` (glue keys ``msp_*``) and the builders of :mod:`.display`: ``figure_trends(outcome)``,
    ``figure_estimates(outcome)``, ``figure_event_study(outcome)``, ``figure_honest()``, ``figure_rurality()``,
    ``table_profile()``, ``table_balance()``, ``table_estimates()``, ``table_national()``, ``table_published()``."""

    result: MSPResult
    display = display


def analyse(df: pd.DataFrame, *, seed: int = 0, truth: dict | None = None, kind: str | None = None,
            honest: bool = True, subgroups: bool = True, agreement: bool = True) -> MSPAnalysis:
    """Run the MSP chapter on a table following the ``msp`` contract (as :func:`evalkit.io.load` returns it).

    ``seed``: seed of the matching order, the only random step. ``truth``: the planted effect
    (:func:`evalkit.simulate.planted_truth`), None on real data. ``kind``: ``synthetic`` or ``user`` (the rows'
    ``data`` column and the data-dependent sentences); None asks :func:`evalkit.paths.data_kind`. ``honest``,
    ``subgroups``, ``agreement``: skip the HonestDiD sensitivity, the rurality subgroups or the estimator agreement
    panel (faster, for tests).
    """
    kind = kind or paths.data_kind()
    r = analyse_data(df, seed=seed, truth=truth, honest=honest, subgroups=subgroups, agreement=agreement)
    return MSPAnalysis(result=r, kind=kind, rows=_rows(r, kind), texts=_texts(r, kind))


__all__ = ["ANCHOR", "MSPAnalysis", "MSPResult", "OUTCOMES", "PUBLISHED", "analyse", "analyse_data", "prepare"]
