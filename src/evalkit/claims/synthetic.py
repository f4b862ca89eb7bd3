"""Synthetic SNDS-shaped claims with a known answer.

:func:`generate_claims` writes, straight to Parquet with DuckDB (no Python loop over rows), the tables the pipeline
reads — ER_PRS_F, ER_BIO_F, ER_CAM_F, ER_PHA_F, ER_ETE_F (one Parquet file per care year in a folder per table),
IR_PHA_R, IR_BEN_R, IR_MTT_R, DA_PRA_R — and the referential lists (Asalée participation, MSP membership, assistant
contracts, zoning of communes), together with the tables they encode: the Asalée patient-year table, the GP-year
panel and the MSP and assistants GP-year tables (``_truth/asalee.parquet``, ``gp_panel.parquet``, ``msp.parquet``,
``assistants.parquet``).

Everything is drawn from a seeded hash of (seed, person, year, draw), so a spec always gives the same data, whatever
the number of threads. The truth is computed from the latent draws (who is diabetic, how many HbA1c tests, which
GP…), not from the claim lines, and the lines carry every trap the pipeline must get right:

- regularisations: a dispensing, a test or a visit cancelled by a copy with a negative quantity in a later flux
  (net zero: must not count), and partial ones (2 boxes then −1: still a dispensing);
- information-only lines (``DPN_QLF`` or ``PRS_DPN_QLP`` = 71 or 72), public-hospital lines (``ETE_IND_TAA = 1``)
  and lines of a care year arriving after the flux window — each placed where counting it would flip an indicator;
  ER_ETE_F rows with ``ETE_IND_TAA`` 0 or empty on lines that must be kept;
- wrong codes next to right ones (NABM 2004 proteinuria for microalbuminuria, 1001 for the lipid profile, 0627 urine
  creatinine, CCAM BZQK001 OCT for the fundus, ATC A11/A02 near A10), majoration lines (``CPL_MAJ_TOP = 2``);
- the diabetes rule's edges: 2 dispensing dates with a large pack (diabetic), 2 dates with two boxes on one of them
  (not), a third date that is cancelled, information-only, late or benfluorex (not), benfluorex alone (not), an
  SGLT2 inhibitor alone (diabetic before 2022, not from 2022);
- people: twins sharing a ``BEN_NIR_PSA`` (told apart by ``BEN_RNG_GEM``), people under two PSAs, people with an
  invalid sex code (left out of the Asalée table), people without a médecin traitant, claims of PSAs absent from
  IR_BEN_R;
- deaths: people who die keep an open médecin traitant declaration in IR_MTT_R (only IR_BEN_R.BEN_DCD_DTE says so;
  ``1600-01-01`` written for some living people); they leave ``patients_mt`` from the year of death;
- amounts: every line carries ``PRS_PAI_MNT`` = quantity × a tariff of its nature (:data:`TARIFF_CENTS`), so a
  cancelled visit nets to zero in ``fees`` and an information-only copy must not count;
- a planted effect: a GP's patients have one more visit a year from the year of the GP's first assistant contract
  (``acts`` rises, ``file_active`` does not); ``_truth/planted.json`` gives its mean per GP-year;
- GPs: patients who change médecin traitant during a year, GPs who change practice (new practice number, chained by
  DA_PRA_R's ``STA_PFS_NUM``; the participation list gives the old number), open declaration ends written as empty,
  9999-12-31 or 1600-01-01.

Natures of service (``PRS_NAT_REF``) of pharmacy, biology and CCAM lines, the CIP13 codes and the practice numbers
are synthetic placeholders in SNDS formats; only consultation natures and the code lists' codes carry meaning.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from evalkit.claims.engines import _q
from evalkit.claims.pipeline import normalize_asalee, normalize_gp_panel, normalize_gp_table
from evalkit.fr import fmt_int, fmt_num

# CIP13 placeholders → (ATC, pack)
CIP_A10 = [(3400930000011, "A10BA02"), (3400930000028, "A10BB09"), (3400930000035, "A10BH01"),
           (3400930000042, "A10AE04"), (3400930000059, "A10BD07"), (3400930000066, "A10BJ02")]
CIP_GC = (3400930000073, "A10BA02")  # large pack (PHA_CND_TOP = 'GC')
CIP_BENFLUOREX = (3400930000080, "A10BX06")
CIP_SGLT2 = (3400930000097, "A10BK01")
CIP_OTHER = [(3400930000103, "C10AA05"), (3400930000110, "C09AA05"), (3400930000127, "N02BE01"),
             (3400930000134, "B01AC06"), (3400930000141, "A02BC01"), (3400930000158, "A11CC05")]
BIO_OTHER = [1104, 1610, 1208, 552, 1127, 1806]  # NABM codes outside the code lists
NAT_PHARMACY, NAT_BIOLOGY, NAT_CCAM = 3317, 3336, 1352  # placeholders except 1352 (ATM, CCAM technical act)
NAT_C, NAT_CS, NAT_G, NAT_V, NAT_MU = 1111, 1112, 1110, 1211, 1918
SGLT2_EXCLUDED_FROM = 2022  # the pipeline's default rule
#: amount paid per unit of quantity (PRS_PAI_MNT = quantity × tariff), in cents, by nature of service (placeholders)
TARIFF_CENTS = {NAT_C: 2300, NAT_G: 2500, NAT_V: 3500, NAT_MU: 500, NAT_CCAM: 1426, NAT_CS: 3000,
                NAT_PHARMACY: 1250, NAT_BIOLOGY: 810}
#: départements of the GPs' practices (Corsica and overseas included: the département is read off the commune code)
DEPARTEMENTS = ["01", "13", "2A", "2B", "29", "33", "59", "63", "69", "75", "971", "974", "976"]
AM_OPTIONS = ["third", "half", "full"]
#: planted effects of the Asalée nurse: share of an Asalée GP's diabetics followed each year, and the probability of
#: ≥ 3 HbA1c tests and of a microalbuminuria test (not followed, followed)
FOLLOWED_SHARE, HBA1C_3PLUS_P, MICROALB_P = 0.5, (0.45, 0.75), (0.3, 0.5)
#: planted effect of an assistant contract: visits added per patient-year seen by the GP, from the contract's year
AM_EXTRA_VISITS = 1
#: how the contracts list spells the options for some GPs (the pipeline accepts both)
AM_OPTIONS_FR = ["tiers temps", "mi-temps", "temps plein"]


@dataclass(frozen=True)
class SyntheticSpec:
    """Size and shape of a synthetic extract.

    ``filler_lines``: average number of unrelated pharmacy and biology lines per person-year — the knob that sets the
    volume (national DCIR has about 18 lines per person-year). ``n_gps`` defaults to one GP per 250 people (at least
    8); ``n_specialists`` (cardiologists, ophthalmologists, labs, pharmacies, hospitals of each kind) to one per 8 GPs.
    """

    n_patients: int = 3000
    first_year: int = 2014
    last_year: int = 2018
    seed: int = 20240601
    n_gps: int | None = None
    n_specialists: int | None = None
    diabetic_share: float = 0.25
    asalee_gp_share: float = 0.3
    filler_lines: float = 2.0

    def __post_init__(self):
        if self.n_patients < 500:
            raise ValueError("n_patients inférieur à 500 : chaque piège prévu demande quelques personnes. "
                             "Pour corriger : donner n_patients ≥ 500")
        if not 1990 <= self.first_year < self.last_year <= 2100:
            raise ValueError("first_year et last_year hors de 1990 ≤ first_year < last_year ≤ 2100 (il faut au moins "
                             "deux années : un médecin déménage la deuxième). Pour corriger : donner deux années "
                             "distinctes, la première avant la seconde, entre 1990 et 2100")
        if self.gps >= 50000:
            raise ValueError("n_gps atteint 50 000, au-delà du format des numéros de cabinet. "
                             "Pour corriger : donner moins de 50 000 médecins")
        if not 0 < self.diabetic_share < 1 or not 0 < self.asalee_gp_share < 1 or not 0 <= self.filler_lines <= 60:
            raise ValueError("diabetic_share ou asalee_gp_share hors de ]0, 1[, ou filler_lines hors de [0, 60]. "
                             "Pour corriger : donner des parts strictement entre 0 et 1 et filler_lines entre 0 et 60")

    @property
    def gps(self) -> int:
        return self.n_gps if self.n_gps is not None else max(8, self.n_patients // 250)

    @property
    def specialists(self) -> int:
        return self.n_specialists if self.n_specialists is not None else max(2, self.gps // 8)


@dataclass
class SyntheticClaims:
    """Where :func:`generate_claims` wrote the claims and their truth, with row counts."""

    claims_dir: Path
    truth_dir: Path
    spec: SyntheticSpec
    rows: dict[str, int]
    seconds: float

    def truth_asalee(self) -> pd.DataFrame:
        """The Asalée table the claims encode (contract columns and types, sorted like the pipeline's output)."""
        return normalize_asalee(pd.read_parquet(self.truth_dir / "asalee.parquet"))

    def truth_gp_panel(self) -> pd.DataFrame:
        """The GP-year panel the claims encode."""
        return normalize_gp_panel(pd.read_parquet(self.truth_dir / "gp_panel.parquet"))

    def planted(self) -> dict:
        """The planted effects, as ``_truth/planted.json`` records them (assistants: visits added per GP-year)."""
        return json.loads((self.truth_dir / "planted.json").read_text())

    def truth_msp(self) -> pd.DataFrame:
        """The MSP GP-year table (contract ``msp.csv``) the claims and the referential lists encode."""
        return normalize_gp_table(pd.read_parquet(self.truth_dir / "msp.parquet"), "msp")

    def truth_assistants(self) -> pd.DataFrame:
        """The assistants GP-year table (contract ``assistants.csv``) the claims and the lists encode."""
        return normalize_gp_table(pd.read_parquet(self.truth_dir / "assistants.parquet"), "assistants")


class _Sql:
    """Helpers rendering seeded pseudo-random draws: ``u(...)`` uniform in [0, 1), ``i(n, ...)`` integer in [0, n)."""

    def __init__(self, seed: int):
        self.seed = int(seed)

    def u(self, *args) -> str:
        return f"((hash({self.seed}, {', '.join(map(str, args))}) % 1000003) / 1000003.0)"

    def i(self, n, *args) -> str:
        return f"(CAST(hash({self.seed}, {', '.join(map(str, args))}) % 1000003 AS BIGINT) % ({n}))"


# columns of one latent event; every part fills what it needs (None: every part must), the rest takes these defaults
_EVENT_COLS = {
    "part": None, "k": "0", "soi": None, "late": "false", "pfs": None, "spe": "CAST(NULL AS INTEGER)",
    "nat": None, "src": "CAST(NULL AS VARCHAR)", "bio": "CAST(NULL AS BIGINT)", "cam": "CAST(NULL AS VARCHAR)",
    "cip": "CAST(NULL AS BIGINT)", "qty": "CAST(1 AS DOUBLE)", "dpn": "0", "dpnp": "0", "cpl": "0",
    "ete": "CAST(NULL AS INTEGER)", "reg": "0", "psa_override": "CAST(NULL AS VARCHAR)",
}


def _part(frm: str, where: str = "true", **cols: str) -> str:
    sel = ", ".join(f"{v} AS {k}" for k, v in {**_EVENT_COLS, **cols}.items())
    return f"SELECT p.p, p.yr, p.yi, p.psa, p.rng, p.psb, {sel} FROM {frm} WHERE {where}"


def _event_parts(s: _Sql, spec: SyntheticSpec) -> list[str]:
    """The latent events of one care year (table ``pyy``), one SELECT per kind (``part`` numbers are stable ids)."""
    ns = spec.specialists

    def day(part: int, k: str, step: int, jitter: int) -> str:
        salt = s.i(jitter, "p.p", "p.yr", part, f"CAST({k} AS BIGINT)")
        return f"(make_date(p.yr, 1, 1) + CAST({k} * {step} + {salt} AS INTEGER))"

    def practice(kind: int, salt: int, offset: str = "") -> str:
        """Practice number of a hospital (kind 0), a specialist (1), a pharmacy (2) or a lab (3)."""
        x = s.i(ns, "p.p", salt)
        return f"printf('%02d{kind}%05d', 1 + {x} % 95, {offset}{x})"

    def lab_test(part: int, where: str, **cols: str) -> str:  # parts 9-14: one lab test a year
        return _part("pyy p", where, part=str(part), soi=day(part, "0", 1, 360), pfs=practice(3, 906),
                     nat=str(NAT_BIOLOGY), src="'BIO'", **cols)

    gp_num = "CASE WHEN g.move_date IS NOT NULL AND {d} >= g.move_date THEN g.num_new ELSE g.num_old END"
    a10 = "[" + ", ".join(str(c) for c, _ in CIP_A10) + "]"
    other_cip = "[" + ", ".join(str(c) for c, _ in CIP_OTHER) + "]"
    other_bio = "[" + ", ".join(map(str, BIO_OTHER)) + "]"
    ks = "(SELECT *, unnest(range({n})) AS k FROM pyy WHERE {n} > 0) p"
    card, oph = practice(1, 902, "60000 + "), practice(1, 903, "70000 + ")
    pharmacy, hospital, lab = practice(2, 901), practice(0, 904), practice(3, 905)
    return [
        # 1 dispensings of a diabetic year: ≥ 3 dates (pattern A) or 2 with a large pack (pattern B)
        _part(ks.format(n="n_disp"), part="1", k="p.k", soi=day(1, "p.k", 37, 30), pfs=pharmacy,
              nat=str(NAT_PHARMACY), src="'PHA'",
              cip=f"CASE WHEN p.pattern_b AND p.k = 0 THEN {CIP_GC[0]} ELSE {a10}[1 + {s.i(6, 'p.p', 'p.yr', 1, 'p.k')}] END",
              reg=f"CASE WHEN p.k = 1 AND {s.u('p.p', 'p.yr', 101)} < 0.25 THEN 2 ELSE 0 END",
              qty=f"CAST(CASE WHEN p.k = 1 AND {s.u('p.p', 'p.yr', 101)} < 0.25 THEN 2 "
                  f"ELSE 1 + {s.i(3, 'p.p', 'p.yr', 102, 'p.k')} END AS DOUBLE)"),
        # 2 a second box of another antidiabetic on the first date (same date: still one date)
        _part("pyy p", f"p.n_disp >= 3 AND {s.u('p.p', 'p.yr', 103)} < 0.3", part="2", soi=day(1, "0", 37, 30),
              pfs=pharmacy, nat=str(NAT_PHARMACY), src="'PHA'", cip=str(CIP_A10[2][0])),
        # 3 near miss: two dispensing dates, two boxes on the second — not diabetic
        _part(ks.format(n="CASE WHEN nm_year THEN 2 ELSE 0 END"), part="3", k="p.k", soi=day(3, "p.k", 37, 30),
              pfs=pharmacy, nat=str(NAT_PHARMACY), src="'PHA'", cip=f"{a10}[1 + p.k]"),
        _part("pyy p", "p.nm_year", part="4", soi=day(3, "1", 37, 30), pfs=pharmacy, nat=str(NAT_PHARMACY),
              src="'PHA'", cip=str(CIP_A10[3][0])),
        # 5 near miss: a third date that must not count (cancelled / information-only / late flux / benfluorex)
        _part("pyy p", "p.nm_year", part="5", soi=day(3, "2", 37, 30), pfs=pharmacy, nat=str(NAT_PHARMACY),
              src="'PHA'", reg="CASE WHEN p.nm_variant = 0 THEN 1 ELSE 0 END",
              dpn="CASE WHEN p.nm_variant = 1 THEN 71 ELSE 0 END", late="p.nm_variant = 2",
              cip=f"CASE WHEN p.nm_variant = 3 THEN {CIP_BENFLUOREX[0]} ELSE {CIP_A10[0][0]} END"),
        # 6 benfluorex alone on four dates — not diabetic
        _part(ks.format(n="CASE WHEN bf_year THEN 4 ELSE 0 END"), part="6", k="p.k", soi=day(6, "p.k", 37, 30),
              pfs=pharmacy, nat=str(NAT_PHARMACY), src="'PHA'", cip=str(CIP_BENFLUOREX[0])),
        # 7 HbA1c tests; some lines have an ER_ETE_F row with ETE_IND_TAA 0 or empty (kept)
        _part(ks.format(n="n_h"), part="7", k="p.k", soi=day(7, "p.k", 90, 60), pfs=lab, nat=str(NAT_BIOLOGY),
              src="'BIO'", bio="1577",
              ete=f"CASE WHEN p.k = 0 AND {s.u('p.p', 'p.yr', 104)} < 0.2 THEN 0 "
                  f"WHEN p.k = 1 AND {s.u('p.p', 'p.yr', 104)} > 0.9 THEN 9 END"),
        # 8 a third HbA1c test that is information only (DPN_QLF / PRS_DPN_QLP 71 or 72) when only two are real
        _part("pyy p", "p.diab AND p.n_h = 2", part="8", soi=day(7, "3", 90, 60), pfs=lab,
              nat=str(NAT_BIOLOGY), src="'BIO'", bio="1577",
              dpn=f"CASE {s.i(3, 'p.p', 'p.yr', 105)} WHEN 0 THEN 71 WHEN 2 THEN 72 ELSE 0 END",
              dpnp=f"CASE {s.i(3, 'p.p', 'p.yr', 105)} WHEN 1 THEN 71 ELSE 0 END"),
        # 9-14 microalbuminuria, creatinine, lipid profile — and their traps when the truth is 0
        lab_test(9, "p.microalb", bio="1133"),
        lab_test(10, f"p.diab AND NOT p.microalb AND {s.u('p.p', 'p.yr', 106)} < 0.5",
                 bio=f"CASE WHEN {s.u('p.p', 'p.yr', 107)} < 0.5 THEN 1133 ELSE 2004 END",
                 reg=f"CASE WHEN {s.u('p.p', 'p.yr', 107)} < 0.5 THEN 1 ELSE 0 END"),
        lab_test(11, "p.creat", bio=f"CASE WHEN {s.u('p.p', 'p.yr', 108)} < 0.5 THEN 592 ELSE 593 END"),
        lab_test(12, f"p.diab AND NOT p.creat AND {s.u('p.p', 'p.yr', 109)} < 0.5",
                 bio=f"CASE WHEN {s.u('p.p', 'p.yr', 110)} < 0.5 THEN 627 ELSE 407 END"),
        lab_test(13, "p.lipids", bio="996"),
        lab_test(14, f"p.diab AND NOT p.lipids AND {s.u('p.p', 'p.yr', 111)} < 0.5",
                 bio=f"CASE WHEN {s.u('p.p', 'p.yr', 112)} < 0.5 THEN 996 ELSE 1001 END",
                 late=f"{s.u('p.p', 'p.yr', 112)} < 0.5"),
        # 15 ECG (CCAM, by the GP or a cardiologist) or a cardiology consultation
        _part("pyy p JOIN gps g ON g.g = p.vis_gp", "p.ecg", part="15", soi=day(15, "0", 1, 360),
              pfs=f"CASE p.ecg_variant WHEN 0 THEN {gp_num.format(d=day(15, '0', 1, 360))} ELSE {card} END",
              spe="CASE p.ecg_variant WHEN 0 THEN g.spe ELSE 3 END",
              nat=f"CASE p.ecg_variant WHEN 2 THEN {NAT_CS} ELSE {NAT_CCAM} END",
              src="CASE p.ecg_variant WHEN 2 THEN NULL ELSE 'CAM' END",
              cam="CASE p.ecg_variant WHEN 2 THEN NULL ELSE 'DEQP003' END"),
        # 16 ECG traps: at a public hospital (ETE_IND_TAA = 1), a cardiologist's majoration line, a cancelled visit
        _part("pyy p", f"p.diab AND NOT p.ecg AND {s.u('p.p', 'p.yr', 113)} < 0.6", part="16",
              soi=day(16, "0", 1, 360),
              pfs=f"CASE p.ecg_trap WHEN 0 THEN {hospital} ELSE {card} END", spe="3",
              nat=f"CASE p.ecg_trap WHEN 0 THEN {NAT_CCAM} WHEN 1 THEN {NAT_MU} ELSE {NAT_CS} END",
              src="CASE p.ecg_trap WHEN 0 THEN 'CAM' END", cam="CASE p.ecg_trap WHEN 0 THEN 'DEQP003' END",
              ete="CASE p.ecg_trap WHEN 0 THEN 1 END", cpl="CASE p.ecg_trap WHEN 1 THEN 2 ELSE 0 END",
              reg="CASE p.ecg_trap WHEN 2 THEN 1 ELSE 0 END"),
        # 17 fundus examination (three CCAM codes) or ophthalmology consultation; 18: OCT is not a fundus exam
        _part("pyy p", "p.fundus_ev", part="17", soi=day(17, "0", 1, 360), pfs=oph, spe="15",
              nat=f"CASE p.fundus_variant WHEN 3 THEN {NAT_CS} ELSE {NAT_CCAM} END",
              src="CASE p.fundus_variant WHEN 3 THEN NULL ELSE 'CAM' END",
              cam="CASE p.fundus_variant WHEN 0 THEN 'BGQP002' WHEN 1 THEN 'BGQP007' WHEN 2 THEN 'BGQP140' END"),
        _part("pyy p", f"p.diab AND NOT p.fundus_ev AND {s.u('p.p', 'p.yr', 114)} < 0.5", part="18",
              soi=day(18, "0", 1, 360), pfs=oph, spe="15", nat=str(NAT_CCAM), src="'CAM'", cam="'BZQK001'"),
        # 19 GP consultations and visits; 20 majoration lines of some of them; 21 a visit to another GP
        _part(ks.format(n="n_vis") + " JOIN gps g ON g.g = p.vis_gp", part="19", k="p.k", soi=day(19, "p.k", 58, 60),
              pfs=gp_num.format(d=day(19, "p.k", 58, 60)), spe="g.spe",
              nat=f"CASE WHEN {s.i(10, 'p.p', 'p.yr', 115, 'p.k')} = 0 THEN {NAT_V} "
                  f"WHEN p.yr >= 2017 THEN {NAT_G} ELSE {NAT_C} END"),
        _part(ks.format(n="n_vis") + " JOIN gps g ON g.g = p.vis_gp",
              f"{s.u('p.p', 'p.yr', 116, 'p.k')} < 0.1", part="20", k="p.k", soi=day(19, "p.k", 58, 60),
              pfs=gp_num.format(d=day(19, "p.k", 58, 60)), spe="g.spe", nat=str(NAT_MU), cpl="2"),
        _part("pyy p JOIN gps g ON g.g = p.other_gp", "p.other_vis", part="21", soi=day(21, "0", 1, 360),
              pfs=gp_num.format(d=day(21, "0", 1, 360)), spe="g.spe", nat=str(NAT_C)),
        # 22 visit traps for people with no real visit: information-only or cancelled
        _part("pyy p JOIN gps g ON g.g = p.vis_gp", "p.vis_trap", part="22", soi=day(22, "0", 1, 360),
              pfs=gp_num.format(d=day(22, "0", 1, 360)), spe="g.spe", nat=str(NAT_C),
              dpn=f"CASE WHEN {s.u('p.p', 'p.yr', 117)} < 0.5 THEN 71 ELSE 0 END",
              reg=f"CASE WHEN {s.u('p.p', 'p.yr', 117)} < 0.5 THEN 0 ELSE 1 END"),
        # 23-24 volume: other drugs (ATC outside A10, incl. A02 and A11) and other biology tests
        _part(ks.format(n="n_fill_pha"), part="23", k="p.k", soi=day(23, "p.k % 9", 40, 40), pfs=pharmacy,
              nat=str(NAT_PHARMACY), src="'PHA'", cip=f"{other_cip}[1 + {s.i(6, 'p.p', 'p.yr', 118, 'p.k')}]"),
        _part(ks.format(n="n_fill_bio"), part="24", k="p.k", soi=day(24, "p.k % 9", 40, 40), pfs=lab,
              nat=str(NAT_BIOLOGY), src="'BIO'", bio=f"{other_bio}[1 + {s.i(6, 'p.p', 'p.yr', 119, 'p.k')}]"),
        # 26 SGLT2 inhibitor alone on 3-5 dates: a treated diabetic before 2022, not from 2022 (Odissé)
        _part(ks.format(n=f"CASE WHEN sglt2_only THEN 3 + {s.i(3, 'p', 'yr', 120)} ELSE 0 END"), part="26", k="p.k",
              soi=day(26, "p.k", 37, 30), pfs=pharmacy, nat=str(NAT_PHARMACY), src="'PHA'", cip=str(CIP_SGLT2[0])),
        # 25 claims of a PSA unknown to IR_BEN_R (dropped): four antidiabetic dispensings
        _part(ks.format(n="CASE WHEN p % 500 = 11 THEN 4 ELSE 0 END"), part="25", k="p.k",
              soi=day(25, "p.k", 37, 30), pfs=pharmacy, nat=str(NAT_PHARMACY), src="'PHA'",
              cip=str(CIP_A10[0][0]), psa_override="printf('PSZ%010d', p.p)"),
    ]


def generate_claims(out_dir: str | Path, spec: SyntheticSpec | None = None, *, truth_dir: str | Path | None = None,
                    threads: int | None = None, memory_limit: str | None = None,
                    progress: Callable[[str], None] | None = None, overwrite: bool = True) -> SyntheticClaims:
    """Write a synthetic SNDS extract to ``out_dir`` and its truth tables to ``truth_dir`` (default
    ``out_dir/_truth``). Returns where and how many rows. Deterministic for a given ``spec``."""
    import duckdb

    spec = spec or SyntheticSpec()
    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    out = Path(out_dir)
    truth = Path(truth_dir) if truth_dir is not None else out / "_truth"
    if out.exists() and overwrite:
        for name in ("ER_PRS_F", "ER_BIO_F", "ER_CAM_F", "ER_PHA_F", "ER_ETE_F"):
            shutil.rmtree(out / name, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    truth.mkdir(parents=True, exist_ok=True)
    s = _Sql(spec.seed)
    N, G, Y0, Y1 = spec.n_patients, spec.gps, spec.first_year, spec.last_year
    NY = Y1 - Y0 + 1

    con = duckdb.connect(":memory:")
    tmp = out / "_gen_tmp"
    con.execute(f"SET temp_directory = {_q(tmp)}")
    con.execute("SET preserve_insertion_order = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    x = con.execute

    # GPs: practice number, movers (new number from 1 July of a year ≥ Y0+1), specialty, Asalée entry year
    mover = f"(g = 1 OR {s.u('g', 10)} < 0.03)"
    asal = f"(g = 1 OR g = 2 OR {s.u('g', 12)} < {spec.asalee_gp_share})"
    deps = "[" + ", ".join(f"'{d}'" for d in DEPARTEMENTS) + "]"
    nd = len(DEPARTEMENTS)

    def commune(dep_idx: str) -> str:  # Insee commune code: département + 3 digits (2 overseas)
        d = f"{deps}[1 + ({dep_idx}) % {nd}]"
        return f"(CASE WHEN length({d}) = 3 THEN {d} || printf('%02d', g % 100) ELSE {d} || printf('%03d', g % 1000) END)"

    def date(salt: int, lo: int, n: int) -> str:
        return (f"make_date({lo} + {s.i(n, 'g', salt)}, 1 + {s.i(12, 'g', salt + 1)}, "
                f"1 + {s.i(28, 'g', salt + 2)})")

    # MSP entry (a third of GPs, some before the first year, some after the last); assistant contracts (a quarter;
    # a third of them sign a second contract later with another option: the first one counts). GPs 1 (who moves),
    # 3 and 4 carry the lists' traps whatever the size
    x(f"""CREATE TABLE gps AS
      SELECT g, printf('%02d1%05d', 1 + g % 95, g) AS num_old,
             CASE WHEN {mover} THEN printf('%02d1%05d', 1 + (g + 7) % 95, g + 50000) END AS num_new,
             CASE WHEN {mover} THEN make_date({Y0} + 1 + {s.i(NY - 1, 'g', 11)}, 7, 1) END AS move_date,
             CASE WHEN g % 5 = 0 THEN 22 ELSE 1 END AS spe,
             CASE WHEN {asal} THEN {Y0} - 2 + {s.i(NY + 2, 'g', 13)} END AS entry,
             1945 + {s.i(35, 'g', 14)} AS gp_birth,
             1 + {s.i(2, 'g', 15)} AS gp_sex,
             {commune(f"{s.i(nd, 'g', 16)}")} AS commune_old,
             CASE WHEN {mover} THEN {commune(f"{s.i(nd, 'g', 16)} + 1 + {s.i(nd - 1, 'g', 17)}")} END AS commune_new,
             CASE WHEN g = 1 OR g = 4 OR {s.u('g', 18)} < 0.35 THEN {date(19, Y0 - 1, NY + 2)} END AS msp_date,
             CASE WHEN g = 1 OR g = 3 OR {s.u('g', 22)} < 0.25 THEN {date(23, Y0 - 1, NY + 2)} END AS am_date,
             {s.i(3, 'g', 26)} AS am_opt,
             g = 3 OR {s.u('g', 27)} < 0.33 AS am_second
      FROM range({G}) t(g)""")
    x("ALTER TABLE gps ADD COLUMN gp_id VARCHAR")
    x("UPDATE gps SET gp_id = COALESCE(num_new, num_old)")
    x("""CREATE TABLE non_asalee AS
         SELECT g, CAST(row_number() OVER (ORDER BY g) - 1 AS BIGINT) AS idx FROM gps WHERE entry IS NULL""")
    M = con.execute("SELECT count(*) FROM non_asalee").fetchone()[0]
    if M < 2:
        raise ValueError("trop peu de médecins hors d'Asalée. Pour corriger : augmenter n_gps ou réduire asalee_gp_share")

    # people: PSA (twins share one, rank 2), a second PSA for some, birth year, sex (0 = invalid for some),
    # médecin traitant (none for some; a change of GP within a year for some, between non-Asalée GPs)
    x(f"""CREATE TABLE persons AS
      WITH b AS (
        SELECT p, printf('ANO%010d', p) AS ano,
               CASE WHEN p % 97 = 1 THEN printf('PSA%010d', p - 1) ELSE printf('PSA%010d', p) END AS psa,
               CASE WHEN p % 97 = 1 THEN 2 ELSE 1 END AS rng,
               CASE WHEN p % 13 = 5 THEN printf('PSB%010d', p) END AS psb,
               1930 + {s.i(60, 'p', 21)} AS birth,
               CASE WHEN p % 211 = 7 THEN 0 ELSE 1 + {s.i(2, 'p', 22)} END AS sex,
               CASE WHEN p % 53 = 3 THEN NULL ELSE {s.i(G, 'p', 23)} END AS gp_a,
               {s.u('p', 24)} < {spec.diabetic_share} AS diabetic,
               {Y0} - 1 + {s.i(NY + 1, 'p', 25)} AS onset,
               {s.u('p', 26)} AS u_nm,
               p % 3 AS open_code,
               make_date({Y0} - 3, 1 + {s.i(12, 'p', 27)}, 1 + {s.i(28, 'p', 28)}) AS mt_start,
               make_date({Y0} + {s.i(NY, 'p', 29)}, 1 + {s.i(12, 'p', 30)}, 1 + {s.i(28, 'p', 31)}) AS chg_date,
               {s.u('p', 33)} AS u_death,
               make_date({Y0} + {s.i(NY, 'p', 34)}, 1 + {s.i(12, 'p', 35)}, 1 + {s.i(28, 'p', 36)}) AS dd
        FROM range({N}) t(p))
      SELECT b.p, b.ano, b.psa, b.rng, b.psb, b.birth, b.sex, b.gp_a, b.diabetic, b.onset, b.open_code, b.mt_start,
             CASE WHEN NOT b.diabetic AND b.u_nm >= 0.12 AND b.u_death < 0.05 THEN b.dd END AS death_date,
             NOT b.diabetic AND b.u_nm < 0.08 AS near_miss,
             NOT b.diabetic AND b.u_nm >= 0.08 AND b.u_nm < 0.10 AS benfluorex,
             NOT b.diabetic AND b.u_nm >= 0.10 AND b.u_nm < 0.12 AS sglt2_only,
             CASE WHEN na.g IS NOT NULL AND b.p % 29 = 4 THEN b.chg_date END AS change_date,
             CASE WHEN na.g IS NOT NULL AND b.p % 29 = 4 THEN nb.g END AS gp_b
      FROM b
      LEFT JOIN non_asalee na ON na.g = b.gp_a
      LEFT JOIN non_asalee nb ON nb.idx = (na.idx + 1 + {s.i(M - 1, 'b.p', 32)}) % {M}""")

    # person-years: the latent truth
    fill2 = max(0, round(2 * spec.filler_lines))
    x(f"""CREATE TABLE py AS
      WITH a AS (
        SELECT p.*, y AS yr, y - {Y0} AS yi,
               CASE WHEN p.gp_a IS NULL THEN NULL
                    WHEN p.change_date IS NOT NULL AND y >= year(p.change_date) THEN p.gp_b ELSE p.gp_a END AS gp_t,
               (p.diabetic AND y >= p.onset) OR (p.sglt2_only AND y < {SGLT2_EXCLUDED_FROM}) AS diab
        FROM persons p CROSS JOIN range({Y0}, {Y1 + 1}) t(y)),
      b AS (
        SELECT a.*, g.entry AS entry,
               a.diab AND g.entry IS NOT NULL AND a.yr >= g.entry AND {s.u('a.p', 'a.yr', 45)} < {FOLLOWED_SHARE} AS followed,
               a.diab AND {s.u('a.p', 'a.yr', 40)} < 0.1 AS pattern_b
        FROM a LEFT JOIN gps g ON g.g = a.gp_t)
      SELECT b.*,
        CASE WHEN NOT b.diab OR b.sglt2_only THEN 0 WHEN b.pattern_b THEN 2
             ELSE 3 + {s.i(8, 'b.p', 'b.yr', 41)} END AS n_disp,
        b.near_miss AND {s.u('b.p', 'b.yr', 42)} < 0.6 AS nm_year,
        {s.i(4, 'b.p', 'b.yr', 43)} AS nm_variant,
        b.benfluorex AND {s.u('b.p', 'b.yr', 44)} < 0.6 AS bf_year,
        CASE WHEN NOT b.diab THEN 0
             WHEN {s.u('b.p', 'b.yr', 46)} < CASE WHEN b.followed THEN {HBA1C_3PLUS_P[1]} ELSE {HBA1C_3PLUS_P[0]} END
               THEN 3 + {s.i(2, 'b.p', 'b.yr', 47)}
             ELSE {s.i(3, 'b.p', 'b.yr', 48)} END AS n_h,
        b.diab AND {s.u('b.p', 'b.yr', 49)} < CASE WHEN b.followed THEN {MICROALB_P[1]} ELSE {MICROALB_P[0]} END AS microalb,
        b.diab AND {s.u('b.p', 'b.yr', 50)} < 0.8 AS creat,
        b.diab AND {s.u('b.p', 'b.yr', 51)} < 0.7 AS lipids,
        b.diab AND {s.u('b.p', 'b.yr', 52)} < 0.35 AS ecg,
        {s.i(3, 'b.p', 'b.yr', 53)} AS ecg_variant,
        {s.i(3, 'b.p', 'b.yr', 54)} AS ecg_trap,
        (b.diab OR (b.diabetic AND b.yr = b.onset - 1)) AND {s.u('b.p', 'b.yr', 55)} < 0.45 AS fundus_ev,
        {s.i(4, 'b.p', 'b.yr', 56)} AS fundus_variant,
        {s.i(6, 'b.p', 'b.yr', 57)} AS n_vis,  -- 0..5 (+ the planted visit: k ≤ 5, dates 58 days apart)
        COALESCE(b.gp_t, {s.i(G, 'b.p', 'b.yr', 58)}) AS vis_gp,
        {s.u('b.p', 'b.yr', 59)} < 0.15 AS other_vis,
        (COALESCE(b.gp_t, {s.i(G, 'b.p', 'b.yr', 58)}) + 1 + {s.i(G - 1, 'b.p', 'b.yr', 60)}) % {G} AS other_gp,
        CAST({s.i(fill2 + 1, 'b.p', 'b.yr', 62)} AS BIGINT) AS n_fill
      FROM b""")
    x(f"""ALTER TABLE py ADD COLUMN vis_trap BOOLEAN""")
    x(f"""UPDATE py SET vis_trap = (n_vis = 0 AND {s.u('p', 'yr', 61)} < 0.5)""")
    x("ALTER TABLE py ADD COLUMN n_fill_pha BIGINT")
    x("ALTER TABLE py ADD COLUMN n_fill_bio BIGINT")
    x("UPDATE py SET n_fill_pha = n_fill // 2, n_fill_bio = n_fill - n_fill // 2")
    # the dead (some people who are never diabetic): no claim after the year of death; their médecin traitant
    # declaration stays open in IR_MTT_R (as in the SNDS), only IR_BEN_R.BEN_DCD_DTE says they died
    x("""UPDATE py SET n_vis = 0, other_vis = false, vis_trap = false, n_fill = 0, n_fill_pha = 0, n_fill_bio = 0
         WHERE death_date IS NOT NULL AND yr > year(death_date)""")
    # planted effect: from the year a GP's first assistant contract starts, each patient who consults them has one
    # more visit (acts rise, the file active does not). ``am_extra`` keeps it for the planted-effect summary.
    x("ALTER TABLE py ADD COLUMN am_extra INTEGER DEFAULT 0")
    x(f"""UPDATE py SET am_extra = {AM_EXTRA_VISITS}, n_vis = n_vis + {AM_EXTRA_VISITS}
         WHERE n_vis > 0 AND vis_gp IN (SELECT g FROM gps WHERE am_date IS NOT NULL AND year(am_date) <= py.yr)""")
    say(f"données synthétiques : {fmt_int(N)} personnes, {fmt_int(G)} médecins, {NY} années")

    # claim lines, one care year at a time: latent events → lines (+ regularisation copies) → five tables
    parts = _event_parts(s, spec)
    key_cols = """CAST(id // 12 AS BIGINT) AS DCT_ORD_NUM, flux AS FLX_DIS_DTD, CAST(100 + yi AS INTEGER) AS FLX_EMT_NUM,
       CAST(1 + (id // 12) % 997 AS INTEGER) AS FLX_EMT_ORD, 1 AS FLX_EMT_TYP, CAST(flux - 3 AS DATE) AS FLX_TRT_DTD,
       printf('01C%03d', 100 + id % 3) AS ORG_CLE_NUM, CAST((id // 3) % 4 + 1 AS INTEGER) AS PRS_ORD_NUM,
       1 AS REM_TYP_AFF"""
    rows = {t: 0 for t in ("ER_PRS_F", "ER_BIO_F", "ER_CAM_F", "ER_PHA_F", "ER_ETE_F")}
    tariff = "(CASE nat " + " ".join(f"WHEN {k} THEN {v}" for k, v in TARIFF_CENTS.items()) + " ELSE 1000 END)"
    psb_from = f"make_date({Y0 + 2}, 7, 1)"
    for y in range(Y0, Y1 + 1):
        x(f"CREATE OR REPLACE TEMP VIEW pyy AS SELECT * FROM py WHERE yr = {y}")
        x(f"""CREATE OR REPLACE TEMP TABLE ev AS {' UNION ALL '.join(parts)}""")
        x(f"""CREATE OR REPLACE TEMP TABLE lines AS
          WITH l AS (
            SELECT e.*, 0 AS copy, e.qty AS q FROM ev e
            UNION ALL
            SELECT e.*, 1 AS copy, CASE e.reg WHEN 1 THEN -e.qty ELSE CAST(-1 AS DOUBLE) END AS q FROM ev e WHERE e.reg > 0)
          SELECT ((((CAST(p AS BIGINT) * {NY} + yi) * 32 + part) * 64 + k) * 2 + copy) AS id, yi, soi, src, bio, cam,
                 cip, q, pfs, spe, nat, dpn, dpnp, cpl, ete,
                 COALESCE(psa_override, CASE WHEN psb IS NOT NULL AND soi >= {psb_from} THEN psb ELSE psa END) AS psa,
                 CASE WHEN psa_override IS NOT NULL THEN 1
                      WHEN psb IS NOT NULL AND soi >= {psb_from} THEN 1 ELSE rng END AS rng,
                 CASE WHEN late THEN make_date(yr + 1, 9, 1)
                      ELSE CAST(make_date(year(soi), month(soi), 1)
                                + to_months(CAST(1 + {s.i(3, 'p', 'yr', 'part', 'k')} + 2 * copy AS INTEGER)) AS DATE)
                 END AS flux
          FROM l""")
        outs = {
            "ER_PRS_F": f"""SELECT {key_cols}, psa AS BEN_NIR_PSA, CAST(rng AS INTEGER) AS BEN_RNG_GEM,
                   soi AS EXE_SOI_DTD, CAST(nat AS INTEGER) AS PRS_NAT_REF, CAST(q AS DOUBLE) AS PRS_ACT_QTE,
                   CAST(dpn AS INTEGER) AS DPN_QLF, CAST(dpnp AS INTEGER) AS PRS_DPN_QLP,
                   CAST(cpl AS INTEGER) AS CPL_MAJ_TOP, pfs AS PFS_EXE_NUM, CAST(spe AS INTEGER) AS PSE_SPE_COD,
                   CAST(q * {tariff} / 100.0 AS DOUBLE) AS PRS_PAI_MNT
                   FROM lines""",
            "ER_BIO_F": f"""SELECT {key_cols}, CAST(bio AS BIGINT) AS BIO_PRS_IDE, CAST(q AS BIGINT) AS BIO_ACT_QSN
                   FROM lines WHERE src = 'BIO'""",
            "ER_CAM_F": f"""SELECT {key_cols}, cam AS CAM_PRS_IDE, '1' AS CAM_ACT_COD, 0 AS CAM_TRT_PHA
                   FROM lines WHERE src = 'CAM'""",
            "ER_PHA_F": f"""SELECT {key_cols}, CAST(cip AS BIGINT) AS PHA_PRS_C13, CAST(q AS BIGINT) AS PHA_ACT_QSN
                   FROM lines WHERE src = 'PHA'""",
            "ER_ETE_F": f"""SELECT {key_cols}, CASE WHEN ete = 9 THEN NULL ELSE CAST(ete AS INTEGER) END AS ETE_IND_TAA
                   FROM lines WHERE ete IS NOT NULL""",
        }
        for t, q in outs.items():
            (out / t).mkdir(exist_ok=True)
            x(f"COPY ({q}) TO {_q(out / t / f'part-{y}.parquet')} (FORMAT parquet, COMPRESSION zstd)")
        n = con.execute("""SELECT count(*), count(*) FILTER (src = 'BIO'), count(*) FILTER (src = 'CAM'),
                                  count(*) FILTER (src = 'PHA'), count(*) FILTER (ete IS NOT NULL) FROM lines""").fetchone()
        for t, v in zip(rows, n):
            rows[t] += int(v)
        say(f"données synthétiques : année de soins {y} : {fmt_int(n[0])} lignes de ER_PRS_F")
    x("DROP TABLE IF EXISTS ev")
    x("DROP TABLE IF EXISTS lines")

    # reference tables and the participation list
    pha = [(c, a, None) for c, a in CIP_A10 + [CIP_BENFLUOREX, CIP_SGLT2] + CIP_OTHER] + [(CIP_GC[0], CIP_GC[1], "GC")]
    x("CREATE TABLE ir_pha (PHA_CIP_C13 BIGINT, PHA_ATC_C07 VARCHAR, PHA_CND_TOP VARCHAR)")
    con.executemany("INSERT INTO ir_pha VALUES (?, ?, ?)", [list(r) for r in pha])
    refs = {
        "IR_PHA_R": "SELECT * FROM ir_pha",
        "IR_BEN_R": """WITH pe AS (
                         SELECT *, CASE WHEN death_date IS NOT NULL THEN death_date
                                        WHEN p % 7 = 2 THEN DATE '1600-01-01' END AS dcd FROM persons)
                       SELECT psa AS BEN_NIR_PSA, CAST(rng AS INTEGER) AS BEN_RNG_GEM, ano AS BEN_NIR_ANO,
                              CAST(birth AS VARCHAR) AS BEN_NAI_ANN, CAST(sex AS INTEGER) AS BEN_SEX_COD,
                              dcd AS BEN_DCD_DTE FROM pe
                       UNION ALL
                       SELECT psb, 1, ano, CAST(birth AS VARCHAR), CAST(sex AS INTEGER), dcd FROM pe
                       WHERE psb IS NOT NULL""",
        "IR_MTT_R": f"""WITH seg AS (
                           SELECT p, gp_a AS g, mt_start AS s,
                                  CASE WHEN change_date IS NOT NULL THEN CAST(change_date - 1 AS DATE) END AS e
                           FROM persons WHERE gp_a IS NOT NULL
                           UNION ALL
                           SELECT p, gp_b, change_date, NULL FROM persons WHERE change_date IS NOT NULL),
                         cut AS (
                           SELECT seg.p, CASE WHEN g.move_date IS NOT NULL AND g.move_date <= seg.s
                                              THEN g.num_new ELSE g.num_old END AS num,
                                  seg.s, CASE WHEN g.move_date > seg.s AND (seg.e IS NULL OR seg.e >= g.move_date)
                                              THEN CAST(g.move_date - 1 AS DATE) ELSE seg.e END AS e
                           FROM seg JOIN gps g ON g.g = seg.g
                           UNION ALL
                           SELECT seg.p, g.num_new, g.move_date, seg.e
                           FROM seg JOIN gps g ON g.g = seg.g
                           WHERE g.move_date > seg.s AND (seg.e IS NULL OR seg.e >= g.move_date))
                       SELECT pe.psa AS BEN_NIR_PSA, CAST(pe.rng AS INTEGER) AS BEN_RNG_GEM, pe.ano AS BEN_NIR_ANO,
                              c.num AS MTT_PFS_NUM, c.s AS MTT_DEP_DTE,
                              CASE WHEN c.e IS NOT NULL THEN c.e WHEN pe.open_code = 1 THEN DATE '9999-12-31'
                                   WHEN pe.open_code = 2 THEN DATE '1600-01-01' END AS MTT_FIN_DTE,
                              CAST(NULL AS VARCHAR) AS MTT_MTF_COD, CAST(NULL AS VARCHAR) AS MTT_ORI_COD
                       FROM cut c JOIN persons pe ON pe.p = c.p""",
        "DA_PRA_R": """SELECT num_old AS PFS_PFS_NUM, gp_id AS STA_PFS_NUM, CAST(spe AS VARCHAR) AS PFS_PRA_SPE,
                              CAST(gp_sex AS VARCHAR) AS IPP_SEX_COD, CAST(gp_birth AS VARCHAR) AS IPP_ANN_NAI,
                              commune_old AS PFS_EXC_COM FROM gps
                       UNION ALL
                       SELECT num_new, gp_id, CAST(spe AS VARCHAR), CAST(gp_sex AS VARCHAR), CAST(gp_birth AS VARCHAR),
                              commune_new FROM gps WHERE num_new IS NOT NULL""",
    }
    for t, q in refs.items():
        x(f"COPY ({q}) TO {_q(out / f'{t}.parquet')} (FORMAT parquet)")
        rows[t] = con.execute(f"SELECT count(*) FROM ({q})").fetchone()[0]
    x(f"""COPY (SELECT num_old AS gp_id, CAST(entry AS VARCHAR) AS asalee_year, NULL AS patient_id, NULL AS year
               FROM gps WHERE entry IS NOT NULL
               UNION ALL
               SELECT NULL, NULL, ano, CAST(yr AS VARCHAR) FROM py WHERE followed)
          TO {_q(out / 'asalee_participation.csv')} (HEADER, DELIMITER ',')""")
    # the referential lists of the MSP and assistants studies: MSP membership (GP, entry date), assistant contracts
    # (GP, start date, option), zoning of communes (underserved area, rurality). Lists give the old practice number
    # of some GPs who moved, dates as DD/MM/YYYY for some rows, options in French for some GPs, a GP listed twice
    # in the MSP list (the earliest date counts) and second contracts (the first one counts).
    opts, opts_fr = (("[" + ", ".join(f"'{o}'" for o in lst) + "]") for lst in (AM_OPTIONS, AM_OPTIONS_FR))

    def fmt(d: str) -> str:
        return f"CASE WHEN g % 5 = 1 THEN strftime({d}, '%d/%m/%Y') ELSE strftime({d}, '%Y-%m-%d') END"

    x(f"""COPY (
          SELECT CASE WHEN g % 2 = 0 THEN num_old ELSE gp_id END AS gp_id, {fmt('msp_date')} AS entry_date
          FROM gps WHERE msp_date IS NOT NULL
          UNION ALL
          SELECT CASE WHEN g % 2 = 0 THEN gp_id ELSE num_old END, {fmt('CAST(msp_date + 400 AS DATE)')}
          FROM gps WHERE msp_date IS NOT NULL AND (g % 4 = 0 OR g = 1))
        TO {_q(out / 'msp_membership.csv')} (HEADER, DELIMITER ',')""")
    x(f"""COPY (
          SELECT CASE WHEN g % 2 = 0 THEN num_old ELSE gp_id END AS gp_id, {fmt('am_date')} AS start_date,
                 CASE WHEN g % 3 = 1 THEN {opts_fr}[1 + am_opt] ELSE {opts}[1 + am_opt] END AS option
          FROM gps WHERE am_date IS NOT NULL
          UNION ALL
          SELECT gp_id, {fmt('CAST(am_date + 500 AS DATE)')}, {opts}[1 + (am_opt + 1) % 3]
          FROM gps WHERE am_date IS NOT NULL AND am_second)
        TO {_q(out / 'assistants_contracts.csv')} (HEADER, DELIMITER ',')""")
    x(f"""CREATE TABLE zoning AS
          WITH c AS (SELECT commune_old AS commune FROM gps UNION SELECT commune_new FROM gps
                     WHERE commune_new IS NOT NULL UNION SELECT '2B999')
          SELECT c.commune, CAST({s.u('c.commune', 80)} < 0.3 AS INTEGER) AS underserved,
                 ['urban', 'periurban', 'rural'][1 + {s.i(3, 'c.commune', 81)}] AS rurality
          FROM c""")
    x(f"COPY (SELECT * FROM zoning ORDER BY commune) TO {_q(out / 'zoning.csv')} (HEADER, DELIMITER ',')")

    # the truth
    x(f"""COPY (
        SELECT a.ano AS patient_id, g.gp_id AS gp_id, a.yr AS year, g.entry AS asalee_year,
               CAST(a.followed AS INTEGER) AS nurse_followed, a.yr - a.birth AS age,
               CASE WHEN a.sex = 2 THEN 'F' ELSE 'M' END AS sex,
               CAST(a.n_h >= 3 AS INTEGER) AS hba1c_3plus, CAST(a.microalb AS INTEGER) AS microalb,
               CAST(a.creat AS INTEGER) AS creatinine, CAST(a.lipids AS INTEGER) AS lipids,
               CAST(a.ecg AS INTEGER) AS ecg_cardio,
               CAST(a.fundus_ev OR COALESCE(b.fundus_ev, false) AS INTEGER) AS fundus_2y
        FROM py a
        JOIN gps g ON g.g = a.gp_t
        LEFT JOIN py b ON b.p = a.p AND b.yr = a.yr - 1
        WHERE a.diab AND a.sex IN (1, 2)) TO {_q(truth / 'asalee.parquet')} (FORMAT parquet)""")
    x(f"""COPY (
        WITH mt AS (SELECT gp_t AS g, yr, count(*) AS n FROM py
                    WHERE gp_t IS NOT NULL AND (death_date IS NULL OR year(death_date) > yr) GROUP BY gp_t, yr),
             v AS (SELECT vis_gp AS g, yr, p, n_vis AS n FROM py WHERE n_vis > 0
                   UNION ALL SELECT other_gp, yr, p, 1 FROM py WHERE other_vis),
             fa AS (SELECT g, yr, count(DISTINCT p) AS n_fa, sum(n) AS acts FROM v GROUP BY g, yr),
             u AS (SELECT g, yr FROM mt UNION SELECT g, yr FROM fa)
        SELECT gp.gp_id, u.yr AS year, COALESCE(mt.n, 0) AS patients_mt, COALESCE(fa.n_fa, 0) AS file_active,
               CAST(COALESCE(fa.acts, 0) AS BIGINT) AS acts
        FROM u JOIN gps gp ON gp.g = u.g
        LEFT JOIN mt ON mt.g = u.g AND mt.yr = u.yr
        LEFT JOIN fa ON fa.g = u.g AND fa.yr = u.yr) TO {_q(truth / 'gp_panel.parquet')} (FORMAT parquet)""")
    nat19 = (f"CASE WHEN {s.i(10, 'p.p', 'p.yr', 115, 'p.k')} = 0 THEN {TARIFF_CENTS[NAT_V]} "
             f"WHEN p.yr >= 2017 THEN {TARIFF_CENTS[NAT_G]} ELSE {TARIFF_CENTS[NAT_C]} END")
    x(f"""CREATE TABLE gp_truth AS
        WITH v AS (SELECT *, unnest(range(n_vis)) AS k FROM py WHERE n_vis > 0),
             fe AS (SELECT p.vis_gp AS g, p.yr, {nat19} AS cents FROM v p
                    UNION ALL SELECT p.vis_gp, p.yr, {TARIFF_CENTS[NAT_MU]} FROM v p
                    WHERE {s.u('p.p', 'p.yr', 116, 'p.k')} < 0.1
                    UNION ALL SELECT other_gp, yr, {TARIFF_CENTS[NAT_C]} FROM py WHERE other_vis
                    UNION ALL SELECT vis_gp, yr, {TARIFF_CENTS[NAT_CCAM]} FROM py WHERE ecg AND ecg_variant = 0),
             f AS (SELECT g, yr, sum(cents) AS cents FROM fe GROUP BY g, yr),
             pan AS (SELECT * FROM read_parquet({_q(truth / 'gp_panel.parquet')})),
             u AS (SELECT gp.g, pan.year AS yr FROM pan JOIN gps gp ON gp.gp_id = pan.gp_id
                   UNION SELECT g, yr FROM f)
        SELECT gp.gp_id, u.yr AS year, pan.gp_id IS NOT NULL AS in_panel,
               COALESCE(pan.patients_mt, 0) AS patients_mt,
               COALESCE(pan.file_active, 0) AS file_active, COALESCE(pan.acts, 0) AS acts,
               COALESCE(f.cents, 0) / 100.0 AS fees, u.yr - gp.gp_birth AS age,
               CAST(gp.gp_sex = 2 AS INTEGER) AS female,
               CASE WHEN starts_with(cm.commune, '97') THEN left(cm.commune, 3) ELSE left(cm.commune, 2) END
                 AS department,
               z.rurality, z.underserved, year(gp.msp_date) AS msp_year, year(gp.am_date) AS am_year,
               CASE WHEN gp.am_date IS NOT NULL THEN {opts}[1 + gp.am_opt] END AS am_option
        FROM u JOIN gps gp ON gp.g = u.g
        CROSS JOIN LATERAL (SELECT COALESCE(gp.commune_new, gp.commune_old) AS commune) cm
        JOIN zoning z ON z.commune = cm.commune
        LEFT JOIN pan ON pan.gp_id = gp.gp_id AND pan.year = u.yr
        LEFT JOIN f ON f.g = u.g AND f.yr = u.yr""")
    x(f"""COPY (SELECT gp_id, year, patients_mt, file_active, fees, age, female, rurality, department, msp_year
               FROM gp_truth) TO {_q(truth / 'msp.parquet')} (FORMAT parquet)""")
    x(f"""COPY (SELECT gp_id, year, patients_mt, file_active, acts, age, female, department, underserved, am_year,
                      am_option FROM gp_truth WHERE in_panel)
          TO {_q(truth / 'assistants.parquet')} (FORMAT parquet)""")
    # the planted effect on acts, as the mean over contract GP-years observed after a pre-contract year (the cells a
    # Callaway–Sant'Anna estimate averages): visits added, per GP-year
    eff = con.execute(f"""
        WITH c AS (SELECT g, year(am_date) AS cohort FROM gps
                   WHERE am_date IS NOT NULL AND year(am_date) BETWEEN {Y0 + 1} AND {Y1}),
             e AS (SELECT c.g, p.yr, sum(p.am_extra) AS extra FROM c JOIN py p ON p.vis_gp = c.g AND p.yr >= c.cohort
                   GROUP BY c.g, p.yr)
        SELECT avg(extra), count(*), count(DISTINCT g) FROM e""").fetchone()
    # Asalée: the intention-to-treat effect on the diabetics of Asalée GPs (share followed × effect on the followed),
    # in percentage points, in expectation
    itt = {f"{k}_pp": round(100 * FOLLOWED_SHARE * (p1 - p0), 6)
           for k, (p0, p1) in (("hba1c_3plus", HBA1C_3PLUS_P), ("microalb", MICROALB_P))}
    (truth / "planted.json").write_text(json.dumps({"assistants": {
        "acts_per_gp_year": float(eff[0]) if eff[0] is not None else None, "gp_years": int(eff[1]),
        "gps": int(eff[2]), "extra_visits_per_patient": AM_EXTRA_VISITS}, "asalee": itt}, indent=2))
    rows["truth_asalee"] = con.execute(f"SELECT count(*) FROM read_parquet({_q(truth / 'asalee.parquet')})").fetchone()[0]
    con.close()
    shutil.rmtree(tmp, ignore_errors=True)
    secs = time.perf_counter() - t0
    say(f"données synthétiques : {fmt_int(rows['ER_PRS_F'])} lignes de prestations en {fmt_num(secs, 1)} s")
    (truth / "spec.json").write_text(pd.Series(asdict(spec)).to_json(indent=2))
    return SyntheticClaims(out, truth, spec, rows, round(secs, 2))
