"""``cheatsheet check F CLAIM``: is CLAIM the derivative of F? (registered by :mod:`cheatsheet.cli`)

A thin command over :func:`cheatsheet.checking.claim.check`. It prints the verdict with its evidence and
exits 0 when the claim holds, 1 when it is false; text that cannot be read (a syntax error, an unknown
function, an expression over a limit, a verification past its time limit) is one ``Error:`` line that
names the column, with exit status 2, never a traceback.
"""

from __future__ import annotations

import json
from typing import Any

import click

__all__ = ["FalseClaim", "InputProblem", "as_click_error", "check"]


class InputProblem(click.ClickException):
    """Input that cannot be read or is over a limit: ``Error: <where>: <what>. <hint>``, exit status 2."""

    exit_code = 2


class FalseClaim(click.ClickException):
    """A claimed derivative that is false (e.g. in a custom rule file): exit status 1."""

    exit_code = 1


def as_click_error(exc: Exception) -> click.ClickException:
    """The click exception for a library error that carries an ``exit_code`` (InputError, CustomRuleError)."""
    code = int(getattr(exc, "exit_code", 2))
    err: click.ClickException = FalseClaim(str(exc)) if code == 1 else InputProblem(str(exc))
    err.exit_code = code
    return err


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name or not value.strip():
            raise InputProblem(f"{option} {item!r}: expected NAME=VALUE, as in {option} a=2")
        if name in out:
            raise InputProblem(f"{option} {name}: given twice ({out[name]!r} and {value!r})")
        out[name] = value.strip()
    return out


def _timeout(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """--timeout: a finite number of seconds in (0, 3600] (nan, inf, 1e308 or 0 is click's one-line usage error)."""
    from cheatsheet.timelimit import MAX_SECONDS, check_seconds

    try:
        return check_seconds(value, "--timeout")
    except ValueError:
        raise click.BadParameter(
            f"{value:g} is not a number of seconds more than 0 and at most {MAX_SECONDS:g}"
        ) from None


_GRAMMAR = """\b
Expressions: numbers (0.1 is exactly 1/10), variables, + - * / ^ (or **),
parentheses, |x|, pi, e, and the functions exp, log (ln), log2, log10, log1p,
expm1, sqrt, sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh,
atanh, erf, erfc, abs, sign, step, max, min, sigmoid (sigma), softplus, Phi,
phi, relu, elu, gelu, silu, mish, softsign, logsigmoid; where(cond, a, b) and
indicator(cond) with conditions such as x > 0, 0 < x <= 1, x > 0 and y < 1.
Multiplication is always written: 2*x."""

_EPILOG = (
    _GRAMMAR
    + """

\b
Examples:
  cheatsheet check "sigmoid(x)" "sigmoid(x)*(1 - sigmoid(x))"
  cheatsheet check "x/(1+|x|)" "1/(1+|x|)^2"
  cheatsheet check "x^a" "a*x^(a-1)" --wrt x --param a=1/3
  cheatsheet check "log(x - c)" "1/(x - c)" -p c=2 --domain "x=(2, inf)"
  cheatsheet check -- "-x^2" "-2*x"          # after --, a leading minus is not an option

\b
Exit codes:
  0  the claim holds (proved, or checked at every sample point)
  1  the claim is false (a counterexample is printed)
  2  the input cannot be read (syntax, unknown function, too large, too slow)"""
)


class _Command(click.Command):
    """Takes a leading minus as part of an expression (``-x^2``) but still catches a misspelt long
    option (``--wtr``) with a suggestion."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        known = [opt for p in self.params for opt in (*p.opts, *p.secondary_opts)] + list(
            self.get_help_option_names(ctx)
        )
        for arg in args:
            if arg == "--":
                break
            name = arg.split("=", 1)[0]
            if arg.startswith("--") and name not in known:
                raise click.NoSuchOption(name, possibilities=[o for o in known if o.startswith("--")], ctx=ctx)
        return super().parse_args(ctx, args)


@click.command(
    "check",
    cls=_Command,
    short_help="Check a claimed derivative: is CLAIM = dF/dx?",
    epilog=_EPILOG,
    context_settings={"ignore_unknown_options": True},
)
@click.argument("function", metavar="F")
@click.argument("claim", metavar="CLAIM")
@click.option("--wrt", metavar="VAR", help="The variable to differentiate by (default: F's only variable, or x).")
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Substitute an exact number for a symbol (repeatable): a=2, b=1/3, c=0.1, t=pi/4.",
)
@click.option(
    "--domain",
    "-d",
    "domains",
    multiple=True,
    metavar="VAR=SET",
    help="A variable's domain (repeatable): x=positive, x=negative, x=nonzero, x=(0,1), x=[-1,1). "
    "Default: inferred from F (log(x) gives x > 0).",
)
@click.option(
    "--timeout",
    type=float,
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    callback=_timeout,
    help="Time limit of the verification: a number of seconds, more than 0 and at most 3600.",
)
@click.option("--no-proof", is_flag=True, help="Only the numeric check, no symbolic proof attempt (faster).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format."
)
def check(
    function: str,
    claim: str,
    wrt: str | None,
    params: tuple[str, ...],
    domains: tuple[str, ...],
    timeout: float,
    no_proof: bool,
    fmt: str,
) -> None:
    """Check that CLAIM is the derivative of F.

    Prints TRUE (proved symbolically, or checked at every sample point with 60-digit arithmetic,
    with the points used) or FALSE with a counterexample (the point, the true derivative there and
    the claimed value) and the correct derivative as text and LaTeX. Nothing you type is ever run
    as code: F and CLAIM are read by the sheet's own small grammar.
    """
    from cheatsheet.checking.claim import check as run_check
    from cheatsheet.grammar.errors import InputError

    try:
        result = run_check(
            function,
            claim,
            wrt,
            params=_pairs(params, "--param"),
            domain=_pairs(domains, "--domain"),
            timeout=timeout,
            prove=not no_proof,
        )
    except InputError as exc:
        raise InputProblem(str(exc)) from exc
    if fmt == "json":
        payload: dict[str, Any] = result.to_dict()
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        click.echo(result.report())
    if not result.holds:
        click.get_current_context().exit(1)
