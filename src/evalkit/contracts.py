"""Data contracts: pandera schemas of the three study tables and of the results table.

The schemas are the single source of truth for the evaluator's interface (DESIGN.md §3): the data dictionary in the
« Guide de l'évaluateur » is generated from them. :func:`validate` turns every violation into a :class:`DataError`
whose message names the file, the column, the number of offending rows, the first offending values and the fix.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from . import registry
from .geo import DEPARTEMENTS


class DataError(ValueError):
    """Input data that break a contract. ``str(err)`` is the message shown to the user (no traceback)."""

    def __init__(self, message: str, *, file: str | None = None, column: str | None = None, n_rows: int | None = None):
        super().__init__(message)
        self.file, self.column, self.n_rows = file, column, n_rows


class DataWarning(UserWarning):
    """Data accepted with a stated correction (e.g. an unbalanced panel)."""


# --- column helpers ---------------------------------------------------------------------------------------------

def _count(desc: str, **kw) -> pa.Column:
    return pa.Column("Int64", pa.Check.ge(0, error="must be ≥ 0 (a count)"), coerce=True, description=desc, **kw)


def _flag(desc: str) -> pa.Column:
    return pa.Column("Int64", pa.Check.isin([0, 1], error="must be 0 or 1"), coerce=True, description=desc)


def _year(desc: str, nullable: bool = False) -> pa.Column:
    return pa.Column(
        "Int64",
        pa.Check.in_range(1990, 2035, error="must be a year between 1990 and 2035"),
        coerce=True,
        nullable=nullable,
        description=desc,
    )


def _id(desc: str) -> pa.Column:
    return pa.Column(str, pa.Check.str_length(min_value=1, error="must not be empty"), coerce=True, description=desc)


def _age(desc: str) -> pa.Column:
    return pa.Column(float, pa.Check.in_range(0, 120, error="must be an age in years (0–120)"), coerce=True,
                     description=desc)


@dataclass(frozen=True)
class Study:
    """A study's contract: file stem, panel keys, treatment columns and schema."""

    name: str
    title: str  # French, for messages in the book
    unit: str
    time: str
    cohort: str
    schema: pa.DataFrameSchema
    #: panel rules beyond the schema: each returns its problems as (column, offending values, what, how to fix)
    extra_checks: tuple[Callable[[pd.DataFrame], list[tuple[str, pd.Series, str, str]]], ...] = field(default=())

    @property
    def columns(self) -> list[str]:
        return list(self.schema.columns)


MSP_SCHEMA = pa.DataFrameSchema(
    {
        "gp_id": _id("Identifiant pseudonymisé du médecin généraliste"),
        "year": _year("Année civile de l'observation"),
        "patients_mt": _count("Patients ayant déclaré le médecin comme médecin traitant au 31 décembre"),
        "file_active": _count("Patients distincts vus au moins une fois dans l'année (file active)"),
        "fees": pa.Column(float, pa.Check.ge(0, error="must be ≥ 0 (euros)"), coerce=True,
                          description="Honoraires annuels (euros courants)"),
        "age": _age("Âge du médecin (années)"),
        "female": _flag("Médecin femme (1) ou homme (0)"),
        "rurality": pa.Column(str, pa.Check.isin(["urban", "periurban", "rural"],
                                                 error="must be urban, periurban or rural"),
                              coerce=True, description="Type de commune d'exercice : urban, periurban, rural"),
        # registry of codes: evalkit.geo (Insee COG; 975 is not a département)
        "department": pa.Column(str, pa.Check.isin(list(DEPARTEMENTS),
                                                   error="must be a département code such as 01, 2A, 974"),
                                coerce=True, description="Code du département d'exercice (01…95, 2A, 2B, 971…974, "
                                                         "976)"),
        "msp_year": _year("Année d'entrée en maison de santé pluriprofessionnelle ; vide si jamais", nullable=True),
    },
    strict=True,
    name="msp",
)

ASALEE_SCHEMA = pa.DataFrameSchema(
    {
        "patient_id": _id("Identifiant pseudonymisé du patient diabétique de type 2"),
        "gp_id": _id("Identifiant pseudonymisé du médecin traitant"),
        "year": _year("Année civile de l'observation"),
        "asalee_year": _year("Année d'entrée du médecin dans Asalée ; vide si jamais", nullable=True),
        "nurse_followed": _flag("Patient suivi par l'infirmière Asalée dans l'année (1) ou non (0)"),
        "age": _age("Âge du patient (années)"),
        "sex": pa.Column(str, pa.Check.isin(["F", "M"], error="must be F or M"), coerce=True,
                         description="Sexe du patient : F ou M"),
        "hba1c_3plus": _flag("Au moins trois dosages d'HbA1c dans l'année"),
        "microalb": _flag("Dosage de la microalbuminurie dans l'année"),
        "creatinine": _flag("Dosage de la créatininémie dans l'année"),
        "lipids": _flag("Bilan lipidique dans l'année"),
        "ecg_cardio": _flag("ECG ou consultation de cardiologie dans l'année"),
        "fundus_2y": _flag("Examen du fond d'œil ou consultation d'ophtalmologie sur deux ans"),
    },
    strict=True,
    name="asalee",
)

