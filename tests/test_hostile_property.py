"""Property-style: random corruptions of valid files end in exit 0 with the right table, or in exit 2 with one
message naming the file (and the column) — never a traceback, never exit 1.

Corruptions: a cell (text, infinities, NA spellings, huge or negative numbers, separators and quotes inside a value,
control characters), a column's type, the encoding (Latin-1, Windows-1252, UTF-16, UTF-8 with BOM, stray bytes),
the separator (of the file, of some lines, trailing), line endings, the header (case, a column dropped or doubled),
truncation at a random byte. Seeds are fixed: a failure names its seed and is replayed by the parametrized id.
"""

import os
import re

import numpy as np
import pandas as pd
import pytest
from contract_data import asalee, assistants, msp

from evalkit import cli, io
from evalkit.contracts import NA_TOKENS, STUDIES, validate

SMALL = {"msp": lambda: msp(n_gps=12, years=range(2010, 2014)),
         "asalee": lambda: asalee(n_gps=4, patients_per_gp=3, years=range(2010, 2013)),
         "assistants": lambda: assistants(n_gps=12, years=range(2016, 2020))}

TOKENS = ["", " ", "NA", "NaN", ".", "null", "inf", "-inf", "1e400", "-1", "0", "3.7", "1,5", " 12 ", "12 345",
          "abc", "é", "2030", "1989", "99999999999999999999", "TRUE", '"', "a,b", "a;b", "\t", "x" * 300, "2A",
          "0x10", "1_000", "+5", "−3", "½", "None", "\x01", "2012.0", "NA;NA"]
SEPS = [",", ";", "\t"]
ENCODINGS = ["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16"]


def _write(df: pd.DataFrame, path, sep=",", encoding="utf-8", decimal=".", crlf=False) -> bytes:
    text = df.to_csv(index=False, sep=sep, decimal=decimal, lineterminator="\r\n" if crlf else "\n")
    data = text.encode(encoding, errors="replace")
    path.write_bytes(data)
    return data


def corrupt(rng: np.random.Generator, study: str, folder) -> dict:
    """Write one corrupted file for ``study`` into ``folder``; returns what was done (for the oracle)."""
    df = SMALL[study]()
    path = folder / f"{study}.csv"
    kind = rng.choice(["cell", "cell", "cell", "column", "encoding", "separator", "lines", "header", "truncate",
                       "bytes"])
    info = {"kind": str(kind), "study": study, "file": path.name, "neutral": False}
    sep = str(rng.choice(SEPS))
    decimal = "," if sep != "," and rng.random() < 0.5 else "."
    enc = "utf-8"
    if kind == "cell":
        i, col = int(rng.integers(len(df))), str(rng.choice(df.columns))
        tok = str(rng.choice(TOKENS))
        df[col] = df[col].astype(object)
        df.loc[i, col] = tok
        info.update(row=i, column=col, token=tok)
    elif kind == "column":
        col = str(rng.choice(df.columns))
        how = rng.choice(["text", "float", "bool", "empty", "spaces"])
        if how == "text":
            df[col] = "valeur"
        elif how == "float":
            df[col] = pd.to_numeric(df[col], errors="coerce") + 0.5
        elif how == "bool":
            df[col] = df[col].notna()
        elif how == "empty":
            df[col] = None
        else:
            df[col] = df[col].astype(str).map(lambda v: f"  {v}  ")
            info["neutral"] = "spaces"
        info.update(column=col, how=str(how))
    elif kind == "encoding":
        enc = str(rng.choice(ENCODINGS))
        info.update(neutral=True, encoding=enc)
    elif kind == "header":
        how = rng.choice(["upper", "drop", "double", "rename", "space"])
        cols = list(df.columns)
        c = int(rng.integers(len(cols)))
        if how == "upper":
            df.columns = [x.upper() for x in cols]
            info["neutral"] = True
        elif how == "space":
            df.columns = [f" {x} " for x in cols]
            info["neutral"] = True
        elif how == "drop":
            df = df.drop(columns=cols[c])
        elif how == "double":
            df.insert(len(cols), cols[c] + "_", df[cols[c]])
            df = df.rename(columns={cols[c] + "_": cols[c]})
        else:
            df = df.rename(columns={cols[c]: cols[c] + "x"})
        info.update(how=str(how), column=cols[c])
    data = _write(df, path, sep=sep, encoding=enc, decimal=decimal, crlf=bool(rng.random() < 0.3))
    if kind == "separator":
        lines = data.decode().split("\n")
        how = rng.choice(["trailing_all", "trailing_some", "other_sep_line", "header_trailing"])
        idx = rng.choice(np.arange(1, len(lines) - 1), size=min(3, len(lines) - 2), replace=False)
        if how == "trailing_all":
            lines = [lines[0]] + [ln + sep if ln else ln for ln in lines[1:]]
        elif how == "trailing_some":
            for k in idx:
                lines[k] += sep
        elif how == "other_sep_line":
            other = ";" if sep != ";" else ","
            for k in idx:
                lines[k] = lines[k].replace(sep, other)
        else:
            lines[0] += sep
        path.write_bytes("\n".join(lines).encode())
        info["how"] = str(how)
    elif kind == "lines":
        lines = data.decode().split("\n")
        how = rng.choice(["blank", "dup_header", "comment", "shuffle"])
        k = int(rng.integers(1, len(lines) - 1))
        if how == "blank":
            lines.insert(k, "")
            info["neutral"] = True
        elif how == "dup_header":
            lines.insert(k, lines[0])
        elif how == "comment":
            lines.insert(0, "# extraction du 12/03/2024")
        else:
            body = lines[1:-1]
            rng.shuffle(body)
            lines = [lines[0], *body, lines[-1]]
            info["neutral"] = "order"
        path.write_bytes("\n".join(lines).encode())
        info["how"] = str(how)
    elif kind == "truncate":
        cut = int(rng.integers(0, len(data)))
        path.write_bytes(data[:cut])
        info["cut"] = cut
    elif kind == "bytes":
        b = bytearray(data)
        for _ in range(int(rng.integers(1, 4))):
            b[int(rng.integers(len(b)))] = int(rng.integers(0, 256))
        path.write_bytes(bytes(b))
    return info


