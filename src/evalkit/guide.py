"""Helpers of the « Guide de l'évaluateur » chapter (chapters/guide.ipynb).

Everything the guide shows about evalkit's interface is generated from the code, so that the guide cannot drift
from what ``evalkit validate`` and ``evalkit run`` really do:

- the data dictionary of each input file comes from the pandera schemas (:func:`evalkit.contracts.data_dictionary`),
  with the rules translated into French (:data:`RULES_FR`);
- the dictionary of ``results/estimates.csv`` comes from :data:`evalkit.contracts.RESULTS_SCHEMA`, with French
  descriptions kept here (:data:`RESULTS_DESCRIPTIONS`) and a test that every schema column has one;
- the command-line options come from the ``argparse`` parser of :mod:`evalkit.cli`;
- the keys of ``run.json`` come from :func:`evalkit.cli.run_manifest` run on a small example folder;
- the error messages are produced by running evalkit's validation on small, deliberately broken tables
  (:func:`broken_examples`, :func:`balance_examples`, :func:`cli_validate_examples`).

French texts keyed by a column or option name are checked against the code by ``tests/test_guide.py``: a column or
an option added to evalkit without its description fails the tests instead of silently vanishing from the guide.
"""

from __future__ import annotations

import datetime
import html
import json
import os
import re
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from . import __version__, contracts, disclosure, paths, plots, registry, results
from .contracts import RESULTS_SCHEMA, STUDIES
from .estimators import agreement as _agreement
from .fr import NBSP, fmt_int, fmt_list, fmt_num, fmt_smart

SOURCE_CODE = f"evalkit {__version__}"
SOURCE_EXAMPLE = f"exemple fictif construit pour ce guide ; messages produits par evalkit {__version__}"

# --- input contracts: data dictionary ------------------------------------------------------------------------------

#: French wording of the column rules of the input schemas (keyed by the English ``error`` of the pandera check).
RULES_FR: dict[str, str] = {
    "must not be empty": "non vide",
    "must be a year between 1990 and 2035": "année entre 1990 et 2035",
    "must be ≥ 0 (a count)": "effectif ≥ 0",
    "must be ≥ 0 (euros)": "montant ≥ 0 (euros)",
    "must be an age in years (0–120)": "âge en années, de 0 à 120",
    "must be 0 or 1": "0 ou 1",
    "must be urban, periurban or rural": "urban, periurban ou rural",
    "must be a département code such as 01, 2A, 974": "code département en texte : 01 à 95, 2A, 2B, 971 à 974, 976 "
                                                       "(975 n'est pas un département)",
    "must be F or M": "F ou M",
    "must be third, half or full": "third, half ou full",
    # table-level rules of the results schema
    "estimate is empty on a row that is not suppressed": "estimate n'est vide que sur une ligne masquée",
    "headline rows must have subgroup 'all'": "une ligne headline a subgroup égal à all",
    "at most one headline per (study, outcome, unit)": "au plus une ligne headline par triplet (study, outcome, "
                                                       "unit)",
    "estimator is not one of contracts.ESTIMATORS": "estimator est l'une des étiquettes de "
                                                    "la liste des valeurs de estimator (suivie de [suppressed<11] sur "
                                                    "une ligne masquée)",
}

#: French reading of the regular expressions of the results schema (keyed by the pattern).
PATTERNS_FR: dict[str, str] = {
    r"^(all|[a-z_]+=[^=\s]+)$": "all, ou clé=valeur (clé en minuscules, valeur sans espace)",
}


def dictionary(study: str) -> pd.DataFrame:
    """The contract of ``study`` in French: one row per column, in the schema's order.

    Built from :func:`evalkit.contracts.data_dictionary` (itself read off the pandera schema); only the wording of
    the rules is translated (an untranslated rule is shown in English rather than dropped).
    """
    dd = contracts.data_dictionary(study)

    def fr(rule: str) -> str:
        return "; ".join(RULES_FR.get(r.strip(), r.strip()) for r in rule.split(";") if r.strip())

    return pd.DataFrame({
        "Colonne": dd["colonne"],
        "Type": dd["type"],
        "Vide autorisé": dd["vide autorisé"],
        "Valeurs permises": dd["règle"].map(fr),
        "Description": dd["description"],
    })


@dataclass
class TextTable(plots.Table):
    """A :class:`evalkit.plots.Table` whose cells are left-aligned (tables of words rather than numbers); the first
    column (a column, option or file name) does not wrap; numbers without decimals unless said."""

    decimals: dict | int = 0

    def _repr_html_(self) -> str:
        out = super()._repr_html_()
        out = out.replace('<tr style="text-align: right;">', '<tr style="text-align: left;">')
        out = re.sub(r"<t([dh])(\s[^>]*)?>", lambda m: f'<t{m.group(1)}{m.group(2) or ""} style="text-align:left">',
                     out)
        # first cell of each row: no line break inside names such as --version or nurse_followed
        out = re.sub(r"(<tr[^>]*>\s*<t[dh][^>]*?)style=\"text-align:left\">",
                     r'\1style="text-align:left;white-space:nowrap">', out)
        return out


def dictionary_table(study: str) -> TextTable:
    """The data dictionary of ``study``'s file as a book table (title, Champ/Source lines, CSV download)."""
    st = STUDIES[study]
    return TextTable(
        dictionary(study),
        title=f"Fichier {study}.csv : {len(st.columns)} colonnes, une ligne par {registry.get(study).row_fr}",
        champ=f"colonnes du contrat « {study} » ; le couple ({st.unit}, {st.time}) identifie une ligne",
        source=f"{SOURCE_CODE}, schéma pandera du module evalkit.contracts (dictionnaire généré, non recopié)",
        name=f"dictionnaire_{study}",
    )


def files_overview() -> pd.DataFrame:
    """One row per input file: name, what a row is, panel keys, treatment column, number of columns."""
    return pd.DataFrame([{"Fichier": f"{name}.csv", "Étude": st.title, "Une ligne par": registry.get(name).row_fr,
                          "Clé": f"{st.unit}, {st.time}", "Année d'entrée": st.cohort, "Colonnes": len(st.columns)}
                         for name, st in STUDIES.items()])


def files_table() -> TextTable:
    n = len(STUDIES)
    count = {1: "Un fichier", 2: "Deux fichiers", 3: "Trois fichiers", 4: "Quatre fichiers", 5: "Cinq fichiers"}
    return TextTable(files_overview(), title=f"{count.get(n, f'{n} fichiers')}, un par étude ; chacun est facultatif",
                     champ="contrats d'entrée d'evalkit", source=f"{SOURCE_CODE}, module evalkit.contracts",
                     note="chaque fichier peut aussi être fourni au format Parquet (msp.parquet…) ou en CSV "
                          "compressé (msp.csv.gz).",
                     name="fichiers_attendus")


# --- how to build each column from an SNDS extract -----------------------------------------------------------------

_GP_COMMON = {
    "gp_id": "Numéro statistique du médecin (DA_PRA_R.STA_PFS_NUM), obtenu en joignant le numéro de cabinet des "
             "prestations (ER_PRS_F.PFS_EXE_NUM) et des déclarations (IR_MTT_R.MTT_PFS_NUM) à DA_PRA_R.PFS_PFS_NUM, "
             "puis pseudonymisé. Ce numéro regroupe les cabinets secondaires et suit le médecin qui déménage ; le "
             "numéro de cabinet seul ne le suit pas (sans DA_PRA_R, evalkit claims garde le numéro de cabinet et le "
             "médecin qui déménage compte pour deux).",
    "year": "Année civile de la date des soins (ER_PRS_F.EXE_SOI_DTD), et non du mois de flux (FLX_DIS_DTD). Une "
            "ligne par année où le médecin a au moins un patient médecin traitant au 31 décembre, une consultation "
            "ou visite, ou (msp.csv) des honoraires.",
    "patients_mt": "Patients distincts (BEN_NIR_ANO) dont la déclaration de médecin traitant en vigueur au "
                   "31 décembre (IR_MTT_R : MTT_DEP_DTE au plus tard le 31/12, MTT_FIN_DTE vide, antérieure à 1900 ou "
                   "postérieure) désigne un numéro du médecin (MTT_PFS_NUM), patients vivants au 31 décembre : le "
                   "décès (IR_BEN_R.BEN_DCD_DTE) clôt la déclaration, qu'IR_MTT_R laisse ouverte. Approximation : la "
                   "déclaration survit aussi au départ du médecin ; l'année qui suit une cessation d'activité garde "
                   "donc ses patients, avec une file active nulle.",
    "file_active": "Patients distincts (BEN_NIR_ANO) ayant eu dans l'année au moins une consultation ou visite "
                   "exécutée par le médecin (PRS_NAT_REF de la liste « consultation », spécialité PSE_SPE_COD de "
                   "médecine générale, lignes de majoration CPL_MAJ_TOP ≥ 2 exclues), après filtres standard et "
                   "neutralisation des régularisations.",
    "age": "Âge au 31 décembre : année observée moins l'année de naissance du médecin (DA_PRA_R.IPP_ANN_NAI), lue "
           "sur la ligne du cabinet principal (celle dont le numéro est le numéro statistique).",
    "female": "Sexe du médecin (DA_PRA_R.IPP_SEX_COD), recodé 1 pour une femme (code 2), 0 pour un homme (code 1) ; "
              "un médecin sans année de naissance ou code sexe valide est écarté, et compté dans claims_report.json.",
    "department": "Département du cabinet : deux premiers caractères du code commune (DA_PRA_R.PFS_EXC_COM), trois "
                  "pour 971 à 976, écrit en texte (01, 2A, 974). Ne pas le tirer du numéro de cabinet, qui ne compte "
                  "que des chiffres et ne peut donc pas porter 2A ou 2B. Approximation : evalkit claims retient la "
                  "commune du cabinet principal actuel pour toutes les années ; un médecin qui a changé de "
                  "département est compté dans le nouveau.",
}

