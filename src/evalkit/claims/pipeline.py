"""SNDS-shaped claims → the contract tables, on DuckDB (default) or Spark.

Inputs: a folder with one Parquet file (``ER_PRS_F.parquet``), folder (``ER_PRS_F/*.parquet``) or set of yearly files
(``ER_PRS_F_2015.parquet`` …, the SNDS archive naming) per table — see :data:`TABLES` for the tables and the columns
read — plus, optionally, the referential lists an evaluator receives with an extract: the Asalée association's
participation list ``asalee_participation.csv``, the MSP membership list ``msp_membership.csv`` (``gp_id,
entry_date``), the assistants médicaux contracts ``assistants_contracts.csv`` (``gp_id, start_date, option``) and the
zoning of communes ``zoning.csv`` (``commune, underserved, rurality``) — ``.csv`` or ``.parquet``, in the claims
folder or given as paths.

Outputs (:func:`build_tables`): the Asalée patient-year table (contract ``asalee.csv``), the GP-year panel
``gp_panel.csv`` (``gp_id, year, patients_mt, file_active, acts``) and, when their lists are there, the MSP and
assistants GP-year tables (contracts ``msp.csv`` and ``assistants.csv``). :func:`cli_claims` writes them, atomically,
after validating each contract table, with a ``claims_report.json`` (engine, options, code-list fingerprints, row
counts and exclusions).

Rules, in the order they apply (all defaults of :class:`ClaimsOptions`; sources in ``/shared/snds.md``):

1. standard DCIR filters — information-only lines out (``DPN_QLF`` and ``PRS_DPN_QLP`` not 71 or 72, HDH/HEVA 2023
   synthesis), public-hospital activity out (``ER_ETE_F.ETE_IND_TAA = 1``), flux window: a care year's lines are
   read from flux months up to 6 months after its end (Santé publique France: > 98 % of a year's deliveries);
2. affiliated lines joined on the 9-column key; regularisation lines netted (quantities summed over identical lines,
   totals ≤ 0 dropped); majoration lines (``CPL_MAJ_TOP`` ≥ 2) never count as a consultation;
3. person = ``BEN_NIR_ANO`` through IR_BEN_R on ``BEN_NIR_PSA`` *and* ``BEN_RNG_GEM`` (twins share a PSA);
4. treated diabetic in year Y: ATC A10 (benfluorex excluded) dispensed on ≥ 3 distinct dates in Y, or ≥ 2 with a
   large pack (IR_PHA_R ``PHA_CND_TOP = 'GC'``); SGLT2-inhibitor monotherapy does not count from 2022;
5. the patient's GP in Y is the médecin traitant (IR_MTT_R) of the latest declaration in force during Y — after a
   change of GP within the year, the GP in force at year end; practice numbers are chained to one GP id through
   DA_PRA_R's statistical number when DA_PRA_R is given (a GP who moves keeps one id);
6. indicators (code lists: :mod:`evalkit.claims.codelists`): ``hba1c_3plus`` ≥ 3 HbA1c tests on distinct dates;
   ``microalb``, ``creatinine``, ``lipids`` ≥ 1 test; ``ecg_cardio`` ECG or cardiology consultation; ``fundus_2y``
   fundus examination/retinography or ophthalmology consultation in Y or Y-1;
7. Asalée participation (not in the SNDS): ``asalee_year`` is the GP's entry year from the list (empty if absent);
   ``nurse_followed`` is 1 when the patient-year is on the list *and* the GP is in Asalée that year (the contract
   rule); listed patient-years that fail the second condition are counted in the report.

8. GP-year tables (``gp_panel``, ``msp``, ``assistants``): ``patients_mt`` counts the living patients whose
   declaration in force on 31 December names the GP — a death (IR_BEN_R ``BEN_DCD_DTE``, when the column is there)
   closes a declaration that IR_MTT_R leaves open; ``file_active`` and ``acts`` are the distinct patients and the
   net quantity of consultations and visits executed by the GP (general-practice specialty, majorations out);
   ``fees`` (msp) the sum of ``PRS_PAI_MNT``, in cents, of every line the GP executed after the standard filters
   (regularisation lines, negative copies of the original, net out); the GP-years are those with a patient, a
   consultation or (msp) fees;
9. the GP's age, sex and practice commune come from DA_PRA_R (``IPP_ANN_NAI``, ``IPP_SEX_COD``, ``PFS_EXC_COM``) on
   the row of the principal practice the statistical number points to (one commune for all years); the département
   is read off the commune code; ``rurality`` and ``underserved`` come from the zoning of that commune;
10. ``msp_year`` is the year of the GP's earliest MSP entry date; ``am_year`` and ``am_option`` those of the earliest
    contract; list ids (practice or statistical numbers) are chained to GP ids through DA_PRA_R like the claims.

Patient-years of treated diabetics without a médecin traitant, or whose IR_BEN_R rows have no valid sex and birth
year, are left out and counted in the report; so are GP-years without age, sex or commune in DA_PRA_R, or whose
commune is not in the zoning.
"""

from __future__ import annotations

import json
import re
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import pandas as pd

from evalkit.claims import codelists, sql
from evalkit.claims.engines import DuckDBEngine, SparkEngine
from evalkit.claims.errors import ClaimsError
from evalkit.contracts import STUDIES, DataWarning, validate
from evalkit.disclosure import count_fr
from evalkit.fr import fmt_int
from evalkit.io import read_table, write_bytes_atomic, write_csv_atomic

KEY = list(sql.JOIN_KEY)
#: every message to the evaluator is in French and ends with the fix, like those of evalkit.contracts
_FIX = "Pour corriger :"


def _is_not(n) -> str:
    """« n'est » or « ne sont » (pas), agreeing with the count ``n``."""
    return "ne sont" if n > 1 else "n'est"

