"""Sphinx extension: « Graphique n » / « Tableau n » on every page, in the order of the page (issue 15, item 3).

Why at the Sphinx level. A figure or table is rendered by the notebook's kernel (:mod:`evalkit.plots`), but the kernel
does not know where an output lands: a figure glued in one cell (``evalkit.book.glue_figure``) is pasted by a
``{glue}`` directive further down the page, inside an encadré. The resolved doctree of a page is the page in reading
order, glued outputs included; numbering there is numbering what the reader sees.

What it does, per page (``doctree-resolved``): in every raw HTML node, in document order, each exhibit that
:mod:`evalkit.plots` wrote (``<figure class='ek-figure'…>`` and ``<div class='ek-tablewrap'…>``, message-only tables
excepted) gets ``data-number='Graphique 3'`` and its title « Graphique 3 – … ». Figures and tables are numbered
separately, from 1 on each page (« Figure n » / « Table n » on the pages listed in ``ek_english_pages``).

The page's « Données associées » workbook (:func:`evalkit.donnees.associees`, built in the kernel, one sheet per
exhibit named « Graphique n ») must list the same exhibits under the same numbers: the extension reads the workbook
embedded in the page and warns (an error in the strict build, ``-W``) when a number names a different exhibit on the
page and in the workbook — e.g. if a glued figure is pasted after a figure displayed later than it in the kernel,
or if an exhibit shown on the page is missing from the workbook.
"""

from __future__ import annotations

import base64
import html
import io
import re

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: The opening tag of an exhibit and its title, as :mod:`evalkit.plots` writes them.
EXHIBIT = re.compile(r"<(?P<tag>figure class='ek-figure'|div class='ek-tablewrap')(?P<attrs>[^>]*)>"
                     r"(?P<head><p class='ek-figtitle'>\s*<strong>)")
WORKBOOK = re.compile(r"download='evalkit-[^']*-donnees\.xlsx' href='data:[^;']+;base64,(?P<b64>[A-Za-z0-9+/=]+)'")
LABELS = {"fr": {"figure": "Graphique", "table": "Tableau"}, "en": {"figure": "Figure", "table": "Table"}}
DASH = " – "


def number_html(text: str, counts: dict, lang: str = "fr") -> tuple[str, list[tuple[str, str]]]:
    """``text`` (one raw HTML output) with its exhibits numbered from ``counts`` (updated in place: the numbers
    already given on the page); returns the new text and the [(number, title)] it gave, in order. An exhibit shown
    a second time on the page (same ``data-name``) keeps its first number, as in the workbook (one sheet)."""
    given: list[tuple[str, str]] = []
    names = counts.setdefault("names", {})

    def repl(m: re.Match) -> str:
        attrs = m.group("attrs")
        if "data-number=" in attrs or "data-message=" in attrs:
            return m.group(0)
        kind = "figure" if m.group("tag").startswith("figure") else "table"
        name = re.search(r"data-name='([^']*)'", attrs)
        key = (kind, name.group(1)) if name and name.group(1) else None
        if key in names:
            number = names[key]
        else:
            counts[kind] = counts.get(kind, 0) + 1
            number = f"{LABELS[lang][kind]} {counts[kind]}"
            rest = text[m.end():]
            end = rest.find("</strong>")
            title = html.unescape(re.sub(r"<[^>]+>", "", rest[:end])) if end >= 0 else ""
            given.append((number, title))
            if key:
                names[key] = number
        return (f"<{m.group('tag')}{attrs} data-number='{number}'>{m.group('head')}"
                f"<span class='ek-num'>{number}</span>{DASH}")

    return EXHIBIT.sub(repl, text), given


def workbook_sheets(text: str) -> list[tuple[str, str]] | None:
    """[(sheet name, title)] of the « Données associées » workbook embedded in a page's HTML (None if none)."""
    m = WORKBOOK.search(text)
    if not m:
        return None
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(base64.b64decode(m.group("b64"))), read_only=True)
    out = []
    for name in wb.sheetnames[1:]:  # after the « Sommaire »
        a1 = next(wb[name].iter_rows(min_row=1, max_row=1, max_col=1, values_only=True))[0] or ""
        out.append((name, str(a1).split(" - ", 1)[1] if " - " in str(a1) else str(a1)))
    return out


def _ascii(s: str) -> str:
    return " ".join(s.replace("−", "-").replace("\u202f", " ").replace("\u00a0", " ").split())


def check_against_workbook(numbered: list[tuple[str, str]], sheets: list[tuple[str, str]]) -> list[str]:
    """Differences between the numbers of a page and the sheets of its workbook (empty when they agree): each number
    must name the same exhibit (title) on the page and in the workbook. Figures and tables are numbered apart, so
    the workbook may interleave them differently (a glued figure enters it when it is glued)."""
    page = {n: _ascii(t) for n, t in numbered}
    book = {n: _ascii(t) for n, t in sheets}
    out = [f"page {(n, page.get(n))!r} / classeur {(n, book.get(n))!r}" for n in sorted(set(page) | set(book),
                                                                                        key=_order)
           if page.get(n) != book.get(n)]
    if len(numbered) != len(sheets):
        out.append(f"{len(numbered)} graphiques et tableaux sur la page, {len(sheets)} feuilles dans le classeur")
    return out


def _order(number: str) -> tuple[str, int]:
    kind, _, n = number.rpartition(" ")
    return kind, int(n) if n.isdigit() else 0


def number_exhibits(app, doctree, docname: str) -> None:
    lang = "en" if docname in app.config.ek_english_pages else "fr"
    counts: dict = {}
    numbered: list[tuple[str, str]] = []
    sheets = None
    for node in list(doctree.findall(nodes.raw)):
        if "html" not in node.get("format", "").split():
            continue
        text = node.astext()
        new, given = number_html(text, counts, lang)
        numbered += given
        if sheets is None:
            sheets = workbook_sheets(text)
        if new != text:
            node.replace(node.children[0], nodes.Text(new))
    if sheets is not None:
        for problem in check_against_workbook(numbered, sheets):
            logger.warning(f"numérotation des graphiques et tableaux différente de celle du classeur « Données "
                           f"associées » : {problem}", location=docname)


def setup(app):
    app.add_config_value("ek_english_pages", ["chapters/summary_en"], "env")
    app.connect("doctree-resolved", number_exhibits)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
