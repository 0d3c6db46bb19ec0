"""Math typesetting: the one place that knows the typesetting engines and their quirks.

Both renderers start from the textbook LaTeX of :func:`cheatsheet.printing.latex.latex`:

- :func:`svg` typesets it with ziamath and the bundled TeX Gyre Termes Math font into a small SVG
  picture for the PDF (WeasyPrint renders no MathML). The picture's baseline is at y = 0 of its
  viewBox, so the caller aligns it with ``vertical-align: -{depth}px``.
- :func:`mathml` converts it with latex2mathml into MathML Core for the HTML page (Chromium renders it
  with the bundled math font).

Each engine gets the LaTeX through one rewriting function (:func:`_for_ziamath`, :func:`_for_mathml`;
their docstrings list every quirk, each checked by rendering it before and after and looking at it)
that works around what the engine gets wrong (FINDINGS §3): operator names followed by a parenthesis,
unary minus spaced as binary, sums with limits below inside fractions, ``\\sim``, comma spacing,
``\\mathbb{1}``. The rewrites work on a small LaTeX token tree, so a formula that needs none reaches
the engine unchanged; the few quirks that LaTeX cannot express (``\\hat``, stretchy sums, primes in
Chromium) are fixed in the MathML right after latex2mathml, in :func:`_ziamath_mathml` and
:func:`_fix_mathml`.

Speed: ziamath draws each glyph as a ``<symbol>`` and a ``<use>``; WeasyPrint spends most of a page's
time on these nodes (FINDINGS §4). :func:`svg` therefore flattens each formula into one ``<path>`` of
glyph outlines (and one of rules): the same picture, 2.0x faster to render, at the cost of a 3x larger
PDF; ``draw="glyphs"`` is the compromise (1.7x faster, PDF as small). See :func:`svg`.

Output is deterministic: the same LaTeX gives the same bytes in every process (no counters, no
clock, no random ids; ids are derived from the caller's prefix).
"""

from __future__ import annotations

import base64
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, Literal

__all__ = ["SvgMath", "TypesetError", "break_points", "mathml", "svg", "svg_within"]

#: Default size of formulas: 8.5 pt in CSS px.
DEFAULT_SIZE_PX = 8.5 * 96 / 72
MATH_FONT = "texgyretermes-math.otf"


class TypesetError(ValueError):
    """A formula could not be typeset; the message names the engine and the formula's LaTeX."""

    def __init__(self, engine: str, tex: str, reason: str) -> None:
        super().__init__(f"{engine} cannot typeset {tex!r}: {reason}")
        self.engine = engine
        self.tex = tex
        self.reason = reason


@dataclass(frozen=True)
class SvgMath:
    """A typeset formula: the SVG text and its box in CSS px.

    ``width`` and ``height`` are the picture's size; ``depth`` is how far it reaches below the
    baseline (the caller writes ``vertical-align: -{depth}px``); ``height - depth`` lies above it.
    ``tex`` is the LaTeX that was typeset (for a searchable text layer).
    """

    svg: str
    width: float
    height: float
    depth: float
    tex: str = field(default="", compare=False)

    @property
    def ascent(self) -> float:
        """Height above the baseline."""
        return self.height - self.depth

    @property
    def data_uri(self) -> str:
        """The SVG as a ``data:image/svg+xml;base64,...`` URI (for an ``<img src>``)."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode("utf-8")).decode("ascii")

    def html(self, *, cls: str = "math") -> str:
        """The inline ``<svg>`` element, baseline-aligned with ``vertical-align``, hidden from screen readers.

        (The caller puts the TeX source next to it as text for search and accessibility.)
        """
        from html import escape

        style = f"vertical-align:{_num(-self.depth)}px"
        return self.svg.replace("<svg ", f'<svg class="{escape(cls)}" style="{style}" aria-hidden="true" ', 1)

    def img(self, *, alt: str | None = None, cls: str = "math") -> str:
        """An ``<img>`` with the SVG as a data URI, sized and baseline-aligned (``alt`` defaults to the LaTeX).

        In WeasyPrint this is no faster than the inline :meth:`html` for a flattened formula (same CPU
        time on a 4-page sheet); for ziamath's own SVG (``draw="symbols"``) it is 1.4x faster.
        """
        from html import escape

        text = self.tex if alt is None else alt
        return (
            f'<img class="{escape(cls)}" src="{self.data_uri}" alt="{escape(text)}" '
            f'width="{_num(self.width)}" height="{_num(self.height)}" '
            f'style="vertical-align:{_num(-self.depth)}px">'
        )


# =============================================================================== LaTeX token tree
_TOKEN = re.compile(r"\\[A-Za-z]+\*?|\\.|\s+|.", re.DOTALL)


@dataclass
class _Group:
    """A ``{...}`` group and the command (or ``^``/``_``) whose argument it is, with the argument's number."""

    items: list[Any]
    owner: str | None = None
    argn: int = 0


