"""« Données associées » (issue 15, item 5): CSV downloads that read back to the plotted values, chapter workbooks
with one sheet per exhibit, and the French companion of estimates.csv."""

from __future__ import annotations

import base64
import io
import re
import time

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from evalkit import donnees, plots
from evalkit.results import COMPLEMENT_TAG, SUPPRESSED_TAG, make_row, to_frame

ES = pd.DataFrame({"event_time": [-3, -2, -1, 0, 1, 2],
                   "estimate": [0.123, -1.26, 0.0, 10.26, 20.549, 30.04],
                   "ci_low": [-1.1, -2.9, -1.4, 8.0, 17.3, 25.0],
                   "ci_high": [1.3, 0.4, 0.8, 12.5, 23.7, 35.1]})


def read_csv(b: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(b), sep=";", decimal=",")


def link_csv(html_text: str, label: str) -> bytes:
    """The CSV behind the download link whose text is ``label``, decoded from its data: URI."""
    m = re.search(r"href='data:text/csv;base64,([^']+)'>" + re.escape(label), html_text)
    assert m, label
    return base64.b64decode(m.group(1))


@pytest.fixture(autouse=True)
def fresh():
    donnees.reset()
    yield
    donnees.reset()


def event_figure(decimals=1):
    return plots.event_study(ES, ylabel="Effet estimé (patients par médecin)", title="Effet par année",
                             champ="médecins du test", source="calculs du test", name="t-evenement",
                             truth=pd.Series({-3: 0.0, -2: 0.0, -1: 0.0, 0: 10.0, 1: 20.0, 2: 30.0}),
                             decimals=decimals)


def test_event_study_download_reads_back_to_the_plotted_values():
    f = event_figure()
    got = read_csv(link_csv(f._repr_html_(), "Télécharger les données du graphique (CSV)"))
    assert list(got.columns[:2]) == ["Années depuis l'entrée (0 = année d'entrée)", "Période"]
    assert got["Effet estimé (patients par médecin)"].tolist() == ES["estimate"].round(1).tolist()
    assert got["Borne basse de l'IC à 95 %"].tolist() == ES["ci_low"].round(1).tolist()
    assert got["Effet simulé (vérité connue)"].tolist() == [0, 0, 0, 10, 20, 30]
    assert got["Période"].tolist()[:3] == ["avant l'entrée"] * 3
    # the values are those matplotlib drew: the fallback reader of the figure finds the same points
    assert sorted(got["Effet estimé (patients par médecin)"]) == sorted(ES["estimate"].round(1))


def test_forest_and_trends_carry_their_data():
    t = ES.assign(label=[f"ligne {i}" for i in range(6)])
    fo = plots.forest(t, xlabel="Effet (points), intervalle de confiance à 95 %", ylabel="Groupe", title="F",
                      champ="c", source="s", name="t-foret", truth=5.0, decimals=1)
    got = read_csv(donnees.csv_bytes(fo))
    assert list(got.columns) == ["Groupe", "Effet (points)", "Borne basse de l'IC à 95 %", "Borne haute de l'IC à 95 %"]
    assert got["Effet (points)"].tolist() == [*ES["estimate"].round(1), 5.0]
    assert got["Groupe"].iloc[-1] == "Effet simulé (vérité connue)"
    tr = pd.DataFrame({"year": [2018, 2019, 2018, 2019], "m": [1.25, 2.5, 3.75, 4.0], "g": ["a", "a", "b", "b"]})
    f = plots.trends(tr, x="year", y="m", hue="g", hue_labels={"a": "Groupe A", "b": "Groupe B"}, xlabel="Année",
                     ylabel="Moyenne (patients)", title="T", champ="c", source="s", name="t-tendances", decimals=2)
    got = read_csv(donnees.csv_bytes(f))
    assert got.to_dict("list") == {"Groupe": ["Groupe A", "Groupe A", "Groupe B", "Groupe B"],
                                   "Année": [2018, 2019, 2018, 2019], "Moyenne (patients)": [1.25, 2.5, 3.75, 4.0]}


