"""Assistants médicaux: patients gained per contract option, cost per patient gained, and the national claim.

The chapter « Assistants médicaux » (``chapters/assistants.ipynb``) calls :func:`analyse` and shows what it returns:

- :mod:`.policy` — the study's columns and policy parameters (aid schedule, targets, contract counts, published
  figures), with their sources;
- :mod:`.analysis` — the estimation (options compared among comparable GPs: the three among underserved GPs, third vs
  half among all; the multi-valued treatment DiD of Callaway, Goodman-Bacon & Sant'Anna 2024): :func:`~.analysis.analyse_data` (data frame in, frozen
  :class:`~.analysis.AssistantsResult` out);
- :mod:`.rows` — the results rows; :mod:`.texts` — the French sentences glued into the prose;
  :mod:`.display` — the figures and tables.
"""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from ... import paths
from .. import Analysis
from . import display
from .analysis import (NEVER, SIGNATORIES, AssistantsResult, analyse_data, cnam_descriptive, cost_ratio,
                       linear_combination, prepare, projection, target_attainment)
from .policy import (AID_SCHEDULE, AID_SOURCE, CLAIM_PATIENTS, CONTRACTS, OPTION_SHARES_2021, OPTIONS, PUBLISHED,
                     TARGETS, WITHOUT_MT, aid, contract_target)
from .rows import rows as _rows
from .texts import ANCHOR, KEYS, texts as _texts


class AssistantsAnalysis(Analysis):
    """What the chapter shows (:class:`~evalkit.studies.Analysis`): ``result`` (the numbers; its fields are readable
    here too, e.g. ``a.dose``), ``rows`` (results rows), ``texts`` (glue keys → French strings), and the ``figure_*`` /
    ``table_*`` builders of :mod:`.display`."""

    result: AssistantsResult
    display = display


def analyse(df: pd.DataFrame, *, seed: int = 0, truth: Any = None, kind: str | None = None,
            covariates: Sequence[str] | None = None, horizon: int = 3, agreement: bool = True) -> AssistantsAnalysis:
    """The chapter's analysis of a table following the ``assistants`` contract (see :func:`~.analysis.analyse_data`
    for ``covariates``, ``horizon`` and ``agreement``).

    ``truth``: the generator's planted effect, if the caller has it (``evalkit.simulate.planted_truth``), kept on the
    result; ``kind``: « synthetic » or « user » (the rows' ``data`` column and the « Source » lines), by default
    :func:`evalkit.paths.data_kind`.
    """
    kind = paths.data_kind() if kind is None else kind
    r = analyse_data(df, seed=seed, truth=truth, covariates=covariates, horizon=horizon, agreement=agreement)
    return AssistantsAnalysis(r, kind, _rows(r, kind), _texts(r, kind))


__all__ = ["AID_SCHEDULE", "AID_SOURCE", "ANCHOR", "CLAIM_PATIENTS", "CONTRACTS", "KEYS", "NEVER", "OPTIONS",
           "OPTION_SHARES_2021", "PUBLISHED", "SIGNATORIES", "TARGETS", "WITHOUT_MT", "AssistantsAnalysis",
           "AssistantsResult", "aid", "analyse", "analyse_data", "cnam_descriptive", "contract_target", "cost_ratio",
           "linear_combination", "prepare", "projection", "target_attainment"]
