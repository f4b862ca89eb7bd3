"""Every number in a figure's title or axis labels is a plotted value (issue 15, « one number, one definition »).

For every :class:`evalkit.plots.Figure` a study chapter displays — the ``a.figure_*(…)`` calls of its notebook, read
from the notebook itself, so a new figure is checked without editing this file — each number printed in the title
and the axis labels must equal a value of ``fig.data`` (the values behind the figure, downloadable as CSV) at its
printed precision. Allowed otherwise, each checked against the data: a gap (difference of two values of one column,
e.g. « écart de +146 patients » over two plotted means), a ratio « N fois » (of two values of one column), a count
« n des N indicateurs » (rows of the data, and rows whose interval lies above zero); p-values (« p = 0,43 ») and a
few definitional numbers (« 0 = année d'entrée », « 95 % », « 2 erreurs-types ») are skipped. Event-study titles that
place a value at a time (« +144 trois ans après », « +60 l'année d'entrée ») must find that value at that time on the
axis: the old bug, a title « +144 après 4 ans » over a chart showing 144 at x = 3, fails here.

Fast case: each study on small seeded tables (seed 3, without the estimator agreement panel). Slow (not run by CI):
another seed with the panel, the bundled data and a third seed at full size.
"""

from __future__ import annotations

import json
import re
import warnings
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit import plots

ROOT = Path(__file__).resolve().parents[1]
NUM = re.compile(r"(?<![\w,.])([+−-]?\d{1,3}(?:[\u202f\u00a0 ]\d{3})+(?:,\d+)?|[+−-]?\d+(?:,\d+)?)(?![\d])")
SKIP_BEFORE = re.compile(r"(p\s*[=<>≤]\s*|n\s*=\s*)$")  # p-values; « n = 12 » group sizes
DEFINITIONAL = re.compile(r"[−-]?\d+ = |\b95 %|\d+ erreurs?-types|indice 100|\d+e percentile")
WORD_NUMBERS = {"l'année d'entrée": 0, "l'année de la signature": 0, "un an après": 1, "deux ans après": 2,
                "trois ans après": 3, "quatre ans après": 4, "cinq ans après": 5,
                "la deuxième année du contrat": 1, "la troisième année du contrat": 2,
                "la quatrième année du contrat": 3, "la cinquième année du contrat": 4}


def _displayed(study: str) -> list[tuple[str, tuple]]:
    """The ``a.figure_*(args)`` calls of the study's chapter notebook (string arguments only)."""
    nb = json.loads((ROOT / "chapters" / f"{study}.ipynb").read_text(encoding="utf-8"))
    calls = []
    for c in nb["cells"]:
        if c["cell_type"] != "code":
            continue
        for name, args in re.findall(r"\ba\.(figure_\w+)\(([^)]*)\)", "".join(c["source"])):
            calls.append((name, tuple(re.findall(r"[\"']([^\"']+)[\"']", args))))
    assert calls, study
    return calls


def _value(s: str) -> tuple[float, int]:
    s = s.replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace("−", "-")
    dec = len(s.split(",")[1]) if "," in s else 0
    return float(s.replace(",", ".")), dec


def _columns(data: pd.DataFrame) -> list[np.ndarray]:
    cols = []
    for c in data.columns:
        v = pd.to_numeric(data[c], errors="coerce").to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        if len(v):
            cols.append(v)
    return cols


def _matches(x: float, dec: int, values: np.ndarray, signed: bool) -> bool:
    """``x`` printed with ``dec`` decimals is one of ``values`` (an unsigned number may print an absolute value)."""
    tol = 0.5 * 10 ** -dec + 1e-9
    return bool(np.any(np.abs(values - x) <= tol) or (not signed and np.any(np.abs(np.abs(values) - x) <= tol)))


def _explained(num: str, after: str, data: pd.DataFrame, meta: dict | None = None) -> bool:
    x, dec = _value(num)
    tol = 0.5 * 10 ** -dec + 1e-9
    cols = _columns(data)
    extra = [float(v) for v in (meta or {}).values() if isinstance(v, (int, float, np.number))]
    allv = np.concatenate(cols + [np.array(extra, dtype=float)]) if cols else np.array(extra, dtype=float)
    if _matches(x, dec, allv, signed=num[:1] in "+−-"):
        return True
    if after.lstrip().startswith("fois"):  # a ratio of two plotted values of one column
        return any(abs(a / b - x) <= tol for v in cols for a in v for b in v if b)
    m = re.match(r"\s*des\s+(\d+)\s", after)
    if m and dec == 0:  # « n des N indicateurs »: N rows, n of them with the interval above zero
        lo = next((c for c in data.columns if "basse" in str(c).lower()), None)
        n_pos = int((pd.to_numeric(data[lo], errors="coerce") > 0).sum()) if lo is not None else None
        return int(m.group(1)) == len(data) and (n_pos is None or int(x) == n_pos)
    # a gap: difference of two values of one column (e.g. two plotted means of one year, an index minus 100)
    return any(abs(abs(a - b) - abs(x)) <= tol for v in cols for a, b in combinations(np.unique(v), 2))


