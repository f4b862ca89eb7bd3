"""The published figures the MSP chapter cites, typed once with their source (they are facts, not results)."""

from __future__ import annotations

from typing import Any

ANCHOR = ("les résultats publiés de l'Irdes sur les maisons de santé (Cassou, Mousquès et Franc, 2020 ; "
          "Questions d'économie de la santé n° 258, 2021)")

PUBLISHED: dict[str, dict[str, Any]] = {
    "effect_mt": dict(value=90.0, text="≈ +90 patients", source="HCAAM 2022, note 43 ; Irdes, QES n° 258, 2021"),
    "effect_mt_pct": dict(value=10.0, text="≈ +10\u202f%", source="HCAAM 2022, note 43"),
    "effect_fa": dict(value=88.5, text="+88 à +89 patients", source="Irdes, QES n° 258, 2021"),
    "effect_fees_pct": dict(value=2.5, text="+2,5\u202f%", source="Irdes, QES n° 258, 2021"),
    "effect_fees_eur": dict(value=2091.0, text="≈ +2\u202f091\u202f€ par an", source="Irdes, QES n° 258, 2021"),
    # « Un médecin exerçant dans une MSP reçoit en moyenne 600 patients supplémentaires par an par rapport à un médecin
    # en exercice isolé » (sources/003): patients *received in a year* — distinct patients seen at least once in the
    # year, the file active — not the médecin-traitant patientèle (a stock of declarations; 600 would be ≈ 60 % of a
    # GP's ≈ 1,000 MT patients). The book sets it against the file active everywhere.
    "naive_claim": dict(value=600.0, text="« 600 patients supplémentaires par an »",
                        source="CPAM de Saône-et-Loire, 2024", measure="file_active"),
    # The one count of GPs in MSP used for the national order of magnitude: GPs of the MSP in the ACI (the
    # contract that pays MSP; ≈ 1,470 MSP at 31 January 2022) — sources/000 « près de 5 000 généralistes ».
    "gps_in_msp": dict(value=5000.0, text="près de 5 000 médecins généralistes", msp_aci=1470,
                       scope="MSP adhérentes à l'accord conventionnel interprofessionnel (ACI), janvier 2022",
                       source="audition du directeur général de la Cnam, Le Quotidien du médecin, 2022"),
    # The other count quoted in the book (contexte chapter): ≈ 18 % of GPs in an MSP, ACI or not — HCAAM 2022 note 39
    # (sources/004): 2,000 MSP × 4.7 GPs on average (Cnam ACI data), out of 52,000 GPs (« Pour 52 000 généralistes »).
    "gps_in_msp_share": dict(value=18.0, n_msp=2000, gps_per_msp=4.7, national_gps=52000,
                             text="environ 18 % des médecins généralistes",
                             source="HCAAM 2022, note 39 (2 000 MSP × 4,7 généralistes en moyenne)"),
    "sample": dict(value=844.0, n_total=30541, n_msp=844, text="30 541 médecins dont 844 en MSP, 2008–2014",
                   source="Irdes, QES n° 258, 2021"),
    "profile": dict(value=None, source="Irdes, QES n° 258, 2021",
                    msp=dict(age=47.7, female=25.4, rural=36.7, periurban=24.8),
                    control=dict(age=48.7, female=28.6, rural=12.2, periurban=18.6),
                    gap=dict(patients_mt=5.2, file_active=8.3)),
}
