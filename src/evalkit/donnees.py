"""« Données associées »: what a reader downloads beside the pages (issue 15, item 5).

- Every figure and table shown on a page (:class:`evalkit.plots.Figure`, :class:`evalkit.plots.Table`) carries its
  data frame (a figure the values it plots), title, champ and source; :func:`export_frame` turns it into the frame a
  reader downloads: French headers, numbers as numbers (rounded), « oui / non » flags, ASCII minus signs.
- :func:`csv_bytes`: the CSV download of one exhibit (``;`` separator, decimal comma: French spreadsheets open it
  as is; ``pd.read_csv(f, sep=";", decimal=",")`` reads it back).
- :func:`associees`: called once at the end of a chapter, collects the exhibits the chapter has shown into one Excel
  workbook (one sheet per figure or table, with its « Champ » and « Source » lines), offers it for download and
  writes it beside the chapter's recorded rows (``<results_dir>/<chapter>.xlsx``; ``evalkit run`` copies it to
  ``OUT/results/donnees/``).
- :func:`french_results`: the French companion of ``results/estimates.csv`` (``estimations_fr.csv``: French labels,
  ``;``, decimal comma, « oui / non »), written beside it by ``evalkit run`` and offered on the home page.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
import zipfile
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import __version__, paths, registry
from .fr import fmt_int, plural

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: File name of the French companion of ``estimates.csv`` (written beside it).
FRENCH_RESULTS = "estimations_fr.csv"
#: The guide's dictionary of the results table (page and anchor of the built book, relative to the book's root).
DICTIONARY_PAGE = "chapters/guide.html#le-fichier-estimates-csv"

_SPACES = str.maketrans({"\u202f": "", "\u00a0": "", " ": ""})
_NUM = re.compile(r"[+\-−]?\d{1,3}(?:[ \u202f\u00a0]?\d{3})*(?:,\d+)?|[+\-−]?\d+(?:,\d+)?")
_PCT = re.compile(r"(.+?)[ \u202f\u00a0]?%")


def ascii_text(s: str) -> str:
    """Text cell of a download: ASCII minus, ordinary spaces (no narrow no-break spaces that spreadsheets mangle)."""
    return s.replace("−", "-").replace("\u202f", " ").replace("\u00a0", " ")


def parse_fr(s) -> float | None:
    """« 1 234,5 », « −0,3 », « +12 » → float; None if ``s`` is not a lone French number."""
    if not isinstance(s, str):
        return None
    t = s.strip()
    if not t or not _NUM.fullmatch(t):
        return None
    return float(t.translate(_SPACES).replace("−", "-").replace(",", "."))


def _decimals_of(values: pd.Series) -> int:
    """Decimals to keep for a column of floats without a stated precision: those it has if it was rounded (at most
    4, e.g. a figure's values rounded as its labels), else about 3 significant digits."""
    v = values.dropna().abs()
    v = v[np.isfinite(v)]
    if not len(v) or v.max() == 0:
        return 0
    for d in range(5):
        if np.allclose(v, v.round(d), rtol=0, atol=1e-9):
            return d
    return int(min(4, max(0, 2 - math.floor(math.log10(v.max())))))


def _round(col: pd.Series, d: int | None) -> tuple[pd.Series, int]:
    col = pd.to_numeric(col, errors="coerce").astype(float)
    d = _decimals_of(col) if d is None else d
    return col.round(d), d


def _numeric_text(col: pd.Series) -> tuple[pd.Series, str] | None:
    """A text column every non-empty cell of which is a French number (or a French percentage): its numbers and the
    unit it drops (« % » or "")."""
    vals = col.dropna().astype(str).str.strip()
    vals = vals[vals != ""]
    if not len(vals):
        return None
    if vals.map(lambda s: parse_fr(s) is not None).all():
        return col.map(lambda s: parse_fr(s) if isinstance(s, str) else s).astype(float), ""
    m = vals.map(lambda s: _PCT.fullmatch(s))
    if m.map(lambda x: x is not None and parse_fr(x.group(1)) is not None).all():
        return col.map(lambda s: parse_fr(_PCT.fullmatch(s).group(1)) if isinstance(s, str) and s.strip()
                       else np.nan).astype(float), "%"
    return None


@dataclass
class Export:
    """The frame a reader downloads, the decimals of its numeric columns, and the exhibit's texts."""

    frame: pd.DataFrame
    decimals: dict
    kind: str  # "Graphique" or "Tableau"
    title: str
    champ: str
    source: str
    note: str = ""
    lecture: str = ""
    name: str = ""


def _kind(obj) -> str:
    """« Graphique » for a figure, « Tableau » for a table."""
    from . import plots

    return "Graphique" if isinstance(obj, plots.Figure) else "Tableau"


def export_frame(obj) -> Export:
    """The download of a figure or table: numbers as numbers (rounded as on the page), French headers as shown,
    « oui / non » for flags, ASCII minus signs and plain spaces in text cells."""
    if _kind(obj) == "Graphique":
        df, decimals = obj.data, None
    else:
        df, decimals = (obj.df.reset_index() if obj.index else obj.df), obj.decimals
    if df is None:
        df = pd.DataFrame({"Message": ["Les valeurs de ce graphique ne sont pas disponibles sous forme de tableau."]})
    out, decs = {}, {}
    for c in df.columns:
        col = df[c]
        head = ascii_text(str(c))
        given = decimals.get(c, 1) if isinstance(decimals, dict) else decimals
        if pd.api.types.is_bool_dtype(col):
            out[head] = col.map({True: "oui", False: "non"})
        elif pd.api.types.is_integer_dtype(col):
            out[head], decs[head] = col.astype("Float64").astype(float), 0
        elif pd.api.types.is_float_dtype(col):
            out[head], decs[head] = _round(col, given)
        else:
            parsed = _numeric_text(col) if col.dtype == object else None
            ci = _ci_text(col) if parsed is None and col.dtype == object else None
            if ci is not None:  # « +89 patients [84 ; 95] »: estimate and bounds in three numeric columns
                est, lo, hi, unit, d = ci
                base = re.sub(r"\s*\[?IC( à 95 %)?\]?\s*", " ", head).strip(" ,")
                if unit:
                    base = f"{base} ({unit})"
                for h, v in ((base, est), (f"{base} : borne basse de l'IC à 95 %", lo),
                             (f"{base} : borne haute de l'IC à 95 %", hi)):
                    out[h], decs[h] = v, d
            elif parsed is not None:
                values, unit = parsed
                if unit and "%" not in head:
                    head = f"{head} (%)"
                out[head], decs[head] = _round(values, _decimals_in_text(col))
            else:  # mixed: each cell that is a lone French number becomes a number, the others stay text
                cells = [_cell(v) for v in col]
                out[head] = pd.Series([c[0] for c in cells], index=col.index, dtype=object)
                if any(c[1] is not None for c in cells):
                    decs[head] = [c[1] for c in cells]
    return Export(pd.DataFrame(out), decs, _kind(obj), obj.title, obj.champ, obj.source, obj.note or "",
                  obj.reading() if hasattr(obj, "reading") else "", obj.name)


_N = r"[+\-−]?\d{1,3}(?:[ \u202f\u00a0]\d{3})*(?:,\d+)?|[+\-−]?\d+(?:,\d+)?"
_U = r"(?:[ \u202f\u00a0]*(?P<u{k}>%|€|[a-zéèû]+(?: [a-zéèû]+)?))?"
_CI = re.compile(rf"\s*(?P<e>{_N}){_U.format(k=1)}\s*\[\s*(?P<lo>{_N}){_U.format(k=2)}\s*;[\s\u00a0]*"
                 rf"(?P<hi>{_N}){_U.format(k=3)}\s*\]\s*")


_NO_VALUE = {"—", "–", "-", "n.d.", "nd"}


def _ci_text(col: pd.Series):
    """A text column every non-empty cell of which reads « estimate [low ; high] » with one unit (« +89 patients
    [84 ; 95] », « 12,5 % [10,1 % ; 14,9 %] »; « — » for none): (estimates, lows, highs, unit, decimals); else
    None."""
    vals = col.map(lambda v: v.strip() if isinstance(v, str) and v.strip() not in _NO_VALUE else "")
    ms = [_CI.fullmatch(v) if v else None for v in vals]
    if not any(ms) or any(m is None for m, v in zip(ms, vals) if v):
        return None
    units = {u for m in ms if m for u in (m.group("u1"), m.group("u2"), m.group("u3")) if u}
    if len(units) > 1:
        return None
    num = {k: pd.Series([parse_fr(m.group(k)) if m else np.nan for m in ms], index=col.index, dtype=float)
           for k in ("e", "lo", "hi")}
    d = max((len(m.group(k).split(",")[1]) if "," in m.group(k) else 0) for m in ms if m for k in ("e", "lo", "hi"))
    return num["e"], num["lo"], num["hi"], next(iter(units), ""), d


def _cell(v) -> tuple[object, int | None]:
    """One cell of a text column: (number, its decimals) if it is a lone French number, else (ASCII text, None)."""
    x = parse_fr(v)
    if x is not None:
        return x, (len(v.strip().split(",")[1]) if "," in v else 0)
    if isinstance(v, bool) or isinstance(v, np.bool_):
        return ("oui" if v else "non"), None
    if isinstance(v, (float, np.floating)) and np.isfinite(v):
        return float(v), _decimals_of(pd.Series([float(v)]))
    return (ascii_text(v) if isinstance(v, str) else v), None


def _decimals_in_text(col: pd.Series) -> int:
    d = col.dropna().astype(str).map(lambda s: len(s.split(",")[1].rstrip(" %\u202f\u00a0")) if "," in s else 0)
    return int(d.max()) if len(d) else 0


def _fmt_cell(v, d: int | None):
    if d is None or isinstance(v, str):
        return v
    if v is None or pd.isna(v):
        return ""
    return f"{v:.{d}f}".replace(".", ",")


def csv_bytes(obj) -> bytes:
    """One exhibit's CSV download: ``;`` separator, decimal comma, UTF-8 with a byte-order mark (Excel)."""
    e = export_frame(obj)
    f = e.frame.copy()
    for c, d in e.decimals.items():  # integers without « .0 », decimals as rounded on the page
        ds = d if isinstance(d, list) else [d] * len(f)
        f[c] = [_fmt_cell(v, k) for v, k in zip(f[c], ds)]
    return f.to_csv(index=False, sep=";").encode("utf-8-sig")


# --- what a chapter has shown --------------------------------------------------------------------------------------

_SHOWN: dict[str, object] = {}


def shown(obj) -> None:
    """Note that ``obj`` (a figure or table) was displayed on the page being executed (called by their
    ``_repr_mimebundle_``); the same exhibit displayed twice is kept once, at its first place. A figure and a table
    may share a name (the chart and the table of the same numbers): they are two exhibits."""
    name = getattr(obj, "name", "")
    key = f"{_kind(obj)}:{name}" if name else f"id{id(obj)}"
    _SHOWN[key] = obj  # a dict keeps the first place, the latest version


def exhibits() -> list:
    """The figures and tables displayed so far in this process (a page's kernel), in the order of the page; tables
    that only carry a message (« estimation impossible sur ces données ») are left out."""
    from . import plots

    return [obj for obj in _SHOWN.values() if not (isinstance(obj, plots.Table) and obj.message_only())]


def reset() -> None:
    _SHOWN.clear()


# --- the workbook --------------------------------------------------------------------------------------------------

def sheet_names(objs) -> list[str]:
    """« Graphique 1 », « Tableau 1 »…: figures and tables numbered separately, in the order of the page."""
    kinds = [_kind(o) for o in objs]
    return [f"{k} {kinds[:i + 1].count(k)}" for i, k in enumerate(kinds)]


def workbook(objs, title: str) -> bytes:
    """One sheet per exhibit (title, French headers, rounded numbers with their format, then « Lecture », « Note »,
    « Champ », « Source » lines), after a « Sommaire » sheet listing them."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    toc = wb.active
    toc.title = "Sommaire"
    toc["A1"] = ascii_text(title)
    toc["A1"].font = Font(bold=True, size=13)
    toc["A2"] = (f"Données associées aux graphiques et tableaux du chapitre ; evalkit {__version__}"
                 + ("" if paths.data_kind() == "user" else " ; données synthétiques (démonstration de méthode)"))
    toc["A4"], toc["B4"] = "Feuille", "Titre"
    toc["A4"].font = toc["B4"].font = Font(bold=True)
    names = sheet_names(objs)
    for i, (obj, sheet) in enumerate(zip(objs, names)):
        e = export_frame(obj)
        toc.cell(5 + i, 1, sheet)
        toc.cell(5 + i, 2, ascii_text(e.title))
        ws = wb.create_sheet(sheet)
        ws["A1"] = f"{sheet} - {ascii_text(e.title)}"
        ws["A1"].font = Font(bold=True)
        head_row = 3
        for j, c in enumerate(e.frame.columns, start=1):
            cell = ws.cell(head_row, j, c)
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.column_dimensions[get_column_letter(j)].width = min(45, max(12, len(str(c)) * 0.6,
                                                                           *(len(str(v)) + 2 for v in e.frame[c])))
        for i_row, rec in enumerate(e.frame.itertuples(index=False), start=head_row + 1):
            for j, (c, v) in enumerate(zip(e.frame.columns, rec), start=1):
                if v is None or (isinstance(v, float) and not np.isfinite(v)) or v is pd.NA:
                    continue
                cell = ws.cell(i_row, j, v.item() if isinstance(v, np.generic) else v)
                d = e.decimals.get(c)
                d = d[i_row - head_row - 1] if isinstance(d, list) else d
                if d is not None and not isinstance(v, str):
                    cell.number_format = "#,##0" + ("." + "0" * d if d else "")
        r = head_row + len(e.frame) + 2
        for lab, text in (("Lecture", e.lecture), ("Note", e.note), ("Champ", e.champ), ("Source", e.source)):
            if text:
                ws.cell(r, 1, f"{lab} : {ascii_text(text)}")
                r += 1
    toc.column_dimensions["A"].width = 14
    toc.column_dimensions["B"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return _reproducible(buf.getvalue())


def _reproducible(xlsx: bytes) -> bytes:
    """The workbook with its build time removed (zip entry dates and the document's created/modified dates set to
    1980-01-01), so that two runs on the same data write the same bytes."""
    src, out = zipfile.ZipFile(io.BytesIO(xlsx)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>1980-01-01T00:00:00Z", data)
            dst.writestr(zipfile.ZipInfo(info.filename, (1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def check_workbook(data: bytes, objs) -> None:
    """Read a workbook back and check it against the exhibits it was made from: a « Sommaire » then one sheet per
    exhibit, in order, each with the exhibit's headers, as many data rows, and its « Champ » and « Source » lines.
    Raises ValueError (a chapter that calls :func:`associees` fails its execution test)."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    names = sheet_names(objs)
    if wb.sheetnames != ["Sommaire", *names]:
        raise ValueError(f"workbook sheets {wb.sheetnames} != {['Sommaire', *names]}")
    for obj, sheet in zip(objs, names):
        e = export_frame(obj)
        rows = list(wb[sheet].iter_rows(values_only=True))
        head = [v for v in rows[2] if v is not None]
        if head != list(e.frame.columns):
            raise ValueError(f"{sheet}: headers {head} != {list(e.frame.columns)}")
        lines = [r[0] for r in rows[3 + len(e.frame):] if r and isinstance(r[0], str)]
        for lab in ("Champ", "Source"):
            if not any(x.startswith(f"{lab} : ") and x[len(lab) + 3:].strip() for x in lines):
                raise ValueError(f"{sheet} ({e.title!r}): no « {lab} » line")


class _HTML:
    def __init__(self, html_text: str, text: str):
        self._html, self._text = html_text, text

    def _repr_html_(self):
        return self._html

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self._html, "text/plain": self._text}