def _parse(tex: str) -> list[Any]:
    """``tex`` as a list of tokens (str) and groups (:class:`_Group`); raises ValueError on unbalanced braces."""
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
            stack[-1].append(_Group(items, owner, argn))
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


def _unparse(items: list[Any]) -> str:
    out = []
    for it in items:
        if isinstance(it, _Group):
            out.append("{" + _unparse(it.items) + "}")
        else:
            out.append(it)
    return "".join(out)


def _significant(items: list[Any], start: int, step: int) -> int:
    """Index of the next item from ``start`` in direction ``step`` that is not white space (or -1 / len)."""
    k = start
    while 0 <= k < len(items) and isinstance(items[k], str) and items[k].isspace():
        k += step
    return k


# Token classes (TeX's atom types, as far as spacing goes).
_FUNCTION_NAMES = frozenset(
    "\\" + name
    for name in (
        "arccos", "arcsin", "arctan", "arg", "cos", "cosh", "cot", "coth", "csc", "deg", "det", "dim", "exp",
        "gcd", "hom", "inf", "ker", "lg", "lim", "ln", "log", "max", "min", "Pr", "sec", "sin", "sinh", "sup",
        "tan", "tanh",
    )
)
#: Names that take limits below in display style (\max_{k}); with a subscript they are left alone.
_LIMIT_NAMES = frozenset([r"\lim", r"\max", r"\min", r"\sup", r"\inf", r"\det", r"\gcd", r"\Pr"])
_BIG_OPERATORS = frozenset([r"\sum", r"\prod", r"\coprod", r"\bigcup", r"\bigcap", r"\bigoplus", r"\bigotimes"])
_OPENERS = frozenset(["(", "[", r"\{", r"\langle", r"\lbrack", r"\lfloor", r"\lceil", r"\left", r"\bigl", r"\Bigl"])
_RELATIONS = frozenset(
    ["=", "<", ">", r"\le", r"\leq", r"\ge", r"\geq", r"\ne", r"\neq", r"\approx", r"\equiv", r"\sim", r"\thicksim",
     r"\simeq", r"\to", r"\in", r"\notin", r"\subset", r"\subseteq", r"\propto", r"\mapsto", r"\coloneqq", ":"]
)
_BINARIES = frozenset(["+", "-", r"\pm", r"\mp", r"\cdot", r"\times", r"\circ", r"\ast", "*", "/", r"\odot", r"\otimes"])
_PUNCT = frozenset([",", ";", "&", r"\\"])
_SPACES = frozenset([r"\,", r"\:", r"\;", r"\!", r"\ ", r"\quad", r"\qquad", "~"])
_CLOSERS = frozenset([")", "]", r"\}", r"\rangle", r"\rbrack", r"\rfloor", r"\rceil", r"\right", r"\bigr", r"\Bigr"])
#: Groups whose content is not math (left untouched).
_VERBATIM_OWNERS = frozenset([r"\text", r"\mathrm", r"\operatorname", r"\begin", r"\end", r"\textrm", r"\mbox", r"\operatorname*"])


def _script_base(items: list[Any], p: int) -> int:
    """If ``items[p]`` is the argument of ``^``/``_``, the index of the scripted base (else ``p``)."""
    q = p
    while True:
        op = _significant(items, q - 1, -1)
        if op < 0 or items[op] not in ("^", "_"):
            return q
        q = _significant(items, op - 1, -1)
        if q < 0:
            return p


def _token_kind(it: Any) -> str | None:
    """'rel', 'bin' or 'punct' for a relation, binary operator or punctuation token, else None."""
    for kind, table in (("rel", _RELATIONS), ("bin", _BINARIES), ("punct", _PUNCT)):
        if it in table:
            return kind
    return None


def _prev_kind(items: list[Any], k: int) -> str:
    """What precedes position ``k``: 'start', 'open', 'rel', 'bin', 'punct', 'op', 'space', 'text' or 'ord'."""
    p = _significant(items, k - 1, -1)
    if p < 0:
        return "start"
    base = _script_base(items, p)
    if base != p:  # a scripted atom: \sum_{k} is an operator, x_{k} an ordinary symbol
        b = items[base]
        if isinstance(b, _Group):
            return "op" if b.owner in (r"\operatorname", r"\operatorname*") else "ord"
        return "op" if b in _BIG_OPERATORS or b in _FUNCTION_NAMES else "ord"
    it = items[p]
    if isinstance(it, _Group):
        if it.owner in (r"\text", r"\mbox", r"\textrm"):
            return "text"
        if it.owner == r"\begin":
            return "open"
        if it.owner in (r"\operatorname", r"\operatorname*"):
            return "op"
        return "ord"
    before = _significant(items, p - 1, -1)
    if it in _OPENERS or (before >= 0 and items[before] in (r"\left", r"\bigl", r"\Bigl")):
        return "open"
    kind = _token_kind(it)
    if kind is not None:
        return kind
    if it in _SPACES:
        return "space"
    if it in _BIG_OPERATORS or it in _FUNCTION_NAMES:
        return "op"
    return "ord"