ASSISTANTS_SCHEMA = pa.DataFrameSchema(
    {
        "gp_id": _id("Identifiant pseudonymisé du médecin généraliste"),
        "year": _year("Année civile de l'observation"),
        "patients_mt": _count("Patients ayant déclaré le médecin comme médecin traitant au 31 décembre"),
        "file_active": _count("Patients distincts vus au moins une fois dans l'année (file active)"),
        "acts": _count("Nombre d'actes (consultations et visites) dans l'année"),
        "age": _age("Âge du médecin (années)"),
        "female": _flag("Médecin femme (1) ou homme (0)"),
        "department": MSP_SCHEMA.columns["department"],
        "underserved": _flag("Exercice en zone sous-dotée (zone d'intervention prioritaire) (1) ou non (0)"),
        "am_year": _year("Année de début du contrat d'assistant médical ; vide si jamais", nullable=True),
        "am_option": pa.Column(str, pa.Check.isin(["third", "half", "full"], error="must be third, half or full"),
                               coerce=True, nullable=True,
                               description="Option du contrat : third (tiers temps), half (mi-temps), "
                                           "full (temps plein) ; vide si jamais"),
    },
    strict=True,
    name="assistants",
)

INDICATORS = ["hba1c_3plus", "microalb", "creatinine", "lipids", "ecg_cardio", "fundus_2y"]


def _constant_within(unit: str, col: str, fix: str):
    def check(df: pd.DataFrame):
        nun = df.groupby(unit, dropna=False)[col].nunique(dropna=False)
        bad_units = nun[nun > 1].index
        if len(bad_units) == 0:
            return []
        rows = df[df[unit].isin(bad_units)]
        n = len(bad_units)
        return [(col, rows[unit].astype(str),
                 f"appartenant à {n} valeur{'s' if n > 1 else ''} de {unit} dont {col} change d'une ligne à "
                 f"l'autre", fix)]
    return check


def _option_needs_year(df: pd.DataFrame):
    out = []
    opt, yr = df["am_option"].notna(), df["am_year"].notna()
    if (opt & ~yr).any():
        out.append(("am_option", df.loc[opt & ~yr, "am_option"],
                    "où am_option est renseignée alors que am_year est vide", "donner l'année de début du contrat "
                    "dans am_year, ou laisser am_option vide pour les médecins qui n'ont jamais signé"))
    if (yr & ~opt).any():
        out.append(("am_year", df.loc[yr & ~opt, "am_year"],
                    "où am_year est renseignée alors que am_option est vide", "donner l'option du contrat "
                    "(third, half ou full)"))
    return out


def _followed_needs_asalee(df: pd.DataFrame):
    bad = (df["nurse_followed"] == 1) & (df["asalee_year"].isna() | (df["year"] < df["asalee_year"]))
    if bad.any():
        return [("nurse_followed", df.loc[bad, "nurse_followed"],
                 "où nurse_followed vaut 1 alors que le médecin n'est pas (encore) dans Asalée cette année-là",
                 "le suivi infirmier ne peut commencer qu'à partir de l'année asalee_year du médecin")]
    return []


_CONTRACTS: dict[str, Study] = {  # one per registered study (evalkit.registry)
    "msp": Study("msp", registry.get("msp").title, "gp_id", "year", "msp_year", MSP_SCHEMA,
                 (_constant_within("gp_id", "msp_year", "donner à chaque médecin une seule année d'entrée en MSP (vide "
                                                     "si jamais)"),)),
    "asalee": Study("asalee", registry.get("asalee").title, "patient_id", "year", "asalee_year", ASALEE_SCHEMA,
                    (_constant_within("gp_id", "asalee_year", "donner à chaque médecin une seule année d'entrée dans Asalée"),
                     _followed_needs_asalee)),
    "assistants": Study("assistants", registry.get("assistants").title, "gp_id", "year", "am_year",
                        ASSISTANTS_SCHEMA,
                        (_constant_within("gp_id", "am_year", "donner à chaque médecin une seule année de début de contrat"),
                         _constant_within("gp_id", "am_option",
                                          "garder l'option du premier contrat sur toute la période"),
                         _option_needs_year)),
}