#: table → (required, columns read, what they are used for)
TABLES: dict[str, tuple[bool, list[str], str]] = {
    "ER_PRS_F": (True, KEY + ["BEN_NIR_PSA", "BEN_RNG_GEM", "EXE_SOI_DTD", "PRS_NAT_REF", "PRS_ACT_QTE", "DPN_QLF",
                              "PRS_DPN_QLP", "CPL_MAJ_TOP", "PFS_EXE_NUM", "PSE_SPE_COD"],
                 "les lignes de prestations, une par prestation remboursée"),
    "ER_BIO_F": (True, KEY + ["BIO_PRS_IDE", "BIO_ACT_QSN"], "les actes de biologie (codes NABM)"),
    "ER_CAM_F": (True, KEY + ["CAM_PRS_IDE"], "les actes CCAM (ECG, fond d'œil)"),
    "ER_PHA_F": (True, KEY + ["PHA_PRS_C13", "PHA_ACT_QSN"],
                 "les délivrances de médicaments (CIP13, nombre de boîtes)"),
    "ER_ETE_F": (True, KEY + ["ETE_IND_TAA"], "le filtre des établissements publics (ETE_IND_TAA)"),
    "IR_PHA_R": (True, ["PHA_CIP_C13", "PHA_ATC_C07", "PHA_CND_TOP"],
                 "le code ATC et le conditionnement de chaque CIP13"),
    "IR_BEN_R": (True, ["BEN_NIR_PSA", "BEN_RNG_GEM", "BEN_NIR_ANO", "BEN_NAI_ANN", "BEN_SEX_COD"],
                 "le pseudonyme, l'année de naissance et le sexe des personnes"),
    "IR_MTT_R": (True, ["BEN_NIR_PSA", "BEN_RNG_GEM", "MTT_PFS_NUM", "MTT_DEP_DTE", "MTT_FIN_DTE"],
                 "les déclarations de médecin traitant"),
    "DA_PRA_R": (False, ["PFS_PFS_NUM", "STA_PFS_NUM"],
                 "le rattachement des numéros de cabinet d'un médecin à un seul identifiant"),
}
#: columns read when present, table → column → what they are used for (without them, the rule says what happens)
OPTIONAL_COLUMNS: dict[str, dict[str, str]] = {
    "IR_BEN_R": {"BEN_DCD_DTE": "les décès, qui closent les déclarations de médecin traitant"},
    "ER_PRS_F": {"PRS_PAI_MNT": "les honoraires de msp.csv"},
    "DA_PRA_R": {"IPP_ANN_NAI": "l'âge du médecin", "IPP_SEX_COD": "le sexe du médecin",
                 "PFS_EXC_COM": "la commune d'exercice (département, zonage)"},
}
PARTICIPATION = "asalee_participation"
#: the referential lists of the MSP and assistants studies, looked for in the claims folder under these names
#: (``.csv`` or ``.parquet``) unless given as paths
MSP_LIST, AM_LIST, ZONING = "msp_membership", "assistants_contracts", "zoning"
ASALEE_COLUMNS = list(STUDIES["asalee"].columns)
GP_PANEL_COLUMNS = ["gp_id", "year", "patients_mt", "file_active", "acts"]
OUTPUTS = ("asalee", "gp_panel", "msp", "assistants")
#: the assistant contract options of assistants.csv and the spellings the contracts list may use
AM_OPTION_SPELLINGS = {"third": "third", "1/3": "third", "tiers": "third", "tiers temps": "third",
                       "tiers-temps": "third", "half": "half", "1/2": "half", "mi-temps": "half", "mi temps": "half",
                       "full": "full", "1": "full", "temps plein": "full", "temps-plein": "full", "plein": "full"}

ProgressFn = Callable[[str], None]


@dataclass(frozen=True)
class ClaimsOptions:
    """Pipeline rules and engine settings. Defaults are the standard SNDS filters and Santé publique France's rules.

    - ``years``: ``(first, last)`` care years to output (default: every year in the data); year ``first - 1`` is
      still read for the two-year fundus indicator.
    - ``flux_lag_months``: flux months read after the end of a care year (0–24; ``None`` = no window).
    - ``excluded_dpn_qlf``: ``DPN_QLF``/``PRS_DPN_QLP`` values dropped (information-only lines).
    - ``exclude_public_hospital``: drop lines whose ER_ETE_F row has ``ETE_IND_TAA = 1``.
    - ``min_dispensing_dates`` / ``min_dispensing_dates_large_pack`` / ``sglt2_monotherapy_excluded_from``: the
      treated-diabetes rule; ``hba1c_min_tests``: tests needed for ``hba1c_3plus``.
    - ``duckdb_threads``, ``duckdb_memory_limit`` (e.g. ``"6GB"``), ``temp_dir`` (DuckDB spill folder).
    """

    years: tuple[int, int] | None = None
    flux_lag_months: int | None = 6
    excluded_dpn_qlf: tuple[int, ...] = (71, 72)
    exclude_public_hospital: bool = True
    min_dispensing_dates: int = 3
    min_dispensing_dates_large_pack: int | None = 2
    sglt2_monotherapy_excluded_from: int | None = 2022
    hba1c_min_tests: int = 3
    duckdb_threads: int | None = None
    duckdb_memory_limit: str | None = None
    temp_dir: str | None = None

    def __post_init__(self):
        if self.years is not None:
            lo, hi = (int(y) for y in self.years)
            if not 1990 <= lo <= hi <= 2100:
                raise ValueError(f"ClaimsOptions : years vaut {self.years!r}, qui n'est pas un couple (première année, "
                                 f"dernière année) avec 1990 ≤ première ≤ dernière ≤ 2100. {_FIX} donner par exemple "
                                 "years=(2015, 2019), ou years=None pour toutes les années des données")
            object.__setattr__(self, "years", (lo, hi))
        if self.flux_lag_months is not None and not 0 <= int(self.flux_lag_months) <= 24:
            raise ValueError(f"ClaimsOptions : flux_lag_months vaut {self.flux_lag_months!r}, hors de 0 à 24 mois (le "
                             f"Health Data Hub recommande au plus deux ans de flux après l'année de soins). {_FIX} "
                             "donner un nombre de mois entre 0 et 24 (6 par défaut), ou None pour lire tous les flux")
        object.__setattr__(self, "excluded_dpn_qlf", tuple(int(c) for c in self.excluded_dpn_qlf))
        for name in ("min_dispensing_dates", "hba1c_min_tests"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"ClaimsOptions : {name} vaut {getattr(self, name)!r}, inférieur à 1. {_FIX} donner "
                                 f"un nombre entier au moins égal à 1 (par défaut {getattr(ClaimsOptions, name)})")
        if self.duckdb_memory_limit is not None and not re.fullmatch(r"\s*\d+(\.\d+)?\s*[KMGT]i?B\s*",
                                                                     self.duckdb_memory_limit, re.I):
            raise ValueError(f"ClaimsOptions : duckdb_memory_limit vaut {self.duckdb_memory_limit!r}, qui n'est pas une "
                             f"quantité de mémoire lisible par DuckDB. {_FIX} écrire un nombre suivi de l'unité en "
                             "anglais, par exemple '6GB' ou '500MB', ou None pour la limite par défaut de DuckDB "
                             "(80 % de la mémoire vive)")

    def rules(self, all_patients: bool, with_death: bool = False) -> sql.Rules:
        return sql.Rules(self.years, self.flux_lag_months, self.excluded_dpn_qlf, self.exclude_public_hospital,
                         self.min_dispensing_dates, self.min_dispensing_dates_large_pack,
                         self.sglt2_monotherapy_excluded_from, self.hba1c_min_tests, all_patients, with_death)


