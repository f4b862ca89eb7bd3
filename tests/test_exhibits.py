"""Drees / Irdes conventions on every exhibit (issue 15, items 2 and 3).

- « Graphique n » / « Tableau n »: numbered per page, in the page's order, by the book's Sphinx extension
  (``_ext/exhibits.py``), glued figures included; the numbers equal the sheets of the chapter's « Données associées »
  workbook (checked by the extension at build time, and here on the strict build's pages).
- « Lecture : » under every figure and table, computed from the values shown (:mod:`evalkit.lecture`), true on any
  data; event-time axes and data headers name the study's start of exposure.
- A glossary page in the Annexes.
"""

from __future__ import annotations

import base64
import io
import os
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit import donnees, lecture, plots
from evalkit.fr import fmt_ci, fmt_num

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import exhibits as ext  # noqa: E402

SYNTHETIC_WORDS = re.compile(r"synth[ée]ti|plant[ée]|simul[ée]|vérité connue", re.I)


def _event_tab(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    e = np.arange(-3, 5)
    est = np.where(e < 0, rng.normal(0, 2, len(e)), 10 * (e + 1) + rng.normal(0, 3, len(e)))
    est[e == -1] = 0.0
    se = rng.uniform(1, 4, len(e))
    return pd.DataFrame({"event_time": e, "estimate": est, "ci_low": est - 1.96 * se, "ci_high": est + 1.96 * se,
                         "reference": e == -1})


def _figure(name: str, seed: int = 1) -> plots.Figure:
    return plots.event_study(_event_tab(seed), ylabel="Effet estimé (patients par médecin)", title=f"Titre {name}",
                             champ="c", source="s", name=name, study="msp")


def _table(name: str, message: bool = False) -> plots.Table:
    df = pd.DataFrame({"Message": ["estimation impossible"]}) if message else \
        pd.DataFrame({"Groupe": ["MSP", "Témoins"], "Patients": [1012.4, 980.0]})
    return plots.table(df, title=f"Titre {name}", champ="c", source="s", name=name)


# --- numbering (the extension) ----------------------------------------------------------------------------------

def test_exhibits_are_numbered_in_page_order_figures_and_tables_apart():
    f1, t1, f2, msg, t2 = _figure("f1"), _table("t1"), _figure("f2", 2), _table("m", True), _table("t2")
    counts: dict = {}
    out, given = ext.number_html(f1._repr_html_() + t1._repr_html_(), counts)
    out2, given2 = ext.number_html(f2._repr_html_() + msg._repr_html_() + t2._repr_html_(), counts)
    assert given + given2 == [("Graphique 1", "Titre f1"), ("Tableau 1", "Titre t1"), ("Graphique 2", "Titre f2"),
                              ("Tableau 2", "Titre t2")]  # the message table is not numbered
    assert "data-number='Graphique 1'" in out and "<span class='ek-num'>Tableau 1</span> – Titre t1" in out
    assert out2.count("data-number=") == 2
    again, none = ext.number_html(out, {})  # idempotent: a numbered exhibit is left as it is
    assert again == out and none == []
    twice, first_only = ext.number_html(f1._repr_html_() + t1._repr_html_() + f1._repr_html_(), {})
    assert first_only == [("Graphique 1", "Titre f1"), ("Tableau 1", "Titre t1")]
    assert twice.count("data-number='Graphique 1'") == 2
    _, en = ext.number_html(f1._repr_html_() + t1._repr_html_(), {}, lang="en")
    assert [n for n, _ in en] == ["Figure 1", "Table 1"]


def test_page_numbers_are_checked_against_the_chapters_workbook():
    """A glued figure displayed (in the kernel) before a table but pasted after it: the workbook, in kernel order,
    disagrees with the page; in page order it agrees."""
    f, t = _figure("f"), _table("t")
    page_order = [t, f]
    counts: dict = {}
    _, numbered = ext.number_html("".join(o._repr_html_() for o in page_order), counts)
    good = donnees.workbook(page_order, "Chapitre")
    link = f"<a download='evalkit-msp-donnees.xlsx' href='data:{donnees.XLSX_MIME};base64," \
           f"{base64.b64encode(good).decode()}'>x</a>"
    sheets = ext.workbook_sheets(link)
    assert [s for s, _ in sheets] == ["Tableau 1", "Graphique 1"]
    assert ext.check_against_workbook(numbered, sheets) == []
    kernel_order = donnees.workbook([f, t], "Chapitre")  # figures and tables interleaved otherwise: same numbers
    assert ext.check_against_workbook(numbered, ext.workbook_sheets(link.replace(
        base64.b64encode(good).decode(), base64.b64encode(kernel_order).decode()))) == []
    bad = donnees.workbook([f, t, _table("extra")], "Chapitre")
    sheets = ext.workbook_sheets(link.replace(base64.b64encode(good).decode(), base64.b64encode(bad).decode()))
    problems = ext.check_against_workbook(numbered, sheets)
    assert problems and "2 graphiques et tableaux sur la page, 3 feuilles" in problems[-1]
    f2 = _figure("f2", 2)
    swapped = ext.check_against_workbook([("Graphique 1", "Titre f2"), ("Graphique 2", "Titre f")],
                                         [("Graphique 1", "Titre f"), ("Graphique 2", "Titre f2")])
    assert len(swapped) == 2 and f2.title == "Titre f2"


# --- « Lecture » sentences ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [3, 11])
def test_event_study_reading_quotes_the_last_year_plotted(seed):
    tab = _event_tab(seed)
    f = plots.event_study(tab, ylabel="Effet estimé (patients par médecin)", title="t", champ="c", source="s",
                          name="es", study="asalee", decimals=1, lecture="chaque point est un écart.")
    last = tab[tab.event_time == tab.event_time.max()].iloc[0]
    text = f.reading()
    assert text.startswith(f"Effet estimé 4 ans après l'adhésion à Asalée : {fmt_num(last.estimate, 1, sign=True)} "
                           f"patients par médecin (intervalle de confiance à 95 % : "
                           f"{fmt_ci(last.ci_low, last.ci_high, 1)})")
    assert "l'année qui précède l'adhésion à Asalée sert de référence" in text
    assert text.endswith("Chaque point est un écart.")
    # the axis and the data sheet say the same thing
    assert f.xlabel == lecture.event_axis("asalee") == "Années depuis l'adhésion à Asalée (0 = année d'adhésion)"
    assert f.data.columns[0] == f.xlabel
    assert "Lecture : Effet estimé 4 ans" in f._repr_html_()


@pytest.mark.parametrize("seed", [3, 11])
def test_forest_trends_and_table_readings_quote_values_shown(seed):
    rng = np.random.default_rng(seed)
    est = rng.normal(50, 20, 3)
    tab = pd.DataFrame({"label": ["Écart brut", "Comparaison classique", "Par vague d'entrée"], "estimate": est,
                        "ci_low": est - 10, "ci_high": est + 10})
    f = plots.forest(tab, xlabel="Effet estimé (patients par médecin), intervalle de confiance à 95 %", title="t",
                     champ="c", source="s", name="fo", decimals=0)
    assert f.reading() == (f"Effet estimé pour « Écart brut » : {fmt_num(est[0], 0)} patients par médecin "
                           f"(intervalle de confiance à 95 % : {fmt_ci(est[0] - 10, est[0] + 10, 0)}).")
    years = [2015, 2016, 2017]
    df = pd.DataFrame({"year": years * 2, "y": rng.normal(900, 50, 6), "g": ["a"] * 3 + ["b"] * 3})
    tr = plots.trends(df, x="year", y="y", hue="g", xlabel="Année", ylabel="Patientèle moyenne (patients)",
                      title="t", champ="c", source="s", name="tr", hue_labels={"a": "médecins en MSP", "b": "autres"})
    ya, yb = df.y.iloc[2], df.y.iloc[5]
    assert tr.reading() == (f"Patientèle moyenne en 2017 : {fmt_num(ya, 1)} patients pour « médecins en MSP », "
                            f"contre {fmt_num(yb, 1)} pour « autres ».")
    t = _table("t")
    assert t.reading() == f"La ligne « MSP » indique {fmt_num(1012.4, 1)} dans la colonne « Patients »."
    assert "Lecture : La ligne" in t._repr_html_()
    labelled = plots.table(pd.DataFrame({"Indicateur": ["Patientèle"], "Estimation": ["Écart brut"],
                                         "Effet": ["+146 [122 ; 170]"]}), title="t", champ="c", source="s")
    assert labelled.reading() == ("La ligne « Patientèle — Écart brut » indique +146 [122 ; 170] dans la colonne "
                                  "« Effet ».")  # the row named by its text cells, then its first number
    given = plots.table(t.df, title="t", champ="c", source="s", lecture="texte choisi.")
    assert given.reading() == "texte choisi."
    assert _table("m", True).reading() == ""  # a message has nothing to read
    # a figure drawn by hand: its first plotted point
    fig, ax = plots.new()
    ax.plot([10, 20], [4.5, 3.0], label="plan actuel")
    ax.set_xlabel("Nombre d'unités traitées")
    ax.set_ylabel("Effet minimal détectable (unités du résultat)")
    g = plots.figure(fig, title="t", alt="a", champ="c", source="s", name="g")
    assert g.reading() == ("Effet minimal détectable quand « nombre d'unités traitées » vaut 10, série « plan "
                           "actuel » : 4,5 unités du résultat.")
    fig, ax = plots.new()
    ax.plot([2012, 2013], [45.25, 50.0], label="médecins Asalée")
    ax.set_xlabel("Année")
    ax.set_ylabel("Patients concernés (%)")
    g = plots.figure(fig, title="t", alt="a", champ="c", source="s", name="g2")
    assert g.reading() == "Patients concernés en 2012, série « médecins Asalée » : 45,2\u202f%."  # not « 2 012 »
    fig, ax = plots.new()
    ax.plot([12.3], [18.2], "o", label="effet sur les patients suivis (IC 95 %)")
    ax.set_xlabel("Part des patients suivis (%, moyenne du groupe)")
    ax.set_ylabel("Effet (points)")
    g = plots.figure(fig, title="t", alt="a", champ="c", source="s", name="g3")
    assert "))" not in g.reading() and "vaut 12,3\u202f%, série" in g.reading()  # no « ((…)) » in prose


def test_sensitivity_reading_at_the_largest_pre_entry_gap():
    g = pd.DataFrame({"M": [0.0, 0.5, 1.0, 1.5], "ci_low": [12.0, 6.5, -0.4, -8.0], "ci_high": [30.0, 35.0, 41.0, 50.0]})
    text = lecture.honest(g, "patients", 0, "le contrat")
    assert text == ("Si, après le contrat, l'écart de tendance entre les deux groupes peut atteindre le plus grand "
                    "écart observé avant, l'intervalle de confiance robuste à 95 % va de 0 patients à 41 patients : "
                    "il contient zéro.")  # M = 1 read, never « −0 »
    text = lecture.honest(g[g.M < 1], "points", 1)  # no M = 1 on the grid: its largest value
    assert "peut atteindre 0,5 fois le plus grand écart" in text and "6,5 points à 35,0 points" in text
    assert "il ne contient pas zéro" in text


def test_a_figure_and_a_table_of_the_same_name_are_two_sheets():
    """The chart and the table of the same numbers (e.g. the assistants' cost) share a name: both are exhibits of
    the page, so both are sheets of the workbook (the page numbers them both)."""
    donnees.reset()
    try:
        f, t = _figure("cout"), _table("cout")
        for o in (f, t):
            o._repr_mimebundle_()
        assert donnees.sheet_names(donnees.exhibits()) == ["Graphique 1", "Tableau 1"]
    finally:
        donnees.reset()


def test_workbook_sheets_carry_the_reading():
    from openpyxl import load_workbook

    f, t = _figure("f"), _table("t")
    wb = load_workbook(io.BytesIO(donnees.workbook([f, t], "Chapitre")))
    lines = [r[0] for r in wb["Tableau 1"].iter_rows(values_only=True) if r and isinstance(r[0], str)]
    assert any(x.startswith("Lecture : La ligne « MSP »") for x in lines)


@pytest.mark.parametrize("seed", [3, pytest.param(5, marks=pytest.mark.slow)])
def test_study_exhibits_all_have_a_reading_on_user_data(seed, monkeypatch):
    """The MSP study on a small seeded table, built as on an evaluator's data: every exhibit has a « Lecture » that
    speaks of what is shown (no synthetic vocabulary) and quotes the plotted numbers."""
    from evalkit.contracts import validate
    from evalkit.simulate import msp as sim_msp
    from evalkit.studies import msp
    from evalkit.studies.msp import texts as msp_texts

    monkeypatch.setenv("EVALKIT_DATA_KIND", "user")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = msp.analyse(validate(sim_msp.simulate(seed=seed, n_gps=800), "msp"), seed=seed, kind="user",
                        honest=False, subgroups=False)
    shown = [a.figure_trends("patients_mt"), a.figure_estimates("patients_mt"), a.figure_event_study("patients_mt"),
             a.table_profile(), a.table_estimates()]
    for obj in shown:
        text = obj.reading()
        assert text and not SYNTHETIC_WORDS.search(text), (obj.name, text)
    es = shown[2]
    post = es.data[es.data["Période"] == "après l'entrée"].iloc[-1]
    assert es.reading().startswith(f"Effet estimé {int(post.iloc[0])} ans après l'entrée en MSP : "
                                   f"{fmt_num(post.iloc[2], msp_texts.LABELS['patients_mt']['dec'], sign=True)} ")
    assert es.data.columns[0] == "Années depuis l'entrée en MSP (0 = année d'entrée)"


# --- the built book (make test: EVALKIT_BOOK_HTML) ------------------------------------------------------------------

def _pages(html_dir: Path) -> list[Path]:
    from evalkit import replication

    return [html_dir / f"{p}.html" for p in replication.toc_pages(ROOT / "_toc.yml")
            if (html_dir / f"{p}.html").exists()]


def test_built_pages_number_every_exhibit_and_give_its_reading():
    """On every page of the strict build: each figure and table (messages excepted) has a number, « Graphique n » and
    « Tableau n » run 1..n in the page's order, each has a « Lecture : » line, and the numbers and titles equal the
    sheets of the chapter's workbook."""
    html_dir = os.environ.get("EVALKIT_BOOK_HTML")
    if not html_dir:
        pytest.skip("needs the strict build of make test (EVALKIT_BOOK_HTML)")
    from bs4 import BeautifulSoup

    seen = 0
    for path in _pages(Path(html_dir)):
        text = path.read_text(encoding="utf-8")
        soup = BeautifulSoup(text, "html.parser")
        counts: dict = {}
        numbered = []
        names = set()
        for node in soup.select("figure.ek-figure, div.ek-tablewrap"):
            if node.get("data-message"):
                continue
            kind = "figure" if node.name == "figure" else "table"
            if node.get("data-name") and (kind, node.get("data-name")) in names:  # shown twice: one number
                continue
            names.add((kind, node.get("data-name")))
            counts[kind] = counts.get(kind, 0) + 1
            label = ext.LABELS["en" if path.stem == "summary_en" else "fr"][kind]
            number = f"{label} {counts[kind]}"
            title = " ".join(node.select_one(".ek-figtitle").get_text(" ").split())
            assert node.get("data-number") == number and title.startswith(f"{number} – "), (path.name, title)
            caption = " ".join(node.select_one(".ek-caption").get_text(" ").split())
            assert re.search(r"(Lecture|Reading) : \S", caption), (path.name, number, title)
            numbered.append((number, title[len(number) + 3:]))
            seen += 1
        sheets = ext.workbook_sheets(text)
        if sheets is not None:
            assert ext.check_against_workbook(numbered, sheets) == [], path.name
    assert seen > 40


def test_glossary_is_in_the_annexes():
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    annexes = toc[toc.index("caption: Annexes"):]
    assert "- file: chapters/glossaire" in annexes
    text = (ROOT / "chapters" / "glossaire.md").read_text(encoding="utf-8")
    terms = re.findall(r"^(\S[^\n]*)\n  \S", text.split("```{glossary}")[1], flags=re.M)
    assert 12 <= len(terms) <= 20, terms
    for needed in ("Différence de différences", "Groupe témoin", "Tendances parallèles", "Intervalle de confiance",
                   "Bande de confiance simultanée", "Effet moyen sur les traités", "Patientèle médecin traitant",
                   "File active", "Asalée", "ACI", "Zone sous-dense", "Assistant médical"):
        assert needed in terms, needed
    # every {term} of the chapters names a glossary entry (a wrong one fails the strict build, -n)
    entries = {t.lower() for t in terms}
    for nb in (ROOT / "chapters").glob("*.ipynb"):
        for target in re.findall(r"\{term\}`[^`<]*<([^>`]+)>`", nb.read_text(encoding="utf-8")):
            assert target.lower() in entries, (nb.name, target)


# --- one small book built for real: glued figures, the workbook check ---------------------------------------------

_SETUP = """import pandas as pd
import evalkit.book, evalkit.donnees, evalkit.plots as plots
def fig(name):
    t = pd.DataFrame({"event_time": [-2, -1, 0, 1], "estimate": [0.3, 0.0, 5.0, 9.0], "ci_low": [-1, 0, 2, 5],
                      "ci_high": [1.6, 0, 8, 13], "reference": [False, True, False, False]})
    return plots.event_study(t, ylabel="Effet (patients)", title=f"Figure {name}", champ="c", source="s", name=name)
def tab(name):
    return plots.table(pd.DataFrame({"Groupe": ["a"], "Valeur": [1.5]}), title=f"Table {name}", champ="c",
                       source="s", name=name)
"""


def _notebook(cells):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(c[3:]) if c.startswith("md:") else nbformat.v4.new_code_cell(c)
                for c in cells]
    return nb


