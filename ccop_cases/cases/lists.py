"""Closed lists of a situation (RULES.md, "Closed lists"): codes stored, French labels shown.

Closed lists instead of narratives (R5, R9): no field here can carry a diagnosis, a
professional secret or a police or court file extract.
"""

from __future__ import annotations

from collections.abc import Mapping

PURPOSES = {
    "first_offence_prevention": "Prévention de la primo-délinquance (programme 1)",
    "recidivism_prevention": "Prévention de la récidive (programme 1)",
    "public_tranquillity": "Tranquillité publique (programme 3)",
    "judicial_request": "Demande judiciaire (exécution des peines, récidive)",
    "intrafamily_violence": "Violences intrafamiliales et aide aux victimes (programme 2, groupes thématiques)",
}
THEMATIC_ONLY_PURPOSES = {"intrafamily_violence"}

REFERRAL_ORIGINS = {
    "school": "Établissement scolaire", "police_nationale": "Police nationale", "gendarmerie": "Gendarmerie",
    "police_municipale": "Police municipale", "bailleur": "Bailleur", "transport": "Opérateur de transport",
    "mission_locale": "Mission locale", "departmental_social_service": "Service social départemental",
    "prevention_specialisee": "Prévention spécialisée", "pjj": "PJJ", "spip": "SPIP", "parquet": "Parquet",
    "family": "Famille", "young_person": "Le jeune lui-même", "association": "Association",
    "other_member": "Autre membre du groupe",
}

EXPOSURE_FACTORS = {
    "school_dropout": "Décrochage scolaire", "absenteeism": "Absentéisme",
    "school_exclusion": "Exclusion ou sanction scolaire", "out_of_school": "Mineur non scolarisé",
    "no_qualification": "Sortie du système scolaire sans qualification",
    "neet": "Ni en emploi ni en formation", "no_insertion_follow_up": "Sans suivi par un service d'insertion",
    "disruptive_group": "Appartenance à un groupe perturbateur",
    "incivilities": "Incivilités dans l'espace public", "damage": "Dégradations",
    "trafficking_suspected": "Implication supposée dans un trafic (strictement nécessaire)",
    "first_known_offence": "Premier fait connu", "judicial_measure": "Mesure judiciaire en cours",
    "leaving_detention": "Sortie de détention", "parenting_support": "Soutien à la parentalité souhaitable",
    "violence_exposure": "Exposition à des violences (programme 2 seulement)",
}
THEMATIC_ONLY_FACTORS = {"violence_exposure"}

SCHOOL_SITUATIONS = {
    "schooled": "Scolarisé", "schooled_irregular": "Scolarisé, assiduité irrégulière",
    "excluded": "Exclu temporairement ou définitivement", "not_schooled": "Non scolarisé",
    "apprenticeship": "En apprentissage", "training": "En formation", "employed": "En emploi",
    "job_seeker": "Demandeur d'emploi", "neet": "Sans emploi ni formation", "unknown": "Non connue",
}

# Action types, action outcomes and closing reasons are maintained by the charter administrator:
# they live in the database (``ccop_cases.plans.services.labels``), no longer here.

SEXES = {"F": "Féminin", "M": "Masculin", "X": "Autre ou non précisé"}

PARTICIPANT_REASONS = {
    "proposer": "A proposé la situation", "referent": "Référent de parcours",
    "school": "Suivi scolaire", "insertion": "Insertion et emploi", "prevention": "Prévention, tranquillité",
    "justice": "Suivi judiciaire", "housing": "Logement", "social": "Action sociale (sans secret partagé)",
    "removed_no_longer_needed": "Retiré : plus nécessaire",
    "removed_left_institution": "Retiré : a quitté ses fonctions",
}
REMOVAL_REASONS = {k: v for k, v in PARTICIPANT_REASONS.items() if k.startswith("removed_")}
ADD_REASONS = {k: v for k, v in PARTICIPANT_REASONS.items() if not k.startswith("removed_") and k != "proposer"}

INFORMED_WHO = {"young_person": "Le jeune", "representative_1": "Représentant légal 1",
                "representative_2": "Représentant légal 2"}
INFORMATION_MEANS = {"in_person": "Entretien", "letter": "Courrier", "phone": "Téléphone",
                     "meeting": "Réunion avec la famille"}