@dataclass
class ClaimsTables:
    """What :func:`build_tables` returns: the output tables (None when not built) and a JSON-ready report."""

    asalee: pd.DataFrame | None
    gp_panel: pd.DataFrame | None
    report: dict = field(default_factory=dict)
    msp: pd.DataFrame | None = None
    assistants: pd.DataFrame | None = None


# --- inputs ---------------------------------------------------------------------------------------------------------

def _is_uri(path: str | Path) -> bool:
    return "://" in str(path)


def find_table(claims_dir: Path, name: str) -> list[Path]:
    """Parquet files of table ``name`` in ``claims_dir`` (``NAME.parquet``, ``NAME/**/*.parquet`` or
    ``NAME_YYYY.parquet``; upper or lower case). Empty list if none."""
    for n in (name, name.lower()):
        f = claims_dir / f"{n}.parquet"
        if f.is_file():
            return [f]
        d = claims_dir / n
        if d.is_dir():
            files = sorted(p for p in d.rglob("*.parquet") if p.is_file())
            if files:
                return files
    return sorted(p for p in claims_dir.glob("*.parquet")
                  if re.fullmatch(rf"{name}_\d{{4}}\.parquet", p.name, flags=re.I))


def _missing_table_error(claims_dir: Path | str, name: str) -> ClaimsError:
    _, _, purpose = TABLES[name]
    csv = [p.name for p in Path(claims_dir).glob(f"{name}*.csv")] if not _is_uri(claims_dir) else []
    hint = (f" ; {csv[0]}, présent, se convertit par duckdb -c \"COPY (SELECT * FROM read_csv('{csv[0]}')) TO "
            f"'{name}.parquet'\"" if csv else "")
    return ClaimsError(
        f"{claims_dir} : table {name} introuvable (cherchée sous {name}.parquet, {name}/*.parquet et "
        f"{name}_AAAA.parquet). Elle donne {purpose}. {_FIX} exporter {name} de l'extraction du SNDS au format "
        f"Parquet dans {claims_dir}{hint}",
        file=str(Path(str(claims_dir)) / f"{name}.parquet"))


def _check_columns(name: str, where: str, columns: Iterable[str]) -> None:
    _, needed, purpose = TABLES[name]
    have = {c.upper() for c in columns}
    missing = [c for c in needed if c not in have]
    if missing:
        raise ClaimsError(
            f"{where} : table {name} : colonne{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"absente{'s' if len(missing) > 1 else ''} (nécessaire{'s' if len(missing) > 1 else ''} pour {purpose}). "
            f"{_FIX} exporter de nouveau {name} avec les colonnes {', '.join(needed)} (noms du SNDS, en majuscules "
            "ou en minuscules)", file=where, column=missing[0])


def read_participation(path: Path) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """The Asalée participation list: GP rows (``gp_id``, ``asalee_year``) and nurse-follow-up rows (``patient_id``,
    ``year``) in one file; a row fills one pair or the other. Returns (gp rows, followed rows)."""
    df = read_table(path)
    where = path.name
    gp_cols, pt_cols = {"gp_id", "asalee_year"}, {"patient_id", "year"}
    have = set(df.columns)
    if not (gp_cols <= have or pt_cols <= have):
        raise ClaimsError(f"{where} : colonnes gp_id, asalee_year (une ligne par médecin entré dans Asalée) ou "
                          f"patient_id, year (une ligne par patient × année suivi par une infirmière Asalée) "
                          f"absentes (colonnes trouvées : {', '.join(map(str, df.columns)) or 'aucune'}). {_FIX} "
                          "nommer les colonnes gp_id, asalee_year et/ou patient_id, year", file=str(path),
                          column="gp_id" if not gp_cols <= have else "patient_id")
    df = df.assign(**{c: None for c in (gp_cols | pt_cols) - have})
    df = df[["gp_id", "asalee_year", "patient_id", "year"]].apply(
        lambda s: s.astype("string").str.strip().replace("", pd.NA))
    is_gp = df["gp_id"].notna() & df["asalee_year"].notna()
    is_pt = df["patient_id"].notna() & df["year"].notna()
    bad = ~(is_gp | is_pt)
    if bad.any():
        rows = ", ".join(str(i + 2) for i in df.index[bad][:5])
        n = int(bad.sum())
        raise ClaimsError(f"{where} : {n} ligne{'s' if n > 1 else ''} ne rempli{'ssent' if n > 1 else 't'} ni "
                          f"(gp_id, asalee_year) ni (patient_id, year) (ligne{'s' if n > 1 else ''} {rows} du "
                          f"fichier). {_FIX} donner sur chaque ligne l'année d'entrée d'un médecin ou un patient × "
                          "année suivi, ou retirer la ligne",
                          file=str(path), n_rows=int(bad.sum()))
    for col, mask in (("asalee_year", is_gp), ("year", is_pt)):
        vals = pd.to_numeric(df.loc[mask, col], errors="coerce")
        wrong = vals.isna() | (vals < 1990) | (vals > 2100) | (vals != vals.round())
        if wrong.any():
            n = int(wrong.sum())
            first = ", ".join(f"{v} (ligne {i + 2})" for i, v in df.loc[mask, col][wrong].astype(str).head(3).items())
            raise ClaimsError(f"{where} : colonne '{col}' : {n} valeur{'s' if n > 1 else ''} qui "
                              f"{_is_not(n)} pas une année à quatre chiffres entre 1990 et 2100 "
                              f"(première{'s' if n > 1 else ''} : {first}). {_FIX} écrire l'année sous la forme "
                              "2015", file=str(path), column=col, n_rows=n)
    gps = df.loc[is_gp, ["gp_id", "asalee_year"]].astype({"asalee_year": int}).drop_duplicates()
    twice = gps["gp_id"].duplicated(keep=False)
    if twice.any():
        n = gps.loc[twice, "gp_id"].nunique()
        raise ClaimsError(f"{where} : colonne 'asalee_year' : {n} médecin{'s' if n > 1 else ''} avec plus d'une année "
                          f"d'entrée (premier : {gps.loc[twice, 'gp_id'].iloc[0]}). {_FIX} donner une seule année "
                          "d'entrée par médecin (la première)", file=str(path), column="asalee_year")
    pts = df.loc[is_pt, ["patient_id", "year"]].astype({"year": int}).drop_duplicates()
    return (list(gps.itertuples(index=False, name=None)), list(pts.itertuples(index=False, name=None)))


