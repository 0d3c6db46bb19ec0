"""The grammar's tokens: numbers, names, operators, with the Unicode people paste from papers read as ASCII.

``−`` is ``-``, ``×`` and ``·`` are ``*``, ``≤`` is ``<=``, ``x²`` is ``x^2``, ``α`` is the name ``alpha``,
``∞`` is ``inf``. Any other character is a :class:`~cheatsheet.grammar.errors.ParseError` at its column, with
a hint for the characters of other languages' syntax (quotes, brackets, ``=``, ``!``, ``@``, ...).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from cheatsheet.grammar.errors import LIMITS, ParseError

__all__ = ["NAME", "NUMBER", "RELOPS", "Token", "greek_name", "tokenize", "variable_name"]


@dataclass(frozen=True)
class Token:
    """One token: its kind (``"num"``, ``"name"``, ``"op"``, ``"end"``), its text, its 1-based column."""

    kind: str
    text: str
    col: int

    def is_op(self, *ops: str) -> bool:
        """True for an operator token that is one of ``ops``."""
        return self.kind == "op" and self.text in ops

    def is_word(self, *words: str) -> bool:
        """True for a name token that is one of ``words`` (``and``, ``or``, ``not``)."""
        return self.kind == "name" and self.text in words


#: A number literal: digits with an optional point and exponent (``.5``, ``1e-3``).
NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
#: A name: an ASCII letter, then letters, digits and underscores.
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
#: The comparison operators of conditions.
RELOPS = ("<", "<=", ">", ">=")

_SINGLE_OPS = "+-*/^(),|<>"
_DOUBLE_OPS = ("**", "<=", ">=")
_ALIASES = {
    "\u2212": "-",
    "\u2013": "-",
    "\u00d7": "*",
    "\u00b7": "*",
    "\u22c5": "*",
    "\u2219": "*",
    "\u00f7": "/",
    "\u2215": "/",
    "\u2264": "<=",
    "\u2265": ">=",
}
_SUPERSCRIPTS = {"\u00b2": "2", "\u00b3": "3"}
_GREEK_NAMES = {"lamda": "lambda", "sigma": "sigma", "final sigma": "sigma"}
_SPECIAL_GREEK = {"\u03c0": "pi", "\u03c3": "sigma", "\u03a6": "Phi", "\u03c6": "phi", "\u03d5": "phi"}
_BLANKS = " \t\r\n"
_EQUALITY_HINT = "Equality is not part of the grammar; compare with < <= > >= inside where(...)."
_CHARACTER_HINTS = {
    "'": "String literals are not part of the grammar.",
    '"': "String literals are not part of the grammar.",
    "[": "Subscripts are not part of the grammar; group with ( ).",
    "]": "Subscripts are not part of the grammar; group with ( ).",
    "{": "Braces are not part of the grammar; group with ( ).",
    "}": "Braces are not part of the grammar; group with ( ).",
    ";": "Give one expression only.",
    ":": "Lambdas and slices are not part of the grammar.",
    "_": "Names start with a letter.",
    "!": "Factorials and != are not supported; compare with < <= > >= inside where(...).",
    "=": "Give the function and the claimed derivative separately (no '='); compare with < <= > >= inside where(...).",
    "@": "Decorators and matrix products are not part of the grammar.",
    "\u221a": "Write sqrt(x).",
    "%": "Write x/100 for a percentage; % is not an operator.",
    "&": "Write 'and' between comparisons inside where(...).",
}


def greek_name(ch: str) -> str | None:
    """'α' -> 'alpha', 'Δ' -> 'Delta'; None for a character that is not a Greek letter."""
    if ch in _SPECIAL_GREEK:
        return _SPECIAL_GREEK[ch]
    try:
        uname = unicodedata.name(ch)
    except ValueError:
        return None
    for prefix, cap in (("GREEK SMALL LETTER ", False), ("GREEK CAPITAL LETTER ", True)):
        if uname.startswith(prefix):
            word = uname[len(prefix) :].lower()
            if " " in word and word != "final sigma":
                return None
            word = _GREEK_NAMES.get(word, word)
            return word.capitalize() if cap else word
    return None


def variable_name(text: str) -> str | None:
    """The variable name the grammar reads for ``text`` (``'x'``, ``'alpha'``, and ``'α'`` as ``'alpha'``),
    or None when ``text`` is not one name. Reserved names are returned as read; the caller refuses them."""
    if not isinstance(text, str):
        return None
    t = text.strip()
    if len(t) == 1 and not t.isascii():
        return greek_name(t)
    if NAME.fullmatch(t) and len(t) <= LIMITS.name:
        return t
    return None


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``"end"`` token; raises :class:`ParseError` at a character
    that is not part of the grammar."""
    toks: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in _BLANKS:
            i += 1
            continue
        read = _token_at(text, i)
        if read is None:
            raise _bad_char(text, i, toks[-1] if toks else None)
        new, i = read
        toks.extend(new)
    toks.append(Token("end", "", n + 1))
    return toks


def _token_at(text: str, i: int) -> tuple[list[Token], int] | None:
    """The token(s) starting at ``text[i]`` and the index after them, or None for a character the grammar
    does not know. A superscript is two tokens (``^`` and its digit)."""
    ch, col = text[i], i + 1
    if ch.isdigit() or ch == ".":
        m = NUMBER.match(text, i)
        if m:
            return [Token("num", m.group(0), col)], m.end()
    if ch.isascii() and ch.isalpha():
        m = NAME.match(text, i)
        assert m is not None
        return [Token("name", m.group(0), col)], m.end()
    two = text[i : i + 2]
    if two in _DOUBLE_OPS:
        return [Token("op", two, col)], i + 2
    if two in ("==", "!="):
        raise ParseError(
            f"unexpected {two!r}", column=col, text=text, expected="an expression", found=two, hint=_EQUALITY_HINT
        )
    return _one_character(ch, i)


def _one_character(ch: str, i: int) -> tuple[list[Token], int] | None:
    """The token(s) of the one-character operator, alias, superscript, ∞ or Greek letter at index ``i``."""
    col = i + 1
    if ch in _SINGLE_OPS:
        toks = [Token("op", ch, col)]
    elif ch in _ALIASES:
        toks = [Token("op", _ALIASES[ch], col)]
    elif ch in _SUPERSCRIPTS:
        toks = [Token("op", "^", col), Token("num", _SUPERSCRIPTS[ch], col)]
    elif ch == "\u221e":  # ∞
        toks = [Token("name", "inf", col)]
    else:
        greek = greek_name(ch)
        if greek is None:
            return None
        toks = [Token("name", greek, col)]
    return toks, i + 1


def _show(ch: str) -> str:
    if ch.isprintable() and not ch.isspace():
        return repr(ch)
    return f"U+{ord(ch):04X}"


def _bad_char(text: str, i: int, prev: Token | None) -> ParseError:
    ch = text[i]
    if ch == "." and prev is not None and (prev.kind == "name" or prev.text == ")"):
        hint = "Attribute access is not part of the grammar."
    elif ch == ".":
        hint = "A number needs a digit after the point, as in 0.5."
    else:
        hint = _CHARACTER_HINTS.get(ch, "")
    return ParseError(
        f"unexpected character {_show(ch)}",
        column=i + 1,
        text=text,
        expected="an expression",
        found=_show(ch),
        hint=hint,
    )