# --- the study list comes from the registry (evalkit.registry); each registered study needs a contract here ------
_missing_contracts = [n for n in registry.names() if n not in _CONTRACTS]
if _missing_contracts:  # pragma: no cover — a registry entry without its schema is a programming error
    raise ImportError(f"evalkit.contracts: no contract for the registered studies {', '.join(_missing_contracts)}")
STUDIES: dict[str, Study] = {n: _CONTRACTS[n] for n in registry.names()}
# --- end of the registry-driven study list -----------------------------------------------------------------------

RESULT_UNITS = ("patients", "euros", "pp", "percent", "ratio", "eur_per_patient_year", "acts", "log_points", "count",
                "p_value")

#: Labels of the ``estimator`` column (a suppressed row carries one of them followed by ``[suppressed<11]``).
ESTIMATORS = (
    # Callaway–Sant'Anna: simple ATT and its aggregations, and the variants of the studies' robustness tables
    "cs_simple", "cs_dynamic", "cs_group", "cs_calendar", "cs_simple_dynamic", "cs_simple_group", "cs_simple_calendar",
    "cs_simple_matched", "cs_dynamic_matched", "cs_group_matched", "cs_calendar_matched",
    "cs_simple_not_yet_treated", "cs_simple_no_covariates", "cs_simple_per_protocol", "cs_simple_gp_weighted",
    "cs_simple_patient_weighted", "cs_dose_difference", "cs_dose_difference_underserved",
    "cs_simple_underserved", "cgbs_discrete_dose",  # options among comparable GPs (assistants)
    "cs_simple_first_stage", "cs_simple_p_holm", "cs_simple_p_romano_wolf",
    # fuzzy (Wald) DiD: ITT ÷ first stage, its equality test across intensity groups, per protocol − Wald
    "wald_did", "wald_did_intensity_equality_p", "per_protocol_minus_wald",
    "callaway_santanna", "callaway_santanna_dynamic", "callaway_santanna_group", "callaway_santanna_calendar",
    "cs_simple_notyet",  # legacy msp label of cs_simple_not_yet_treated (renaming it changes estimates.csv rows)
    # other estimators and diagnostics
    "twfe", "twfe_event_study", "bacon", "naive_cross_section", "did_2x2_per_protocol", "honest_did_rm", "power_mde", "power_mde_2x2", "power_mde_sim",
    # derived quantities (assistants) and the generator's planted effects (synthetic data, methods chapter)
    "aid_over_cs_gain", "contracts_x_cs_gain", "share_of_signatories",
    "truth", "truth_dynamic", "truth_group", "truth_calendar",
    # the estimator agreement panel (evalkit.estimators.agreement): the same overall ATT by other robust estimators
    "sun_abraham", "imputation_bjs", "two_stage_gardner", "dcdh", "wooldridge_etwfe",
)

RESULTS_SCHEMA = pa.DataFrameSchema(
    {
        "study": pa.Column(str, pa.Check.isin(list(registry.result_sources()))),
        "outcome": pa.Column(str, pa.Check.str_length(min_value=1)),
        "subgroup": pa.Column(str, pa.Check.str_matches(r"^(all|[a-z_]+=[^=\s]+)$")),
        "estimator": pa.Column(str, pa.Check.str_length(min_value=1)),
        "estimate": pa.Column(float, nullable=True),  # empty only on rows suppressed for small cells
        "std_error": pa.Column(float, nullable=True),
        "ci_low": pa.Column(float, nullable=True),
        "ci_high": pa.Column(float, nullable=True),
        "unit": pa.Column(str, pa.Check.isin(list(RESULT_UNITS))),
        "n_units": pa.Column("Int64", nullable=True),
        "n_obs": pa.Column("Int64", nullable=True),
        "headline": pa.Column(bool),
        "data": pa.Column(str, pa.Check.isin(["synthetic", "user", "reference"])),
    },
    checks=[
        pa.Check(lambda d: d["estimator"].str.replace(r"\[suppressed[^\]]*\]$", "", regex=True).isin(ESTIMATORS),
                 error="estimator is not one of contracts.ESTIMATORS"),
        pa.Check(lambda d: d["estimate"].notna() | d["estimator"].str.endswith("[suppressed<11]")
                 | d["estimator"].str.endswith("[suppressed:complement]"),
                 error="estimate is empty on a row that is not suppressed"),
        pa.Check(lambda d: ~d["headline"] | (d["subgroup"] == "all"),
                 error="headline rows must have subgroup 'all'"),
        pa.Check(lambda d: ~(d["headline"] & d.duplicated(["study", "outcome", "unit", "headline"], keep=False)),
                 error="at most one headline per (study, outcome, unit)"),
    ],
    strict=True,
    ordered=True,
    name="results",
)


