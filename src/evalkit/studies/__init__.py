"""The study packages (one per study) and the methods chapter. The list of studies is :mod:`evalkit.registry`."""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar

import pandas as pd


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
