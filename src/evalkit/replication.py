"""The replication package of a run: ``OUT/README.md``, in French, after the Social Science Data Editors' template.

The template (« Template README for social science replication packages », endorsed by the AEA data editor) asks for:
data availability and provenance, computational requirements, a description of the code, instructions to replicate,
and the list of tables and figures with the program that produces each. :func:`readme` writes those sections for one
``evalkit run`` from what the run measured and wrote — never a local path (inputs are named by file name and
identified by their SHA-256).
"""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd

from .fr import fmt_int, fmt_num

SECTIONS = (
    "## Disponibilité et provenance des données",
    "## Configuration nécessaire",
    "## Description du code",
    "## Instructions pour reproduire",
    "## Liste des tableaux et graphiques",
    "## Graines aléatoires",
)


@dataclass(frozen=True)
class InputFile:
    """One input table of a run, as the README describes it."""

    study: str
    file: str  # file name only, never a path
    sha256: str
    rows: int
    units: int | None
    unit: str
    first_year: int | None
    last_year: int | None


@dataclass(frozen=True)
class Exhibit:
    """A figure or table of the built book."""

    chapter: str  # page (e.g. ``chapters/msp``)
    kind: str  # "Graphique" | "Tableau"
    name: str  # the exhibit's identifier (figure name, table name)
    title: str
    function: str  # evalkit function that produced it ("" if unknown)
    spreadsheet: str = ""  # the file name of the exhibit's CSV download on the page ("" if none)
    data: str = ""  # the data behind it (input file, open data, recorded results), filled by :func:`with_data`
    number: str = ""  # « Graphique 2 », as printed on the page (numbered by the book's extension ``_ext/exhibits``)


def input_stats(df: pd.DataFrame, unit: str, time: str) -> dict:
    """Distinct units and first/last period of a loaded input table (what the README says besides rows)."""
    years = pd.to_numeric(df[time], errors="coerce").dropna()
    return {"units": int(df[unit].nunique()), "unit": unit,
            "first_year": int(years.min()) if len(years) else None,
            "last_year": int(years.max()) if len(years) else None}


def toc_pages(toc: Path | str) -> list[str]:
    """The pages of a jupyter-book ``_toc.yml`` in reading order (root first), as docnames without extension."""
    pages = []
    for line in Path(toc).read_text(encoding="utf-8").splitlines():
        m = re.match(r"\s*(?:root:|-\s*file:)\s*(\S+)", line)
        if m:
            pages.append(re.sub(r"\.(ipynb|md)$", "", m.group(1)))
    return pages


def exhibits(html_dir: Path | str, pages: Iterable[str] | None = None) -> list[Exhibit]:
    """Every figure (``figure.ek-figure``) and table (``div.ek-tablewrap``) of the built HTML book, page by page
    (``pages`` in the book's order; default every page, sorted).

    The producing function comes from the ``data-evalkit`` attribute :mod:`evalkit.plots` writes on each exhibit,
    the spreadsheet from the CSV download link of the table (or of the figure's values), the number (« Graphique 2 »,
    per page, as in the chapter's workbook) from the ``data-number`` attribute the book's extension writes; the title
    is given without it.
    """
    from bs4 import BeautifulSoup

    html_dir = Path(html_dir)
    files = [html_dir / f"{p}.html" for p in pages] if pages is not None else sorted(html_dir.rglob("*.html"))
    out: list[Exhibit] = []
    for f in files:
        if not f.exists() or f.name in ("search.html", "genindex.html"):
            continue
        page = f.relative_to(html_dir).with_suffix("").as_posix()
        soup = BeautifulSoup(f.read_text(encoding="utf-8"), "html.parser")
        for node in soup.select("figure.ek-figure, div.ek-tablewrap"):
            kind = "Graphique" if node.name == "figure" else "Tableau"
            t = node.select_one(".ek-figtitle")
            number = node.get("data-number", "")
            title = " ".join(t.get_text(" ").split()) if t else ""
            if number and title.startswith(number):
                title = title[len(number):].lstrip(" –-")
            name = node.get("data-name") or re.sub(r"^fig-", "", node.get("id") or "")
            link = node.select_one("a[download$='.csv']")
            out.append(Exhibit(page, kind, name, title, node.get("data-evalkit", ""),
                               link.get("download", "") if link else "", number=number))
    return out