def _next_kind(items: list[Any], k: int) -> str:
    """What follows position ``k`` (after any scripts): 'end', 'open', 'rel', 'bin', 'punct', 'close', 'space' or 'ord'."""
    n = _significant(items, k, 1)
    if n >= len(items):
        return "end"
    it = items[n]
    if isinstance(it, _Group):
        first = _significant(it.items, 0, 1)
        if it.owner is None and first < len(it.items) and it.items[first] in _OPENERS:
            return "open"
        return "ord"
    if it in _OPENERS:
        return "open"
    kind = _token_kind(it)
    if kind is not None:
        return kind
    if it in _CLOSERS:
        return "close"
    if it in _SPACES:
        return "space"
    return "ord"


def _scripts_end(items: list[Any], k: int) -> int:
    """Index just past the ^/_ scripts that follow position ``k`` (``k`` itself if none)."""
    end = k
    while True:
        s = _significant(items, end, 1)
        if s < len(items) and items[s] in ("^", "_"):
            a = _significant(items, s + 1, 1)
            if a >= len(items):
                return end
            end = a + 1
            continue
        return end


# =============================================================================== the rewriting pass
_ZIAMATH = "ziamath"
_MATHML = "mathml"


def _for_ziamath(tex: str, display: bool = True) -> str:
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
    - two fixes need the MathML (:func:`_ziamath_mathml`): ``\hat`` (ziamath stretches it like
      ``\widehat``) and large operators made non-stretchy (ziamath stretches ``\sum`` and the fences
      of ``\left(\sum_{k} x_{k}\right)`` against each other into a 2000 px tall picture).
    """
    return _rewrite_tex(tex, _ZIAMATH, display)[0]


def _for_mathml(tex: str, display: bool = False) -> str:
    r"""Rewrite textbook LaTeX for latex2mathml and Chromium's MathML Core (FINDINGS §3, checked by eye).

    - operator names become ``\text{...}`` (turned into ``<mi>`` afterwards) with TeX's thin spaces,
      as for ziamath: latex2mathml makes ``\operatorname{softplus}`` and ``\max`` an ``<mo>``, which
      Chromium spaces like a binary operator (``softplus (x)``), and ``\sin x`` runs together.
    - a unary minus becomes ``{-}`` (made unspaced in the MathML: Chromium spaces ``( − x)``).
    - ``\sim`` becomes ``\thicksim``; ``\mathbb{1}`` becomes 𝟙 (latex2mathml gives a plain 1).
    - fixed in the MathML (:func:`mathml`): primes (``f^{\prime}``, ``f'``) follow the base instead
      of being a superscript (Chromium draws them like an acute accent); in display style, limits of
      ``\sum``/``\max`` go below (latex2mathml writes ``msub``, which Chromium always sets beside).
    """
    return _rewrite_tex(tex, _MATHML, display)[0]


def _rewrite_tex(tex: str, engine: str, display: bool) -> tuple[str, frozenset[str]]:
    """The shared rewriting pass: the new LaTeX and the operator names it turned into ``\\text{...}``."""
    names: set[str] = set()
    items = _rewrite(_parse(tex), engine=engine, display=display, in_frac=False, in_script=False, names=names)
    return _unparse(items), frozenset(names)


def _rewrite(
    items: list[Any], *, engine: str, display: bool, in_frac: bool, in_script: bool, names: set[str]
) -> list[Any]:
    out: list[Any] = []

    def sub(group: _Group, *, frac: bool = False, script: bool = False) -> _Group:
        return _Group(
            _rewrite(group.items, engine=engine, display=display, in_frac=in_frac or frac,
                     in_script=in_script or script, names=names),
            group.owner, group.argn,
        )

    k = 0
    while k < len(items):
        it = items[k]
        if isinstance(it, _Group):
            if it.owner in _VERBATIM_OWNERS:
                out.append(it)
            else:
                out.append(sub(it, frac=it.owner in (r"\frac", r"\dfrac", r"\tfrac"), script=it.owner in ("^", "_")))
            k += 1
            continue
        # \mathbb{1} -> 𝟙
        if it == r"\mathbb":
            a = _significant(items, k + 1, 1)
            if a < len(items) and isinstance(items[a], _Group) and _unparse(items[a].items).strip() == "1":
                out.append("𝟙")
                k = a + 1
                continue
        if it == r"\sim":
            out.append(r"\thicksim")
            k += 1
            continue
        # Operator names.
        name = None
        name_end = k + 1
        if it in _FUNCTION_NAMES:
            name = it[1:]
        elif it in (r"\operatorname", r"\operatorname*"):
            a = _significant(items, k + 1, 1)
            if a < len(items) and isinstance(items[a], _Group):
                name = _unparse(items[a].items).strip()
                name_end = a + 1
        if name is not None:
            end = _scripts_end(items, name_end)
            has_sub = any(items[x] == "_" for x in range(name_end, end) if isinstance(items[x], str))
            if it in _LIMIT_NAMES and has_sub:
                # \max_{k} x_{k}: an operator with limits; inside a fraction TeX puts them beside.
                chunk = [sub(s, script=True) if isinstance(s, _Group) else s for s in items[k:end]]
                if engine == _ZIAMATH and display and in_frac and not in_script:
                    out.append(_Group([r"\textstyle "] + chunk))
                    if _next_kind(items, end) == "ord":
                        out.append(r"\,")
                else:
                    out.extend(chunk)
                k = end
                continue
            if _prev_kind(items, k) == "ord":
                out.append(r"\,")
            names.add(name)
            out.append(r"\text")
            out.append(_Group([name], r"\text"))
            out.extend(sub(s, script=True) if isinstance(s, _Group) else s for s in items[name_end:end])
            if _next_kind(items, end) == "ord":
                out.append(r"\,")
            k = end
            continue
        # Large operators with limits inside a fraction (display style): limits beside, as in TeX.
        if it in _BIG_OPERATORS and engine == _ZIAMATH and display and in_frac and not in_script:
            end = _scripts_end(items, k + 1)
            out.append(_Group([r"\textstyle "] + [sub(s, script=True) if isinstance(s, _Group) else s
                                                  for s in items[k:end]]))
            if _next_kind(items, end) == "ord":
                out.append(r"\,")  # TeX's thin space after an operator (ziamath drops it beside limits)
            k = end
            continue
        # Unary minus / plus.
        if it in ("-", "+") and _prev_kind(items, k) in ("start", "open", "rel", "bin", "punct", "op", "text"):
            out.append(_Group([it]))
            k += 1
            continue
        # Comma: TeX's thin space after punctuation (ziamath: a very thick one).
        if it == "," and engine == _ZIAMATH and not in_script:
            out.append(_Group([","]))
            out.append(r"\,")
            k = _significant(items, k + 1, 1)  # drop the white space after the comma
            continue
        # MathML: \left( ... \right) around flat content becomes plain (...): Chromium stretches the
        # fences to the next larger size (TeX allows a delimiter slightly shorter than its content),
        # whose wide side bearings read as a gap: p_{i}( δ_{ij} − p_{j}).
        if it == r"\left" and engine == _MATHML:
            right = _matching_right(items, k)
            plain = _plain_fences(items, k, right) if right is not None else None
            if plain is not None and right is not None:
                opener, inner, closer = plain
                body = _rewrite(inner, engine=engine, display=display, in_frac=in_frac, in_script=in_script,
                                names=names)
                out.append(_Group([opener, *body, closer]))
                k = right
                continue
        # \left right after an opening delimiter: group it so that ziamath adds no space before it.
        if it == r"\left" and engine == _ZIAMATH and _prev_kind(items, k) == "open":
            right = _matching_right(items, k)
            if right is not None:
                out.append(_Group(_rewrite(items[k:right], engine=engine, display=display, in_frac=in_frac,
                                           in_script=in_script, names=names)))
                k = right
                continue
        out.append(it)
        k += 1
    return out


_PLAIN_FENCES = {"(": ")", "[": "]", "|": "|", r"\|": r"\|", r"\{": r"\}"}
_TALL_TOKENS = frozenset(
    [r"\frac", r"\dfrac", r"\tfrac", r"\binom", r"\sum", r"\prod", r"\coprod", r"\int", r"\begin", r"\sqrt",
     r"\left", r"\substack", r"\overset", r"\underset"]
)


def _plain_fences(items: list[Any], k: int, end: int) -> tuple[str, list[Any], str] | None:
    r"""For ``\left X ... \right Y`` spanning ``items[k:end]`` with flat content: (X, content, Y), else None."""
    o = _significant(items, k + 1, 1)
    r = end - 1
    rr = _significant(items, r - 1, -1)
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
    for it in items:
        if isinstance(it, _Group):
            if _has_tall(it.items):
                return True
        elif it in _TALL_TOKENS:
            return True
    return False


def _matching_right(items: list[Any], k: int) -> int | None:
    """Index just past the delimiter of the ``\\right`` that closes the ``\\left`` at ``k`` (None if unbalanced)."""
    depth = 0
    for x in range(k, len(items)):
        if items[x] == r"\left":
            depth += 1
        elif items[x] == r"\right":
            depth -= 1
            if depth == 0:
                d = _significant(items, x + 1, 1)
                return d + 1 if d < len(items) else None
    return None


@cache
def _font() -> str:
    from cheatsheet.render.resources import font_path

    return str(font_path(MATH_FONT))


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


_LARGE_OPERATOR_CHARS = frozenset("∑∏∐⋃⋂⨁⨂⨀⨄⋁⋀∫∬∭∮")


def _ziamath_mathml(tex: str, display: bool) -> ET.Element:
    """The MathML element handed to ziamath: the rewritten LaTeX through latex2mathml, with ``\\hat`` fixed."""
    from ziamath.tex import tex2mml

    mml = tex2mml(_for_ziamath(tex, display), inline=not display)
    root = ET.fromstring(mml)
    for el in root.iter():
        if el.tag.endswith("mo") and (el.text or "").strip() in _LARGE_OPERATOR_CHARS and "stretchy" not in el.attrib:
            # ziamath's operator table makes ∑ stretchy: inside \left( \right) the sum and the fences
            # then stretch each other to a 2000 px tall picture. Large operators never stretch in TeX.
            el.set("stretchy", "false")
        if el.tag.endswith("mover") and el.get("accent") == "true" and len(el) == 2:
            acc = el[1]
            if acc.tag.endswith("mo") and (acc.text or "") == "\u0302":  # ziamath's tex2mml made \hat stretchy
                acc.text = "\u02c6"
                acc.set("stretchy", "false")
    return root


def _is_stretchy(el: ET.Element) -> bool:
    """Whether ziamath stretches this ``<mo>``: its operator table's default, unless the element says."""
    from ziamath import operators
    from ziamath.nodes.nodetools import elementtext

    params = operators.get_params(elementtext(el), el.get("form", "infix"))
    params.update(el.attrib)
    return params.get("stretchy", "false") != "false"


def _stretchy_below(line: list[ET.Element]) -> bool:
    """Whether a stretchy ``<mo>`` lies anywhere in these elements."""
    return any(_is_stretchy(el) for child in line for el in child.iter() if el.tag == "mo" or el.tag.endswith("}mo"))


@cache
def _skip_unread_row_heights() -> bool:
    """Speed, not looks: ziamath 0.13 lays every row out twice, first only to learn how tall the row is for
    the stretchy operators in it, and a nested row repeats that at every level (2^depth layouts). When no
    stretchy operator lies anywhere below a row, that first result is never read: it is skipped. The pictures
    stay byte for byte the same (a test typesets formulas both ways); the catalog typeset 2.1x faster when
    this was measured.
    Only for the pinned ziamath 0.13, whose internals this relies on; returns whether it applies."""
    from importlib import metadata

    if metadata.version("ziamath") != "0.13":
        return False
    from ziamath.nodes.mrow import Mrow

    measure = Mrow._get_height_nostretch

    def heights(self: Any, line: list[ET.Element], **kwargs: Any) -> tuple[float, float]:
        if not _stretchy_below(line):
            return -9999.0, 9999.0  # ziamath's own "nothing yet" values; no operator below reads them
        return measure(self, line, **kwargs)  # type: ignore[no-any-return]

    heights.original = measure  # type: ignore[attr-defined]
    Mrow._get_height_nostretch = heights  # type: ignore[method-assign]
    return True


@lru_cache(maxsize=4096)
def _raw_svg(tex: str, size_px: float, display: bool) -> str:
    """ziamath's SVG for ``tex`` (quirks fixed), unprefixed; raises :class:`TypesetError`."""
    from ziamath.zmath import Math

    _skip_unread_row_heights()

    try:
        element = _ziamath_mathml(tex, display)
    except Exception as exc:  # any parser failure names the formula
        raise TypesetError("latex2mathml", tex, f"{type(exc).__name__}: {exc}") from exc
    handler = _Collect()
    logger = logging.getLogger()
    logger.addHandler(handler)
    try:
        math = Math(element, size=size_px, font=_font())
        text = math.svg()
    except Exception as exc:  # an engine's failure names the formula
        raise TypesetError("ziamath", tex, f"{type(exc).__name__}: {exc}") from exc
    finally:
        logger.removeHandler(handler)
    if handler.messages:
        raise TypesetError("ziamath", tex, "; ".join(handler.messages))
    return text


_ID = re.compile(r'\b(id|href|xlink:href)="(#?)([^"]*)"')
_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]*$")


