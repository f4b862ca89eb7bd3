"""Estimators shared by every chapter: thin, tested wrappers around linearmodels, diff-diff and scikit-learn.

Common input: a long panel DataFrame and column names (``unit``, ``time``, ``outcome``, ``cohort`` = first treated
year, NaN/0 = never treated). Estimators never read files. Every result has ``table()`` / ``summary()`` and
``to_rows(...)`` (rows of ``results/estimates.csv``).

- naive cross-section: :func:`naive_cross_section`
- classic DiD: :func:`did_2x2`, :func:`twfe`, :func:`twfe_event_study`
- staggered adoption: :func:`prepare` (a :class:`Panel` prepared once), :func:`callaway_santanna`,
  :func:`honest_did`, :func:`bacon_decomposition`; event studies with simultaneous bands
  (:meth:`CSResult.event_study`, :func:`sup_t_critical`)
- matching: :func:`match_ps`, :func:`match_cem`, :func:`balance_table`; matching within entry cohorts then DiD on
  the matched sets, SEs by matched set: :func:`match_by_cohort`, :func:`matched_did`
- discrete dose (Callaway, Goodman-Bacon & Sant'Anna 2024): :func:`discrete_dose_did`
- power: :func:`power_mde`, :func:`power_n`, :func:`power_simulate`
- joint inference across fits on the same units: :func:`wald_did` (fuzzy DiD), :func:`simple_influence`,
  :func:`equality_test` (module :mod:`.joint`); adjusted p-values :func:`holm`, :func:`romano_wolf`
  (module :mod:`.multiplicity`)
- estimator agreement panel (Sun–Abraham, imputation, two-stage, dCDH, extended TWFE, static TWFE on the CS
  sample): ``evalkit.estimators.agreement.agreement`` (submodule, not re-exported: its name is the function's)
- warnings raised by an estimator, collected instead of printed: :func:`collect_warnings`, :func:`caught`
"""

from .base import Aggregate, CaughtWarnings, Estimate, caught, collect_warnings
from .did import DiD2x2Result, EventStudy, TWFEResult, did_2x2, twfe, twfe_event_study
from .dose import DoseResult, discrete_dose_did
from .matching import (CohortMatch, MatchedDiDResult, MatchResult, balance_table, match_by_cohort, match_cem,
                       match_ps, matched_did, propensity_score)
from .naive import naive_cross_section
from .power import DesignPowerResult, PowerResult, power_design, power_mde, power_mde_design, power_n, power_simulate
from .staggered import (
    BaconResult,
    CSResult,
    EventStudyBands,
    GroupTimeInfluence,
    Panel,
    bacon_decomposition,
    callaway_santanna,
    prepare,
    prepare_panel,
    sup_t_critical,
)
from .honest import HonestResult, breakdown, honest_did, sensitivity
from .joint import WaldDiD, equality_test, simple_influence, wald_did
from .multiplicity import bonferroni, holm, romano_wolf

__all__ = [
    "Aggregate",
    "BaconResult",
    "CSResult",
    "CaughtWarnings",
    "DiD2x2Result",
    "DoseResult",
    "Estimate",
    "EventStudy",
    "EventStudyBands",
    "GroupTimeInfluence",
    "HonestResult",
    "CohortMatch",
    "MatchResult",
    "MatchedDiDResult",
    "Panel",
    "PowerResult",
    "TWFEResult",
    "bacon_decomposition",
    "balance_table",
    "callaway_santanna",
    "caught",
    "collect_warnings",
    "did_2x2",
    "discrete_dose_did",
    "honest_did",
    "sensitivity",
    "breakdown",
    "match_cem",
    "match_by_cohort",
    "match_ps",
    "matched_did",
    "naive_cross_section",
    "power_mde",
    "power_design",
    "power_mde_design",
    "DesignPowerResult",
    "power_n",
    "power_simulate",
    "prepare",
    "prepare_panel",
    "propensity_score",
    "sup_t_critical",
    "twfe",
    "twfe_event_study",
    "WaldDiD",
    "bonferroni",
    "equality_test",
    "holm",
    "romano_wolf",
    "simple_influence",
    "wald_did",
]