#: How each column of each contract is built from an SNDS extract (or from another source, said so).
SNDS_RECIPES: dict[str, dict[str, str]] = {
    "msp": {
        **_GP_COMMON,
        "fees": "Honoraires de l'année en euros courants : somme du montant de la dépense (ER_PRS_F.PRS_PAI_MNT), "
                "arrondi au centime, de toutes les lignes exécutées par le médecin sous une spécialité de médecine "
                "générale, majorations et forfaits facturés à l'acte compris, après filtres standard ; une "
                "régularisation, qui reprend la ligne d'origine avec un montant négatif, s'y retranche. Approximation : "
                "les forfaits versés hors prestations à l'acte (ROSP, forfait structure) ne sont pas dans ER_PRS_F "
                "sous le numéro du médecin de la même façon ; garder la même définition toutes les années.",
        "rurality": "Commune du cabinet (DA_PRA_R.PFS_EXC_COM) classée urban, periurban ou rural d'après la colonne "
                    "rurality du zonage des communes fourni à evalkit claims (--zoning) : un zonage de l'Insee "
                    "choisi et documenté par l'évaluateur, le même pour toutes les années. Un médecin dont la "
                    "commune manque au zonage est écarté, et compté dans claims_report.json.",
        "msp_year": "Hors SNDS : année civile de la première date d'entrée du médecin dans une MSP, d'après la liste "
                    "des membres (par exemple les adhérents à l'accord conventionnel interprofessionnel), donnée à "
                    "evalkit claims par --msp (colonnes gp_id, entry_date). L'identifiant de la liste peut être un "
                    "numéro de cabinet ancien : il est chaîné par DA_PRA_R comme les prestations. DA_PRA_R n'a pas "
                    "d'indicateur d'exercice en MSP. Vide si le médecin n'y est jamais entré.",
    },
    "assistants": {
        **_GP_COMMON,
        "acts": "Somme des quantités (ER_PRS_F.PRS_ACT_QTE) des consultations et visites exécutées par le médecin "
                "dans l'année, régularisations neutralisées, lignes de majoration exclues.",
        "underserved": "1 si la commune du cabinet est en zone d'intervention prioritaire du zonage médecin de l'ARS, "
                       "0 sinon, d'après la colonne underserved du zonage des communes (--zoning). Approximation : "
                       "une seule édition du zonage pour toutes les années ; dire laquelle.",
        "am_year": "Hors SNDS : année civile de début du premier contrat d'assistant médical, d'après la liste des "
                   "contrats de l'Assurance maladie donnée à evalkit claims par --assistants (colonnes gp_id, "
                   "start_date, option) ; vide si jamais. Les natures de prestation 1176, 1184 et 1186 (« contrat "
                   "individuel embauche », IR_NAT_V) pourraient repérer l'aide versée, mais ce lien n'a pas été "
                   "vérifié.",
        "am_option": "Option du premier contrat (le plus ancien de la liste) : third (tiers temps), half (mi-temps), "
                     "full (temps plein), la même sur toutes les lignes du médecin ; vide si jamais. La liste peut "
                     "écrire « tiers temps », « mi-temps » ou « temps plein ».",
    },
    "asalee": {
        "patient_id": "Pseudonyme stable de la personne : BEN_NIR_ANO, lu dans IR_BEN_R sur le couple BEN_NIR_PSA et "
                      "BEN_RNG_GEM. BEN_NIR_PSA seul ne convient pas : il change dans le temps et des jumeaux le "
                      "partagent.",
        "gp_id": "Médecin traitant de l'année : la déclaration IR_MTT_R la plus récente en vigueur pendant l'année "
                 "(après un changement en cours d'année, le médecin en place au 31 décembre), numéro chaîné par "
                 "DA_PRA_R.STA_PFS_NUM comme dans les fichiers médecins.",
        "year": "Année civile des soins. Une ligne si le patient est diabétique traité cette année-là : antidiabétique "
                "(ATC A10, benfluorex A10BX06 exclu ; code ATC lu dans IR_PHA_R) délivré à au moins trois dates "
                "distinctes, ou deux s'il y a un grand conditionnement (PHA_CND_TOP = 'GC') ; à partir de 2022, la "
                "monothérapie par inhibiteur de SGLT2 (A10BK) ne compte pas.",
        "asalee_year": "Hors SNDS : année d'entrée du médecin traitant dans Asalée (liste de l'association), la même "
                       "sur toutes les lignes du médecin ; vide s'il n'y est jamais entré.",
        "nurse_followed": "Hors SNDS : 1 si le patient figure, cette année-là, sur la liste des patients vus par "
                          "l'infirmière Asalée et si son médecin est dans Asalée cette année-là ; 0 sinon.",
        "age": "Année observée moins l'année de naissance (IR_BEN_R.BEN_NAI_ANN).",
        "sex": "Code sexe du bénéficiaire (IR_BEN_R.BEN_SEX_COD), recodé F ou M.",
        "hba1c_3plus": "1 si au moins trois dosages d'HbA1c (NABM 1577, ER_BIO_F.BIO_PRS_IDE) à des dates "
                       "distinctes dans l'année.",
        "microalb": "1 si au moins un dosage de microalbuminurie (NABM 1133) dans l'année.",
        "creatinine": "1 si au moins un dosage de créatinine sanguine (NABM 0592 ou 0593, stockés 592 et 593) dans "
                      "l'année.",
        "lipids": "1 si au moins une exploration d'une anomalie lipidique (NABM 0996) dans l'année.",
        "ecg_cardio": "1 si un ECG (CCAM DEQP003, ER_CAM_F.CAM_PRS_IDE) ou une consultation de cardiologue "
                      "(PSE_SPE_COD = 3) dans l'année.",
        "fundus_2y": "1 si un examen du fond d'œil ou une rétinographie (CCAM BGQP002, BGQP007, BGQP140) ou une "
                     "consultation d'ophtalmologiste (PSE_SPE_COD = 15) dans l'année ou l'année précédente : extraire "
                     "une année de plus avant la première année du fichier.",
    },
}


def recipes(study: str) -> pd.DataFrame:
    """Column → how to build it, in the schema's column order (a column without a recipe raises KeyError)."""
    rec = SNDS_RECIPES[study]
    return pd.DataFrame({"Colonne": STUDIES[study].columns, "Construction": [rec[c] for c in STUDIES[study].columns]})


def recipe_table(study: str) -> TextTable:
    return TextTable(
        recipes(study),
        title=f"Construire {study}.csv à partir d'une extraction du SNDS",
        champ=f"colonnes du contrat « {study} » (dans l'ordre du fichier)",
        source="documentation collaborative du SNDS (Health Data Hub) et schémas des tables (schema-snds) ; "
               "règles par défaut de la commande evalkit claims",
        name=f"construction_{study}",
    )


#: Where each code system of the code lists is looked up in the claims (see evalkit.claims.codelists).
CODE_SYSTEM_COLUMNS: dict[str, str] = {
    "NABM": "ER_BIO_F.BIO_PRS_IDE",
    "CCAM": "ER_CAM_F.CAM_PRS_IDE",
    "ATC": "IR_PHA_R.PHA_ATC_C07 (préfixe)",
    "PSE_SPE_COD": "ER_PRS_F.PSE_SPE_COD",
    "PRS_NAT_REF": "ER_PRS_F.PRS_NAT_REF",
}


def codelist_summary() -> pd.DataFrame:
    """The code lists shipped with ``evalkit claims``, one row per (indicator, code system)."""
    from .claims import codelists

    codes = codelists.load_codes()
    rows = []
    for (ind, system), grp in codes.groupby(["indicator", "code_system"], sort=False):
        few = len(grp) <= 3
        listed = ", ".join(f"{c} ({lab})" if few else str(c) for c, lab in zip(grp["code"], grp["label"]))
        rows.append({"Indicateur": ind, "Lu dans": CODE_SYSTEM_COLUMNS.get(system, system), "Codes": listed,
                     "Vérifiés": "oui" if grp["verified"].all() else "non"})
    out = pd.DataFrame(rows)
    out.attrs["files"] = sorted(codes["file"].unique())
    return out


def codelist_table() -> TextTable:
    tab = codelist_summary()
    return TextTable(
        tab,
        title="Les listes de codes d'evalkit claims, par indicateur",
        champ="listes livrées avec evalkit (" + ", ".join(tab.attrs["files"]) + ")",
        source="fichiers de codes d'evalkit ; libellés vérifiés sur les nomenclatures de schema-snds (version 2020)",
        note="codes NABM sans zéro initial, comme dans ER_BIO_F ; libellés des nomenclatures, en anglais pour ceux "
             "qu'evalkit a résumés ; correspondance code → indicateur propre à evalkit, ni Santé publique France ni "
             "l'Irdes n'ayant publié les leurs.",
        name="listes_de_codes",
    )


