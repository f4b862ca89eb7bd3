"""The « note de synthèse » (issue 15, item 5): at most four A4 pages — the three answers, the key figures, the
limits, how to rerun — written after the book is built (never while a notebook runs) from the rows the chapters
recorded, as HTML with a print stylesheet, then printed to PDF by headless Chromium.

``evalkit synthese --html DIR`` (run by ``make book`` / ``make strict-build`` after the build, and by ``evalkit run``
on its own output) writes ``DIR/note-de-synthese.html`` and ``DIR/note-de-synthese.pdf``; the home page links the
PDF. Without Chromium, only the HTML is written and the home page's link is pointed at it.
"""

from __future__ import annotations

import datetime
import html
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd

NAME = "note-de-synthese"
PDF = f"{NAME}.pdf"
MAX_PAGES = 4

_CSS = """
@page { size: A4; margin: 16mm 17mm 16mm 17mm; }
html { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 9.6pt; line-height: 1.38; color: #111; }
body { margin: 0; }
h1 { font-size: 15pt; margin: 0 0 2mm 0; color: #0b3c6d; }
h2 { font-size: 11.5pt; margin: 5mm 0 1.5mm 0; color: #0b3c6d; break-after: avoid; border-bottom: 0.4pt solid #0b3c6d; }
h3 { font-size: 10pt; margin: 3mm 0 1mm 0; break-after: avoid; }
p, li { margin: 0 0 1.6mm 0; }
.meta { color: #444; font-size: 8.6pt; }
.warning { border: 0.8pt solid #b35c00; background: #fff4e5; padding: 2mm 3mm; margin: 3mm 0; }
table { border-collapse: collapse; width: 100%; font-size: 8.6pt; break-inside: avoid; }
th, td { border-bottom: 0.4pt solid #bbb; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; }
.source { font-size: 8pt; color: #444; margin-top: 1mm; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 8.4pt; }
"""

#: unit code of the results table → (decimals, unit as printed); other units: 1 decimal, the code
_UNITS = {"patients": (0, "patients"), "euros": (0, "€"), "eur_per_patient": (0, "€ par patient"),
          "eur_per_patient_year": (0, "€ par patient et par an"), "acts": (1, "actes"), "pp": (1, "points"),
          "percent": (1, "%"), "ratio": (2, ""), "log_points": (3, "points de log"), "count": (0, "")}


def key_figures(rows: pd.DataFrame) -> pd.DataFrame:
    """The headline rows (one per study, outcome and unit) in French: study, indicator, estimate with its 95 % CI
    and unit, number of units (counts below 11 never printed)."""
    from . import registry
    from .disclosure import count_fr
    from .donnees import _outcome_fr
    from .fr import fmt_num

    h = rows[rows["headline"].astype(bool)] if len(rows) else rows
    order = {s: i for i, s in enumerate(registry.names())}
    h = h.assign(_o=h["study"].map(lambda s: order.get(s, 99))).sort_values(["_o", "outcome", "unit"], kind="stable")
    out = []
    for r in h.itertuples():
        d, u = _UNITS.get(r.unit, (1, r.unit))
        u = f"\u202f{u}" if u in ("%", "€") else (f" {u}" if u else "")
        if pd.notna(r.estimate):
            est = fmt_num(r.estimate, d, sign=True) + u
            ci = f"[{fmt_num(r.ci_low, d)} ; {fmt_num(r.ci_high, d)}]" if pd.notna(r.ci_low) else ""
        else:
            est, ci = "masqué (moins de 11 unités)", ""
        n = count_fr(r.n_units) if pd.notna(r.n_units) else ""
        title = registry.get(r.study).label if r.study in registry.names() else r.study
        out.append({"Étude": title, "Indicateur": _outcome_fr(r.outcome), "Estimation": est,
                    "IC à 95 %": ci, "Effectif": n})
    return pd.DataFrame(out, columns=["Étude", "Indicateur", "Estimation", "IC à 95 %", "Effectif"])


