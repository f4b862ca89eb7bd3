"""The error raised by the claims pipeline: a :class:`evalkit.contracts.DataError` (message names file, column, fix)."""

from __future__ import annotations

from evalkit.contracts import DataError


class ClaimsError(DataError):
    """Claims input that the pipeline cannot use (missing table, missing column, ambiguous reference table).

    It *is* a :class:`evalkit.contracts.DataError`, so the ``evalkit`` command reports it like any contract
    violation: ``str(err)`` is the message shown to the user, naming the file, the column and the fix.
    """
