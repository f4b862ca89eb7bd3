"""French départements: the one list evalkit checks codes against (data contracts, public tables, maps).

The list is that of the Insee Code officiel géographique (COG): 96 metropolitan départements (01…95 with Corsica as
2A and 2B, no 20) and the five overseas départements (DROM) 971 Guadeloupe, 972 Martinique, 973 Guyane, 974 La
Réunion, 976 Mayotte — 101 in all, the codes of the IGN Admin Express COG boundaries shipped in ``data/public``.
975 (Saint-Pierre-et-Miquelon) is not a département but an overseas collectivity (COM) since 1985, outside the régime
général's départements: a file that carries it is refused, like any other code that is not a département.
"""

from __future__ import annotations

#: Overseas départements (DROM), in code order.
DROM: tuple[str, ...] = ("971", "972", "973", "974", "976")

#: Insee COG codes of the 101 départements.
DEPARTEMENTS: tuple[str, ...] = tuple([f"{i:02d}" for i in range(1, 96) if i != 20] + ["2A", "2B", *DROM])


def is_departement(code: str) -> bool:
    """True for a département code of the COG (``"01"``, ``"2A"``, ``"974"``), False otherwise (``"975"``, ``"1"``)."""
    return code in _SET


_SET = frozenset(DEPARTEMENTS)