def test_custom_figure_reads_its_plotted_values_back():
    """A figure built directly with matplotlib: lines, error bars (dodged around integer ticks), no reference lines."""
    fig, ax = plots.new()
    ax.plot([2018, 2019, 2020], [1.5, 2.25, -3.125], label="série A")
    ax.errorbar(np.array([0, 1]) - 0.15, [4.0, 5.0], yerr=[[1.0, 1.0], [2.0, 2.0]], fmt="o", label="option 1")
    ax.axhline(0)
    ax.set_xlabel("Année")
    ax.set_ylabel("Valeur (euros)")
    f = plots.figure(fig, title="G", alt="a", champ="c", source="s", name="t-libre")
    got = read_csv(donnees.csv_bytes(f))
    a = got[got["Série"] == "série A"]
    assert a["Valeur (euros)"].tolist() == [1.5, 2.25, -3.125] and a["Année"].tolist() == [2018, 2019, 2020]
    o = got[got["Série"] == "option 1"]
    assert o["Année"].tolist() == [-0.15, 0.85]  # not dodged: ticks are years, not one unit apart around 0 and 1
    assert o["Borne basse de l'IC à 95 %"].tolist() == [3.0, 4.0] and o["Borne haute de l'IC à 95 %"].tolist() == [
        6.0, 7.0]
    assert len(got) == 5  # the reference line at zero is not data
    # a map (axes hidden) has no values to give back: no data, no CSV link
    fig, ax = plots.new()
    ax.plot([0, 1, 1, 0], [0, 0, 1, 1])
    ax.xaxis.set_visible(False)
    ax.yaxis.set_visible(False)
    m = plots.figure(fig, title="Carte", alt="a", champ="c", source="s", name="t-carte")
    assert m.data is None and "données du graphique" not in m._repr_html_()
    # explicit data wins over what is read off the axes
    fig, ax = plots.new()
    ax.plot([0, 1], [0, 1])
    ax.set_xlabel("x (u)")
    ax.set_ylabel("y (u)")
    f = plots.figure(fig, title="G", alt="a", champ="c", source="s", name="t-explicite",
                     data=pd.DataFrame({"Abscisse (u)": [0, 1], "Ordonnée (u)": [0.0, 1.0]}))
    assert list(f.data.columns) == ["Abscisse (u)", "Ordonnée (u)"]


def test_table_csv_has_numbers_french_decimals_and_ascii_minus():
    t = plots.table(pd.DataFrame({"Indicateur": ["a", "b", "c"], "Effet": ["−1,5", "1 234,0", "+2,25"],
                                  "Part": ["12,5 %", "−3,0 %", "0,0 %"], "Mixte": ["500", "< 11", "−4,5"],
                                  "n": pd.array([12, 40, None], dtype="Int64"), "v": [1.23456, -2.5, np.nan],
                                  "ok": [True, False, True]}),
                    title="Tab", champ="c", source="s", name="t-tab", decimals={"v": 2})
    b = link_csv(t._repr_html_(), "Télécharger le tableau (CSV)")
    text = b.decode("utf-8-sig")
    assert "−" not in text and "\u202f" not in text
    got = read_csv(b)
    assert got["Effet"].tolist() == [-1.5, 1234.0, 2.25]
    assert got["Part (%)"].tolist() == [12.5, -3.0, 0.0]
    assert got["v"].iloc[:2].tolist() == [1.23, -2.5] and np.isnan(got["v"].iloc[2])
    assert got["n"].iloc[:2].tolist() == [12, 40]
    assert got["ok"].tolist() == ["oui", "non", "oui"]
    assert got["Mixte"].tolist() == ["500", "< 11", "-4,5"]  # a column mixing numbers and text stays text in pandas
    assert text.splitlines()[1] == "a;-1,50;12,5;500;12;1,23;oui"  # one precision per numeric column


