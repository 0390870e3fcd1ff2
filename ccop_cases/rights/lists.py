"""The register's closed lists (codes stored, French labels shown) and the states a request
moves through. Codes are never personal: they are what the audit trail and the reports keep."""

from __future__ import annotations

from enum import StrEnum

# GDPR art. 15–21 (the processing rests on art. 6(1)(e); offence data, art. 10).
KINDS = {"access": "Accès (art. 15)", "rectification": "Rectification (art. 16)",
         "restriction": "Limitation du traitement (art. 18)", "objection": "Opposition (art. 21)",
         "erasure": "Effacement (art. 17)", "other": "Autre demande"}
CHANNELS = {"letter": "Courrier", "email": "Courriel", "desk": "Accueil (en personne)",
            "form": "Formulaire de la mairie", "other": "Autre"}
REQUESTERS = {"young": "La personne suivie elle-même", "representative": "Un représentant légal",
              "counsel": "Un avocat ou un mandataire"}
IDENTITY_CHECKS = {"id_document": "Copie d’une pièce d’identité", "family_record": "Livret de famille ou acte de "
                                                                                  "naissance",
                   "in_person": "Vérifiée en personne à l’accueil", "mandate": "Mandat et pièce du mandant",
                   "other": "Autre justificatif"}
EXTENSION_REASONS = {"complexity": "Complexité de la demande (art. 12(3))",
                     "number": "Nombre de demandes reçues (art. 12(3))"}
# What the DPO answered; each kind has its own answers (``ANSWERS_BY_KIND``).
ANSWERS = {"record_sent": "Dossier communiqué à la personne", "rectified": "Données rectifiées",
           "restricted": "Traitement limité", "erased": "Situation effacée",
           "objection_granted": "Opposition accueillie : situation effacée", "no_data": "Aucune donnée détenue",
           "answered": "Réponse apportée"}
ANSWERS_BY_KIND = {"access": ("record_sent", "no_data"), "rectification": ("rectified", "no_data"),
                   "restriction": ("restricted", "no_data"), "objection": ("objection_granted", "no_data"),
                   "erasure": ("erased", "no_data"), "other": ("answered", "no_data")}
# The answers that reach the situations linked to the request (none when no situation is held).
ERASING = {"erased": "rights_erasure", "objection_granted": "rights_objection"}  # answer -> purge reason
REFUSALS = {"identity_not_established": "Identité du demandeur non établie (art. 12(6))",
            "manifestly_unfounded": "Demande manifestement infondée ou excessive (art. 12(5))",
            "compelling_grounds": "Motifs légitimes et impérieux du traitement (art. 21(1))",
            "public_interest": "Mission d’intérêt public, prévention des infractions (art. 17(3)(b))",
            "legal_limitation": "Limitation prévue par la loi (art. 23, art. 52 loi Informatique et Libertés)",
            "not_entitled": "Le demandeur n’a pas qualité pour agir"}


class State(StrEnum):
    RECEIVED = "received"
    IDENTITY_CHECKED = "identity_checked"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


STATES: dict[str, str] = {State.RECEIVED: "Reçue", State.IDENTITY_CHECKED: "Identité vérifiée",
                          State.IN_PROGRESS: "En cours", State.ANSWERED: "Répondue", State.REFUSED: "Refusée",
                          State.WITHDRAWN: "Retirée"}
CLOSED_STATES = frozenset({State.ANSWERED, State.REFUSED, State.WITHDRAWN})
# The moves a request may make (from -> to).
TRANSITIONS: dict[State, frozenset[State]] = {
    State.RECEIVED: frozenset({State.IDENTITY_CHECKED, State.REFUSED, State.WITHDRAWN}),
    # Answered from here only « no data held » (``may_answer``): no situation was found to link.
    State.IDENTITY_CHECKED: frozenset({State.IN_PROGRESS, State.ANSWERED, State.REFUSED, State.WITHDRAWN}),
    State.IN_PROGRESS: frozenset({State.ANSWERED, State.REFUSED, State.WITHDRAWN}),
    State.ANSWERED: frozenset(),
    State.REFUSED: frozenset(),
    State.WITHDRAWN: frozenset(),
}


def can_move(state: str, to: State) -> bool:
    return to in TRANSITIONS[State(state)]


def is_open(state: str) -> bool:
    return state not in CLOSED_STATES


def is_instructed(state: str) -> bool:
    """Whether the request is past the identity check and not ended: its situations may be
    looked for and linked."""
    return state in (State.IDENTITY_CHECKED, State.IN_PROGRESS)


def may_answer(state: str, code: str) -> bool:
    """Whether a request in ``state`` may get the answer ``code``: once in progress (its
    situations linked), or « no data » as soon as the identity is checked."""
    return state == State.IN_PROGRESS or (code == "no_data" and state == State.IDENTITY_CHECKED)


def was_told(state: str) -> bool:
    """Whether the person got an answer: granted or refused (not withdrawn, not pending)."""
    return state in (State.ANSWERED, State.REFUSED)
