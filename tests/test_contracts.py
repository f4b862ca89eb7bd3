"""Contracts: every class of bad input in DESIGN.md §3 is rejected with file and column named; good input passes."""

import warnings

import numpy as np
import pandas as pd
import pytest
from contract_data import TABLES, asalee, assistants, msp

from evalkit import io
from evalkit.contracts import STUDIES, DataError, DataWarning, data_dictionary, validate


def _as_text(df: pd.DataFrame) -> pd.DataFrame:
    """What read_table returns: every column as text, missing as NaN."""
    return df.astype(object).where(df.notna(), None).map(lambda v: None if v is None else str(v))


@pytest.mark.parametrize("study", list(STUDIES))
def test_valid_tables_pass_and_are_typed(study):
    df = TABLES[study]()
    out = validate(_as_text(df), study, file=f"{study}.csv")
    assert list(out.columns) == STUDIES[study].columns
    assert len(out) == len(df)
    assert str(out["year"].dtype) == "Int64"
    assert out[STUDIES[study].cohort].isna().any() and out[STUDIES[study].cohort].notna().any()


def _err(df, study):
    with pytest.raises(DataError) as e:
        validate(df, study, file=f"{study}.csv")
    return str(e.value)


def test_missing_column_named():
    msg = _err(msp().drop(columns=["fees"]), "msp")
    assert "msp.csv" in msg and "'fees'" in msg and "manquante" in msg and "Pour corriger" in msg


def test_extra_column_named():
    df = assistants()
    df["comment"] = "x"
    msg = _err(df, "assistants")
    assert "assistants.csv" in msg and "'comment'" in msg and "inattendue" in msg


def test_wrong_type_names_values_and_rows():
    df = _as_text(msp())
    df.loc[[3, 7, 8], "patients_mt"] = "n.d."
    msg = _err(df, "msp")
    assert "colonne 'patients_mt'" in msg and "3 lignes" in msg and "'n.d.'" in msg and "pas un nombre" in msg


def test_negative_count_rejected():
    df = msp()
    df.loc[[0, 1], "file_active"] = [-5, -12]
    msg = _err(df, "msp")
    assert "colonne 'file_active'" in msg and "2 lignes" in msg and "-5" in msg and "≥ 0" in msg


def test_indicator_not_binary():
    df = asalee()
    df.loc[df.index[:4], "hba1c_3plus"] = 2
    msg = _err(df, "asalee")
    assert "colonne 'hba1c_3plus'" in msg and "4 lignes" in msg and "0 ou 1" in msg


def test_duplicate_unit_year():
    df = msp()
    df = pd.concat([df, df.iloc[[0, 5]]], ignore_index=True)
    msg = _err(df, "msp")
    assert "gp_id, year" in msg and "4 lignes" in msg and "G0000 2010" in msg


def test_treatment_year_changing_within_unit():
    df = msp()
    idx = df.index[(df.gp_id == "G0001") & (df.year == 2015)]
    df.loc[idx, "msp_year"] = 2014
    msg = _err(df, "msp")
    assert "colonne 'msp_year'" in msg and "change d'une ligne à l'autre" in msg and "'G0001'" in msg


def test_option_without_year():
    df = assistants()
    never = df.am_year.isna()
    df.loc[never & (df.gp_id == "A0020"), "am_option"] = "half"
    msg = _err(df, "assistants")
    assert "colonne 'am_option'" in msg and "am_year est vide" in msg


def test_year_without_option():
    df = assistants()
    df.loc[df.gp_id == "A0001", "am_option"] = None
    msg = _err(df, "assistants")
    assert "colonne 'am_year'" in msg and "am_option est vide" in msg


def test_bad_category_and_department():
    df = msp()
    df.loc[0, "rurality"] = "semi-urban"
    df.loc[1, "department"] = "1234"
    msg = _err(df, "msp")
    assert "colonne 'rurality'" in msg and "'semi-urban'" in msg
    assert "colonne 'department'" in msg and "'1234'" in msg


def test_department_leading_zero_restored_and_case_normalised():
    df = _as_text(msp())
    df.loc[0, "department"] = "1"
    df.loc[1, "rurality"] = "Rural"
    out = validate(df, "msp", file="msp.csv")
    assert out.loc[0, "department"] == "01" and out.loc[1, "rurality"] == "rural"


