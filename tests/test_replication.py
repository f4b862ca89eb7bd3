"""OUT/README.md, the replication package of a run (evalkit.replication)."""

from __future__ import annotations

import re

from evalkit import replication as rep

HTML = """<html><body>
<figure class='ek-figure' id='fig-msp_estimates' data-evalkit='evalkit.studies.msp.display.figure_estimates'>
<p class='ek-figtitle'><strong>Graphique 1 – Effet estimé</strong></p></figure>
<div class='ek-tablewrap' data-name='msp_profile' data-evalkit='evalkit.studies.msp.display.table_profile'>
<p class='ek-figtitle'><strong>Tableau 1 – Profil</strong></p></div>
</body></html>"""


def _inputs():
    return [rep.InputFile("msp", "msp.csv", "ab" * 32, 75_000, 5_000, "gp_id", 2005, 2019)]


def _manifest(kind="user"):
    return {"evalkit_version": "0.1.0", "python": "3.11.7", "dependencies": {"pandas": "2.3.3", "diff-diff": "3.13.0"},
            "data": kind, "data_dir": "/home/secret/extract", "seed": 42, "timings_seconds": {"total": 83.4},
            "finished_utc": "2026-12-02T08:00:00Z",
            "simulation": {"seed": 7, "scale": 1.0} if kind == "synthetic" else None}


def test_exhibits_read_from_the_built_pages(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "msp.html").write_text(HTML, encoding="utf-8")
    ex = rep.exhibits(tmp_path, pages=["chapters/msp"])
    assert [(e.kind, e.name, e.function) for e in ex] == [
        ("Graphique", "msp_estimates", "evalkit.studies.msp.display.figure_estimates"),
        ("Tableau", "msp_profile", "evalkit.studies.msp.display.table_profile")]
    assert ex[0].title == "Graphique 1 – Effet estimé"


def test_readme_has_every_section_and_no_path(tmp_path):
    (tmp_path / "msp.html").write_text(HTML, encoding="utf-8")
    text = rep.readme(_manifest(), _inputs(), rep.exhibits(tmp_path), peak_rss_mb=1234.0,
                      command="evalkit run --data <DOSSIER_DONNEES> --out <DOSSIER_SORTIE> --seed 42")
    positions = [text.index(s) for s in rep.SECTIONS]
    assert positions == sorted(positions)  # in the template's order
    assert "/home/secret" not in text and not re.search(r"(?<![<\w])/(home|tmp|work|root)/", text)
    assert "ab" * 32 in text and "75\u202f000" in text and "2005–2019" in text
    assert "synthétique" not in text.lower()  # user data: no synthetic vocabulary
    assert "Graine des analyses (tirages, appariements) : 42." in text
    assert "83 s" in text and "1\u202f234 Mo" in text
    assert "evalkit.studies.msp.display.figure_estimates" in text


def test_synthetic_readme_says_what_the_data_are(tmp_path):
    text = rep.readme(_manifest("synthetic"), _inputs(), [], peak_rss_mb=None, command="evalkit run …")
    assert "Données synthétiques" in text and "ne constituent pas des résultats" in text
    assert "Graine et échelle des données synthétiques : 7, 1.0." in text
    assert "Aucun graphique ni tableau" in text
