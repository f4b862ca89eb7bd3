"""Context chapter: real French open data on coordinated primary care (MSP, centres de santé, CPTS, SAS, …).

Unlike the study chapters, this chapter runs on **real public tables** shipped in ``data/public/`` (provenance and
licence in ``data/public/README.md``): the *Baromètre des résultats de l'action publique* (Etalab/DINUM, DITP;
Licence Ouverte 2.0), the DREES APL file (for the Insee populations) and simplified département boundaries (IGN Admin
Express COG 2018). Nothing here is synthetic and nothing is recorded in the results table (no estimates).

Public API
----------
- :func:`public_dir` — where the tables are (``<project>/data/public``, found with :func:`evalkit.paths.project_root`);
- :func:`load_table` / :func:`load_geojson` — read one table and check it (columns, département codes, dates, no
  negative counts, no duplicate keys, balanced panel); a malformed copy raises :class:`evalkit.contracts.DataError`
  naming the file, the column, the rows and the fix;
- :func:`load_public` — every table the chapter uses, checked, plus cross-table checks (national MSP = sum of
  départements), as a :class:`PublicData`;
- :func:`analyse` — tidy frames, French texts for glue (``.texts``) and the figure/table builders of the chapter, as a
  :class:`ContextAnalysis`.

Everything is derived from the tables (dates, départements, targets): another vintage of the same files runs as is.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.path as mpath
import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib.collections import PatchCollection
from matplotlib.patches import Patch, PathPatch

from . import paths, plots
from .contracts import DataError
from .fr import NBSP, fmt_int, fmt_num, fmt_pct
from .geo import DEPARTEMENTS, DROM
from .io import read_table

# --- reference lists ----------------------------------------------------------------------------------------------

# Département codes (Insee COG, 101 départements) and the five DROM: evalkit.geo, re-exported here.

MOIS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
        "novembre", "décembre"]

#: Baromètre indicator codes used in the chapter.
IND_MSP, IND_ALD, IND_CDS, IND_SAS, IND_CPTS, IND_AM = "IND-311", "IND-312", "IND-318", "IND-587", "IND-589", "IND-679"

# « Source » lines (the real producers; see data/public/README.md).
SOURCE_BAROMETRE = ("Baromètre des résultats de l'action publique (Etalab/DINUM puis DITP), recensements des ARS ; "
                    "données ouvertes, Licence Ouverte 2.0 ; calculs evalkit")
SOURCE_BAROMETRE_IND = ("Baromètre des résultats de l'action publique (DITP), données ouvertes, Licence Ouverte 2.0 ; "
                        "calculs evalkit")
SOURCE_CARTE = ("Baromètre des résultats de l'action publique (Etalab/DINUM puis DITP), recensements des ARS ; "
                "Insee, population {pop_year} (fichier APL de la DREES) ; IGN, Admin Express COG 2018 (contours "
                "simplifiés) ; données ouvertes, Licence Ouverte 2.0 ; calculs evalkit")


# --- table specifications -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TableSpec:
    """What a public table must look like. Checked by :func:`load_table`."""

    name: str
    file: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    counts: tuple[str, ...] = ()          # whole numbers ≥ 0 (empty allowed only if listed in ``nullable``)
    numbers: tuple[str, ...] = ()         # numbers ≥ 0
    percents: tuple[str, ...] = ()        # numbers in [0, 100]
    dates: tuple[str, ...] = ()           # YYYY-MM-DD
    nullable: tuple[str, ...] = ()
    dept: str | None = "departement_code"
    national: bool = False                # département code must be "FR"
    balanced: tuple[str, str] | None = None  # (unit, time): every unit observed at every time
    allowed: dict = field(default_factory=dict)  # column -> allowed values
    description: str = ""


TABLES: dict[str, TableSpec] = {
    "msp_par_departement": TableSpec(
        "msp_par_departement", "msp_par_departement.csv",
        ("departement_code", "departement_nom", "date", "nb_msp", "source", "date_source"),
        key=("departement_code", "date"), counts=("nb_msp",), dates=("date",),
        balanced=("departement_code", "date"), allowed={"source": ("etalab", "ditp")},
        description="number of MSP by département, half-yearly"),
    "msp_national": TableSpec(
        "msp_national", "msp_national.csv",
        ("date", "type_valeur", "nb_msp", "somme_departements", "source"),
        key=("date", "type_valeur"), counts=("nb_msp", "somme_departements"), dates=("date",),
        nullable=("somme_departements",), dept=None,
        allowed={"type_valeur": ("observee", "cible"), "source": ("etalab", "ditp")},
        description="national number of MSP and the 2026 target"),
    "barometre_indicateurs_national": TableSpec(
        "barometre_indicateurs_national", "barometre_indicateurs_national.csv",
        ("indicateur_code", "departement_code", "departement_nom", "date", "valeur_actuelle", "valeur_initiale",
         "valeur_cible", "taux_avancement_pct", "date_source"),
        key=("indicateur_code", "date"), numbers=("valeur_actuelle", "valeur_initiale", "valeur_cible"),
        dates=("date",), nullable=("valeur_actuelle", "valeur_initiale", "valeur_cible", "taux_avancement_pct"),
        national=True, description="national rows of the baromètre indicators"),
    "apl_mg_par_departement": TableSpec(
        "apl_mg_par_departement", "apl_mg_par_departement.csv",
        ("departement_code", "departement_nom", "millesime", "apl_mg", "apl_mg_moins_65ans",
         "part_pop_apl_inf_2_5_pct", "population_totale", "population_standardisee", "nb_communes"),
        key=("departement_code", "millesime"), counts=("millesime", "population_totale", "nb_communes"),
        numbers=("apl_mg", "apl_mg_moins_65ans", "population_standardisee"),
        percents=("part_pop_apl_inf_2_5_pct",),
        description="DREES APL to GPs and Insee populations, by département"),
}

GEOJSON_FILE = "departements.geojson"


# --- loading with checks ------------------------------------------------------------------------------------------

def public_dir() -> Path:
    """Folder of the public tables: ``<project root>/data/public``."""
    return paths.project_root() / "data" / "public"


def _shown(values, n: int = 5) -> str:
    vals = list(pd.Series(values).drop_duplicates().head(n))
    return ", ".join("empty" if pd.isna(v) else repr(v) for v in vals)


def _fail(file: str, column: str, rows, what: str, fix: str) -> str:
    rows = pd.Series(rows)
    return (f"{file}: column '{column}': {len(rows)} row{'s' if len(rows) != 1 else ''} {what} "
            f"(first values: {_shown(rows)}). Fix: {fix}")


def _norm_code(v):
    if v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v):
        return v
    s = str(v).strip().upper()
    if s.endswith(".0"):
        s = s[:-2]
    return s.zfill(2) if s.isdigit() and len(s) < 2 else s


def load_table(name: str, data_dir: Path | str | None = None) -> pd.DataFrame:
    """Read one public table (see :data:`TABLES`) and check it; raise :class:`DataError` if it is malformed.

    Checks: the file exists and parses; every expected column is there; counts are whole numbers ≥ 0; other numbers
    are ≥ 0 (percentages in [0, 100]); dates are valid ``YYYY-MM-DD``; département codes are INSEE codes of the
    101 départements (or ``FR`` for national rows); keys are unique; panels are balanced; coded columns take their
    allowed values. Returns typed columns (codes as text, dates as ``datetime64``).
    """
    if name not in TABLES:
        raise ValueError(f"unknown public table {name!r}; expected one of {', '.join(TABLES)}")
    spec = TABLES[name]
    path = Path(data_dir or public_dir()) / spec.file
    if not path.is_file():
        raise DataError(f"{path}: file not found. Fix: copy {spec.file} from the public data folder "
                        "(see data/public/README.md)", file=str(path))
    df = read_table(path)
    file = spec.file
    missing = [c for c in spec.columns if c not in df.columns]
    if missing:
        raise DataError(f"{file}: missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}. "
                        f"Fix: the file must have the columns {', '.join(spec.columns)} ({spec.description})",
                        file=file, column=missing[0])
    if len(df) == 0:
        raise DataError(f"{file}: the file has a header but no rows. Fix: copy the complete file", file=file)
    df = df[list(spec.columns)].copy()
    problems: list[str] = []
    decimal_comma = bool(df.attrs.get("decimal_comma"))

    for c in spec.columns:  # empty strings are missing values
        s = df[c].astype("string").str.strip()
        df[c] = s.mask(s == "")

    if spec.dept:
        df[spec.dept] = df[spec.dept].map(_norm_code)
        allowed = {"FR"} if spec.national else set(DEPARTEMENTS)
        bad = ~df[spec.dept].isin(allowed)
        if bad.any():
            problems.append(_fail(file, spec.dept, df.loc[bad, spec.dept], "with an unknown département code",
                                  "use national rows coded FR" if spec.national else
                                  "use INSEE codes as text (01…95, 2A, 2B, 971…974, 976), keeping the leading zero"))

    for c in spec.counts + spec.numbers + spec.percents:
        raw = df[c]
        txt = raw.str.replace("\u00a0", "", regex=False).str.replace(NBSP, "", regex=False)
        if decimal_comma:
            txt = txt.str.replace(",", ".", regex=False)
        num = pd.to_numeric(txt, errors="coerce")
        checks = [  # (rows at fault, what, fix): the first check that fails is reported
            (num.isna() & raw.notna(), "with values that are not numbers",
             f"write {c} as a plain number (no units, no text)"),
            (num.isna() & (c not in spec.nullable), "with an empty value", f"fill {c} on every row"),
            (num < 0, "with negative values", f"{c} is a count or a rate and cannot be negative: check the copy"),
            ((num > 100) & (c in spec.percents), "with percentages above 100", f"{c} is a percentage (0–100)"),
            (num.notna() & (num % 1 != 0) & (c in spec.counts), "with values that are not whole numbers",
             f"{c} is a count: write whole numbers")]
        failed = next(((bad, what, fix) for bad, what, fix in checks if bad.any()), None)
        if failed:
            problems.append(_fail(file, c, raw[failed[0]], failed[1], failed[2]))
            continue
        df[c] = num.astype("Int64") if c in spec.counts else num.astype(float)

    for c in spec.dates:
        d = pd.to_datetime(df[c], format="%Y-%m-%d", errors="coerce")
        bad = d.isna()
        if bad.any():
            problems.append(_fail(file, c, df.loc[bad, c], "with a date that is not YYYY-MM-DD",
                                  f"write {c} as an ISO date such as 2023-12-31"))
        else:
            df[c] = d

    for c, vals in spec.allowed.items():
        bad = ~df[c].isin(vals)
        if bad.any():
            problems.append(_fail(file, c, df.loc[bad, c], f"with values outside {', '.join(vals)}",
                                  f"{c} must be one of {', '.join(vals)}"))

    for c in spec.columns:  # empty cells of the other columns (the numeric ones are checked above)
        if c not in spec.nullable + spec.counts + spec.numbers + spec.percents and df[c].isna().any():
            problems.append(_fail(file, c, df.loc[df[c].isna(), c], "with an empty value", f"fill {c} on every row"))
    if problems:
        raise DataError("\n".join(problems), file=file)

    dup = df.duplicated(list(spec.key), keep=False)
    if dup.any():
        ex = df.loc[dup, list(spec.key)].astype(str).agg(" ".join, axis=1)
        raise DataError(_fail(file, ", ".join(spec.key), ex, "share their key with another row",
                              f"keep one row per {' × '.join(spec.key)}"), file=file)
    if spec.balanced:
        unit, time = spec.balanced
        n_t = df[time].nunique()
        per = df.groupby(unit)[time].nunique()
        short = per[per < n_t]
        if len(short):
            raise DataError(f"{file}: unbalanced panel: {len(short)} of {len(per)} {unit} values are not observed at "
                            f"all {n_t} dates (first: {_shown(pd.Series(short.index))}). Fix: copy the complete "
                            "file (every département at every date)", file=file, column=time)
    return df.sort_values(list(spec.key)).reset_index(drop=True)


def load_geojson(data_dir: Path | str | None = None) -> dict:
    """Read and check ``departements.geojson``: a FeatureCollection of (Multi)Polygons, one per département code,
    WGS 84 longitudes/latitudes, closed rings. Returns the parsed GeoJSON (dict)."""
    path = Path(data_dir or public_dir()) / GEOJSON_FILE
    file = GEOJSON_FILE
    if not path.is_file():
        raise DataError(f"{path}: file not found. Fix: copy {file} from the public data folder", file=str(path))
    try:
        gj = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"{file}: not valid JSON ({e}). Fix: copy the file again", file=file) from None
    if not isinstance(gj, dict) or gj.get("type") != "FeatureCollection" or not isinstance(gj.get("features"), list):
        raise DataError(f"{file}: not a GeoJSON FeatureCollection. Fix: copy the file again", file=file)
    codes, problems = [], []
    for i, f in enumerate(gj["features"]):
        props = f.get("properties") or {}
        code = _norm_code(props.get("code"))
        codes.append(code)
        geom = f.get("geometry") or {}
        if code not in DEPARTEMENTS:
            problems.append(f"feature {i}: unknown département code {props.get('code')!r}")
            continue
        if geom.get("type") not in ("Polygon", "MultiPolygon"):
            problems.append(f"feature {code}: geometry type {geom.get('type')!r} (expected Polygon or MultiPolygon)")
            continue
        for ring in _rings(geom):  # the first fault of the feature's first faulty ring is reported
            a = np.asarray(ring, dtype=float)
            fault = ("a ring has fewer than 4 valid points"
                     if a.ndim != 2 or a.shape[0] < 4 or a.shape[1] < 2 or not np.isfinite(a).all() else
                     "a ring is not closed" if not np.allclose(a[0, :2], a[-1, :2]) else
                     "coordinates are not longitudes/latitudes (WGS 84)"
                     if (np.abs(a[:, 0]) > 180).any() or (np.abs(a[:, 1]) > 90).any() else "")
            if fault:
                problems.append(f"feature {code}: {fault}")
                break
    dup = pd.Series(codes)[pd.Series(codes).duplicated()]
    if len(dup):
        problems.append(f"département codes present twice: {_shown(dup)}")
    if problems:
        raise DataError(f"{file}: " + "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)"
                                                                  if len(problems) > 5 else "")
                        + ". Fix: copy the file again from data/public (see its README)", file=file)
    for f in gj["features"]:
        f["properties"]["code"] = _norm_code(f["properties"]["code"])
    return gj


def _rings(geom: dict):
    polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
    for poly in polys:
        yield from poly


@dataclass
class PublicData:
    """The checked public tables the context chapter uses."""

    msp_dept: pd.DataFrame
    msp_nat: pd.DataFrame
    national: pd.DataFrame
    apl: pd.DataFrame
    geo: dict
    data_dir: Path


def load_public(data_dir: Path | str | None = None) -> PublicData:
    """Load and check every table of the chapter, plus cross-table checks:

    - the national MSP count equals the sum of the départements at each observed date;
    - every département of the MSP table has a boundary in the GeoJSON.
    """
    d = Path(data_dir or public_dir())
    pub = PublicData(load_table("msp_par_departement", d), load_table("msp_national", d),
                     load_table("barometre_indicateurs_national", d), load_table("apl_mg_par_departement", d),
                     load_geojson(d), d)
    obs = pub.msp_nat[pub.msp_nat["type_valeur"] == "observee"].set_index("date")["nb_msp"]
    sums = pub.msp_dept.groupby("date")["nb_msp"].sum()
    common = obs.index.intersection(sums.index)
    if len(common) == 0:
        raise DataError("msp_national.csv and msp_par_departement.csv have no date in common. Fix: copy both files "
                        "from the same extraction", file="msp_national.csv")
    diff = (obs[common].astype(int) - sums[common].astype(int))
    if (diff != 0).any():
        bad = diff[diff != 0]
        raise DataError(f"msp_national.csv: column 'nb_msp': {len(bad)} dates where the national count differs from "
                        f"the sum of départements (first: {', '.join(str(x.date()) for x in bad.index[:3])}). "
                        "Fix: copy both files from the same extraction", file="msp_national.csv", column="nb_msp")
    geo_codes = {f["properties"]["code"] for f in pub.geo["features"]}
    nogeo = sorted(set(pub.msp_dept["departement_code"]) - geo_codes)
    if nogeo:
        raise DataError(f"departements.geojson: no boundary for {len(nogeo)} départements of msp_par_departement.csv "
                        f"(first: {', '.join(nogeo[:5])}). Fix: copy the complete GeoJSON", file=GEOJSON_FILE)
    return pub


# --- formatting helpers -------------------------------------------------------------------------------------------

def fmt_date(d) -> str:
    """« juin 2017 »."""
    d = pd.Timestamp(d)
    return f"{MOIS[d.month - 1]} {d.year}"


def _pct(v) -> str:
    """« 33,3 % », « 40 % »: one decimal unless the percentage is whole."""
    return fmt_pct(v, 0 if float(v).is_integer() else 1)


def _series(national: pd.DataFrame, code: str) -> pd.Series:
    """Observed national series of a baromètre indicator: ``valeur_actuelle``, or ``valeur_initiale`` at dates where
    the current value is empty (README rule). Target rows (only ``valeur_cible``) are excluded."""
    d = national[national["indicateur_code"] == code].sort_values("date")
    v = d["valeur_actuelle"].fillna(d["valeur_initiale"])
    return pd.Series(v.to_numpy(), index=pd.DatetimeIndex(d["date"]), name=code).dropna()


def _target(national: pd.DataFrame, code: str) -> tuple[pd.Timestamp, float] | None:
    d = national[(national["indicateur_code"] == code) & national["valeur_cible"].notna()].sort_values("date")
    if d.empty:
        return None
    r = d.iloc[-1]
    return pd.Timestamp(r["date"]), float(r["valeur_cible"])


def _nearest(s: pd.Series, when) -> tuple[pd.Timestamp, float]:
    when = pd.Timestamp(when)
    i = int(np.argmin(np.abs((s.index - when).days)))
    return s.index[i], float(s.iloc[i])


def _years(a, b) -> float:
    return (pd.Timestamp(b) - pd.Timestamp(a)).days / 365.25


# --- published facts (typed with their source: cited, not computed) -----------------------------------------------

#: Published figures compared with the open data in the « publié vs données ouvertes » table. Each has its source
#: (publication in the ``src`` field of each row; full references in references.bib).
PUBLISHED = [
    # indicator, baromètre code, published text, published value, date as published, date used to pick the
    # nearest open-data observation, source, kind (selects the reading)
    dict(ind="Maisons de santé pluriprofessionnelles", code=IND_MSP, txt=f"plus de 2{NBSP}000", val=2000,
         date_txt="2022", when="2022-06-30", src="HCAAM (2022)", kind="total"),
    dict(ind="MSP adhérentes à l'accord conventionnel interprofessionnel (ACI)", code=IND_MSP, txt=f"≈ 1{NBSP}470",
         val=1470, date_txt="31 janvier 2022", when="2022-01-31",
         src="Cnam (Le Quotidien du médecin, 2022)", kind="aci"),
    dict(ind="Centres de santé pluriprofessionnels", code=IND_CDS, txt="environ 450", val=450, date_txt="2021",
         when="2021-12-31", src="HCAAM (2022), d'après la FNCCS", kind="cds"),
    dict(ind="Assistants médicaux", code=IND_AM, txt=f"2{NBSP}700 contrats signés", val=2700, date_txt="fin janvier 2022",
         when="2022-01-31", src="Cnam, cité par le HCAAM (2022)", kind="am"),
    dict(ind="Assistants médicaux", code=IND_AM, txt=f"7{NBSP}240 contrats", val=7240, date_txt="octobre 2024",
         when="2024-10-31", src="Cnam (2024)", kind="am"),
    dict(ind="Population couverte par une CPTS (243 CPTS de l'ACI pour le HCAAM)", code=IND_CPTS, txt="près d'un tiers", val=100 / 3,
         date_txt="février 2022", when="2022-02-28", src="HCAAM (2022)", kind="cpts"),
]


# --- analysis -----------------------------------------------------------------------------------------------------

@dataclass
class ContextAnalysis:
    """Everything the context chapter shows, computed from the public tables. Its figures and tables are the
    module's ``figure_*`` and ``table_*`` functions, bound as methods (``a.figure_carte()``)."""

    msp_national: pd.Series          # observed national MSP count by date
    msp_target: tuple[pd.Timestamp, float] | None
    cds_national: pd.Series
    cds_target: tuple[pd.Timestamp, float] | None
    dept: pd.DataFrame               # one row per département × date: nb_msp, population, densite
    dept_wide: pd.DataFrame          # one row per département: first/last counts and densities
    distribution: pd.DataFrame       # by date: quantiles of the density across départements + national density
    coverage: dict[str, pd.Series]   # CPTS / SAS national coverage (%)
    coverage_targets: dict[str, tuple[pd.Timestamp, float] | None]
    decreases: pd.DataFrame          # half-year decreases by département
    published: pd.DataFrame          # « publié vs données ouvertes »
    texts: dict[str, str]            # French texts for glue
    geo: dict
    pop_year: int                    # Insee population year used for densities
    facts: dict = field(default_factory=dict)  # raw numbers behind the texts (for tests and assertions)