def associees(chapter: str, objs=None, out_dir=None):
    """The chapter's « Données associées »: its exhibits (shown so far) as one workbook, written to
    ``<results_dir>/<chapter>.xlsx`` and offered for download as a link."""
    from .io import write_bytes_atomic

    objs = exhibits() if objs is None else list(objs)
    data = workbook(objs, registry.get(chapter).title if chapter in registry.names() else chapter.capitalize())
    check_workbook(data, objs)
    out = paths.results_dir() if out_dir is None else out_dir
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(data, out / f"{chapter}.xlsx")
    except OSError:  # a read-only results folder: the page still offers the download
        pass
    n_fig = sum(1 for s in sheet_names(objs) if s.startswith("Graphique"))
    n_tab = len(objs) - n_fig
    what = " et ".join(x for x in (f"{fmt_int(n_fig)} {plural(n_fig, 'graphique')}" if n_fig else "",
                                   f"{fmt_int(n_tab)} {plural(n_tab, 'tableau', 'tableaux')}" if n_tab else "") if x)
    b64 = base64.b64encode(data).decode("ascii")
    fname = f"evalkit-{chapter}-donnees.xlsx"
    body = (f"Les valeurs des graphiques et tableaux de ce chapitre ({what}), une feuille par graphique ou tableau, "
            "numérotés dans l'ordre de la page : valeurs arrondies, unités, champ et source.")
    link = (f"<a download='{html.escape(fname)}' href='data:{XLSX_MIME};base64,{b64}'>Télécharger les données "
            f"du chapitre (Excel, {len(objs) + 1} feuilles)</a>")
    return _HTML(f"<div class='ek-downloads admonition note'><p class='admonition-title'>Données associées</p>"
                 f"<p>{html.escape(body)} {link}</p></div>", f"Données associées : {body}")


