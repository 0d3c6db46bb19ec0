"""One ``[[rule]]`` table of a rule file read into a :class:`~cheatsheet.rule.Rule`, every problem collected.

The reader checks what only a file can get wrong: keys that do not exist, values of the wrong type (a number
for the function, a string for a table, a date, ...), control characters in text, expressions and domains
the grammar does not read, numbers that are not exact, symbols that are not names or are used twice. What
makes a rule consistent (a snake_case id, a known family, input and parameter names, a default inside its
domain, derivatives and kinks w.r.t. inputs) is checked once, by the rule itself (:class:`Rule` validates
on construction); its :class:`~cheatsheet.rule.RuleError` names the field to blame, and the reader reports it
at that key's line and column.

Every expression goes through the safe parser (:mod:`cheatsheet.grammar.parse`), unevaluated so that it is
printed as written; numbers are exact (:func:`~cheatsheet.grammar.numbers.exact_number`).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import sympy as sp

from cheatsheet.checking.forms import without_distributions
from cheatsheet.checking.problems import Problem
from cheatsheet.checking.toml_positions import KeyPath, TomlPositions
from cheatsheet.grammar.domains import parse_domain
from cheatsheet.grammar.errors import InputError, ParseError
from cheatsheet.grammar.functions import RESERVED
from cheatsheet.grammar.numbers import exact_number
from cheatsheet.grammar.parse import Parsed, parse_expression
from cheatsheet.names import close_names
from cheatsheet.rule import Identity, Input, Kink, Param, Rule, RuleError

__all__ = ["RuleReader", "toml_kind"]

_RULE_KEYS = (
    "id",
    "title",
    "family",
    "inputs",
    "params",
    "function",
    "derivative",
    "kinks",
    "identities",
    "notes",
    "references",
)
_INPUT_KEYS = ("name", "symbol", "domain", "doc")
_PARAM_KEYS = ("name", "symbol", "default", "domain", "samples", "doc")
_KINK_KEYS = ("at", "left", "right", "torch", "jax", "wrt", "jump", "note")
_KINK_VALUES = ("at", "left", "right", "torch", "jax")
_IDENTITY_KEYS = ("lhs", "rhs", "relation", "note")
_SYMBOL = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
# Control characters refused in text (a NUL breaks the LaTeX export; any of them can garble a page): every
# one in one-line text (titles), all but tab and line breaks in prose (notes, references, docs).
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_PROSE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_RELATIONS: dict[str, Literal["=", "<=", ">="]] = {"=": "=", "<=": "<=", ">=": ">="}
_REQUIRED_HINTS = {
    "id": ': a snake_case id such as id = "swish_beta"',
    "function": ': the function in quotes, such as function = "x*sigmoid(x)"',
    "derivative": ': the claimed derivative, such as derivative = "sigmoid(x)*(1 + x*(1 - sigmoid(x)))"',
    "name": ': name = "..."',
    "default": ": the default value, such as default = 1",
    "at": ': where the kink is, such as at = "0"',
    "left": ": the derivative just left of the kink",
    "right": ": the derivative just right of the kink",
    "torch": ": the value PyTorch's autograd returns at the kink",
    "lhs": ": the left-hand side",
    "rhs": ": the right-hand side",
}
_KINDS = {
    bool: ("a boolean", "booleans"),
    int: ("an integer", "integers"),
    float: ("a number", "numbers"),
    str: ("a string", "strings"),
    list: ("a list", "lists"),
    dict: ("a table", "tables"),
    datetime.datetime: ("a date-time", "date-times"),
    datetime.date: ("a date", "dates"),
    datetime.time: ("a time", "times"),
}


def toml_kind(value: Any) -> str:
    """What a TOML value is, for messages: "an integer (3)", "a list of integers", "a date (1979-05-27)"."""
    one, _ = _KINDS.get(type(value), (type(value).__name__, ""))
    if isinstance(value, list) and value:
        kinds = {_KINDS.get(type(v), (type(v).__name__, type(v).__name__))[1] for v in value}
        return f"a list of {' and '.join(sorted(kinds))}"
    if isinstance(value, (bool, int, float)):
        return f"{one} ({value!r})"
    if isinstance(value, (datetime.date, datetime.time)):
        return f"{one} ({value.isoformat()})"
    return one


class _Fields:
    """Typed access to the values of one rule's tables; each problem is collected with its position."""

    def __init__(self, name: str, positions: TomlPositions) -> None:
        self.name = name
        self.positions = positions
        self.problems: list[Problem] = []
        self.rule_id = ""
        self.rule_index = 0

    # -------------------------------------------------------------- reporting
    def where(self, path: KeyPath, column: int | None = None, key: bool = False) -> str:
        """``file:line:column`` of ``path`` (its value, its key, or a character of its string)."""
        pos = self.positions.find(path, column, key)
        return f"{self.name}:{pos[0]}:{pos[1]}" if pos else self.name

    def key_text(self, path: KeyPath) -> str:
        """The key as a message names it: ``params[1].default``."""
        out = ""
        for p in path[2:]:  # after ("rule", k)
            out += f"[{p + 1}]" if isinstance(p, int) else (f".{p}" if out else p)
        return out

    def problem(self, path: KeyPath, message: str, column: int | None = None, at_key: bool = False) -> None:
        """Collect a problem of the current rule at ``path``."""
        who = f"rule {self.rule_id!r}" if self.rule_id else f"rule #{self.rule_index + 1}"
        key = self.key_text(path)
        self.problems.append(Problem(self.where(path, column, at_key), f"{who}{', ' + key if key else ''}: {message}"))

    # -------------------------------------------------------------- keys and text
    def keys(
        self, table: Mapping[str, Any], allowed: Sequence[str], path: KeyPath, required: Sequence[str] = ()
    ) -> bool:
        """Whether ``table`` has only ``allowed`` keys and every ``required`` one; reports the others."""
        ok = True
        suggested: set[str] = set()
        for key in table:
            if key not in allowed:
                close = close_names(key, allowed, ignore_case=True)
                suggested.update(close)
                hint = f"Did you mean {close[0]!r}?" if close else f"Allowed keys: {', '.join(allowed)}."
                self.problem((*path, key), f"unknown key {key!r}. {hint}", at_key=True)
                ok = False
        for key in required:
            if key not in table and key not in suggested:  # a misspelt key was reported just above
                self.problem(path, f"missing {key!r}{_REQUIRED_HINTS.get(key, '')}")
                ok = False
        return ok

    def string(self, table: Mapping[str, Any], key: str, path: KeyPath, default: str | None = None) -> str | None:
        """``table[key]`` if it is a string without control characters (``default`` when absent), else None
        after reporting the problem."""
        if key not in table:
            return default
        value = table[key]
        if not isinstance(value, str):
            self.problem((*path, key), f'expected a string, got {toml_kind(value)}. Put it in quotes: {key} = "..."')
            return None
        return value if self.printable(value, (*path, key), prose=False) else None

    def prose(self, table: Mapping[str, Any], key: str, path: KeyPath) -> str | None:
        """A free text (a doc or a note, default ""): a string that may span lines, without other control characters."""
        value = table.get(key, "")
        if not isinstance(value, str):
            self.problem((*path, key), f'expected a string, got {toml_kind(value)}. Put it in quotes: {key} = "..."')
            return None
        return value if self.printable(value, (*path, key), prose=True) else None

    def strings(self, table: Mapping[str, Any], key: str, path: KeyPath) -> tuple[str, ...]:
        """A list of prose strings (a single string is a list of one); () after reporting a problem."""
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(
                (*path, key), f'expected a list of strings, got {toml_kind(value)}. Write {key} = ["...", "..."]'
            )
            return ()
        if not all(self.printable(v, (*path, key), prose=True) for v in value):
            return ()
        return tuple(value)

    def printable(self, value: str, path: KeyPath, *, prose: bool) -> bool:
        """Whether ``value`` has no control character (prose may hold tabs and line breaks); reports the first."""
        m = (_CONTROL_PROSE if prose else _CONTROL_LINE).search(value)
        if m is None:
            return True
        allowed = "tabs and line breaks but no other" if prose else "no"
        self.problem(
            path,
            f"control character U+{ord(m.group()):04X} at character {m.start() + 1} of the text; "
            f"text may hold {allowed} control characters. Remove it",
            m.start() + 1,
        )
        return False

    def tables(self, table: Mapping[str, Any], key: str, path: KeyPath) -> list[dict[str, Any]]:
        """The ``[[rule.<key>]]`` tables (a single table is a list of one); [] after reporting a problem."""
        value = table.get(key, [])
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem((*path, key), f"expected tables ([[rule.{key}]]), got {toml_kind(value)}")
            return []
        return value

    # -------------------------------------------------------------- values the grammar reads
    def expression(
        self,
        value: Any,
        path: KeyPath,
        symbols: Mapping[str, sp.Basic],
        *,
        numbers: bool = True,
    ) -> Parsed | None:
        """A parsed expression (unevaluated: printed as written), or None after reporting a problem. A number
        (``left = 0``) is read as the expression it writes unless ``numbers`` is false (a function)."""
        if isinstance(value, bool) or not isinstance(value, (str, int, float) if numbers else str):
            key = next((p for p in reversed(path) if isinstance(p, str)), "expression")
            self.problem(
                path,
                f'expected an expression in quotes, got {toml_kind(value)}. Write {key} = "...", e.g. {key} = "x^2"',
            )
            return None
        text = value if isinstance(value, str) else (repr(value) if isinstance(value, float) else str(value))
        try:
            return parse_expression(text, symbols, new_symbols=False, evaluated=False)
        except ParseError as exc:
            self.problem(path, _parse_message(exc), exc.column if isinstance(value, str) else None)
            return None

    def number(self, value: Any, path: KeyPath) -> sp.Expr | None:
        """An exact number, or None after reporting a problem."""
        # TOML gives numbers, text, booleans, dates, arrays and tables: the package's one reader of numbers
        # takes the numbers and the text; 0.01 is exactly 1/100, as written
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            self.problem(path, f"expected a number, got {toml_kind(value)}")
            return None
        try:
            return exact_number(value, "")
        except ParseError as exc:
            self.problem(path, _parse_message(exc), exc.column)
        except InputError as exc:
            self.problem(path, str(exc).removeprefix(": "))
        return None

    def domain(self, table: Mapping[str, Any], path: KeyPath) -> sp.Set | None:
        """The table's domain (default real), or None after reporting a problem."""
        value = table.get("domain", "real")
        if not isinstance(value, str):
            self.problem(
                (*path, "domain"), f'expected a domain in quotes such as "positive" or "(0, 1)", got {toml_kind(value)}'
            )
            return None
        try:
            return parse_domain(value)
        except ParseError as exc:
            self.problem((*path, "domain"), _parse_message(exc), exc.column)
            return None

    def symbol_name(self, table: Mapping[str, Any], path: KeyPath, name: str, taken: dict[str, KeyPath]) -> str | None:
        """The table's symbol (default its name): a name the grammar reads, not reserved, not used by another
        input or parameter (recorded in ``taken``); None after reporting a problem."""
        symbol = self.string(table, "symbol", path, default=name)
        if symbol is None:
            return None
        where = (*path, "symbol")
        if not _SYMBOL.match(symbol) or len(symbol) > 32:
            self.problem(where, f"symbol {symbol!r} is not a name: use letters, digits and '_', starting with a letter")
        elif symbol in RESERVED:
            self.problem(
                where, f"symbol {symbol!r} is a reserved name (a function, constant or keyword); choose another"
            )
        elif symbol in taken:
            self.problem(where, f"symbol {symbol!r} is used twice (also by {self.key_text(taken[symbol])})")
        else:
            taken[symbol] = path
            return symbol
        return None


