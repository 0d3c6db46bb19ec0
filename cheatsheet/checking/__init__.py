"""Checking what users claim and write: `check` claims, rule files and plugin catalogs, read with the safe
grammar of :mod:`cheatsheet.grammar` and verified by :mod:`cheatsheet.verifier`.

``check``: :mod:`.claim_inputs` reads its arguments, :mod:`.claim` verifies the claim, :mod:`.check_result`
words the verdict; :mod:`.forms` holds the expression forms it shares with rule files.

Rule files and plugins: :mod:`.rulefile` reads one file (its tables by :mod:`.rule_tables`, positions by
:mod:`.toml_positions`), :mod:`.plugins` loads installed catalogs, :mod:`.custom` verifies and loads them for
the build; every problem is a :class:`.problems.Problem`.

This package imports nothing on its own: each module is imported where it is needed.
"""