def analyse(pub: PublicData) -> ContextAnalysis:
    """Compute the chapter's frames and texts from the checked public tables."""
    md = pub.msp_dept.copy()
    nat = pub.msp_nat
    msp = nat[nat["type_valeur"] == "observee"].set_index("date")["nb_msp"].astype(float).sort_index()
    msp.index = pd.DatetimeIndex(msp.index)
    tgt = nat[nat["type_valeur"] == "cible"].sort_values("date")
    msp_target = (pd.Timestamp(tgt["date"].iloc[-1]), float(tgt["nb_msp"].iloc[-1])) if len(tgt) else None
    cds = _series(pub.national, IND_CDS)
    cds_target = _target(pub.national, IND_CDS)

    # Densities: MSP per 100 000 inhabitants, Insee population of the latest APL vintage (fixed denominator).
    mil = int(pub.apl["millesime"].max())
    apl = pub.apl[pub.apl["millesime"] == mil].set_index("departement_code")
    pop_year = mil - 2  # DREES APL vintage N uses the Insee population of year N−2 (README)
    md["population"] = md["departement_code"].map(apl["population_totale"]).astype(float)
    md["densite"] = md["nb_msp"].astype(float) / md["population"] * 1e5
    dates = sorted(md["date"].unique())
    d0, d1 = pd.Timestamp(dates[0]), pd.Timestamp(dates[-1])
    names = md.drop_duplicates("departement_code").set_index("departement_code")["departement_nom"]

    first = md[md["date"] == d0].set_index("departement_code")
    last = md[md["date"] == d1].set_index("departement_code")
    wide = pd.DataFrame({
        "departement_nom": names,
        "nb_debut": first["nb_msp"].astype(int),
        "nb_fin": last["nb_msp"].astype(int),
        "densite_debut": first["densite"],
        "densite_fin": last["densite"],
        "population": last["population"],
        "apl_mg": apl["apl_mg"].reindex(names.index),
    })
    wide["hausse"] = wide["nb_fin"] - wide["nb_debut"]

    with_pop = md[md["population"].notna()]
    q = with_pop.groupby("date")["densite"].quantile([0.1, 0.25, 0.5, 0.75, 0.9]).unstack()
    q.columns = ["p10", "p25", "p50", "p75", "p90"]
    tot = with_pop.groupby("date")[["nb_msp", "population"]].sum()
    q["national"] = tot["nb_msp"].astype(float) / tot["population"] * 1e5
    q["n_departements"] = with_pop.groupby("date")["departement_code"].nunique()
    q.index = pd.DatetimeIndex(q.index)

    # Half-year decreases by département (published counts kept as they are; see README « Anything odd »).
    md = md.sort_values(["departement_code", "date"])
    md["variation"] = md.groupby("departement_code")["nb_msp"].diff()
    md["date_prec"] = md.groupby("departement_code")["date"].shift()
    dec = md[md["variation"] < 0][["departement_code", "departement_nom", "date_prec", "date", "variation"]]
    dec = dec.sort_values(["variation", "date"]).reset_index(drop=True)

    coverage = {"CPTS": _series(pub.national, IND_CPTS), "SAS": _series(pub.national, IND_SAS)}
    coverage_targets = {"CPTS": _target(pub.national, IND_CPTS), "SAS": _target(pub.national, IND_SAS)}
    am = _series(pub.national, IND_AM)
    am_target = _target(pub.national, IND_AM)
    ald = _series(pub.national, IND_ALD)

    published = _published_table(pub.national, msp, cds, am, coverage["CPTS"])

    a = ContextAnalysis(msp, msp_target, cds, cds_target, md.reset_index(drop=True), wide, q, coverage,
                        coverage_targets, dec, published, {}, pub.geo, pop_year)
    a.texts, a.facts = _texts(a, am, am_target, ald)
    return a


