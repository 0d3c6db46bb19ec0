r"""The LaTeX each engine is given: textbook LaTeX rewritten around the engine's quirks (FINDINGS §3).

One pass over the token tree of :mod:`cheatsheet.render.math.tex` serves both engines: operator names
followed by a parenthesis, unary minus spaced as binary, sums with limits below inside fractions,
``\sim``, comma spacing, ``\mathbb{1}``. A formula that needs none of it reaches the engine unchanged.
:func:`for_ziamath` and :func:`for_mathml` list every quirk, each checked by rendering it before and
after and looking at it. The pass is a list of handlers tried in order at each token (:data:`_HANDLERS`):
the first that recognises the token writes its replacement and says where to go on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from cheatsheet.render.math.tex import (
    BIG_OPERATORS,
    FUNCTION_NAMES,
    LIMIT_NAMES,
    UNARY_CONTEXT,
    VERBATIM_OWNERS,
    BraceGroup,
    next_kind,
    parse,
    prev_kind,
    scripts_end,
    significant,
    unparse,
)

__all__ = ["MATHML", "ZIAMATH", "for_mathml", "for_ziamath", "rewrite_tex"]

ZIAMATH = "ziamath"
MATHML = "mathml"


def for_ziamath(tex: str, display: bool = True) -> str:
    r"""Rewrite textbook LaTeX so that ziamath typesets it as TeX would (FINDINGS §3, checked by eye).

    - an operator name (``\tanh``, ``\ln``, ``\log_{2}``, ``\det``, ``\operatorname{erf}``, ``\max``
      without limits) becomes ``\text{...}``, with TeX's thin space ``\,`` after it when an ordinary
      symbol follows (``\sin x``, ``\log\det X``) and before it when one precedes (``2 \tanh x``),
      none before a parenthesis. ziamath pads multi-letter identifiers with spaces on both sides
      (``tanh (x)``), spaces ``\max`` even when ``\operatorname`` is used, and latex2mathml breaks
      ``\operatorname{expm1}`` into italic letters.
    - a unary minus (or plus) at the start of a group, after an opening delimiter, a relation, a
      binary operator, a comma, ``&``, ``\\``, ``\text{...}`` or a large operator becomes ``{-}``
      (ziamath spaces it as binary: ``( − x)``).
    - a large operator with limits (``\sum_{k}``, ``\max_{k}``) inside a fraction, in display
      style, becomes ``{\textstyle\sum_{k}}\,`` (ziamath puts limits below there, TeX beside; and
      ziamath drops the operator's thin space once the limits are beside). ``\sum\nolimits`` does
      not work in ziamath.
    - a comma outside scripts becomes ``{,}\,`` (ziamath puts a very thick space after commas).
    - ``\left`` right after an opening delimiter is wrapped in a group with its ``\right``
      (ziamath puts a space before a ``\left`` fence that has a left sibling: ``( (1 − y)``).
    - ``\sim`` becomes ``\thicksim`` (latex2mathml maps ``\sim`` to an ASCII tilde with no relation space).
    - ``\mathbb{1}`` becomes the character 𝟙 (ziamath prints a plain 1).
    - two fixes need the MathML (:func:`cheatsheet.render.math.svg.ziamath_mathml`): ``\hat`` (ziamath
      stretches it like ``\widehat``) and large operators made non-stretchy (ziamath stretches ``\sum``
      and the fences of ``\left(\sum_{k} x_{k}\right)`` against each other into a 2000 px tall picture).
    """
    return rewrite_tex(tex, ZIAMATH, display)[0]


def for_mathml(tex: str, display: bool = False) -> str:
    r"""Rewrite textbook LaTeX for latex2mathml and Chromium's MathML Core (FINDINGS §3, checked by eye).

    - operator names become ``\text{...}`` (turned into ``<mi>`` afterwards) with TeX's thin spaces,
      as for ziamath: latex2mathml makes ``\operatorname{softplus}`` and ``\max`` an ``<mo>``, which
      Chromium spaces like a binary operator (``softplus (x)``), and ``\sin x`` runs together.
    - a unary minus becomes ``{-}`` (made unspaced in the MathML: Chromium spaces ``( − x)``).
    - ``\sim`` becomes ``\thicksim``; ``\mathbb{1}`` becomes 𝟙 (latex2mathml gives a plain 1).
    - ``\left( ... \right)`` around flat content becomes plain ``(...)``: Chromium stretches the fences
      to the next larger size, whose wide side bearings read as a gap (``p_{i}( δ_{ij} − p_{j})``).
    - fixed in the MathML (:func:`cheatsheet.render.math.mathml.mathml`): primes (``f^{\prime}``,
      ``f'``) follow the base instead of being a superscript (Chromium draws them like an acute
      accent); in display style, limits of ``\sum``/``\max`` go below (latex2mathml writes ``msub``,
      which Chromium always sets beside).
    """
    return rewrite_tex(tex, MATHML, display)[0]


def rewrite_tex(tex: str, engine: str, display: bool) -> tuple[str, frozenset[str]]:
    """The shared rewriting pass: the new LaTeX and the operator names it turned into ``\\text{...}``."""
    names: set[str] = set()
    items = _rewrite(parse(tex), _Context(engine, display, names))
    return unparse(items), frozenset(names)


@dataclass(frozen=True, eq=False)
class _Context:
    """Where the pass is: for which engine, in which style, inside a fraction or a script; ``names``
    collects the operator names turned into text (the MathML fixes make them ``<mi>``)."""

    engine: str
    display: bool
    names: set[str] = field(default_factory=set)
    in_frac: bool = False
    in_script: bool = False

    def inside(self, *, frac: bool = False, script: bool = False) -> _Context:
        """The context inside a fraction's (``frac``) or a script's (``script``) argument."""
        return replace(self, in_frac=self.in_frac or frac, in_script=self.in_script or script)

    @property
    def limits_beside(self) -> bool:
        """Whether a large operator's limits must be set beside (ziamath, display style, in a fraction's
        argument, outside scripts: TeX puts them beside there, ziamath below)."""
        return self.engine == ZIAMATH and self.display and self.in_frac and not self.in_script


def _rewrite(items: list[Any], ctx: _Context) -> list[Any]:
    """``items`` rewritten: at each position the first handler that recognises it writes to ``out``."""
    out: list[Any] = []
    k = 0
    while k < len(items):
        for handler in _HANDLERS:
            after = handler(items, k, out, ctx)
            if after is not None:
                k = after
                break
        else:
            out.append(items[k])
            k += 1
    return out


def _sub(group: BraceGroup, ctx: _Context, *, frac: bool = False, script: bool = False) -> BraceGroup:
    """A group with its content rewritten (inside a fraction's or a script's argument when so)."""
    return BraceGroup(_rewrite(group.items, ctx.inside(frac=frac, script=script)), group.owner, group.argn)


def _scripted(chunk: list[Any], ctx: _Context) -> list[Any]:
    """An operator and its scripts, the scripts' groups rewritten as scripts."""
    return [_sub(s, ctx, script=True) if isinstance(s, BraceGroup) else s for s in chunk]


def _thin_space_after(items: list[Any], end: int, out: list[Any]) -> None:
    """TeX's thin space after an operator when an ordinary symbol follows it (``\\sin x``)."""
    if next_kind(items, end) == "ord":
        out.append(r"\,")


# ------------------------------------------------------------------------------ the handlers
_Handler = Callable[[list[Any], int, list[Any], _Context], int | None]


def _group(items: list[Any], k: int, out: list[Any], ctx: _Context) -> int | None:
    """A ``{...}`` group: its content rewritten, unless it is text."""
    it = items[k]
    if not isinstance(it, BraceGroup):
        return None
    if it.owner in VERBATIM_OWNERS:
        out.append(it)
    else:
        out.append(_sub(it, ctx, frac=it.owner in (r"\frac", r"\dfrac", r"\tfrac"), script=it.owner in ("^", "_")))
    return k + 1


def _blackboard_one(items: list[Any], k: int, out: list[Any], ctx: _Context) -> int | None:
    r"""``\mathbb{1}`` -> 𝟙."""
    if items[k] != r"\mathbb":
        return None
    a = significant(items, k + 1, 1)
    if a < len(items) and isinstance(items[a], BraceGroup) and unparse(items[a].items).strip() == "1":
        out.append("𝟙")
        return a + 1
    return None


def _sim(items: list[Any], k: int, out: list[Any], ctx: _Context) -> int | None:
    r"""``\sim`` -> ``\thicksim`` (a relation, spaced as one)."""
    if items[k] != r"\sim":
        return None
    out.append(r"\thicksim")
    return k + 1


def _operator_name(items: list[Any], k: int) -> tuple[str, int] | None:
    r"""The operator name at ``k`` (``\tanh``, ``\operatorname{erf}``) and the index just past it, or None."""
    it = items[k]
    if it in FUNCTION_NAMES:
        return it[1:], k + 1
    if it in (r"\operatorname", r"\operatorname*"):
        a = significant(items, k + 1, 1)
        if a < len(items) and isinstance(items[a], BraceGroup):
            return unparse(items[a].items).strip(), a + 1
    return None


def _operator(items: list[Any], k: int, out: list[Any], ctx: _Context) -> int | None:
    """An operator name: upright text with TeX's thin spaces, or left alone when it takes limits."""
    found = _operator_name(items, k)
    if found is None:
        return None
    name, name_end = found
    end = scripts_end(items, name_end)
    has_sub = any(items[x] == "_" for x in range(name_end, end) if isinstance(items[x], str))
    if items[k] in LIMIT_NAMES and has_sub:
        # \max_{k} x_{k}: an operator with limits; inside a fraction TeX puts them beside.
        chunk = _scripted(items[k:end], ctx)
        if ctx.limits_beside:
            out.append(BraceGroup([r"\textstyle ", *chunk]))
            _thin_space_after(items, end, out)
        else:
            out.extend(chunk)
        return end
    if prev_kind(items, k) == "ord":
        out.append(r"\,")
    ctx.names.add(name)
    out.append(r"\text")
    out.append(BraceGroup([name], r"\text"))
    out.extend(_scripted(items[name_end:end], ctx))
    _thin_space_after(items, end, out)
    return end


def _big_operator(items: list[Any], k: int, out: list[Any], ctx: _Context) -> int | None:
    """A large operator with limits inside a fraction (ziamath, display style): limits beside, as in TeX."""
    if items[k] not in BIG_OPERATORS or not ctx.limits_beside:
        return None
    end = scripts_end(items, k + 1)
    out.append(BraceGroup([r"\textstyle ", *_scripted(items[k:end], ctx)]))
    _thin_space_after(items, end, out)  # TeX's thin space after an operator (ziamath drops it beside limits)
    return end


def _unary_sign(items: list[Any], k: int, out: list[Any], ctx: _Context) -> int | None:
    """A unary minus or plus: braced, so that neither engine spaces it as a binary operator."""
    if items[k] not in ("-", "+") or prev_kind(items, k) not in UNARY_CONTEXT:
        return None
    out.append(BraceGroup([items[k]]))
    return k + 1


def _comma(items: list[Any], k: int, out: list[Any], ctx: _Context) -> int | None:
    """A comma outside scripts (ziamath): TeX's thin space after punctuation instead of a very thick one."""
    if items[k] != "," or ctx.engine != ZIAMATH or ctx.in_script:
        return None
    out.append(BraceGroup([","]))
    out.append(r"\,")
    return significant(items, k + 1, 1)  # the white space after the comma is dropped


def _plain_fences_for_mathml(items: list[Any], k: int, out: list[Any], ctx: _Context) -> int | None:
    r"""MathML: ``\left( ... \right)`` around flat content becomes plain ``(...)``: Chromium stretches the
    fences to the next larger size (TeX allows a delimiter slightly shorter than its content), whose wide
    side bearings read as a gap: ``p_{i}( δ_{ij} − p_{j})``."""
    if items[k] != r"\left" or ctx.engine != MATHML:
        return None
    right = _matching_right(items, k)
    plain = _plain_fences(items, k, right) if right is not None else None
    if plain is None or right is None:
        return None
    opener, inner, closer = plain
    out.append(BraceGroup([opener, *_rewrite(inner, ctx), closer]))
    return right


def _grouped_left_for_ziamath(items: list[Any], k: int, out: list[Any], ctx: _Context) -> int | None:
    r"""ziamath: ``\left`` right after an opening delimiter is grouped with its ``\right``, so that ziamath
    adds no space before it."""
    if items[k] != r"\left" or ctx.engine != ZIAMATH or prev_kind(items, k) != "open":
        return None
    right = _matching_right(items, k)
    if right is None:
        return None
    out.append(BraceGroup(_rewrite(items[k:right], ctx)))
    return right


#: Tried in this order at each token; a token no handler takes is copied as it is.
_HANDLERS: tuple[_Handler, ...] = (
    _group,
    _blackboard_one,
    _sim,
    _operator,
    _big_operator,
    _unary_sign,
    _comma,
    _plain_fences_for_mathml,
    _grouped_left_for_ziamath,
)


# ------------------------------------------------------------------------------ fences
_PLAIN_FENCES = {"(": ")", "[": "]", "|": "|", r"\|": r"\|", r"\{": r"\}"}
_TALL_TOKENS = frozenset(
    [
        r"\frac",
        r"\dfrac",
        r"\tfrac",
        r"\binom",
        r"\sum",
        r"\prod",
        r"\coprod",
        r"\int",
        r"\begin",
        r"\sqrt",
        r"\left",
        r"\substack",
        r"\overset",
        r"\underset",
    ]
)


def _plain_fences(items: list[Any], k: int, end: int) -> tuple[str, list[Any], str] | None:
    r"""For ``\left X ... \right Y`` spanning ``items[k:end]`` with flat content: (X, content, Y), else None."""
    o = significant(items, k + 1, 1)
    r = end - 1
    rr = significant(items, r - 1, -1)
    if o >= len(items) or rr < 0 or items[rr] != r"\right" or not isinstance(items[o], str):
        return None
    opener, closer = items[o], items[r]
    if _PLAIN_FENCES.get(opener) != closer:
        return None
    inner = items[o + 1 : rr]
    if _has_tall(inner):
        return None
    return opener, inner, closer


def _has_tall(items: list[Any]) -> bool:
    """Whether anything taller than a line (a fraction, a sum, an environment...) lies in ``items``."""
    return any(_has_tall(it.items) if isinstance(it, BraceGroup) else it in _TALL_TOKENS for it in items)


def _matching_right(items: list[Any], k: int) -> int | None:
    """Index just past the delimiter of the ``\\right`` that closes the ``\\left`` at ``k`` (None if unbalanced)."""
    depth = 0
    for x in range(k, len(items)):
        if items[x] == r"\left":
            depth += 1
        elif items[x] == r"\right":
            depth -= 1
            if depth == 0:
                d = significant(items, x + 1, 1)
                return d + 1 if d < len(items) else None
    return None