def validate_results(df: pd.DataFrame) -> pd.DataFrame:
    try:
        return RESULTS_SCHEMA.validate(df, lazy=True)
    except SchemaErrors as e:
        raise DataError(f"results table breaks its contract:\n{e.failure_cases.head(10).to_string()}") from None


# --- validation of study tables -----------------------------------------------------------------------------------

_MAX_SHOWN = 5
FIX = "Pour corriger :"

#: French wording of the column rules (keyed by the English ``error`` of the pandera check) for the messages.
RULES_FR: dict[str, str] = {
    "must not be empty": "non vide",
    "must be a year between 1990 and 2035": "une année entre 1990 et 2035",
    "must be ≥ 0 (a count)": "un effectif ≥ 0",
    "must be ≥ 0 (euros)": "un montant ≥ 0 (euros)",
    "must be an age in years (0–120)": "un âge en années, de 0 à 120",
    "must be 0 or 1": "0 ou 1",
    "must be urban, periurban or rural": "urban, periurban ou rural",
    "must be a département code such as 01, 2A, 974": "un code département : 01 à 95, 2A, 2B, 971 à 976",
    "must be F or M": "F ou M",
    "must be third, half or full": "third, half ou full",
}

#: Cell values read as empty (R's NA, NaN, Stata's « . », Excel's #N/A…), compared in lower case after stripping.
NA_TOKENS = frozenset({"na", "nan", "n/a", "#n/a", "null", "none", ".", "<na>"})
_NA_SHOWN = "NA, NaN, « . »"
_NA_VARIANTS = sorted({v for t in NA_TOKENS for v in (t, t.upper(), t.capitalize(), t.title())} | {"NaN", "NAN"})


def _fmt_values(values: pd.Series) -> str:
    vals = list(pd.Series(values).drop_duplicates().head(_MAX_SHOWN))
    return ", ".join("vide" if pd.isna(v) else repr(v.item() if hasattr(v, "item") else v) for v in vals)


def _problem(file: str, column: str, n: int, values, what: str, fix: str = "") -> str:
    return (f"{file} : colonne '{column}' : {n} ligne{'s' if n != 1 else ''} {what}"
            + (f" (premières valeurs : {_fmt_values(values)})" if values is not None and len(values) else "")
            + (f". {FIX} {fix}" if fix else ""))


_UNNAMED = __import__("re").compile(r"^unnamed: ?(\d+)(\.\d+)?$")


