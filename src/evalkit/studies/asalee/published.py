"""Asalée: the published figures the chapter cites (typed because they are cited facts), with their sources."""

from __future__ import annotations

#: Published figures the chapter cites (typed because they are cited facts), with their sources.
PUBLISHED = {
    "pp_2010_asalee": (41.0, "Irdes, « graphique du mois », déc. 2021 (QES n°264)"),
    "pp_2010_control": (32.6, "Irdes, « graphique du mois », déc. 2021 (QES n°264)"),
    "pp_2017_asalee": (75.0, "Irdes, « graphique du mois », déc. 2021 (QES n°264)"),
    "pp_2017_control": (53.8, "Irdes, « graphique du mois », déc. 2021 (QES n°264)"),
    "pp_did": (12.7, "Irdes, « graphique du mois », déc. 2021 (QES n°264)"),
    "n_gps_asalee": (435, "QES n°264 (échantillon per-protocole)"),
    "n_gps_control": (739, "QES n°264 (échantillon per-protocole)"),
    "n_patients_pp": (2943, "QES n°264 (patients suivis, et autant de témoins)"),
    "n_patients_itt": (18310, "QES n°264 (diabétiques appariés, intention de traiter)"),
    "national_hba1c_2013": (51, "Santé publique France / Cnam"),
    "national_hba1c_2019": (56, "Santé publique France / Cnam"),
}

#: Deployment of the programme (HCAAM 2022 report; Cnam director's hearing reported in the press, 2022).
DEPLOYMENT = [
    ("2018", "Infirmières Asalée", "300", "Cnam, audition du directeur général (presse, 2022)"),
    ("2021", "Infirmières Asalée", "1 400", "Cnam, audition du directeur général (presse, 2022)"),
    ("Sept. 2021", "Infirmières Asalée / médecins généralistes partenaires", "1 250 / 6 000",
     "HCAAM, rapport 2022 sur l'organisation des soins de proximité"),
    ("2022", "Infirmières Asalée en ETP, pour 52 000 généralistes", "≈ 1 000", "HCAAM, rapport 2022"),
]