def _prefix_ids(text: str, prefix: str) -> str:
    """Every ``id`` and same-document ``href`` prefixed with ``prefix``."""
    return _ID.sub(lambda m: f'{m.group(1)}="{m.group(2)}{prefix}{m.group(3)}"', text)


#: How :func:`svg` draws the glyphs (figures: a 4-page sheet of 221 formulas, WeasyPrint 70, 2 cores).
Draw = Literal["paths", "glyphs", "symbols"]
DRAWS: tuple[str, ...] = ("paths", "glyphs", "symbols")


def svg(
    tex: str, *, prefix: str, size_px: float = DEFAULT_SIZE_PX, display: bool = True, draw: Draw = "paths"
) -> SvgMath:
    """Typeset ``tex`` with ziamath and the bundled TeX Gyre Termes Math font.

    ``prefix`` (e.g. ``"softplus-d-input-"``, a letter first) is put before every id of the SVG so
    that many formulas in one page never share ids; ``size_px`` is the font size in CSS px (8.5 pt =
    11.33 px); ``display`` selects display style (limits below sums, full-size fractions).

    ``draw`` chooses the SVG's structure; the picture is the same (PNG renderings compared):

    - ``"paths"`` (default): all glyph outlines in one ``<path>``, rules in another, no ids at all.
      WeasyPrint renders a page of math 2.0x faster than ziamath's own SVG; the PDF is 3.1x larger
      (glyph outlines at absolute positions no longer repeat byte for byte, so they compress less).
    - ``"glyphs"``: one ``<path transform=...>`` per glyph, no ids: 1.7x faster, the PDF as small
      as ziamath's own.
    - ``"symbols"``: ziamath's ``<symbol>`` per glyph and ``<use>`` per occurrence, ids prefixed.

    An SVG that the flattener does not understand is kept as ziamath wrote it, with prefixed ids.
    Raises :class:`TypesetError` naming the formula when an engine fails.
    """
    if not _PREFIX.match(prefix):
        raise ValueError(f"prefix {prefix!r} must start with a letter and hold only letters, digits, '_', '-', '.', ':'")
    if draw not in DRAWS:
        raise ValueError(f"draw={draw!r}: expected one of {list(DRAWS)}")
    text = _raw_svg(tex, float(size_px), display)
    flat = _flatten(text, per_glyph=draw == "glyphs") if draw != "symbols" else None
    text = flat if flat is not None else _prefix_ids(text, prefix)
    _, y, w, h = _viewbox(text)
    return SvgMath(svg=text, width=round(w, 3), height=round(h, 3), depth=round(y + h, 3), tex=tex)