def validate(df: pd.DataFrame, study: str, file: str = "<data>", balance: str = "warn") -> pd.DataFrame:
    """Validate (and coerce) a study table against its contract.

    Raises :class:`DataError` listing every problem found (file, column, rows, first values, « Pour corriger »).
    Empty cells, and the usual spellings of a missing value (``NA``, ``NaN``, ``.``, ``NULL``, ``#N/A``), are missing
    values: accepted where the contract allows empty cells, refused (as empty) elsewhere. Non-finite numbers
    (``inf``) are refused.
    ``balance``: ``"warn"`` accepts an unbalanced panel with a :class:`DataWarning` naming the units concerned;
    ``"drop"`` keeps only units observed every year of the panel (and warns how many were dropped);
    ``"error"`` refuses it.
    """
    st = STUDIES[study]
    problems: list[str] = []
    cols = [str(c) for c in df.columns]
    expected = st.columns
    missing = [c for c in expected if c not in cols]
    unnamed = [c for c in cols if _UNNAMED.match(c) and c not in expected]
    extra = [c for c in cols if c not in expected and c not in unnamed]
    if missing:
        hint = ""
        if not any(c in cols for c in expected):
            hint = (" ; aucune des colonnes attendues n'est présente : la première ligne du fichier doit être "
                    "l'en-tête (noms de colonnes), avec le même séparateur que les données")
        problems.append(f"{file} : colonne{'s' if len(missing) > 1 else ''} manquante{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(map(repr, missing))}{hint}. {FIX} le fichier {study} doit avoir exactement les "
                        f"colonnes {', '.join(expected)} (une ligne par {registry.get(study).row_fr}) ; voir le "
                        "dictionnaire des données dans le « Guide de l'évaluateur »")
    for c in unnamed:
        k = int(_UNNAMED.match(c).group(1))
        problems.append(f"{file} : colonne '{c}' : la colonne n° {k + 1} de l'en-tête n'a pas de nom (pandas et les "
                        f"tableurs l'appellent « {c} ») : colonne vide laissée par le tableur, ou séparateur en trop "
                        f"en fin d'en-tête ? {FIX} supprimer cette colonne sans nom, ou le séparateur final de "
                        "l'en-tête")
    if extra:
        problems.append(f"{file} : colonne{'s' if len(extra) > 1 else ''} inattendue{'s' if len(extra) > 1 else ''} "
                        f"{', '.join(map(repr, extra))}. {FIX} "
                        f"{'les supprimer ou les renommer' if len(extra) > 1 else 'la supprimer ou la renommer'} ; "
                        f"colonnes attendues : {', '.join(expected)}")
    if problems:
        raise DataError("\n".join(problems), file=file, column=(missing or unnamed or extra)[0])
    if len(df) == 0:
        raise DataError(f"{file} : le fichier a un en-tête mais aucune ligne de données. {FIX} exporter aussi les "
                        "lignes de données", file=file)

    df = df[expected].copy()
    # Empty strings (and whitespace), NA, NaN, « . » … mean missing everywhere.
    numeric = {name for name, col in st.schema.columns.items() if _is_numeric_dtype(col)}
    for c in df.columns:
        if df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
            df[c] = _clean_text(df[c], keep_arrow=c in numeric)
    # Categorical codes written in capitals or with padding are the same codes.
    for c in ("rurality", "am_option"):
        if c in df.columns:
            df[c] = _map_distinct(df[c], lambda v: v.lower() if isinstance(v, str) else v)
    if "department" in df.columns:
        df["department"] = _map_distinct(df["department"], _norm_department)
    # Numeric columns: report values that are not numbers before pandera's terser message.
    problems += _non_numeric(df, st, file)
    if problems:
        raise DataError("\n".join(problems), file=file)

    try:
        out = st.schema.validate(df, lazy=True)
    except SchemaErrors as e:
        problems += _explain(e, df, file)
        raise DataError("\n".join(problems), file=file) from None

    # Panel rules.
    key = [st.unit, st.time]
    dup = out.duplicated(key, keep=False)
    if dup.any():
        ex = out.loc[dup, key].astype(str).agg(" ".join, axis=1)
        problems.append(_problem(file, f"{st.unit}, {st.time}", int(dup.sum()), ex,
                                 f"qui partagent une paire ({st.unit}, {st.time}) avec une autre ligne",
                                 f"garder une ligne par {registry.get(study).row_fr} ; agréger ou supprimer les "
                                 "doublons"))
    for chk in st.extra_checks:
        problems += [_problem(file, col, len(vals), vals, what, fix) for col, vals, what, fix in chk(out)]
    if problems:
        raise DataError("\n".join(problems), file=file)
    return _balance(out, st, file, balance)


def _is_numeric_dtype(col) -> bool:
    return str(col.dtype).startswith(("Int", "float", "int"))


def _clean_text(col: pd.Series, keep_arrow: bool = False) -> pd.Series:
    """Strip a text column; empty cells and the spellings of a missing value become missing (None).

    Runs on Arrow strings (vectorised: a national file has millions of cells); ``keep_arrow`` returns the Arrow
    column (numbers still to be parsed, :func:`_non_numeric`), else an object column with None for missing, as
    before. Cells that are not all text (a Parquet column of mixed objects) take the slow, per-cell path.
    """
    try:
        s = col.astype("string[pyarrow]").str.strip()
    except (TypeError, ValueError, ArithmeticError):
        s = col.astype("string").str.strip()
        keep_arrow = False
    empty = s.isna() | (s == "") | s.isin(_NA_VARIANTS).fillna(False)
    s = s.mask(empty)
    if keep_arrow:
        return s
    return pd.Series(s.to_numpy(dtype=object, na_value=None), index=col.index, name=col.name)


def _map_distinct(col: pd.Series, f) -> pd.Series:
    """``col.map(f)`` computed once per distinct value (missing values are passed through unchanged)."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    mapped = np.array([f(v) for v in uniques] + [None], dtype=object)
    out = pd.Series(mapped[codes], index=col.index, name=col.name)
    return out if (codes >= 0).all() else out.where(codes >= 0, col)


def _arrow_float(s: pd.Series) -> pd.Series | None:
    """Arrow strings parsed as float64 in one vectorised cast; None when any cell is not a plain number."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"):
        return None
    try:
        arr = pc.cast(pa.array(s.array), pa.float64())  # the column's Arrow data (__arrow_array__)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        return None
    out = pd.Series(arr.to_numpy(zero_copy_only=False), index=s.index, name=s.name, dtype=float)
    return None if (out.isna() & s.notna()).any() else out  # « nan » written as text: the per-cell path reports it