def _find_participation(claims_dir: Path, name: str = PARTICIPATION) -> Path | None:
    for ext in (".csv", ".parquet"):
        for stem in (name, name.upper()):
            p = claims_dir / f"{stem}{ext}"
            if p.is_file():
                return p
    return None


# --- the referential lists of the MSP and assistants studies ------------------------------------------------------


def _read_list(path: Path, what: str, needed: list[str]) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise ClaimsError(f"{path} : fichier introuvable ({what}). {_FIX} vérifier le chemin donné", file=str(path))
    df = read_table(path)
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ClaimsError(f"{path.name} : colonne{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                          f"absente{'s' if len(missing) > 1 else ''} ({what} ; colonnes trouvées : "
                          f"{', '.join(df.columns) or 'aucune'}). {_FIX} nommer les colonnes {', '.join(needed)}",
                          file=str(path), column=missing[0])
    out = df[needed].apply(lambda col: col.astype("string").str.strip().replace("", pd.NA))
    empty = out[needed].isna().any(axis=1)
    if empty.any():
        col = next(c for c in needed if out.loc[empty, c].isna().any())
        raise ClaimsError(f"{path.name} : colonne '{col}' : {int(empty.sum())} ligne{'s' if empty.sum() > 1 else ''} "
                          f"incomplète{'s' if empty.sum() > 1 else ''} (ligne {int(out.index[empty][0]) + 2} du "
                          f"fichier). {_FIX} remplir {', '.join(needed)} sur chaque ligne, ou retirer la ligne",
                          file=str(path), column=col, n_rows=int(empty.sum()))
    return out


def _parse_dates(path: Path, df: pd.DataFrame, col: str) -> pd.Series:
    """ISO dates (2019-03-01) or French ones (01/03/2019); a date outside 1990–2100 or unreadable is refused."""
    s = df[col]
    iso = pd.to_datetime(s.where(s.str.match(r"^\d{4}-\d{2}-\d{2}")), format="%Y-%m-%d", errors="coerce")
    fr = pd.to_datetime(s.where(s.str.match(r"^\d{2}/\d{2}/\d{4}$")), format="%d/%m/%Y", errors="coerce")
    d = iso.fillna(fr)
    bad = d.isna() | (d.dt.year < 1990) | (d.dt.year > 2100)
    if bad.any():
        raise ClaimsError(f"{path.name} : colonne '{col}' : {int(bad.sum())} valeur{'s' if bad.sum() > 1 else ''} "
                          f"qui {_is_not(bad.sum())} pas une date entre 1990 et 2100 (première : "
                          f"{s[bad].iloc[0]}, ligne {int(s.index[bad][0]) + 2}). {_FIX} écrire la date sous la forme "
                          "2019-03-01 ou 01/03/2019", file=str(path), column=col, n_rows=int(bad.sum()))
    return d


def read_msp_list(path: Path) -> pd.DataFrame:
    """The MSP membership list: one row per (GP, entry date) — ``gp_id`` (practice number or statistical number, as
    in the SNDS) and ``entry_date``. A GP listed more than once keeps the earliest date. Returns ``list_id``,
    ``date`` (Timestamp)."""
    df = _read_list(path, "liste des médecins membres d'une MSP", ["gp_id", "entry_date"])
    return pd.DataFrame({"list_id": df["gp_id"].astype(str), "date": _parse_dates(Path(path), df, "entry_date")})


def read_am_list(path: Path) -> pd.DataFrame:
    """The assistants médicaux contracts list: one row per contract — ``gp_id``, ``start_date``, ``option`` (third,
    half, full, or « tiers temps », « mi-temps », « temps plein »). Returns ``list_id``, ``date``, ``option``."""
    df = _read_list(path, "liste des contrats d'assistant médical", ["gp_id", "start_date", "option"])
    opt = df["option"].str.lower().str.replace(r"\s+", " ", regex=True).map(AM_OPTION_SPELLINGS)
    bad = opt.isna()
    if bad.any():
        raise ClaimsError(f"{Path(path).name} : colonne 'option' : {int(bad.sum())} valeur{'s' if bad.sum() > 1 else ''} "
                          f"inconnue{'s' if bad.sum() > 1 else ''} (première : {df.loc[bad, 'option'].iloc[0]}, ligne "
                          f"{int(df.index[bad][0]) + 2}). {_FIX} écrire third, half ou full (ou « tiers temps », "
                          "« mi-temps », « temps plein »)", file=str(path), column="option", n_rows=int(bad.sum()))
    return pd.DataFrame({"list_id": df["gp_id"].astype(str), "date": _parse_dates(Path(path), df, "start_date"),
                         "option": opt.astype(str)})


def read_zoning(path: Path, need: Sequence[str]) -> pd.DataFrame:
    """The zoning of communes: ``commune`` (Insee code, 5 characters: 01004, 2A004, 97411) and the columns ``need``
    asks for: ``underserved`` (1 in an underserved area — the ARS's zones d'intervention prioritaire — else 0) and/or
    ``rurality`` (urban, periurban, rural). One row per commune."""
    df = _read_list(path, "zonage des communes", ["commune", *need])
    name = Path(path).name
    df["commune"] = df["commune"].str.upper()
    bad = ~df["commune"].str.fullmatch(r"(\d{2}|2A|2B)\d{3}")
    if bad.any():
        raise ClaimsError(f"{name} : colonne 'commune' : {int(bad.sum())} code{'s' if bad.sum() > 1 else ''} qui "
                          f"{_is_not(bad.sum())} pas un code commune de l'Insee (premier : "
                          f"{df.loc[bad, 'commune'].iloc[0]}). {_FIX} écrire le code à cinq caractères, avec son zéro "
                          "initial (01004, 2A004, 97411)", file=str(path), column="commune", n_rows=int(bad.sum()))
    if "underserved" in need:
        ok = df["underserved"].isin(["0", "1"])
        if not ok.all():
            raise ClaimsError(f"{name} : colonne 'underserved' : {int((~ok).sum())} valeur(s) autre(s) que 0 ou 1 "
                              f"(première : {df.loc[~ok, 'underserved'].iloc[0]}). {_FIX} écrire 1 pour une commune "
                              "en zone sous-dotée, 0 sinon", file=str(path), column="underserved")
        df["underserved"] = df["underserved"].astype(int)
    if "rurality" in need:
        df["rurality"] = df["rurality"].str.lower()
        ok = df["rurality"].isin(["urban", "periurban", "rural"])
        if not ok.all():
            raise ClaimsError(f"{name} : colonne 'rurality' : {int((~ok).sum())} valeur(s) autre(s) que urban, "
                              f"periurban ou rural (première : {df.loc[~ok, 'rurality'].iloc[0]}). {_FIX} classer "
                              "chaque commune urban, periurban ou rural", file=str(path), column="rurality")
    twice = df["commune"].duplicated(keep=False)
    if twice.any() and len(df.loc[twice].drop_duplicates()) > df.loc[twice, "commune"].nunique():
        raise ClaimsError(f"{name} : colonne 'commune' : {df.loc[twice, 'commune'].nunique()} commune(s) classée(s) "
                          f"de deux façons (première : {df.loc[twice, 'commune'].iloc[0]}). {_FIX} garder une ligne "
                          "par commune (une seule édition du zonage)", file=str(path), column="commune")
    return df.drop_duplicates("commune").reset_index(drop=True)


# --- the run --------------------------------------------------------------------------------------------------------

def _register_inputs(eng, claims_dir: Path | str, options: ClaimsOptions, say: ProgressFn,
                     columns: dict[str, set[str]]) -> dict:
    """Register and check the SNDS tables of ``claims_dir``: table → where read; fills ``columns`` (upper case)."""
    found: dict[str, str] = {}
    for name, (required, _, _) in TABLES.items():
        if name == "ER_ETE_F" and not options.exclude_public_hospital:
            continue
        cols = None
        if _is_uri(claims_dir):  # a cluster path (hdfs://, s3a://): let Spark look
            if eng.name != "spark":
                raise ClaimsError(f"{claims_dir} : un chemin distant ne se lit qu'avec le moteur Spark. {_FIX} "
                                  "relancer avec --engine spark, ou copier les tables dans un dossier local pour "
                                  "DuckDB", file=str(claims_dir))
            for cand in (f"{claims_dir}/{name}.parquet", f"{claims_dir}/{name}"):
                try:
                    cols, where = eng.register_parquet(name, [cand]), cand
                    break
                except Exception:  # noqa: BLE001 - Spark raises AnalysisException for a missing path
                    continue
        elif files := find_table(Path(claims_dir), name):
            cols = eng.register_parquet(name, files)
            where = str(files[0]) if len(files) == 1 else f"{files[0].parent}/ ({len(files)} fichiers)"
        if cols is None:
            if required:
                raise _missing_table_error(claims_dir, name)
            continue
        _check_columns(name, where, cols)
        found[name] = where
        columns[name] = {str(c).upper() for c in cols}
    say(f"{eng.name} : {len(found)} tables du SNDS lues dans {claims_dir}")
    if "DA_PRA_R" not in found:
        say("DA_PRA_R absente : l'identifiant du médecin est son numéro de cabinet (un médecin qui a changé de "
            "cabinet apparaît sous deux identifiants)")
    return found


def _resolve_list(given, claims_dir, stem: str) -> Path | None:
    if given is not None:
        return Path(given)
    return None if _is_uri(claims_dir) else _find_participation(Path(claims_dir), stem)


def build_tables(claims_dir: str | Path, *, engine: str = "duckdb", tables: Sequence[str] | None = None,
                 options: ClaimsOptions | None = None, codes: str | Path | Iterable | pd.DataFrame | None = None,
                 spark=None, spark_master: str | None = None, spark_conf: dict[str, str] | None = None,
                 progress: ProgressFn | None = None, msp_list: str | Path | None = None,
                 am_list: str | Path | None = None, zoning: str | Path | None = None) -> ClaimsTables:
    """Build the Asalée patient-year table, the GP-year panel and the MSP and assistants GP-year tables from
    SNDS-shaped claims and the referential lists.

    ``engine``: ``"duckdb"`` (embedded, default) or ``"spark"`` (``spark`` session, or ``spark_master`` URL,
    default ``local[*]``). ``tables``: any of ``"asalee"``, ``"gp_panel"``, ``"msp"``, ``"assistants"``; default:
    the first two, plus ``msp`` when an MSP membership list is found and ``assistants`` when a contracts list is.
    ``msp_list`` / ``am_list`` / ``zoning``: the MSP membership list (``gp_id, entry_date``), the assistants médicaux
    contracts (``gp_id, start_date, option``) and the zoning of communes (``commune, underserved, rurality``); by
    default ``msp_membership``, ``assistants_contracts`` and ``zoning`` (``.csv`` or ``.parquet``) in the claims
    folder. ``codes``: code lists (path, folder, list of files or the DataFrame of :func:`evalkit.claims.load_codes`;
    default: the shipped lists). ``spark_conf``: extra Spark settings when a session is started here (e.g.
    ``{"spark.driver.memory": "8g"}``). ``progress``: called with one line of text per step. Raises
    :class:`ClaimsError` for missing tables, columns or lists.
    """
    t0 = time.perf_counter()
    say = progress or (lambda _msg: None)
    options = options or ClaimsOptions()
    paths = {"msp": _resolve_list(msp_list, claims_dir, MSP_LIST),
             "assistants": _resolve_list(am_list, claims_dir, AM_LIST)}
    zoning_path = _resolve_list(zoning, claims_dir, ZONING)
    if tables is None:
        tables = ("asalee", "gp_panel") + tuple(t for t in ("msp", "assistants") if paths[t] is not None)
    tables = tuple(tables)
    unknown = [t for t in tables if t not in OUTPUTS]
    if unknown or not tables:
        what = (", ".join(map(repr, unknown)) + (" ne sont pas des tables" if len(unknown) > 1 else
                                                  " n'est pas une table") + " que construit evalkit claims"
                if unknown else "aucune table demandée")
        raise ValueError(f"tables vaut {tables!r} : {what}. {_FIX} choisir une ou plusieurs tables parmi "
                         f"{', '.join(OUTPUTS)}, ou tables=None pour les tables par défaut")
    gp_tables = [t for t in ("msp", "assistants") if t in tables]
    for t in gp_tables:
        if paths[t] is None:
            what = {"msp": (f"{MSP_LIST}.csv", "--msp", "gp_id, entry_date"),
                    "assistants": (f"{AM_LIST}.csv", "--assistants", "gp_id, start_date, option")}[t]
            raise ClaimsError(f"{claims_dir} : {t}.csv demandé sans la liste qui donne les dates d'entrée ({what[0]} "
                              f"absent). {_FIX} donner la liste ({what[2]}) avec {what[1]} ou la déposer dans le "
                              "dossier des prestations", file=str(Path(str(claims_dir)) / what[0]))
    if gp_tables and zoning_path is None:
        raise ClaimsError(f"{claims_dir} : {' et '.join(f'{t}.csv' for t in gp_tables)} demandé sans zonage des "
                          f"communes ({ZONING}.csv absent). {_FIX} donner le fichier (commune, underserved, rurality) "
                          "avec --zoning ou le déposer dans le dossier des prestations",
                          file=str(Path(str(claims_dir)) / f"{ZONING}.csv"))
    # read the lists first: a malformed list fails before any claim is read
    lists = {t: read(paths[t]) for t, read in (("msp", read_msp_list), ("assistants", read_am_list)) if t in tables}
    need = [col for t, col in (("msp", "rurality"), ("assistants", "underserved")) if t in tables]
    zone = read_zoning(zoning_path, need) if gp_tables else None
    want_panel = "gp_panel" in tables or bool(gp_tables)
    code_df = codes if isinstance(codes, pd.DataFrame) else codelists.load_codes(codes)
    if not _is_uri(claims_dir):
        claims_dir = Path(claims_dir)
        if not claims_dir.is_dir():
            raise ClaimsError(f"{claims_dir} : dossier des prestations introuvable. {_FIX} donner le dossier qui "
                              "contient ER_PRS_F.parquet et les autres tables du SNDS", file=str(claims_dir))

    if engine not in ("duckdb", "spark"):
        raise ValueError(f"moteur {engine!r} inconnu. {_FIX} donner engine='duckdb' (par défaut, embarqué) ou "
                         "engine='spark'")
    eng = (DuckDBEngine(options.duckdb_threads, options.duckdb_memory_limit, options.temp_dir) if engine == "duckdb"
           else SparkEngine(spark_master, spark=spark, conf=spark_conf))
    report: dict = {"engine": eng.name, "claims_dir": str(claims_dir), "tables": list(tables),
                    "options": {k: v for k, v in asdict(options).items() if not k.startswith("duckdb_")
                                and k != "temp_dir"},
                    "code_lists": sorted(set(code_df["file"])) if "file" in code_df else []}
    try:
        columns: dict[str, set[str]] = {}
        found = _register_inputs(eng, claims_dir, options, say, columns)
        report["inputs"] = found
        with_death = "BEN_DCD_DTE" in columns.get("IR_BEN_R", set())
        if not with_death:
            say("IR_BEN_R sans BEN_DCD_DTE : les décès ne closent pas les déclarations de médecin traitant")
        for t in gp_tables:
            for name in ["DA_PRA_R"] + (["ER_PRS_F"] if t == "msp" else []):
                lack = [c for c in OPTIONAL_COLUMNS[name] if c not in columns.get(name, set())]
                if name not in found or lack:
                    miss = ", ".join(lack) if name in found else f"la table {name}"
                    raise ClaimsError(f"{found.get(name, name)} : {t}.csv a besoin de {miss} (âge, sexe et commune du "
                                      f"médecin{', honoraires' if name == 'ER_PRS_F' else ''}). {_FIX} extraire "
                                      f"{name} avec les colonnes {', '.join(OPTIONAL_COLUMNS[name])}",
                                      file=found.get(name, name), column=lack[0] if lack else None)
        rules = options.rules(all_patients=want_panel, with_death=with_death)
        for name, (schema, rows) in codelists.code_tables(code_df).items():
            eng.register_rows(name, schema, rows)
        visit_ind = {"ecg_cardio", "fundus"} | ({"general_practice"} if want_panel else set())
        spe = code_df[(code_df["code_system"] == "PSE_SPE_COD") & code_df["indicator"].isin(visit_ind)]
        eng.register_rows("ek_visit_spe", [("code", "bigint")], [(int(c),) for c in sorted(set(spe["code"]))])

        part = _resolve_list(None, claims_dir, PARTICIPATION)
        gp_rows, pt_rows = read_participation(part) if part is not None else ([], [])
        say(f"{part.name} : {count_fr(len(gp_rows))} médecins entrés dans Asalée, {count_fr(len(pt_rows))} patients "
            "× années suivis par une infirmière" if part is not None else
            "pas de fichier asalee_participation : asalee_year vide et nurse_followed égal à 0 pour tous")
        report["participation"] = {"file": part.name if part else None, "gps": len(gp_rows),
                                   "followed_patient_years": len(pt_rows)}
        eng.register_rows("ek_asalee_in", [("gp_id", "string"), ("asalee_year", "bigint")], gp_rows)
        eng.register_rows("ek_followed", [("patient", "string"), ("yr", "bigint")], pt_rows)

        eng.materialize("ek_ben", sql.ben())
        amb = eng.fetch("SELECT count(*) AS n, min(psa) AS psa FROM ek_ben WHERE n_ano > 1")
        n = int(amb["n"].iloc[0])
        if n > 0:
            raise ClaimsError(f"{found['IR_BEN_R']} : colonne 'BEN_NIR_ANO' : {n} couple{'s' if n > 1 else ''} "
                              f"(BEN_NIR_PSA, BEN_RNG_GEM) renvoie{'nt' if n > 1 else ''} à plus d'un BEN_NIR_ANO "
                              f"(premier : {amb['psa'].iloc[0]}) ; la jointure dupliquerait des prestations. {_FIX} "
                              "garder un seul BEN_NIR_ANO par couple (BEN_NIR_PSA, BEN_RNG_GEM) dans IR_BEN_R",
                              file=found["IR_BEN_R"], column="BEN_NIR_ANO", n_rows=n)
        eng.materialize("ek_gp_map", sql.gp_map("DA_PRA_R" in found))
        eng.materialize("ek_death", sql.deaths(rules))
        eng.materialize("ek_events", sql.events(rules))
        eng.materialize("ek_years", sql.years(rules))
        eng.materialize("ek_diab", sql.diabetics(rules))
        eng.materialize("ek_mt", sql.medecin_traitant(rules))
        counts = eng.fetch("SELECT src, count(*) AS n FROM ek_events GROUP BY src")
        report["events"] = {str(s): int(n) for s, n in zip(counts["src"], counts["n"])}
        say("événements après neutralisation des régularisations : "
            + ", ".join(f"{k} {count_fr(v)}" for k, v in sorted(report["events"].items())))

        asalee = panel = None
        out_gp: dict[str, pd.DataFrame] = {}
        if "asalee" in tables:
            eng.materialize("ek_ind", sql.indicators(rules))
            raw = eng.fetch(sql.asalee(rules))
            excl = eng.fetch(sql.asalee_exclusions()).iloc[0]
            report["asalee"] = {k: int(excl[k]) if pd.notna(excl[k]) else 0 for k in excl.index}
            report["asalee"]["rows"] = len(raw)
            dropped_flags = int(((raw["listed_followed"] == 1) & (raw["nurse_followed"] == 0)).sum())
            report["asalee"]["followed_listed_but_gp_not_in_asalee"] = dropped_flags
            asalee = normalize_asalee(raw)
            say(f"asalee : {count_fr(len(asalee))} patients × années ; écartés : "
                f"{count_fr(report['asalee']['without_medecin_traitant'])} sans médecin traitant, "
                f"{count_fr(report['asalee']['without_valid_sex_or_birth_year'])} sans sexe ou année de naissance "
                "valide"
                + (f" ; {count_fr(dropped_flags)} suivis de la liste ignorés (médecin pas encore entré dans Asalée "
                   "cette année-là)" if dropped_flags else ""))
        if want_panel:
            eng.materialize("ek_mt31", sql.medecin_traitant(rules, at_year_end=True))
            panel = normalize_gp_panel(eng.fetch(sql.gp_panel(rules)))
            report["gp_panel"] = {"rows": len(panel), "gps": int(panel["gp_id"].nunique())}
            say(f"gp_panel : {count_fr(len(panel))} médecins × années, {count_fr(panel['gp_id'].nunique())} médecins")
        if gp_tables:
            fees = eng.fetch(sql.gp_fees(rules)) if "msp" in tables else None
            attrs = eng.fetch(sql.gp_attributes())
            gp_map = eng.fetch("SELECT num, gp_id FROM ek_gp_map")
            for t in gp_tables:
                out_gp[t], report[t] = assemble_gp_table(t, panel, fees, attrs, gp_map, lists[t], zone)
                r = report[t]
                say(f"{t} : {count_fr(r['rows'])} médecins × années, {count_fr(r['gps'])} médecins (dont "
                    f"{count_fr(r['gps_entered'])} avec une date d'entrée) ; écartés : "
                    f"{count_fr(r['gp_years_without_da_pra_r'])} médecins × années sans âge, sexe ou commune dans "
                    f"DA_PRA_R, {count_fr(r['gp_years_commune_not_in_zoning'])} dont la commune manque au zonage ; "
                    f"{count_fr(r['listed_ids_not_found'])} identifiants de la liste sans médecin correspondant")
    finally:
        eng.close()
    report["seconds"] = round(time.perf_counter() - t0, 2)
    return ClaimsTables(asalee, panel if "gp_panel" in tables else None, report, msp=out_gp.get("msp"),
                        assistants=out_gp.get("assistants"))


def _department(commune: pd.Series) -> pd.Series:
    """Département of an Insee commune code: its first two characters (01…95, 2A, 2B), three overseas (971…976)."""
    return commune.str[:2].where(~commune.str.startswith("97"), commune.str[:3])


def assemble_gp_table(study: str, panel: pd.DataFrame, fees: pd.DataFrame | None, attrs: pd.DataFrame,
                      gp_map: pd.DataFrame, entries: pd.DataFrame, zone: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """One GP-year table of the contract ``study`` (``msp`` or ``assistants``) from the engine's small outputs, by
    rules 8–10 of the module docstring (rows: the panel's GP-years, plus those with fees only for msp): ``age`` is
    year − IPP_ANN_NAI, ``female`` IPP_SEX_COD = 2; GP-years without a valid birth year, sex code 1/2 or commune in
    DA_PRA_R, or whose commune is not in the zoning, are left out and counted. Returns (table, report)."""
    rows = panel.rename(columns={"year": "yr"})[["gp_id", "yr", "patients_mt", "file_active", "acts"]]
    if study == "msp":
        f = fees[["gp_id", "yr", "cents"]].astype({"gp_id": str, "yr": "int64"})
        rows = rows.merge(f, on=["gp_id", "yr"], how="outer")
    rows = rows.fillna({c: 0 for c in ("patients_mt", "file_active", "acts", "cents") if c in rows})
    a = attrs.astype({"gp_id": str, "commune": "string"})
    for c in ("birth", "sex"):
        a[c] = pd.to_numeric(a[c], errors="coerce")
    a = a[a["birth"].between(1900, 2100) & a["sex"].isin([1, 2]) & a["commune"].notna()]
    m = rows.merge(a, on="gp_id", how="left")
    no_attr = m["birth"].isna()
    m = m[~no_attr].merge(zone, on="commune", how="left")
    no_zone = m["rurality" if study == "msp" else "underserved"].isna()
    m = m[~no_zone].copy()
    # the list: ids → GP ids (practice numbers chained like the claims), earliest date per GP
    chain = dict(zip(gp_map["num"].astype(str), gp_map["gp_id"].astype(str)))
    e = entries.assign(gp_id=entries["list_id"].map(lambda i: chain.get(i, i)))
    e = e.sort_values(["gp_id", "date"] + (["option"] if "option" in e else []), kind="mergesort")
    first = e.drop_duplicates("gp_id", keep="first").set_index("gp_id")
    known = set(panel["gp_id"].astype(str)) | set(a["gp_id"])
    n_unknown = int((~first.index.isin(known)).sum())
    m["age"] = m["yr"] - m["birth"].astype("int64")
    m["female"] = (m["sex"] == 2).astype("int64")
    m["department"] = _department(m["commune"].astype(str))
    m[STUDY_COHORT[study]] = m["gp_id"].map(first["date"].dt.year)
    if study == "msp":
        m["fees"] = m["cents"].astype("int64") / 100.0
    else:
        m["am_option"] = m["gp_id"].map(first["option"])
    out = normalize_gp_table(m, study)
    rep = {"rows": len(out), "gps": int(out["gp_id"].nunique()),
           "gps_entered": int(out.loc[out[STUDY_COHORT[study]].notna(), "gp_id"].nunique()),
           "gp_years_without_da_pra_r": int(no_attr.sum()), "gp_years_commune_not_in_zoning": int(no_zone.sum()),
           "listed_gps": int(len(first)), "listed_ids_not_found": n_unknown}
    return out, rep


STUDY_COHORT = {"msp": "msp_year", "assistants": "am_year"}
#: types of the GP-year tables' columns other than the entry years and am_option (all others: int64)
_GP_TYPES = {"gp_id": str, "department": str, "rurality": str, "fees": "float64"}


def normalize_asalee(df: pd.DataFrame) -> pd.DataFrame:
    """Contract column order and types, rows sorted by (patient_id, year): identical whatever the engine."""
    out = df.rename(columns={"yr": "year"})[ASALEE_COLUMNS].astype(
        {c: str if c in ("patient_id", "gp_id", "sex") else "int64" for c in ASALEE_COLUMNS if c != "asalee_year"})
    out["asalee_year"] = pd.array(out["asalee_year"], dtype="Int64")
    return out.sort_values(["patient_id", "year"], kind="mergesort").reset_index(drop=True)


def normalize_gp_table(df: pd.DataFrame, study: str) -> pd.DataFrame:
    """A GP-year table of contract ``study`` (``msp`` or ``assistants``): contract column order, one type per column
    whatever the engine, rows sorted by (gp_id, year)."""
    cols = STUDIES[study].columns
    out = df.rename(columns={"yr": "year"})[cols].copy()
    for c in cols:
        if c == "am_option":
            out[c] = out[c].astype(object).where(out[c].notna(), None)
        elif c in ("msp_year", "am_year"):
            out[c] = pd.array(pd.to_numeric(out[c]), dtype="Int64")
        else:
            out[c] = out[c].astype(_GP_TYPES.get(c, "int64"))
    return out.sort_values(["gp_id", "year"], kind="mergesort").reset_index(drop=True)


def normalize_gp_panel(df: pd.DataFrame) -> pd.DataFrame:
    """GP panel column order and types, rows sorted by (gp_id, year)."""
    out = df.rename(columns={"yr": "year"})[GP_PANEL_COLUMNS].astype(
        {c: str if c == "gp_id" else "int64" for c in GP_PANEL_COLUMNS})
    return out.sort_values(["gp_id", "year"], kind="mergesort").reset_index(drop=True)


def cli_claims(claims_dir: str | Path, out_dir: str | Path, engine: str = "duckdb", spark_master: str | None = None,
               progress: ProgressFn | None = None, *, options: ClaimsOptions | None = None,
               codes: str | Path | Iterable | pd.DataFrame | None = None,
               spark_conf: dict[str, str] | None = None, msp_list: str | Path | None = None,
               am_list: str | Path | None = None, zoning: str | Path | None = None) -> dict[str, Path]:
    """``evalkit claims``: SNDS-shaped claims in ``claims_dir`` → ``asalee.csv``, ``gp_panel.csv``, and, when the
    referential lists are given or found in ``claims_dir`` (see :func:`build_tables`), ``msp.csv`` and
    ``assistants.csv``, with ``claims_report.json``, in ``out_dir``.

    ``engine``: ``"duckdb"`` (default, embedded) or ``"spark"`` (``spark_master``: a cluster URL, default
    ``local[*]``). Every contract table is validated against its contract before anything is written; files are
    written atomically, so an error never leaves partial outputs. Returns ``{"asalee": path, "gp_panel": path,
    ["msp": path, "assistants": path,] "report": path}``. Raises :class:`evalkit.contracts.DataError` (a
    :class:`ClaimsError`) naming the file, the column and the fix.
    """
    say = progress or (lambda _msg: None)
    out_dir = Path(out_dir)
    res = build_tables(claims_dir, engine=engine, options=options, codes=codes, spark_master=spark_master,
                       spark_conf=spark_conf, progress=say, msp_list=msp_list, am_list=am_list, zoning=zoning)
    if res.asalee is None or res.asalee.empty:
        ev = res.report.get("events", {})
        raise ClaimsError(f"{claims_dir} : aucun patient diabétique traité ayant un médecin traitant "
                          f"({fmt_int(ev.get('PHA', 0))} délivrances d'antidiabétiques après filtres). {_FIX} vérifier "
                          "que IR_PHA_R donne le code ATC des CIP13 de ER_PHA_F, les années extraites, et IR_MTT_R",
                          file=str(Path(str(claims_dir)) / "ER_PHA_F.parquet"))
    outputs = {"asalee": res.asalee, "gp_panel": res.gp_panel}
    for study in ("msp", "assistants"):
        df = getattr(res, study)
        if df is not None:
            if df.empty:
                raise ClaimsError(f"{claims_dir} : aucune ligne médecin × année pour {study}.csv (médecins sans âge, "
                                  f"sexe ou commune dans DA_PRA_R, ou communes absentes du zonage). {_FIX} vérifier "
                                  "DA_PRA_R (IPP_ANN_NAI, IPP_SEX_COD, PFS_EXC_COM) et le zonage",
                                  file=f"{study}.csv")
            outputs[study] = df
    for study in [s for s in outputs if s != "gp_panel"]:  # raises DataError: nothing written
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            validate(outputs[study].copy(), study, file=f"{study}.csv")
        for w in caught:
            if issubclass(w.category, DataWarning):
                say(f"{study}.csv : {w.message}")
    paths = {**{name: out_dir / f"{name}.csv" for name in outputs}, "report": out_dir / "claims_report.json"}
    if not isinstance(codes, pd.DataFrame):
        res.report["code_list_sha256"] = codelists.fingerprint(codes)
    for name, df in outputs.items():
        write_csv_atomic(df, paths[name])
    write_bytes_atomic(json.dumps(res.report, indent=2, ensure_ascii=False, default=str).encode(), paths["report"])
    say("écrits : " + ", ".join(str(paths[n]) for n in outputs))
    return paths
