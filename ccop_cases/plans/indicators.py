"""The indicators an objective can be measured by: each is computed from the cases by
``ccop_cases.reports`` (never typed in), so the list is closed and lives in the code. An
indicator may take a parameter: a code of the maintained list it names."""

from __future__ import annotations

PROGRAMMES = {
    "P1": "Programme 1 — Jeunes exposés à la délinquance",
    "P2": "Programme 2 — Violences faites aux femmes, violences intrafamiliales, aide aux victimes",
    "P3": "Programme 3 — Tranquillité publique",
}

# code -> (label, the maintained list its parameter comes from, or None)
INDICATORS: dict[str, tuple[str, str | None]] = {
    "young_people_followed": ("Jeunes suivis pendant l’année", None),
    "young_people_with_action": ("Jeunes suivis ayant bénéficié d’une action du type indiqué", "action_type"),
    "actions_done": ("Actions réalisées (tous types)", None),
    "closed_with_reason": ("Situations clôturées pour le motif indiqué", "closing_reason"),
    "families_informed": ("Familles informées avant le début du suivi (R11)", None),
}
