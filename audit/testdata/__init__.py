"""Test vectors of the audit export verifier and their generator (see FORMAT.md §9)."""