def _table(df: pd.DataFrame) -> str:
    e = html.escape
    head = "".join(f"<th>{e(c)}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(
        f"<td class='num'>{e(str(v))}</td>" if c in ("Estimation", "IC à 95 %", "Effectif") else f"<td>{e(str(v))}</td>"
        for c, v in zip(df.columns, r)) + "</tr>" for r in df.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def note_html(answers=None, rows: pd.DataFrame | None = None, kind: str | None = None, known=None) -> str:
    """The note as one HTML document (print stylesheet included). Defaults: :func:`evalkit.summary.answers`, every
    recorded row (:func:`evalkit.summary.results_table`), the data kind of this build, and the published results
    (:func:`evalkit.summary.known`)."""
    from . import __version__, paths, summary
    from .plots import date_fr

    e = html.escape
    kind = kind or paths.data_kind()
    answers = summary.answers() if answers is None else answers
    rows = summary.results_table() if rows is None else rows
    if known is None:
        try:
            known = summary.known()
        except Exception:  # noqa: BLE001 - the published results are a complement; the note stands without them
            known = None
    demo = kind != "user"
    parts = ["<h1>Évaluer l'exercice coordonné — note de synthèse</h1>",
             f"<p class='meta'>MSP, Asalée, assistants médicaux : ce que change chaque réforme, mesuré par "
             f"comparaison à des médecins comparables. Note produite le {e(date_fr())} par evalkit {e(__version__)} à "
             f"partir des résultats du livre.</p>"]
    if demo:
        parts.append("<div class='warning'><strong>Démonstration de méthode.</strong> Les chiffres calculés de cette "
                     "note proviennent de données synthétiques, générées pour reproduire des résultats publiés : "
                     "ils montrent que la méthode retrouve un effet connu, ils ne mesurent pas l'effet des "
                     "réformes. Seuls les résultats publiés cités, avec leur source, sont des constats.</div>")
    else:
        parts.append("<p class='meta'>Données fournies par l'utilisateur ; calculs evalkit.</p>")
    if known:
        parts.append("<h2>Ce que disent les évaluations publiées</h2>")
        parts += [f"<h3>{getattr(k, 'title_fr', '')}</h3><p>{getattr(k, 'text_fr', '')}"
                  + (f" <span class='source'>Source : {getattr(k, 'source', '')}.</span>"
                     if getattr(k, "source", "") else "") + "</p>" for k in known]
    parts.append("<h2>" + ("Ce que montre la démonstration, réforme par réforme" if demo else
                           "Les trois réponses") + "</h2>")
    parts += [f"<h3>{a.title_fr}</h3><p>{a.text_fr}</p>" for a in answers or ()]
    if not answers:
        parts.append("<p>Aucun chapitre d'étude n'a enregistré de résultat pour cette construction.</p>")
    kf = key_figures(rows)
    parts.append("<h2>Chiffres clés</h2>")
    by_study = {s: g for s, g in rows.groupby("study")} if len(rows) else {}
    parts += [x.html() for x in summary.key_lines(by_study, kind)]  # the claims in circulation, as on the home page
    if len(kf):
        parts.append("<p>Estimations retenues par les chapitres (effet moyen sur les médecins engagés, estimateur "
                     "de Callaway et Sant'Anna sauf mention contraire dans le chapitre), avec leur intervalle de "
                     "confiance à 95 % ; effectif : nombre d'unités (médecins ou patients) de l'estimation.</p>" + _table(kf))
        parts.append("<p class='source'>Source : " + ("données synthétiques générées par evalkit" if demo else
                                                       "données fournies par l'utilisateur")
                     + " ; calculs evalkit (fichier des résultats <code>estimates.csv</code>, une ligne par "
                       "estimation, et sa version au format français <code>estimations_fr.csv</code>).</p>")
    parts.append("<h2>Limites</h2><ul>"
                 "<li>Chaque effet repose sur l'hypothèse de tendances parallèles : sans la réforme, les médecins "
                 "engagés auraient évolué comme les médecins comparés. Les années qui précèdent l'entrée permettent "
                 "de la discuter, pas de la prouver ; les chapitres mesurent la sensibilité des conclusions à un écart "
                 "à cette hypothèse (méthode de Rambachan et Roth).</li>"
                 "<li>Les intervalles de confiance ne traduisent que l'incertitude d'échantillonnage, pas celle des "
                 "effectifs nationaux ni de la transposition à d'autres années.</li>"
                 "<li>Un patient gagné par un médecin peut venir d'un autre médecin : l'effet mesuré est un effet sur "
                 "les médecins engagés, pas un gain net d'accès aux soins.</li>"
                 "<li>Les cases de moins de 11 unités sont masquées, ainsi que celles qui permettraient de les "
                 "retrouver par différence.</li>"
                 + ("<li>Sur ces données synthétiques, l'écart entre une estimation et l'effet introduit par le "
                    "générateur mesure la qualité de la méthode, pas la réalité des réformes.</li>" if demo else "")
                 + "</ul>")
    parts.append("<h2>Refaire les calculs</h2>"
                 "<p>Sur une extraction au format des contrats de données décrits dans le guide de l'évaluateur "
                 "(un fichier par étude), deux commandes :</p>"
                 "<p><code>evalkit validate --data DONNEES</code><br><code>evalkit run --data DONNEES --out "
                 "SORTIE</code></p>"
                 "<p>La seconde valide les fichiers, exécute les chapitres, reconstruit le livre dans "
                 "<code>SORTIE/html/</code> et écrit <code>SORTIE/results/</code> : <code>estimates.csv</code>, "
                 "<code>estimations_fr.csv</code>, les données des graphiques et tableaux de chaque chapitre "
                 "(<code>donnees/</code>), <code>run.json</code> (versions, empreintes des fichiers, graine), et "
                 "cette note. Avec les mêmes fichiers, la même graine et les mêmes versions, elle recalcule les "
                 "mêmes estimations.</p>")
    return ('<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Note de synthèse — Évaluer '
            f"l'exercice coordonné</title><style>{_CSS}</style></head><body>{''.join(parts)}</body></html>")