class RuleReader(_Fields):
    """Reads the ``[[rule]]`` tables of one file: ``RuleReader(name, positions).rule(table, k)`` per table,
    then :attr:`problems` holds every problem found."""

    def rule(self, table: Any, k: int) -> Rule | None:
        """The rule of the ``k``-th ``[[rule]]`` table, or None after reporting its problems."""
        path: KeyPath = ("rule", k)
        self.rule_index, self.rule_id = k, ""
        if not isinstance(table, dict):
            self.problem(path, f"expected a table [[rule]], got {toml_kind(table)}")
            return None
        before = len(self.problems)
        rid = self.string(table, "id", path)
        self.rule_id = rid or ""
        self.keys(table, _RULE_KEYS, path, required=("id", "function", "derivative"))
        title = self.string(table, "title", path, default=(rid or "custom rule").replace("_", " ").capitalize())
        family = self.string(table, "family", path, default="custom")
        taken: dict[str, KeyPath] = {}
        params, symbols = self._params(table, path, taken)
        inputs = self._inputs(table, path, taken, symbols)
        if inputs is None:
            return None
        symbols.update((str(inp.symbol), inp.symbol) for inp in inputs)
        fields: dict[str, Any] = {
            "function": self._function(table, path, symbols),
            "derivative": self._derivative(table, path, symbols, [inp.name for inp in inputs]),
            "kinks": self._kinks(table, path, symbols),
            "identities": self._identities(table, path, symbols),
            "notes": self.strings(table, "notes", path),
            "references": self.strings(table, "references", path),
        }
        if len(self.problems) > before or fields["function"] is None or fields["derivative"] is None:
            return None
        return self._build(
            table, path, id=rid, title=title, family=family, inputs=tuple(inputs), params=tuple(params), **fields
        )

    def _build(self, table: Mapping[str, Any], path: KeyPath, **fields: Any) -> Rule | None:
        """The rule, validated by :class:`Rule` itself; its complaint is reported at the key it blames."""
        try:
            return Rule(**fields)
        except RuleError as exc:
            blamed = _present(table, exc.field)
            message = str(exc).removeprefix(f"rule {fields['id']!r}: ")
            at_key = len(blamed) == 2 and blamed[0] == "derivative"  # derivative.<name>: the name is to blame
            self.problem((*path, *blamed), message, at_key=at_key)
            return None

    # -------------------------------------------------------------- parameters and inputs
    def _params(
        self, table: Mapping[str, Any], path: KeyPath, taken: dict[str, KeyPath]
    ) -> tuple[list[Param], dict[str, sp.Basic]]:
        """The parameters, and the symbol of each one whose symbol could be read (also when another key of it
        could not: the expressions that use it then still parse)."""
        params: list[Param] = []
        symbols: dict[str, sp.Basic] = {}
        for j, pt in enumerate(self.tables(table, "params", path)):
            param = self._param(pt, (*path, "params", j), taken, symbols)
            if param is not None:
                params.append(param)
        return params, symbols

    def _param(
        self, pt: Mapping[str, Any], pp: KeyPath, taken: dict[str, KeyPath], symbols: dict[str, sp.Basic]
    ) -> Param | None:
        if not self.keys(pt, _PARAM_KEYS, pp, required=("name", "default")):
            return None
        name = self.string(pt, "name", pp)
        if name is None:
            return None
        symbol = self.symbol_name(pt, pp, name, taken)
        domain = self.domain(pt, pp)
        default = self.number(pt["default"], (*pp, "default"))
        if symbol is None or domain is None or default is None:
            return None
        samples = self._samples(pt, pp, domain)
        sym = symbols[symbol] = _symbol(symbol, domain)
        doc = self.prose(pt, "doc", pp)
        if doc is None:
            return None
        return Param(name, default, sym, domain, samples=samples, doc=doc)

    def _samples(self, pt: Mapping[str, Any], pp: KeyPath, domain: sp.Set) -> tuple[sp.Expr, ...]:
        """The parameter's extra sample values, each an exact number inside its domain."""
        raw = pt.get("samples", [])
        if not isinstance(raw, list):
            self.problem((*pp, "samples"), f"expected a list of numbers, got {toml_kind(raw)}")
            return ()
        samples: list[sp.Expr] = []
        for v in raw:
            value = self.number(v, (*pp, "samples"))
            if value is not None and value not in domain:
                self.problem(
                    (*pp, "samples"), f"sample {value} lies outside the parameter's domain {pt.get('domain', 'real')}"
                )
            elif value is not None:
                samples.append(value)
        return tuple(samples)

    def _inputs(
        self, table: Mapping[str, Any], path: KeyPath, taken: dict[str, KeyPath], symbols: Mapping[str, sp.Basic]
    ) -> list[Input] | None:
        """The declared inputs, or the function's variables when none are declared; None when the rule
        cannot be read further."""
        declared = self.tables(table, "inputs", path)
        if not declared:
            return self._variables(table, path, symbols)
        inputs = [self._input(it, (*path, "inputs", j), taken) for j, it in enumerate(declared)]
        return [inp for inp in inputs if inp is not None]

    def _input(self, it: Mapping[str, Any], ip: KeyPath, taken: dict[str, KeyPath]) -> Input | None:
        if not self.keys(it, _INPUT_KEYS, ip, required=("name",)):
            return None
        name = self.string(it, "name", ip)
        if name is None:
            return None
        symbol = self.symbol_name(it, ip, name, taken)
        domain = self.domain(it, ip)
        if symbol is None or domain is None:
            return None
        doc = self.prose(it, "doc", ip)
        if doc is None:
            return None
        return Input(name, _symbol(symbol, domain), domain, doc=doc)

    def _variables(
        self, table: Mapping[str, Any], path: KeyPath, symbols: Mapping[str, sp.Basic]
    ) -> list[Input] | None:
        """The function's variables (other than parameters), in order of appearance, each real."""
        text = table.get("function")
        if not isinstance(text, str):
            return []
        try:
            parsed = parse_expression(text, symbols, new_symbols=True, evaluated=False)
        except ParseError as exc:
            self.problem((*path, "function"), _parse_message(exc), exc.column)
            return None
        fresh = [n for n in parsed.names if n not in symbols]  # the grammar refuses reserved names itself
        if not fresh:
            self.problem((*path, "function"), "the function has no variable: declare its inputs with [[rule.inputs]]")
            return None
        return [Input(n, sp.Symbol(n, real=True), sp.S.Reals) for n in fresh]

    # -------------------------------------------------------------- expressions
    def _function(self, table: Mapping[str, Any], path: KeyPath, symbols: Mapping[str, sp.Basic]) -> Any:
        if "function" not in table:
            return None
        parsed = self.expression(table["function"], (*path, "function"), symbols, numbers=False)
        return None if parsed is None else without_distributions(parsed.expr)

    def _derivative(
        self, table: Mapping[str, Any], path: KeyPath, symbols: Mapping[str, sp.Basic], names: list[str]
    ) -> dict[str, Any] | None:
        """The claimed derivative per input: a table ``derivative.<input>``, or one expression w.r.t. the first."""
        if "derivative" not in table or not names:
            return None
        raw = table["derivative"]
        if isinstance(raw, dict):
            if not raw:
                self.problem((*path, "derivative"), 'no derivative given: derivative.<input> = "..."')
            given, paths = raw, {key: (*path, "derivative", key) for key in raw}
        else:
            given, paths = {names[0]: raw}, {names[0]: (*path, "derivative")}
        out: dict[str, Any] = {}
        for key, p in paths.items():
            parsed = self.expression(given[key], p, symbols)
            if parsed is not None:
                out[key] = parsed.expr
        return out if len(out) == len(paths) and out else None

    def _kinks(self, table: Mapping[str, Any], path: KeyPath, symbols: Mapping[str, sp.Basic]) -> list[Kink]:
        kinks = [self._kink(kt, (*path, "kinks", j), symbols) for j, kt in enumerate(self.tables(table, "kinks", path))]
        return [kk for kk in kinks if kk is not None]

    def _kink(self, kt: Mapping[str, Any], kp: KeyPath, symbols: Mapping[str, sp.Basic]) -> Kink | None:
        if not self.keys(kt, _KINK_KEYS, kp, required=("at", "left", "right", "torch")):
            return None
        values = {key: self.expression(kt[key], (*kp, key), symbols) for key in _KINK_VALUES if key in kt}
        wrt = self.string(kt, "wrt", kp)
        jump = kt.get("jump", False)
        if not isinstance(jump, bool):
            self.problem((*kp, "jump"), f"expected true or false, got {toml_kind(jump)}")
            return None
        note = self.prose(kt, "note", kp)
        if any(v is None for v in values.values()) or note is None or ("wrt" in kt and wrt is None):
            return None
        exprs = {key: v.expr for key, v in values.items() if v is not None}
        return Kink(
            exprs["at"],
            exprs["left"],
            exprs["right"],
            exprs["torch"],
            jax=exprs.get("jax"),
            wrt=wrt,
            jump=jump,
            note=note,
        )

    def _identities(self, table: Mapping[str, Any], path: KeyPath, symbols: Mapping[str, sp.Basic]) -> list[Identity]:
        out = [
            self._identity(it, (*path, "identities", j), symbols)
            for j, it in enumerate(self.tables(table, "identities", path))
        ]
        return [ident for ident in out if ident is not None]

    def _identity(self, it: Mapping[str, Any], ip: KeyPath, symbols: Mapping[str, sp.Basic]) -> Identity | None:
        if not self.keys(it, _IDENTITY_KEYS, ip, required=("lhs", "rhs")):
            return None
        relation = self.string(it, "relation", ip, default="=")
        if relation is None:
            return None
        if relation not in _RELATIONS:
            self.problem((*ip, "relation"), f"relation {relation!r} is not one of '=', '<=', '>='")
            return None
        lhs = self.expression(it["lhs"], (*ip, "lhs"), symbols)
        rhs = self.expression(it["rhs"], (*ip, "rhs"), symbols)
        note = self.prose(it, "note", ip)
        if lhs is None or rhs is None or note is None:
            return None
        return Identity(lhs.expr, rhs.expr, _RELATIONS[relation], note=note)


def _present(table: Mapping[str, Any], field: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """The longest start of ``field`` that is a key (or an index) of the TOML ``table``: where to point
    when the field itself was not written (a default)."""
    node: Any = table
    for n, part in enumerate(field):
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            continue
        if not isinstance(node, dict) or part not in node:
            return field[:n]
        node = node[part]
    return field


def _parse_message(exc: ParseError) -> str:
    return str(exc).split(": ", 1)[1] if str(exc).startswith("column ") else str(exc)


def _symbol(name: str, domain: sp.Set) -> sp.Symbol:
    """The sympy symbol for a name on a domain: positive when the domain is, else real."""
    if domain.is_subset(sp.Interval.open(0, sp.oo)):
        return sp.Symbol(name, positive=True)
    return sp.Symbol(name, real=True)
