"""The claims pipeline as SQL: one text, run unchanged by DuckDB and by Spark SQL.

Why a common subset rather than a translator
--------------------------------------------
The pipeline needs joins, aggregation, one window function and a few scalar functions. All of them exist with the
same syntax and meaning in DuckDB and in Spark SQL, so the statements below are written in that intersection and
passed to both engines verbatim; a translator (sqlglot or hand-written rewrites) would be one more component to trust
and to test, for no construct we need. The subset is enforced by :func:`check_portable`, run by the tests on every
rendered statement, and proven by the parity test that runs both engines on the same input and compares outputs.

Rules of the subset (each one is a real difference between the two dialects):

- casts with ``CAST(x AS T)`` / ``TRY_CAST(x AS T)`` and types ``BIGINT, DOUBLE, STRING, DATE`` only — no ``::``
  (DuckDB only), no ``VARCHAR`` (Spark wants a length), no ``INT`` arithmetic surprises: sums of integers are cast
  back to ``BIGINT`` (DuckDB returns ``HUGEINT``);
- no date arithmetic: no ``INTERVAL`` literals, no ``datediff``/``date_diff`` (argument order and units differ);
  dates are built with ``make_date`` and compared;
- explicit ``NULLS FIRST``/``NULLS LAST`` in every ``ORDER BY`` (the defaults differ: DuckDB sorts NULLs last, Spark
  first); no ``QUALIFY`` (DuckDB only): filter ``row_number()`` in an outer query;
- no ``ANTI JOIN``/``SEMI JOIN`` keywords (Spark says ``LEFT ANTI JOIN``): ``NOT EXISTS`` / ``IN (SELECT …)``;
- no double-quoted identifiers (Spark quotes with backticks): plain lower-case aliases that are keywords in neither;
- no ``GROUP BY ALL``, no positional ``GROUP BY 1``; no integer division.

Join order: every join has the large table on the left and the small one on the right (``ER_PRS_F LEFT JOIN`` the
affiliated lines that match a code list, events ``JOIN`` person map…). Spark plans joins itself (broadcast below
10 MB, sort-merge above); the DuckDB engine keeps the written build side (see :mod:`evalkit.claims.engines`).

Tables the statements read (registered by :mod:`evalkit.claims.pipeline`): the SNDS tables ``ER_PRS_F, ER_BIO_F,
ER_CAM_F, ER_PHA_F, ER_ETE_F, IR_PHA_R, IR_BEN_R, IR_MTT_R`` (and ``DA_PRA_R`` when given); the code tables
``codes_bio, codes_cam, codes_atc, codes_spe, codes_nat`` (:func:`evalkit.claims.codelists.code_tables`); the
pipeline's own small tables ``ek_visit_spe(code)``, ``ek_asalee_in(gp_id, asalee_year)``, ``ek_followed(patient,
yr)``. The referential lists of the MSP and assistants studies are not SQL tables: the GP-year rows are few, and
:mod:`evalkit.claims.pipeline` joins them in pandas. Intermediate results are named ``ek_*``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: ER_PRS_F's primary key, the foreign key of every affiliated ER_* table (DOC tables/.schemas/DCIR/ER_*_F.md).
JOIN_KEY = ("DCT_ORD_NUM", "FLX_DIS_DTD", "FLX_EMT_NUM", "FLX_EMT_ORD", "FLX_EMT_TYP", "FLX_TRT_DTD",
            "ORG_CLE_NUM", "PRS_ORD_NUM", "REM_TYP_AFF")


@dataclass(frozen=True)
class Rules:
    """The literal parameters rendered into the SQL (validated by :class:`evalkit.claims.ClaimsOptions`)."""

    years: tuple[int, int] | None
    flux_lag_months: int | None
    excluded_dpn_qlf: tuple[int, ...]
    exclude_public_hospital: bool
    min_dispensing_dates: int
    min_dispensing_dates_large_pack: int | None
    sglt2_monotherapy_excluded_from: int | None
    hba1c_min_tests: int
    all_patients: bool  # médecin traitant for every patient (GP panel), not only for diabetics
    with_death: bool = False  # IR_BEN_R has BEN_DCD_DTE: a death closes the médecin traitant declaration


#: the one-year follow-up indicators besides HbA1c and fundus, each a 0/1 flag of the Asalée table
_TESTS = ("microalb", "creatinine", "lipids", "ecg_cardio")


def _key(alias: str) -> str:
    return ", ".join(f"{alias}.{k}" for k in JOIN_KEY)


def _key_eq(a: str, b: str) -> str:
    return " AND ".join(f"{a}.{k} = {b}.{k}" for k in JOIN_KEY)


def ben() -> str:
    """(BEN_NIR_PSA, BEN_RNG_GEM) → BEN_NIR_ANO, the stable person pseudonym; ``n_ano`` > 1 flags an ambiguity."""
    return """