def break_points(tex: str) -> list[int]:
    """Where a line of ``tex`` may break: indices into its top-level token list (see :func:`_parse`)
    of each relation and each binary ``+``/``-`` outside every group, bracket and environment (never
    the first token, never a unary minus)."""
    items = _parse(tex)
    depth = 0
    out: list[int] = []
    for k, it in enumerate(items):
        if isinstance(it, _Group):
            continue
        if it in _OPENERS or it == r"\begin":
            depth += 1
        elif it in _CLOSERS or it == r"\end":
            depth -= 1
        elif depth == 0 and _prev_kind(items, k) not in ("start", "open", "rel", "bin", "punct", "space"):
            if it in _RELATIONS or it in ("+", "-"):
                out.append(k)
    return out


def svg_within(tex: str, max_width_px: float, *, prefix: str, size_px: float = DEFAULT_SIZE_PX,
               display: bool = True) -> SvgMath:
    """:func:`svg`, broken into lines when the formula is wider than ``max_width_px``.

    Lines break before a top-level relation or binary ``+``/``-`` (:func:`break_points`), each line
    as long as fits, continuation lines indented by a quad and set flush left in an ``aligned``
    environment. A formula with no break point that fits is returned unbroken (wider than asked:
    the caller's layout check reports it). ``tex`` of the result stays the original formula.
    """
    whole = svg(tex, prefix=prefix, size_px=size_px, display=display)
    if whole.width <= max_width_px:
        return whole
    items = _parse(tex)
    cuts = break_points(tex)
    if not cuts:
        return whole

    def line(a: int, b: int, first: bool) -> str:
        body = _unparse(items[a:b]).strip()
        return body if first else r"\quad {}" + body

    def width(a: int, b: int, first: bool) -> float:
        return svg(line(a, b, first), prefix=prefix, size_px=size_px, display=display).width

    lines: list[str] = []
    start, ends = 0, cuts + [len(items)]
    while start < len(items):
        first = not lines
        later = [e for e in ends if e > start]
        end = next((e for e in reversed(later) if width(start, e, first) <= max_width_px), later[0])
        lines.append(line(start, end, first))
        start = end
    if len(lines) == 1:
        return whole
    broken = r"\begin{aligned}&" + r"\\&".join(lines) + r"\end{aligned}"
    result = svg(broken, prefix=prefix, size_px=size_px, display=display)
    return SvgMath(svg=result.svg, width=result.width, height=result.height, depth=result.depth, tex=tex)


