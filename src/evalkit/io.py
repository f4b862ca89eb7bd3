"""Reading study files as evaluators really have them, and writing outputs atomically.

- CSV with ``,`` ``;`` or tab separators, decimal comma, UTF-8 (with or without BOM) or Latin-1/Windows-1252;
- Parquet.
Everything is read as text first, so that the contract check (:mod:`evalkit.contracts`) can name the offending values
instead of failing inside a parser.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import Iterable

import pandas as pd

from . import paths

_UMASK = os.umask(0)
os.umask(_UMASK)
from .contracts import STUDIES, DataError, DataWarning, out_of_window, validate

EXTENSIONS = (".csv", ".csv.gz", ".parquet", ".pq")
FIX = "Pour corriger :"


def _err(path: Path, what: str, fix: str, column: str | None = None) -> DataError:
    return DataError(f"{path.name} : {what}{'' if what.endswith('?') else '.'} {FIX} {fix}", file=path.name,
                     column=column)


def find_file(study: str, data_dir: Path | str) -> Path | None:
    """The file holding ``study`` in ``data_dir`` (``msp.csv``, ``msp.parquet``, ``MSP.CSV``…), or None if absent.

    Names are matched without regard to case (a warning is given by :func:`load` when the case differs). A name that
    exists but cannot be read as a file (dangling symbolic link, folder, no read permission) is a :class:`DataError`
    rather than an absent study: the study must not silently drop out of the book.
    """
    data_dir = Path(data_dir)
    names = {f"{study}{ext}" for ext in EXTENSIONS}
    try:
        entries = sorted(data_dir.iterdir())
    except FileNotFoundError:
        return None
    except (PermissionError, NotADirectoryError) as e:
        raise DataError(f"{data_dir} : dossier illisible ({type(e).__name__}). {FIX} donner le droit de lecture sur "
                        "le dossier (chmod u+rx) ou copier les fichiers dans un dossier lisible",
                        file=str(data_dir)) from None
    found = [p for p in entries if p.name.lower() in names]
    if len(found) > 1:
        raise DataError(f"{data_dir.name} : plusieurs fichiers pour l'étude '{study}' "
                        f"({', '.join(p.name for p in found)}). {FIX} n'en garder qu'un seul",
                        file=found[0].name)
    if not found:
        return None
    path = found[0]
    if path.is_symlink() and not path.exists():
        raise _err(path, f"lien symbolique vers {os.readlink(path)}, qui n'existe pas (lien cassé)",
                   f"refaire le lien vers le fichier réel (ln -sf CHEMIN_DU_FICHIER {path.name}) ou copier le "
                   "fichier lui-même dans le dossier de données")
    if path.is_dir():
        raise _err(path, "est un dossier, pas un fichier",
                   f"placer le fichier {study}.csv (ou {study}.parquet) lui-même dans le dossier de données")
    if not path.is_file():
        raise _err(path, "n'est pas un fichier ordinaire (tube, périphérique ?)", "copier les données dans un "
                   f"fichier {study}.csv ordinaire")
    if not os.access(path, os.R_OK):
        raise _err(path, "fichier illisible : droit de lecture refusé",
                   f"donner le droit de lecture (chmod u+r {path.name}) ou en faire une copie lisible")
    return path


# --- what a file really is ----------------------------------------------------------------------------------------

def _head(path: Path, n: int = 65536) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except PermissionError:
        raise _err(path, "fichier illisible : droit de lecture refusé",
                   f"donner le droit de lecture (chmod u+r {path.name}) ou en faire une copie lisible") from None
    except OSError as e:
        raise _err(path, f"fichier illisible ({e.strerror or type(e).__name__})",
                   "vérifier le support (disque, partage réseau) ou copier le fichier en local") from None


def file_kind(raw: bytes) -> str | None:
    """What a file is from its first bytes: ``xlsx``, ``ods``, ``zip``, ``xls``, ``gzip``, ``parquet``, ``pdf``,
    ``utf-16`` (text with a UTF-16 byte-order mark), ``binary`` (other non-text), or None for plain text."""
    if raw.startswith(b"PK\x03\x04"):
        if b"xl/" in raw[:4096] or b"[Content_Types].xml" in raw[:4096]:
            return "xlsx"
        if b"opendocument.spreadsheet" in raw[:4096]:
            return "ods"
        return "zip"
    for magic, kind in ((b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xls"), (b"\x1f\x8b", "gzip"), (b"PAR1", "parquet"),
                        (b"%PDF", "pdf"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(magic):
            return kind
    return "binary" if b"\x00" in raw else None


_KIND_FR = {
    "xlsx": "un classeur Excel (.xlsx)", "xls": "un classeur Excel 97-2003 (.xls)",
    "ods": "un classeur LibreOffice (.ods)", "zip": "une archive ZIP", "gzip": "un fichier compressé gzip",
    "parquet": "un fichier Parquet", "pdf": "un document PDF", "binary": "un fichier binaire, pas du texte",
}


def _kind_fix(kind: str, stem: str) -> str:
    """How to turn a file of this :func:`file_kind` into what evalkit reads, as the data of study ``stem``."""
    workbook = (f"ouvrir le classeur et l'enregistrer au format CSV (« CSV UTF-8 » ou « CSV (séparateur : "
                f"point-virgule) »), sous le nom {stem}.csv")
    return {"xlsx": workbook, "xls": workbook, "ods": workbook,
            "zip": f"décompresser l'archive et placer {stem}.csv dans le dossier de données",
            "gzip": f"le renommer {stem}.csv.gz (evalkit le lit compressé) ou le décompresser (gunzip)",
            "parquet": f"le renommer {stem}.parquet"}.get(
        kind, f"exporter les données en CSV (séparateur , ou ;) avec une ligne d'en-tête, sous le nom {stem}.csv")


def _encoding(path: Path) -> str:
    """UTF-16 if the file starts with its byte-order mark; UTF-8 if the whole file decodes as UTF-8; else
    Windows-1252 if it decodes as such (a superset of Latin-1 for printable text); else Latin-1 (decodes anything)."""
    import codecs

    with _open_binary(path) as fh:
        head = fh.read(2)
    if head in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    for enc in ("utf-8-sig", "cp1252"):
        dec = codecs.getincrementaldecoder(enc)()
        with _open_binary(path) as fh:
            try:
                while chunk := fh.read(1 << 20):
                    dec.decode(chunk)
                dec.decode(b"", final=True)
                return enc
            except UnicodeDecodeError:
                continue
    return "latin-1"


def _open_binary(path: Path):
    if path.name.lower().endswith(".gz"):
        import gzip

        return gzip.open(path, "rb")
    return open(path, "rb")


def sniff_csv(path: Path) -> dict:
    """Separator, decimal mark and encoding of a CSV file."""
    encoding = _encoding(path)
    with _open_binary(path) as fh:
        raw = fh.read(64 * 1024)
    text = raw.decode(encoding, errors="replace")
    header = text.splitlines()[0] if text else ""
    m = re.match(r"^\ufeff?\s*\"?sep=(.)\"?\s*$", header)
    if m:  # Excel's « sep=; » hint line before the header
        lines = text.splitlines()
        sep = m.group(1)
        return {"sep": sep, "decimal": "," if sep in (";", "\t", "|") else ".", "encoding": encoding, "skip": 1,
                "header_line": lines[1] if len(lines) > 1 else ""}
    counts = {sep: header.count(sep) for sep in (";", ",", "\t", "|")}
    sep = max(counts, key=counts.get)
    if counts[sep] == 0:
        try:
            sep = csv.Sniffer().sniff(text[:4096]).delimiter
        except csv.Error:
            sep = ","
    decimal = "," if sep in (";", "\t", "|") else "."
    return {"sep": sep, "decimal": decimal, "encoding": encoding, "skip": 0}


_SEP_FR = {";": "point-virgule", ",": "virgule", "\t": "tabulation", "|": "barre verticale"}


def _check_fields(path: Path, opts: dict) -> list[str]:
    """Header vs data lines field counts (a trailing separator on data lines shifts every column in pandas);
    duplicated header names. Returns the raw header."""
    sep = opts["sep"]
    with _open_binary(path) as raw:
        import io as _io

        fh = _io.TextIOWrapper(raw, encoding=opts["encoding"], newline="")
        reader = csv.reader(fh, delimiter=sep)
        try:
            for _ in range(opts.get("skip", 0)):
                next(reader)
            header = next(reader)
        except StopIteration:
            raise _err(path, "le fichier est vide (aucune ligne)", "réexporter le fichier avec son en-tête et ses "
                       "lignes de données") from None
        except csv.Error as e:
            raise _err(path, f"en-tête illisible ({e})", "réexporter le fichier en CSV") from None
        h = len(header)
        bad: dict[int, list[int]] = {}
        n_bad: dict[int, int] = {}
        n_data = 0
        extra_empty = True
        try:
            for row in reader:
                if not row:
                    continue
                n_data += 1
                if len(row) != h:
                    n_bad[len(row)] = n_bad.get(len(row), 0) + 1
                    lines = bad.setdefault(len(row), [])
                    if len(lines) < 5:
                        lines.append(reader.line_num)
                    if len(row) > h and any(v.strip() for v in row[h:]):
                        extra_empty = False
        except csv.Error as e:
            raise _err(path, f"ligne {reader.line_num} illisible ({e})", "vérifier les guillemets de cette ligne "
                       "(un guillemet ouvert doit être refermé)") from None
    if bad:
        k = max(n_bad, key=n_bad.get)
        lines = ", ".join(map(str, bad[k]))
        n = n_bad[k]
        tot = sum(n_bad.values())
        what = (f"l'en-tête a {h} champs, {'les' if n == n_data else str(n)} ligne{'s' if n > 1 else ''} de données "
                f"{'en ont' if n > 1 else 'en a'} {k} (ligne{'s' if len(bad[k]) > 1 else ''} {lines}"
                f"{'…' if n > len(bad[k]) else ''})")
        if tot > n:
            o = tot - n
            what += f" ; {o} autre{'s' if o > 1 else ''} ligne{'s' if o > 1 else ''} n'{'ont' if o > 1 else 'a'} pas {h} champs"
        sep_fr = _SEP_FR.get(sep, repr(sep))
        if k == h + 1 and extra_empty:
            what += " : séparateur final ?"
            fix = (f"supprimer le séparateur ({sep_fr}) en fin de ligne des données, ou en ajouter un à la fin de "
                   f"l'en-tête ; sinon chaque valeur est décalée d'une colonne (dernière colonne : '{header[-1]}')")
        elif k > h:
            what += " : séparateur dans une valeur ?"
            fix = (f"mettre entre guillemets les valeurs qui contiennent le séparateur ({sep_fr}) — par exemple une "
                   "virgule décimale dans un fichier séparé par des virgules —, ou exporter avec le point-virgule")
        else:
            what += f" : lignes tronquées ou valeurs manquantes (dès la colonne '{header[k]}') ?"
            fix = f"réexporter le fichier complet : chaque ligne doit avoir les {h} champs de l'en-tête"
        raise _err(path, what, fix, column=header[-1] if header else None)
    return header


def read_table(path: Path | str) -> pd.DataFrame:
    """Read a CSV or Parquet file as text columns (no type guessing). Raises DataError if unreadable.

    Says what a file is when it is not what its name says (Excel workbook, archive, gzip, Parquet named ``.csv``…),
    checks that every data line has as many fields as the header, and drops lines whose fields are all empty (with a
    :class:`~evalkit.contracts.DataWarning`).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path.name} : fichier introuvable. {FIX} vérifier le nom et le dossier donnés à --data",
                        file=path.name)
    raw = _head(path)
    name = path.name.lower()
    stem = next((name[: -len(ext)] for ext in sorted(EXTENSIONS, key=len, reverse=True) if name.endswith(ext)),
                path.stem)  # the study the file is named after (msp for MSP.csv.gz)
    if not raw:
        raise _err(path, "le fichier est vide (0 octet)", "réexporter le fichier avec son en-tête et ses lignes")
    kind = file_kind(raw)
    if name.endswith((".parquet", ".pq")):
        if kind != "parquet":
            what = _KIND_FR.get(kind, "un fichier texte (CSV ?)") if kind != "utf-16" else "un fichier texte UTF-16"
            fix = (f"le renommer {stem}.csv" if kind in (None, "utf-16") else _kind_fix(kind, stem))
            raise _err(path, f"n'est pas un fichier Parquet : c'est {what}", fix)
        try:
            df = pd.read_parquet(path)
        except Exception as e:  # noqa: BLE001 - any reader failure is a user-facing data problem
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise _err(path, f"fichier Parquet illisible ({first[:200]}) : tronqué ou corrompu ?",
                       "réexporter le fichier (Parquet ou CSV)") from None
        df.columns = [str(c).strip().lstrip("\ufeff").lower() for c in df.columns]
        return df
    if name.endswith(".gz"):
        if kind != "gzip":
            raise _err(path, "n'est pas compressé gzip malgré son nom" + (f" : c'est {_KIND_FR[kind]}"
                                                                           if kind in _KIND_FR else ""),
                       f"le renommer {stem}.csv" if kind is None else _kind_fix(kind, stem))
        try:
            with _open_binary(path) as fh:
                inner = fh.read(65536)
        except (OSError, EOFError) as e:
            raise _err(path, f"fichier gzip illisible ({type(e).__name__}) : tronqué ou corrompu ?",
                       "le recompresser ou fournir le CSV non compressé") from None
        kind = file_kind(inner) if inner else None
        if not inner:
            raise _err(path, "le fichier compressé est vide", "réexporter le fichier")
    if kind not in (None, "utf-16"):
        raise _err(path, f"c'est {_KIND_FR[kind]}, pas un fichier CSV malgré son nom", _kind_fix(kind, stem))
    try:
        opts = sniff_csv(path)
        header = _check_fields(path, opts)
        df = pd.read_csv(path, sep=opts["sep"], dtype=str, keep_default_na=False, na_values=[""],
                         encoding=opts["encoding"], skipinitialspace=True, index_col=False,
                         skiprows=opts.get("skip", 0) or None,
                         compression="gzip" if name.endswith(".gz") else None)
    except DataError:
        raise
    except (OSError, EOFError) as e:
        raise _err(path, f"fichier illisible ({type(e).__name__}: {str(e)[:200]}) : tronqué ou corrompu ?",
                   "réexporter le fichier") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, csv.Error) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise _err(path, f"ne peut pas être lu comme un tableau ({first[:200]})",
                   "exporter les données en CSV (séparateur , ou ;) avec une ligne d'en-tête, ou en Parquet") from None
    df.attrs["csv_dialect"] = opts
    if opts["decimal"] == ",":
        df.attrs["decimal_comma"] = True
    cols = [str(c).strip().lstrip("\ufeff").lower() for c in header]
    dup = sorted({c for c in cols if cols.count(c) > 1 and c})
    if dup:
        raise DataError(f"{path.name} : colonne{'s' if len(dup) > 1 else ''} "
                        f"{', '.join(repr(c) for c in dup)} en double dans l'en-tête. {FIX} garder une seule "
                        f"colonne de chaque nom", file=path.name, column=dup[0])
    df.columns = [c if c else f"unnamed: {i}" for i, c in enumerate(cols)]
    empty = df.isna().all(axis=1)
    if empty.any() and not empty.all():
        warnings.warn(f"{path.name} : {int(empty.sum())} ligne{'s' if empty.sum() > 1 else ''} entièrement "
                      f"vide{'s' if empty.sum() > 1 else ''} ignorée{'s' if empty.sum() > 1 else ''}",
                      DataWarning, stacklevel=2)
        df = df[~empty].reset_index(drop=True)
    return df


