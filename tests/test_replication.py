"""OUT/README.md, the replication package of a run (evalkit.replication)."""

from __future__ import annotations

import re

import pandas as pd

from evalkit import replication as rep

HTML = """<html><body>
<figure class='ek-figure' id='fig-msp_estimates' data-evalkit='evalkit.studies.msp.display.figure_estimates'
 data-number='Graphique 1'><p class='ek-figtitle'><strong><span class='ek-num'>Graphique 1</span> – Effet estimé</strong>
</p></figure>
<div class='ek-tablewrap' data-name='msp_profile' data-evalkit='evalkit.studies.msp.display.table_profile'
 data-number='Tableau 1'><p class='ek-figtitle'><strong><span class='ek-num'>Tableau 1</span> – Profil</strong></p></div>
</body></html>"""


def _inputs():
    return [rep.InputFile("msp", "msp.csv", "ab" * 32, 75_000, 5_000, "gp_id", 2005, 2019)]


def _manifest(kind="user"):
    return {"evalkit_version": "0.1.0", "python": "3.11.7", "dependencies": {"pandas": "2.3.3", "diff-diff": "3.13.0"},
            "data": kind, "data_dir": "/home/secret/extract", "seed": 42, "timings_seconds": {"total": 83.4},
            "finished_utc": "2026-12-02T08:00:00Z",
            "simulation": {"seed": 7, "scale": 1.0} if kind == "synthetic" else None}


def test_plots_record_the_function_that_built_each_exhibit():
    from evalkit import guide, plots

    t = plots.table(pd.DataFrame({"a": [1]}), title="t", champ="c", source="s", name="x")
    assert t.function == "evalkit.plots.table"  # called from outside evalkit (a notebook cell)
    assert "data-evalkit='evalkit.plots.table'" in t._repr_html_() and "data-name='x'" in t._repr_html_()
    assert guide.dictionary_table("msp").function == "evalkit.guide.dictionary_table"  # not its private helper


def test_toc_pages_in_reading_order(tmp_path):
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: index\nparts:\n  - caption: A\n    chapters:\n"
                                       "      - file: chapters/b\n      - file: chapters/a.md\n")
    assert rep.toc_pages(tmp_path / "_toc.yml") == ["index", "chapters/b", "chapters/a"]


def test_exhibits_read_from_the_built_pages(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "msp.html").write_text(HTML, encoding="utf-8")
    ex = rep.exhibits(tmp_path, pages=["chapters/msp"])
    assert [(e.kind, e.name, e.function) for e in ex] == [
        ("Graphique", "msp_estimates", "evalkit.studies.msp.display.figure_estimates"),
        ("Tableau", "msp_profile", "evalkit.studies.msp.display.table_profile")]
    assert [(e.number, e.title) for e in ex] == [("Graphique 1", "Effet estimé"), ("Tableau 1", "Profil")]


def test_readme_has_every_section_and_no_path(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "msp.html").write_text(HTML, encoding="utf-8")
    text = rep.readme(_manifest(), _inputs(), rep.with_data(rep.exhibits(tmp_path), _inputs()),
                      usage={"peak_rss_mb": 1234.0, "cpu_seconds": 95.2},
                      commands=rep.command(["--seed", "42"]), installed={"pandas": "2.3.3"}, pins={"pandas": "2.3.3"})
    positions = [text.index(s) for s in rep.SECTIONS]
    assert positions == sorted(positions)  # in the template's order
    assert "/home/secret" not in text and not re.search(r"(?<![<\w])/(home|tmp|work|root)/", text)
    assert "ab" * 32 in text and "75\u202f000" in text and "2005–2019" in text
    assert "synthétique" not in text.lower()  # user data: no synthetic vocabulary
    assert "Graine des analyses (tirages, appariements, simulation du chapitre de méthodes) : 42 " in text
    assert "83 s" in text and "95 s" in text and "1\u202f234 Mo" in text
    assert "evalkit.studies.msp.display.figure_estimates" in text
    assert "evalkit run --data DONNEES --out SORTIE --seed 42\n" in text
    assert ("| Graphique 1 | Effet estimé | chapters/msp | `evalkit.studies.msp.display.figure_estimates` "
            "| msp.csv |") in text  # the page's data: the study's input file
    assert "versions exactes" in text
    gap = rep.readme(_manifest(), _inputs(), [], commands=["evalkit run"], installed={"pandas": "2.3.4"},
                     pins={"pandas": "2.3.3"})
    assert "pandas (verrouillé 2.3.3, installé 2.3.4)" in gap and "versions exactes" not in gap


