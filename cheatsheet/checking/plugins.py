"""Rules from installed packages: the entry point group ``cheatsheet.catalogs``, each loaded under a time limit.

Each entry point names a callable giving :class:`~cheatsheet.rule.Rule` objects and/or paths of TOML rule
files (read by :mod:`cheatsheet.checking.rulefile`). A plugin is first loaded in a forked child that is
killed when it is late (:data:`PLUGIN_SECONDS`): an import or a catalog function that hangs, even in C code
that no signal interrupts, cannot stop the build. A plugin that is broken is reported by name, never with
a traceback.
"""

from __future__ import annotations

import importlib.metadata
import os
from contextlib import ExitStack
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from cheatsheet.checking.problems import CustomRuleError, Problem
from cheatsheet.checking.rulefile import read_rule_file
from cheatsheet.grammar.errors import InputError
from cheatsheet.rule import Rule
from cheatsheet.timelimit import TimeLimitError, run_limited

__all__ = ["ENTRY_POINT_GROUP", "PLUGIN_SECONDS", "load_plugins", "plugin_rules"]

#: The entry point group through which packages ship rules.
ENTRY_POINT_GROUP = "cheatsheet.catalogs"
#: Seconds a plugin catalog may take to import and to give its rules.
PLUGIN_SECONDS = 30.0


def plugin_rules(group: str = ENTRY_POINT_GROUP) -> list[Rule]:
    """The rules of every installed plugin (entry point group ``cheatsheet.catalogs``), validated;
    raises :class:`CustomRuleError` listing every broken plugin."""
    found, problems = load_plugins(group)
    if problems:
        raise CustomRuleError(problems)
    return [r for r, _ in found]


def load_plugins(group: str = ENTRY_POINT_GROUP) -> tuple[list[tuple[Rule, str]], list[Problem]]:
    """Every plugin's rules with where each came from (``plugin 'name' (module:function, from dist)``, and the
    file for a rule file), and the problems of the plugins that are broken."""
    found: list[tuple[Rule, str]] = []
    problems: list[Problem] = []
    for ep in _entry_points(group):
        dist = getattr(ep, "dist", None)
        origin = f"plugin {ep.name!r} ({ep.value}{', from ' + dist.name if dist is not None else ''})"
        try:
            items = _load_plugin(ep, origin)
        except CustomRuleError as exc:
            problems.extend(exc.problems)
            continue
        for item in items:
            _add_item(item, origin, found, problems)
    return found, problems


def _add_item(item: Any, origin: str, found: list[tuple[Rule, str]], problems: list[Problem]) -> None:
    """One thing a plugin gave: a Rule, or a rule file whose rules (or problems) are added."""
    if isinstance(item, Rule):
        found.append((item, origin))
    elif isinstance(item, (str, os.PathLike, Traversable)):
        try:
            with ExitStack() as stack:
                if isinstance(item, Traversable) and not isinstance(item, Path):
                    item = stack.enter_context(resources.as_file(item))
                rules, sources = read_rule_file(item)
            found.extend((r, f"{origin}: {sources[r.id]}") for r in rules)
        except CustomRuleError as exc:
            problems.extend(Problem(f"{origin}: {p.location}", p.message) for p in exc.problems)
    else:
        problems.append(
            Problem(origin, f"gave {type(item).__name__!s}; expected Rule objects or paths of TOML rule files")
        )


def _entry_points(group: str) -> list[importlib.metadata.EntryPoint]:
    eps = importlib.metadata.entry_points(group=group)
    unique: dict[tuple[str, str], importlib.metadata.EntryPoint] = {}
    for ep in eps:  # the same distribution found twice on sys.path lists its entry point twice
        unique.setdefault((ep.name, ep.value), ep)
    return sorted(unique.values(), key=lambda ep: (ep.name, ep.value))


class _NotCallable(Exception):
    """An entry point that names something other than a callable."""


def _plugin_items(ep: importlib.metadata.EntryPoint) -> list[Any]:
    """What a plugin's entry point gives: its callable's result as a list (Rule objects, paths)."""
    obj = ep.load()
    if not callable(obj):
        raise _NotCallable(type(obj).__name__)
    result = obj()
    single = isinstance(result, (Rule, str, bytes, os.PathLike)) or (
        isinstance(result, Traversable) and not hasattr(result, "__iter__")
    )
    return [result] if single else list(result)


def _probe_plugin(ep: importlib.metadata.EntryPoint) -> str:
    """In a forked child: load the plugin and call it, to learn that it finishes (its result stays there);
    returns what is wrong with it, or ""."""
    try:
        _plugin_items(ep)
    except BaseException as exc:
        return _plugin_problem(exc)
    return ""


def _plugin_problem(exc: BaseException) -> str:
    if isinstance(exc, _NotCallable):
        return f"names a {exc}, not a callable; expected a function returning Rule objects or paths of TOML rule files"
    return f"cannot be loaded: {type(exc).__name__}: {exc}"


def _load_plugin(ep: importlib.metadata.EntryPoint, origin: str) -> list[Any]:
    """The items of one plugin, loaded under :data:`PLUGIN_SECONDS`: first in a forked child that is killed
    when late (an import or a catalog function that hangs, even in C code no signal interrupts, cannot stop
    the build), then, once that finished, in this process (Rule objects keep their unevaluated, as-written
    expressions, which pickling them back from the child would not). Raises CustomRuleError naming the plugin."""
    try:
        problem = run_limited(_probe_plugin, ep, seconds=PLUGIN_SECONDS, what=origin)
    except TimeLimitError:
        raise CustomRuleError(
            [
                Problem(
                    origin,
                    f"did not load within {PLUGIN_SECONDS:g} s (its import or its catalog "
                    "function hangs or is too slow); fix or uninstall it, or build with --no-plugins",
                )
            ]
        ) from None
    except InputError:  # the child died (out of memory, a crash, os._exit)
        raise CustomRuleError(
            [
                Problem(
                    origin,
                    "cannot be loaded: the process loading it stopped unexpectedly "
                    "(a crash, an exit, or out of memory)",
                )
            ]
        ) from None
    if problem:
        raise CustomRuleError([Problem(origin, problem)])
    try:
        return _plugin_items(ep)
    except (Exception, SystemExit) as exc:
        raise CustomRuleError([Problem(origin, _plugin_problem(exc))]) from None
