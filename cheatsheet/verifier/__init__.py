"""Verification of the catalog: verdicts with evidence."""
