"""One number, one definition (issue 15, item 2): the « Chiffres clés » lines and the headline read everywhere.

- The « 600 » and « 500 000 » claims each get one line — annoncé (with its source) → attribuable (the book's estimate
  with its 95 % CI, read from a results row) → source of the estimate —, worded by mode (a demonstration on synthetic
  data says so in the line; on the user's data no synthetic vocabulary), both readings of « 500 000 » shown.
- The home page and the study chapter print the same line (one function; on the built pages, the same text).
- On the strict build, the headline quoted on the home page is the chapter's and the annex's: the same results row,
  printed the same way.
"""

from __future__ import annotations

import html as html_mod
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from evalkit import registry, results, summary
from evalkit.fr import fmt_ci, fmt_num

from test_summary import _row
from test_voice import SYNTHETIC_WORDS, _visible_text


def _rows(file_active: float = 95.0, signed: float = 151_234.0, target: float = 221_234.0) -> dict:
    msp = results.to_frame([_row("msp", "patients_mt", "patients", 89.0),
                            _row("msp", "file_active", "patients", file_active, std_error=5.0)])
    ast = results.to_frame([
        _row("assistants", "patients_mt", "patients", 140.0),
        _row("assistants", "national_projection", "patients", signed, estimator="contracts_x_cs_gain",
             headline=False, subgroup="date=2022-01", std_error=20_000.0),
        _row("assistants", "national_projection", "patients", target, estimator="contracts_x_cs_gain",
             headline=False, subgroup="date=2022-objectif", std_error=30_000.0)])
    return {"msp": msp, "assistants": ast}


def test_each_claim_gets_one_line_read_from_the_rows():
    rows = _rows()
    lines = {x.study: x for x in summary.key_lines(rows, "synthetic")}
    assert set(lines) == {"msp", "assistants"}
    msp, ast = lines["msp"], lines["assistants"]
    # the « 600 »: announced with its source, set against the file-active row (the claim's measure)
    fa = rows["msp"].iloc[1]
    assert "« 600 patients supplémentaires par an »" in msp.announced and "CPAM de Saône-et-Loire" in msp.announced
    assert msp.attributable.startswith(f"{fmt_num(fa.estimate, 0, sign=True)} patients de file active")
    assert fmt_ci(fa.ci_low, fa.ci_high, 0) in msp.attributable
    assert msp.numbers["estimate"] == fa.estimate
    assert "Callaway et Sant'Anna" in msp.estimate_source
    # the « 500 000 »: both readings, each with its projection row and CI, rounded to the thousand
    assert "« 500\u202f000 patients qui trouvent un médecin traitant »" in ast.announced
    for reading, n_gp, n_all in (("signed", "2 133", "2 700"), ("target", "3 160", "4 000")):
        v = ast.numbers[reading]
        assert fmt_num(round(v["estimate"], -3), 0) in ast.attributable
        assert fmt_ci(round(v["ci_low"], -3), round(v["ci_high"], -3), 0) in ast.attributable
        assert n_gp.replace(" ", "\u202f") in ast.attributable and n_all.replace(" ", "\u202f") in ast.attributable
    assert "151\u202f000" in ast.attributable and "221\u202f000" in ast.attributable
    # the line says, in the line itself, that the attributable number is a demonstration on synthetic data
    for x in lines.values():
        assert "démonstration de méthode sur les données synthétiques" in x.attributable
        assert x.text().count("→") == 2


def test_lines_on_the_users_data_speak_of_the_users_data():
    for x in summary.key_lines(_rows(), "user"):
        assert not SYNTHETIC_WORDS.search(x.text()), x.text()
        assert "données fournies par l'utilisateur" in x.attributable


def test_lines_follow_the_rows_and_say_when_there_is_no_estimate():
    a = {x.study: x for x in summary.key_lines(_rows(file_active=120.0), "user")}
    assert a["msp"].attributable.startswith("+120 patients")
    no_proj = {"assistants": _rows()["assistants"].iloc[:1]}
    (line,) = summary.key_lines(no_proj, "synthetic")
    assert line.attributable.startswith("non estimé") and not line.numbers


@pytest.fixture
def recorded(book_dirs):
    _, res = book_dirs
    rows = _rows()
    for s, r in rows.items():
        results.record(r, s, out_dir=res)
    results.record([_row("asalee", "hba1c_3plus", "pp", 4.5)], "asalee", out_dir=res)
    return rows


def test_home_and_chapter_print_the_same_line(recorded):
    home = summary.key_figures_box()
    assert home is not None and "Chiffres clés" in home.html
    for study in ("msp", "assistants"):
        chapter = summary.key_figures_box(study, recorded[study])
        (line,) = chapter.text.splitlines()
        assert line in home.text.splitlines(), study
    # the home page shows the box after the synthetic-data warning, before the demonstrated answers
    blocks = [b.html if hasattr(b, "html") else b._repr_html_() for b in summary.home_blocks()]
    page = "".join(blocks)
    assert page.find("ek-banner") < page.find("ek-keyfigures") < page.find("ek-answer")


# --- on the strict build: the same number on the home page, the chapter and the annex -----------------------------

def _built():
    html_dir = os.environ.get("EVALKIT_BOOK_HTML")
    if not html_dir:
        pytest.skip("needs the strict build of make test (EVALKIT_BOOK_HTML)")
    root = Path(html_dir)
    rows = results.collect(root.resolve().parent / "results")
    text = {p: re.sub(r"\s+", " ", _visible_text((root / f"{p}.html").read_text(encoding="utf-8")))
            for p in ("index", "chapters/msp", "chapters/asalee", "chapters/assistants",
                      "chapters/publie_reproduit", "chapters/summary_en")}
    return root, rows, text


def _spaces(s: str) -> str:
    return re.sub(r"[\u202f\u00a0 ]+", " ", s)


def test_headline_on_home_page_equals_chapter_and_annex():
    _, rows, text = _built()
    t = {k: _spaces(v) for k, v in text.items()}
    for study, outcome, unit, dec, suffix in (("msp", "patients_mt", "patients", 0, " patients"),
                                              ("asalee", "hba1c_3plus", "pp", 1, " points")):
        h = rows[(rows.study == study) & (rows.outcome == outcome) & (rows.unit == unit) & rows.headline]
        assert len(h) == 1, (study, h)
        h = h.iloc[0]
        est = _spaces(fmt_num(h.estimate, dec, sign=True))
        ci = _spaces(fmt_ci(h.ci_low, h.ci_high, dec))
        for page in ("index", f"chapters/{study}", "chapters/publie_reproduit"):
            assert est + (suffix if page == "index" else "") in t[page] and ci in t[page], (page, est, ci)
        # the home page quotes no other value for this headline
        quoted = set(re.findall(r"estime ([+−]\d[\d ]*(?:,\d)?)" + suffix, t["index"]))
        assert quoted <= {est}, (study, quoted, est)


def _keylines(page_html: str) -> list[str]:
    return [re.sub(r"\s+", " ", html_mod.unescape(re.sub(r"<[^>]+>", "", m)))
            for m in re.findall(r"<p class=.ek-keyline.>(.*?)</p>", page_html, flags=re.S)]


def test_key_figure_lines_are_the_same_on_the_home_page_and_the_chapters():
    root, _, _ = _built()
    home = _keylines((root / "index.html").read_text(encoding="utf-8"))
    assert len(home) == 2, home
    for study in ("msp", "assistants"):
        chapter = _keylines((root / "chapters" / f"{study}.html").read_text(encoding="utf-8"))
        assert len(chapter) == 1 and chapter[0] in home, (study, chapter)
