"""France's time for people: moments are stored in UTC (``db.UTCDateTime``) and shown and
entered in Europe/Paris, winter and summer alike, with a label saying so. Dates (``date``
objects: a review, a designation's end) are calendar days and stay as they are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ccop_cases.clock import PARIS

LABEL = "heure de Paris"

# form -> (strftime pattern, labelled): a table whose column header carries the label
# uses an unlabelled form in its cells.
FORMS = {
    "datetime": ("%d/%m/%Y à %H:%M", True),
    "time": ("%H:%M", True),
    "date": ("%d/%m/%Y", False),
    "short": ("%d/%m/%Y %H:%M", False),
    "seconds": ("%d/%m/%Y %H:%M:%S", False),
}
SKIPPED = "Cette heure n’existe pas à Paris ce jour-là (passage à l’heure d’été : à 2 h il est 3 h). " \
          "Choisissez une autre heure."
REPEATED = "Cette heure existe deux fois à Paris ce jour-là (retour à l’heure d’hiver : après 3 h il est " \
           "de nouveau 2 h). Choisissez une autre heure."


def paris(moment: datetime | str, form: str = "datetime") -> str:
    """The Jinja filter ``paris``: an aware moment (or an ISO 8601 audit timestamp) in Paris
    time, e.g. « 28/03/2026 à 18:00 (heure de Paris) »; ``form`` is one of ``FORMS``."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        raise ValueError("a stored moment is aware (UTC); a naive one cannot be placed in Paris")
    pattern, labelled = FORMS[form]
    text = moment.astimezone(PARIS).strftime(pattern)
    return f"{text} ({LABEL})" if labelled else text


def paris_until(moment: datetime | str) -> str:
    """The Jinja filter ``paris_until``: the last Paris day before an exclusive end (an
    export « up to » midnight of the next day was made up to this day, included)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return paris(moment - timedelta(microseconds=1), "date")


def from_paris(local: datetime) -> datetime:
    """The UTC moment of a wall-clock time read in Paris (a naive ``datetime-local`` value).
    At the change of time, a time that never happens or happens twice is refused with a
    French message (``ValueError``) rather than guessed."""
    if local.tzinfo is not None:
        raise ValueError("expected a wall-clock (naive) time")
    earlier, later = local.replace(tzinfo=PARIS, fold=0), local.replace(tzinfo=PARIS, fold=1)
    if earlier.utcoffset() != later.utcoffset():
        round_trip = earlier.astimezone(UTC).astimezone(PARIS).replace(tzinfo=None)
        raise ValueError(SKIPPED if round_trip != local else REPEATED)
    return earlier.astimezone(UTC)
