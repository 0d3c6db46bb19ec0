"""Formulas as MathML Core for the HTML page: latex2mathml, with the quirks LaTeX cannot fix fixed after it.

The LaTeX is first rewritten by :func:`cheatsheet.render.math.rewrite.for_mathml` (operator names, unary
minus, plain fences...); what LaTeX cannot express is fixed in the MathML right after latex2mathml
(:func:`_fix_mathml`): operator names as ``<mi>``, an unspaced unary minus, ``⊤`` as a symbol, primes
beside their base, limits below large operators in display style. Chromium renders the result with the
bundled math font. Deterministic: the same LaTeX gives the same text.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from cheatsheet.render.math.rewrite import MATHML, rewrite_tex
from cheatsheet.render.math.tex import LARGE_OPERATOR_CHARS, LIMIT_NAMES, TypesetError

__all__ = ["mathml"]

_MATHML_NS = "http://www.w3.org/1998/Math/MathML"
_PRIMES = {"\u2032": 1, "\u2033": 2, "\u2034": 3}
_PRIME_CHARS = {1: "\u2032", 2: "\u2033", 3: "\u2034", 4: "\u2057"}
_LIMIT_TEXTS = frozenset(name[1:] for name in LIMIT_NAMES)
_ORDINARY_SYMBOLS = frozenset("\u22a4")  # ⊤


def mathml(tex: str, *, display: bool = False) -> str:
    """MathML Core for ``tex``: latex2mathml with its quirks fixed (see
    :func:`cheatsheet.render.math.rewrite.for_mathml`); deterministic.

    ``display`` gives a ``display="block"`` formula (limits below sums). The caller must supply:
    a math font with a MATH table for ``math`` elements (the bundled TeX Gyre Termes Math), and the
    CSS ``mtd[columnalign=left] { text-align: left }``, because Chromium ignores ``columnalign`` and
    would center the rows of ``cases``. Raises :class:`TypesetError` naming the formula.
    """
    from latex2mathml.converter import convert

    try:
        text, names = rewrite_tex(tex, MATHML, display)
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


def _text(el: ET.Element) -> str:
    return (el.text or "").strip()


def _operator_name(el: ET.Element, names: frozenset[str], display: bool) -> None:
    """An operator name (``\\text{tanh}``): an upright multi-letter identifier, unspaced."""
    if _text(el) in names and len(el) == 0:
        el.tag = "mi"


def _unary_sign(el: ET.Element, names: frozenset[str], display: bool) -> None:
    """``{-}``: a unary minus, without the spaces of a binary one."""
    if len(el) == 1 and el[0].tag == "mo" and _text(el[0]) in ("\u2212", "+"):
        el[0].set("lspace", "0")
        el[0].set("rspace", "0")


def _ordinary_symbol(el: ET.Element, names: frozenset[str], display: bool) -> None:
    """``\\top`` (transpose) is a symbol, not an operator: Chromium would space ``X^{− ⊤}``."""
    if _text(el) in _ORDINARY_SYMBOLS and len(el) == 0:
        el.tag = "mi"


def _primes(el: ET.Element, names: frozenset[str], display: bool) -> None:
    """``f^{\\prime}``: the primes beside the base, not a superscript (Chromium draws them like an accent)."""
    count = _prime_count(el[1]) if len(el) == 2 else 0
    if count:
        el.tag = "mrow"
        prime = ET.Element("mo", {"lspace": "0", "rspace": "0"})
        prime.text = _PRIME_CHARS.get(count, "\u2032" * count)
        el.remove(el[1])
        el.append(prime)


def _limits_below(el: ET.Element, names: frozenset[str], display: bool) -> None:
    """In display style, the limits of ``\\sum``/``\\max`` below (latex2mathml writes ``msub``, which
    Chromium always sets beside)."""
    if display and len(el) >= 2 and el[0].tag == "mo":
        base = _text(el[0])
        if base in LARGE_OPERATOR_CHARS or base in _LIMIT_TEXTS:
            el.tag = "munder" if el.tag == "msub" else "munderover"


#: The MathML fixes, by the tag of the element they apply to.
_FIXES: dict[str, Callable[[ET.Element, frozenset[str], bool], None]] = {
    "mtext": _operator_name,
    "mrow": _unary_sign,
    "mo": _ordinary_symbol,
    "msup": _primes,
    "msub": _limits_below,
    "msubsup": _limits_below,
}


def _fix_mathml(root: ET.Element, names: frozenset[str], display: bool) -> None:
    """The MathML half of the quirk fixes, in place; ``names`` are the operator names the rewrite made text."""
    for el in list(root.iter()):
        fix = _FIXES.get(el.tag)
        if fix is not None:
            fix(el, names, display)


def _prime_count(el: ET.Element) -> int:
    """How many primes ``el`` consists of (0 when it holds anything else)."""
    if el.tag in ("mi", "mo") and len(el) == 0:
        text = _text(el)
        if text and all(ch in _PRIMES for ch in text):
            return sum(_PRIMES[ch] for ch in text)
        return 0
    if el.tag == "mrow" and len(el) > 0 and not _text(el):
        counts = [_prime_count(child) for child in el]
        return sum(counts) if all(counts) else 0
    return 0