def test_chapter_workbook_has_one_sheet_per_exhibit(tmp_path):
    f1 = event_figure()
    t1 = plots.table(pd.DataFrame({"Option": ["x", "y"], "Gain (patients)": [12.345, -3.0]}), title="Tableau test",
                     champ="champ du tableau", source="source du tableau", name="t-tab2", decimals=1, note="une note")
    msg = plots.table(pd.DataFrame({"Message": ["Estimation impossible sur ces données"]}), title="M", champ="c",
                      source="s")
    f2 = plots.forest(ES.assign(label=list("abcdef")), xlabel="Effet (points)", title="Forêt", champ="champ 2",
                      source="source 2", name="t-foret2")
    for o in (f1, t1, msg, f1, f2):  # displayed on the page, f1 twice; the message table is no data
        o._repr_mimebundle_()
    h = donnees.associees("msp", out_dir=tmp_path)
    wb = load_workbook(tmp_path / "msp.xlsx")
    assert wb.sheetnames == ["Sommaire", "Graphique 1", "Tableau 1", "Graphique 2"]
    ws = wb["Tableau 1"]
    rows = [r for r in ws.iter_rows(values_only=True)]
    assert rows[0][0] == "Tableau 1 - Tableau test"
    assert rows[2][:2] == ("Option", "Gain (patients)")
    assert rows[3][:2] == ("x", 12.3) and rows[4][:2] == ("y", -3.0)
    assert ws.cell(4, 2).number_format == "#,##0.0"
    lines = [r[0] for r in rows[5:] if r[0]]
    assert lines == ["Lecture : La ligne « x » indique 12,3 dans la colonne « Gain (patients) ».", "Note : une note",
                     "Champ : champ du tableau", "Source : source du tableau"]
    g = [r for r in wb["Graphique 1"].iter_rows(values_only=True)]
    assert g[2][2] == "Effet estimé (patients par médecin)" and [r[2] for r in g[3:9]] == ES["estimate"].round(
        1).tolist()
    assert [r[0] for r in g if r[0] and str(r[0]).startswith(("Champ", "Source"))] == [
        "Champ : médecins du test", "Source : calculs du test"]
    toc = [r for r in wb["Sommaire"].iter_rows(values_only=True)]
    assert toc[0][0] == "Maisons de santé pluriprofessionnelles"
    assert [r[0] for r in toc[4:]] == ["Graphique 1", "Tableau 1", "Graphique 2"]
    # the page offers the same workbook
    m = re.search(r"href='data:[^;]+;base64,([^']+)'", h._repr_html_())
    assert base64.b64decode(m.group(1)) == (tmp_path / "msp.xlsx").read_bytes()
    assert "2 graphiques et 1 tableau" in h._text


def test_workbook_check_catches_a_missing_source():
    t = plots.table(pd.DataFrame({"a": [1.0]}), title="T", champ="c", source="", name="t")
    with pytest.raises(ValueError, match="Source"):
        donnees.check_workbook(donnees.workbook([t], "x"), [t])


def test_workbook_bytes_do_not_depend_on_the_time_of_the_run():
    # zip entries carry a 2-second timestamp and the document its created/modified dates: two runs on the same data
    # a few seconds apart must still write the same file (the replication package is compared by checksum)
    t = plots.table(pd.DataFrame({"a": [1.0, 2.5]}), title="T", champ="c", source="s", name="t")
    first = donnees.workbook([t], "x")
    time.sleep(2.1)
    assert donnees.workbook([t], "x") == first
    donnees.check_workbook(first, [t])


def results_rows() -> pd.DataFrame:
    rows = [make_row(study="msp", outcome="patients_mt", estimator="cs_simple", estimate=89.123456789,
                     std_error=2.7182818, unit="patients", n_units=500, n_obs=75000, headline=True, data="synthetic"),
            make_row(study="asalee", outcome="hba1c_3plus", estimator="cs_dynamic", estimate=-0.000123456789,
                     std_error=0.5, unit="pp", n_units=300, subgroup="event_time=-2", data="synthetic"),
            make_row(study="assistants", outcome="patients_mt", estimator="cs_simple", estimate=1.0, std_error=1.0,
                     unit="patients", n_units=40, subgroup="option=full", data="synthetic")]
    df = to_frame(rows)
    df.loc[2, ["estimate", "std_error", "ci_low", "ci_high"]] = np.nan
    df.loc[2, "estimator"] = "cs_simple" + SUPPRESSED_TAG
    return df


