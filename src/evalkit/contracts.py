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
    row_desc: str
    extra_checks: tuple[Callable[[pd.DataFrame], list[tuple[str, pd.Series, str]]], ...] = field(default=())

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
        return [(col, rows[unit].astype(str),
                 f"belonging to {len(bad_units)} {unit} value{'s' if len(bad_units) > 1 else ''} whose {col} "
                 f"changes within the {unit}; {fix}")]
    return check


def _option_needs_year(df: pd.DataFrame):
    out = []
    opt, yr = df["am_option"].notna(), df["am_year"].notna()
    if (opt & ~yr).any():
        out.append(("am_option", df.loc[opt & ~yr, "am_option"],
                    "set where am_year is empty; give the contract's start year in am_year "
                    "or leave am_option empty for GPs who never signed"))
    if (yr & ~opt).any():
        out.append(("am_year", df.loc[yr & ~opt, "am_year"],
                    "set where am_option is empty; give the contract option (third, half or full)"))
    return out


def _followed_needs_asalee(df: pd.DataFrame):
    bad = (df["nurse_followed"] == 1) & (df["asalee_year"].isna() | (df["year"] < df["asalee_year"]))
    if bad.any():
        return [("nurse_followed", df.loc[bad, "nurse_followed"],
                 "equal to 1 for patients whose GP is not (yet) in Asalée that year; nurse follow-up can only start in "
                 "or after the GP's asalee_year")]
    return []


_CONTRACTS: dict[str, Study] = {  # one per registered study (evalkit.registry)
    "msp": Study("msp", registry.get("msp").title, "gp_id", "year", "msp_year", MSP_SCHEMA,
                 "one row per GP × year",
                 (_constant_within("gp_id", "msp_year", "give each GP a single first MSP year (empty if never)"),)),
    "asalee": Study("asalee", registry.get("asalee").title, "patient_id", "year", "asalee_year", ASALEE_SCHEMA,
                    "one row per diabetic patient × year",
                    (_constant_within("gp_id", "asalee_year", "give each GP a single Asalée entry year"),
                     _followed_needs_asalee)),
    "assistants": Study("assistants", registry.get("assistants").title, "gp_id", "year", "am_year",
                        ASSISTANTS_SCHEMA,
                        "one row per GP × year",
                        (_constant_within("gp_id", "am_year", "give each GP a single contract start year"),
                         _constant_within("gp_id", "am_option",
                                          "keep the option of the first contract for the whole panel"),
                         _option_needs_year)),
}

# --- the study list comes from the registry (evalkit.registry); each registered study needs a contract here ------
_missing_contracts = [n for n in registry.names() if n not in _CONTRACTS]
if _missing_contracts:  # pragma: no cover — a registry entry without its schema is a programming error
    raise ImportError(f"evalkit.contracts: no contract for the registered studies {', '.join(_missing_contracts)}")
STUDIES: dict[str, Study] = {n: _CONTRACTS[n] for n in registry.names()}
# --- end of the registry-driven study list -----------------------------------------------------------------------

RESULT_UNITS = ("patients", "euros", "pp", "percent", "ratio", "eur_per_patient", "acts", "log_points", "count")