# --- results table ---------------------------------------------------------------------------------------------------

#: French description of every column of ``results/estimates.csv`` (checked against RESULTS_SCHEMA by the tests).
RESULTS_DESCRIPTIONS: dict[str, str] = {
    "study": "Étude : msp, asalee ou assistants (methodes pour les illustrations du chapitre Méthodes).",
    "outcome": "Résultat estimé : une colonne du fichier d'entrée (patients_mt, hba1c_3plus…) ou une grandeur "
               "définie dans le chapitre (coût par patient, projection nationale…).",
    "subgroup": "all pour l'ensemble ; sinon clé=valeur : un sous-groupe (option=half, rurality=rural) ou une "
                "composante d'un agrégat (event_time=2 : deuxième année après l'entrée ; cohort=2019 : médecins "
                "entrés en 2019).",
    "estimator": "Méthode ou quantité estimée : une des étiquettes du tableau des valeurs de estimator (cs_simple, "
                 "cs_dynamic, twfe, naive_cross_section…). Le suffixe {tag} marque une ligne masquée (moins de "
                 "{min_cell} unités).",
    "estimate": "Estimation ponctuelle, dans l'unité de la colonne unit : effet moyen sur les unités traitées (ATT) "
                "sauf pour naive_cross_section, simple écart de moyennes. Vide sur une ligne masquée.",
    "std_error": "Écart-type de l'estimation (erreurs-types regroupées par unité, ou bootstrap, selon l'estimateur).",
    "ci_low": "Borne basse de l'intervalle de confiance à 95 %.",
    "ci_high": "Borne haute de l'intervalle de confiance à 95 %.",
    "unit": "Unité de estimate, std_error et des bornes (voir le tableau des unités).",
    "n_units": "Nombre d'unités (médecins ou patients) sur lequel repose l'estimation ; selon l'estimateur, "
               "toutes les unités ou les seules unités traitées (encadré Méthode du chapitre). Vide sur une ligne "
               "masquée.",
    "n_obs": "Nombre d'observations (unité × année) utilisées. Vide sur une ligne masquée.",
    "headline": "true pour l'estimation que le chapitre retient et commente ; seulement si subgroup vaut all, et au "
                "plus une par triplet (study, outcome, unit).",
    "data": "synthetic pour les données générées par evalkit, user pour les données de l'évaluateur, reference "
            "pour le jeu public de référence (mpdta) du chapitre Méthodes.",
}

#: French meaning of the values of ``unit`` (keyed by :data:`evalkit.contracts.RESULT_UNITS`).
UNIT_DESCRIPTIONS: dict[str, str] = {
    "patients": "nombre de patients",
    "euros": "euros courants",
    "pp": "points de pourcentage (échelle de 0 à 100)",
    "percent": "pourcentage de la moyenne des unités traitées avant leur entrée dans le dispositif",
    "ratio": "rapport sans dimension",
    "eur_per_patient_year": "euros par patient et par an",
    "acts": "nombre d'actes",
    "log_points": "différence de logarithmes (0,01 correspond à environ 1 % pour de petits écarts)",
    "count": "effectif (nombre d'unités ou d'événements)",
    "p_value": "probabilité critique (p-value) d'un test, entre 0 et 1 ; la colonne estimate porte la p-value",
}

#: French meaning of the values of ``estimator`` (keyed by :data:`evalkit.contracts.ESTIMATORS`).
ESTIMATOR_DESCRIPTIONS: dict[str, str] = {
    "cs_simple": "Callaway et Sant'Anna : effet moyen sur les unités traitées (moyenne des effets par vague et par "
                 "année, pondérée par la taille des vagues)",
    "cs_dynamic": "Callaway et Sant'Anna : effet selon l'ancienneté dans le dispositif (subgroup event_time=e)",
    "cs_group": "Callaway et Sant'Anna : effet par vague d'entrée (subgroup cohort=g)",
    "cs_calendar": "Callaway et Sant'Anna : effet par année civile (subgroup year=t)",
    "cs_simple_dynamic": "moyenne des effets par ancienneté",
    "cs_simple_group": "moyenne des effets par vague d'entrée",
    "cs_simple_calendar": "moyenne des effets par année civile",
    "cs_simple_matched": "effet moyen après appariement (MSP : chaque entrant comparé à ses témoins appariés dans sa "
                         "cohorte d'entrée l'année précédant l'entrée, effets agrégés comme cs_simple, erreurs-types "
                         "par ensemble apparié ; Méthodes : cs_simple pondéré par l'appariement)",
    "cs_dynamic_matched": "cs_dynamic sur l'échantillon apparié",
    "cs_group_matched": "cs_group sur l'échantillon apparié",
    "cs_calendar_matched": "cs_calendar sur l'échantillon apparié",
    "cs_simple_not_yet_treated": "cs_simple avec pour témoins les unités pas encore entrées (au lieu des jamais "
                                 "entrées)",
    "cs_simple_notyet": "ancien nom de cs_simple_not_yet_treated (chapitre MSP)",
    "cs_simple_no_covariates": "cs_simple sans variables de contrôle",
    "cs_simple_per_protocol": "cs_simple sur les seuls patients suivis par l'infirmière (per protocole, Asalée)",
    "cs_simple_gp_weighted": "cs_simple où chaque médecin pèse autant, quel que soit son nombre de patients",
    "cs_simple_patient_weighted": "cs_simple où chaque patient pèse autant",
    "cs_dose_difference": "écart d'effet entre une option de contrat et le tiers temps (subgroup option=…)",
    "cs_simple_first_stage": "première étape de la double différence de Wald : effet de l'entrée dans le dispositif "
                             "sur la part des patients pris en charge (Asalée : suivis par l'infirmière, outcome "
                             "pct_followed)",
    "cs_simple_p_holm": "p-value de cs_simple ajustée pour les tests multiples (Holm), unit p_value",
    "cs_simple_p_romano_wolf": "p-value de cs_simple ajustée pour les tests multiples (Romano et Wolf, bootstrap "
                               "multiplicateur sur les fonctions d'influence jointes), unit p_value",
    "wald_did": "double différence de Wald (de Chaisemartin et D'Haultfœuille) : effet en intention de traiter "
                "divisé par la première étape, soit l'effet sur les patients pris en charge (subgroup intensity=… : "
                "par groupe d'intensité, chacun divisé par sa propre première étape)",
    "wald_did_intensity_equality_p": "p-value du test de Wald d'égalité des effets sur les patients suivis entre "
                                     "groupes d'intensité, unit p_value",
    "per_protocol_minus_wald": "écart entre l'estimation per protocole et la double différence de Wald : "
                               "diagnostic de sélection des patients suivis",
    "cs_dose_difference_underserved": "écart d'effet entre deux options de contrat parmi les médecins de zone "
                                      "sous-dense (subgroup comparison=…)",
    "cs_simple_underserved": "Callaway–Sant'Anna, effet d'une option parmi les seuls médecins de zone sous-dense, "
                             "comparés aux non-signataires de ces zones (subgroup underserved_option=…)",
    "cgbs_discrete_dose": "double différence à traitement multivalué de Callaway, Goodman-Bacon et Sant'Anna (2024) : "
                          "effet de chaque niveau de dose (subgroup …dose=…)",
    "twfe": "double différence à effets fixes unité et année (TWFE), erreurs-types regroupées par unité",
    "sun_abraham": "effet moyen sur les unités traitées selon Sun et Abraham (régression saturée par vague et "
                   "ancienneté), même échantillon que cs_simple",
    "imputation_bjs": "effet moyen sur les unités traitées par imputation (Borusyak, Jaravel et Spiess), même "
                      "échantillon que cs_simple ; témoins : toutes les observations non traitées",
    "two_stage_gardner": "même effet que imputation_bjs, estimé en deux étapes (Gardner), erreur-type tenant compte "
                         "de la première étape",
    "dcdh": "effet moyen de de Chaisemartin et D'Haultfœuille sur toutes les anciennetés observées (δ), erreur-type "
            "majorée (anciennetés supposées parfaitement corrélées)",
    "wooldridge_etwfe": "effet moyen par la régression à effets fixes étendue de Wooldridge (vague × année), même "
                        "échantillon que cs_simple",
    "callaway_santanna": "effet moyen simple de Callaway et Sant'Anna (libellé par défaut de CSResult.to_rows)",
    "callaway_santanna_dynamic": "moyenne des effets par durée depuis l'entrée (libellé par défaut)",
    "callaway_santanna_group": "moyenne des effets par cohorte d'entrée (libellé par défaut)",
    "callaway_santanna_calendar": "moyenne des effets par année civile (libellé par défaut)",
    "power_mde_2x2": "effet minimal détectable, formule « équicorrélée » de la double différence simple (ne décrit pas Callaway et Sant'Anna)",
    "power_mde_sim": "effet minimal détectable simulé sur le plan d'étude lui-même (dates d'entrée fictives parmi les "
                     "témoins, estimateur de Callaway et Sant'Anna réestimé ; erreur-type : erreur de simulation)",
    "twfe_event_study": "étude d'événement à effets fixes unité et année (TWFE), erreurs-types regroupées par unité comme fixest",
    "bacon": "décomposition de Goodman-Bacon du coefficient TWFE (une ligne par type de comparaison)",
    "naive_cross_section": "écart brut de moyennes entre groupes, sans contrefactuel",
    "did_2x2_per_protocol": "double différence avant/après à deux groupes, per protocole",
    "honest_did_rm": "intervalle robuste de Rambachan et Roth (HonestDiD) selon l'écart de tendance admis "
                     "(subgroup mbar=M̄)",
    "power_mde": "effet minimal détectable du plan d'évaluation, calcul analytique de la variance de l'estimateur "
                 "de Callaway et Sant'Anna (une année de référence ; Burlig, Preonas et Woerman)",
    "aid_over_cs_gain": "aide annuelle rapportée au gain de patients estimé (coût par patient supplémentaire)",
    "contracts_x_cs_gain": "nombre de contrats multiplié par le gain estimé par médecin (projection nationale)",
    "share_of_signatories": "part des médecins signataires qui atteignent l'objectif de patientèle du contrat",
    "truth": "effet introduit par le générateur des données synthétiques ou de la simulation : la valeur à retrouver",
    "truth_dynamic": "effet introduit, par ancienneté",
    "truth_group": "effet introduit, par vague d'entrée",
    "truth_calendar": "effet introduit, par année civile",
}


