"""Context chapter (real open data): loaders check the public tables, builders produce accessible figures, and the
numbers glued in the prose equal those recomputed here directly from the CSV files."""

from __future__ import annotations

import json
import shutil

import nbformat
import pandas as pd
import pytest

from evalkit import context as ctx
from evalkit import plots
from evalkit.contracts import DataError
from evalkit.fr import fmt_num

PUBLIC = ctx.public_dir()


def _raw(name: str) -> pd.DataFrame:
    """Independent read of a shipped table (plain pandas, codes as text)."""
    return pd.read_csv(PUBLIC / f"{name}.csv", dtype={"departement_code": str})


@pytest.fixture(scope="module")
def pub():
    return ctx.load_public()


@pytest.fixture(scope="module")
def a(pub):
    return ctx.analyse(pub)


@pytest.fixture
def copy(tmp_path):
    """A writable copy of data/public to damage."""
    for p in PUBLIC.iterdir():
        if p.suffix in (".csv", ".geojson"):
            shutil.copy(p, tmp_path / p.name)
    return tmp_path


def _edit(path, fn):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = fn(df)
    df.to_csv(path, index=False)


def _load_error(d, name=None) -> str:
    with pytest.raises(DataError) as e:
        ctx.load_table(name, d) if name else ctx.load_public(d)
    return str(e.value)


# --- the shipped tables pass and are typed ----------------------------------------------------------------------

def test_shipped_tables_load_and_are_typed(pub):
    md = pub.msp_dept
    assert set(md["departement_code"]) == set(ctx.DEPARTEMENTS) and len(ctx.DEPARTEMENTS) == 101
    assert md.groupby("departement_code")["date"].nunique().eq(md["date"].nunique()).all()
    assert str(md["nb_msp"].dtype) == "Int64" and (md["nb_msp"] >= 0).all()
    assert pd.api.types.is_datetime64_any_dtype(md["date"])
    assert (pub.national["departement_code"] == "FR").all()
    assert len(pub.geo["features"]) == 101
    assert {f["properties"]["code"] for f in pub.geo["features"]} == set(ctx.DEPARTEMENTS)
    # the shipped README documents every file the chapter reads
    readme = (PUBLIC / "README.md").read_text(encoding="utf-8")
    for spec in ctx.TABLES.values():
        assert spec.file in readme
    assert "Licence Ouverte" in readme and ctx.GEOJSON_FILE in readme


def test_public_dir_is_under_project_root():
    from evalkit import paths

    assert ctx.public_dir() == paths.project_root() / "data" / "public"


# --- malformed copies fail clearly -----------------------------------------------------------------------------

def test_missing_file(copy):
    (copy / "msp_national.csv").unlink()
    msg = _load_error(copy)
    assert "msp_national.csv" in msg and "not found" in msg


def test_missing_column(copy):
    _edit(copy / "msp_par_departement.csv", lambda d: d.drop(columns=["nb_msp"]))
    msg = _load_error(copy, "msp_par_departement")
    assert "msp_par_departement.csv" in msg and "'nb_msp'" in msg and "missing" in msg and "Fix" in msg


def test_negative_count(copy):
    def neg(d):
        d.loc[[5, 9], "nb_msp"] = ["-3", "-1"]
        return d
    _edit(copy / "msp_par_departement.csv", neg)
    msg = _load_error(copy, "msp_par_departement")
    assert "column 'nb_msp'" in msg and "2 rows" in msg and "negative" in msg and "'-3'" in msg


def test_non_numeric_and_fractional_counts(copy):
    def bad(d):
        d.loc[0, "nb_msp"] = "n.d."
        return d
    _edit(copy / "msp_par_departement.csv", bad)
    assert "not numbers" in _load_error(copy, "msp_par_departement")
    _edit(copy / "msp_par_departement.csv", lambda d: d.assign(nb_msp=d["nb_msp"].replace("n.d.", "2.5")))
    assert "whole numbers" in _load_error(copy, "msp_par_departement")