#: Labels of the ``estimator`` column (a suppressed row carries one of them followed by ``[suppressed<11]``).
ESTIMATORS = (
    # Callaway–Sant'Anna: simple ATT and its aggregations, and the variants of the studies' robustness tables
    "cs_simple", "cs_dynamic", "cs_group", "cs_calendar", "cs_simple_dynamic", "cs_simple_group", "cs_simple_calendar",
    "cs_simple_matched", "cs_dynamic_matched", "cs_group_matched", "cs_calendar_matched",
    "cs_simple_not_yet_treated", "cs_simple_no_covariates", "cs_simple_per_protocol", "cs_simple_gp_weighted",
    "cs_simple_patient_weighted", "cs_dose_difference",
    "cs_simple_notyet",  # legacy msp label of cs_simple_not_yet_treated (renaming it changes estimates.csv rows)
    # other estimators and diagnostics
    "twfe", "bacon", "naive_cross_section", "did_2x2_per_protocol", "honest_did_rm", "power_mde",
    # derived quantities (assistants) and the generator's planted effects (synthetic data, methods chapter)
    "aid_over_cs_gain", "contracts_x_cs_gain", "share_of_signatories",
    "truth", "truth_dynamic", "truth_group", "truth_calendar",
)
_SUPPRESSED = "[suppressed<11]"

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
        pa.Check(lambda d: d["estimator"].str.removesuffix(_SUPPRESSED).isin(ESTIMATORS),
                 error="estimator is not one of contracts.ESTIMATORS"),
        pa.Check(lambda d: d["estimate"].notna() | d["estimator"].str.endswith("[suppressed<11]"),
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


def _fmt_values(values: pd.Series) -> str:
    vals = list(pd.Series(values).drop_duplicates().head(_MAX_SHOWN))
    return ", ".join("empty" if pd.isna(v) else repr(v.item() if hasattr(v, "item") else v) for v in vals)


def _problem(file: str, column: str, n: int, values, what: str, fix: str = "") -> str:
    return (f"{file}: column '{column}': {n} row{'s' if n != 1 else ''} {what}"
            + (f" (first values: {_fmt_values(values)})" if values is not None and len(values) else "")
            + (f". Fix: {fix}" if fix else ""))


def validate(df: pd.DataFrame, study: str, file: str = "<data>", balance: str = "warn") -> pd.DataFrame:
    """Validate (and coerce) a study table against its contract.

    Raises :class:`DataError` listing every problem found (file, column, rows, first values, fix).
    ``balance``: ``"warn"`` accepts an unbalanced panel with a :class:`DataWarning` naming the units concerned;
    ``"drop"`` keeps only units observed every year of the panel (and warns how many were dropped);
    ``"error"`` refuses it.
    """
    st = STUDIES[study]
    problems: list[str] = []
    cols = list(df.columns)
    expected = st.columns
    missing = [c for c in expected if c not in cols]
    extra = [c for c in cols if c not in expected]
    if missing:
        problems.append(f"{file}: missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}. "
                        f"Fix: the {study} file must have exactly the columns {', '.join(expected)} "
                        f"({st.row_desc}); see the data dictionary in the « Guide de l'évaluateur »")
    if extra:
        problems.append(f"{file}: unexpected column{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))}. "
                        f"Fix: remove or rename {'them' if len(extra) > 1 else 'it'}; expected columns are "
                        f"{', '.join(expected)}")
    if problems:
        raise DataError("\n".join(problems), file=file, column=(missing or extra)[0])
    if len(df) == 0:
        raise DataError(f"{file}: the file has a header but no rows. Fix: export the data rows too", file=file)

    df = df[expected].copy()
    # Empty strings (and whitespace) mean missing everywhere.
    for c in df.columns:
        if df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
            s = df[c].astype("string").str.strip()
            df[c] = s.mask(s == "", pd.NA).astype(object).where(s.notna() & (s != ""), None)
    # Categorical codes written in capitals or with padding are the same codes.
    for c in ("rurality", "am_option"):
        if c in df.columns:
            df[c] = df[c].map(lambda v: v.lower() if isinstance(v, str) else v)
    if "department" in df.columns:
        df["department"] = df["department"].map(_norm_department)
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
                                 f"sharing a ({st.unit}, {st.time}) pair with another row",
                                 f"keep one row per {st.row_desc.replace('one row per ', '')}; aggregate or "
                                 "remove the duplicates"))
    for chk in st.extra_checks:
        for col, vals, msg in chk(out):
            problems.append(_problem(file, col, len(vals), vals, msg.split("; ")[0],
                                     msg.split("; ", 1)[1] if "; " in msg else ""))
    if problems:
        raise DataError("\n".join(problems), file=file)
    return _balance(out, st, file, balance)


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
        if not (dtype.startswith("Int") or dtype.startswith("float") or dtype.startswith("int")):
            continue
        s = df[name]
        if pd.api.types.is_numeric_dtype(s):
            num = s
        else:
            num = pd.to_numeric(s.astype("string").str.replace(",", ".", regex=False).str.replace("\u00a0", ""),
                                errors="coerce")
            bad = num.isna() & s.notna()
            if bad.any():
                out.append(_problem(file, name, int(bad.sum()), s[bad], "with values that are not numbers",
                                    f"write {name} as a number (decimal point or comma, no units or text)"))
                continue
        if dtype.startswith("Int"):
            frac = num.notna() & (num.astype(float) % 1 != 0)
            if frac.any():
                out.append(_problem(file, name, int(frac.sum()), s[frac], "with values that are not whole numbers",
                                    f"{name} is a count or code: write whole numbers"))
                continue
        df[name] = num
        if not col.nullable:
            na = df[name].isna()
            if na.any():
                out.append(_problem(file, name, int(na.sum()), None, "with an empty value",
                                    f"fill {name} on every row (it cannot be missing)"))
    for name, col in st.schema.columns.items():
        if str(col.dtype) in ("str", "object") and not col.nullable:
            na = df[name].isna()
            if na.any():
                out.append(_problem(file, name, int(na.sum()), None, "with an empty value",
                                    f"fill {name} on every row (it cannot be missing)"))
    return out


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
        out.append(_problem(file, column, n, grp["failure_case"], f"with values that break the rule: {what}",
                            _fix_for(column, what)))
    return out


def _fix_for(column: str, what: str) -> str:
    if "≥ 0" in what:
        return f"{column} cannot be negative: check the extraction (regularisations netted?)"
    if "0 or 1" in what:
        return f"code {column} as 1 (yes) or 0 (no)"
    if "year" in what:
        return f"write {column} as a four-digit year"
    if "département" in what:
        return "use the INSEE département code as text (01, 2A, 974), not a number with the leading zero lost"
    return f"correct {column} to the values the data dictionary allows"


def _balance(df: pd.DataFrame, st: Study, file: str, rule: str) -> pd.DataFrame:
    if st.name == "asalee":
        return df  # patient panels are unbalanced by nature (deaths, moves, incident diabetes): CS handles it
    years = df[st.time].nunique()
    per_unit = df.groupby(st.unit)[st.time].nunique()
    short = per_unit[per_unit < years]
    if short.empty:
        return df
    msg = (f"{file}: unbalanced panel: {len(short)} of {len(per_unit)} units ({st.unit}) are not observed in all "
           f"{years} years (first: {_fmt_values(pd.Series(short.index))})")
    if rule == "error":
        raise DataError(msg + ". Fix: provide every year for every unit, or rerun with --balance drop "
                        "(evalkit run) to keep only the complete units", file=file)
    if rule == "drop":
        warnings.warn(msg + f"; rule applied: these {len(short)} units are dropped", DataWarning, stacklevel=3)
        return df[~df[st.unit].isin(short.index)].reset_index(drop=True)
    warnings.warn(msg + "; rule applied: kept as is — descriptive tables use every row, the difference-in-"
                  "differences estimators (Callaway–Sant'Anna) use the units observed in every year and say how "
                  "many they left out",
                  DataWarning, stacklevel=3)
    return df


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
