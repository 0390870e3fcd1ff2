"""Aggregate reports that leave the group: small cells suppressed (issue 15)."""
