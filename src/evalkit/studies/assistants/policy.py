"""Assistants médicaux: the study's columns and the policy parameters (aid schedule, patientèle targets, contract
counts, published figures), each with its source.

Data of the study, not estimates: the analysis reads them, the texts and displays quote them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STUDY = "assistants"
UNIT, TIME, COHORT, OPTION = "gp_id", "year", "am_year", "am_option"
OUTCOMES = ("patients_mt", "file_active", "acts")
OUTCOME_UNITS = {"patients_mt": "patients", "file_active": "patients", "acts": "acts"}
OPTIONS = ("third", "half", "full")
OPTION_FTE = {"third": 1 / 3, "half": 1 / 2, "full": 1.0}  # assistant's working time financed by the option

# --- policy data, with sources --------------------------------------------------------------------------------------

AID_SOURCE = ("HCAAM (2022), rapport sur l'organisation des soins de proximité, Encadré 4 ; convention médicale, "
              "avenant 7 (2019)")
AID_SCHEDULE: dict[str, tuple[float, float, float]] = {
    # annual aid of the Assurance maladie (euros) in contract year 1, year 2, year 3 and after
    "third": (12_000.0, 9_000.0, 7_000.0),
    "half": (18_000.0, 13_500.0, 10_500.0),
    "full": (36_000.0, 27_000.0, 21_000.0),  # full time: underserved areas only
}

# Patientèle targets (avenant 7, art. 9-5-2-2): the GP's increase in adult MT patientèle (and/or file active) expected
# from the 3rd contract year, by option and by the GP's starting percentile in the national distribution.
TARGET_SOURCE = ("convention médicale, avenant 7 (2019), art. 9-5-2-2 : option 1 par tranche de percentile ; "
                 "bornes des options 2 et 3 (+6 à +25 %, +12,5 à +35 %) ; tranches intermédiaires des options 2 et 3 "
                 "interpolées (règle du livre)")
TARGET_PCTILE_BANDS = (50.0, 70.0, 90.0, 95.0)  # band limits: < 50th (incl. 30–50th), 50–70, 70–90, 90–95, ≥ 95th
_TARGET_OPTION1 = (20.0, 15.0, 7.5, 4.0, 0.0)  # published for option 1 (third time), ≥ 95th percentile: maintain
_TARGET_RANGES = {"third": (4.0, 20.0, 0.0), "half": (6.0, 25.0, 0.0), "full": (12.5, 35.0, 5.0)}
# (target in the 90–95th band, target in the 30–50th band, target ≥ 95th percentile) — avenant 7; ≥ 95th: maintain
# for options 1 and 2, +5 % for option 3 (CSMF summary of avenant 7)


def _interpolated_targets() -> dict[str, tuple[float, ...]]:
    """Targets by band for each option: option 1 as published; options 2–3 keep their published ends and place the
    two intermediate bands where option 1 places them (linear in option 1's scale, rounded to 0.5 point)."""
    lo1, hi1, _ = _TARGET_RANGES["third"]
    out = {}
    for opt, (lo, hi, top) in _TARGET_RANGES.items():
        mid = [round(2 * (lo + (v - lo1) / (hi1 - lo1) * (hi - lo))) / 2 for v in _TARGET_OPTION1[:4]]
        out[opt] = (*mid, top)
    return out


TARGETS: dict[str, tuple[float, ...]] = _interpolated_targets()
TARGET_YEAR = 2  # targets apply « à partir de la 3e année » of the contract: event time e = 2

# Contracts signed (all specialties; the MT patientèle concerns GPs): published counts.
CONTRACTS = pd.DataFrame([
    {"date": "2021-11", "label": "novembre 2021", "contracts": 2_400, "gp_contracts": 1_896,
     "shares": "publiées", "source": "HCAAM (2022), Encadré 4 : 2 400 contrats de médecins libéraux, 79 % de "
                                     "généralistes ; 31 % tiers temps, 49 % mi-temps, 20 % temps plein"},
    {"date": "2022-01", "label": "janvier 2022", "contracts": 2_700, "gp_contracts": 2_133,
     "shares": "novembre 2021", "source": "Cnam, audition du directeur général (février 2022), date de l'annonce « "
                                          "500 000 patients » ; part de généralistes de novembre 2021 (79 %)"},
    {"date": "2022-objectif", "label": "objectif 2022", "contracts": 4_000, "gp_contracts": 3_160,
     "shares": "novembre 2021", "source": "HCAAM (2022) : « 2 700 postes d'assistants médicaux ont été créés fin "
                                          "janvier 2022, sur les 4 000 prévus » ; Le Quotidien du médecin (2022) : « "
                                          "l'exécutif visait 4 000 postes dès 2022 » ; part de généralistes de "
                                          "novembre 2021 (79 %, 3 160 = 4 000 × 0,79)"},
    {"date": "2022-06", "label": "juin 2022", "contracts": 3_112, "gp_contracts": 2_458,
     "shares": "novembre 2021", "source": "Cnam, bilan de juin 2022 ; part de généralistes de novembre 2021 (79 %)"},
    {"date": "2024-10", "label": "octobre 2024", "contracts": 7_240, "gp_contracts": 5_283,
     "shares": "novembre 2021", "source": "Assurance maladie, bilan à 4 ans (décembre 2024) : 7 240 contrats dont "
                                          "5 283 de généralistes"},
])
OPTION_SHARES_2021 = {"third": 0.31, "half": 0.49, "full": 0.20}  # HCAAM (2022), Encadré 4, November 2021
CLAIM_PATIENTS = 500_000  # « 500 000 patients qui trouvent un médecin traitant » (Cnam DG, Feb. 2022; HCAAM 2022)
CLAIM_SOURCE = ("directeur général de la Cnam, février 2022, Le Quotidien du médecin ; repris par le HCAAM, "
                "2022")  # sources/000 and sources/004
CLAIM_CONTRACTS = 2_700  # contracts signed at the time of the claim (Jan. 2022; HCAAM 2022, sources/004 and 000)
CLAIM_TARGET_CONTRACTS = 4_000  # the contracts planned for 2022 (« sur les 4 000 prévus », HCAAM 2022, sources/004;
#                                 « l'exécutif visait 4 000 postes dès 2022 », sources/000): the claim's other reading
CLAIM_READINGS = {"signed": "2022-01", "target": "2022-objectif"}  # the two readings of the claim → CONTRACTS rows
WITHOUT_MT = 6_000_000  # people without a médecin traitant, > 3 million of whom want one (HCAAM 2022, note 10)

# Published descriptive figures (Cnam monitoring), for calibration tests and the « publié vs reproduit » table.
PUBLISHED = {
    "mt_change_30m": 9.9,  # % MT patientèle at 30 months (Cnam 2022, 305 contracts; June 2022: +135 patients)
    "mt_change_48m": 19.5,  # % at 48 months, 402 GPs signed 09/2019–08/2020 (Cnam, Dec. 2024)
    "mt_change_48m_ctrl": 6.6,  # % non-signatories, same period (Cnam, Dec. 2024)
    "mt_base_48m": 1_318,  # baseline MT patientèle of the 402 signatories (Cnam, Dec. 2024)
    "mt_after_48m": 1_576,  # at 48 months
    "mt_objective_48m": 8.5,  # mean contractual objective of the 402 (Cnam, Dec. 2024), %
    "fa_change_30m": 5.3,  # % file active at 30 months (Cnam 2022)
    "fa_change_48m": 4.5,  # % file active at 48 months (Cnam 2024)
    "fa_change_48m_ctrl": -5.3,  # % non-signatories
    "acts_change_48m": 7.2,  # % acts per working day at 48 months (Cnam 2024)
    "acts_change_48m_ctrl": 0.5,  # % non-signatories
}


def aid(option: str, event_time: int) -> float:
    """Annual aid (euros) in the contract year that starts at event time ``event_time`` (0 = first year)."""
    sched = AID_SCHEDULE[option]
    return sched[min(max(int(event_time), 0), len(sched) - 1)]


def contract_target(option: str, percentile: float | np.ndarray) -> np.ndarray:
    """Target increase of the MT patientèle (%) for a GP of ``option`` starting at ``percentile`` (0–100).

    Rule applied (avenant 7): < 50th percentile (the contract requires ≥ 30th; GPs below are given the first band's
    target) → band 1; 50–70 → band 2; 70–90 → band 3; 90–95 → band 4; ≥ 95 → band 5 (maintain, or +5 % full time).
    """
    band = np.searchsorted(np.asarray(TARGET_PCTILE_BANDS), np.asarray(percentile, dtype=float), side="right")
    return np.asarray(TARGETS[option])[band]
