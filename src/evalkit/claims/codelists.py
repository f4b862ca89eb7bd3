"""Code lists as data: versioned CSV files, one row per code.

Every file has the columns ``indicator, code_system, code, label, source, verified``. The default lists ship in
``evalkit/claims/codes/`` (``diabetes_v1.csv``, ``gp_activity_v1.csv``); a new version is a new file, never an edit
in place, so that a result can always name the lists it was computed with (:func:`fingerprint`).

``code_system`` says where the code is looked up in the claims:

=============== ================================================ =====================================
code_system     column                                           matching
=============== ================================================ =====================================
``NABM``        ``ER_BIO_F.BIO_PRS_IDE`` (stored as an integer)  integer equality (``0592`` = 592)
``CCAM``        ``ER_CAM_F.CAM_PRS_IDE``                         exact code, upper case
``ATC``         ``IR_PHA_R.PHA_ATC_C07`` (joined on CIP13)       prefix (``A10`` matches ``A10BA02``)
``PSE_SPE_COD`` ``ER_PRS_F.PSE_SPE_COD`` (executing specialty)   integer equality
``PRS_NAT_REF`` ``ER_PRS_F.PRS_NAT_REF`` (nature of the service) integer equality
=============== ================================================ =====================================

Indicators the pipeline knows (:data:`INDICATORS`): the six Asalée follow-up indicators' events
(``hba1c``, ``microalb``, ``creatinine``, ``lipids``, ``ecg_cardio``, ``fundus``), the treated-diabetes rule
(``diabetes_drug``, ``diabetes_drug_excluded``, ``sglt2``) and GP activity (``consultation``: natures of service
counted as a consultation or visit; ``general_practice``: specialties counted as general practice).

The mapping code → indicator is evalkit's own (see ``/shared/snds.md``): neither Santé publique France's nor Irdes's
code tables are public. ``verified`` records whether the code's label was checked against a nomenclature file.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Iterable

import pandas as pd

from evalkit.claims.errors import ClaimsError

FIX = "Pour corriger :"

CODES_DIR = Path(__file__).resolve().parent / "codes"
DEFAULT_FILES = ("diabetes_v1.csv", "gp_activity_v1.csv")
COLUMNS = ["indicator", "code_system", "code", "label", "source", "verified"]

#: indicator → code systems it may use
INDICATORS: dict[str, tuple[str, ...]] = {
    "diabetes_drug": ("ATC",),
    "diabetes_drug_excluded": ("ATC",),
    "sglt2": ("ATC",),
    "hba1c": ("NABM",),
    "microalb": ("NABM",),
    "creatinine": ("NABM",),
    "lipids": ("NABM",),
    "ecg_cardio": ("CCAM", "PSE_SPE_COD"),
    "fundus": ("CCAM", "PSE_SPE_COD"),
    "consultation": ("PRS_NAT_REF",),
    "general_practice": ("PSE_SPE_COD",),
}
#: indicators that must have at least one code for the pipeline to run
REQUIRED = ("diabetes_drug", "hba1c", "microalb", "creatinine", "lipids", "ecg_cardio", "fundus",
            "consultation", "general_practice")

_FORMATS = {
    "NABM": re.compile(r"^\d{1,4}$"),
    "CCAM": re.compile(r"^[A-Z]{4}\d{3}$"),
    "ATC": re.compile(r"^[A-Z](\d{2}([A-Z]([A-Z](\d{2})?)?)?)?$"),
    "PSE_SPE_COD": re.compile(r"^\d{1,2}$"),
    "PRS_NAT_REF": re.compile(r"^\d{1,4}$"),
}
_TRUE = {"true", "1", "yes", "oui"}
_FALSE = {"false", "0", "no", "non"}


def default_files() -> list[Path]:
    """The code-list files shipped with evalkit, in load order."""
    return [CODES_DIR / f for f in DEFAULT_FILES]


def _as_files(paths: str | Path | Iterable[str | Path] | None) -> list[Path]:
    if paths is None:
        return default_files()
    if isinstance(paths, (str, Path)):
        p = Path(paths)
        return sorted(p.glob("*.csv")) if p.is_dir() else [p]
    return [Path(p) for p in paths]


def load_codes(paths: str | Path | Iterable[str | Path] | None = None) -> pd.DataFrame:
    """Read and check code lists.

    ``paths``: ``None`` (the shipped lists), a CSV file, a folder of CSV files, or a list of files. Returns one row
    per code with the columns of :data:`COLUMNS` plus ``file``; ``verified`` is a bool and ``code`` is normalised
    (NABM and numeric codes without leading zeros, CCAM and ATC upper case). Raises :class:`ClaimsError` naming the
    file, the row and the fix for an unknown indicator or code system, a malformed code or a duplicate.
    """
    files = _as_files(paths)
    if not files:
        raise ClaimsError(f"{paths} : aucun fichier CSV de liste de codes. {FIX} donner un fichier CSV aux colonnes "
                          f"{', '.join(COLUMNS)}, ou omettre --codes pour utiliser les listes livrées avec evalkit",
                          file=str(paths))
    frames = []
    for f in files:
        if not f.is_file():
            raise ClaimsError(f"{f} : fichier de liste de codes introuvable. {FIX} vérifier le chemin donné",
                              file=str(f))
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        df.columns = [c.strip().lower() for c in df.columns]
        missing = [c for c in COLUMNS if c not in df.columns]
        if missing:
            raise ClaimsError(f"{f.name} : colonne{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                              f"absente{'s' if len(missing) > 1 else ''}. {FIX} une liste de codes a les colonnes "
                              f"{', '.join(COLUMNS)}, une ligne par code", file=str(f), column=missing[0])
        df = df[COLUMNS].apply(lambda s: s.str.strip())
        df["file"] = f.name
        df["line"] = range(2, len(df) + 2)  # line number in the file (header is line 1)
        frames.append(df)
    codes = pd.concat(frames, ignore_index=True)

    problems: list[str] = []
    for r in codes.itertuples(index=False):
        where = f"{r.file} : ligne {r.line}"
        if r.indicator not in INDICATORS:
            problems.append(f"{where} : colonne 'indicator' : indicateur inconnu {r.indicator!r}. {FIX} choisir "
                            f"parmi {', '.join(INDICATORS)}")
            continue
        if r.code_system not in INDICATORS[r.indicator]:
            problems.append(f"{where} : colonne 'code_system' : {r.code_system!r} ne peut pas définir "
                            f"{r.indicator!r}. {FIX} utiliser {' ou '.join(INDICATORS[r.indicator])}")
            continue
        if not _FORMATS[r.code_system].match(r.code.upper()):
            problems.append(f"{where} : colonne 'code' : {r.code!r} n'est pas un code {r.code_system} bien formé. "
                            f"{FIX} écrire le code tel qu'il figure dans la nomenclature {r.code_system}")
        if r.verified.lower() not in _TRUE | _FALSE:
            problems.append(f"{where} : colonne 'verified' : {r.verified!r} n'est ni true ni false. {FIX} écrire "
                            "true ou false")
    if problems:
        raise ClaimsError("\n".join(problems), file=problems[0].split(" : ligne ")[0])

    numeric = codes["code_system"].isin(["NABM", "PSE_SPE_COD", "PRS_NAT_REF"])
    codes["code"] = codes["code"].str.upper()
    codes.loc[numeric, "code"] = codes.loc[numeric, "code"].astype(int).astype(str)
    codes["verified"] = codes["verified"].str.lower().isin(_TRUE)

    dup = codes.duplicated(["indicator", "code_system", "code"], keep=False)
    if dup.any():
        ex = codes.loc[dup].iloc[0]
        raise ClaimsError(f"{ex.file} : colonne 'code' : {int(dup.sum())} lignes répètent un même triplet "
                          f"(indicator, code_system, code), par exemple {ex.indicator}/{ex.code_system}/{ex.code}. "
                          f"{FIX} garder une seule ligne par code",
                          file=str(ex.file), column="code")
    absent = [i for i in REQUIRED if i not in set(codes["indicator"])]
    if absent:
        raise ClaimsError(f"{', '.join(f.name for f in files)} : colonne 'indicator' : aucun code pour "
                          f"{', '.join(absent)}. {FIX} ajouter au moins une ligne pour chacun (les listes livrées "
                          "avec evalkit les définissent tous)",
                          file=str(files[0]), column="indicator")
    return codes.drop(columns="line").reset_index(drop=True)


def fingerprint(paths: str | Path | Iterable[str | Path] | None = None) -> dict[str, str]:
    """SHA-256 (first 16 hex digits) of each code-list file: recorded with every run."""
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest()[:16] for f in _as_files(paths)}


def code_tables(codes: pd.DataFrame) -> dict[str, tuple[list[tuple[str, str]], list[tuple]]]:
    """The small lookup tables the SQL joins on: name → (schema, rows).

    ``codes_bio(indicator, code BIGINT)``, ``codes_cam(indicator, code STRING)``, ``codes_atc(indicator, prefix)``,
    ``codes_spe(indicator, code BIGINT)``, ``codes_nat(indicator, code BIGINT)``.
    """
    out = {}
    for name, system, col, as_int in (("codes_bio", "NABM", "code", True), ("codes_cam", "CCAM", "code", False),
                                      ("codes_atc", "ATC", "prefix", False),
                                      ("codes_spe", "PSE_SPE_COD", "code", True),
                                      ("codes_nat", "PRS_NAT_REF", "code", True)):
        sub = codes[codes["code_system"] == system]
        out[name] = ([("indicator", "string"), (col, "bigint" if as_int else "string")],
                     [(i, int(c) if as_int else c) for i, c in zip(sub["indicator"], sub["code"])])
    return out