def estimators_table() -> TextTable:
    labels = contracts.ESTIMATORS
    tab = pd.DataFrame({"estimator": list(labels), "Signification": [ESTIMATOR_DESCRIPTIONS[e] for e in labels]})
    return TextTable(tab, title=f"Les valeurs de la colonne estimator : {len(labels)} étiquettes",
                     champ="étiquettes permises par le contrat des résultats ; une ligne masquée porte en plus le "
                           f"suffixe {results.SUPPRESSED_TAG}",
                     source=f"{SOURCE_CODE}, module evalkit.contracts (ESTIMATORS)", name="estimateurs")


_DTYPE_FR = {"str": "texte", "float64": "nombre", "Int64": "entier", "bool": "booléen (true / false)"}


def _describe_check(check) -> str:
    stats = getattr(check, "statistics", {}) or {}
    if check.name == "isin":
        return ", ".join(str(v) for v in stats["allowed_values"])
    if check.name == "str_length" and stats.get("min_value") == 1 and stats.get("max_value") is None:
        return "non vide"
    if check.name == "str_matches":
        return PATTERNS_FR.get(stats["pattern"], f"motif {stats['pattern']}")
    return str(check.error or check.name)


def results_dictionary() -> pd.DataFrame:
    """The columns of ``results/estimates.csv``, in file order, read off RESULTS_SCHEMA, with French descriptions."""
    return pd.DataFrame([{
        "Colonne": name,
        "Type": _DTYPE_FR.get(str(col.dtype), str(col.dtype)),
        "Vide autorisé": "oui" if col.nullable else "non",
        "Valeurs permises": "; ".join(_describe_check(c) for c in col.checks),
        "Description": RESULTS_DESCRIPTIONS[name].format(tag=results.SUPPRESSED_TAG, min_cell=disclosure.MIN_CELL),
    } for name, col in RESULTS_SCHEMA.columns.items()])


def results_table() -> TextTable:
    return TextTable(
        results_dictionary(),
        title=f"Le fichier estimates.csv : {len(RESULTS_SCHEMA.columns)} colonnes, une ligne par estimation",
        champ="toutes les estimations enregistrées par les chapitres exécutés",
        source=f"{SOURCE_CODE}, schéma RESULTS_SCHEMA du module evalkit.contracts",
        note="règles portant sur plusieurs colonnes : "
             + " ; ".join(RULES_FR.get(c.error, c.error) for c in RESULTS_SCHEMA.checks) + ".",
        name="dictionnaire_estimates",
    )


def units_table() -> TextTable:
    units = contracts.RESULT_UNITS
    tab = pd.DataFrame({"unit": list(units), "Signification": [UNIT_DESCRIPTIONS[u] for u in units]})
    return TextTable(tab, title="Les valeurs de la colonne unit",
                     champ="unités prévues par le contrat des résultats",
                     source=f"{SOURCE_CODE}, module evalkit.contracts (RESULT_UNITS)", name="unites")


# --- command line ----------------------------------------------------------------------------------------------------

CLAIMS_USAGE = ("evalkit claims --claims DIR --out DIR [--msp FICHIER] [--assistants FICHIER] [--zoning FICHIER] "
                "[--engine duckdb|spark] [--spark-master URL] [--codes DIR]")

#: French description of each option of the commands the guide documents ("" = options before the command).
CLI_OPTIONS_FR: dict[str, dict[str, str]] = {
    "": {
        "--version": "affiche la version d'evalkit",
        "--debug": "affiche la trace Python complète en cas d'erreur (pour signaler un problème)",
        "--quiet": "supprime les lignes d'avancement",
    },
    "validate": {
        "--data": "dossier contenant msp.csv, asalee.csv, assistants.csv (ou .parquet) ; il n'est jamais modifié",
        "--studies": "sous-ensemble d'études, séparées par des virgules (msp,asalee,assistants)",
    },
    "run": {
        "--data": "dossier des fichiers d'étude ; il n'est jamais modifié",
        "--out": "dossier de sortie : results/estimates.csv, results/run.json, html/ ; hors du dossier --data",
        "--studies": "sous-ensemble d'études, séparées par des virgules ; par défaut, toutes celles dont le fichier "
                     "est présent",
        "--seed": "graine des étapes aléatoires (bootstrap, appariement) ; par défaut, celle du livre",
        "--balance": "panels non cylindrés : warn les garde avec un avertissement, drop retire les unités "
                     "incomplètes, error refuse les données",
        "--strict": "traite les avertissements de construction du livre (Sphinx) comme des erreurs",
        "--full-panel": "calcule tous les estimateurs de comparaison au-delà de "
                        f"{fmt_num(_agreement.MAX_UNITS, 0)} unités (Gardner et "
                        "de Chaisemartin-D'Haultfœuille, dont le temps de calcul croît avec le carré du nombre "
                        "d'unités, et Wooldridge, le plus long des autres ; sans l'option, ils ne sont pas calculés "
                        "à cette taille et la page le dit)",
    },
    "claims": {
        "--claims": "dossier des tables du SNDS au format Parquet (ER_PRS_F, ER_BIO_F, IR_BEN_R…)",
        "--out": "dossier où écrire asalee.csv, gp_panel.csv, msp.csv, assistants.csv et claims_report.json",
        "--engine": "moteur de calcul : duckdb (par défaut, sur une machine) ou spark (grappe de calcul)",
        "--spark-master": "adresse du gestionnaire Spark (par défaut local[*], sur la machine)",
        "--codes": "dossier ou fichier CSV de listes de codes remplaçant celles fournies avec evalkit",
        "--msp": "liste des médecins membres d'une MSP (gp_id, entry_date) ; par défaut msp_membership.csv dans le "
                 "dossier --claims ; sans elle, msp.csv n'est pas construit",
        "--assistants": "liste des contrats d'assistant médical (gp_id, start_date, option) ; par défaut "
                        "assistants_contracts.csv dans le dossier --claims ; sans elle, assistants.csv n'est pas "
                        "construit",
        "--zoning": "zonage des communes (commune, underserved, rurality) ; par défaut zoning.csv dans le dossier "
                    "--claims ; nécessaire à msp.csv et assistants.csv",
    },
}


def cli_options(command: str) -> pd.DataFrame | None:
    """The options of ``evalkit <command>`` (``""``: the global options), read off the real parser, or None."""
    import argparse

    from . import cli

    p = cli.build_parser()
    if command:  # argparse keeps sub-commands in a _SubParsersAction
        p = next((a.choices[command] for a in p._actions
                  if isinstance(a, argparse._SubParsersAction) and command in a.choices), None)
    if p is None:
        return None
    rows = []
    for a in p._actions:
        if isinstance(a, (argparse._HelpAction, argparse._SubParsersAction)) or not a.option_strings:
            continue
        opt = max(a.option_strings, key=len)
        default = a.default if a.default not in (None, False, argparse.SUPPRESS) else "—"
        rows.append({
            "Option": opt + (f" {'|'.join(a.choices)}" if a.choices else ""),
            "Obligatoire": "oui" if a.required else "non",
            "Par défaut": str(default),
            "Rôle": CLI_OPTIONS_FR.get(command, {}).get(opt, a.help or ""),
            "_option": opt,
        })
    return pd.DataFrame(rows)


def options_table(command: str) -> TextTable | None:
    tab = cli_options(command)
    if tab is None:
        return None
    label = f"evalkit {command}" if command else "evalkit (options placées avant la commande)"
    return TextTable(tab.drop(columns="_option"), title=f"Les options de {label}",
                     champ=f"options de la commande {label}",
                     source=f"{SOURCE_CODE}, analyseur de la ligne de commande (evalkit.cli)",
                     name=f"options_{command or 'globales'}")


# --- small example tables ------------------------------------------------------------------------------------------

EXAMPLE_YEARS = (2016, 2017, 2018, 2019)


