"""The published estimates the book cites, with their sources (from ``shared/evidence.md``).

These are facts quoted from publications, not results of ours: they are typed here once, with their source, and
every page that cites them reads them from :data:`PUBLISHED`. ``outcome``/``unit`` say which of our results rows
(headline, subgroup ``all``) is the like-for-like comparison, when there is one.
"""

from __future__ import annotations

import pandas as pd

_ROWS = [
    # study, key, label (fr), value, unit, outcome, our_unit, source (fr), bib key, comparability (fr)
    ("msp", "msp_did_patients", "Effet de l'exercice en MSP sur la patientèle médecin traitant (DiD apparié, "
     "2008–2014)", 90.0, "patients", "patients_mt", "patients",
     "Irdes, QES n° 258 (2021) ; Cassou, Mousquès, Franc (2020), cité par le HCAAM (2022)", "irdes_qes258",
     "même estimand (effet moyen sur les médecins entrés en MSP), même type de comparaison ; nos données sont "
     "calibrées sur ce chiffre : le retrouver valide la méthode, pas le résultat"),
    ("msp", "msp_did_percent", "Même effet, en % de la patientèle moyenne", 10.0, "percent", "patients_mt",
     "percent", "HCAAM (2022), § 2, note 43", "hcaam2022", "idem"),
    ("msp", "msp_did_file_active", "Effet sur la file active (DiD apparié)", 88.5, "patients", "file_active",
     "patients", "Irdes, QES n° 258 (2021) : +88 à +89 patients", "irdes_qes258", "idem"),
    ("msp", "msp_fees_percent", "Effet sur les honoraires", 2.5, "percent", "fees", "percent",
     "Irdes, QES n° 258 (2021) : +2,5 % (≈ +2 091 € par an)", "irdes_qes258", "idem"),
    ("msp", "msp_naive", "Écart brut cité en communication institutionnelle : patients supplémentaires par an "
     "d'un médecin en MSP par rapport à un médecin isolé", 600.0, "patients", "patients_mt", "patients_naive",
     "CPAM de Saône-et-Loire (2024)", "cpam71_2024",
     "comparaison brute sans contrefactuel : à rapprocher de notre écart naïf, non de l'effet"),
    ("asalee", "asalee_pp_hba1c", "Effet Asalée sur la part de patients avec ≥ 3 HbA1c par an, "
     "per-protocole (DiD échelonnée, 2010–2017)", 12.7, "pp", "hba1c_3plus", "pp_per_protocol",
     "Irdes, QES n° 264 (2021) ; « Graphique du mois », décembre 2021", "irdes_qes264",
     "per-protocole (patients suivis par l'infirmière) : à comparer à notre estimation per-protocole, pas à "
     "l'intention de traiter"),
    ("asalee", "asalee_itt", "Effet en intention de traiter (tous les diabétiques des médecins Asalée)", None, "pp",
     "hba1c_3plus", "pp", "Irdes, QES n° 264 (2021) : positif, significatif, plus faible que le per-protocole ; "
     "valeur non publiée dans les synthèses", "irdes_qes264", "ordre de grandeur seulement (valeur non publiée)"),
    ("assistants", "am_before_after_30m", "Évolution de la patientèle médecin traitant des médecins employant un "
     "assistant, 30 mois après (avant/après, sans groupe témoin)", 9.9, "percent", "patients_mt",
     "percent_before_after", "Cnam, suivi du dispositif (juin 2022)", "cnam_assistants2024",
     "avant/après descriptif : à rapprocher de notre avant/après, non de l'effet"),
    ("assistants", "am_before_after_48m", "Évolution à 48 mois, signataires de 2019–2020", 19.5, "percent",
     "patients_mt", "percent_before_after", "Cnam, suivi du dispositif (décembre 2024)", "cnam_assistants2024",
     "avant/après descriptif"),
    ("assistants", "am_nonsignatories_48m", "Évolution à 48 mois, non-signataires", 6.6, "percent", "patients_mt",
     "percent_before_after_controls", "Cnam, suivi du dispositif (décembre 2024)", "cnam_assistants2024",
     "la différence 19,5 − 6,6 points est une double différence brute, sans appariement ni tendances propres"),
    ("assistants", "am_claim", "Patients qui trouveraient un médecin traitant si les objectifs sont atteints",
     500_000.0, "patients", "national_projection", "patients",
     "Cnam, directeur général, audition à l'Assemblée nationale (2022), cité par le HCAAM (2022)",
     "hcaam2022", "objectif déclaré, non une estimation"),
]

COLUMNS = ["study", "key", "label", "value", "unit", "outcome", "our_unit", "source", "bibkey", "comparability"]
PUBLISHED = pd.DataFrame(_ROWS, columns=COLUMNS)


def published(study: str | None = None) -> pd.DataFrame:
    """The published figures (all, or one study's)."""
    df = PUBLISHED if study is None else PUBLISHED[PUBLISHED.study == study]
    return df.reset_index(drop=True).copy()


def value(key: str) -> float:
    """One published figure by key."""
    row = PUBLISHED[PUBLISHED.key == key]
    if len(row) != 1:
        raise KeyError(key)
    return float(row.value.iloc[0])
