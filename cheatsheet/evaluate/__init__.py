"""Evaluation of rules: definitions expanded, float64 and exact (mpmath) values, index and matrix notation."""