def test_nurse_follow_before_entry_rejected():
    df = asalee()
    never = df.asalee_year.isna()
    df.loc[df.index[never][:3], "nurse_followed"] = 1
    msg = _err(df, "asalee")
    assert "colonne 'nurse_followed'" in msg and "3 lignes" in msg


def test_empty_required_value():
    df = _as_text(msp())
    df.loc[[2, 4], "age"] = None
    msg = _err(df, "msp")
    assert "colonne 'age'" in msg and "2 lignes" in msg and "vides" in msg


def test_fractional_count_rejected():
    df = msp()
    df["patients_mt"] = df["patients_mt"].astype(float)
    df.loc[0, "patients_mt"] = 10.5
    msg = _err(df, "msp")
    assert "colonne 'patients_mt'" in msg and "nombres entiers" in msg


def test_all_problems_reported_at_once():
    df = msp()
    df.loc[0, "file_active"] = -1
    df.loc[1, "female"] = 3
    msg = _err(df, "msp")
    assert "file_active" in msg and "female" in msg


def test_unbalanced_panel_warns_or_drops_or_errors():
    df = msp()
    df = df.drop(df.index[(df.gp_id == "G0002") & (df.year == 2012)])
    with pytest.warns(DataWarning, match="1 des 30 unités"):
        out = validate(df, "msp", file="msp.csv")
    assert out.gp_id.nunique() == 30
    with pytest.warns(DataWarning, match="écartées"):
        out = validate(df, "msp", file="msp.csv", balance="drop")
    assert out.gp_id.nunique() == 29 and "G0002" not in set(out.gp_id)
    with pytest.raises(DataError, match="non cylindré"):
        validate(df, "msp", file="msp.csv", balance="error")


def test_balanced_panel_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        validate(msp(), "msp", file="msp.csv")


def test_header_only_file_rejected():
    msg = _err(msp().iloc[:0], "msp")
    assert "aucune ligne de données" in msg


@pytest.mark.parametrize("study", list(STUDIES))
def test_data_dictionary_generated_from_schema(study):
    dd = data_dictionary(study)
    assert list(dd["colonne"]) == STUDIES[study].columns
    assert dd["description"].str.len().gt(5).all()


def test_french_csv_accepted(tmp_path):
    df = msp()
    df.to_csv(tmp_path / "msp.csv", sep=";", decimal=",", index=False, encoding="latin-1")
    text = (tmp_path / "msp.csv").read_text(encoding="latin-1")
    assert ";" in text and "," in text.splitlines()[1]  # fees written with a decimal comma
    out = io.load("msp", tmp_path)
    assert np.allclose(out["fees"].astype(float), df["fees"], rtol=1e-9)


def test_latin1_accents_and_bom(tmp_path):
    df = assistants()
    df.to_csv(tmp_path / "assistants.csv", index=False, encoding="utf-8-sig")
    assert io.load("assistants", tmp_path).shape == df.shape
    # A latin-1 file whose only non-ASCII byte is in a value the contract rejects: message still readable.
    bad = msp()
    bad.loc[0, "rurality"] = "rurale éloignée"
    bad.to_csv(tmp_path / "msp.csv", sep=";", decimal=",", index=False, encoding="latin-1")
    with pytest.raises(DataError, match="rurale éloignée"):
        io.load("msp", tmp_path)


def test_parquet_accepted(tmp_path):
    df = asalee()
    df.to_parquet(tmp_path / "asalee.parquet")
    assert io.load("asalee", tmp_path).shape == df.shape


def test_two_files_for_one_study_rejected(tmp_path):
    msp().to_csv(tmp_path / "msp.csv", index=False)
    msp().to_parquet(tmp_path / "msp.parquet")
    with pytest.raises(DataError, match="plusieurs fichiers"):
        io.load("msp", tmp_path)


def test_absent_file_message(tmp_path):
    with pytest.raises(DataError, match="aucun fichier pour l'étude 'msp'.*evalkit simulate"):
        io.load("msp", tmp_path)


def test_unreadable_file(tmp_path):
    (tmp_path / "msp.parquet").write_bytes(b"PAR1 not really a parquet file")
    with pytest.raises(DataError, match="Parquet illisible"):
        io.load("msp", tmp_path)