def _viewbox(text: str) -> tuple[float, float, float, float]:
    m = re.search(r'viewBox="([^"]+)"', text)
    if m is None:
        raise TypesetError("ziamath", "", "SVG without a viewBox")
    x, y, w, h = (float(v) for v in m.group(1).split())
    return x, y, w, h


# =============================================================================== flattening
_PATH_TOKEN = re.compile(r"[MLQCZmlqcz]|-?\d*\.?\d+(?:[eE][-+]?\d+)?")
_ARITY = {"M": 2, "L": 2, "Q": 4, "C": 6, "Z": 0}


def _num(v: float, places: int = 3) -> str:
    """A fixed-precision number without trailing zeros ('-0' becomes '0')."""
    text = f"{v:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _transform_path(d: str, sx: float, sy: float, tx: float, ty: float) -> Iterator[str]:
    """The absolute M/L/Q/C/Z path ``d`` mapped by (x, y) -> (sx x + tx, sy y + ty); ValueError otherwise."""
    cmd = ""
    coords: list[float] = []
    for tok in _PATH_TOKEN.findall(d):
        if tok.isalpha():
            if tok not in _ARITY:
                raise ValueError(f"path command {tok!r} is not absolute M/L/Q/C/Z")
            if coords:
                raise ValueError("dangling coordinates in path")
            cmd = tok
            if cmd == "Z":
                yield "Z"
            continue
        coords.append(float(tok))
        n = _ARITY.get(cmd, 0)
        if n == 0:
            raise ValueError("coordinates without a command")
        if len(coords) == n:
            pts = []
            for j in range(0, n, 2):
                pts.append(_num(coords[j] * sx + tx))
                pts.append(_num(coords[j + 1] * sy + ty))
            yield cmd + " ".join(pts)
            coords = []
    if coords:
        raise ValueError("dangling coordinates in path")