def test_unknown_departement_code(copy):
    def bad(d):
        d.loc[d["departement_code"] == "2A", "departement_code"] = "2C"
        return d
    _edit(copy / "msp_par_departement.csv", bad)
    msg = _load_error(copy, "msp_par_departement")
    assert "departement_code" in msg and "'2C'" in msg and "INSEE" in msg


def test_leading_zero_lost_is_repaired(copy):
    # A copy saved by a spreadsheet writes Ain as 1: the code is restored, not rejected.
    _edit(copy / "msp_par_departement.csv",
          lambda d: d.assign(departement_code=d["departement_code"].str.lstrip("0")))
    md = ctx.load_table("msp_par_departement", copy)
    assert "01" in set(md["departement_code"]) and "1" not in set(md["departement_code"])


def test_national_rows_must_be_national(copy):
    _edit(copy / "barometre_indicateurs_national.csv", lambda d: d.assign(departement_code="75"))
    msg = _load_error(copy, "barometre_indicateurs_national")
    assert "FR" in msg and "departement_code" in msg


def test_duplicate_key(copy):
    _edit(copy / "msp_par_departement.csv", lambda d: pd.concat([d, d.iloc[[3]]]))
    msg = _load_error(copy, "msp_par_departement")
    assert "share their key" in msg and "departement_code, date" in msg


def test_unbalanced_panel(copy):
    _edit(copy / "msp_par_departement.csv", lambda d: d.drop(index=[20]))
    msg = _load_error(copy, "msp_par_departement")
    assert "unbalanced" in msg and "'02'" in msg


def test_bad_date(copy):
    def bad(d):
        d.loc[2, "date"] = "30/06/2018"
        return d
    _edit(copy / "msp_par_departement.csv", bad)
    msg = _load_error(copy, "msp_par_departement")
    assert "column 'date'" in msg and "YYYY-MM-DD" in msg and "30/06/2018" in msg


def test_percent_above_100(copy):
    def bad(d):
        d.loc[0, "part_pop_apl_inf_2_5_pct"] = "140"
        return d
    _edit(copy / "apl_mg_par_departement.csv", bad)
    assert "above 100" in _load_error(copy, "apl_mg_par_departement")


def test_disallowed_code_value(copy):
    _edit(copy / "msp_national.csv", lambda d: d.assign(type_valeur=d["type_valeur"].replace("cible", "target")))
    msg = _load_error(copy, "msp_national")
    assert "type_valeur" in msg and "'target'" in msg


def test_national_total_must_equal_sum_of_departements(copy):
    def bad(d):
        d.loc[3, "nb_msp"] = str(int(d.loc[3, "nb_msp"]) + 7)
        return d
    _edit(copy / "msp_national.csv", bad)
    msg = _load_error(copy)
    assert "msp_national.csv" in msg and "sum of départements" in msg


def test_geojson_checks(copy):
    path = copy / ctx.GEOJSON_FILE
    gj = json.loads(path.read_text(encoding="utf-8"))
    # a missing département: load_public names it
    short = dict(gj, features=[f for f in gj["features"] if f["properties"]["code"] != "2A"])
    path.write_text(json.dumps(short), encoding="utf-8")
    msg = _load_error(copy)
    assert "departements.geojson" in msg and "2A" in msg
    # an open ring
    broken = json.loads(json.dumps(gj))
    ring = broken["features"][0]["geometry"]["coordinates"][0]
    ring[-1] = [ring[-1][0] + 1, ring[-1][1]]
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(DataError, match="not closed"):
        ctx.load_geojson(copy)
    # not JSON at all
    path.write_text("{oops", encoding="utf-8")
    with pytest.raises(DataError, match="not valid JSON"):
        ctx.load_geojson(copy)


# --- glued numbers equal those recomputed from the CSV files ---------------------------------------------------