def _norm_department(v):
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return v
    s = str(v).strip().upper()
    if s.endswith(".0"):
        s = s[:-2]
    return s.zfill(2) if s.isdigit() and len(s) < 2 else s


def _non_numeric(df: pd.DataFrame, st: Study, file: str) -> list[str]:
    out = []
    for name, col in st.schema.columns.items():
        dtype = str(col.dtype)
        if not _is_numeric_dtype(col):
            continue
        s = df[name]
        fast = _arrow_float(s)
        if fast is None and isinstance(s.dtype, pd.StringDtype):  # not plain numbers: the per-cell path says why
            s = df[name] = pd.Series(s.to_numpy(dtype=object, na_value=None), index=s.index, name=name)
        if pd.api.types.is_datetime64_any_dtype(s):
            out.append(_problem(file, name, int(s.notna().sum()), s.dropna().astype(str).str[:10],
                                "qui contiennent une date au lieu d'un nombre",
                                f"écrire dans {name} seulement l'année (par exemple 2019)" if "year" in name
                                else f"écrire {name} en chiffres"))
            continue
        if pd.api.types.is_bool_dtype(s):
            s = s.astype("Int64")
        if fast is not None:
            num = fast
        elif pd.api.types.is_numeric_dtype(s):
            num = pd.to_numeric(s, errors="coerce").astype(float)
        else:
            num = pd.to_numeric(s, errors="coerce")
            retry = num.isna() & s.notna()
            if retry.any():  # decimal comma, thousands separated by (narrow no-break) spaces
                txt = s[retry].astype("string")
                for a, b in (("\u00a0", ""), ("\u202f", ""), (" ", ""), (",", ".")):
                    txt = txt.str.replace(a, b, regex=False)
                num = num.astype(float)
                num[retry] = pd.to_numeric(txt, errors="coerce").astype(float)
            bad = num.isna() & s.notna()
            if bad.any():
                fix = f"écrire {name} en chiffres (virgule ou point décimal, sans unité ni texte)"
                if s[bad].astype(str).str.match(r"^\s*(\d{4}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})").any():
                    fix = (f"écrire dans {name} seulement l'année (par exemple 2019), pas une date complète"
                           if "year" in name else f"{name} contient des dates : écrire des nombres")
                if col.nullable:
                    fix += f" ; laisser la case vide (ou NA) quand il n'y a pas de valeur"
                out.append(_problem(file, name, int(bad.sum()), s[bad], "dont la valeur n'est pas un nombre", fix))
                continue
        num = num.astype(float)
        inf = num.notna() & ~np.isfinite(num.fillna(0.0))
        if inf.any():
            out.append(_problem(file, name, int(inf.sum()), s[inf], "dont la valeur n'est pas un nombre fini",
                                f"remplacer ces valeurs infinies (division par zéro à l'extraction ?) par la vraie "
                                f"valeur de {name}" + (" ; laisser la case vide s'il n'y en a pas"
                                                       if col.nullable else "")))
            continue
        if dtype.startswith("Int"):
            frac = num.notna() & (num % 1 != 0)
            if frac.any():
                out.append(_problem(file, name, int(frac.sum()), s[frac], "dont la valeur n'est pas un nombre entier",
                                    f"{name} est un effectif ou un code : écrire des nombres entiers"))
                continue
            huge = num.abs() > 2.0 ** 53
            if huge.any():
                out.append(_problem(file, name, int(huge.sum()), s[huge], "dont la valeur est hors limites",
                                    f"vérifier {name} : ces nombres sont trop grands pour un effectif ou une année"))
                continue
            num = num.round().astype("Int64")
        df[name] = num
        out += _empty(df, name, col, file)
    for name, col in st.schema.columns.items():
        if str(col.dtype) in ("str", "object"):
            out += _empty(df, name, col, file)
    return out


def _empty(df: pd.DataFrame, name: str, col, file: str) -> list[str]:
    """The problem of empty cells in a column that cannot be empty ([] when there are none, or empty is allowed)."""
    na = df[name].isna()
    if col.nullable or not na.any():
        return []
    return [_problem(file, name, int(na.sum()), None, f"vide{'s' if na.sum() > 1 else ''} (ou {_NA_SHOWN})",
                     f"renseigner {name} sur chaque ligne (cette colonne ne peut pas être vide)")]


