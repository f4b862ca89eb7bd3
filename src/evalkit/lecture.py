"""« Lecture : » sentences under figures and tables (issue 15, item 3), computed from the values shown.

Drees and Irdes publications put under every exhibit one sentence that reads one of its values aloud (« Lecture : en
2018, les médecins entrés en MSP en 2014 suivent en moyenne 95 patients de plus que … »). Here every
:class:`evalkit.plots.Figure` and :class:`evalkit.plots.Table` gets one: the sentence its builder passes
(``lecture=``), else one computed by :func:`default` from the data the exhibit carries (a figure's plotted values, a
table's cells) — so the sentence is true on any data, synthetic or the evaluator's, and its numbers are the numbers
printed in the exhibit (formatted by :mod:`evalkit.fr`).

The builders of the book's common figures have their own readers: :func:`event_study` (an event study: the last
year after entry and its interval), :func:`forest` (the first row), :func:`trends` (the last year, group by group).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .fr import NBSP, fmt_ci, fmt_num

#: How each study names the start of exposure, for event-time axes: (« depuis … », « 0 = … »).
ENTRY = {
    "msp": ("l'entrée en MSP", "année d'entrée"),
    "asalee": ("l'adhésion à Asalée", "année d'adhésion"),
    "assistants": ("la signature du contrat d'assistant", "année de signature"),
}
GENERIC_ENTRY = ("l'entrée", "année d'entrée")
LOW, HIGH = "Borne basse de l'IC à 95 %", "Borne haute de l'IC à 95 %"


def event_axis(study: str | None = None) -> str:
    """The label of an event-time axis (and of its data column): « Années depuis l'entrée en MSP (0 = année
    d'entrée) »; « Années depuis l'entrée (0 = année d'entrée) » for a study not listed in :data:`ENTRY`."""
    since, zero = ENTRY.get(study or "", GENERIC_ENTRY)
    return f"Années depuis {since} (0 = {zero})"


def _years(k: int) -> str:
    return f"{fmt_num(k, 0)} an{'s' if abs(k) >= 2 else ''}"


_CI_WORDS = re.compile(r",?\s*(intervalle de confiance|IC) à 95\s*%")
_UNIT_IN_HEAD = re.compile(r"(.+?) en (points? de pourcentage|points?|patients|euros|%)$")


def _split_unit(label: str) -> tuple[str, str]:
    """« Effet estimé (patients par médecin) » → (« Effet estimé », « patients par médecin »); a parenthesis that
    defines rather than measures (« 0 = année d'entrée », « échelle logarithmique », « intention de traiter ») is
    not a unit; « Effet en points de pourcentage (…) » → (« Effet », « points »)."""
    text = _CI_WORDS.sub("", label or "").strip(" ,")
    m = re.fullmatch(r"\s*(.*?)\s*\(([^()]*)\)\s*", text)
    head, unit = (m.group(1), m.group(2)) if m else (text, "")
    unit = _CI_WORDS.sub("", unit).strip(" ,").split(",")[0].strip()  # « %, moyenne du groupe » → « % »
    if "=" in unit or unit.startswith(("échelle", "intention", "moyenne")):
        unit = ""
    h = _UNIT_IN_HEAD.fullmatch(head)
    if h and not unit:
        head, unit = h.group(1), "points" if h.group(2).startswith("point") else h.group(2)
    return head[:1].upper() + head[1:], unit


def _one_line(text: str) -> str:
    """A label drawn on several lines, on one (no-break spaces kept)."""
    return re.sub(r"[ \t]*\n[ \t]*", " ", text).strip()


def _at(header: str, x) -> str:
    """Where a value is read on an x axis: « en 2012 » (a year), « 3 ans après l'entrée en MSP » (an event-time axis,
    « Années depuis … »), else « quand « header » vaut x »."""
    what, unit = _split_unit(header)
    if isinstance(x, str):
        return f"pour « {_one_line(x)} »"
    xv = float(x)
    if re.match(r"(Année|Date)(?!s)", what) and xv.is_integer():
        return f"en {int(xv)}"
    since = re.match(r"Années depuis (.+)", what)
    if since and xv.is_integer():
        k = int(xv)
        return (f"l'année de {since.group(1)}" if k == 0 else f"{_years(k)} après {since.group(1)}" if k > 0
                else f"{_years(-k)} avant {since.group(1)}")
    return f"quand « {_lower_first(what)} » vaut {_value(xv, 0 if xv.is_integer() else 1, unit)}"


def _lower_first(s: str) -> str:
    if len(s) > 1 and s[1].isupper():  # an acronym (« MSP », « HbA1c ») keeps its case
        return s
    return s[:1].lower() + s[1:]


def _value(x: float, decimals: int, unit: str = "", sign: bool = False) -> str:
    u = unit.strip()
    if u.startswith("indice 100"):  # « 119,7 (indice 100 en −1) »
        return f"{fmt_num(x, decimals, sign)} ({u})"
    if u in ("%", "€"):
        return f"{fmt_num(x, decimals, sign)}{NBSP}{u}"
    return fmt_num(x, decimals, sign) + (f" {u}" if u else "")


def _ci(lo: float, hi: float, decimals: int) -> str:
    return f"intervalle de confiance à 95 % : {fmt_ci(lo, hi, decimals)}"


def event_study(data: pd.DataFrame, study: str | None = None, decimals: int = 1) -> str:
    """An event study (the frame :func:`evalkit.plots.event_study` attaches): the last year after entry, its estimate
    and interval, and what the reference year is."""
    cols = list(data.columns)
    x, y = cols[0], cols[2]
    post = data[(data["Période"] == "après l'entrée") & data[y].notna()]
    if not len(post):
        return ""
    r = post.sort_values(x).iloc[-1]
    what, unit = _split_unit(y)
    k, since = int(r[x]), ENTRY.get(study or "", GENERIC_ENTRY)[0]
    when = f"l'année de {since}" if k == 0 else f"{_years(k)} après {since}"
    return (f"{what} {when} : {_value(r[y], decimals, unit, sign=True)} ({_ci(r[LOW], r[HIGH], decimals)}) ; "
            f"l'année qui précède {since} sert de référence (écart mis à zéro).")


def forest(data: pd.DataFrame, decimals: int = 1) -> str:
    """A forest plot (the frame :func:`evalkit.plots.forest` attaches): its first row, estimate and interval."""
    cols = list(data.columns)
    lab, val = cols[0], cols[1]
    rows = data[data[val].notna()]
    if LOW in data:
        rows = rows[rows[LOW].notna()]
    if not len(rows):
        return ""
    r = rows.iloc[0]
    what, unit = _split_unit(val)
    text = f"{what} pour « {_one_line(str(r[lab]))} » : {_value(r[val], decimals, unit)}"
    if LOW in data:
        text += f" ({_ci(r[LOW], r[HIGH], decimals)})"
    return text + "."


def trends(data: pd.DataFrame, decimals: int = 1) -> str:
    """Mean outcome over time by group (:func:`evalkit.plots.trends`): the last year, each group's value."""
    g, x, y = list(data.columns)[:3]
    d = data[data[y].notna()]
    if not len(d):
        return ""
    last = d[x].max()
    at = d[d[x] == last]
    what, unit = _split_unit(y)
    parts = [f"{_value(r[y], decimals, unit if i == 0 else '')} pour « {r[g]} »"
             for i, (_, r) in enumerate(at.iterrows())]
    when = _at(x, last)
    return f"{what} {when} : " + (", contre ".join(parts) if len(parts) == 2 else " ; ".join(parts)) + "."


def honest(grid: pd.DataFrame, unit: str = "", decimals: int = 1, before: str = "l'entrée") -> str:
    """A sensitivity grid (columns ``M``, ``ci_low``, ``ci_high``): the robust interval when the trend gap allowed
    after ``before`` equals the largest one observed before it (M = 1, else the largest M of the grid)."""
    g = grid.dropna(subset=["ci_low", "ci_high"])
    if not len(g):
        return ""
    at1 = g[np.isclose(g["M"].astype(float), 1.0)]
    r = at1.iloc[0] if len(at1) else g.iloc[-1]
    m = float(r["M"])
    times = "" if np.isclose(m, 1.0) else f"{fmt_num(m, 2 if not float(m * 10).is_integer() else 1)} fois "
    u = f" {unit}" if unit and unit not in ("%", "€") else (f"{NBSP}{unit}" if unit else "")
    return (f"Si, après {before}, l'écart de tendance entre les deux groupes peut atteindre {times}le plus grand "
            f"écart observé avant, l'intervalle de confiance robuste à 95 % va de {fmt_num(r['ci_low'], decimals)}"
            f"{u} à {fmt_num(r['ci_high'], decimals)}{u}"
            + (" : il contient zéro." if r["ci_low"] <= 0 <= r["ci_high"] else " : il ne contient pas zéro."))


def _fmt_cell(v, decimals: int = 1) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "oui" if v else "non"
    if isinstance(v, (int, np.integer)):
        return fmt_num(v, 0)
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            return ""
        return fmt_num(v, 0 if float(v).is_integer() else decimals)
    return re.sub(r"[ \t\r\n]+", " ", str(v)).strip() if v is not None else ""  # keeps no-break spaces


_NUMERIC = re.compile(r"[≈<>]?\s*[+\-−]?\d")


def frame(df: pd.DataFrame, decimals: int = 1) -> str:
    """Any table of values: its first row read aloud. The row is named by its first column (and by the short text
    cells before its first number, e.g. « Patientèle MT — Écart brut »); the first number is read with its column's
    header; a table of words reads its first cell."""
    if df is None or not len(df) or df.shape[1] < 2:
        return ""
    cols = list(df.columns)
    for _, r in df.iterrows():
        label = _fmt_cell(r[cols[0]], decimals)
        cells = [(c, _fmt_cell(r[c], decimals)) for c in cols[1:]]
        cells = [(c, v) for c, v in cells if v and v not in ("n.d.", "—")]
        if not label or not cells:
            continue
        k = next((i for i, (_, v) in enumerate(cells) if _NUMERIC.match(v) and len(v) <= 30), None)
        if k is not None and k <= 1 and all(len(v) <= 40 for _, v in cells[:k]):
            label = " — ".join([label] + [v for _, v in cells[:k]])
            c, v = cells[k]
        else:
            c, v = cells[0]
        head = " ".join(str(c).split())
        if len(v) > 80:  # a long text cell (the guide's tables): its beginning
            v = v[:80].rsplit(" ", 1)[0].rstrip(" ,;:(") + "…"
        shown = v if _NUMERIC.match(v) and len(v) <= 30 else f"« {v} »"
        return f"La ligne « {label} » indique {shown} dans la colonne « {head} »."
    return ""


def figure_values(data: pd.DataFrame, decimals: int = 1) -> str:
    """A figure's plotted values (:func:`evalkit.plots.plotted_data`): its first point, read on both axes."""
    if data is None or not len(data):
        return ""
    cols = [c for c in data.columns if c not in ("Panneau", "Série")]
    if len(cols) < 2:
        return ""
    xl, yl = cols[0], cols[1]
    r = data.iloc[0]
    xv, yv = r[xl], r[yl]
    if isinstance(yv, str) and not isinstance(xv, str):  # a categorical y axis: rows named on the left
        (what, unit), value, cond = _split_unit(xl), xv, f"pour « {_one_line(yv)} »"
    else:
        what, unit = _split_unit(yl)
        cond, value = _at(xl, xv), yv
    if not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(value):
        return ""
    where = _one_line(" ; ".join(x for x in (str(r.get("Panneau", "")), str(r.get("Série", ""))) if x))
    decimals = 0 if abs(float(value)) >= 1000 else decimals  # « 270 652 », not « 270 652,4 »
    return f"{what} {cond}{f', série « {where} »' if where else ''} : {_value(value, decimals, unit)}."


def default(obj) -> str:
    """The computed « Lecture » of a figure or table that its builder gave none (empty when its data cannot be
    read: a map, a message)."""
    from . import plots

    try:
        if isinstance(obj, plots.Figure):
            return figure_values(obj.data)
        if not obj.index and obj.message_only():
            return ""
        return frame(obj.formatted().reset_index() if obj.index else obj.formatted())
    except Exception:  # noqa: BLE001 - a page renders even if a reading cannot be computed; the test flags it
        return ""


__all__ = ["ENTRY", "default", "event_axis", "event_study", "figure_values", "forest", "frame", "honest", "trends"]