DEROGATION_REASONS = {
    "risk_to_young_person": "L'information exposerait le jeune à un risque",
    "unreachable": "Famille injoignable malgré plusieurs tentatives",
    "judicial_secrecy": "Secret de l'enquête ou de l'instruction signalé par le parquet",
}

DECISIONS = {"follow": "Suivi décidé", "add_action": "Action à engager", "review": "À revoir",
             "hand_over": "Relais de droit commun", "close": "Fin de suivi proposée"}
PERIMETER_OVERRIDES = {"moved_recently": "Installé hors périmètre récemment",
                       "incidents_in_perimeter": "Faits commis dans le périmètre",
                       "sibling_followed": "Fratrie suivie dans le périmètre"}
ARCHIVE_READ_REASONS = {"rights_request": "Demande d'exercice des droits (R12)",
                        "litigation": "Contentieux", "oversight": "Contrôle (CNIL, DPO)",
                        "handover_check": "Vérification d'un relais"}
STATES = {"proposed": "Proposée", "followed": "Suivie", "closed": "Clôturée", "archived": "Archivée",
          "purged": "Effacée"}
# The case lists: sort keys, and what waits to be done (the home's counts link to these filters).
SORTS = {"modification": "Dernière modification (la plus récente d’abord)", "reference": "Référence",
         "etat": "État (proposées, suivies, clôturées, archivées)",
         "reexamen": "Prochain réexamen (le plus proche d’abord)"}
TO_DO = {"reexamen": "Réexamen prévu aujourd’hui ou déjà passé",
         "action": "Action en cours arrivée à sa fin prévue ou au-delà",
         "information": "Proposition dont la famille reste à informer (R11)",
         "derogation": "Dérogation à l’information à approuver",
         "derogation_echue": "Dérogation dont la date de réexamen est passée",
         "doublon": "Doublon possible à rapprocher"}
# What only the coordonnateur is shown: derogations are theirs to approve, and a member is never
# told that their proposal matched another situation (R4, R9).
COORDINATION_TO_DO = frozenset({"derogation", "derogation_echue", "doublon"})
HISTORY_FIELDS = {"proposal": "Proposition", "information": "Information de la famille", "derogation": "Dérogation",
                  "state": "État", "action": "Action", "action_ended": "Fin d’action", "decision": "Décision",
                  "objective": "Objectif du groupe"}
NO_OBJECTIVE = "none"  # the history's value when a situation's objective is taken off
# A rectification (R12, GDPR art. 16): one history line per field corrected, coded
# « <person>.<field> » for an identity's field.
RECTIFIED_PEOPLE = {"young_person": "du jeune", "representative_1": "du représentant légal 1",
                    "representative_2": "du représentant légal 2"}
RECTIFIED_FIELDS = {"last_name": "Nom", "given_names": "Prénoms", "birth_date": "Date de naissance", "sex": "Sexe",
                    "address": "Adresse", "phone": "Téléphone", "email": "Courriel"}
HISTORY_FIELDS |= {f"{who}.{name}": f"Rectification — {label} {of}" for who, of in RECTIFIED_PEOPLE.items()
                   for name, label in RECTIFIED_FIELDS.items() if who == "young_person" or name not in
                   ("birth_date", "sex")}
HISTORY_FIELDS |= {"school_situation": "Rectification — Scolarité, emploi",
                   "exposure_factors": "Rectification — Facteurs d’exposition",
                   "note": "Rectification — Point d’attention"}


def label(code: str | None, maintained: Mapping[str, str] | None = None) -> str:
    """The French label of any code of these lists, or of ``maintained`` (the codes the
    history may hold from the database's lists: action types and outcomes, objectives); the code itself
    if unknown."""
    if code is None:
        return ""
    for table in (STATES, INFORMED_WHO, maintained or {}, DECISIONS, HISTORY_FIELDS):
        if code in table:
            return table[code]
    return code


def shown(field: str, value: str | None, maintained: Mapping[str, str] | None = None) -> str:
    """A history line's value as the page shows it: the label of a code, a date in French."""
    if value is None:
        return ""
    if field == "school_situation":
        return SCHOOL_SITUATIONS.get(value, value)
    if field == "exposure_factors":
        return ", ".join(EXPOSURE_FACTORS.get(code, code) for code in value.split(","))
    if field == "young_person.sex":
        return SEXES.get(value, value)
    if field == "young_person.birth_date":
        return "/".join(reversed(value.split("-")))
    if "." in field or field == "note":  # a corrected identity's field, or the note: the text itself
        return value
    return label(value, maintained)