def test_small_book_numbers_glued_figures_in_page_order(tmp_path):
    """A figure glued early and pasted further down is numbered where it is read; when the page order of figures
    differs from the workbook's, the build warns (the strict build fails)."""
    import shutil
    import subprocess

    import nbformat

    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(ROOT / "_config.yml", book / "_config.yml")
    shutil.copytree(ROOT / "_static", book / "_static")
    shutil.copytree(ROOT / "_ext", book / "_ext")
    (book / "references.bib").write_text((ROOT / "references.bib").read_text())
    (book / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n  - file: good\n  - file: bad\n")
    (book / "index.md").write_text("# Accueil\n\nTexte.\n")
    # good: the glued figure is the first figure both in the kernel and on the page (a table comes between)
    nbformat.write(_notebook(["# Bon", _SETUP + "_ = evalkit.book.glue_figure('g', fig('colle'))",
                              "tab('t1')", "md:```{glue} g\n```", "fig('f2')",
                              "evalkit.donnees.associees('bon')"]), book / "good.ipynb")
    # bad: glued first, pasted after another figure
    nbformat.write(_notebook(["# Mauvais", _SETUP + "_ = evalkit.book.glue_figure('g', fig('colle'))",
                              "fig('f2')", "md:```{glue} g\n```", "evalkit.donnees.associees('mauvais')"]),
                   book / "bad.ipynb")
    env = dict(os.environ, EVALKIT_RESULTS_DIR=str(tmp_path / "results"), PYTHONPATH=str(ROOT / "src"))
    jb = str(Path(sys.executable).with_name("jupyter-book"))
    r = subprocess.run([jb, "build", str(book)], capture_output=True, text=True, timeout=600, env=env)
    out = r.stdout + r.stderr
    good = (book / "_build" / "html" / "good.html").read_text(encoding="utf-8")
    numbers = re.findall(r"data-number='([^']+)'>\s*<p class='ek-figtitle'>\s*<strong><span class='ek-num'>[^<]+"
                         r"</span> – ([^<]+)<", good)
    assert numbers == [("Tableau 1", "Table t1"), ("Graphique 1", "Figure colle"), ("Graphique 2", "Figure f2")]
    assert good.count("Lecture : ") >= 3
    warned = [line for line in out.splitlines() if "numérotation des graphiques et tableaux différente" in line]
    assert warned and all("bad" in line and "good" not in line for line in warned), out[-3000:]
