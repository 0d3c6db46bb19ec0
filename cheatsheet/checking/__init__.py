"""Reading what users type and write: the safe grammar, `check` claims and rule files.

The grammar (text to sympy, never ``eval`` or ``sympify``): :mod:`.errors` (errors and limits, no sympy),
:mod:`.lexer` → :mod:`.parser` → :mod:`.lower`, with the vocabulary in :mod:`.functions`; :mod:`.parse` is the
entry (``parse``, ``parse_expression``, ``parse_constant``). :mod:`.numbers` reads numbers of every Python type,
:mod:`.domains` reads domains.

``check``: :mod:`.claim_inputs` reads its arguments, :mod:`.claim` verifies the claim, :mod:`.check_result`
words the verdict; :mod:`.forms` holds the expression forms it shares with rule files.

Rule files and plugins: :mod:`.rulefile` reads one file (its tables by :mod:`.rule_tables`, positions by
:mod:`.toml_positions`), :mod:`.plugins` loads installed catalogs, :mod:`.custom` verifies and loads them for
the build; every problem is a :class:`.problems.Problem`.

This package imports nothing on its own: each module is imported where it is needed.
"""
