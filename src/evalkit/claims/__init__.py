"""SNDS-shaped claims → the contract tables, written once in SQL and run on DuckDB (default) or Apache Spark.

Public API:

- :func:`cli_claims` — the ``evalkit claims`` command: claims folder (+ referential lists) → ``asalee.csv``,
  ``gp_panel.csv``, ``msp.csv``, ``assistants.csv``, ``claims_report.json``;
- :func:`build_tables` — the same, returning DataFrames (:class:`ClaimsTables`); :class:`ClaimsOptions` — the rules
  (standard SNDS filters, treated-diabetes rule) and engine settings;
- :func:`load_codes` — the code lists (versioned CSV files in ``evalkit/claims/codes/``);
- :func:`generate_claims` / :class:`SyntheticSpec` — seeded synthetic SNDS claims with their known answer;
- :class:`ClaimsError` — an :class:`evalkit.contracts.DataError` for unusable inputs;
- :func:`spark_session` — a SparkSession set up for the pipeline (``local[*]`` or a cluster URL).

See :mod:`evalkit.claims.pipeline` for the rules and :mod:`evalkit.claims.sql` for the SQL dialect choices.
"""

from evalkit.claims.codelists import fingerprint as code_lists_fingerprint
from evalkit.claims.codelists import load_codes
from evalkit.claims.engines import spark_session
from evalkit.claims.errors import ClaimsError
from evalkit.claims.pipeline import (ASALEE_COLUMNS, GP_PANEL_COLUMNS, TABLES, ClaimsOptions, ClaimsTables,
                                     build_tables, cli_claims)
from evalkit.claims.synthetic import SyntheticClaims, SyntheticSpec, generate_claims

__all__ = [
    "ASALEE_COLUMNS", "GP_PANEL_COLUMNS", "TABLES", "ClaimsError", "ClaimsOptions", "ClaimsTables", "SyntheticClaims",
    "SyntheticSpec", "build_tables", "cli_claims", "code_lists_fingerprint", "generate_claims", "load_codes",
    "spark_session",
]