SELECT BEN_NIR_PSA AS psa, BEN_RNG_GEM AS rng, min(BEN_NIR_ANO) AS patient,
       count(DISTINCT BEN_NIR_ANO) AS n_ano
FROM IR_BEN_R
WHERE BEN_NIR_ANO IS NOT NULL
GROUP BY BEN_NIR_PSA, BEN_RNG_GEM"""


def gp_map(with_da_pra_r: bool) -> str:
    """Practice number → GP id: DA_PRA_R's statistical number (STA_PFS_NUM) chains every practice number of a doctor
    to their latest principal practice (DOC fiches/professionnel_sante.md); without DA_PRA_R, an empty map (the GP id
    is then the practice number itself)."""
    if not with_da_pra_r:
        return "SELECT CAST(NULL AS STRING) AS num, CAST(NULL AS STRING) AS gp_id WHERE 1 = 0"
    return """
SELECT CAST(PFS_PFS_NUM AS STRING) AS num,
       max(COALESCE(NULLIF(trim(CAST(STA_PFS_NUM AS STRING)), ''), CAST(PFS_PFS_NUM AS STRING))) AS gp_id
FROM DA_PRA_R
WHERE PFS_PFS_NUM IS NOT NULL
GROUP BY CAST(PFS_PFS_NUM AS STRING)"""


def _prs_filters(r: Rules) -> str:
    soi = "CAST(p.EXE_SOI_DTD AS DATE)"
    out = [f"{soi} IS NOT NULL"]
    if r.excluded_dpn_qlf:
        codes = ", ".join(str(int(c)) for c in r.excluded_dpn_qlf)
        out.append(f"COALESCE(TRY_CAST(p.DPN_QLF AS BIGINT), 0) NOT IN ({codes})")
        out.append(f"COALESCE(TRY_CAST(p.PRS_DPN_QLP AS BIGINT), 0) NOT IN ({codes})")
    if r.flux_lag_months is not None:
        # flux months up to `lag` months after the end of the care year: FLX_DIS_DTD < 1st day of month lag+1 of Y+1
        extra_years, month = divmod(int(r.flux_lag_months), 12)
        out.append(f"CAST(p.FLX_DIS_DTD AS DATE) < make_date(year({soi}) + {1 + extra_years}, {month + 1}, 1)")
    if r.years is not None:
        lo, hi = r.years
        out.append(f"year({soi}) BETWEEN {int(lo) - 1} AND {int(hi)}")  # Y-1 for the two-year fundus indicator
    if r.exclude_public_hospital:
        out.append("NOT EXISTS (SELECT 1 FROM ER_ETE_F e WHERE TRY_CAST(e.ETE_IND_TAA AS BIGINT) = 1 AND "
                   + _key_eq("e", "p") + ")")
    return "\n    AND ".join(out)


def events(r: Rules) -> str:
    """Claim lines → netted events, one row per (patient, date, provider, nature, source, code).

    1. ER_PRS_F lines kept by the standard filters (information-only lines, public-hospital activity, flux window);
    2. joined on the 9-column key to the affiliated lines whose code is in a code list (biology, CCAM acts,
       dispensings of antidiabetics via IR_PHA_R's ATC code), or kept as a consultation/visit (PRS_NAT_REF in the
       ``consultation`` list, not a majoration line: CPL_MAJ_TOP < 2) by a relevant specialty;
    3. mapped to the person pseudonym (IR_BEN_R on PSA *and* birth rank), then regularisations are netted: quantities
       are summed over identical lines and only totals > 0 are kept.
    """
    return f"""
