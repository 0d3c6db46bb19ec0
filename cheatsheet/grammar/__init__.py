"""The safe grammar: text a user typed to sympy, never through ``eval``, ``exec``, ``sympify`` or ``parse_expr``.

:mod:`.errors` (errors and limits, no sympy), :mod:`.lexer` → :mod:`.parser` → :mod:`.lower`, with the
vocabulary in :mod:`.functions`; :mod:`.parse` is the entry (``parse``, ``parse_expression``,
``parse_constant``). :mod:`.numbers` reads a number of any Python type a caller may pass (the one reader of
user values: the API, ``check`` and rule files all go through it), :mod:`.domains` reads domains.

A foundation: it depends only on :mod:`cheatsheet.names` and :mod:`cheatsheet.notation`, so that evaluation
and the rule model can read user values without depending on the later stages.

This package imports nothing on its own: each module is imported where it is needed.
"""