def _flatten(text: str, *, per_glyph: bool = False) -> str | None:
    """ziamath's SVG with each ``<use>`` of a glyph ``<symbol>`` replaced by the transformed glyph path.

    All glyphs become one ``<path>``, fraction bars and rules one more (``per_glyph``: one ``<path>``
    per glyph with the transform as an attribute); the picture is the same (the transform is the one
    SVG applies: viewBox scaling, ``xMidYMid meet``). Returns None when the SVG holds anything this
    does not know (then the caller keeps ziamath's SVG with prefixed ids).
    """
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None
    ns = "{http://www.w3.org/2000/svg}"
    symbols: dict[str, tuple[list[float], list[str]]] = {}
    glyphs: list[str] = []
    rules: list[str] = []
    try:
        for el in root.iter():
            tag = el.tag.removeprefix(ns)
            if tag in ("svg", "g"):
                if tag == "g" and el.attrib:
                    return None
                continue
            if tag == "symbol":
                vb = [float(v) for v in el.get("viewBox", "").split()]
                paths = []
                for child in el.iter():
                    ctag = child.tag.removeprefix(ns)
                    if child is el or (ctag == "g" and not child.attrib):
                        continue  # an assembled glyph (a tall brace) groups its parts in a plain <g>
                    if ctag != "path" or set(child.attrib) != {"d"}:
                        return None
                    paths.append(child.get("d", ""))
                if len(vb) != 4:
                    return None
                symbols.setdefault(el.get("id", ""), (vb, paths))  # SVG uses the first element with an id
            elif tag == "path":
                continue  # inside a symbol (checked above); a free path is refused below
            elif tag == "use":
                if el.get("fill", "black") != "black" or set(el.attrib) - {"href", "x", "y", "width", "height", "fill"}:
                    return None
                ref = el.get("href", "")
                if not ref.startswith("#") or ref[1:] not in symbols:
                    return None
                vb, paths = symbols[ref[1:]]
                if not paths or vb[2] <= 0 or vb[3] <= 0:
                    continue  # an empty glyph (a space) or a zero-width viewBox, which SVG does not draw
                x, y = float(el.get("x", "0")), float(el.get("y", "0"))
                w, h = float(el.get("width", "0")), float(el.get("height", "0"))
                if w <= 0 or h <= 0:
                    continue
                s = min(w / vb[2], h / vb[3])  # preserveAspectRatio xMidYMid meet
                tx = x + (w - vb[2] * s) / 2 - vb[0] * s
                ty = y + (h - vb[3] * s) / 2 - vb[1] * s
                for d in paths:
                    if per_glyph:
                        outline = "".join(_transform_path(d, 1.0, 1.0, 0.0, 0.0))
                        glyphs.append(
                            f'<path transform="matrix({_num(s, 6)} 0 0 {_num(s, 6)} {_num(tx)} {_num(ty)})" d="{outline}"/>'
                        )
                    else:
                        glyphs.extend(_transform_path(d, s, s, tx, ty))
            elif tag == "rect":
                if el.get("fill", "black") != "black" or set(el.attrib) - {"x", "y", "width", "height", "fill"}:
                    return None
                x, y = float(el.get("x", "0")), float(el.get("y", "0"))
                w, h = float(el.get("width", "0")), float(el.get("height", "0"))
                rules.append(f"M{_num(x)} {_num(y)}H{_num(x + w)}V{_num(y + h)}H{_num(x)}Z")
            else:
                return None
        # Free paths (outside symbols) are not expected from ziamath; refuse rather than guess.
        in_symbols = sum(len(p) for _, p in symbols.values())
        if sum(1 for el in root.iter() if el.tag.removeprefix(ns) == "path") != in_symbols:
            return None
    except ValueError:
        return None
    head = f'<svg xmlns="http://www.w3.org/2000/svg" width="{root.get("width")}" height="{root.get("height")}" viewBox="{root.get("viewBox")}">'
    body = ""
    if glyphs and per_glyph:
        body += "".join(glyphs)
    elif glyphs:
        body += f'<path d="{"".join(glyphs)}"/>'
    if rules:
        body += f'<path d="{"".join(rules)}"/>'
    return head + body + "</svg>"


