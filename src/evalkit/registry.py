"""The study registry: the one list of the book's studies, in the book's order.

Every module that needs "the studies" reads them here: the data contracts (:data:`evalkit.contracts.STUDIES` is
ordered and checked against this list), the command line (``--studies``, the chapters left out of the table of
contents when a file is absent), the synthetic generators (:mod:`evalkit.simulate`), the results contract (allowed
``study`` values), the summary pages (:mod:`evalkit.summary`) and the evaluator's guide. A study is one
:class:`StudySpec`; adding one is described in ``docs/architecture.md``.

This module imports nothing from evalkit at import time, so that any module may import it; the contract of a study
(:attr:`StudySpec.contract`) and its modules are resolved when first asked for.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .contracts import Study


@dataclass(frozen=True)
class StudySpec:
    """Everything evalkit needs to know about one study, besides its code.

    ``name`` is the file stem of its input table (``msp`` → ``msp.csv``), the value of the ``study`` column of its
    results rows and the name of its results file (``<results_dir>/msp.csv``).
    """

    name: str
    title: str  #: French title (messages, summary pages, guide)
    label: str  #: short French label (table cells: « MSP »)
    title_en: str  #: English title (English summary)
    row_fr: str  #: what one row of the input table is, in French (« médecin généraliste × année »)
    generator: str  #: module of the synthetic generator: ``simulate(seed, scale)`` and, optionally, ``truth``
    analysis: str  #: module of the analysis: ``analyse(df, seed=…)``, ``ANCHOR``, ``PUBLISHED``
    chapter: str  #: docname of its chapter (path from the book's root, without ``.ipynb``)
    headline: tuple[tuple[str, str], ...]  #: (outcome, unit) of its headline rows, the first one the main answer

    @property
    def contract(self) -> "Study":
        """The data contract (:class:`evalkit.contracts.Study`), looked up when asked for (no import cycle)."""
        from .contracts import STUDIES

        return STUDIES[self.name]

    def generator_module(self) -> ModuleType:
        return importlib.import_module(self.generator)


STUDIES: tuple[StudySpec, ...] = (
    StudySpec(
        name="msp",
        title="Maisons de santé pluriprofessionnelles",
        label="MSP",
        title_en="Multi-professional health centres (MSP)",
        row_fr="médecin généraliste × année",
        generator="evalkit.simulate.msp",
        analysis="evalkit.studies.msp",
        chapter="chapters/msp",
        headline=(("patients_mt", "patients"), ("patients_mt", "percent")),
    ),
    StudySpec(
        name="asalee",
        title="Asalée",
        label="Asalée",
        title_en="Asalée: GP–nurse cooperation",
        row_fr="patient diabétique × année",
        generator="evalkit.simulate.asalee",
        analysis="evalkit.studies.asalee",
        chapter="chapters/asalee",
        headline=(("hba1c_3plus", "pp"),),
    ),
    StudySpec(
        name="assistants",
        title="Assistants médicaux",
        label="Assistants médicaux",
        title_en="Medical assistants",
        row_fr="médecin généraliste × année",
        generator="evalkit.simulate.assistants",
        analysis="evalkit.studies.assistants",
        chapter="chapters/assistants",
        headline=(("patients_mt", "patients"), ("patients_mt", "percent"),
                  ("cost_per_patient", "eur_per_patient_year")),
    ),
)

#: Chapters that record results rows without being a study on the evaluator's data (the methods chapter, on a
#: simulation and the reference data set mpdta): allowed in the ``study`` column of the results table.
OTHER_RESULT_SOURCES: tuple[str, ...] = ("methodes",)

#: Pages that only read what the study chapters recorded (never compute). jupyter-book executes notebooks in sorted
#: docname order: each of these must sort after every study chapter (checked by ``tests/test_registry.py``).
SUMMARY_PAGES: tuple[str, ...] = ("chapters/publie_reproduit", "chapters/summary_en", "index")

_BY_NAME = {s.name: s for s in STUDIES}


def names() -> tuple[str, ...]:
    """Study names in the book's order."""
    return tuple(_BY_NAME)


def get(name: str) -> StudySpec:
    """The spec of study ``name``; ``KeyError`` naming the registered studies otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown study {name!r}; registered studies: {', '.join(_BY_NAME)}") from None


def chapters() -> dict[str, str]:
    """{study: chapter docname}."""
    return {s.name: s.chapter for s in STUDIES}


def result_sources() -> tuple[str, ...]:
    """Allowed values of the ``study`` column of the results table."""
    return names() + OTHER_RESULT_SOURCES
