"""The « note de synthèse »: at most four A4 pages printed by headless Chromium, the answers and key figures of the
recorded rows, no synthetic vocabulary on an evaluator's data, and a home-page link that always resolves."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from evalkit import cli, synthese
from evalkit.results import make_row, to_frame

needs_chromium = pytest.mark.skipif(synthese.chromium() is None, reason="headless Chromium not installed")


def answers(long: int = 1):
    return [SimpleNamespace(title_fr=t, text_fr=f"Réponse sur {t}. " + "Une phrase de plus. " * long)
            for t in ("Maisons de santé pluriprofessionnelles", "Asalée", "Assistants médicaux")]


def rows() -> pd.DataFrame:
    return to_frame([
        make_row(study="msp", outcome="patients_mt", estimator="cs_simple", estimate=89.4, ci_low=83.6, ci_high=95.2,
                 unit="patients", n_units=500, headline=True, data="user"),
        make_row(study="asalee", outcome="hba1c_3plus", estimator="cs_simple", estimate=4.46, ci_low=3.1, ci_high=5.8,
                 unit="pp", n_units=1174, headline=True, data="user"),
        make_row(study="assistants", outcome="patients_mt", estimator="cs_simple", estimate=-1.0, ci_low=-3.0,
                 ci_high=1.0, unit="percent", n_units=7, headline=True, data="user"),
        make_row(study="msp", outcome="patients_mt", estimator="twfe", estimate=85.0, ci_low=80.0, ci_high=90.0,
                 unit="patients", n_units=500, data="user")])


def test_key_figures_are_the_headline_rows_in_french():
    kf = synthese.key_figures(rows())
    assert kf["Étude"].tolist() == ["MSP", "Asalée", "Assistants médicaux"]  # registry order, headlines only
    assert kf["Estimation"].tolist() == ["+89 patients", "+4,5 points", "−1,0\u202f%"]
    assert kf["IC à 95 %"].iloc[0] == "[84 ; 95]"
    assert kf["Effectif"].tolist() == ["500", "1\u202f174", "moins de 11"]  # counts below 11 never printed


@needs_chromium
def test_note_is_a_pdf_of_at_most_four_pages(tmp_path):
    (tmp_path / "index.html").write_text(f"<a href='{synthese.PDF}'>note</a>")
    out = synthese.write(tmp_path, answers=answers(), rows=rows(), kind="synthetic")
    assert out == tmp_path / synthese.PDF
    pdf = out.read_bytes()
    assert pdf[:5] == b"%PDF-" and 1 <= synthese.pdf_pages(pdf) <= synthese.MAX_PAGES
    text = (tmp_path / f"{synthese.NAME}.html").read_text()
    for a in answers():
        assert a.title_fr in text
    assert "+89 patients" in text and "Démonstration de méthode" in text and "evalkit run --data" in text
    assert f"href='{synthese.PDF}'" in (tmp_path / "index.html").read_text()
    # the same note printed again the same day: the same bytes
    synthese.write(tmp_path, answers=answers(), rows=rows(), kind="synthetic")
    assert out.read_bytes() == pdf
    # a note that does not fit on four pages is refused, not silently long
    with pytest.raises(RuntimeError, match="pages"):
        synthese.write(tmp_path, answers=answers(long=400), rows=rows(), kind="synthetic")


def test_user_note_has_no_synthetic_vocabulary():
    text = synthese.note_html(answers=answers(), rows=rows(), kind="user").lower()
    assert "synthéti" not in text and "planté" not in text and "données fournies par l'utilisateur" in text


def test_without_chromium_the_home_page_links_the_html_note(tmp_path, monkeypatch):
    monkeypatch.setattr(synthese, "chromium", lambda: None)
    (tmp_path / "index.html").write_text(f"<p><a href='{synthese.PDF}'>Note de synthèse (PDF)</a></p>")
    out = synthese.write(tmp_path, answers=answers(), rows=rows(), kind="user")
    assert out.name == f"{synthese.NAME}.html" and out.exists() and not (tmp_path / synthese.PDF).exists()
    assert f"href='{synthese.NAME}.html'" in (tmp_path / "index.html").read_text()


def test_cli_has_the_command():
    args = cli.build_parser().parse_args(["synthese", "--html", "x"])
    assert args.func is cli.cmd_synthese and args.html == "x"
