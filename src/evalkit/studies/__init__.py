"""The study packages (one per study) and the methods chapter. The list of studies is :mod:`evalkit.registry`."""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar

import pandas as pd

#: Simultaneous band of the event-study figures (:meth:`~evalkit.estimators.staggered.CSResult.event_study`, 95 %,
#: universal base year): multiplier-bootstrap draws and seed, fixed so that the band does not change between builds.
BAND_DRAWS, BAND_SEED = 2000, 20240601
HONEST_MBAR = (0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)  #: HonestDiD grid of M̄ (relative magnitudes) of Asalée, assistants


def ci_cells(e: Any, *extra: str) -> dict[str, float]:
    """``estimate, std_error, ci_low, ci_high`` (and the ``extra`` fields, e.g. ``p_value``) of an estimate, as the
    columns of a table row."""
    return {k: getattr(e, k) for k in ("estimate", "std_error", "ci_low", "ci_high", *extra)}


@dataclass(frozen=True)
class Analysis:
    """What a study chapter shows: ``result`` (the estimates; its fields read as attributes too, e.g. ``a.itt``),
    ``kind`` of data (``synthetic`` or ``user``), ``rows`` (results rows), ``texts`` (glue keys → French strings).

    Each ``figure_*`` / ``table_*`` builder of the study's ``display`` module is a method on this analysis:
    ``a.table_itt()`` is ``display.table_itt(a.result, a.kind)`` (``kind`` passed only to the builders whose second
    parameter is ``kind``; the builders without parameters are called as they are), other arguments as the builder's.
    """

    result: Any
    kind: str
    rows: pd.DataFrame
    texts: dict[str, str]
    display: ClassVar[ModuleType]  #: the study's module of figure and table builders

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "result":
            raise AttributeError(name)
        if name.startswith(("figure_", "table_")) and hasattr(self.display, name):
            build = getattr(self.display, name)
            params = list(inspect.signature(build).parameters)
            args = () if not params else (self.result, self.kind) if params[1:2] == ["kind"] else (self.result,)
            return functools.update_wrapper(functools.partial(build, *args), build)
        return getattr(self.result, name)