def _published_table(national, msp, cds, am, cpts) -> pd.DataFrame:
    series = {IND_MSP: msp, IND_CDS: cds, IND_AM: am, IND_CPTS: cpts}
    rows = []
    for p in PUBLISHED:
        code, txt, val, when, kind = p["code"], p["txt"], p["val"], p["when"], p["kind"]
        s = series[code]
        if s.empty:
            continue
        d, v = _nearest(s, when)
        open_txt = _pct(v) if code == IND_CPTS else fmt_int(v)
        gap_months = abs((d.year - pd.Timestamp(when).year) * 12 + d.month - pd.Timestamp(when).month)
        if kind == "aci":
            lecture = (f"L'ACI couvrirait {fmt_pct(100 * val / v, 0)} des MSP recensées (« trois quarts » selon le "
                       "HCAAM).")
        elif kind == "total":
            lecture = "Concordant." if v >= val else "Données ouvertes en deçà du chiffre publié : vérifier les dates."
        elif kind == "cds":
            lecture = f"Écart de {fmt_pct(100 * (v - val) / val, 0, sign=True)} : recensements différents."
        elif kind == "am":
            lecture = (f"Concepts différents (contrats signés / assistants recrutés), {gap_months} mois d'écart : "
                       "ordre de grandeur seulement.")
        else:
            lecture = (f"Écart de {fmt_num(v - val, 0)} points en {gap_months} mois : champs probablement "
                       "différents.")
        rows.append({"Indicateur": p["ind"], "Chiffre publié (date)": f"{txt} ({p['date_txt']})",
                     "Source": p["src"], "Données ouvertes (date la plus proche)": f"{open_txt} ({fmt_date(d)})",
                     "Lecture": lecture})
    return pd.DataFrame(rows)


