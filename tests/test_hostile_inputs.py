"""Files as evaluators really have them, through `evalkit validate`: each ends in exit 0 with the right table, or in
exit 2 with one French message naming the file (and the column when there is one) and « Pour corriger »."""

import gzip
import io as _io
import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from contract_data import assistants, msp

from evalkit import cli, io
from evalkit.contracts import DataWarning, window_sentence


def validate(folder: Path, capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(["--quiet", "validate", "--data", str(folder)])
    c = capsys.readouterr()
    return code, c.out, c.err


def refused(folder, capsys, *needles):
    code, out, err = validate(folder, capsys)
    assert code == 2, (out, err)
    assert "Traceback" not in err and "Pour corriger" in err, err
    for n in needles:
        assert n in err, (n, err)
    return err


@pytest.fixture
def d(tmp_path):
    f = tmp_path / "data"
    f.mkdir()
    return f


def test_inf_is_refused_with_column(d, capsys):
    df = msp()
    df["fees"] = df["fees"].astype(object)
    df.loc[3, "fees"] = "inf"
    df.loc[4, "fees"] = "-inf"
    df.to_csv(d / "msp.csv", index=False)
    refused(d, capsys, "msp.csv : colonne 'fees' : 2 lignes", "pas un nombre fini")


def test_trailing_separator_on_data_lines(d, capsys):
    text = msp().to_csv(index=False, sep=";")
    lines = text.splitlines()
    (d / "msp.csv").write_text("\n".join([lines[0]] + [ln + ";" for ln in lines[1:]]) + "\n")
    err = refused(d, capsys, "msp.csv : l'en-tête a 10 champs, les lignes de données en ont 11", "séparateur final ?",
                  "'msp_year'")
    assert "periurban" not in err  # no longer the shifted-column message


def test_some_lines_with_fewer_fields(d, capsys):
    text = msp().to_csv(index=False).splitlines()
    text[5] = ",".join(text[5].split(",")[:7])
    (d / "msp.csv").write_text("\n".join(text) + "\n")
    refused(d, capsys, "l'en-tête a 10 champs, 1 ligne de données en a 7 (ligne 6)", "'rurality'")


@pytest.mark.parametrize("token", ["NA", "NaN", ".", "na", "NULL", "#N/A"])
def test_na_tokens_are_empty_where_allowed(d, capsys, token):
    df = msp()
    df["msp_year"] = df["msp_year"].astype(object).where(df["msp_year"].notna(), token)
    df.to_csv(d / "msp.csv", index=False)
    code, out, err = validate(d, capsys)
    assert code == 0, err
    got = io.load("msp", d)
    assert got["msp_year"].isna().sum() == msp()["msp_year"].isna().sum()


def test_na_where_not_allowed_is_called_empty(d, capsys):
    df = msp().astype({"age": object})
    df.loc[[1, 2], "age"] = "NA"
    df.to_csv(d / "msp.csv", index=False)
    refused(d, capsys, "msp.csv : colonne 'age' : 2 lignes vides (ou NA, NaN, « . »)")


def _xlsx_bytes() -> bytes:
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


@pytest.mark.parametrize("kind,content,needle", [
    ("xlsx", _xlsx_bytes(), "classeur Excel (.xlsx)"),
    ("xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "Excel 97-2003"),
    ("gzip", gzip.compress(b"gp_id,year\nA,2010\n"), "compressé gzip"),
    ("zip", None, "archive ZIP"),
    ("pdf", b"%PDF-1.4\n...", "PDF"),
    ("binary", b"\x00\x01\x02\x03" * 100, "binaire"),
    ("empty", b"", "vide (0 octet)"),
])
def test_binary_files_named_csv_say_what_they_are(d, capsys, kind, content, needle):
    if kind == "zip":
        buf = _io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("msp.csv", "gp_id,year\n")
        content = buf.getvalue()
    (d / "msp.csv").write_bytes(content)
    err = refused(d, capsys, "msp.csv", needle)
    assert "charmap" not in err and "codec" not in err


def test_parquet_named_csv_and_csv_named_parquet(d, capsys):
    msp().to_parquet(d / "msp.csv")
    refused(d, capsys, "msp.csv", "Parquet", "msp.parquet")
    (d / "msp.csv").unlink()
    msp().to_csv(d / "msp.parquet", index=False)
    refused(d, capsys, "msp.parquet : n'est pas un fichier Parquet", "msp.csv")


def test_gzip_csv_accepted_when_named_so(d, capsys):
    (d / "msp.csv.gz").write_bytes(gzip.compress(msp().to_csv(index=False).encode()))
    code, out, err = validate(d, capsys)
    assert code == 0, err and "msp.csv.gz : OK" in out


def test_utf16_excel_unicode_text_accepted(d, capsys):
    (d / "msp.csv").write_bytes(msp().to_csv(index=False, sep="\t").encode("utf-16"))
    code, out, err = validate(d, capsys)
    assert code == 0, err
    assert len(io.load("msp", d)) == len(msp())


def test_dangling_symlink_is_an_error_not_a_missing_study(d, capsys):
    assistants().to_csv(d / "assistants.csv", index=False)
    os.symlink(d / "nowhere" / "msp.csv", d / "msp.csv")
    refused(d, capsys, "msp.csv : lien symbolique", "lien cassé")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(d, capsys):
    msp().to_csv(d / "msp.csv", index=False)
    os.chmod(d / "msp.csv", 0)
    try:
        refused(d, capsys, "msp.csv", "droit de lecture", "chmod")
    finally:
        os.chmod(d / "msp.csv", 0o644)


def test_folder_named_like_a_study_file(d, capsys):
    (d / "msp.csv").mkdir()
    refused(d, capsys, "msp.csv : est un dossier")


def test_upper_case_file_name_read_with_warning(d, capsys):
    msp().to_csv(d / "MSP.CSV", index=False)
    code, out, err = validate(d, capsys)
    assert code == 0 and "MSP.CSV : OK" in out and "lu comme le fichier de l'étude msp" in err
    msp().to_csv(d / "msp.csv", index=False)
    refused(d, capsys, "plusieurs fichiers pour l'étude 'msp'", "MSP.CSV", "msp.csv")


def test_unnamed_column_explained(d, capsys):
    text = msp().to_csv(index=False).splitlines()
    (d / "msp.csv").write_text("\n".join([text[0] + ","] + [ln + "," for ln in text[1:]]) + "\n")
    refused(d, capsys, "colonne 'unnamed: 10'", "n'a pas de nom", "colonne n° 11")


def test_duplicate_header_column(d, capsys):
    df = msp()
    text = df.to_csv(index=False).splitlines()
    text[0] = text[0].replace("fees", "age")
    (d / "msp.csv").write_text("\n".join(text) + "\n")
    refused(d, capsys, "msp.csv : colonne 'age' en double")


def test_no_header(d, capsys):
    text = msp().to_csv(index=False, header=False)
    (d / "msp.csv").write_text(text)
    refused(d, capsys, "aucune des colonnes attendues", "en-tête")


def test_blank_lines_and_separator_only_lines_are_dropped_with_warning(d, capsys):
    text = msp().to_csv(index=False).splitlines()
    text.insert(3, ",,,,,,,,,")
    (d / "msp.csv").write_text("\n".join(text) + "\n\n")
    code, out, err = validate(d, capsys)
    assert code == 0, err
    assert "1 ligne entièrement vide ignorée" in err
    assert len(io.load("msp", d)) == len(msp())


# --- treatment dates outside the observed years ---------------------------------------------------------------------

def test_late_and_early_treatment_dates_one_rule(d, capsys):
    df = assistants(n_gps=60)  # years 2016–2021, 30 signatories in 2019
    late = df.gp_id.isin([f"A{g:04d}" for g in range(5)])
    early = df.gp_id.isin([f"A{g:04d}" for g in range(5, 8)])
    df.loc[late, "am_year"] = 2030
    df.loc[early, "am_year"] = 2014
    df.to_csv(d / "assistants.csv", index=False)
    code, out, err = validate(d, capsys)
    assert code == 0, err
    assert "moins de 11 médecins ayant signé un contrat d'assistant médical après 2021" in err
    assert "années 2030" in err and "comptés comme non entrés sur la période 2016–2021" in err
    assert "déjà sous contrat en 2016" in err and "écartés de l'évaluation" in err
    with pytest.warns(DataWarning):
        got = io.load("assistants", d)
    info = got.attrs["out_of_window"]
    assert info["late"] == 5 and info["early"] == 3 and info["late_years"] == [2030]
    assert got.gp_id.nunique() == 57  # the 3 early GPs are excluded
    late_rows = got[got.gp_id.isin([f"A{g:04d}" for g in range(5)])]
    assert late_rows["am_year"].isna().all() and late_rows["am_option"].isna().all()  # never treated in the panel
    assert got["am_year"].notna().groupby(got.gp_id).first().sum() == 30 - 5 - 3
    s = window_sentence(info)
    assert s.startswith("Moins de 11 médecins ayant signé") and "moins de 11 médecins déjà sous contrat" in s
    assert "5 " not in s and " 3 " not in s  # small counts never printed


def test_window_rule_matches_the_engine_on_clean_and_dirty_data():
    """The load-time rule gives the sample prepare_panel (CS engine) would use: same units, same cohorts."""
    from evalkit.contracts import out_of_window
    from evalkit.estimators.staggered import prepare_panel

    df = msp(n_gps=40)
    df.loc[df.gp_id.isin(["G0000", "G0001"]), "msp_year"] = 2030
    df.loc[df.gp_id.isin(["G0002"]), "msp_year"] = 2008
    with pytest.warns(DataWarning):
        ours = out_of_window(df, "msp")
    assert ours.attrs["out_of_window"]["late"] == 2 and ours.attrs["out_of_window"]["early"] == 1
    with pytest.warns(UserWarning):
        eng, _, _ = prepare_panel(df, "patients_mt", "gp_id", "year", "msp_year")
    eng2, notes, _ = prepare_panel(ours, "patients_mt", "gp_id", "year", "msp_year")
    assert notes == []  # nothing left for the engine to recode or drop
    cols = ["gp_id", "year", "patients_mt", "_first_treat"]
    pd.testing.assert_frame_equal(eng[cols].reset_index(drop=True), eng2[cols].reset_index(drop=True))
    clean = msp()
    same = out_of_window(clean, "msp")
    pd.testing.assert_frame_equal(same, clean)
    assert window_sentence(same.attrs["out_of_window"]) == ""


def test_asalee_window_counts_gps_and_excludes_their_patients():
    from contract_data import asalee

    from evalkit.contracts import out_of_window

    df = asalee(n_gps=30)  # years 2010–2013, 15 GPs enter in 2012
    df.loc[df.gp_id.isin([f"G{g:03d}" for g in range(12)]), "asalee_year"] = 2009
    df.loc[df.gp_id.isin([f"G{g:03d}" for g in range(12)]), "nurse_followed"] = 0
    with pytest.warns(DataWarning, match="12 médecins déjà dans Asalée en 2010"):
        got = out_of_window(df, "asalee")
    assert got.attrs["out_of_window"]["early"] == 12 and got.attrs["out_of_window"]["early_units"] == 60
    assert got.gp_id.nunique() == 18
    assert "12 médecins déjà dans Asalée en 2010" in window_sentence(got.attrs["out_of_window"])


def test_excel_sep_hint_line(d, capsys):
    (d / "msp.csv").write_text("sep=;\n" + msp().to_csv(sep=";", index=False))
    code, out, err = validate(d, capsys)
    assert code == 0, err
    assert len(io.load("msp", d)) == len(msp())


def test_dates_in_a_year_column(d, capsys):
    df = msp()
    df["msp_year"] = df["msp_year"].map(lambda v: f"01/06/{v}" if pd.notna(v) else "")
    df.to_csv(d / "msp.csv", index=False)
    refused(d, capsys, "colonne 'msp_year'", "seulement l'année")
    df = msp()
    df["year"] = pd.to_datetime(df["year"].astype(str) + "-01-01")
    (d / "msp.csv").unlink()
    df.to_parquet(d / "msp.parquet")
    refused(d, capsys, "msp.parquet : colonne 'year'", "une date", "seulement l'année")


def test_files_under_other_names_or_one_folder_down(d, capsys):
    msp().to_csv(d / "msp_2024.csv", index=False)
    (d / "extraction").mkdir()
    msp().to_csv(d / "extraction" / "msp.csv", index=False)
    code, out, err = validate(d, capsys)
    assert code == 2 and "msp_2024.csv" in err and "sous-dossier extraction" in err
    code = cli.main(["--quiet", "validate", "--data", str(d / "msp_2024.csv")])
    assert code == 2 and f"--data {d}" in capsys.readouterr().err