# =============================================================================== MathML
_MATHML_NS = "http://www.w3.org/1998/Math/MathML"
_PRIMES = {"\u2032": 1, "\u2033": 2, "\u2034": 3}
_PRIME_CHARS = {1: "\u2032", 2: "\u2033", 3: "\u2034", 4: "\u2057"}
_LIMIT_TEXTS = frozenset(name[1:] for name in _LIMIT_NAMES)
_ORDINARY_SYMBOLS = frozenset("\u22a4")  # ⊤


def mathml(tex: str, *, display: bool = False) -> str:
    """MathML Core for ``tex``: latex2mathml with its quirks fixed (see :func:`_for_mathml`); deterministic.

    ``display`` gives a ``display="block"`` formula (limits below sums). The caller must supply:
    a math font with a MATH table for ``math`` elements (the bundled TeX Gyre Termes Math), and the
    CSS ``mtd[columnalign=left] { text-align: left }``, because Chromium ignores ``columnalign`` and
    would center the rows of ``cases``. Raises :class:`TypesetError` naming the formula.
    """
    from latex2mathml.converter import convert

    try:
        text, names = _rewrite_tex(tex, _MATHML, display)
        root = ET.fromstring(convert(text, display="block" if display else "inline"))
    except Exception as exc:  # any parser failure names the formula
        raise TypesetError("latex2mathml", tex, f"{type(exc).__name__}: {exc}") from exc
    for el in root.iter():
        el.tag = el.tag.removeprefix("{" + _MATHML_NS + "}")
    _fix_mathml(root, names, display)
    attrs = {"xmlns": _MATHML_NS, **{k: v for k, v in root.attrib.items() if k != "xmlns"}}
    root.attrib.clear()
    root.attrib.update(attrs)
    return ET.tostring(root, encoding="unicode", short_empty_elements=True)


def _fix_mathml(root: ET.Element, names: frozenset[str], display: bool) -> None:
    """The MathML half of the quirk fixes (see :func:`_for_mathml`), in place."""
    for el in list(root.iter()):
        text = (el.text or "").strip()
        if el.tag == "mtext" and text in names and len(el) == 0:
            el.tag = "mi"  # an operator name: an upright multi-letter identifier, unspaced
        elif el.tag == "mrow" and len(el) == 1 and el[0].tag == "mo" and (el[0].text or "").strip() in ("\u2212", "+"):
            el[0].set("lspace", "0")  # {-}: a unary minus
            el[0].set("rspace", "0")
        elif el.tag == "mo" and text in _ORDINARY_SYMBOLS and len(el) == 0:
            el.tag = "mi"  # \top (transpose) is a symbol, not an operator: Chromium spaces X^{− ⊤}
        elif el.tag == "msup" and len(el) == 2:
            count = _prime_count(el[1])
            if count:
                el.tag = "mrow"
                prime = ET.Element("mo", {"lspace": "0", "rspace": "0"})
                prime.text = _PRIME_CHARS.get(count, "\u2032" * count)
                el.remove(el[1])
                el.append(prime)
        elif display and el.tag in ("msub", "msubsup") and len(el) >= 2 and el[0].tag == "mo":
            base = (el[0].text or "").strip()
            if base in _LARGE_OPERATOR_CHARS or base in _LIMIT_TEXTS:
                el.tag = "munder" if el.tag == "msub" else "munderover"


def _prime_count(el: ET.Element) -> int:
    """How many primes ``el`` consists of (0 when it holds anything else)."""
    if el.tag in ("mi", "mo") and len(el) == 0:
        text = (el.text or "").strip()
        if text and all(ch in _PRIMES for ch in text):
            return sum(_PRIMES[ch] for ch in text)
        return 0
    if el.tag == "mrow" and len(el) > 0 and not (el.text or "").strip():
        counts = [_prime_count(child) for child in el]
        return sum(counts) if all(counts) else 0
    return 0