def _texts(a: ContextAnalysis, am: pd.Series, am_target, ald: pd.Series) -> tuple[dict, dict]:
    t, f = {}, {}
    s = a.msp_national
    d0, d1 = s.index[0], s.index[-1]
    n0, n1 = s.iloc[0], s.iloc[-1]
    yrs = _years(d0, d1)
    f.update(msp_debut=n0, msp_fin=n1, msp_ratio=n1 / n0, msp_rythme=(n1 - n0) / yrs)
    t.update(msp_date_debut=fmt_date(d0), msp_date_fin=fmt_date(d1), msp_debut=fmt_int(n0), msp_fin=fmt_int(n1),
             msp_ratio=fmt_num(n1 / n0, 1), msp_hausse=fmt_int(n1 - n0),
             msp_rythme=fmt_int((n1 - n0) / yrs))
    # recent pace: last two years (or the longest span available below that)
    ref = d1 - pd.DateOffset(years=2)
    d_ref = s.index[s.index >= ref][0]
    rec = (n1 - s[d_ref]) / _years(d_ref, d1) if d_ref < d1 else float("nan")
    f["msp_rythme_recent"] = rec
    t.update(msp_date_recent=fmt_date(d_ref), msp_rythme_recent=fmt_int(rec))
    if a.msp_target:
        td, tv = a.msp_target
        need = (tv - n1) / _years(d1, td)
        f.update(msp_cible=tv, msp_rythme_requis=need, msp_rythme_facteur=need / rec)
        t.update(msp_cible=fmt_int(tv), msp_cible_date=fmt_date(td), msp_cible_annee=str(td.year),
                 msp_rythme_requis=fmt_int(need), msp_rythme_facteur=fmt_num(need / rec, 1),
                 msp_cible_part=fmt_pct(100 * n1 / tv, 0))
    else:
        t.update({k: "n.d." for k in ("msp_cible", "msp_cible_date", "msp_cible_annee", "msp_rythme_requis",
                                      "msp_rythme_facteur", "msp_cible_part")})
    c = a.cds_national
    f.update(cds_debut=c.iloc[0], cds_fin=c.iloc[-1])
    t.update(cds_date_debut=fmt_date(c.index[0]), cds_date_fin=fmt_date(c.index[-1]), cds_debut=fmt_int(c.iloc[0]),
             cds_fin=fmt_int(c.iloc[-1]), cds_cible=fmt_int(a.cds_target[1]) if a.cds_target else "n.d.")

    w = a.dept_wide
    n_dep = len(w)
    n_up = int((w["nb_fin"] > w["nb_debut"]).sum())
    n_double = int((w["nb_fin"] >= 2 * w["nb_debut"]).sum())
    f.update(n_dep=n_dep, n_hausse=n_up, n_double=n_double)
    t.update(n_dep=str(n_dep), n_hausse=str(n_up), n_double=str(n_double))
    q = a.distribution
    q0, q1 = q.iloc[0], q.iloc[-1]
    f.update(dens_med_debut=q0["p50"], dens_med_fin=q1["p50"], dens_p10_fin=q1["p10"], dens_p90_fin=q1["p90"],
             dens_nat_debut=q0["national"], dens_nat_fin=q1["national"], n_dep_pop=int(q1["n_departements"]))
    t.update(dens_med_debut=fmt_num(q0["p50"], 1), dens_med_fin=fmt_num(q1["p50"], 1),
             dens_p10_fin=fmt_num(q1["p10"], 1), dens_p90_fin=fmt_num(q1["p90"], 1),
             dens_rapport_fin=fmt_num(q1["p90"] / q1["p10"], 1),
             dens_nat_debut=fmt_num(q0["national"], 1), dens_nat_fin=fmt_num(q1["national"], 1),
             n_dep_pop=str(int(q1["n_departements"])), pop_annee=str(a.pop_year))
    wp = w[w["densite_fin"].notna()].sort_values("densite_fin")
    hi, lo = wp.iloc[-1], wp.iloc[0]
    t.update(dens_max_nom=str(hi["departement_nom"]), dens_max=fmt_num(hi["densite_fin"], 1),
             dens_min_nom=str(lo["departement_nom"]), dens_min=fmt_num(lo["densite_fin"], 1))
    t["dens_top3"] = ", ".join(f"{r.departement_nom} ({fmt_num(r.densite_fin, 1)})"
                               for r in wp.iloc[::-1].head(3).itertuples())
    t["dens_bot3"] = ", ".join(f"{r.departement_nom} ({fmt_num(r.densite_fin, 1)})" for r in wp.head(3).itertuples())
    nopop = w[w["population"].isna()]
    t["sans_population"] = ", ".join(nopop["departement_nom"]) if len(nopop) else "aucun"
    # correlation of MSP density and APL (Spearman, départements with both)
    both = w[["densite_fin", "apl_mg"]].dropna()
    rho = both["densite_fin"].rank().corr(both["apl_mg"].rank()) if len(both) > 2 else float("nan")
    f["rho_apl"] = rho
    t["rho_apl"] = fmt_num(rho, 2)
    t["rho_apl_qualif"] = ("n'est pas liée" if not np.isfinite(rho) or abs(rho) < 0.1 else
                           "n'est que faiblement liée" if abs(rho) < 0.3 else
                           "est modérément liée" if abs(rho) < 0.5 else "est nettement liée")
    dec = a.decreases
    f["n_baisses"] = len(dec)
    t["n_baisses"] = str(len(dec))
    if len(dec):
        r = dec.iloc[0]
        prev = a.dept[(a.dept["departement_code"] == r["departement_code"]) & (a.dept["date"] == r["date_prec"])]
        t.update(baisse_max_nom=str(r["departement_nom"]), baisse_max=fmt_int(-r["variation"]),
                 baisse_max_de=fmt_int(prev["nb_msp"].iloc[0]),
                 baisse_max_a=fmt_int(prev["nb_msp"].iloc[0] + r["variation"]),
                 baisse_max_date=fmt_date(r["date"]))
        t["n_dep_baisse"] = str(dec["departement_code"].nunique())
    def ends(key: str, s2: pd.Series, fmt) -> None:  # coverage, assistants, ALD: first and last values and dates
        t.update({f"{key}_debut": fmt(s2.iloc[0]), f"{key}_fin": fmt(s2.iloc[-1]),
                  f"{key}_date_debut": fmt_date(s2.index[0]), f"{key}_date_fin": fmt_date(s2.index[-1])})
        f.update({f"{key}_debut": s2.iloc[0], f"{key}_fin": s2.iloc[-1]})

    for k, s2 in a.coverage.items():
        if s2.empty:
            continue
        ends(k.lower(), s2, _pct)
        tg = a.coverage_targets.get(k)
        t[f"{k.lower()}_cible"] = f"{fmt_pct(tg[1], 0)} en {fmt_date(tg[0])}" if tg else "n.d."
    if len(am):
        ends("am", am, fmt_int)
        t.update(am_cible=fmt_int(am_target[1]) if am_target else "n.d.",
                 am_cible_annee=str(am_target[0].year) if am_target else "n.d.")
    if len(ald):
        ends("ald", ald, lambda v: fmt_pct(v, 1))
    return t, f


