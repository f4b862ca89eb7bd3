"""Seeded staggered-adoption panels with known effects (the generator lives in :mod:`evalkit.simulate.panels`).

Kept as a module of the test folder so that tests and ``benchmarks/coverage.py`` import it as before.
"""

from evalkit.simulate.panels import (  # noqa: F401
    AREAS,
    staggered_panel,
    truth_by_event_time,
    truth_by_year,
    truth_calendar,
    truth_dynamic,
    truth_group,
    truth_simple,
    twfe_implied,
    twfe_weights,
)