def example_table(study: str, n_units: int = 12, years: tuple[int, ...] = EXAMPLE_YEARS) -> pd.DataFrame:
    """A small, valid, fictional table of ``study`` (deterministic; no random numbers)."""
    rows = []
    if study in ("msp", "assistants"):
        rural = ["urban", "periurban", "rural"]
        deps = ["01", "2A", "75", "974", "59", "13"]
        options = ["third", "half", "full"]
        for g in range(n_units):
            treated = g < n_units // 3 if study == "msp" else g < n_units // 2
            for k, y in enumerate(years):
                base = 700 + 37 * g + 11 * k
                row = {"gp_id": f"M{g + 1:03d}" if study == "msp" else f"A{g + 1:03d}", "year": y,
                       "patients_mt": base, "file_active": int(base * 1.6)}
                if study == "msp":
                    row.update(fees=round(90_412.35 + 1_517.2 * g + 803.1 * k, 2), age=38 + g % 25, female=g % 2,
                               rurality=rural[g % 3], department=deps[g % len(deps)],
                               msp_year=years[2] if treated else None)
                else:
                    row.update(acts=4 * base, age=40 + g % 22, female=(g + 1) % 2,
                               department=deps[g % len(deps)], underserved=int(g % 3 == 0),
                               am_year=years[2] if treated else None,
                               am_option=options[g % 3] if treated else None)
                rows.append(row)
    elif study == "asalee":
        n_gps = max(2, n_units // 3)
        for g in range(n_gps):
            entry = years[2] if g < n_gps // 2 else None
            for p in range(3):
                for k, y in enumerate(years):
                    row = {"patient_id": f"P{g + 1:03d}{p + 1}", "gp_id": f"G{g + 1:03d}", "year": y,
                           "asalee_year": entry,
                           "nurse_followed": int(entry is not None and y >= entry and p == 0),
                           "age": 55 + 3 * p + g, "sex": "F" if (g + p) % 2 else "M"}
                    for j, ind in enumerate(contracts.INDICATORS):
                        row[ind] = int((g + p + k + j) % 3 != 0)
                    rows.append(row)
    else:
        raise ValueError(f"unknown study {study!r}")
    df = pd.DataFrame(rows)
    st = STUDIES[study]
    df[st.cohort] = df[st.cohort].astype("Int64")  # empty = never treated, written as an empty cell
    return df[st.columns]


# --- broken tables and the messages evalkit gives --------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """A deliberately broken table and what evalkit says about it."""

    label: str  # French: what was broken
    study: str
    file: str
    column: str  # the column the message must name
    message: str  # evalkit's message, verbatim
    kind: str = "erreur"  # "erreur" or "avertissement"


def _write(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    for study, df in tables.items():
        df.to_csv(folder / f"{study}.csv", index=False)


def _load(study: str, df: pd.DataFrame, balance: str = "warn") -> tuple[str | None, list[str]]:
    """Write ``df`` as ``<study>.csv`` and validate it as ``evalkit validate`` does (:func:`evalkit.cli._validate_one`,
    which reads it through :func:`evalkit.io.load`).

    Returns (error message or None, warning messages).
    """
    from .cli import _validate_one

    with tempfile.TemporaryDirectory(prefix="evalkit-guide-") as tmp:
        _write({study: df}, Path(tmp))
        _, msgs, err, _ = _validate_one(study, Path(tmp), balance, False)
    return err, msgs


def _set(rows, col, value):
    def f(d):
        d = d.copy()
        d[col] = d[col].astype(object)
        d.loc[rows(d), col] = value
        return d
    return f


#: (label in French, study, column the message must name, how the valid example is broken)
BROKEN: list[tuple[str, str, str, Callable[[pd.DataFrame], pd.DataFrame]]] = [
    ("Une colonne manque (fees)", "msp", "fees", lambda d: d.drop(columns=["fees"])),
    ("Un effectif négatif", "msp", "file_active", _set(lambda d: d.index[[1, 5]], "file_active", -12)),
    ("Du texte dans une colonne de nombres", "assistants", "patients_mt",
     _set(lambda d: d.index[[0, 3, 4]], "patients_mt", "n.d.")),
    ("Un indicateur codé autrement que 0 ou 1", "asalee", "hba1c_3plus",
     _set(lambda d: d.index[:3], "hba1c_3plus", 2)),
    ("Un code commune à la place du code département", "msp", "department",
     _set(lambda d: d.index[d["department"] == "75"], "department", "75056")),
    ("Un couple médecin-année en double", "msp", "gp_id, year",
     lambda d: pd.concat([d, d.iloc[[0]]], ignore_index=True)),
    ("Une année d'entrée qui change pour un même médecin", "msp", "msp_year",
     _set(lambda d: d.index[(d["gp_id"] == d["gp_id"].iloc[0]) & (d["year"] == d["year"].max())], "msp_year",
          EXAMPLE_YEARS[1])),
    ("Une option de contrat sans année de contrat", "assistants", "am_option",
     _set(lambda d: d.index[d["gp_id"] == d.loc[d["am_year"].isna(), "gp_id"].iloc[0]], "am_option", "half")),
    ("Un suivi infirmier déclaré chez un médecin hors Asalée", "asalee", "nurse_followed",
     _set(lambda d: d.index[d["asalee_year"].isna()][:2], "nurse_followed", 1)),
]


def broken_examples() -> list[Case]:
    """Each entry of :data:`BROKEN` applied to the valid example table, and evalkit's real message about it."""
    out = []
    for label, study, column, breaker in BROKEN:
        err, _ = _load(study, breaker(example_table(study)))
        if err is None:  # the guide must not show a defect evalkit lets through
            raise AssertionError(f"evalkit accepted the broken example {label!r}")
        out.append(Case(label, study, f"{study}.csv", column, err))
    return out


def unbalanced_example(study: str = "assistants") -> pd.DataFrame:
    """The valid example with two GPs missing a year (one retired before the last year, one installed late)."""
    d = example_table(study)
    ids = list(dict.fromkeys(d[STUDIES[study].unit]))
    gone = (d[STUDIES[study].unit] == ids[-1]) & (d["year"] == d["year"].max())
    late = (d[STUDIES[study].unit] == ids[-2]) & (d["year"] == d["year"].min())
    return d[~(gone | late)].reset_index(drop=True)


def balance_examples(study: str = "assistants") -> list[Case]:
    """What each ``--balance`` rule does with :func:`unbalanced_example`: real warning or error messages."""
    d = unbalanced_example(study)
    st = STUDIES[study]
    out = []
    for rule in ("warn", "drop", "error"):
        err, warns = _load(study, d, balance=rule)
        msg = err if err is not None else "\n".join(warns)
        out.append(Case(f"--balance {rule}", study, f"{study}.csv", st.unit, msg,
                        "erreur" if err is not None else "avertissement"))
    return out


@dataclass(frozen=True)
class CliRun:
    command: str
    exit_code: int
    stdout: str
    stderr: str


def cli_validate_examples() -> list[CliRun]:
    """Two real runs of ``evalkit validate``: a folder that passes with a warning, and one with two broken files."""
    runs = []
    with tempfile.TemporaryDirectory(prefix="evalkit-guide-") as tmp:
        ok, bad = Path(tmp) / "extraction_2024", Path(tmp) / "extraction_2025"
        _write({"msp": example_table("msp"), "assistants": unbalanced_example("assistants")}, ok)
        broken = dict((b[0], b) for b in BROKEN)
        _write({"msp": broken["Un effectif négatif"][3](example_table("msp")),
                "assistants": broken["Une option de contrat sans année de contrat"][3](example_table("assistants"))},
               bad)
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("EVALKIT_")}, "PYTHONWARNINGS": "ignore"}
        for folder in (ok, bad):  # in a fresh process, as the evaluator runs it (no EVALKIT_* setting)
            r = subprocess.run([sys.executable, "-m", "evalkit.cli", "--quiet", "validate", "--data", str(folder)],
                               capture_output=True, text=True, env=env, timeout=300)
            runs.append(CliRun(f"evalkit --quiet validate --data {folder.name}", r.returncode, r.stdout,
                               r.stderr.replace(str(folder), folder.name)))
    return runs


# --- small cells -----------------------------------------------------------------------------------------------------