def _time_column(data: pd.DataFrame) -> str | None:
    return next((c for c in data.columns if str(c).startswith("Années depuis")), None)


def _event_pairs(title: str) -> list[tuple[float, int, int]]:
    """(value, decimals, event time) pairs an event-study title states: « +60 … l'année d'entrée », « +144 … trois
    ans après », « +144 … après 3 ans » (read on the axis, 0 = year of entry)."""
    out = []
    num = r"([+−-]?\d{1,3}(?:[\u202f\u00a0 ]\d{3})*(?:,\d+)?)(?:\s*(?:patients|points))?"
    for words, e in WORD_NUMBERS.items():
        for m in re.finditer(num + r"\s+" + re.escape(words), title):
            out.append((*_value(m.group(1)), e))
    for m in re.finditer(num + r"\s+après\s+(\d+)\s+ans?", title):
        out.append((*_value(m.group(1)), int(m.group(2))))
    for m in re.finditer(num + r"\s+(\d+)\s+ans?\s+après", title):
        out.append((*_value(m.group(1)), int(m.group(2))))
    return out


def check_figure(fig: plots.Figure) -> list[str]:
    """What in ``fig``'s title and axis labels is not a plotted value (empty when all is well)."""
    assert fig.data is not None and len(fig.data), f"{fig.name}: no data behind the figure"
    problems = []
    for where, text in (("title", fig.title), ("xlabel", fig.xlabel), ("ylabel", fig.ylabel)):
        clean = DEFINITIONAL.sub(" ", text)
        for m in NUM.finditer(clean):
            before, after = clean[max(0, m.start() - 12):m.start()], clean[m.end():m.end() + 12]
            if SKIP_BEFORE.search(before):
                continue
            if not _explained(m.group(1), after, fig.data, fig.meta):
                problems.append(f"{fig.name} {where}: « {m.group(1)} » ({text!r}) is not a plotted value")
    tcol = _time_column(fig.data)
    if tcol is not None:
        value_col = [c for c in fig.data.columns if c not in (tcol, "Période") and "Borne" not in str(c)
                     and "simulé" not in str(c)][0]
        by_t = fig.data.set_index(tcol)[value_col]
        for x, dec, e in _event_pairs(fig.title):
            ok = e in by_t.index and abs(round(float(by_t.loc[e]), dec) - x) <= 0.5 * 10 ** -dec + 1e-9
            if not ok:
                problems.append(f"{fig.name} title: « {x} » is said at event time {e}, where the chart shows "
                                f"{by_t.get(e, 'nothing')}")
    return problems


# --- the check itself -------------------------------------------------------------------------------------------

def test_check_catches_the_old_bug():
    """A title « +144 après 4 ans » over 144 at x = 3 and 168 at x = 4 is caught; the right title passes."""
    data = pd.DataFrame({"Années depuis l'entrée (0 = année d'entrée)": [-1, 0, 1, 2, 3, 4],
                         "Effet estimé (patients)": [0.0, 60.0, 90.0, 120.0, 144.0, 168.0],
                         "Borne basse de l'IC à 95 %": [0.0, 50.0, 80.0, 110.0, 130.0, 150.0]})
    fig = plots.Figure(b"", "Gain : +60 patients l'année d'entrée, +144 après 4 ans", "alt", "c", "s", "x",
                       data=data)
    assert check_figure(fig)
    fig.title = "Gain : +60 patients l'année d'entrée, +144 trois ans après"
    assert not check_figure(fig)
    fig.title = "Gain : +61 patients l'année d'entrée"  # a number that is not plotted
    assert check_figure(fig)
    fig.title = "Gain (+61 patients)"  # in parentheses too
    assert check_figure(fig)