def _explain(err: SchemaErrors, df: pd.DataFrame, file: str) -> list[str]:
    fc = err.failure_cases
    out = []
    st_cols = err.schema.columns if hasattr(err, "schema") and err.schema is not None else {}
    for (column, check), grp in fc.groupby(["column", "check"], dropna=False, sort=False):
        column = "<table>" if pd.isna(column) else str(column)
        what = str(check)
        col = st_cols.get(column) if hasattr(st_cols, "get") else None
        if col is not None:
            for c in col.checks:
                if str(c) == what or getattr(c, "name", None) == what:
                    what = c.error or what
        n = int(grp["index"].nunique()) if "index" in grp else len(grp)
        if what.startswith("coerce_dtype"):
            text = "dont la valeur n'a pas le type attendu"
        else:
            text = f"dont la valeur ne respecte pas la règle : {RULES_FR.get(what, what)}"
        out.append(_problem(file, column, n, grp["failure_case"], text, _fix_for(column, what)))
    return out


def _fix_for(column: str, what: str) -> str:
    if "≥ 0" in what:
        return f"{column} ne peut pas être négatif : vérifier l'extraction (régularisations déduites ?)"
    if "0 or 1" in what:
        return f"coder {column} 1 (oui) ou 0 (non)"
    if "year" in what:
        return f"écrire {column} comme une année à quatre chiffres"
    if "département" in what:
        return ("écrire le code INSEE du département comme du texte (01, 2A, 974), pas comme un nombre qui perd son "
                "zéro initial")
    if "age" in what:
        return f"écrire {column} en années (0 à 120)"
    return f"corriger {column} selon les valeurs permises par le dictionnaire des données"


def _balance(df: pd.DataFrame, st: Study, file: str, rule: str) -> pd.DataFrame:
    if st.name == "asalee":
        return df  # patient panels are unbalanced by nature (deaths, moves, incident diabetes): CS handles it
    years = df[st.time].nunique()
    per_unit = df.groupby(st.unit)[st.time].nunique()
    short = per_unit[per_unit < years]
    if short.empty:
        return df
    msg = (f"{file} : panel non cylindré : {len(short)} des {len(per_unit)} unités ({st.unit}) ne sont pas observées "
           f"les {years} années (premières : {_fmt_values(pd.Series(short.index))})")
    if rule == "error":
        raise DataError(msg + f". {FIX} fournir toutes les années pour chaque unité, ou relancer evalkit run avec "
                        "--balance drop pour ne garder que les unités complètes", file=file, column=st.unit)
    if rule == "drop":
        if len(short) == len(per_unit):
            raise DataError(msg + f" : --balance drop les écarterait toutes. {FIX} fournir toutes les années pour "
                            "chaque unité, ou relancer sans --balance drop", file=file, column=st.unit)
        warnings.warn(msg + f" ; règle appliquée : ces {len(short)} unités sont écartées", DataWarning, stacklevel=3)
        return df[~df[st.unit].isin(short.index)].reset_index(drop=True)
    warnings.warn(msg + " ; règle appliquée : conservé tel quel — les tableaux descriptifs utilisent toutes les lignes, "
                  "les estimateurs de différence de différences (Callaway–Sant'Anna) n'utilisent que les unités "
                  "observées toutes les années et disent combien ils en ont écarté",
                  DataWarning, stacklevel=3)
    return df


# --- treatment dates outside the observed years ------------------------------------------------------------------

#: French nouns of each study for the out-of-window rule (who enters, and into what).
WINDOW_FR: dict[str, dict[str, str]] = {
    "msp": {"entered": "entrés en MSP", "already": "déjà en MSP"},
    "asalee": {"entered": "entrés dans Asalée", "already": "déjà dans Asalée"},
    "assistants": {"entered": "ayant signé un contrat d'assistant médical", "already": "déjà sous contrat"},
}

#: Columns that describe the treatment and go empty with it when a date after the panel is recoded never treated.
_WITH_COHORT: dict[str, tuple[str, ...]] = {"assistants": ("am_option",)}