def load(study: str, data_dir: Path | str | None = None, balance: str | None = None) -> pd.DataFrame:
    """Read and validate ``study``'s file from ``data_dir`` (default: :func:`evalkit.paths.data_dir`).

    Returns a DataFrame with the contract's columns and types, or raises :class:`DataError`. Then applies, once for
    every study, the rule on treatment dates outside the observed years (:func:`evalkit.contracts.out_of_window`):
    after the last year → never treated during the panel; in or before the first year → excluded (no pre-period).
    The counts are in ``df.attrs["out_of_window"]`` (:func:`evalkit.contracts.window_sentence` for the pages).

    ``balance``: the unbalanced-panel rule (:func:`evalkit.contracts.validate`); default ``EVALKIT_BALANCE`` or
    ``"warn"``. When ``EVALKIT_VALIDATED_CACHE`` names a folder (``evalkit run`` sets one), the validated table is
    kept there under the file's SHA-256 and read back by later loads of the same bytes, with the same warnings.
    """
    if study not in STUDIES:
        raise ValueError(f"unknown study {study!r}; expected one of {', '.join(STUDIES)}")
    balance = balance or os.environ.get(ENV_BALANCE) or "warn"
    data_dir = Path(data_dir) if data_dir is not None else paths.data_dir()
    path = find_file(study, data_dir)
    if path is None:
        raise DataError(f"{data_dir.name} : aucun fichier pour l'étude '{study}' ({study}.csv ou {study}.parquet "
                        f"attendu). {FIX} placer le fichier dans ce dossier, ou lancer `evalkit simulate --out "
                        f"{data_dir}` pour des données synthétiques", file=f"{study}.csv")
    if path.name != path.name.lower():  # find_file matched the lower-case name
        warnings.warn(f"{path.name} : lu comme le fichier de l'étude {study} (nom attendu en minuscules : "
                      f"{path.name.lower()})", DataWarning, stacklevel=2)
    cached = _cache_file(study, path, balance)
    if cached is not None and cached.is_file():
        try:
            df, msgs = pd.read_pickle(cached)
        except Exception:  # noqa: BLE001 - an unreadable cache entry is ignored: the file is validated again
            pass
        else:
            for m in msgs:  # the warnings the first validation gave, said again where this load happens
                warnings.warn(m, DataWarning, stacklevel=2)
            return df
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        df = read_table(path)
        df = validate(df, study, file=path.name, balance=balance)
        df = out_of_window(df, study, file=path.name)
    msgs = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    for w in caught:  # hand every warning on to the caller's filters, in order
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if cached is not None:
        with contextlib.suppress(OSError):  # no cache: the next load validates again
            tmp = cached.with_name(f".{cached.name}.{os.getpid()}.tmp")
            pd.to_pickle((df, msgs), tmp)
            os.replace(tmp, cached)
    return df