# --- the French companion of estimates.csv ----------------------------------------------------------------------

_DATA_FR = {"synthetic": "synthétiques", "user": "fournies par l'utilisateur", "reference": "référence publique (mpdta)"}
_SUBGROUP_KEYS_FR = {"event_time": "années depuis l'entrée", "cohort": "vague d'entrée", "year": "année",
                     "option": "option du contrat", "rurality": "territoire", "mbar": "M̄", "comparison": "comparaison",
                     "horizon": "horizon (mois)", "intensity": "intensité", "date": "date", "e": "années depuis l'entrée",
                     "m": "M"}
_OUTCOMES_FR = {"acts": "actes", "cost_per_patient": "coût par patient médecin traitant supplémentaire",
                "national_projection": "projection nationale", "target_reached": "objectif de patientèle atteint",
                "lemp": "emploi des comtés, en logarithme (jeu mpdta)", "y_sim": "résultat simulé",
                "patients_mt": "patientèle médecin traitant", "file_active": "file active",
                "fees": "honoraires annuels"}

FRENCH_COLUMNS = {"study": "Étude", "outcome": "Indicateur", "subgroup": "Sous-groupe", "estimator": "Estimateur",
                  "estimate": "Estimation", "std_error": "Erreur-type", "ci_low": "Borne basse IC 95 %",
                  "ci_high": "Borne haute IC 95 %", "unit": "Unité", "n_units": "Nombre d'unités",
                  "n_obs": "Nombre d'observations", "headline": "Estimation retenue", "data": "Données"}


