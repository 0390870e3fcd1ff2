"""Reminders by e-mail that carry nothing (R8): a count of items waiting and a link, daily."""
