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
from dataclasses import dataclass
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
    units: int
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


def describe_input(study: str, path: Path, df: pd.DataFrame, unit: str, time: str, sha256: str) -> InputFile:
    """An :class:`InputFile` from the loaded table (rows, distinct units, first and last year)."""
    years = pd.to_numeric(df[time], errors="coerce").dropna()
    return InputFile(study, Path(path).name, sha256, int(len(df)), int(df[unit].nunique()), unit,
                     int(years.min()) if len(years) else None, int(years.max()) if len(years) else None)


def exhibits(html_dir: Path | str, pages: Iterable[str] | None = None) -> list[Exhibit]:
    """Every figure (``figure.ek-figure``) and table (``div.ek-tablewrap``) of the built HTML book, page by page.

    The producing function comes from the ``data-evalkit`` attribute :mod:`evalkit.plots` writes on each exhibit.
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
            title = " ".join(t.get_text(" ").split()) if t else ""
            name = node.get("data-name") or re.sub(r"^fig-", "", node.get("id") or "")
            out.append(Exhibit(page, kind, name, title, node.get("data-evalkit", "")))
    return out


def machine() -> dict:
    """What the run ran on: OS, processor, cores, memory (no host name, no user name)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) / 1024**2
                break
    except OSError:
        pass
    return {"os": f"{platform.system()} {platform.release()}", "cpu": cpu, "cores": os.cpu_count(),
            "memory_gb": mem, "python": platform.python_version()}


def _table(rows: list[list[str]], header: list[str]) -> str:
    esc = [[str(c).replace("|", "\\|") for c in r] for r in rows]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in esc]
    return "\n".join(lines)


def readme(manifest: Mapping, inputs: list[InputFile], exhibit_list: list[Exhibit], *,
           peak_rss_mb: float | None, command: str) -> str:
    """The French README of a run (Markdown). ``manifest``: the run's ``run.json`` content; ``command``: the command
    line that reproduces the run, with placeholders for folders (never a path)."""
    kind = manifest.get("data")
    m = manifest.get("machine") or machine()
    t = manifest.get("timings_seconds", {})
    deps = manifest.get("dependencies", {})
    seed = manifest.get("seed")
    user = kind == "user"
    parts = [
        "# Dossier de réplication — « Évaluer l'exercice coordonné »",
        "",
        f"Produit par `evalkit {manifest.get('evalkit_version')}` le {manifest.get('finished_utc', '')} (UTC). "
        "Ce dossier suit le modèle de README des éditeurs de données en sciences sociales (Social Science Data "
        "Editors, modèle recommandé par l'éditeur des données de l'AEA) : provenance des données, configuration, "
        "instructions, liste des résultats.",
        "",
        SECTIONS[0],
        "",
        ("Données fournies par l'utilisateur : extraits confidentiels, non diffusés avec ce dossier. Pour les "
         "obtenir, s'adresser au producteur (accès au SNDS : Health Data Hub, CASD ou portail de la Cnam). Chaque "
         "fichier est identifié par son empreinte SHA-256 : une réplication vérifie qu'elle part des mêmes octets."
         if user else
         "Données synthétiques générées par `evalkit simulate`, calibrées sur des résultats publiés : elles "
         "démontrent que la méthode retrouve un effet connu et ne constituent pas des résultats. Elles se "
         "régénèrent à l'identique avec la même graine (voir « Graines aléatoires »)."),
        "",
        _table([[f.file, f.study, fmt_int(f.rows), f"{fmt_int(f.units)} ({f.unit})",
                 f"{f.first_year}–{f.last_year}" if f.first_year is not None else "n.d.", f"`{f.sha256}`"]
                for f in inputs],
               ["Fichier", "Étude", "Lignes", "Unités", "Période", "SHA-256"]),
        "",
        "Les données ouvertes du chapitre de contexte (Etalab) sont livrées avec le livre, avec leur provenance "
        "(`data/public/README.md`).",
        "",
        SECTIONS[1],
        "",
        f"- Logiciels : Python {m.get('python') or manifest.get('python')}, evalkit "
        f"{manifest.get('evalkit_version')} ; "
        + ", ".join(f"{k} {v}" for k, v in deps.items() if v) + ". Versions exactes de toutes les dépendances : "
        "`requirements.txt` du dépôt (installation hors ligne : `make wheelhouse`).",
        f"- Machine de cette exécution : {m.get('os')}, processeur {m.get('cpu')}, {m.get('cores')} cœurs, "
        + (f"{fmt_num(m['memory_gb'], 1)} Go de mémoire." if m.get("memory_gb") else "mémoire non mesurée."),
        f"- Durée mesurée de cette exécution : {fmt_num(t.get('total', float('nan')), 0)} s"
        + (f" ; mémoire maximale du plus gros processus : {fmt_int(peak_rss_mb)} Mo" if peak_rss_mb else "")
        + ".",
        "",
        SECTIONS[2],
        "",
        "Les chapitres du livre (carnets Jupyter, dossier `chapters/`) chargent les données, appellent la "
        "bibliothèque `evalkit` (dossier `src/evalkit/` : contrats de données, estimateurs, études) et affichent "
        "les résultats. Toutes les estimations sont dans `results/estimates.csv` (dictionnaire des colonnes : "
        "« Guide de l'évaluateur » du livre) ; `results/run.json` décrit l'exécution.",
        "",
        SECTIONS[3],
        "",
        "Depuis une copie du dépôt du livre, avec Python 3.11 :",
        "",
        "```bash",
        "make venv                      # ou : make venv WHEELHOUSE=<dossier des roues>, sans réseau",
        command,
        "```",
        "",
        "La commande valide les fichiers, exécute tous les chapitres et reconstruit le livre dans "
        "`<DOSSIER_SORTIE>/html/` ; elle reproduit `results/estimates.csv` à l'identique sur les mêmes données, "
        "avec la même graine et les mêmes versions.",
        "",
        SECTIONS[4],
        "",
        _table([[e.kind, e.title or e.name, e.chapter, f"`{e.function}`" if e.function else "—",
                 e.name or "—"] for e in exhibit_list],
               ["Type", "Titre", "Page", "Fonction evalkit", "Identifiant"]) if exhibit_list else
        "Aucun graphique ni tableau dans ce livre.",
        "",
        "Les données de chaque graphique et tableau se téléchargent sous l'objet dans le livre (CSV, PNG).",
        "",
        SECTIONS[5],
        "",
        f"Graine des analyses (tirages, appariements) : {seed}."
        + ("" if user or not manifest.get("simulation") else
           f" Graine et échelle des données synthétiques : {manifest['simulation'].get('seed')}, "
           f"{manifest['simulation'].get('scale')}."),
        "",
    ]
    return "\n".join(parts)