def out_of_window(df: pd.DataFrame, study: str, file: str | None = None) -> pd.DataFrame:
    """The one rule for first treated years outside the observed years, applied by :func:`evalkit.io.load`.

    - after the last observed year: never treated during the panel (the date and the columns that go with it, e.g.
      ``am_option``, are emptied) — as the Callaway–Sant'Anna engine (``prepare_panel``) does;
    - in or before the first observed year: no year before entry, the unit cannot be evaluated: its rows are
      excluded — as the engine does;
    both counted in GPs (the unit that enters) and warned about (:class:`DataWarning`, counts < 11 shown as
    « moins de 11 »). The counts are in ``out.attrs["out_of_window"]`` (``first_year``, ``last_year``, ``late``,
    ``early`` in GPs, ``early_units`` in the study's unit, ``late_years`` and ``early_years``); see
    :func:`window_sentence`. On data without such dates the table is returned unchanged (same rows and values).
    """
    from .disclosure import count_fr

    st = STUDIES[study]
    file = file or f"{study}.csv"
    cohort, time = st.cohort, st.time
    gp = "gp_id" if "gp_id" in df.columns else st.unit
    if len(df) == 0:
        return df
    years = pd.to_numeric(df[time], errors="coerce")
    first, last = int(years.min()), int(years.max())
    c = pd.to_numeric(df[cohort], errors="coerce")
    late, early = (c > last).fillna(False).to_numpy(), (c <= first).fillna(False).to_numpy()
    info = {"study": study, "first_year": first, "last_year": last,
            "late": int(df.loc[late, gp].nunique()), "early": int(df.loc[early, gp].nunique()),
            "early_units": int(df.loc[early, st.unit].nunique()),
            "late_years": sorted(int(v) for v in c[late].unique()),
            "early_years": sorted(int(v) for v in c[early].unique()), "unit": gp}
    out = df
    words = WINDOW_FR.get(study, {"entered": f"traités ({cohort})", "already": "déjà traités"})
    if late.any():
        out = out.copy()
        for col in (cohort, *_WITH_COHORT.get(study, ())):
            if col in out.columns:
                out[col] = out[col].mask(late)
        warnings.warn(f"{file} : colonne '{cohort}' : {count_fr(info['late'])} médecin{'s' if info['late'] > 1 else ''} "
                      f"{words['entered']} après {last}, dernière année observée (années "
                      f"{', '.join(map(str, info['late_years']))}) ; règle appliquée : comptés comme non entrés "
                      f"sur la période {first}–{last}", DataWarning, stacklevel=3)
    if early.any():
        out = out[~early].reset_index(drop=True)
        if len(out) == 0:
            raise DataError(f"{file} : colonne '{cohort}' : toutes les lignes ont une année d'entrée en {first} ou "
                            f"avant, première année observée : aucune unité ne peut être évaluée. {FIX} fournir les "
                            "années antérieures à l'entrée, et des unités jamais entrées", file=file, column=cohort)
        warnings.warn(f"{file} : colonne '{cohort}' : {count_fr(info['early'])} médecin{'s' if info['early'] > 1 else ''} "
                      f"{words['already']} en {first}, première année observée (années d'entrée "
                      f"{', '.join(map(str, info['early_years']))}) ; règle appliquée : écartés de l'évaluation "
                      "(aucune année d'observation avant l'entrée)", DataWarning, stacklevel=3)
    out.attrs = {**df.attrs, "out_of_window": info}
    return out


def window_sentence(info: dict | None, study: str | None = None) -> str:
    """French sentence for the pages on what the out-of-window rule did (« » when it did nothing).

    Counts below 11 read « moins de 11 » (:func:`evalkit.disclosure.count_fr`).
    """
    from .disclosure import count_fr

    if not info or not (info.get("late") or info.get("early")):
        return ""
    study = study or info.get("study")
    words = WINDOW_FR.get(study, {"entered": "traités", "already": "déjà traités"})
    first, last = info["first_year"], info["last_year"]
    parts = []
    if info.get("late"):
        n = info["late"]
        parts.append(f"{count_fr(n)} médecin{'s' if n > 1 else ''} {words['entered']} après {last}, dernière année "
                     f"observée, {'sont comptés' if n > 1 else 'est compté'} comme non "
                     f"entré{'s' if n > 1 else ''} sur la période {first}–{last}")
    if info.get("early"):
        n = info["early"]
        parts.append(f"{count_fr(n)} médecin{'s' if n > 1 else ''} {words['already']} en {first}, première année "
                     f"observée, {'sont écartés' if n > 1 else 'est écarté'} de l'évaluation : aucune année "
                     "d'observation ne précède leur entrée")
    text = " ; ".join(parts)
    return text[0].upper() + text[1:] + "."


def data_dictionary(study: str) -> pd.DataFrame:
    """The contract of ``study`` as a table (column, type, missing allowed, allowed values, description)."""
    st = STUDIES[study]
    rows = []
    for name, col in st.schema.columns.items():
        rules = "; ".join(c.error for c in col.checks if c.error)
        dtype = {"Int64": "entier", "float64": "nombre", "str": "texte"}.get(str(col.dtype), str(col.dtype))
        rows.append({"colonne": name, "type": dtype, "vide autorisé": "oui" if col.nullable else "non",
                     "règle": rules, "description": col.description})
    return pd.DataFrame(rows)
