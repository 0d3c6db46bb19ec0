"""Verify many rules: in parallel over processes, trusting the shipped record and a cache keyed by each rule's
content hash and the verifier's version, so that a run verifies only what changed.

A build reads the verdict of every rule the shipped record (``cheatsheet/data/verdicts.json``) vouches for (same
content hash, same verifier version), then the user's cache, and verifies the rest: custom rules, edited rules.
The pools start workers with :func:`cheatsheet.pools.context` (fork where it exists, else spawn).
"""

from __future__ import annotations

import functools
import os
import pickle
import traceback
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cheatsheet.rule import Rule
from cheatsheet.verifier.engine import verify_rule
from cheatsheet.verifier.hashing import VERIFIER_VERSION, rule_hash
from cheatsheet.verifier.verdict import Verdict

__all__ = ["Verification", "cache_dir", "trusted_verdicts", "verify_many", "verify_sources"]


def cache_dir() -> Path:
    """Where verdicts are cached: ``$CHEATSHEET_CACHE_DIR`` or ``$XDG_CACHE_HOME/cheatsheet`` (~/.cache)."""
    root = os.environ.get("CHEATSHEET_CACHE_DIR")
    base = Path(root) if root else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cheatsheet"
    return base / "verdicts" / VERIFIER_VERSION


def _cached(rule: Rule, digest: str) -> Verdict | None:
    """The cached verdict of ``rule`` (content hash ``digest``); None when there is none, or the entry is damaged,
    edited or of the wrong shape (:mod:`cheatsheet.cache` checks its digest), or names another rule."""
    from cheatsheet import cache

    entry = cache.read_json(cache_dir(), digest)
    if not isinstance(entry, dict):
        return None
    try:
        v = Verdict.from_dict(entry)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return v if v.rule_id == rule.id and v.content_hash == digest else None


def _store(v: Verdict) -> None:
    """Cache a verdict by its rule's content hash (a cache that cannot be written only costs time)."""
    from cheatsheet import cache

    cache.write_json(cache_dir(), v.content_hash, v.to_dict())


def _safe_verify(rule: Rule, prove: bool) -> Verdict:
    """verify_rule, with a crash turned into a failed verdict that names it (never a lost run)."""
    try:
        return verify_rule(rule, prove=prove)
    except Exception as exc:  # reported as the rule's verdict
        last = traceback.extract_tb(exc.__traceback__)[-1]
        return Verdict(
            rule.id,
            "failed",
            reason=f"the verifier could not check this rule: {exc} ({last.filename.rsplit('/', 1)[-1]}:{last.lineno})",
            content_hash=rule_hash(rule),
            verifier_version=VERIFIER_VERSION,
        )


# ------------------------------------------------------------------------------ the record
def trusted_verdicts(
    rules: Sequence[Rule], record: Path | Mapping[str, Mapping[str, Any]], digests: Sequence[str] | None = None
) -> dict[int, Verdict]:
    """Index -> verdict for the rules that the shipped record vouches for.

    ``record`` is the record file (``cheatsheet/data/verdicts.json``, :data:`cheatsheet.verifier.record.RECORD_PATH`)
    or its parsed ``rules`` table. A verdict is trusted only when its entry names the rule, its ``content_hash``
    is the rule's hash now and its ``verifier_version`` (and the record's) is this verifier's: an edited rule, a
    custom rule, an entry whose hash was altered, or a record of another verifier version is verified instead.
    Only ``proved`` and ``checked`` verdicts are trusted; a recorded failure is verified again (it may have been
    a time limit), so that a build never stops on a verdict it did not reproduce.
    """
    table: Mapping[str, Mapping[str, Any]]
    if isinstance(record, Path):
        from cheatsheet.verifier.record import load_record_file

        table, version = load_record_file(record)
        if version != VERIFIER_VERSION:
            return {}
    else:
        table = record
    out: dict[int, Verdict] = {}
    for idx, rule in enumerate(rules):
        entry = table.get(rule.id)
        if not isinstance(entry, Mapping) or entry.get("status") not in ("proved", "checked"):
            continue
        digest = digests[idx] if digests is not None else rule_hash(rule)
        if entry.get("content_hash") != digest or entry.get("verifier_version") != VERIFIER_VERSION:
            continue
        try:
            verdict = Verdict.from_dict(dict(entry))
        except (KeyError, TypeError, ValueError):
            continue  # a damaged entry is no evidence: the rule is verified
        if verdict.rule_id == rule.id and verdict.content_hash == digest:
            out[idx] = verdict
    return out


