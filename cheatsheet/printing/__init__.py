"""Printers of sympy expressions: textbook LaTeX, Unicode text and the grammar's own syntax."""