def page_data(page: str, inputs: Iterable[InputFile], seed=None) -> str:
    """What data a page's exhibits are computed from, in French: the study's input file, the open data, the
    reference data and simulation of the methods chapter, or the results the chapters recorded."""
    from . import registry

    study = next((s for s, chapter in registry.chapters().items() if chapter == page), None)
    if study is not None:
        return next((f.file for f in inputs if f.study == study), f"{study} (fichier absent)")
    if page == "chapters/contexte":
        from .context import GEOJSON_FILE, TABLES

        return "données ouvertes livrées avec le livre (data/public) : " + ", ".join(
            [t.file for t in TABLES.values()] + [GEOJSON_FILE])
    if page == "chapters/methodes":
        return (f"panel simulé dans le chapitre (graine {seed}) ; mpdta.csv (data/reference) ; "
                "benchmarks/README.md (couverture)")
    if page in registry.SUMMARY_PAGES:
        return "résultats enregistrés par les chapitres d'études (results/estimates.csv)"
    return "aucune (tableaux tirés du code d'evalkit)"


def with_data(exhibit_list: Iterable[Exhibit], inputs: Iterable[InputFile], seed=None) -> list[Exhibit]:
    """The exhibits with :attr:`Exhibit.data` filled by :func:`page_data`."""
    inputs = list(inputs)
    return [replace(e, data=page_data(e.chapter, inputs, seed)) for e in exhibit_list]


def machine() -> dict:
    """What the run ran on: OS, processor, cores, memory (no host name, no user name)."""
    cpu = _proc_value("/proc/cpuinfo", "model name")
    mem = _proc_value("/proc/meminfo", "MemTotal")  # « 16318712 kB »
    return {"os": f"{platform.system()} {platform.release()}",
            "cpu": (platform.processor() or platform.machine()) if cpu is None else cpu, "cores": os.cpu_count(),
            "memory_gb": None if mem is None else int(mem.split()[0]) / 1024**2, "python": platform.python_version()}