# ------------------------------------------------------------------------------ workers
_SHARED: list[Rule] = []


def _verify_shared(idx: int, prove: bool) -> Verdict:
    """In a forked worker: the rule is the parent's own object, inherited with this module's memory."""
    return _safe_verify(_SHARED[idx], prove)


@functools.cache
def _catalog_by_id() -> dict[str, Rule]:
    from cheatsheet.catalog import load

    return {r.id: r for r in load()}


def _rebuild(rule_id: str, digest: str, pickled: bytes | None) -> Rule | None:
    """The rule ``rule_id`` whose content hash is ``digest``, rebuilt in a spawned worker: the catalog's rule of
    that id (the catalog is built once per worker), else the pickled rule (a custom rule from a --rules file or a
    plugin survives pickling), else None. A rule is used only when its hash is the parent's, so a worker never
    verifies anything but the rule it was given."""
    rule = _catalog_by_id().get(rule_id)
    if rule is not None and rule_hash(rule) == digest:
        return rule
    if pickled is not None:
        try:
            candidate = pickle.loads(pickled)  # bytes this process's parent pickled a moment ago
        except Exception:  # any unpickling problem: the parent verifies the rule itself
            return None
        if isinstance(candidate, Rule) and rule_hash(candidate) == digest:
            return candidate
    return None


def _verify_ref(rule_id: str, digest: str, pickled: bytes | None, prove: bool) -> Verdict | None:
    """In a spawned worker: the verdict of the rule rebuilt by :func:`_rebuild`, or None when it cannot be."""
    rule = _rebuild(rule_id, digest, pickled)
    return None if rule is None else _safe_verify(rule, prove)


