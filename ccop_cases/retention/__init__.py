"""Retention (R10, R19): archiving and crypto-shredding of situations, and its daily command."""