#: The unbalanced-panel rule of :func:`load` when none is given (``evalkit run --balance`` sets it for its chapters).
ENV_BALANCE = "EVALKIT_BALANCE"
#: Folder where :func:`load` keeps validated tables, keyed by the file's SHA-256 (set by ``evalkit run`` for the
#: chapters it executes, so that each file is validated once per run; unset: no cache).
ENV_CACHE = "EVALKIT_VALIDATED_CACHE"


def _cache_file(study: str, path: Path, balance: str) -> Path | None:
    """Where :func:`load` caches ``study``'s validated table (None when no cache folder is set)."""
    folder = os.environ.get(ENV_CACHE)
    if not folder or not Path(folder).is_dir():
        return None
    from . import __version__

    return Path(folder) / f"{study}-{sha256(path)[:32]}-{balance}-{__version__}.pkl"


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
    return _write_atomic(target, lambda fh: df.to_csv(fh, index=False, **kw), "w", encoding="utf-8", newline="")


def write_bytes_atomic(data: bytes, target: Path | str) -> Path:
    return _write_atomic(target, lambda fh: fh.write(data), "wb")


def _write_atomic(target: Path | str, write, mode: str, **open_kw) -> Path:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, mode, **open_kw) as fh:
            write(fh)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def safe_rel(rel: str) -> bool:
    """True for a relative path that stays inside its folder (not empty, not absolute, no ``..``)."""
    p = Path(rel)
    return bool(rel) and not p.is_absolute() and ".." not in p.parts