# --- figures ------------------------------------------------------------------------------------------------------

def _time_axes(ax, top, xlabel: str, ylabel: str, legend: str):
    """The axes of a national series over time: y from 0 to ``top``; x ticks at 31 December of each year, labelled
    with the year (observations are dated at month end, so a point at 31 December 2023 sits on the « 2023 » tick, not
    next to « 2024 »); the axis labels, French numbers on y and the legend at ``legend``."""
    ax.set_ylim(0, top)
    lo, hi = (mdates.num2date(v) for v in ax.get_xlim())
    ticks = [pd.Timestamp(y, 12, 31) for y in range(lo.year - 1, hi.year + 1)]
    ticks = [t for t in ticks if mdates.date2num(lo) <= mdates.date2num(t) <= mdates.date2num(hi)]
    ax.set_xticks([mdates.date2num(t) for t in ticks])
    ax.xaxis.set_major_formatter(plots.mticker.FuncFormatter(lambda v, _p: f"{mdates.num2date(v).year}"))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    plots.french_axis(ax, "y")
    ax.legend(frameon=False, fontsize=8, loc=legend)


def figure_msp_national(a: ContextAnalysis):
    """National number of MSP (half-yearly) and of centres de santé pluriprofessionnels (yearly), with targets."""
    fig, ax = plots.new(height=4.4)
    s, c = a.msp_national, a.cds_national
    ax.plot(s.index, s.values, marker="o", ms=4, color=plots.PALETTE[0], label="Maisons de santé (MSP)")
    ax.plot(c.index, c.values, marker="s", ms=4, color=plots.PALETTE[1],
            label="Centres de santé pluriprofessionnels")
    for ser, tgt, col in ((s, a.msp_target, plots.PALETTE[0]), (c, a.cds_target, plots.PALETTE[1])):
        if tgt:
            ax.plot([ser.index[-1], tgt[0]], [ser.iloc[-1], tgt[1]], ls="--", color=col, lw=1)
            ax.plot([tgt[0]], [tgt[1]], marker="o", mfc="white", color=col, ms=6)
            ax.annotate(f"cible {fmt_date(tgt[0])} : {fmt_int(tgt[1])}", (tgt[0], tgt[1]), xytext=(4, 7),
                        textcoords="offset points", ha="right", va="bottom", fontsize=8, color=col)
    ax.annotate(fmt_int(s.iloc[-1]), (s.index[-1], s.iloc[-1]), xytext=(4, -12), textcoords="offset points",
                fontsize=8, color=plots.PALETTE[0])
    ax.annotate(fmt_int(s.iloc[0]), (s.index[0], s.iloc[0]), xytext=(0, 8), textcoords="offset points",
                fontsize=8, color=plots.PALETTE[0], ha="center")
    top = max([s.max(), c.max() if len(c) else 0] + [t[1] for t in (a.msp_target, a.cds_target) if t])
    _time_axes(ax, top * 1.1, "Date d'observation (graduations au 31 décembre de chaque année)",
               "Nombre de structures en fonctionnement", "upper left")
    tx = a.texts
    title = (f"Le nombre de MSP est multiplié par {tx['msp_ratio']} entre {tx['msp_date_debut']} et "
             f"{tx['msp_date_fin']}")
    rising = "en hausse à chaque observation" if (s.diff().dropna() > 0).all() else "en hausse d'ensemble"
    alt = (f"Courbes d'évolution. Maisons de santé pluriprofessionnelles : de {tx['msp_debut']} en "
           f"{tx['msp_date_debut']} à {tx['msp_fin']} en {tx['msp_date_fin']}, {rising} ; cible de {tx['msp_cible']} en "
           f"{tx['msp_cible_date']}. Centres de santé pluriprofessionnels : de {tx['cds_debut']} en "
           f"{tx['cds_date_debut']} à {tx['cds_fin']} en {tx['cds_date_fin']} ; cible de {tx['cds_cible']}.")
    note = (f"Rythme moyen : {tx['msp_rythme']} MSP de plus par an depuis {tx['msp_date_debut']}, "
            f"{tx['msp_rythme_recent']} par an depuis {tx['msp_date_recent']} ; atteindre la cible demanderait "
            f"{tx['msp_rythme_requis']} par an. Les cibles sont celles du baromètre (DITP).") if a.msp_target else ""
    champ = (f"France entière ({a.facts['n_dep']} départements, DROM compris) ; maisons de santé "
             f"pluriprofessionnelles en fonctionnement, au 30 juin et au 31 décembre, de {fmt_date(s.index[0])} à "
             f"{fmt_date(s.index[-1])}. Centres de santé pluriprofessionnels au 31 décembre (et 30 juin 2021), "
             f"{c.index[0].year}–{c.index[-1].year}.")
    lecture = (f"En {fmt_date(s.index[-1])}, {fmt_int(s.iloc[-1])} maisons de santé pluriprofessionnelles sont en "
               f"fonctionnement, contre {fmt_int(s.iloc[0])} en {fmt_date(s.index[0])}.")
    return plots.figure(fig, title=title, alt=alt, champ=champ, source=SOURCE_BAROMETRE, name="contexte-msp-national",
                        note=note, lecture=lecture)


