"""Benchmark: verifying the catalog cold and cached, per-rule times, and `import cheatsheet` + get().

Run: python benchmarks/verify.py [--jobs N] [--repeat R]
Prints medians over R runs (these machines are noisy) and the targets of the catalog issue:
cold <= 20 s, cached <= 1 s, import + get <= 0.5 s (2-core machine).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def _run(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import cheatsheet
    from cheatsheet.verifier.runner import verify_many

    rules = cheatsheet.rules()
    cold, cached, per_rule = [], [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as cache:
            os.environ["CHEATSHEET_CACHE_DIR"] = cache
            start = time.perf_counter()
            verdicts = verify_many(rules, jobs=args.jobs, use_cache=True)
            cold.append(time.perf_counter() - start)
            per_rule.append([v.seconds for v in verdicts])
            start = time.perf_counter()
            verify_many(rules, jobs=args.jobs, use_cache=True)
            cached.append(time.perf_counter() - start)
    env = dict(os.environ)
    imports = [_run("import cheatsheet; cheatsheet.get('sigmoid').verdict", env) for _ in range(5)]
    baseline = [_run("pass", env) for _ in range(5)]
    times = [statistics.median(col) for col in zip(*per_rule, strict=False)]
    slowest = sorted(zip(times, (r.id for r in rules), strict=False), reverse=True)[:5]
    print(f"rules: {len(rules)}, jobs: {args.jobs}, repeats: {args.repeat} (medians)")
    print(f"cold verify (no cache):   {statistics.median(cold):6.2f} s   target <= 20 s")
    print(f"cached verify:            {statistics.median(cached):6.2f} s   target <= 1 s")
    print(
        f"per rule: median {statistics.median(times):.3f} s, max {max(times):.3f} s "
        f"({', '.join(f'{i} {t:.2f}' for t, i in slowest)})"
    )
    imp = statistics.median(imports) - statistics.median(baseline)
    print(
        f"import cheatsheet + get() + verdict: {statistics.median(imports):.3f} s "
        f"({imp:.3f} s above a bare interpreter)   target <= 0.5 s"
    )


if __name__ == "__main__":
    main()