WITH pha_atc AS (
  SELECT TRY_CAST(r.PHA_CIP_C13 AS BIGINT) AS cip, a.indicator AS indicator,
         CASE WHEN upper(trim(CAST(r.PHA_CND_TOP AS STRING))) = 'GC' THEN 1 ELSE 0 END AS gc
  FROM IR_PHA_R r
  JOIN codes_atc a ON substr(upper(trim(CAST(r.PHA_ATC_C07 AS STRING))), 1, length(a.prefix)) = a.prefix
),
pha_ref AS (
  SELECT cip,
         max(CASE WHEN indicator = 'diabetes_drug' THEN 1 ELSE 0 END) AS a10,
         max(CASE WHEN indicator = 'diabetes_drug_excluded' THEN 1 ELSE 0 END) AS excluded,
         max(CASE WHEN indicator = 'sglt2' THEN 1 ELSE 0 END) AS sglt2,
         max(gc) AS gc
  FROM pha_atc
  WHERE cip IS NOT NULL
  GROUP BY cip
),
aff AS (
  SELECT {_key("b")}, 'BIO' AS src, c.indicator AS indicator, CAST(c.code AS STRING) AS code,
         CAST(b.BIO_ACT_QSN AS DOUBLE) AS aqty, 0 AS gc, 0 AS sglt2
  FROM ER_BIO_F b JOIN codes_bio c ON TRY_CAST(b.BIO_PRS_IDE AS BIGINT) = c.code
  UNION ALL
  SELECT {_key("m")}, 'CAM' AS src, c.indicator AS indicator, c.code AS code,
         CAST(NULL AS DOUBLE) AS aqty, 0 AS gc, 0 AS sglt2
  FROM ER_CAM_F m JOIN codes_cam c ON upper(trim(CAST(m.CAM_PRS_IDE AS STRING))) = c.code
  UNION ALL
  SELECT {_key("f")}, 'PHA' AS src, 'diabetes_drug' AS indicator, CAST(r.cip AS STRING) AS code,
         CAST(f.PHA_ACT_QSN AS DOUBLE) AS aqty, r.gc AS gc, r.sglt2 AS sglt2
  FROM ER_PHA_F f JOIN pha_ref r ON TRY_CAST(f.PHA_PRS_C13 AS BIGINT) = r.cip
  WHERE r.a10 = 1 AND r.excluded = 0
),
prs AS (
  SELECT {_key("p")}, p.BEN_NIR_PSA AS psa, p.BEN_RNG_GEM AS rng,
         CAST(p.EXE_SOI_DTD AS DATE) AS soi_date, year(CAST(p.EXE_SOI_DTD AS DATE)) AS yr,
         CAST(p.PFS_EXE_NUM AS STRING) AS pfs, TRY_CAST(p.PSE_SPE_COD AS BIGINT) AS spe,
         TRY_CAST(p.PRS_NAT_REF AS BIGINT) AS nat, COALESCE(TRY_CAST(p.CPL_MAJ_TOP AS BIGINT), 0) AS cpl,
         CAST(p.PRS_ACT_QTE AS DOUBLE) AS pqty
  FROM ER_PRS_F p
  WHERE {_prs_filters(r)}
),
lines AS (
  SELECT x.psa, x.rng, x.yr, x.soi_date, x.pfs, x.spe, x.nat,
         COALESCE(a.src, 'VIS') AS src, a.indicator AS indicator, a.code AS code,
         CASE WHEN a.src IS NULL OR a.src = 'CAM' THEN x.pqty ELSE a.aqty END AS qty,
         COALESCE(a.gc, 0) AS gc, COALESCE(a.sglt2, 0) AS sglt2
  FROM prs x
  LEFT JOIN aff a ON {_key_eq("a", "x")}
  LEFT JOIN (SELECT DISTINCT code FROM codes_nat WHERE indicator = 'consultation') vn ON vn.code = x.nat
  LEFT JOIN ek_visit_spe vs ON vs.code = x.spe
  WHERE a.src IS NOT NULL OR (x.cpl < 2 AND vn.code IS NOT NULL AND vs.code IS NOT NULL)
)
SELECT b.patient AS patient, l.yr AS yr, l.soi_date AS soi_date, l.pfs AS pfs, l.spe AS spe, l.nat AS nat,
       l.src AS src, l.indicator AS indicator, l.code AS code,
       max(l.gc) AS gc, min(l.sglt2) AS sglt2, sum(l.qty) AS qty