def test_glued_numbers_match_independent_computation(a):
    nat = _raw("msp_national")
    obs = nat[nat["type_valeur"] == "observee"].sort_values("date")
    n0, n1 = obs["nb_msp"].iloc[0], obs["nb_msp"].iloc[-1]
    t = a.texts
    assert t["msp_debut"] == fmt_num(n0, 0) and t["msp_fin"] == fmt_num(n1, 0)
    assert t["msp_ratio"] == fmt_num(n1 / n0, 1)
    assert t["msp_hausse"] == fmt_num(n1 - n0, 0)
    assert t["msp_cible"] == fmt_num(nat.loc[nat["type_valeur"] == "cible", "nb_msp"].iloc[0], 0)
    assert t["msp_date_debut"] == "juin 2017" and t["msp_date_fin"] == "décembre 2023"
    # required pace to reach the target, per year
    days = (pd.Timestamp("2026-12-31") - pd.Timestamp(obs["date"].iloc[-1])).days / 365.25
    assert t["msp_rythme_requis"] == fmt_num((4000 - n1) / days, 0)

    md = _raw("msp_par_departement")
    apl = _raw("apl_mg_par_departement")
    apl = apl[apl["millesime"] == apl["millesime"].max()].set_index("departement_code")
    first = md[md["date"] == md["date"].min()].set_index("departement_code")["nb_msp"]
    last = md[md["date"] == md["date"].max()].set_index("departement_code")["nb_msp"]
    assert t["n_hausse"] == str(int((last > first).sum()))
    assert t["n_double"] == str(int((last >= 2 * first).sum()))
    dens = (last / apl["population_totale"] * 1e5).dropna()
    assert t["dens_med_fin"] == fmt_num(dens.median(), 1)
    assert t["dens_max_nom"] == md.set_index("departement_code")["departement_nom"].drop_duplicates()[dens.idxmax()]
    assert t["dens_nat_fin"] == fmt_num(last[dens.index].sum() / apl["population_totale"].sum() * 1e5, 1)
    rho = dens.rank().corr(apl.loc[dens.index, "apl_mg"].rank())
    assert t["rho_apl"] == fmt_num(rho, 2)
    # half-year decreases (README: 32, largest Ardennes 26 → 22)
    md = md.sort_values(["departement_code", "date"])
    diffs = md.groupby("departement_code")["nb_msp"].diff()
    assert t["n_baisses"] == str(int((diffs < 0).sum())) == "32"
    assert t["baisse_max_nom"] == "Ardennes" and t["baisse_max_de"] == "26" and t["baisse_max_a"] == "22"

    bar = _raw("barometre_indicateurs_national")
    cds = bar[(bar["indicateur_code"] == "IND-318")].dropna(subset=["valeur_actuelle"]).sort_values("date")
    assert t["cds_debut"] == fmt_num(cds["valeur_actuelle"].iloc[0], 0)
    assert t["cds_fin"] == fmt_num(cds["valeur_actuelle"].iloc[-1], 0)
    am = bar[(bar["indicateur_code"] == "IND-679")].dropna(subset=["valeur_actuelle"]).sort_values("date")
    assert t["am_fin"] == fmt_num(am["valeur_actuelle"].iloc[-1], 0)
    cpts = bar[(bar["indicateur_code"] == "IND-589")].sort_values("date")
    cpts_v = cpts["valeur_actuelle"].fillna(cpts["valeur_initiale"]).dropna()
    assert t["cpts_fin"].startswith(fmt_num(cpts_v.iloc[-1], 1))
    # every text is filled
    assert all(isinstance(v, str) and v and v != "nan" for v in t.values())