def _outcome_fr(code: str) -> str:
    labels = dict(_OUTCOMES_FR)
    try:
        from .studies.asalee import texts as at

        labels.update({k: v for k, v in at.LABELS.items() if isinstance(v, str)})
    except Exception:  # noqa: BLE001 - labels are a convenience; the code stays in its own column
        pass
    return labels.get(code, code)


def _subgroup_fr(s: str) -> str:
    if s == "all":
        return "ensemble"
    if "=" not in s:
        return s
    k, v = s.split("=", 1)
    return f"{_SUBGROUP_KEYS_FR.get(k, k)} = {v}"


def _estimator_fr(code: str) -> tuple[str, str]:
    from . import results
    from .guide import ESTIMATOR_DESCRIPTIONS

    masked = ""
    for tag, word in ((results.SUPPRESSED_TAG, "oui (moins de 11 unités)"),
                      (results.COMPLEMENT_TAG, "oui (protège une case masquée)")):
        if code.endswith(tag):
            code, masked = code[: -len(tag)], word
    return ESTIMATOR_DESCRIPTIONS.get(code, code), masked or "non"


def french_results(df: pd.DataFrame) -> pd.DataFrame:
    """The French companion of a results table: French column names and labels (study, outcome, subgroup,
    estimator, unit, data), « oui / non » flags, numbers to 6 significant digits, the codes of ``estimates.csv`` kept
    in the last columns (to join the two files)."""
    from .guide import UNIT_DESCRIPTIONS

    titles = {s: registry.get(s).title for s in registry.names()}
    titles.setdefault("methodes", "Méthodes (illustrations)")
    est = df["estimator"].astype(str).map(_estimator_fr)
    out = pd.DataFrame({
        FRENCH_COLUMNS["study"]: df["study"].map(lambda s: titles.get(s, s)),
        FRENCH_COLUMNS["outcome"]: df["outcome"].map(_outcome_fr),
        FRENCH_COLUMNS["subgroup"]: df["subgroup"].astype(str).map(_subgroup_fr),
        FRENCH_COLUMNS["estimator"]: est.map(lambda x: x[0]),
    })
    for c in ("estimate", "std_error", "ci_low", "ci_high"):
        out[FRENCH_COLUMNS[c]] = pd.to_numeric(df[c], errors="coerce").map(
            lambda v: float(f"{v:.6g}") if pd.notna(v) else np.nan)
    out[FRENCH_COLUMNS["unit"]] = df["unit"].map(lambda u: UNIT_DESCRIPTIONS.get(u, u))
    for c in ("n_units", "n_obs"):
        out[FRENCH_COLUMNS[c]] = pd.to_numeric(df[c], errors="coerce").astype("Int64")
    out[FRENCH_COLUMNS["headline"]] = df["headline"].astype(bool).map({True: "oui", False: "non"})
    out["Ligne masquée"] = est.map(lambda x: x[1])
    out[FRENCH_COLUMNS["data"]] = df["data"].map(lambda d: _DATA_FR.get(d, d))
    for c in ("study", "outcome", "subgroup", "estimator", "unit"):
        out[f"code {c}"] = df[c].astype(str)
    for c in out.columns[out.dtypes == object]:
        out[c] = out[c].map(lambda v: ascii_text(v) if isinstance(v, str) else v)
    return out


def french_results_csv(df: pd.DataFrame) -> bytes:
    """:func:`french_results` as CSV: ``;``, decimal comma, UTF-8 with BOM (opens as is in a French Excel)."""
    return french_results(df).to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")


def read_french_results(path_or_buf) -> pd.DataFrame:
    """Read :data:`FRENCH_RESULTS` back (for checks and scripts)."""
    return pd.read_csv(path_or_buf, sep=";", decimal=",", encoding="utf-8-sig",
                       dtype={"code subgroup": str, "Sous-groupe": str})


__all__ = ["FRENCH_RESULTS", "associees", "check_workbook", "csv_bytes", "export_frame", "exhibits", "french_results",
           "french_results_csv", "parse_fr", "read_french_results", "shown", "workbook"]