def _pickled(rule: Rule) -> bytes | None:
    try:
        return pickle.dumps(rule, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # e.g. a plugin's rule holding a lambda: verified in this process
        return None


# ------------------------------------------------------------------------------ verify many
@dataclass(frozen=True)
class Verification:
    """Verdicts of many rules, with where each came from: ``sources[k]`` is 'record' (the shipped record
    vouched for it), 'cache' (the user's verdict cache) or 'verified' (the verifier ran now)."""

    verdicts: list[Verdict]
    sources: list[str]

    def count(self, source: str) -> int:
        """How many verdicts came from ``source``."""
        return sum(s == source for s in self.sources)


def verify_many(
    rules: Sequence[Rule],
    *,
    jobs: int = 1,
    use_cache: bool = True,
    prove: bool = True,
    progress: Callable[[Verdict, bool], None] | None = None,
    record: Path | Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Verdict]:
    """Verdicts for ``rules`` (in their order); ``progress(verdict, reused)`` is called as each ends (``reused``:
    from the record or the cache). ``record``: see :func:`verify_sources`."""
    return verify_sources(rules, jobs=jobs, use_cache=use_cache, prove=prove, progress=progress, record=record).verdicts


def verify_sources(
    rules: Sequence[Rule],
    *,
    jobs: int = 1,
    use_cache: bool = True,
    prove: bool = True,
    progress: Callable[[Verdict, bool], None] | None = None,
    record: Path | Mapping[str, Mapping[str, Any]] | None = None,
) -> Verification:
    """Verdicts for ``rules`` and their sources: first the shipped ``record`` (a path or its rules table; None:
    not consulted) for every rule it vouches for (:func:`trusted_verdicts`), then the user's cache, and the
    verifier for the rest, on ``jobs`` processes (``jobs=1`` never starts a pool)."""
    run = _Run(rules, prove, use_cache and prove, progress)
    if record is not None and prove:
        for idx, v in trusted_verdicts(rules, record, [run.digest(k) for k in range(len(rules))]).items():
            run.reused(idx, v, "record")
    todo: list[int] = []
    for idx, r in enumerate(rules):
        if idx in run.results:
            continue
        hit = _cached(r, run.digest(idx)) if use_cache and prove else None
        if hit is not None:
            run.reused(idx, hit, "cache")
        else:
            todo.append(idx)
    if jobs > 1 and len(todo) > 1:
        from cheatsheet.pools import shares_memory

        (_verify_forked if shares_memory() else _verify_spawned)(run, todo, min(jobs, len(todo)))
    else:
        for idx in todo:
            run.verified(idx, _safe_verify(rules[idx], prove))
    return Verification(
        [run.results[idx] for idx in range(len(rules))], [run.sources[idx] for idx in range(len(rules))]
    )


class _Run:
    """One :func:`verify_sources` call: the rules, their verdicts and sources so far, content hashes computed
    when first needed (a mutation run without cache or record hashes nothing)."""

    def __init__(
        self, rules: Sequence[Rule], prove: bool, store: bool, progress: Callable[[Verdict, bool], None] | None
    ) -> None:
        self.rules, self.prove, self.store, self.progress = rules, prove, store, progress
        self.results: dict[int, Verdict] = {}
        self.sources: dict[int, str] = {}
        self._digests: dict[int, str] = {}

    def digest(self, idx: int) -> str:
        """The content hash of rule ``idx``."""
        if idx not in self._digests:
            self._digests[idx] = rule_hash(self.rules[idx])
        return self._digests[idx]

    def reused(self, idx: int, v: Verdict, source: str) -> None:
        """Rule ``idx``'s verdict, taken from the record or the cache."""
        self.results[idx], self.sources[idx] = v, source
        if self.progress:
            self.progress(v, True)

    def verified(self, idx: int, v: Verdict) -> None:
        """Rule ``idx``'s verdict, verified now (cached unless it failed)."""
        self.results[idx], self.sources[idx] = v, "verified"
        _finish(v, self.store, self.progress)


def _verify_forked(run: _Run, todo: list[int], workers: int) -> None:
    """Verify on forked workers, which find the rules in this module's memory: pickling would rebuild the
    catalog's unevaluated (textbook-ordered) expressions in sympy's canonical form."""
    from cheatsheet.pools import context

    global _SHARED
    _SHARED = list(run.rules)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context()) as pool:
            futures = {pool.submit(_verify_shared, idx, run.prove): idx for idx in todo}
            for done in as_completed(futures):
                run.verified(futures[done], done.result())
    finally:
        _SHARED = []


def _verify_spawned(run: _Run, todo: list[int], workers: int) -> None:
    """Verify on spawned workers, which see none of this process's globals: each gets the rule's id and hash
    (and the pickled rule for what is not in the catalog) and rebuilds exactly that rule, or declines; the
    rules no worker could rebuild (e.g. patched in this process) are verified here."""
    from cheatsheet.pools import context

    declined: list[int] = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=context()) as pool:
        refs = {
            pool.submit(_verify_ref, run.rules[idx].id, run.digest(idx), _pickled(run.rules[idx]), run.prove): idx
            for idx in todo
        }
        for fut in as_completed(refs):
            got = fut.result()
            if got is None:
                declined.append(refs[fut])
            else:
                run.verified(refs[fut], got)
    for idx in sorted(declined):
        run.verified(idx, _safe_verify(run.rules[idx], run.prove))


def _finish(v: Verdict, store: bool, progress: Callable[[Verdict, bool], None] | None) -> None:
    if store and v.status != "failed":
        _store(v)
    if progress:
        progress(v, False)