def _check_one(seed: int, tmp_path, capsys):
    rng = np.random.default_rng(seed)
    study = str(rng.choice(list(SMALL)))
    folder = tmp_path / f"s{seed}"
    folder.mkdir()
    info = corrupt(rng, study, folder)
    capsys.readouterr()
    code = cli.main(["--quiet", "validate", "--data", str(folder)])  # any other exception fails the test
    out, err = capsys.readouterr()
    assert code in (0, 2), (seed, info, code, err)
    assert "Traceback" not in err
    if code == 2:
        assert err.count("evalkit : erreur :") == 1, (seed, info, err)
        first = err.split("evalkit : erreur : ", 1)[1]
        assert first.startswith(info["file"]) or first.startswith(folder.name), (seed, info, err)
        assert "Pour corriger" in err, (seed, info, err)
        if info["kind"] in ("cell", "column") or (info["kind"] == "header" and info["how"] != "double"):
            assert re.search(r"colonnes? '|'[a-z_0-9]+'", err), (seed, info, err)  # a column is named
        assert not info["neutral"], (seed, info, err)  # a neutral change must not be refused
        return info, None
    # exit 0: the table read is the right one
    got = validate(io.read_table(folder / info["file"]), study, file=info["file"])
    ref = validate(io.read_table(_reference(study, tmp_path)), study, file=info["file"])
    if info["neutral"] is True or info["neutral"] == "spaces":
        pd.testing.assert_frame_equal(got.reset_index(drop=True), ref.reset_index(drop=True), check_dtype=False)
    elif info["neutral"] == "order":
        key = [STUDIES[study].unit, STUDIES[study].time]
        pd.testing.assert_frame_equal(got.sort_values(key).reset_index(drop=True),
                                      ref.sort_values(key).reset_index(drop=True), check_dtype=False)
    elif info["kind"] == "cell":
        _check_cell(got, ref, info)
    return info, got


def _reference(study, tmp_path):
    p = tmp_path / f"ref_{study}.csv"
    if not p.exists():
        SMALL[study]().to_csv(p, index=False)
    return p


def _expected(token: str, col: str, study: str):
    """An independent reading of an accepted token: what the cell must hold."""
    t = token.strip()
    if t == "" or t.lower() in NA_TOKENS:
        return None
    dtype = str(STUDIES[study].schema.columns[col].dtype)
    if dtype.startswith(("Int", "float")):
        return float(t.replace(" ", "").replace(",", "."))
    if col in ("rurality", "am_option"):
        return t.lower()
    if col == "department":
        return t.upper().zfill(2) if t.isdigit() else t.upper()
    return t


def _check_cell(got, ref, info):
    col, i = info["column"], info["row"]
    if len(got) != len(ref):
        return  # e.g. the token was a blank line's worth: checked by other properties
    others = [c for c in ref.columns if c != col]
    pd.testing.assert_frame_equal(got[others].reset_index(drop=True), ref[others].reset_index(drop=True),
                                  check_dtype=False)
    exp = _expected(info["token"], col, info["study"])
    val = got[col].iloc[i]
    if exp is None:
        assert pd.isna(val), (info, val)
    elif isinstance(exp, float):
        assert float(val) == pytest.approx(exp), (info, val)
    else:
        assert str(val) == exp, (info, val)


FAST_SEEDS = range(160)


@pytest.mark.parametrize("seed", FAST_SEEDS)
def test_random_corruption(seed, tmp_path, capsys):
    _check_one(seed, tmp_path, capsys)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1000, 3000))
def test_random_corruption_many(seed, tmp_path, capsys):
    _check_one(seed, tmp_path, capsys)


def test_neutral_changes_are_accepted_and_read_identically(tmp_path, capsys):
    """Every encoding × separator × decimal mark × line ending of the same table reads to the same table."""
    ref = validate(io.read_table(_reference("msp", tmp_path)), "msp", file="msp.csv")
    for enc in ENCODINGS:
        for sep in SEPS:
            for crlf in (False, True):
                d = tmp_path / f"{enc}_{ord(sep)}_{crlf}"
                d.mkdir()
                _write(SMALL["msp"](), d / "msp.csv", sep=sep, encoding=enc, decimal="," if sep != "," else ".",
                       crlf=crlf)
                assert cli.main(["--quiet", "validate", "--data", str(d)]) == 0, capsys.readouterr().err
                got = validate(io.read_table(d / "msp.csv"), "msp", file="msp.csv")
                pd.testing.assert_frame_equal(got, ref, check_dtype=False)
