"""Developer entry point: ``python -m cheatsheet.verifier [IDS...] [--family F] [--torch] [--jobs N]``.

Verifies without touching the shipped record or the cache and prints one line per rule: handy while
writing catalog entries. Users run ``cheatsheet verify``.
"""

from __future__ import annotations

import argparse
import sys
import time

from cheatsheet.catalog import load
from cheatsheet.names import did_you_mean
from cheatsheet.rule import FAMILIES, Rule
from cheatsheet.verifier.runner import verify_many


def _select(parser: argparse.ArgumentParser, ids: list[str], family: str | None) -> list[Rule]:
    """The catalog's rules named by ``ids``, else those of ``family``, else all (a usage error names an unknown
    id or family, with the closest known one)."""
    by_id = {r.id: r for r in load()}
    for rule_id in ids:
        if rule_id not in by_id:
            parser.error(f"no rule {rule_id!r}.{did_you_mean(rule_id, list(by_id))}")
    if ids:
        return [by_id[i] for i in ids]
    if family is not None and family not in FAMILIES:
        parser.error(f"unknown family {family!r}; families are {list(FAMILIES)}.{did_you_mean(family, list(FAMILIES))}")
    return [r for r in by_id.values() if family is None or r.family == family]


def main(argv: list[str] | None = None) -> int:
    """Verify the selected rules (and compare them with PyTorch with ``--torch``); 1 when any fails."""
    parser = argparse.ArgumentParser(prog="python -m cheatsheet.verifier")
    parser.add_argument("ids", nargs="*")
    parser.add_argument("--family")
    parser.add_argument("--torch", action="store_true")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    rules = _select(parser, args.ids, args.family)
    start = time.perf_counter()
    verdicts = verify_many(rules, jobs=args.jobs, use_cache=False)
    bad = 0
    for v in verdicts:
        bad += v.status == "failed"
        print(f"{v.rule_id:34s} {v.seconds:6.2f}s  {v.summary()}")
    counts = {s: sum(v.status == s for v in verdicts) for s in ("proved", "checked", "failed")}
    print(f"{len(verdicts)} rules in {time.perf_counter() - start:.1f} s: {counts}")
    if args.torch:
        import torch

        from cheatsheet.conformance import check_rule

        for r in rules:
            res = check_rule(r, torch)
            bad += res.status == "differs"
            print(f"torch {r.id:28s} {res.summary()}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
