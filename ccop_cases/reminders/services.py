"""Daily reminders by e-mail that carry nothing (R8): how many items wait for a person, and a
message saying only that number, with a link to the home page.

What counts is read where the decision lets the person act: in each group where they may
exchange (the situations of their scope: those they are named on, or all of the group's
for the coordonnateur), reviews and actions due or overdue, and for whoever coordinates,
derogations to re-examine; where they may sign, the current texts they have not signed; in
either, a designation that ends within 30 days.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccop_cases.access import standing
from ccop_cases.access.policy import Scope, decide
from ccop_cases.accounts.models import Person, ReminderSent
from ccop_cases.cases import services as cases
from ccop_cases.cases.services import Filters
from ccop_cases.charter.models import Membership
from ccop_cases.charter.services import ENDING_NOTICE_DAYS
from ccop_cases.clock import day
from ccop_cases.settings import SmtpServer
from ccop_cases.work import Work

SUBJECT = "ccop-cases : des éléments vous attendent"
ENDING_WITHIN = timedelta(days=ENDING_NOTICE_DAYS)  # a designation ending this soon is an item (as on the home)


def recipients(db: Session, today: date) -> list[Person]:
    """Active, enrolled people who chose reminders and gave an address, not yet reminded ``today``."""
    reminded = select(ReminderSent.person_id).where(ReminderSent.person_id == Person.id,
                                                    ReminderSent.sent_on == today)
    return list(db.scalars(select(Person).where(
        Person.is_active, Person.totp_enrolled_at.is_not(None), Person.reminders, Person.email.is_not(None),
        Person.email != "", ~reminded.exists()).order_by(Person.id)))


def waiting(db: Session, person: Person, now: datetime) -> int:
    """How many items wait for ``person`` in all their groups, as the decision lets them act:
    reviews and actions due today or overdue, derogations to re-examine (coordonnateur), texts
    to sign, a designation ending soon. The situations are counted by the lists' own filters
    (``cases.services.count``), each of which the home links to."""
    base, today, total = standing.of_person(person), day(now), 0
    groups = db.scalars(select(Membership.group_id).where(Membership.person_id == person.id).distinct())
    for group_id in list(groups):
        st = standing.for_group(db, base, person, group_id)
        if st.membership is None:
            continue
        exchange = decide(st, "group.exchange", now)
        if exchange:
            named = None if exchange.scope is Scope.ALL else st.membership.id
            to_do = [Filters(to_do="reexamen"), Filters(to_do="action")]
            if decide(st, "group.coordinate", now):
                to_do.append(Filters(to_do="derogation_echue"))
            total += sum(cases.count(db, group_id, named, f, today) for f in to_do)
        elif decide(st, "group.sign", now):
            total += len(standing.pending_texts(db, db.get_one(Membership, st.membership.id)))
        else:
            continue
        end = st.membership.end_date
        if end is not None and today <= end <= today + ENDING_WITHIN:
            total += 1
    return total


def message(server: SmtpServer, base_url: str, to: str, count: int, now: datetime) -> EmailMessage:
    """The reminder: the number of items and a link to the home page, nothing else (R8)."""
    home = base_url.rstrip("/") + "/"
    mail = EmailMessage()
    mail["From"] = server.sender
    mail["To"] = to
    mail["Subject"] = SUBJECT
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = make_msgid(domain=urlsplit(home).hostname)
    items = "élément" if count == 1 else "éléments"
    mail.set_content(f"Vous avez {count} {items} en attente dans ccop-cases.\n\n{home}\n", cte="quoted-printable")
    return mail


def remind(work: Work, person: Person, count: int, send: Callable[[EmailMessage], None]) -> None:
    """Send ``person`` their reminder of the day and record it, in the caller's transaction.

    The day's row is written (and flushed) first: a second run at the same time waits for this
    transaction, then finds the reminder sent. If ``send`` raises, the row goes with the
    rolled-back transaction; once it returns, the caller commits."""
    server, now = work.settings.smtp, work.now()
    assert server is not None and person.email  # noqa: S101 - the caller checked both
    work.session.add(ReminderSent(person_id=person.id, sent_on=day(now), sent_at=now))
    work.session.flush()
    send(message(server, work.settings.base_url, person.email, count, now))
    work.audit.record("reminder.sent", "person", person.id, items=count)