def suppression_example() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A fictional count table before and after :func:`evalkit.disclosure.suppress`."""
    tab = pd.DataFrame({
        "Option du contrat": ["tiers temps", "mi-temps", "temps plein"],
        "Médecins": [48, 23, 7],
        "Patients MT en moyenne": [1_212.4, 1_307.9, 1_455.0],
    })
    return tab, disclosure.suppress(tab, ["Médecins"], ["Patients MT en moyenne"])


def suppression_table() -> plots.Table:
    _, after = suppression_example()
    return plots.table(after, title="Une case sous le seuil est masquée, avec la moyenne qui en dépend",
                       champ="exemple fictif : médecins signataires par option du contrat",
                       source="exemple fictif construit pour ce guide ; masquage appliqué par "
                              "evalkit.disclosure.suppress", decimals={"Patients MT en moyenne": 1})


def results_suppression_example() -> pd.DataFrame:
    """Two fictional results rows, one on fewer than 11 units, through :func:`evalkit.results.suppress_small`."""
    rows = [results.make_row(study="assistants", outcome="patients_mt", estimator="cs_simple", estimate=v, ci_low=lo,
                             ci_high=hi, std_error=se, unit="patients", n_units=n, n_obs=4 * n, subgroup=sg,
                             data="user")
            for v, lo, hi, se, n, sg in [(131.0, 92.4, 169.6, 19.7, 48, "option=third"),
                                         (212.0, 40.1, 383.9, 87.7, 7, "option=full")]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the warning only repeats what the table shows
        return results.suppress_small(results.to_frame(rows))


def results_suppression_table() -> plots.Table:
    d = results_suppression_example()[["subgroup", "estimator", "estimate", "ci_low", "ci_high", "n_units"]]
    return TextTable(d, title=f"Une ligne de résultats sur moins de {disclosure.MIN_CELL} unités reste "
                     "visible mais vide", champ="exemple fictif : deux lignes d'estimates.csv",
                     source="exemple fictif construit pour ce guide ; masquage appliqué par "
                            "evalkit.results.suppress_small", decimals=1)


# --- run.json ---------------------------------------------------------------------------------------------------------

#: French description of every key of run.json (checked against evalkit.cli.run_manifest by the tests).
RUN_JSON_DESCRIPTIONS: dict[str, str] = {
    "evalkit_version": "version d'evalkit",
    "python": "version de Python",
    "dependencies": "versions des bibliothèques dont dépendent les calculs et le livre (pandas, numpy, diff-diff, "
                    "linearmodels, pandera…)",
    "data_dir": "dossier de données lu (chemin absolu)",
    "data": "nature des données : user, ou synthetic si le dossier porte le marqueur SYNTHETIC",
    "files": "pour chaque étude : nom du fichier, nombre de lignes, empreinte SHA-256 du fichier, avertissements de "
             "la validation",
    "seed": "graine passée par --seed ; null si l'option n'a pas été donnée (les chapitres utilisent alors la "
            "graine par défaut du livre)",
    "simulation": "pour des données synthétiques : paramètres de génération (graine, échelle, études) ; sinon null",
    "timings_seconds": "durée d'exécution de chaque chapitre et durée totale, en secondes",
    "estimates_rows": "nombre de lignes d'estimates.csv",
    "finished_utc": "date et heure de fin (temps universel)",
}


def example_run_manifest() -> dict:
    """The manifest ``evalkit run`` would write for a folder holding the example msp.csv (no chapter executed)."""
    from . import cli

    with tempfile.TemporaryDirectory(prefix="evalkit-guide-") as tmp:
        folder = Path(tmp)
        _write({"msp": example_table("msp")}, folder)
        return cli.run_manifest(folder, cli.validate_dir(folder, ["msp"]), "user", None, {"total": 0.0}, n_rows=0)


def run_json_table() -> TextTable:
    man = example_run_manifest()
    tab = pd.DataFrame({"Clé": list(man), "Contenu": [RUN_JSON_DESCRIPTIONS[k] for k in man]})
    return TextTable(tab, title="Le fichier run.json : ce qu'un calcul a utilisé",
                     champ="clés écrites par evalkit run", source=f"{SOURCE_CODE}, fonction run_manifest "
                     "(evalkit.cli), appelée sur un dossier d'exemple", name="run_json")


def fingerprint_example() -> str:
    """The SHA-256 fingerprint of the example msp.csv as written by pandas (shows what run.json records)."""
    from .io import sha256

    with tempfile.TemporaryDirectory(prefix="evalkit-guide-") as tmp:
        _write({"msp": example_table("msp")}, Path(tmp))
        return sha256(Path(tmp) / "msp.csv")


# --- texts glued into the prose -------------------------------------------------------------------------------------

def texts() -> dict[str, str]:
    """French texts and numbers the chapter glues into its prose (all read off evalkit)."""
    from . import cli
    from .claims import pipeline

    years = next(c for c in STUDIES["msp"].schema.columns["year"].checks if c.name == "in_range").statistics
    req = [t for t, (required, _cols, _what) in pipeline.TABLES.items() if required]
    opt = [t for t, (required, _cols, _what) in pipeline.TABLES.items() if not required]
    lists = [(pipeline.MSP_LIST, "--msp", "gp_id, entry_date", "les médecins membres d'une MSP et leur date "
              "d'entrée"),
             (pipeline.AM_LIST, "--assistants", "gp_id, start_date, option", "les contrats d'assistant médical, "
              "leur date de début et leur option"),
             (pipeline.ZONING, "--zoning", "commune, underserved, rurality", "le zonage des communes : zone "
              "sous-dotée et type de commune")]
    return {
        "guide_claims_tables": ", ".join(req) + (" et, s'il est fourni, " + ", ".join(opt) if opt else ""),
        "guide_gp_panel_cols": ", ".join(f"`{c}`" for c in pipeline.GP_PANEL_COLUMNS),
        "guide_claims_lists": " ; ".join(f"`{stem}.csv` ({what} ; colonnes {cols} ; à donner par `{o}`)"
                                         for stem, o, cols, what in lists),
        "guide_version": __version__,
        "guide_min_cell": str(disclosure.MIN_CELL),
        "guide_mark": f"« {disclosure.MARK} »",
        "guide_tag": f"`{results.SUPPRESSED_TAG}`",
        "guide_seed": str(paths.DEFAULT_SEED),
        "guide_exit_ok": str(cli.EXIT_OK),
        "guide_exit_fail": str(cli.EXIT_FAIL),
        "guide_exit_usage": str(cli.EXIT_USAGE),
        "guide_claims_note": "",  # evalkit claims is a command of every evalkit: nothing to add
        "guide_n_results_cols": str(len(RESULTS_SCHEMA.columns)),
        "guide_sha_example": f"`{fingerprint_example()[:16]}…`",
        "guide_year_min": str(int(years["min_value"])),
        "guide_year_max": str(int(years["max_value"])),
    }


#: broken inputs of ``evalkit claims``: (French label, file, column the message must name, what to write)
CLAIMS_BROKEN: list[tuple[str, str, str | None, dict[str, str]]] = [
    ("Une table du SNDS manque au dossier des prestations", "ER_PRS_F.parquet", None, {}),
    ("Une table du SNDS exportée sans une colonne", "ER_PRS_F.parquet", "PRS_NAT_REF", {"ER_PRS_F": ""}),
    ("Une date d'entrée en MSP illisible", "msp_membership.csv", "entry_date",
     {"msp_membership.csv": "gp_id,entry_date\n011000001,2019-03-01\n011000002,31/02/2019\n"}),
    ("Une option de contrat d'assistant médical inconnue", "assistants_contracts.csv", "option",
     {"assistants_contracts.csv": "gp_id,start_date,option\n011000001,2020-01-15,mi-temps\n"
                                  "011000002,2021-09-01,quart temps\n"}),
    ("Un code mal formé dans une liste de codes", "diabetes_v2.csv", "code", {"codes": "fundus,CCAM,BGQP02"}),
]


def claims_examples() -> list[Case]:
    """Each entry of :data:`CLAIMS_BROKEN` given to the claims pipeline, and its real message (the temporary folder
    is shown as ``prestations/``)."""
    from .claims import ClaimsError, build_tables, codelists, pipeline

    out = []
    for label, file, column, files in CLAIMS_BROKEN:
        with tempfile.TemporaryDirectory(prefix="evalkit-guide-") as tmp:
            d = Path(tmp) / "prestations"
            d.mkdir()
            tables = ["asalee"]
            codes = None
            for name, text in files.items():
                if name == "ER_PRS_F":  # every column read but the nature of the service
                    cols = [c for c in pipeline.TABLES["ER_PRS_F"][1] if c != column]
                    pd.DataFrame({c: pd.Series([], dtype="string") for c in cols}).to_parquet(d / "ER_PRS_F.parquet")
                elif name == "codes":
                    codes = [d / file, *codelists.default_files()[1:]]
                    (d / file).write_text(codelists.default_files()[0].read_text(encoding="utf-8")
                                          + text + ",x,y,true\n", encoding="utf-8")
                else:
                    (d / name).write_text(text, encoding="utf-8")
                    tables = [{"msp_membership.csv": "msp", "assistants_contracts.csv": "assistants"}[name]]
                    (d / "zoning.csv").write_text("commune,underserved,rurality\n01004,0,urban\n", encoding="utf-8")
            try:
                build_tables(d, tables=tables, codes=codes)
                msg = ""
            except ClaimsError as e:
                msg = str(e).replace(str(d), "prestations").replace(tmp, "")
        # the guide must not show a defect evalkit lets through, nor a message about something else
        if file not in msg or (column is not None and column not in msg):
            raise AssertionError(f"evalkit claims accepted the broken example {label!r} ({msg or 'no error'})")
        out.append(Case(label, "claims", file, column or "", msg))
    return out


def check_invariants() -> None:
    """What the chapter asserts before it is published: the guide shows what the code does."""
    for study, st in STUDIES.items():
        assert list(dictionary(study)["Colonne"]) == st.columns, study
        assert list(recipes(study)["Colonne"]) == st.columns, study
    assert list(results_dictionary()["Colonne"]) == list(RESULTS_SCHEMA.columns)
    for case in broken_examples():
        assert case.file in case.message and f"'{case.column}'" in case.message, case.label
    for case in claims_examples():
        assert case.file in case.message and "Pour corriger :" in case.message, case.label
        assert not case.column or case.column in case.message, case.label
        assert "/tmp" not in case.message and "evalkit-guide-" not in case.message, case.label
    kinds = [c.kind for c in balance_examples()]
    assert kinds == ["avertissement", "avertissement", "erreur"], kinds


def csv_excerpt(study: str, n_rows: int = 6) -> "Messages":
    """The first lines of the example ``<study>.csv`` exactly as written to disk."""
    d = example_table(study)
    unit = STUDIES[study].unit
    first, last = d[unit].iloc[0], d[unit].iloc[-1]  # a treated unit and a never-treated one
    half = n_rows // 2
    text = pd.concat([d[d[unit] == first].head(half), d[d[unit] == last].head(n_rows - half)]).to_csv(index=False)
    return Messages([("", text.rstrip())],
                    f"À quoi ressemble un fichier {study}.csv valide : l'en-tête et {n_rows} lignes de deux {unit}",
                    source="exemple fictif construit pour ce guide (evalkit.guide.example_table)")


# --- sizing a computation: time and memory measured by the benchmarks -------------------------------------------------

#: the benchmarks' compact results, committed under ``benchmarks/results/`` (written by ``benchmarks/run_bench.py`` and
#: ``benchmarks/claims_bench.py``); the guide reads them, it never types a measured number
BENCH_FILES = {"run": "run_bench.json", "claims": "claims_bench.json"}
#: how each engine of the claims benchmark is named in the guide
ENGINES_FR = {"duckdb": "DuckDB (embarqué, un processus)",
              "spark-cluster": "Spark, grappe autonome locale (spark://, master, worker et exécuteur séparés)",
              "spark": "Spark local (local[2], un seul processus Java)",
              "pandas": "pandas seul (table Asalée)"}
_ENGINE_SHORT = {"duckdb": "DuckDB", "spark-cluster": "Spark sur une grappe autonome", "spark": "Spark local",
                 "pandas": "pandas"}


def bench_results(which: str, folder: str | Path | None = None) -> dict | None:
    """The compact result of a benchmark (``which``: ``"run"`` or ``"claims"``) from ``folder`` (default
    ``<project>/benchmarks/results``), or None when it has not been run (file absent or unreadable)."""
    try:
        base = Path(folder) if folder is not None else paths.project_root() / "benchmarks" / "results"
        return json.loads((base / BENCH_FILES[which]).read_text(encoding="utf-8"))
    except (OSError, ValueError, FileNotFoundError):
        return None


def _duration_fr(seconds: float) -> str:
    """« 56 s », « 6,9 min » (from 2 minutes), « 2,4 h » (from 2 hours)."""
    if seconds < 120:
        return f"{fmt_int(seconds)}{NBSP}s"
    if seconds < 7200:
        return f"{fmt_num(seconds / 60, 1)}{NBSP}min"
    return f"{fmt_num(seconds / 3600, 1)}{NBSP}h"


def _gb_fr(gb: float) -> str:
    return f"{fmt_num(gb, 1)}{NBSP}Go"


def _date_fr(iso: str) -> str:
    try:
        return plots.date_fr(datetime.date.fromisoformat(str(iso)[:10]))
    except ValueError:
        return str(iso)


def _machine_fr(m: dict) -> str:
    ram = m.get("ram_gb", m.get("ram_gib"))
    cpu = str(m.get("cpu", "")).strip()
    return (f"une machine de {m.get('cores', '?')} cœurs et {fmt_num(ram, 0) if ram is not None else '?'} Go de mémoire "
            f"vive" + (f" ({cpu})" if cpu and cpu != "?" else ""))


def _millions_fr(n: float) -> str:
    """« 100 millions », « 10 millions », « 1 million » (rounded to the million below 10 M: one decimal)."""
    m = n / 1e6
    v = fmt_num(m, 0) if m >= 10 else fmt_smart(round(m, 1))
    return f"{v} million{'s' if round(m, 1) >= 2 else ''}"


def _shared_fr(load_mean: float, cores) -> str:
    """A clause when other jobs shared the machine: a load average above the cores plus one (a run that keeps every
    core busy shows a load of about the cores, plus its own main or sampling process)."""
    try:
        busy = float(load_mean) > float(cores) + 1
    except (TypeError, ValueError):
        return ""
    return (" ; d'autres calculs se partageaient alors la machine, si bien que les durées mesurées majorent celles "
            "d'une machine réservée") if busy else ""


def _bench_load(c: dict) -> tuple:
    """(mean load average, cores) of one measurement of the claims benchmark."""
    return c["load_avg"]["mean"], c["machine"].get("cores")


def _load_fr(c: dict) -> str:
    """« 2,1 pour 2 cœurs », and the clause of :func:`_shared_fr` when other jobs shared the machine."""
    return f"{fmt_num(_bench_load(c)[0], 1)} pour {c['machine'].get('cores', '?')} cœurs" + _shared_fr(*_bench_load(c))


def sizing(folder: str | Path | None = None) -> pd.DataFrame | None:
    """The measured time and memory of ``evalkit run`` at national size and of ``evalkit claims`` at each size
    benchmarked, one row per measurement, in French (read from the benchmarks' JSON; None when neither exists)."""
    run, claims = bench_results("run", folder), bench_results("claims", folder)
    rows = []
    if run:
        r = run["run"]
        files = " ; ".join(f"{s} {fmt_int(v['rows'])} lignes" for s, v in run.get("files", {}).items())
        rows.append({"Commande": "evalkit run",
                     "Données": ("trois fichiers à la taille nationale" if run.get("national_size")
                                 else f"trois fichiers, échelle {fmt_num(run['scale'], 1)}") + f" ({files})",
                     "Moteur": "pandas et diff-diff, un noyau Jupyter par chapitre",
                     "Durée": _duration_fr(r["seconds"]),
                     "Temps processeur": "—",
                     "Mémoire maximale": _gb_fr(r["peak_rss_mb_process_tree"] / 1024),
                     "Résultat contrôlé": "—",
                     "Mesure": f"{_date_fr(run['date'])}, charge moyenne {fmt_num(r['load_avg']['mean'], 1)}"})
    for c in (claims or {}).get("runs", []):
        ok = c.get("status") == "ok"
        checks = [same if c[key] else other for key, same, other in (
            ("equals_truth", "identique à la vérité du générateur", "différent de la vérité"),
            ("equals_duckdb", "identique octet pour octet à DuckDB", "différent de DuckDB"))
            if c.get(key) is not None]
        rows.append({"Commande": "evalkit claims (" + ", ".join(c.get("tables") or ["asalee"]) + ")",
                     "Données": f"{fmt_int(c['prs_lines'])} lignes de prestations (ER_PRS_F), "
                                f"{fmt_int(c['all_er_rows'])} lignes ER_* en tout",
                     "Moteur": ENGINES_FR.get(c["engine"], c["engine"]),
                     "Durée": _duration_fr(c["seconds"]) if ok else "non mesurée",
                     "Temps processeur": _duration_fr(c["cpu_seconds"]) if ok and c.get("cpu_seconds") else "—",
                     "Mémoire maximale": _gb_fr(c["peak_rss_gb"]) if ok else "—",
                     "Résultat contrôlé": " ; ".join(checks) if ok else "exécution non aboutie ou non lancée",
                     "Mesure": f"{_date_fr(c['date'])}, charge moyenne {fmt_num(c['load_avg']['mean'], 1)}"})
    return pd.DataFrame(rows) if rows else None


def sizing_table(folder: str | Path | None = None) -> TextTable | None:
    """:func:`sizing` as a book table (None when no benchmark has been run: the prose says so)."""
    df = sizing(folder)
    if df is None:
        return None
    run, claims = bench_results("run", folder), bench_results("claims", folder)
    machines = {_machine_fr(x["machine"]) for x in ([run] if run else []) + list((claims or {}).get("runs", []))}
    return TextTable(
        df, title="Durée et mémoire mesurées d'evalkit run et d'evalkit claims",
        champ="une exécution par ligne ; durée de bout en bout (démarrage de Python et de Spark compris) ; temps "
              "processeur : somme des temps des cœurs utilisés par le calcul, moins sensible que la durée aux autres "
              "travaux d'une machine partagée ; mémoire : pic de la mémoire résidente de tous les processus du "
              "calcul ; « charge moyenne » : charge du système pendant la mesure (au-delà du nombre de cœurs plus un, "
              "d'autres travaux se partageaient la machine)",
        source=f"bancs d'essai benchmarks/run_bench.py et benchmarks/claims_bench.py d'evalkit, sur "
               f"{' et '.join(sorted(machines))}, données simulées",
        name="dimensionnement")


def sizing_texts(folder: str | Path | None = None) -> dict[str, str]:
    """The glued sentences of the « Dimensionner un calcul » section, from the benchmarks' JSON; when a benchmark
    has not been run, its sentence says so (the book still builds)."""
    run, claims = bench_results("run", folder), bench_results("claims", folder)
    if run:
        r = run["run"]
        files = ", ".join(f"{fmt_int(v['rows'])} lignes pour {s}.csv" for s, v in run.get("files", {}).items())
        size = "à la taille nationale" if run.get("national_size") else f"à l'échelle {fmt_num(run['scale'], 1)}"
        chapters = run.get("chapters", {})
        slowest = max(chapters.items(), key=lambda kv: kv[1]["seconds"]) if chapters else None
        run_text = (f"Mesuré le {_date_fr(run['date'])} sur {_machine_fr(run['machine'])}, `evalkit run` a traité "
                    f"les trois fichiers {size} ({files}) en {_duration_fr(r['seconds'])}, validation et "
                    f"construction du livre comprises ; la mémoire résidente de l'ensemble de ses processus n'a pas "
                    f"dépassé {_gb_fr(r['peak_rss_mb_process_tree'] / 1024)}"
                    + (f", dont {_gb_fr(r['peak_rss_mb_largest_process'] / 1024)} pour le plus gros d'entre eux"
                       if r.get("peak_rss_mb_largest_process") else "")
                    + (f". Le chapitre le plus long, {slowest[0]}, a pris {_duration_fr(slowest[1]['seconds'])}"
                       if slowest else "")
                    + f". La charge moyenne du système pendant la mesure était de {fmt_num(r['load_avg']['mean'], 1)} "
                    f"pour {run['machine'].get('cores', '?')} cœurs"
                    + (" (les chapitres s'exécutent plusieurs à la fois : cette charge est d'abord la leur)"
                       if r.get("chapter_execution_seconds") is not None
                       else _shared_fr(r["load_avg"]["mean"], run["machine"].get("cores"))) + ".")
        panel = run.get("agreement_panel") or {}
        costs = [(registry.get(p), panel[p]) for p in registry.names() if p in panel and panel[p].get("seconds")]
        if costs:
            from .studies.agreement import LABELS_FR

            skipped = sorted({e for _, v in costs for e in v.get("skipped", [])},
                             key=lambda e: list(_agreement.ALL).index(e) if e in _agreement.ALL else 99)
            names = [{"dcdh": "de Chaisemartin-D'Haultfœuille"}.get(e, LABELS_FR[e].split(" (")[0])
                     for e in skipped if e in LABELS_FR]
            run_text += (" Le panneau de comparaison des estimateurs y a pris "
                         + fmt_list(f"{_duration_fr(v['seconds'])} pour le chapitre « {spec.label} »"
                                    for spec, v in costs)
                         + (f" ; à cette taille, {fmt_list(names)} n'y {'sont' if len(names) > 1 else 'est'} "
                            "pas calculé" + ("s" if len(names) > 1 else "")
                            + " (option `--full-panel` d'`evalkit run`)" if names else "") + ".")
    else:
        run_text = ("Le banc d'essai d'`evalkit run` (benchmarks/run_bench.py) n'a pas encore été exécuté pour cette "
                    "version : aucune mesure de durée ni de mémoire n'est donc donnée ici.")
    ok = [c for c in (claims or {}).get("runs", []) if c.get("status") == "ok"]
    if ok:
        duck = sorted((c for c in ok if c["engine"] == "duckdb"), key=lambda c: c["prs_lines"])
        parts = []
        if duck:
            big = duck[-1]
            parts.append(f"Mesuré le {_date_fr(big['date'])} sur {_machine_fr(big['machine'])}, `evalkit claims` a "
                         f"construit les tables {', '.join(big['tables'])} à partir de {fmt_int(big['prs_lines'])} "
                         f"lignes de prestations (ER_PRS_F ; {fmt_int(big['all_er_rows'])} lignes des tables ER_* en "
                         f"tout) en "
                         f"{_duration_fr(big['seconds'])} avec DuckDB"
                         + (f" (temps processeur : {_duration_fr(big['cpu_seconds'])})" if big.get("cpu_seconds")
                            else "")
                         + f", avec au plus {_gb_fr(big['peak_rss_gb'])} de mémoire résidente (charge moyenne du "
                         f"système {_load_fr(big)})"
                         + ("" if big.get("equals_truth") is None else
                            " ; les tables obtenues " + ("sont identiques, octet pour octet, aux" if big["equals_truth"]
                                                         else "diffèrent des")
                            + " tables attendues, que le générateur des données simulées connaît d'avance") + ".")
            if len(duck) >= 2:
                a, b = duck[-2], duck[-1]
                # time grows comparably only in CPU seconds, or in wall time when neither run shared the machine
                if a.get("cpu_seconds") and b.get("cpu_seconds"):
                    time_fr = f"le temps processeur a été multiplié par {fmt_num(b['cpu_seconds'] / a['cpu_seconds'], 1)}"
                elif not (_shared_fr(*_bench_load(a)) or _shared_fr(*_bench_load(b))):
                    time_fr = f"la durée a été multipliée par {fmt_num(b['seconds'] / a['seconds'], 1)}"
                else:
                    time_fr = ""
                parts.append(f"De {_millions_fr(a['prs_lines'])} à {_millions_fr(b['prs_lines'])} de lignes environ, "
                             + (f"{time_fr} et " if time_fr else "")
                             + f"la mémoire a été multipliée par {fmt_num(b['peak_rss_gb'] / a['peak_rss_gb'], 1)}, "
                             f"pour un volume multiplié par {fmt_num(b['prs_lines'] / a['prs_lines'], 1)}.")
        for eng in ("spark-cluster", "spark"):
            sp = sorted((c for c in ok if c["engine"] == eng), key=lambda c: c["prs_lines"])
            if sp:
                big = sp[-1]
                same = big.get("equals_duckdb")
                parts.append(f"Avec {_ENGINE_SHORT[eng]}" + (" (un master et un worker lancés sur la même machine, "
                             "le calcul passant par le réseau comme sur une grappe réelle)" if eng == "spark-cluster"
                             else "") + f", {_millions_fr(big['prs_lines'])} de lignes ont demandé "
                             f"{_duration_fr(big['seconds'])} et {_gb_fr(big['peak_rss_gb'])} (charge moyenne "
                             f"{_load_fr(big)})"
                             + ("" if same is None else (" ; les tables sont identiques octet pour octet à celles de "
                                                         "DuckDB" if same else " ; les tables diffèrent de celles "
                                                         "de DuckDB")) + ".")
                break
        claims_text = " ".join(parts)
    else:
        claims_text = ("Le banc d'essai d'`evalkit claims` (benchmarks/claims_bench.py) n'a pas encore été exécuté "
                       "pour cette version : aucune mesure de durée ni de mémoire n'est donc donnée ici.")
    return {"guide_sizing_run": run_text, "guide_sizing_claims": claims_text}


# --- display of messages ----------------------------------------------------------------------------------------------

class Messages:
    """Verbatim messages (errors, warnings, command output) with a French label each, as an HTML block."""

    def __init__(self, items: list[tuple[str, str]], title: str, source: str = SOURCE_EXAMPLE):
        self.items, self.title, self.source = items, title, source

    def _repr_html_(self) -> str:
        e = html.escape
        body = "".join(
            (f"<dt style='font-weight:600;margin-top:0.6em'>{e(label)}</dt>" if label else "")
            + f"<dd style='margin-left:0'><pre style='white-space:pre-wrap;word-break:break-word;font-size:0.82em;"
            f"margin:0.2em 0'>{e(text)}</pre></dd>"
            for label, text in self.items)
        return (f"<div class='ek-messages'><p class='ek-figtitle'><strong>{e(self.title)}</strong></p><dl>{body}</dl>"
                f"<p class='ek-caption'>Source : {e(self.source)}</p></div>")

    def _repr_mimebundle_(self, include=None, exclude=None):
        text = "\n\n".join(f"{label}\n{msg}".strip("\n") for label, msg in self.items)
        return {"text/html": self._repr_html_(), "text/plain": f"{self.title}\n\n{text}"}


def messages_block(cases: list[Case], title: str) -> Messages:
    return Messages([(c.label, c.message) for c in cases], title)


def cli_block(runs: list[CliRun], title: str) -> Messages:
    return Messages([(f"Code de sortie {r.exit_code}" + (" : données acceptées" if r.exit_code == 0 else
                                                        " : données refusées, rien n'est écrit"),
                      "$ " + r.command + "\n" + r.stdout + r.stderr.rstrip() + f"\n(code de sortie : {r.exit_code})")
                     for r in runs], title)


__all__ = [
    "BROKEN", "CLAIMS_BROKEN", "CLAIMS_USAGE", "CLI_OPTIONS_FR", "CODE_SYSTEM_COLUMNS", "Case", "CliRun", "Messages", "PATTERNS_FR",
    "ESTIMATOR_DESCRIPTIONS", "RESULTS_DESCRIPTIONS", "RULES_FR", "RUN_JSON_DESCRIPTIONS", "SNDS_RECIPES", "TextTable",
    "UNIT_DESCRIPTIONS", "balance_examples", "broken_examples", "check_invariants", "claims_examples", "cli_block",
    "cli_options", "cli_validate_examples", "codelist_summary", "codelist_table", "csv_excerpt", "dictionary",
    "dictionary_table", "example_run_manifest", "example_table", "files_table", "fingerprint_example",
    "messages_block", "options_table", "recipe_table", "recipes", "results_dictionary", "results_suppression_table",
    "estimators_table", "results_table", "suppression_table", "texts", "unbalanced_example", "units_table",
]

__all__ += ["BENCH_FILES", "ENGINES_FR", "bench_results", "sizing", "sizing_table", "sizing_texts"]
