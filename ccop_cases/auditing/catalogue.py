"""The closed catalogue of audit action codes, with the French meaning the oversight console shows,
and the French short label of each rule (R1–R23, docs/rules.md) and outcome an entry may carry.

An auditor refuses any action that is not declared here."""

from __future__ import annotations

# The closed catalogue of action codes (French meaning shown in the oversight console).
ACTIONS: dict[str, str] = {
    "login.password_accepted": "Connexion : mot de passe accepté",
    "login.succeeded": "Connexion réussie (second facteur accepté)",
    "login.refused": "Connexion refusée",
    "login.locked": "Identifiant bloqué après trop d’échecs",
    "session.ended": "Session terminée",
    "account.created": "Compte créé",
    "account.password_changed": "Mot de passe changé",
    "account.totp_enrolled": "Double authentification activée",
    "account.recovery_code_used": "Code de secours utilisé",
    "account.reauthenticated": "Code ressaisi pour un acte sensible",
    "account.unlocked": "Identifiant débloqué",
    "account.second_factor_reset": "Double authentification réinitialisée",
    "account.sessions_ended": "Sessions d’une personne terminées",
    "account.duty_granted": "Fonction de plateforme attribuée",
    "account.profile_changed": "Nom affiché, fonction, adresse électronique ou choix des rappels modifiés",
    "access.denied": "Accès refusé",
    "council.created": "Conseil (CLSPD/CISPD) créé",
    "group.created": "Groupe de travail créé",
    "group.act_recorded": "Acte de constitution enregistré",
    "group.status_changed": "État du groupe modifié (constitution, suspension, dissolution)",
    "text.adopted": "Nouvelle version de la charte ou du règlement intérieur",
    "charter.signed": "Charte signée",
    "rules.acknowledged": "Règlement intérieur pris en compte",
    "membership.designated": "Membre désigné",
    "membership.end_date_set": "Date de fin de désignation modifiée",
    "membership.suspended": "Participation suspendue",
    "membership.reinstated": "Suspension levée",
    "membership.excluded": "Membre exclu (R15)",
    "deployment.mode_changed": "Mode du déploiement modifié (R20)",
    "case.proposed": "Situation proposée",
    "case.viewed": "Situation consultée",
    "case.archive_read": "Situation clôturée consultée (avec motif)",
    "case.searched": "Recherche par nom et date de naissance (nombre de résultats seulement)",
    "case.listed": "Liste de situations consultée",
    "case.information_recorded": "Information de la famille ou dérogation enregistrée (R11)",
    "case.derogation_approved": "Dérogation à l’information approuvée",
    "case.followed": "Suivi commencé",
    "case.duplicate_merged": "Doublon possible : proposant désigné sur la situation existante, proposition effacée",
    "case.duplicate_declined": "Doublon possible : proposition non retenue",
    "case.participant_added": "Participant désigné pour la situation",
    "case.participant_removed": "Participant retiré de la situation",
    "case.action_added": "Action enregistrée",
    "case.decision_recorded": "Décision enregistrée",
    "case.closed": "Suivi clôturé",
    "case.archived": "Situation archivée",
    "case.purged": "Situation effacée (crypto-effacement)",
    "retention.run": "Passage de conservation",
    "reminder.sent": "Rappel envoyé par courriel (nombre d’éléments en attente seulement)",
    "reminder.failed": "Rappel non remis : adresse refusée par le serveur de courriel",
    "reminders.run": "Passage des rappels par courriel",
    "meeting.scheduled": "Séance programmée",
    "meeting.agenda_set": "Ordre du jour fixé",
    "meeting.attendance_recorded": "Présences enregistrées",
    "meeting.minutes_written": "Compte rendu enregistré",
    "meeting.minutes_refused": "Compte rendu refusé : il nommait une personne suivie (R14)",
    "record.unreadable": "Enregistrement illisible (intégrité)",
    "keys.rotated": "Rotation de la clé de chiffrement",
    "keys.version_retired": "Ancienne version de clé retirée",
    "audit.heartbeat": "Battement du journal",
    "audit.viewed": "Journal consulté",
    "audit.exported": "Journal exporté",
    "audit.pruned": "Contenu ancien du journal effacé (empreintes conservées)",
    "report.downloaded": "Rapport agrégé téléchargé (type, format et période ; groupe ou conseil)",
}

# What each rule refuses, in a few words: « Refusé — R4 : pas désigné pour cette situation ».
# Shown by the oversight console; the same words serve wherever a refusal names its rule.
RULES: dict[str, str] = {
    "R1": "groupe non constitué",
    "R2": "règlement intérieur non pris en compte",
    "R3": "charte en vigueur non signée",
    "R4": "pas désigné pour cette situation",
    "R5": "information non strictement nécessaire",
    "R6": "hors des finalités du groupe",
    "R7": "hors des séances du groupe de travail",
    "R8": "communication à un tiers",
    "R9": "doublon d’une situation déjà suivie",
    "R10": "situation clôturée ou effacée",
    "R11": "famille non encore informée",
    "R12": "droits des personnes suivies",
    "R13": "traçabilité des accès",
    "R14": "compte rendu nommant une personne suivie",
    "R15": "participation suspendue ou exclue",
    "R16": "bilan annuel de la charte",
    "R17": "réservé à une fonction de plateforme ou au président",
    "R18": "membres de droit et demandes judiciaires",
    "R19": "âge ou représentant légal",
    "R20": "déploiement sans analyse d’impact",
    "R21": "authentification forte requise",
    "R22": "autre groupe ou autre conseil",
    "R23": "hors du périmètre ou des finalités de la CCOP",
}

OUTCOMES: dict[str, str] = {"success": "Réussi", "denied": "Refusé", "error": "Erreur"}
ACTOR_ROLES: dict[str, str] = {"member": "Membre", "charter_admin": "Administrateur de la charte",
                               "dpo": "Délégué à la protection des données", "system": "Tâche",
                               "anonymous": "Anonyme"}


def outcome_label(outcome: str, rule: str | None) -> str:
    """« Refusé — R4 : pas désigné pour cette situation », « Réussi »: an entry's result in French."""
    text = OUTCOMES.get(outcome, outcome)
    if rule:
        text += f" — {rule} : {RULES[rule]}" if rule in RULES else f" — {rule}"
    return text