def _draw(ax, feats, values: dict, cmap, norm, lw=0.25):
    patches, colors, hatched = [], [], []
    for f in feats:
        verts, codes = [], []
        for ring in _rings(f["geometry"]):
            r = np.asarray(ring, dtype=float)[:, :2]
            verts.extend(r.tolist())
            codes.extend([mpath.Path.MOVETO] + [mpath.Path.LINETO] * (len(r) - 2) + [mpath.Path.CLOSEPOLY])
        p = PathPatch(mpath.Path(verts, codes))
        v = values.get(f["properties"]["code"], np.nan)
        if v is None or not np.isfinite(v):
            hatched.append(p)
        else:
            patches.append(p)
            colors.append(cmap(norm(v)))
    ax.add_collection(PatchCollection(patches, facecolors=colors, edgecolors="white", linewidths=lw))
    if hatched:
        ax.add_collection(PatchCollection(hatched, facecolors="#e6e6e6", edgecolors="#6b6b6b", linewidths=lw,
                                          hatch="/////"))


def _bounds(feats):
    pts = np.concatenate([np.asarray(ring, dtype=float)[:, :2] for f in feats for ring in _rings(f["geometry"])])
    return pts[:, 0].min(), pts[:, 0].max(), pts[:, 1].min(), pts[:, 1].max()


def _hide_axes(ax):
    ax.set_xticks([])
    ax.set_yticks([])
    ax.xaxis.set_visible(False)
    ax.yaxis.set_visible(False)
    ax.grid(False)


def _map_panel(ax, geo, values, cmap, norm, title, names):
    feats = geo["features"]
    metro = [f for f in feats if f["properties"]["code"] not in DROM]
    drom = [f for f in feats if f["properties"]["code"] in DROM]
    _draw(ax, metro, values, cmap, norm)
    x0, x1, y0, y1 = _bounds(metro)
    w = x1 - x0
    ax.set_xlim(x0 - 0.30 * w, x1 + 0.02 * w)
    ax.set_ylim(y0 - 0.02 * (y1 - y0), y1 + 0.02 * (y1 - y0))
    ax.set_aspect(1 / math.cos(math.radians((y0 + y1) / 2)))
    _hide_axes(ax)
    ax.spines[:].set_visible(False)
    ax.set_title(title, fontsize=11, loc="left")
    order = [c for c in DROM if any(f["properties"]["code"] == c for f in drom)]
    for i, code in enumerate(order):
        fs = [f for f in drom if f["properties"]["code"] == code]
        h = 0.96 / len(order)
        ins = ax.inset_axes([0.0, 0.98 - (i + 1) * h, 0.2, h * 0.9])
        _draw(ins, fs, values, cmap, norm, lw=0.3)
        bx0, bx1, by0, by1 = _bounds(fs)
        px, py = 0.08 * (bx1 - bx0) + 0.01, 0.08 * (by1 - by0) + 0.01
        ins.set_xlim(bx0 - px, bx1 + px)
        ins.set_ylim(by0 - py, by1 + py)
        ins.set_aspect(1 / math.cos(math.radians((by0 + by1) / 2)))
        _hide_axes(ins)
        ins.spines[:].set(visible=True, color="#b0b0b0", linewidth=0.6)
        ins.set_title(names.get(code, code), fontsize=7.5, loc="left", pad=1.5, fontweight="normal")