def walk_entries(folder: Path):
    """``os.walk(folder)`` top-down without following links, a symbolic link to a folder listed among the files."""
    for root, dirs, files in os.walk(folder, topdown=True, followlinks=False):
        rp = Path(root)
        for d in list(dirs):
            if (rp / d).is_symlink():
                files.append(d)
                dirs.remove(d)
        yield rp, dirs, files


def replace_dir(new: Path | str, target: Path | str, written: set[str] | Iterable[str] = (),
                protect: Iterable[Path | str] = ()) -> Path | None:
    """Put the folder ``new`` in place of ``target``, deleting only the files of ``target`` that evalkit wrote.

    ``written``: paths (relative to ``target``) of the files an earlier run wrote there (its manifest); every other
    entry of ``target`` — a note the user added, a folder, a symbolic link — is moved, at the same relative path,
    into the new folder. Nothing is ever deleted recursively: evalkit's files are unlinked one by one, then the folders
    they leave empty; ``protect`` (the input files, resolved) are never unlinked. Returns None, or the path where the
    old folder was left when something unexpected remained in it (it is then kept, not deleted).

    Steps (each a rename on the same file system): target → hidden ``.old`` sibling; new → target; foreign entries
    ``.old`` → target; evalkit's files removed from ``.old``. An interruption leaves either the old or the new output
    in place, and the other beside it — never a lost file.
    """
    new, target = Path(new), Path(target)
    if not target.exists() and not target.is_symlink():
        os.replace(new, target)
        return None
    written = {w for w in written if safe_rel(w)}
    protect = {Path(p).resolve() for p in protect}
    old = target.with_name(f".{target.name}.old.{os.getpid()}")
    os.replace(target, old)
    try:
        os.replace(new, target)
    except BaseException:
        os.replace(old, target)
        raise
    # foreign entries: move them back, same place
    for rp, dirs, files in walk_entries(old):
        for f in files:
            src = rp / f
            rel = src.relative_to(old).as_posix()
            if rel in written:
                continue
            dest = target / rel
            if dest.exists() or dest.is_symlink():
                continue  # never overwrite: stays in the old folder, which is then kept
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
        if rp != old and not dirs and not files and not any(w.startswith(rp.relative_to(old).as_posix() + "/")
                                                            for w in written):
            dest = target / rp.relative_to(old)
            dest.mkdir(parents=True, exist_ok=True)  # a folder the user made, empty: keep it too
    for rel in sorted(written):
        p = old / rel
        if not (p.parent.resolve() == old.resolve() or old.resolve() in p.parent.resolve().parents):
            continue  # a folder of the old output that is a link elsewhere: not ours to touch
        if (p.is_file() or p.is_symlink()) and (p.is_symlink() or p.resolve() not in protect):
            p.unlink()
    for root, _, _ in os.walk(old, topdown=False, followlinks=False):
        with contextlib.suppress(OSError):
            Path(root).rmdir()  # only succeeds on an empty folder
    return old if old.exists() else None