def _proc_value(path: str, key: str) -> str | None:
    """What follows « key: » on the first such line of a Linux /proc file (None without the file or the line)."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return None
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith(key)), None)


def resources() -> dict:
    """CPU time and peak memory used so far by this process and its finished children (the book build and, through
    it, the notebook kernels): ``cpu_seconds`` (user + system) and ``peak_rss_mb`` (the largest resident set of any
    one of them; Linux counts ``ru_maxrss`` in KiB, macOS in bytes). ``None`` where ``resource`` is missing."""
    try:
        import resource
    except ImportError:  # Windows
        return {"cpu_seconds": None, "peak_rss_mb": None}
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    div = 1024**2 if platform.system() == "Darwin" else 1024
    return {"cpu_seconds": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
            "peak_rss_mb": max(me.ru_maxrss, kids.ru_maxrss) / div}


def packages() -> dict[str, str]:
    """{distribution name: version} of every Python package installed in the environment that ran evalkit."""
    from importlib import metadata

    out = {}
    for d in metadata.distributions():
        name = d.metadata.get("Name")
        if name:
            out.setdefault(_norm(name), d.version)
    return dict(sorted(out.items()))


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned(requirements: Path | str) -> dict[str, str]:
    """{name: version} of the ``name==version`` lines of a lock file (``requirements.txt``)."""
    out = {}
    for line in Path(requirements).read_text(encoding="utf-8").splitlines():
        m = re.match(r"\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)", line)
        if m:
            out[_norm(m.group(1))] = m.group(2)
    return out


def command(options: Iterable[str], kind: str = "user", simulation: Mapping | None = None) -> list[str]:
    """The command lines that reproduce the run, folders named ``DONNEES`` and ``SORTIE`` (never a local path):
    for synthetic data, the ``evalkit simulate`` line(s) that regenerate them first."""
    lines = []
    if kind == "synthetic" and simulation:
        groups: dict[tuple, list[str]] = {}
        for study, meta in (simulation.get("files") or {}).items():
            groups.setdefault((meta.get("seed"), meta.get("scale")), []).append(study)
        if not groups:
            groups = {(simulation.get("seed"), simulation.get("scale")): []}
        from . import registry

        for (seed, scale), studies in groups.items():
            sub = "" if len(groups) == 1 else " --studies " + ",".join(s for s in registry.names() if s in studies)
            lines.append(f"evalkit simulate --out DONNEES --seed {seed} --scale {scale}{sub}")
    lines.append(" ".join(["evalkit run --data DONNEES --out SORTIE", *options]))
    return lines


def _table(rows: list[list[str]], header: list[str]) -> str:
    esc = [[str(c).replace("|", "\\|") for c in r] for r in rows]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in esc]
    return "\n".join(lines)


def _seconds(x) -> str:
    if x is None:
        return "n.d."
    m, s = divmod(int(round(x)), 60)
    return f"{fmt_int(round(x))} s" + (f" ({m} min {s:02d} s)" if m else "")


def readme(manifest: Mapping, inputs: list[InputFile], exhibit_list: list[Exhibit], *, usage: Mapping | None = None,
           commands: list[str], installed: Mapping[str, str] | None = None, pins: Mapping[str, str] | None = None,
           machine_info: Mapping | None = None) -> str:
    """The French README of a run (Markdown).

    ``manifest``: the run's ``run.json`` content; ``usage``: :func:`resources` at the end of the run; ``commands``:
    :func:`command`'s lines (folders as placeholders, never a path); ``installed``: :func:`packages`; ``pins``:
    :func:`pinned` of the repository's lock file (None when it is not there); ``machine_info``: :func:`machine`.
    """
    m = dict(machine_info or manifest.get("machine") or machine())
    t = dict(manifest.get("timings_seconds", {}))
    usage = usage or {}
    deps = manifest.get("dependencies", {})
    seed = manifest.get("seed")
    user = manifest.get("data") == "user"
    installed = dict(installed or {})
    total = t.pop("total", None)
    chapters = ", ".join(f"{k} {fmt_num(v, 0)} s" for k, v in t.items())
    if pins:
        gaps = [f"{k} (verrouillé {v}, installé {installed.get(k, 'absent')})" for k, v in pins.items()
                if installed.get(k) != v]
        lock = (f"Les {fmt_int(len(pins))} paquets verrouillés dans `requirements.txt` (le fichier du dépôt que "
                "`make venv` installe) étaient installés dans ces versions exactes." if not gaps else
                f"Écarts avec `requirements.txt` (le fichier du dépôt que `make venv` installe) : {' ; '.join(gaps)}.")
    else:
        lock = "Fichier `requirements.txt` du dépôt absent de cette installation : versions relevées ci-dessous."
    n_fig = sum(e.kind == "Graphique" for e in exhibit_list)
    n_tab = len(exhibit_list) - n_fig
    sim = manifest.get("simulation") or {}
    parts = [
        "# Dossier de réplication — « Évaluer l'exercice coordonné »",
        "",
        f"Produit par `evalkit {manifest.get('evalkit_version')}` (commande `evalkit run`) le "
        f"{manifest.get('finished_utc', '')} (UTC). Ce dossier suit le modèle de README des éditeurs de données en "
        "sciences sociales (Social Science Data Editors, modèle recommandé par l'éditeur des données de l'AEA) : "
        "provenance des données, configuration, description du code, instructions, liste des tableaux et "
        "graphiques, graines.",
        "",
        SECTIONS[0],
        "",
        ("Données fournies par l'utilisateur : extraits confidentiels, non diffusés avec ce dossier. Pour les "
         "obtenir, s'adresser au producteur (accès au SNDS : Health Data Hub, CASD ou portail de la Cnam). Chaque "
         "fichier est identifié par son empreinte SHA-256 : une réplication vérifie qu'elle part des mêmes octets."
         if user else
         "Données synthétiques générées par `evalkit simulate`, calibrées sur des résultats publiés : elles "
         "démontrent que la méthode retrouve un effet connu et ne constituent pas des résultats. Elles se "
         "régénèrent à l'identique avec la même graine (voir « Instructions pour reproduire » et « Graines "
         "aléatoires »)."),
        "",
        _table([[f.file, f.study, fmt_int(f.rows),
                 f"{fmt_int(f.units)} ({f.unit})" if f.units is not None else "n.d.",
                 f"{f.first_year}–{f.last_year}" if f.first_year is not None else "n.d.", f"`{f.sha256}`"]
                for f in inputs],
               ["Fichier", "Étude", "Lignes", "Unités distinctes", "Période", "SHA-256"]),
        "",
        "Les données ouvertes du chapitre de contexte (Etalab, Drees, Insee) et les données de référence du "
        "chapitre de méthodes (mpdta) sont livrées avec le livre, avec leur provenance (`data/public/README.md`, "
        "`data/reference/README.md`).",
        "",
        SECTIONS[1],
        "",
        f"- Logiciels : Python {m.get('python') or manifest.get('python')}, evalkit "
        f"{manifest.get('evalkit_version')} ; principales bibliothèques : "
        + ", ".join(f"{k} {v}" for k, v in deps.items() if v) + ".",
        f"- {lock}",
        f"- Machine de cette exécution : {m.get('os')}, processeur {m.get('cpu')}, {m.get('cores')} cœurs, "
        + (f"{fmt_num(m['memory_gb'], 1)} Go de mémoire." if m.get("memory_gb") else "mémoire non mesurée."),
        f"- Durée mesurée de cette exécution (validation, chapitres, construction du livre) : {_seconds(total)}"
        + (f" ; par chapitre : {chapters}" if chapters else "") + ".",
        "- Ressources mesurées de cette exécution : temps de calcul (processeur, tous processus) "
        f"{_seconds(usage.get('cpu_seconds'))} ; mémoire résidente maximale du plus gros processus (evalkit, "
        "construction du livre ou noyau d'un chapitre) "
        + (f"{fmt_int(round(usage['peak_rss_mb']))} Mo" if usage.get("peak_rss_mb") else "non mesurée") + ".",
        "",
        f"Paquets Python installés lors de cette exécution ({fmt_int(len(installed))}) : "
        + ", ".join(f"{k} {v}" for k, v in installed.items()) + "." if installed else
        "Paquets Python installés : non relevés.",
        "",
        SECTIONS[2],
        "",
        "Les chapitres du livre (carnets Jupyter, dossier `chapters/`) chargent les données, appellent la "
        "bibliothèque `evalkit` (dossier `src/evalkit/` : contrats de données, estimateurs, études) et affichent "
        "les résultats. Toutes les estimations sont dans `results/estimates.csv` (dictionnaire des colonnes : "
        "« Guide de l'évaluateur » du livre, `html/chapters/guide.html#le-fichier-estimates-csv`), et dans "
        "`results/estimations_fr.csv`, les mêmes lignes au format français (séparateur « ; », virgule décimale, "
        "libellés en français) ; `results/donnees/` contient, par chapitre d'étude, les données de ses graphiques et "
        "tableaux (classeur Excel) ; `html/note-de-synthese.pdf` résume les réponses en quatre pages au plus ; "
        "`results/run.json` décrit l'exécution ; `results/build.log` est le journal de construction du livre.",
        "",
        SECTIONS[3],
        "",
        "Depuis une copie du dépôt du livre à la version d'evalkit ci-dessus, avec Python 3.11 :",
        "",
        "```bash",
        "make venv    # installe requirements.txt ; sans réseau : make venv WHEELHOUSE=<dossier des roues>",
        "source .venv/bin/activate",
        *commands,
        "```",
        "",
        ("`DONNEES` : le dossier qui contient " + ", ".join(f.file for f in inputs) + (
            " (les fichiers décrits ci-dessus, mêmes empreintes)" if user else
            " (régénérés par la première commande ; leurs empreintes doivent être celles ci-dessus)")
         + " ; `SORTIE` : un dossier nouveau ou une sortie précédente d'evalkit. La commande valide les fichiers, "
         "exécute tous les chapitres, reconstruit le livre dans `SORTIE/html/` et écrit `SORTIE/results/` et ce "
         "fichier. Avec les mêmes fichiers, la même graine et les mêmes versions, elle recalcule les mêmes "
         "estimations."),
        "",
        SECTIONS[4],
        "",
        f"{fmt_int(n_fig)} graphique{'s' if n_fig > 1 else ''} et {fmt_int(n_tab)} tableau{'x' if n_tab > 1 else ''}, "
        "dans l'ordre du livre ; « N° » : leur numéro, page par page, tel qu'il est imprimé sur la page et nomme la "
        "feuille du classeur « Données associées » du chapitre. « Fonction evalkit » : la fonction qui construit l'objet ; « Données » : les "
        "données dont il est tiré ; « Tableur » : le fichier CSV téléchargeable sous le graphique (ses valeurs) ou "
        "le tableau, dans la page (`SORTIE/html/<page>.html`)." if exhibit_list else "Aucun graphique ni tableau dans ce livre.",
        "",
        _table([[e.number or "—", e.title or e.name, e.chapter, f"`{e.function}`" if e.function else "—",
                 e.data or "—", f"`{e.spreadsheet}`" if e.spreadsheet else "—"] for e in exhibit_list],
               ["N°", "Titre", "Page", "Fonction evalkit", "Données", "Tableur"]) if exhibit_list else "",
        "",
        SECTIONS[5],
        "",
        f"Graine des analyses (tirages, appariements, simulation du chapitre de méthodes) : {seed} "
        "(option `--seed`)."
        + ("" if user or not sim else
           f" Graine et échelle des données synthétiques : {sim.get('seed')}, {sim.get('scale')} "
           "(options `--seed` et `--scale` d'`evalkit simulate`)."),
        "",
    ]
    return "\n".join(parts)