# --- figures and tables -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("builder, source", [
    ("figure_msp_national", ctx.SOURCE_BAROMETRE),
    ("figure_carte", ctx.SOURCE_CARTE.format(pop_year=2021)),
    ("figure_distribution", ctx.SOURCE_CARTE.format(pop_year=2021)),
    ("figure_couverture", ctx.SOURCE_BAROMETRE_IND),
])
def test_figures_are_accessible_and_sourced(a, builder, source):
    fig = getattr(a, builder)()
    assert isinstance(fig, plots.Figure)
    assert fig.png[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(fig.alt) > 80 and fig.title and fig.champ
    assert fig.source == source and "Licence Ouverte 2.0" in fig.source and "synthétique" not in fig.source
    html = fig._repr_html_()
    assert "Source : " in html and "Champ : " in html and 'alt="' in html


def test_alt_texts_carry_the_numbers(a):
    t = a.texts
    alt = a.figure_msp_national().alt
    assert t["msp_debut"] in alt and t["msp_fin"] in alt and t["msp_cible"] in alt
    alt = a.figure_carte().alt
    assert t["dens_med_fin"] in alt and t["dens_max_nom"] in alt and "Mayotte" in alt
    assert t["dens_med_fin"] in a.figure_distribution().alt
    assert t["cpts_fin"] in a.figure_couverture().alt


def test_tables(a):
    drom = a.table_drom()
    assert list(drom.df["Département"].str.extract(r"\((\d+)\)")[0]) == list(ctx.DROM)
    mayotte = drom.df[drom.df["Département"].str.contains("976")]
    assert mayotte.iloc[0, 3:].isna().all()  # no population → no density
    ext = a.table_extremes(5)
    assert len(ext.df) == 10 and ext.df.iloc[0, 0].startswith(a.texts["dens_max_nom"])
    assert ext.df.iloc[-1, 0].startswith(a.texts["dens_min_nom"]) and ext.df.iloc[:, -1].tolist()[-1] == 100
    pub = a.table_publie()
    assert len(pub.df) == len(ctx.PUBLISHED) and pub.df["Source"].str.len().gt(5).all()
    assert pub.df["Chiffre publié (date)"].str.startswith("≈ " + fmt_num(1470, 0)).any()
    for tab in (drom, ext, pub):
        assert "Source : " in tab._repr_html_()


# --- other vintages of the same files --------------------------------------------------------------------------

def test_analyse_on_a_shorter_vintage(copy):
    """Drop the DITP half-years and the 2023 APL vintage: dates, targets and populations are re-derived."""
    _edit(copy / "msp_par_departement.csv", lambda d: d[d["source"] == "etalab"])
    _edit(copy / "msp_national.csv", lambda d: d[(d["source"] == "etalab") | (d["type_valeur"] == "cible")])
    _edit(copy / "apl_mg_par_departement.csv", lambda d: d[d["millesime"] == "2022"])
    a2 = ctx.analyse(ctx.load_public(copy))
    assert a2.texts["msp_date_fin"] == "décembre 2022" and a2.texts["msp_fin"] == fmt_num(2251, 0)
    assert a2.pop_year == 2020 and a2.texts["pop_annee"] == "2020"
    assert isinstance(a2.figure_carte(), plots.Figure) and isinstance(a2.figure_distribution(), plots.Figure)


def test_analyse_without_targets(copy):
    _edit(copy / "msp_national.csv", lambda d: d[d["type_valeur"] == "observee"])
    _edit(copy / "barometre_indicateurs_national.csv", lambda d: d.assign(valeur_cible=""))
    a2 = ctx.analyse(ctx.load_public(copy))
    assert a2.msp_target is None and a2.texts["msp_cible"] == "n.d."
    assert isinstance(a2.figure_msp_national(), plots.Figure)
    assert isinstance(a2.figure_couverture(), plots.Figure)


# --- the notebook stays thin -------------------------------------------------------------------------------------

def test_notebook_is_thin_and_stripped():
    from evalkit import paths

    nb = nbformat.read(paths.project_root() / "chapters" / "contexte.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    src = "\n".join(c.source for c in code)
    for banned in ("data/public", ".csv", ".geojson", "for ", "read_csv"):
        assert banned not in src, banned
    assert "evalkit.context" in src
    assert any("remove-cell" in c.metadata.get("tags", []) for c in code)
    assert "results.record" not in src  # no estimates in this chapter
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for needed in ("Repères", "Pour en savoir plus", "{glue:md}", "{cite}", "Source"):
        assert needed in md, needed
