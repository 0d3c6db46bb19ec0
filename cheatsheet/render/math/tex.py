"""LaTeX as a small token tree: tokens, ``{...}`` groups, TeX's atom kinds, and where a line may break.

Both engines' rewrites (:mod:`cheatsheet.render.math.rewrite`) and the line breaking of
:func:`cheatsheet.render.math.svg.svg_within` work on this tree rather than on the text, so that a
formula that needs no change is given back byte for byte (:func:`unparse` of :func:`parse` is the
identity on balanced LaTeX). The tables say which tokens are relations, binary operators, openers and
so on, as far as TeX's spacing goes: that is all the rewrites need to know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["BraceGroup", "TypesetError", "break_points", "parse", "unparse"]


class TypesetError(ValueError):
    """A formula could not be typeset; the message names the engine and the formula's LaTeX.

    (Defined here, with the LaTeX both engines read, so that neither engine's module imports the other's.)
    """

    def __init__(self, engine: str, tex: str, reason: str) -> None:
        super().__init__(f"{engine} cannot typeset {tex!r}: {reason}")
        self.engine = engine
        self.tex = tex
        self.reason = reason


# ------------------------------------------------------------------------------ the tree
_TOKEN = re.compile(r"\\[A-Za-z]+\*?|\\.|\s+|.", re.DOTALL)


@dataclass
class BraceGroup:
    """A ``{...}`` group and the command (or ``^``/``_``) whose argument it is, with the argument's number."""

    items: list[Any]
    owner: str | None = None
    argn: int = 0


def parse(tex: str) -> list[Any]:
    """``tex`` as a list of tokens (str) and groups (:class:`BraceGroup`); raises ValueError on unbalanced braces."""
    stack: list[list[Any]] = [[]]
    owners: list[tuple[str | None, int]] = []
    for tok in _TOKEN.findall(tex):
        if tok == "{":
            owners.append(_owner(stack[-1]))
            stack.append([])
        elif tok == "}":
            if len(stack) == 1:
                raise ValueError("unbalanced '}'")
            items = stack.pop()
            owner, argn = owners.pop()
            stack[-1].append(BraceGroup(items, owner, argn))
        else:
            stack[-1].append(tok)
    if len(stack) != 1:
        raise ValueError("unbalanced '{'")
    return stack[0]


_TWO_ARGS = frozenset({r"\frac", r"\dfrac", r"\tfrac", r"\binom", r"\overset", r"\underset", r"\stackrel"})


def _owner(seq: list[Any]) -> tuple[str | None, int]:
    """Which command a group opened after ``seq`` belongs to, and as which argument (0-based)."""
    k = len(seq) - 1
    while k >= 0 and isinstance(seq[k], str) and seq[k].isspace():
        k -= 1
    if k < 0:
        return None, 0
    prev = seq[k]
    if isinstance(prev, str):
        return (prev, 0) if prev.startswith("\\") or prev in "^_" else (None, 0)
    # A group right after a group: the second argument of a two-argument command.
    if prev.owner in _TWO_ARGS and prev.argn == 0:
        return prev.owner, 1
    if prev.owner == r"\begin":  # \begin{array}{ll}
        return r"\begin", 1
    return None, 0


def unparse(items: list[Any]) -> str:
    """The LaTeX text of a token list (the inverse of :func:`parse`)."""
    out = []
    for it in items:
        if isinstance(it, BraceGroup):
            out.append("{" + unparse(it.items) + "}")
        else:
            out.append(it)
    return "".join(out)


def significant(items: list[Any], start: int, step: int) -> int:
    """Index of the next item from ``start`` in direction ``step`` that is not white space (or -1 / len)."""
    k = start
    while 0 <= k < len(items) and isinstance(items[k], str) and items[k].isspace():
        k += step
    return k


# ------------------------------------------------------------------------------ token classes
# TeX's atom types, as far as spacing goes.
FUNCTION_NAMES = frozenset(
    "\\" + name
    for name in (
        "arccos",
        "arcsin",
        "arctan",
        "arg",
        "cos",
        "cosh",
        "cot",
        "coth",
        "csc",
        "deg",
        "det",
        "dim",
        "exp",
        "gcd",
        "hom",
        "inf",
        "ker",
        "lg",
        "lim",
        "ln",
        "log",
        "max",
        "min",
        "Pr",
        "sec",
        "sin",
        "sinh",
        "sup",
        "tan",
        "tanh",
    )
)
#: Names that take limits below in display style (\max_{k}); with a subscript they are left alone.
LIMIT_NAMES = frozenset([r"\lim", r"\max", r"\min", r"\sup", r"\inf", r"\det", r"\gcd", r"\Pr"])
#: Large operators as characters (in MathML): never stretchy, limits below in display style.
LARGE_OPERATOR_CHARS = frozenset("∑∏∐⋃⋂⨁⨂⨀⨄⋁⋀∫∬∭∮")
BIG_OPERATORS = frozenset([r"\sum", r"\prod", r"\coprod", r"\bigcup", r"\bigcap", r"\bigoplus", r"\bigotimes"])
OPENERS = frozenset(["(", "[", r"\{", r"\langle", r"\lbrack", r"\lfloor", r"\lceil", r"\left", r"\bigl", r"\Bigl"])
RELATIONS = frozenset(
    [
        "=",
        "<",
        ">",
        r"\le",
        r"\leq",
        r"\ge",
        r"\geq",
        r"\ne",
        r"\neq",
        r"\approx",
        r"\equiv",
        r"\sim",
        r"\thicksim",
        r"\simeq",
        r"\to",
        r"\in",
        r"\notin",
        r"\subset",
        r"\subseteq",
        r"\propto",
        r"\mapsto",
        r"\coloneqq",
        ":",
    ]
)
_BINARIES = frozenset(
    ["+", "-", r"\pm", r"\mp", r"\cdot", r"\times", r"\circ", r"\ast", "*", "/", r"\odot", r"\otimes"]
)
_PUNCT = frozenset([",", ";", "&", r"\\"])
_SPACES = frozenset([r"\,", r"\:", r"\;", r"\!", r"\ ", r"\quad", r"\qquad", "~"])
CLOSERS = frozenset([")", "]", r"\}", r"\rangle", r"\rbrack", r"\rfloor", r"\rceil", r"\right", r"\bigr", r"\Bigr"])
#: Groups whose content is not math (left untouched).
VERBATIM_OWNERS = frozenset(
    [r"\text", r"\mathrm", r"\operatorname", r"\begin", r"\end", r"\textrm", r"\mbox", r"\operatorname*"]
)
_OPERATOR_NAME_OWNERS = (r"\operatorname", r"\operatorname*")
_TEXT_OWNERS = (r"\text", r"\mbox", r"\textrm")
#: What may precede a unary minus (and never a line break): nothing, an opener, an operator of any kind.
UNARY_CONTEXT = frozenset(["start", "open", "rel", "bin", "punct", "op", "text"])