def chromium() -> str | None:
    """The headless Chromium executable (Debian's ``chromium``, or ``chromium-browser`` / ``google-chrome``)."""
    names = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
    return next((exe for exe in map(shutil.which, names) if exe), None)


def print_pdf(html_file: Path, pdf_file: Path, timeout: int = 120) -> bool:
    """Print ``html_file`` to ``pdf_file`` with headless Chromium (its print stylesheet, no header or footer);
    False when Chromium is missing or fails."""
    exe = chromium()
    if exe is None:
        return False
    pdf_file.unlink(missing_ok=True)
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
           f"--print-to-pdf={pdf_file}", Path(html_file).resolve().as_uri()]
    try:
        subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    if not (pdf_file.exists() and pdf_file.read_bytes()[:5] == b"%PDF-"):
        return False
    _fix_dates(pdf_file)
    return True


def _fix_dates(pdf_file: Path) -> None:
    """Creation and modification times set to midnight of the day (same length: the cross-reference offsets stay
    right), so that printing the same note twice the same day gives the same bytes (reruns are byte-identical)."""
    day = datetime.date.today().strftime("%Y%m%d").encode()
    b = pdf_file.read_bytes()
    fixed = re.sub(rb"(/(?:CreationDate|ModDate) \(D:)\d{8}\d{6}", lambda m: m.group(1) + day + b"000000", b)
    if fixed != b:
        pdf_file.write_bytes(fixed)


def pdf_pages(pdf: bytes) -> int:
    """Number of pages of a PDF written by Chromium (its ``/Type /Page`` objects)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def write(html_dir: Path | str, **kw) -> Path:
    """Write ``note-de-synthese.html`` and ``.pdf`` into the built book ``html_dir``; returns the file the home page
    links to (the PDF; the HTML, and the home page's link rewritten to it, when Chromium cannot print)."""
    html_dir = Path(html_dir)
    src = html_dir / f"{NAME}.html"
    src.write_text(note_html(**kw), encoding="utf-8")
    pdf = html_dir / PDF
    if print_pdf(src, pdf):
        n = pdf_pages(pdf.read_bytes())
        if n > MAX_PAGES:
            raise RuntimeError(f"note de synthèse : {n} pages, {MAX_PAGES} au plus")
        return pdf
    index = html_dir / "index.html"
    if index.exists():
        index.write_text(index.read_text(encoding="utf-8").replace(f"href='{PDF}'", f"href='{NAME}.html'")
                         .replace(f'href="{PDF}"', f'href="{NAME}.html"'), encoding="utf-8")
    return src


__all__ = ["MAX_PAGES", "NAME", "PDF", "key_figures", "note_html", "pdf_pages", "print_pdf", "write"]
