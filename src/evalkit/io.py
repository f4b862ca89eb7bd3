"""Reading study files as evaluators really have them, and writing outputs atomically.

- CSV with ``,`` ``;`` or tab separators, decimal comma, UTF-8 (with or without BOM) or Latin-1/Windows-1252;
- Parquet.
Everything is read as text first, so that the contract check (:mod:`evalkit.contracts`) can name the offending values
instead of failing inside a parser.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd

from . import paths

_UMASK = os.umask(0)
os.umask(_UMASK)
from .contracts import STUDIES, DataError, validate

EXTENSIONS = (".csv", ".csv.gz", ".parquet", ".pq")


def find_file(study: str, data_dir: Path | str) -> Path | None:
    """The file holding ``study`` in ``data_dir`` (``msp.csv``, ``msp.parquet``, …), or None if absent."""
    data_dir = Path(data_dir)
    found = [data_dir / f"{study}{ext}" for ext in EXTENSIONS if (data_dir / f"{study}{ext}").is_file()]
    if len(found) > 1:
        raise DataError(f"{data_dir}: several files for study '{study}' ({', '.join(p.name for p in found)}). "
                        "Fix: keep only one of them", file=str(found[0]))
    return found[0] if found else None


def _decode_sample(raw: bytes) -> tuple[str, str]:
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def _encoding(path: Path) -> str:
    """UTF-8 if the whole file decodes as UTF-8, else Windows-1252 (a superset of Latin-1 for printable text)."""
    import codecs

    dec = codecs.getincrementaldecoder("utf-8-sig")()
    opener = _open_binary(path)
    with opener as fh:
        try:
            while chunk := fh.read(1 << 20):
                dec.decode(chunk)
            dec.decode(b"", final=True)
            return "utf-8-sig"
        except UnicodeDecodeError:
            return "cp1252"


def _open_binary(path: Path):
    if path.name.endswith(".gz"):
        import gzip

        return gzip.open(path, "rb")
    return open(path, "rb")


def sniff_csv(path: Path) -> dict:
    """Separator, decimal mark and encoding of a CSV file."""
    encoding = _encoding(path)
    with _open_binary(path) as fh:
        raw = fh.read(64 * 1024)
    text = raw.decode(encoding if encoding != "utf-8-sig" else "utf-8-sig", errors="replace")
    header = text.splitlines()[0] if text else ""
    counts = {sep: header.count(sep) for sep in (";", ",", "\t", "|")}
    sep = max(counts, key=counts.get)
    if counts[sep] == 0:
        try:
            sep = csv.Sniffer().sniff(text[:4096]).delimiter
        except csv.Error:
            sep = ","
    decimal = "," if sep in (";", "\t", "|") else "."
    return {"sep": sep, "decimal": decimal, "encoding": encoding}


def read_table(path: Path | str) -> pd.DataFrame:
    """Read a CSV or Parquet file as text columns (no type guessing). Raises DataError if unreadable."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found", file=str(path))
    try:
        if path.suffix in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        else:
            opts = sniff_csv(path)
            df = pd.read_csv(path, sep=opts["sep"], dtype=str, keep_default_na=False, na_values=[""],
                             encoding=opts["encoding"], skipinitialspace=True)
            df.attrs["csv_dialect"] = opts
            if opts["decimal"] == ",":
                df.attrs["decimal_comma"] = True
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DataError(f"{path}: cannot be read as a table ({first}). Fix: export it as CSV (separator , or ;) "
                        "with a header line, or as Parquet", file=str(path)) from None
    df.columns = [str(c).strip().lstrip("\ufeff").lower() for c in df.columns]
    return df


def load(study: str, data_dir: Path | str | None = None, balance: str = "warn") -> pd.DataFrame:
    """Read and validate ``study``'s file from ``data_dir`` (default: :func:`evalkit.paths.data_dir`).

    Returns a DataFrame with the contract's columns and types, or raises :class:`DataError`.
    """
    if study not in STUDIES:
        raise ValueError(f"unknown study {study!r}; expected one of {', '.join(STUDIES)}")
    data_dir = Path(data_dir) if data_dir is not None else paths.data_dir()
    path = find_file(study, data_dir)
    if path is None:
        raise DataError(f"{data_dir}: no file for study '{study}' (expected {study}.csv or {study}.parquet). "
                        f"Fix: put the file there, or run `evalkit simulate --out {data_dir}` for synthetic data",
                        file=str(data_dir / f"{study}.csv"))
    df = read_table(path)
    return validate(df, study, file=path.name, balance=balance)


def available(data_dir: Path | str | None = None) -> list[str]:
    """Studies whose file is present in ``data_dir``."""
    data_dir = Path(data_dir) if data_dir is not None else paths.data_dir()
    return [s for s in STUDIES if find_file(s, data_dir) is not None]


def sha256(path: Path | str) -> str:
    """SHA-256 fingerprint of a file (recorded in run.json and beside each chapter's results)."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


# --- atomic outputs ----------------------------------------------------------------------------------------------

def write_csv_atomic(df: pd.DataFrame, target: Path | str, **kw) -> Path:
    """Write ``df`` to ``target`` through a temporary file in the same folder, then rename (atomic on POSIX)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            df.to_csv(fh, index=False, **kw)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_bytes_atomic(data: bytes, target: Path | str) -> Path:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


@contextmanager
def atomic_dir(target: Path | str) -> Iterator[Path]:
    """Build a directory in a temporary sibling and swap it into place only if the block succeeds.

    On failure (exception, KeyboardInterrupt) the temporary directory is removed and ``target`` is untouched.
    """
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    os.chmod(tmp, 0o777 & ~_UMASK)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old.{os.getpid()}")
        os.replace(target, old)
    os.replace(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
