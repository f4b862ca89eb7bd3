"""French formatting for prose, tables and figures — the one place numbers become French text.

Conventions (Insee / Drees style): decimal comma, narrow no-break space as thousands separator and before « % » or
« € », true minus sign « − », intervals « [8,1 ; 17,3] » that never break across lines, « n.d. » for a missing value.
Every page, figure label and table of the book formats numbers through these functions.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import pandas as pd

NBSP = "\u202f"  # narrow no-break space: thousands separator, before % and €
NBSP_WIDE = "\u00a0"  # no-break space: after « ; » in intervals, around « × »
MINUS = "−"
_SUP = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _missing(x) -> bool:
    if x is None:
        return True
    try:
        return bool(pd.isna(x)) or (isinstance(x, float) and not math.isfinite(x))
    except (TypeError, ValueError):
        return False


def fmt_num(x: float, decimals: int = 1, sign: bool = False) -> str:
    """``1 234,5`` (narrow no-break space, decimal comma); ``sign=True`` writes ``+`` or ``−``; never « −0 »."""
    if _missing(x):
        return "n.d."
    s = f"{abs(x):,.{decimals}f}".replace(",", NBSP).replace(".", ",")
    zero = float(s.replace(NBSP, "").replace(",", ".")) == 0
    if sign:
        return ("+" if x >= 0 or zero else MINUS) + s
    return (MINUS if x < 0 and not zero else "") + s


def fmt_int(x: float, sign: bool = False) -> str:
    """``12 345`` (rounded to the unit)."""
    return fmt_num(x, 0, sign=sign)


def fmt_smart(x: float, max_decimals: int = 1) -> str:
    """An integer without decimals, otherwise with ``max_decimals`` (``3`` but ``2,5``)."""
    if _missing(x):
        return "n.d."
    return fmt_num(x, 0 if float(x).is_integer() else max_decimals)


def fmt_pct(x: float, decimals: int = 1, sign: bool = False) -> str:
    """``12,7 %`` (x already in percent)."""
    return f"{fmt_num(x, decimals, sign)}{NBSP}%"


def fmt_pp(x: float, decimals: int = 1, sign: bool = False) -> str:
    """``12,7 points`` (percentage points); « point » in the singular below 2."""
    if _missing(x):
        return "n.d."
    return f"{fmt_num(x, decimals, sign)} point{'s' if abs(round(x, decimals)) >= 2 else ''}"


def fmt_eur(x: float, decimals: int = 0) -> str:
    """``2 092 €``."""
    return f"{fmt_num(x, decimals)}{NBSP}€"


def fmt_ci(lo: float, hi: float, decimals: int = 1, unit: str = "") -> str:
    """``[8,1 ; 17,3]`` — French interval notation (unbreakable), optional unit after each bound."""
    u = f"{NBSP}{unit}" if unit else ""
    return f"[{fmt_num(lo, decimals)}{u}{NBSP};{NBSP_WIDE}{fmt_num(hi, decimals)}{u}]"


def fmt_est_ci(est: float, lo: float, hi: float, decimals: int = 0, sign: bool = False) -> str:
    """« 95 [72 ; 118] » — an estimate and its CI in one cell (narrow tables); an open bound prints « ∞ »."""
    if _missing(est):
        return ""
    lo_ok, hi_ok = not _missing(lo), not _missing(hi)
    if not (lo_ok or hi_ok):
        return fmt_num(est, decimals, sign=sign)
    hi_s = fmt_num(hi, decimals) if hi_ok else "∞"
    return f"{fmt_num(est, decimals, sign=sign)} [{fmt_num(lo, decimals)} ; {hi_s}]"


def fmt_p(p: float, *, style: str = "plain") -> str:
    """A p-value, one convention for the whole book: 3 decimals below 0,1, else 2; « < 0,001 » below one in a thousand.

    ``style``: ``"plain"`` → ``0,034`` / ``< 0,001``; ``"eq"`` → ``= 0,034`` / ``< 0,001`` (after « p ») ;
    ``"words"`` → ``0,034`` / ``inférieure à 0,001`` (inside a sentence: « une p-valeur de … »).
    """
    if _missing(p):
        return "n.d."
    if p < 0.001:
        return "inférieure à 0,001" if style == "words" else f"<{NBSP_WIDE}0,001"
    s = fmt_num(p, 3 if p < 0.1 else 2)
    return f"={NBSP_WIDE}{s}" if style == "eq" else s


def fmt_sci(x: float, decimals: int = 1) -> str:
    """``3,2 × 10⁻¹⁰`` (French scientific notation for tiny differences, no-break spaces); ``0`` for exact zero."""
    if _missing(x):
        return "n.d."
    if x == 0:
        return "0"
    e = int(math.floor(math.log10(abs(x))))
    m = x / 10**e
    if round(abs(m), decimals) >= 10:
        m, e = m / 10, e + 1
    mant = fmt_num(m, decimals)
    if mant in ("1", "1,0") and decimals <= 1:
        return f"10{str(e).translate(_SUP)}"
    return f"{mant}{NBSP_WIDE}×{NBSP_WIDE}10{str(e).translate(_SUP)}"


def fmt_list(items: Iterable[str]) -> str:
    """``a, b et c``."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " et " + items[-1]


def fmt_years(years: Sequence[int], ranges: bool = True) -> str:
    """Years in French: ``2012–2016`` for consecutive years (``ranges=True``), else ``2012, 2014 et 2016``; « — » if
    empty."""
    ys = sorted({int(y) for y in years})
    if not ys:
        return "—"
    if len(ys) == 1:
        return str(ys[0])
    if ranges and ys == list(range(ys[0], ys[-1] + 1)):
        return f"{ys[0]}–{ys[-1]}"
    return fmt_list(ys)


def fmt_span(years: Sequence[int]) -> str:
    """First–last year of a (sorted) period: ``2009–2016``, or the single year."""
    ys = [int(y) for y in years]
    return f"{ys[0]}–{ys[-1]}" if len(ys) > 1 else str(ys[0])


def plural(n: float, singular: str, plural_form: str | None = None) -> str:
    """« 1 médecin », « 2 médecins » (French: singular below 2)."""
    return singular if abs(n) < 2 else (plural_form or singular + "s")


def round_sig(x: float, digits: int = 2) -> float:
    """Round to ``digits`` significant digits (orders of magnitude must not look precise)."""
    if _missing(x) or x == 0:
        return x
    return float(round(x, digits - 1 - int(math.floor(math.log10(abs(x))))))