FROM lines l
JOIN ek_ben b ON b.psa = l.psa AND b.rng = l.rng
GROUP BY b.patient, l.yr, l.soi_date, l.pfs, l.spe, l.nat, l.src, l.indicator, l.code
HAVING sum(l.qty) > 0"""


def years(r: Rules) -> str:
    """The output years: every care year with an event (within ``years`` when given)."""
    cond = f"WHERE yr BETWEEN {int(r.years[0])} AND {int(r.years[1])}" if r.years is not None else ""
    return f"SELECT DISTINCT yr FROM ek_events {cond}"


def diabetics(r: Rules) -> str:
    """Treated diabetics per year (Santé publique France): antidiabetics (ATC A10, benfluorex excluded) dispensed on
    ≥ 3 distinct dates, or ≥ 2 when at least one dispensing was a large pack; from 2022, SGLT2-inhibitor
    monotherapy does not count (Odissé)."""
    cond = [f"count(*) >= {int(r.min_dispensing_dates)}"]
    if r.min_dispensing_dates_large_pack is not None:
        cond.append(f"(count(*) >= {int(r.min_dispensing_dates_large_pack)} AND max(gc) = 1)")
    having = "(" + " OR ".join(cond) + ")"
    if r.sglt2_monotherapy_excluded_from is not None:
        having += f" AND NOT (yr >= {int(r.sglt2_monotherapy_excluded_from)} AND min(only_sglt2) = 1)"
    year_cond = f"AND yr BETWEEN {int(r.years[0])} AND {int(r.years[1])}" if r.years is not None else ""
    return f"""