def _script_base(items: list[Any], p: int) -> int:
    """If ``items[p]`` is the argument of ``^``/``_``, the index of the scripted base (else ``p``)."""
    q = p
    while True:
        op = significant(items, q - 1, -1)
        if op < 0 or items[op] not in ("^", "_"):
            return q
        q = significant(items, op - 1, -1)
        if q < 0:
            return p


def _token_kind(it: Any) -> str | None:
    """'rel', 'bin' or 'punct' for a relation, binary operator or punctuation token, else None."""
    for kind, table in (("rel", RELATIONS), ("bin", _BINARIES), ("punct", _PUNCT)):
        if it in table:
            return kind
    return None


def _group_kind(group: BraceGroup) -> str:
    """The kind of a group seen from after it: text, an environment's opening, an operator name, or ordinary."""
    if group.owner in _TEXT_OWNERS:
        return "text"
    if group.owner == r"\begin":
        return "open"
    if group.owner in _OPERATOR_NAME_OWNERS:
        return "op"
    return "ord"


def prev_kind(items: list[Any], k: int) -> str:
    """What precedes position ``k``: 'start', 'open', 'rel', 'bin', 'punct', 'op', 'space', 'text' or 'ord'."""
    p = significant(items, k - 1, -1)
    if p < 0:
        return "start"
    base = _script_base(items, p)
    if base != p:  # a scripted atom: \sum_{k} is an operator, x_{k} an ordinary symbol
        b = items[base]
        if isinstance(b, BraceGroup):
            return "op" if b.owner in _OPERATOR_NAME_OWNERS else "ord"
        return "op" if b in BIG_OPERATORS or b in FUNCTION_NAMES else "ord"
    it = items[p]
    if isinstance(it, BraceGroup):
        return _group_kind(it)
    before = significant(items, p - 1, -1)
    if it in OPENERS or (before >= 0 and items[before] in (r"\left", r"\bigl", r"\Bigl")):
        return "open"
    kind = _token_kind(it)
    if kind is not None:
        return kind
    if it in _SPACES:
        return "space"
    if it in BIG_OPERATORS or it in FUNCTION_NAMES:
        return "op"
    return "ord"


def next_kind(items: list[Any], k: int) -> str:
    """What follows position ``k`` (after any scripts): 'end', 'open', 'rel', 'bin', 'punct', 'close', 'space' or 'ord'."""
    n = significant(items, k, 1)
    if n >= len(items):
        return "end"
    it = items[n]
    if isinstance(it, BraceGroup):
        first = significant(it.items, 0, 1)
        if it.owner is None and first < len(it.items) and it.items[first] in OPENERS:
            return "open"
        return "ord"
    if it in OPENERS:
        return "open"
    kind = _token_kind(it)
    if kind is not None:
        return kind
    if it in CLOSERS:
        return "close"
    if it in _SPACES:
        return "space"
    return "ord"


def scripts_end(items: list[Any], k: int) -> int:
    """Index just past the ^/_ scripts that follow position ``k`` (``k`` itself if none)."""
    end = k
    while True:
        s = significant(items, end, 1)
        if s < len(items) and items[s] in ("^", "_"):
            a = significant(items, s + 1, 1)
            if a >= len(items):
                return end
            end = a + 1
            continue
        return end


# ------------------------------------------------------------------------------ line breaks
def break_points(tex: str) -> list[int]:
    """Where a line of ``tex`` may break: indices into its top-level token list (see :func:`parse`)
    of each relation and each binary ``+``/``-`` outside every group, bracket and environment (never
    the first token, never a unary minus)."""
    items = parse(tex)
    depth = 0
    out: list[int] = []
    for k, it in enumerate(items):
        if isinstance(it, BraceGroup):
            continue
        if it in OPENERS or it == r"\begin":
            depth += 1
        elif it in CLOSERS or it == r"\end":
            depth -= 1
        elif (
            depth == 0
            and (it in RELATIONS or it in ("+", "-"))
            and prev_kind(items, k) not in ("start", "open", "rel", "bin", "punct", "space")
        ):
            out.append(k)
    return out