def test_french_companion_round_trips_to_estimates():
    df = results_rows()
    b = donnees.french_results_csv(df)
    text = b.decode("utf-8-sig")
    assert ";500;75000;oui;" in text.splitlines()[1]  # counts as integers
    assert "−" not in text and text.splitlines()[0].split(";")[:5] == [
        "Étude", "Indicateur", "Sous-groupe", "Estimateur", "Estimation"]
    back = donnees.read_french_results(io.BytesIO(b))
    for c in ("estimate", "std_error", "ci_low", "ci_high"):
        np.testing.assert_allclose(back[donnees.FRENCH_COLUMNS[c]], df[c], rtol=1e-5, equal_nan=True)
    assert back[donnees.FRENCH_COLUMNS["n_units"]].tolist() == [500, 300, 40]
    assert back[donnees.FRENCH_COLUMNS["headline"]].tolist() == ["oui", "non", "non"]
    assert back["Ligne masquée"].tolist() == ["non", "non", "oui (moins de 11 unités)"]
    assert back["Étude"].tolist() == ["Maisons de santé pluriprofessionnelles", "Asalée", "Assistants médicaux"]
    assert back["Sous-groupe"].tolist() == ["ensemble", "années depuis l'entrée = -2", "option du contrat = full"]
    assert back["Unité"].iloc[0] == "nombre de patients" and back["Données"].iloc[0] == "synthétiques"
    assert back["Estimateur"].iloc[0].startswith("Callaway et Sant'Anna")
    # the codes of estimates.csv are kept to join the two files
    assert back["code estimator"].tolist() == df["estimator"].tolist()
    assert back["code subgroup"].tolist() == df["subgroup"].tolist()
    # a row protecting another one says so
    df.loc[1, "estimator"] = "cs_dynamic" + COMPLEMENT_TAG
    assert donnees.french_results(df)["Ligne masquée"].iloc[1] == "oui (protège une case masquée)"


def test_home_page_link_offers_the_french_companion(monkeypatch):
    from evalkit import summary

    df = results_rows()
    monkeypatch.setattr(summary, "results_table", lambda: df)
    h = summary.download_link()
    page = h.html
    assert f"download='{donnees.FRENCH_RESULTS}'" in page and donnees.DICTIONARY_PAGE in page
    assert "href='note-de-synthese.pdf'" in page
    got = donnees.read_french_results(io.BytesIO(link_csv(page, "Télécharger le tableau de tous les résultats")))
    np.testing.assert_allclose(got["Estimation"], df["estimate"], rtol=1e-5, equal_nan=True)


def test_run_writes_the_french_companion_and_the_workbooks(tmp_path):
    from evalkit import cli

    parts, out = tmp_path / "parts", tmp_path / "results"
    parts.mkdir()
    out.mkdir()
    (parts / "msp.xlsx").write_bytes(b"PK-workbook")
    df = results_rows()
    cli._write_french_downloads(df, parts, out)
    assert (out / "donnees" / "msp.xlsx").read_bytes() == b"PK-workbook"
    back = donnees.read_french_results(out / donnees.FRENCH_RESULTS)
    np.testing.assert_allclose(back["Estimation"], df["estimate"], rtol=1e-5, equal_nan=True)


def test_estimate_and_interval_text_becomes_three_numeric_columns():
    t = plots.table(pd.DataFrame({"Option": ["a", "b"],
                                  "Gain, patients [IC]": ["+95 patients [72 ; 118]", "−1,5 patients [−3,2 ; 0,4]"],
                                  "Total": ["271\u202f000 [236\u202f000 ; 305\u202f000]", "—"],
                                  "Deux unités": ["+2 % [1 % ; 3 %]", "+4 patients [1 ; 7]"]}),
                    title="T", champ="c", source="s", name="t-ic")
    got = read_csv(donnees.csv_bytes(t))
    assert got["Gain, patients (patients)"].tolist() == [95.0, -1.5]
    assert got["Gain, patients (patients) : borne basse de l'IC à 95 %"].tolist() == [72.0, -3.2]
    assert got["Total : borne haute de l'IC à 95 %"].iloc[0] == 305000
    assert got["Deux unités"].tolist() == ["+2 % [1 % ; 3 %]", "+4 patients [1 ; 7]"]  # no single unit: left as text