def test_synthetic_readme_says_what_the_data_are(tmp_path):
    man = _manifest("synthetic")
    text = rep.readme(man, _inputs(), [], commands=rep.command(["--seed", "42"], "synthetic", man["simulation"]))
    assert "Données synthétiques" in text and "ne constituent pas des résultats" in text
    assert "Graine et échelle des données synthétiques : 7, 1.0 " in text
    assert "evalkit simulate --out DONNEES --seed 7 --scale 1.0\nevalkit run --data DONNEES" in text
    assert "Aucun graphique ni tableau" in text


# --- the README of a run, checked against the run ------------------------------------------------------------------

def _section(text: str, i: int) -> str:
    start = text.index(rep.SECTIONS[i])
    end = text.index(rep.SECTIONS[i + 1]) if i + 1 < len(rep.SECTIONS) else len(text)
    return text[start:end]


def _md_rows(block: str) -> list[list[str]]:
    """The body rows of the first Markdown table of ``block``, cells unescaped."""
    lines = [ln for ln in block.splitlines() if ln.startswith("|")]
    return [[c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", ln)[1:-1]] for ln in lines[2:]]


def _commands(text: str) -> list[str]:
    block = _section(text, 3).split("```bash", 1)[1].split("```", 1)[0]
    return [ln.strip() for ln in block.splitlines() if ln.strip().startswith("evalkit ")]


def test_run_readme_is_true_for_the_run(run_out, user_data):
    """OUT/README.md of the shared real run: every section present and true (inputs, versions, command, seeds)."""
    import hashlib
    import json
    import platform
    from importlib import metadata

    from evalkit import cli, io
    from evalkit.contracts import STUDIES
    from e2e_run import RUN_ARGS

    text = (run_out / "README.md").read_text(encoding="utf-8")
    assert [text.index(s) for s in rep.SECTIONS] == sorted(text.index(s) for s in rep.SECTIONS)
    assert "README.md" in json.loads((run_out / cli.MANIFEST).read_text())["files"]  # evalkit's own: replaced next run
    run = json.loads((run_out / "results" / "run.json").read_text())

    # no local path: neither the data folder, nor the output, nor any absolute path of this machine
    assert str(user_data) not in text and str(run_out) not in text and str(user_data.parent) not in text
    assert not re.search(r"(?<![\w<.`-])/(home|tmp|work|root|usr|Users|var|opt)\b", text), \
        re.search(r".{40}/(home|tmp|work|root|usr|Users|var|opt)\b.{20}", text)
    assert "synthétique" not in text.lower()

    # inputs: file name, SHA-256 of the bytes, rows, distinct units and period of the loaded table
    rows = {r[0]: r for r in _md_rows(_section(text, 0))}
    files = {p.name: p for p in user_data.iterdir()}
    assert set(rows) == set(files)
    for name, path in files.items():
        study = path.name.split(".")[0]
        df = io.load(study, user_data)
        st = STUDIES[study]
        assert rows[name][1] == study
        assert rows[name][2] == f"{len(df):,}".replace(",", "\u202f")
        assert rows[name][3] == f"{df[st.unit].nunique():,}".replace(",", "\u202f") + f" ({st.unit})"
        assert rows[name][4] == f"{int(df[st.time].min())}–{int(df[st.time].max())}"
        assert rows[name][5] == f"`{hashlib.sha256(path.read_bytes()).hexdigest()}`"

    # computational requirements: the versions installed here, the measured duration of this run
    req = _section(text, 1)
    assert f"Python {platform.python_version()}" in req and f"evalkit {run['evalkit_version']}" in req
    listed = re.search(r"Paquets Python installés lors de cette exécution \(\d+\) : (.*)\.\n", req).group(1)
    pkgs = dict(p.rsplit(" ", 1) for p in listed.split(", "))
    assert {"pandas", "numpy", "jupyter-book", "diff-diff", "beautifulsoup4"} <= set(pkgs)
    for name, version in pkgs.items():
        assert metadata.version(name) == version, name
    for name, version in run["dependencies"].items():
        if version:
            assert f"{name} {version}" in req
    total = round(run["timings_seconds"]["total"])
    assert f"{total:,}".replace(",", "\u202f") + " s" in req
    peak = int(re.search(r"plus gros processus .*?(\d[\d\u202f]*) Mo", req).group(1).replace("\u202f", ""))
    assert 100 < peak < 64_000  # a book build with pandas kernels: at least 100 Mo, and bounded by the machine
    assert f"{__import__('os').cpu_count()} cœurs" in req

    # the one command: the options actually used, folders as placeholders; the evalkit parser accepts it
    cmds = _commands(text)
    assert len(cmds) == 1
    args = cmds[0].split()[1:]
    assert args[:5] == ["run", "--data", "DONNEES", "--out", "SORTIE"] and tuple(args[5:]) == RUN_ARGS
    parsed = cli.build_parser().parse_args(args)
    assert parsed.func is cli.cmd_run and parsed.seed == 7

    # seeds
    assert "Graine des analyses (tirages, appariements, simulation du chapitre de méthodes) : 7 " in _section(text, 5)


def test_run_readme_lists_every_exhibit_of_the_book(run_out):
    """Every figure and table of every page of the built book, in the book's order, with the evalkit function that
    built it (an importable function) and the data behind it; nothing drawn outside evalkit.plots escapes the list."""
    import importlib

    from bs4 import BeautifulSoup

    from evalkit import paths

    text = (run_out / "README.md").read_text(encoding="utf-8")
    listed = _md_rows(_section(text, 4))
    html = run_out / "html"
    pages = rep.toc_pages(paths.project_root() / "_toc.yml")
    expected = []
    for page in pages:
        f = html / f"{page}.html"
        if not f.exists():
            continue
        soup = BeautifulSoup(f.read_text(encoding="utf-8"), "html.parser")
        main = soup.select_one("main") or soup
        nodes = main.select("figure.ek-figure, div.ek-tablewrap")
        # every image and data table of the page's content is inside an evalkit exhibit
        for img in main.select("img[src^='data:image']"):
            assert img.find_parent(["figure"], class_="ek-figure") is not None, (page, img.get("alt", "")[:80])
        for tab in main.select("table.dataframe"):
            assert tab.find_parent("div", class_="ek-tablewrap") is not None, page
        counts = {}
        for n in nodes:
            title = " ".join(n.select_one(".ek-figtitle").get_text(" ").split())
            if n.get("data-message"):  # a message (« estimation impossible »), not numbered
                expected.append(("—", page, title))
                continue
            kind = "Graphique" if n.name == "figure" else "Tableau"
            counts[kind] = counts.get(kind, 0) + 1
            number = f"{kind} {counts[kind]}"  # per page, in the page's order
            assert n.get("data-number") == number and title.startswith(f"{number} – "), (page, title)
            expected.append((number, page, title[len(number) + 3:]))
    assert len(expected) > 40  # the book has dozens of exhibits
    assert [(r[0], r[2], r[1]) for r in listed] == expected
    n_fig = sum(r[0].startswith("Graphique") for r in listed)
    assert f"{n_fig} graphiques et {len(listed) - n_fig} tableaux" in _section(text, 4)
    for num, _title, page, function, data, sheet in listed:
        mod, _, qual = function.strip("`").rpartition(".")
        while mod and mod not in __import__("sys").modules:
            try:
                importlib.import_module(mod)
                break
            except ImportError:
                mod, _, cls = mod.rpartition(".")
                qual = f"{cls}.{qual}"
        obj = importlib.import_module(mod)
        for part in qual.split("."):
            obj = getattr(obj, part)
        assert callable(obj), function
        if page == "chapters/msp":
            assert data == "msp.csv"
            # the study's package, or the module the three study chapters share (the estimator agreement figure)
            assert function.startswith(("`evalkit.studies.msp.", "`evalkit.studies.agreement.")), function
        if sheet != "—":
            assert sheet.endswith(".csv`")
        if num.startswith("Graphique") and page in {f"chapters/{s}" for s in ("msp", "asalee", "assistants")}:
            assert sheet != "—", (num, _title)  # a study chapter's figures come with their values (CSV)
