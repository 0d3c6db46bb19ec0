"""Verify many rules: in parallel over processes, with a cache keyed by each rule's content hash and
the verifier's version, so that a re-run verifies only what changed."""

from __future__ import annotations

import json
import multiprocessing
import os
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from cheatsheet.fsutil import atomic_write
from cheatsheet.rule import Rule
from cheatsheet.verify.engine import verify_rule
from cheatsheet.verify.hashing import VERIFIER_VERSION, rule_hash
from cheatsheet.verify.verdict import Verdict

__all__ = ["cache_dir", "verify_many"]


def cache_dir() -> Path:
    """Where verdicts are cached: ``$CHEATSHEET_CACHE_DIR`` or ``$XDG_CACHE_HOME/cheatsheet`` (~/.cache)."""
    root = os.environ.get("CHEATSHEET_CACHE_DIR")
    if root:
        base = Path(root)
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cheatsheet"
    return base / "verdicts" / VERIFIER_VERSION


def _cached(rule: Rule, digest: str) -> Verdict | None:
    path = cache_dir() / f"{digest}.json"
    try:
        v = Verdict.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None
    return v if v.rule_id == rule.id and v.content_hash == digest else None


def _store(v: Verdict) -> None:
    try:
        atomic_write(cache_dir() / f"{v.content_hash}.json", json.dumps(v.to_dict(), sort_keys=True))
    except OSError:
        pass  # a read-only cache only costs time


def _safe_verify(rule: Rule, prove: bool) -> Verdict:
    """verify_rule, with a crash turned into a failed verdict that names it (never a lost run)."""
    try:
        return verify_rule(rule, prove=prove)
    except Exception as exc:  # noqa: BLE001 - reported as the rule's verdict
        last = traceback.extract_tb(exc.__traceback__)[-1]
        return Verdict(
            rule.id, "failed", reason=f"the verifier could not check this rule: {exc} ({last.filename.rsplit('/', 1)[-1]}:{last.lineno})",
            content_hash=rule_hash(rule), verifier_version=VERIFIER_VERSION,
        )


_SHARED: list[Rule] = []


def _verify_shared(idx: int, prove: bool) -> Verdict:
    return _safe_verify(_SHARED[idx], prove)


def verify_many(
    rules: Sequence[Rule],
    *,
    jobs: int = 1,
    use_cache: bool = True,
    prove: bool = True,
    progress: Callable[[Verdict, bool], None] | None = None,
) -> list[Verdict]:
    """Verdicts for ``rules`` (in their order); ``progress(verdict, from_cache)`` is called as each ends."""
    results: dict[int, Verdict] = {}
    todo: list[int] = []
    for idx, r in enumerate(rules):
        v = _cached(r, rule_hash(r)) if use_cache and prove else None
        if v is not None:
            results[idx] = v
            if progress:
                progress(v, True)
        else:
            todo.append(idx)
    if jobs > 1 and len(todo) > 1:
        # Workers are forked and find the rules in this module's memory: pickling would rebuild the
        # catalog's unevaluated (textbook-ordered) expressions in sympy's canonical form.
        global _SHARED
        _SHARED = list(rules)
        try:
            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=ctx) as pool:
                futures = {pool.submit(_verify_shared, idx, prove): idx for idx in todo}
                for fut in as_completed(futures):
                    idx = futures[fut]
                    results[idx] = fut.result()
                    _finish(results[idx], use_cache and prove, progress)
        finally:
            _SHARED = []
    else:
        for idx in todo:
            results[idx] = _safe_verify(rules[idx], prove)
            _finish(results[idx], use_cache and prove, progress)
    return [results[idx] for idx in range(len(rules))]


def _finish(v: Verdict, store: bool, progress: Callable[[Verdict, bool], None] | None) -> None:
    if store and v.status != "failed":
        _store(v)
    if progress:
        progress(v, False)