def figure_carte(a: ContextAnalysis):
    """Choropleth maps of MSP per 100 000 inhabitants at the first and last dates, same scale; DROM in insets."""
    w = a.dept_wide
    vmax = float(np.nanmax(w[["densite_debut", "densite_fin"]].to_numpy()))
    bounds = plots.mticker.MaxNLocator(nbins=7, steps=[1, 2, 2.5, 5, 10]).tick_values(0, vmax)
    bounds = bounds[bounds >= 0]
    if bounds[-1] < vmax:
        bounds = np.append(bounds, bounds[-1] + (bounds[1] - bounds[0]))
    cmap = plots.plt.get_cmap("viridis_r", len(bounds) - 1)
    norm = mcolors.BoundaryNorm(bounds, cmap.N)
    names = w["departement_nom"].to_dict()
    plots.apply_style()
    # Gridspec subplots only (maps + a colour-bar row), so that tight_layout applies without warnings.
    # The two dates are stacked (one map per row) so that each map stays readable in a book column.
    fig = plots.plt.figure(figsize=(7.5, 12.2))
    gs = fig.add_gridspec(3, 6, height_ratios=[20, 20, 0.8])
    axes = [fig.add_subplot(gs[0, :]), fig.add_subplot(gs[1, :])]
    cax = fig.add_subplot(gs[2, 1:5])
    d0, d1 = a.distribution.index[0], a.distribution.index[-1]
    _map_panel(axes[0], a.geo, w["densite_debut"].to_dict(), cmap, norm, fmt_date(d0).capitalize(), names)
    _map_panel(axes[1], a.geo, w["densite_fin"].to_dict(), cmap, norm, fmt_date(d1).capitalize(), names)
    # Colour legend drawn as a class bar (fig.colorbar's axes locator is not compatible with tight_layout).
    mids = (bounds[:-1] + bounds[1:]) / 2
    cax.pcolormesh(bounds, [0, 1], mids[None, :], cmap=cmap, norm=norm, edgecolors="white", linewidth=0.8)
    cax.set_xlim(bounds[0], bounds[-1])
    cax.set_xticks(bounds)
    plots.french_axis(cax, "x")
    cax.tick_params(axis="x", length=3, labelsize=8)
    cax.set_xlabel(f"Nombre de MSP pour 100 000 habitants (population Insee {a.pop_year})", fontsize=9)
    cax.yaxis.set_visible(False)
    cax.set_yticks([])
    cax.grid(False)
    cax.spines[:].set_visible(False)
    nopop = w[w["population"].isna()]
    if len(nopop):
        axes[1].legend(handles=[Patch(facecolor="#e6e6e6", edgecolor="#6b6b6b", hatch="/////",
                                      label="densité non calculée")], loc="lower right", frameon=False, fontsize=8)
    tx = a.texts
    wp = w[w["densite_fin"].notna()]
    top = wp.sort_values("densite_fin", ascending=False).head(3)
    top3 = ", ".join(f"{r.departement_nom} ({fmt_num(r.densite_fin, 1)})" for r in top.itertuples())
    title = (f"Densité de MSP par département : médiane de {tx['dens_med_debut']} en {fmt_date(d0)}, "
             f"{tx['dens_med_fin']} pour 100 000 habitants en {fmt_date(d1)}")
    alt = (f"Deux cartes de France par département, même échelle de couleurs (nombre de MSP pour 100 000 habitants, "
           f"classes de {fmt_num(bounds[0], 0)} à {fmt_num(bounds[-1], 0)}), départements d'outre-mer en "
           f"encadrés. En {fmt_date(d0)} : densité médiane {tx['dens_med_debut']}, de "
           f"{fmt_num(wp['densite_debut'].min(), 1)} à {fmt_num(wp['densite_debut'].max(), 1)}. En {fmt_date(d1)} : "
           f"médiane {tx['dens_med_fin']}, de {fmt_num(wp['densite_fin'].min(), 1)} à "
           f"{fmt_num(wp['densite_fin'].max(), 1)} ; plus fortes densités : {top3} ; plus faibles : "
           f"{tx['dens_bot3']}. Le nombre de MSP augmente entre les deux dates dans {tx['n_hausse']} départements "
           f"sur {tx['n_dep']}" + (" : aucune couleur ne s'éclaircit." if tx["n_hausse"] == tx["n_dep"] else "."))
    if len(nopop):
        alt += f" Densité non calculée pour {tx['sans_population']} (population absente du fichier APL)."
    note = (f"Densité = nombre de MSP rapporté à la population totale Insee {a.pop_year}, la même pour les deux "
            "dates (dénominateur fixe). "
            + (f"{tx['sans_population']} : densité non calculée, le fichier APL de la DREES ne couvrant pas ce "
               f"département ({', '.join(f'{int(r.nb_fin)} MSP en {fmt_date(d1)}' for r in nopop.itertuples())})."
               if len(nopop) else ""))
    champ = (f"France entière ({len(w)} départements, DROM en encadrés à leur propre échelle) ; MSP en "
             f"fonctionnement en {fmt_date(d0)} et en {fmt_date(d1)}.")
    first = top.iloc[0] if len(top) else None
    lecture = (f"en {fmt_date(d1)}, la plus forte densité départementale est de {fmt_num(first.densite_fin, 1)} MSP "
               f"pour 100 000 habitants ({first.departement_nom}) ; la moitié des départements en comptent moins de "
               f"{tx['dens_med_fin']}." if first is not None else "")
    return plots.figure(fig, title=title, alt=alt, champ=champ, source=SOURCE_CARTE.format(pop_year=a.pop_year),
                        name="contexte-carte-msp", note=note, lecture=lecture[:1].upper() + lecture[1:])


def figure_distribution(a: ContextAnalysis):
    """Distribution of MSP density across départements over time: median, interquartile and 10–90 % ranges."""
    q = a.distribution
    fig, ax = plots.new(height=4.2)
    ax.fill_between(q.index, q["p10"], q["p90"], color=plots.PALETTE[5], alpha=0.25, lw=0,
                    label="du 1er au 9e décile (80 % des départements)")
    ax.fill_between(q.index, q["p25"], q["p75"], color=plots.PALETTE[0], alpha=0.30, lw=0,
                    label="du 1er au 3e quartile (50 % des départements)")
    ax.plot(q.index, q["p50"], color=plots.PALETTE[0], marker="o", ms=3.5, label="médiane des départements")
    ax.plot(q.index, q["national"], color=plots.PALETTE[3], ls="--", lw=1.3,
            label="France (total MSP / population totale)")
    _time_axes(ax, None, "Date d'observation, semestrielle (graduations au 31 décembre)",
               "MSP pour 100 000 habitants", "upper left")
    tx = a.texts
    n_up, n = a.facts["n_hausse"], a.facts["n_dep"]
    qual = f"les {n} départements" if n_up == n else f"{n_up} départements sur {n}"
    title = (f"Plus de MSP en {fmt_date(q.index[-1])} qu'en {fmt_date(q.index[0])} dans {qual}, "
             "mais des densités toujours très dispersées")
    alt = (f"Graphique d'évolution de la densité de MSP par département, de {fmt_date(q.index[0])} à "
           f"{fmt_date(q.index[-1])}. Médiane : de {tx['dens_med_debut']} à {tx['dens_med_fin']} MSP pour 100 000 "
           f"habitants. Premier décile : de {fmt_num(q['p10'].iloc[0], 1)} à {fmt_num(q['p10'].iloc[-1], 1)} ; "
           f"dernier décile : de {fmt_num(q['p90'].iloc[0], 1)} à {fmt_num(q['p90'].iloc[-1], 1)}. France : de "
           f"{tx['dens_nat_debut']} à {tx['dens_nat_fin']}.")
    champ = (f"{int(q['n_departements'].iloc[-1])} départements dont la population est connue "
             f"(hors {tx['sans_population']}) ; MSP en fonctionnement, {fmt_date(q.index[0])} – "
             f"{fmt_date(q.index[-1])} ; population Insee {a.pop_year} à toutes les dates.")
    lecture = (f"En {fmt_date(q.index[-1])}, la moitié des départements comptent moins de "
               f"{fmt_num(q['p50'].iloc[-1], 1)} MSP pour 100 000 habitants ; un sur dix en compte plus de "
               f"{fmt_num(q['p90'].iloc[-1], 1)}.")
    return plots.figure(fig, title=title, alt=alt, champ=champ, source=SOURCE_CARTE.format(pop_year=a.pop_year),
                        name="contexte-distribution-msp", lecture=lecture)


