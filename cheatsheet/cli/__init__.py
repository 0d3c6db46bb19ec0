"""The command line: thin click commands over the library (list, show, verify, export, check, build).

Each command parses its options, calls one library function and prints the result. A user's mistake
(an unknown id or family, a bad option) raises a :class:`click.ClickException` that prints one
``Error: ...`` line saying what was wrong, what was expected and how to fix it, never a traceback.

Exit codes: 0 success; 1 a rule failed (verification, PyTorch conformance, or the catalog does not
load); 2 bad usage or input.

This module only makes the ``main`` group and registers the commands; each command lives in a module of
its own (:mod:`.catalog`: list, show, export; :mod:`.verify`; :mod:`.check`; :mod:`.build`), and what they
share in :mod:`.common`. The command modules never import this one.
"""

from __future__ import annotations

import click

import cheatsheet
from cheatsheet.cli import build as _build
from cheatsheet.cli import catalog as _catalog
from cheatsheet.cli import check as _check
from cheatsheet.cli import verify as _verify
from cheatsheet.cli.common import EXIT_CODES, BadInput, CatalogGroup

# sympy and the catalog load only when a command needs them, so that --help and --version are quick.

__all__ = ["BadInput", "main"]


@click.group(
    cls=CatalogGroup,
    epilog="\b\nExamples:\n  cheatsheet list --family activation\n  cheatsheet show softplus\n"
    "  cheatsheet verify sigmoid relu --no-record --torch\n  cheatsheet export --format json -o build/rules.json\n\n"
    + EXIT_CODES,
)
@click.version_option(cheatsheet.__version__, "--version", "-V", prog_name="cheatsheet", message="%(prog)s %(version)s")
def main() -> None:
    """A machine-checked derivative reference for machine learning.

    Every rule's derivative, kink conventions and claims are verified (50-digit randomized identity
    testing and symbolic proof) and compared with PyTorch's autograd.
    """


main.add_command(_catalog.list_rules)
main.add_command(_catalog.show)
main.add_command(_catalog.export)
main.add_command(_verify.verify)
main.add_command(_check.check)
main.add_command(_build.build_command)