def _analyses(seed: int, small: bool, agreement: bool = True):
    from evalkit import registry, simulate
    from evalkit.contracts import validate
    from evalkit.studies import asalee, assistants, msp

    kw = {"msp": dict(n_gps=800), "asalee": dict(scale=0.1), "assistants": dict(scale=0.2)} if small else \
        {s: {} for s in ("msp", "asalee", "assistants")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = {s: simulate.simulate(s, seed=seed, **kw[s]) for s in kw}
        truth_fn = getattr(registry.get("msp").generator_module(), "truth", None)
        truth = truth_fn(raw["msp"]) if truth_fn else None  # the planted effect, drawn on the chapter's figures
        df = {s: validate(raw[s], s) for s in kw}
        return {
            "msp": msp.analyse(df["msp"], seed=seed, truth=truth, kind="synthetic", agreement=agreement),
            "asalee": asalee.analyse(df["asalee"], seed=seed, kind="synthetic", agreement=agreement),
            "assistants": assistants.analyse(df["assistants"], seed=seed, kind="synthetic", agreement=agreement),
        }


def _check_all(seed: int, small: bool, agreement: bool = True) -> None:
    analyses = _analyses(seed, small, agreement)
    problems, n = [], 0
    for study, a in analyses.items():
        for name, args in _displayed(study):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fig = getattr(a, name)(*args)
            if isinstance(fig, plots.Figure):
                n += 1
                problems += check_figure(fig)
    assert n >= (14 if agreement else 11), n
    assert not problems, "\n".join(problems)


def test_numbers_in_figure_titles_are_plotted_values():
    """Small tables, seed 3, without the estimator agreement panel (its figure is checked in the slow cases)."""
    _check_all(3, small=True, agreement=False)


@pytest.mark.slow
def test_numbers_in_figure_titles_are_plotted_values_other_seed():
    _check_all(8, small=True)


@pytest.mark.slow
def test_numbers_in_figure_titles_are_plotted_values_bundled_data():
    """The bundled data (default seed, full size) and a third seed at full size."""
    from evalkit.paths import DEFAULT_SEED

    _check_all(DEFAULT_SEED, small=False)
    _check_all(21, small=False)


def test_numbers_in_figure_titles_on_the_built_pages():
    """The bundled data, as the strict build shows them: each figure's title against the CSV of its data (the
    download beside it, values as rounded on the page; a gap or a ratio of rounded values may then be one unit of
    the last printed digit off, so those two are read with that tolerance)."""
    import base64
    import html as html_mod
    import io
    import os

    html_dir = os.environ.get("EVALKIT_BOOK_HTML")
    if not html_dir:
        pytest.skip("needs the strict build of make test (EVALKIT_BOOK_HTML)")
    problems, n = [], 0
    for study in ("msp", "asalee", "assistants"):
        page = (Path(html_dir) / "chapters" / f"{study}.html").read_text(encoding="utf-8")
        for fig_html in re.findall(r"<figure class='ek-figure'.*?</figure>", page, flags=re.S):
            raw = re.search(r"<p class='ek-figtitle'><strong>(.*?)</strong>", fig_html, flags=re.S).group(1)
            # the exhibit number the page adds (« Graphique 4 – », _ext/exhibits.py) is not a plotted value
            raw = re.sub(r"<span class=['\"]ek-num['\"]>.*?</span>\s*–\s*", "", raw, flags=re.S)
            title = html_mod.unescape(re.sub(r"<[^>]+>", "", raw))
            csv = re.search(r"download='([^']+)\.csv' href='data:text/csv;base64,([^']+)'", fig_html)
            assert csv, f"{study}: a figure without its data ({title[:60]})"
            data = pd.read_csv(io.BytesIO(base64.b64decode(csv.group(2))), sep=";", decimal=",",
                               encoding="utf-8-sig")
            fig = plots.Figure(b"", title, "alt", "", "", csv.group(1), data=data)
            n += 1
            problems += [p for p in check_figure(fig) if not _rounded_gap_or_ratio(p, fig)]
    assert n >= 14, n
    assert not problems, "\n".join(problems)


def _rounded_gap_or_ratio(problem: str, fig: plots.Figure) -> bool:
    """A gap or ratio of rounded values, one unit of its last printed digit off (built pages only)."""
    m = re.search(r"« ([^»]+) » \(", problem)
    if not m or "event time" in problem:
        return False
    x, dec = _value(m.group(1))
    unit = 10 ** -dec
    cols = _columns(fig.data)
    gaps = [abs(a - b) for v in cols for a, b in combinations(np.unique(v), 2)]
    ratios = [a / b for v in cols for a in v for b in v if b]
    return any(abs(g - abs(x)) <= 1.5 * unit for g in gaps) or any(abs(r - x) <= 1.5 * unit for r in ratios)