def figure_couverture(a: ContextAnalysis):
    """National population coverage by a CPTS and by the SAS (baromètre), with the targets."""
    fig, ax = plots.new(height=4.0)
    labels = {"CPTS": "Couverte par une CPTS", "SAS": "Couverte par le service d'accès aux soins (SAS)"}
    parts = []
    for i, (k, s) in enumerate(a.coverage.items()):
        if s.empty:
            continue
        col = plots.PALETTE[2 * i]
        ax.plot(s.index, s.values, marker="o", ms=4, color=col, label=labels[k])
        tgt = a.coverage_targets.get(k)
        if tgt:
            ax.plot([s.index[-1], tgt[0]], [s.iloc[-1], tgt[1]], ls="--", lw=1, color=col)
            ax.plot([tgt[0]], [tgt[1]], marker="o", mfc="white", color=col, ms=6)
        parts.append(f"population c{labels[k][1:]} : de {fmt_pct(s.iloc[0], 0)} en {fmt_date(s.index[0])} à "
                     f"{_pct(s.iloc[-1])} en {fmt_date(s.index[-1])}"
                     + (f", cible {fmt_pct(tgt[1], 0)} en {fmt_date(tgt[0])}" if tgt else ""))
    _time_axes(ax, 105, "Date d'observation (graduations au 31 décembre)", "Part de la population (%)",
               "lower right")
    tx = a.texts
    title = (f"La part de la population couverte par une CPTS passe de {tx.get('cpts_debut', 'n.d.')} à "
             f"{tx.get('cpts_fin', 'n.d.')} entre {tx.get('cpts_date_debut', '')} et {tx.get('cpts_date_fin', '')}")
    alt = "Courbes d'évolution de deux taux de couverture de la population, en France : " + " ; ".join(parts) + "."
    champ = ("France entière ; part de la population résidant dans un territoire couvert par une communauté "
             "professionnelle territoriale de santé (CPTS, indicateur IND-589) ou par le SAS (IND-587). Cibles en "
             "pointillés.")
    lecture = (f"En {tx['cpts_date_fin']}, {tx['cpts_fin']} de la population réside dans un territoire couvert par "
               "une CPTS." if "cpts_fin" in tx else "")
    return plots.figure(fig, title=title, alt=alt, champ=champ, source=SOURCE_BAROMETRE_IND,
                        name="contexte-couverture", lecture=lecture)


# --- tables -------------------------------------------------------------------------------------------------------

def _dept_rows(a: ContextAnalysis, rows: pd.DataFrame) -> pd.DataFrame:
    d0, d1 = a.distribution.index[0], a.distribution.index[-1]
    return pd.DataFrame({
        "Département": [f"{n} ({c})" for c, n in zip(rows.index, rows["departement_nom"])],
        f"MSP, {fmt_date(d0)}": rows["nb_debut"].astype("Int64").to_numpy(),
        f"MSP, {fmt_date(d1)}": rows["nb_fin"].astype("Int64").to_numpy(),
        f"Pour 100 000 hab., {fmt_date(d0)}": rows["densite_debut"].to_numpy(),
        f"Pour 100 000 hab., {fmt_date(d1)}": rows["densite_fin"].to_numpy(),
    })


def table_drom(a: ContextAnalysis):
    """The five DROM (small on the map): counts and densities at the first and last dates."""
    rows = a.dept_wide.loc[[c for c in DROM if c in a.dept_wide.index]]
    d0, d1 = a.distribution.index[0], a.distribution.index[-1]
    tx = a.texts
    return plots.table(
        _dept_rows(a, rows),
        title=f"Départements d'outre-mer : {fmt_int(rows['nb_fin'].sum())} MSP en {fmt_date(d1)}, contre "
              f"{fmt_int(rows['nb_debut'].sum())} en {fmt_date(d0)}",
        champ=f"Départements et régions d'outre-mer ; MSP en fonctionnement ; population Insee {a.pop_year}.",
        source=SOURCE_CARTE.format(pop_year=a.pop_year), decimals=1, name="contexte-drom",
        note=("Densité vide : population non disponible dans le fichier APL de la DREES "
              f"({tx['sans_population']}). Nombres de structures (et non de médecins ou de patients) : pas de "
              "secret statistique."))


def table_extremes(a: ContextAnalysis, n: int = 5):
    """The n départements with the highest and the lowest MSP density at the last date."""
    wp = a.dept_wide[a.dept_wide["densite_fin"].notna()].sort_values("densite_fin", ascending=False)
    top, bot = wp.head(n), wp.tail(n)
    t = pd.concat([_dept_rows(a, top), _dept_rows(a, bot)], ignore_index=True)
    ranks = list(range(1, len(top) + 1)) + list(range(len(wp) - len(bot) + 1, len(wp) + 1))
    t[f"Rang (sur {len(wp)})"] = pd.array(ranks, dtype="Int64")
    d1 = a.distribution.index[-1]
    tx = a.texts
    return plots.table(
        t, title=(f"En {fmt_date(d1)}, de {tx['dens_min']} MSP pour 100 000 habitants ({tx['dens_min_nom']}) à "
                  f"{tx['dens_max']} ({tx['dens_max_nom']})"),
        champ=f"{a.facts['n_dep_pop']} départements dont la population est connue ; MSP en fonctionnement ; "
              f"population Insee {a.pop_year}.",
        source=SOURCE_CARTE.format(pop_year=a.pop_year), decimals=1, name="contexte-extremes",
        note=f"Rang selon la densité à la dernière date, de la plus forte (1) à la plus faible ({len(wp)}) ; les "
             f"{n} premiers et les {n} derniers.")


def table_publie(a: ContextAnalysis):
    """Published figures (cited, with their source) set against the open data at the nearest date."""
    return plots.table(
        a.published, title="Chiffres publiés et données ouvertes : des ordres de grandeur proches, des champs "
                           "parfois différents",
        champ="France entière ; dates indiquées dans le tableau.",
        source="publications citées (colonne « Source ») ; " + SOURCE_BAROMETRE_IND, name="contexte-publie",
        note="La valeur des données ouvertes est celle de la date disponible la plus proche de la date du chiffre "
             "publié.")


for _build in (figure_msp_national, figure_carte, figure_distribution, figure_couverture, table_drom, table_extremes,
               table_publie):
    setattr(ContextAnalysis, _build.__name__, _build)


__all__ = ["DEPARTEMENTS", "DROM", "TABLES", "ContextAnalysis", "PublicData", "analyse", "fmt_date",
           "load_geojson", "load_public", "load_table", "public_dir"]