WITH disp AS (
  SELECT patient, yr, soi_date, max(gc) AS gc, min(sglt2) AS only_sglt2
  FROM ek_events
  WHERE src = 'PHA' {year_cond}
  GROUP BY patient, yr, soi_date
)
SELECT patient, yr
FROM disp
GROUP BY patient, yr
HAVING {having}"""


def deaths(r: Rules) -> str:
    """Date of death of each person (IR_BEN_R.BEN_DCD_DTE; dates before 1900, SNDS's 1600-01-01 « no date », and
    empty cells are no death; the earliest date when a person's rows disagree). Empty without the column."""
    if not r.with_death:
        return "SELECT CAST(NULL AS STRING) AS patient, CAST(NULL AS DATE) AS dcd WHERE 1 = 0"
    return """
SELECT patient, min(dcd) AS dcd
FROM (SELECT BEN_NIR_ANO AS patient,
             CASE WHEN CAST(BEN_DCD_DTE AS DATE) < make_date(1900, 1, 1) THEN NULL
                  ELSE CAST(BEN_DCD_DTE AS DATE) END AS dcd
      FROM IR_BEN_R
      WHERE BEN_NIR_ANO IS NOT NULL) d
WHERE dcd IS NOT NULL
GROUP BY patient"""


def medecin_traitant(r: Rules, at_year_end: bool = False) -> str:
    """The GP of each patient-year from the médecin traitant history (IR_MTT_R). End dates before 1900 (SNDS's
    1600-01-01 « no date ») count as open; a death (IR_BEN_R.BEN_DCD_DTE, :func:`deaths`) closes the declaration:
    IR_MTT_R keeps it open until another doctor is declared, which a dead patient never does.

    - ``at_year_end=False`` (the Asalée table, diabetics only): the *latest declaration in force during the year*
      (start ≤ 31 Dec, end ≥ 1 Jan or open, patient alive on 1 Jan). A patient who changes GP during the year goes
      to the GP declared last, the one in force at year end.
    - ``at_year_end=True`` (``patients_mt`` of the GP tables, every patient): the declaration in force on
      31 December (start ≤ 31 Dec, end ≥ 31 Dec or open) of a patient alive on 31 December (no death date, or one
      after it) — the patientèle médecin traitant counted at 31 December.

    Ties on the start date go to the open or later-ending declaration, then to the larger practice number (arbitrary
    but reproducible)."""
    restrict = "" if at_year_end else "AND b.patient IN (SELECT patient FROM ek_diab)"
    day, alive = ("make_date(y.yr, 12, 31)", ">") if at_year_end else ("make_date(y.yr, 1, 1)", ">=")
    in_force = (f"x.dep <= make_date(y.yr, 12, 31) AND (x.fin IS NULL OR x.fin >= {day}) "
                f"AND (x.dcd IS NULL OR x.dcd {alive} {day})")
    return f"""
WITH mtt AS (
  SELECT b.patient AS patient, CAST(m.MTT_PFS_NUM AS STRING) AS num, CAST(m.MTT_DEP_DTE AS DATE) AS dep,
         CASE WHEN CAST(m.MTT_FIN_DTE AS DATE) < make_date(1900, 1, 1) THEN NULL
              ELSE CAST(m.MTT_FIN_DTE AS DATE) END AS fin,
         d.dcd AS dcd
  FROM IR_MTT_R m
  JOIN ek_ben b ON b.psa = m.BEN_NIR_PSA AND b.rng = m.BEN_RNG_GEM
  LEFT JOIN ek_death d ON d.patient = b.patient
  WHERE m.MTT_PFS_NUM IS NOT NULL AND m.MTT_DEP_DTE IS NOT NULL {restrict}
),
cand AS (
  SELECT x.patient AS patient, y.yr AS yr, COALESCE(g.gp_id, x.num) AS gp_id,
         row_number() OVER (PARTITION BY x.patient, y.yr
                            ORDER BY x.dep DESC NULLS LAST, x.fin DESC NULLS FIRST, x.num DESC NULLS LAST) AS rn
  FROM mtt x
  JOIN ek_years y ON {in_force}
  LEFT JOIN ek_gp_map g ON g.num = x.num
)
SELECT patient, yr, gp_id FROM cand WHERE rn = 1"""


def indicators(r: Rules) -> str:
    """Per patient-year: the six follow-up events (fundus for the year alone; the two-year window is applied when the
    Asalée table is assembled). Specialist visits count for ``ecg_cardio`` (cardiology) and ``fundus``
    (ophthalmology) through the executing specialty."""
    flags = ",\n       ".join(f"max(CASE WHEN indicator = '{i}' THEN 1 ELSE 0 END) AS {i}" for i in (*_TESTS, "fundus"))
    return f"""
WITH ev AS (
  SELECT patient, yr, soi_date, indicator FROM ek_events WHERE src = 'BIO' OR src = 'CAM'
  UNION ALL
  SELECT e.patient AS patient, e.yr AS yr, e.soi_date AS soi_date, s.indicator AS indicator
  FROM ek_events e JOIN codes_spe s ON s.code = e.spe
  WHERE e.src = 'VIS' AND (s.indicator = 'ecg_cardio' OR s.indicator = 'fundus')
)
SELECT patient, yr,
       CASE WHEN count(DISTINCT CASE WHEN indicator = 'hba1c' THEN soi_date END) >= {int(r.hba1c_min_tests)}
            THEN 1 ELSE 0 END AS hba1c_3plus,
       {flags}
FROM ev
GROUP BY patient, yr"""


_PERSONS = """
  SELECT BEN_NIR_ANO AS patient, min(TRY_CAST(BEN_NAI_ANN AS BIGINT)) AS birth_year,
         min(TRY_CAST(BEN_SEX_COD AS BIGINT)) AS sex,
         count(DISTINCT TRY_CAST(BEN_NAI_ANN AS BIGINT)) AS n_birth,
         count(DISTINCT TRY_CAST(BEN_SEX_COD AS BIGINT)) AS n_sex
  FROM IR_BEN_R
  WHERE BEN_NIR_ANO IS NOT NULL AND TRY_CAST(BEN_SEX_COD AS BIGINT) IN (1, 2)
    AND TRY_CAST(BEN_NAI_ANN AS BIGINT) BETWEEN 1880 AND 2100
  GROUP BY BEN_NIR_ANO"""

_ASALEE_GP = """
  SELECT COALESCE(g.gp_id, a.gp_id) AS gp_id, min(a.asalee_year) AS asalee_year
  FROM ek_asalee_in a LEFT JOIN ek_gp_map g ON g.num = a.gp_id
  GROUP BY COALESCE(g.gp_id, a.gp_id)"""


def asalee(r: Rules) -> str:
    """The Asalée patient-year table (contract columns, ``yr`` for ``year``) plus ``listed_followed``: the patient-year
    is on the participation list (``nurse_followed`` is 1 only when, in addition, the GP is in Asalée that year)."""
    flags = ",\n       ".join(f"COALESCE(i.{c}, 0) AS {c}" for c in ("hba1c_3plus", *_TESTS))
    return f"""
WITH persons AS ({_PERSONS}
),
asalee_gp AS ({_ASALEE_GP}
),
followed AS (SELECT DISTINCT patient, yr FROM ek_followed)
SELECT d.patient AS patient_id, m.gp_id AS gp_id, d.yr AS yr, a.asalee_year AS asalee_year,
       CASE WHEN f.patient IS NOT NULL AND a.asalee_year IS NOT NULL AND a.asalee_year <= d.yr THEN 1 ELSE 0 END
         AS nurse_followed,
       CASE WHEN f.patient IS NOT NULL THEN 1 ELSE 0 END AS listed_followed,
       d.yr - p.birth_year AS age,
       CASE WHEN p.sex = 2 THEN 'F' ELSE 'M' END AS sex,
       {flags},
       CASE WHEN COALESCE(i.fundus, 0) = 1 OR COALESCE(i1.fundus, 0) = 1 THEN 1 ELSE 0 END AS fundus_2y
FROM ek_diab d
JOIN ek_mt m ON m.patient = d.patient AND m.yr = d.yr
JOIN persons p ON p.patient = d.patient
LEFT JOIN ek_ind i ON i.patient = d.patient AND i.yr = d.yr
LEFT JOIN ek_ind i1 ON i1.patient = d.patient AND i1.yr = d.yr - 1
LEFT JOIN asalee_gp a ON a.gp_id = m.gp_id
LEFT JOIN followed f ON f.patient = d.patient AND f.yr = d.yr"""


def asalee_exclusions() -> str:
    """How many treated-diabetic patient-years the table leaves out, and why."""
    return f"""
WITH persons AS ({_PERSONS}
)
SELECT count(*) AS diabetic_patient_years,
       CAST(sum(CASE WHEN m.patient IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS without_medecin_traitant,
       CAST(sum(CASE WHEN p.patient IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS without_valid_sex_or_birth_year,
       CAST(sum(CASE WHEN p.n_birth > 1 OR p.n_sex > 1 THEN 1 ELSE 0 END) AS BIGINT) AS conflicting_ir_ben_r_rows
FROM ek_diab d
LEFT JOIN ek_mt m ON m.patient = d.patient AND m.yr = d.yr
LEFT JOIN persons p ON p.patient = d.patient"""


def gp_panel(r: Rules) -> str:
    """GP-year panel: ``patients_mt`` (living patients whose declaration in force on 31 December names the GP,
    :func:`medecin_traitant` with ``at_year_end=True``, table ``ek_mt31``),
    ``file_active`` (distinct patients with ≥ 1 consultation or visit executed by the GP in the year, net of
    regularisations) and ``acts`` (net number of those consultations and visits). GP = any practice number with
    patients or consultations under a general-practice specialty, chained by DA_PRA_R."""
    return """
WITH vis AS (
  SELECT e.patient AS patient, e.yr AS yr, COALESCE(g.gp_id, e.pfs) AS gp_id, e.qty AS qty
  FROM ek_events e
  JOIN codes_spe s ON s.code = e.spe AND s.indicator = 'general_practice'
  JOIN ek_years y ON y.yr = e.yr
  LEFT JOIN ek_gp_map g ON g.num = e.pfs
  WHERE e.src = 'VIS' AND e.pfs IS NOT NULL
),
u AS (
  SELECT gp_id, yr, count(*) AS n_mt, 0 AS n_fa, CAST(0 AS DOUBLE) AS n_acts FROM ek_mt31 GROUP BY gp_id, yr
  UNION ALL
  SELECT gp_id, yr, 0 AS n_mt, count(DISTINCT patient) AS n_fa, sum(qty) AS n_acts FROM vis GROUP BY gp_id, yr
)
SELECT gp_id, yr, CAST(sum(n_mt) AS BIGINT) AS patients_mt, CAST(sum(n_fa) AS BIGINT) AS file_active,
       CAST(round(sum(n_acts)) AS BIGINT) AS acts
FROM u
GROUP BY gp_id, yr"""


def gp_fees(r: Rules) -> str:
    """Fees per GP-year, in cents: the amounts paid (``ER_PRS_F.PRS_PAI_MNT``) of every line executed by a
    general-practice specialty (``PSE_SPE_COD`` in the ``general_practice`` list), after the standard filters
    (information-only lines, public hospitals, flux window), summed by care year: a regularisation line, which
    repeats the original with a negative amount, nets out. Amounts are rounded to the cent before summing, so that
    both engines add integers. GP-years whose net total is not positive are left out."""
    return f"""
WITH f AS (
  SELECT CAST(p.PFS_EXE_NUM AS STRING) AS pfs, year(CAST(p.EXE_SOI_DTD AS DATE)) AS yr,
         CAST(round(CAST(p.PRS_PAI_MNT AS DOUBLE) * 100) AS BIGINT) AS cents
  FROM ER_PRS_F p
  WHERE p.PFS_EXE_NUM IS NOT NULL AND p.PRS_PAI_MNT IS NOT NULL
    AND TRY_CAST(p.PSE_SPE_COD AS BIGINT) IN (SELECT code FROM codes_spe WHERE indicator = 'general_practice')
    AND {_prs_filters(r)}
)
SELECT COALESCE(g.gp_id, f.pfs) AS gp_id, f.yr AS yr, CAST(sum(f.cents) AS BIGINT) AS cents
FROM f
JOIN ek_years y ON y.yr = f.yr
LEFT JOIN ek_gp_map g ON g.num = f.pfs
GROUP BY COALESCE(g.gp_id, f.pfs), f.yr
HAVING sum(f.cents) > 0"""


def gp_attributes() -> str:
    """Birth year, sex code and practice commune of each GP id, from DA_PRA_R (``IPP_ANN_NAI``, ``IPP_SEX_COD``,
    ``PFS_EXC_COM``): the row of the practice number that *is* the statistical number (the principal practice the
    chain points to, the latest for a GP who moved), else the largest practice number of the GP. One commune for
    all the GP's years."""
    return """
WITH d AS (
  SELECT CAST(PFS_PFS_NUM AS STRING) AS num, TRY_CAST(IPP_ANN_NAI AS BIGINT) AS birth,
         TRY_CAST(IPP_SEX_COD AS BIGINT) AS sex, upper(trim(CAST(PFS_EXC_COM AS STRING))) AS commune
  FROM DA_PRA_R
  WHERE PFS_PFS_NUM IS NOT NULL
),
r AS (
  SELECT COALESCE(g.gp_id, d.num) AS gp_id, d.birth AS birth, d.sex AS sex, d.commune AS commune,
         row_number() OVER (PARTITION BY COALESCE(g.gp_id, d.num)
                            ORDER BY CASE WHEN d.num = COALESCE(g.gp_id, d.num) THEN 0 ELSE 1 END ASC NULLS LAST,
                                     d.num DESC NULLS LAST) AS rn
  FROM d LEFT JOIN ek_gp_map g ON g.num = d.num
)
SELECT gp_id, birth, sex, commune FROM r WHERE rn = 1"""


_FORBIDDEN = [
    (re.compile(r"::"), "'::' casts are DuckDB-only: use CAST(x AS T)"),
    (re.compile(r"\bQUALIFY\b", re.I), "QUALIFY is DuckDB-only: filter row_number() in an outer query"),
    (re.compile(r'"'), "double-quoted identifiers: Spark quotes with backticks; use plain aliases"),
    (re.compile(r"`"), "backtick identifiers: DuckDB quotes with double quotes; use plain aliases"),
    (re.compile(r"\b(ANTI|SEMI)\s+JOIN\b", re.I), "ANTI/SEMI JOIN keywords differ: use NOT EXISTS / IN (SELECT …)"),
    (re.compile(r"\bINTERVAL\b", re.I), "INTERVAL arithmetic differs: build dates with make_date"),
    (re.compile(r"\bDATE_?DIFF\b", re.I), "datediff argument order differs between the engines"),
    (re.compile(r"\bGROUP\s+BY\s+(ALL|\d)", re.I), "GROUP BY ALL / positional GROUP BY: name the columns"),
    (re.compile(r"\bVARCHAR\b|\bINTEGER\b|\bHUGEINT\b|\bUBIGINT\b", re.I), "use the types BIGINT, DOUBLE, STRING, DATE"),
    (re.compile(r"\bILIKE\b|\bSTRUCT_PACK\b|\bLIST_\w+|\bARRAY_AGG\b", re.I), "engine-specific function"),
    (re.compile(r"ORDER\s+BY\s+[^)]*?\b(ASC|DESC)\b(?!\s+NULLS)", re.I), "ORDER BY needs explicit NULLS FIRST/LAST"),
]


def check_portable(sql: str) -> list[str]:
    """Constructs in ``sql`` outside the DuckDB ∩ Spark SQL subset (empty list when portable)."""
    return [msg for pat, msg in _FORBIDDEN if pat.search(sql)]


def statements(r: Rules, with_da_pra_r: bool = True) -> dict[str, str]:
    """Every statement of the pipeline, rendered for ``r`` (used by the tests' portability check)."""
    return {
        "ek_ben": ben(), "ek_gp_map": gp_map(with_da_pra_r), "ek_events": events(r), "ek_years": years(r),
        "ek_death": deaths(r), "ek_diab": diabetics(r), "ek_mt": medecin_traitant(r),
        "ek_mt31": medecin_traitant(r, at_year_end=True), "ek_ind": indicators(r), "asalee": asalee(r),
        "asalee_exclusions": asalee_exclusions(), "gp_panel": gp_panel(r), "gp_fees": gp_fees(r),
        "gp_attributes": gp_attributes(),
    }
