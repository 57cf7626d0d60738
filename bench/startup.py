"""Benchmark: how fast the CLI starts and how fast `cloudc validate` runs (issue 15, items 1-2).

    python bench/startup.py                      # 15 rounds
    python bench/startup.py --rounds 25          # more rounds on a noisy machine
    python bench/startup.py --baseline DIR       # also an older checkout, side by side

Each round runs every command once, alternating the trees, as whole processes (`python -m
cloudc ...`, the same interpreter and `PYTHONPATH=<tree>`); the tables show medians of wall and
CPU seconds (the child's own rusage) and the ratio to the floor `python -c pass`. Absolute
times move with the machine's load, the ratios much less. The trees are byte-compiled first
(`compileall`): with PYTHONDONTWRITEBYTECODE set every run would otherwise compile cloudc.

Linearity: `validate` of the synthetic app of bench/app.py at n, 2n and 4n services; `growth`
is the extra time of the second doubling over that of the first (2 when linear, 4 when
quadratic). See bench/README.md.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from bench.app import write_app  # noqa: E402 - after the sys.path line above

TARGETS = {"--version": 0.15, "--help": 0.15, "validate api-only": 0.40}


def run_once(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Run `cmd` to the end; return (wall s, cpu s) of that process alone."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            cwd=cwd)
    err = proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err.decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def commands(app_dir: Path, sizes: list[int]) -> dict[str, list[str]]:
    """Return the measured commands by label (each run with `python`)."""
    cloudc = ["-m", "cloudc"]
    out = {
        "python -c pass": ["-c", "pass"],
        "python -c 'import click'": ["-c", "import click"],
        "--version": [*cloudc, "--version"],
        "--help": [*cloudc, "--help"],
        "validate api-only": [*cloudc, "validate", str(ROOT / "examples/api-only/cloud.yaml")],
    }
    for n in sizes:
        out[f"validate bench n={n}"] = [*cloudc, "validate", str(app_dir / f"app{n}/cloud.yaml")]
    return out


def main() -> None:
    """Measure, then print one table per tree and the side-by-side ratios."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--baseline", type=Path, help="an older checkout to measure side by side")
    ap.add_argument("--n", type=int, default=50, help="linearity: n, 2n and 4n services")
    args = ap.parse_args()
    trees = {"this": ROOT}
    if args.baseline:
        trees["baseline"] = args.baseline.resolve()
    for tree in trees.values():
        compileall.compile_dir(tree / "cloudc", quiet=1)
    sizes = [args.n, 2 * args.n, 4 * args.n]
    with tempfile.TemporaryDirectory(prefix="cloudc-startup-") as tmp:
        for n in sizes:
            write_app(Path(tmp) / f"app{n}", n)
        cmds = commands(Path(tmp), sizes)
        walls: dict[tuple[str, str], list[float]] = {}
        cpus: dict[tuple[str, str], list[float]] = {}
        load = os.getloadavg()[0]
        for _ in range(args.rounds):
            for label, argv in cmds.items():
                for name, tree in trees.items():
                    if label.startswith("python -c") and name != "this":
                        continue  # the floors do not depend on the tree
                    env = {**os.environ, "PYTHONPATH": str(tree), "NO_COLOR": "1"}
                    wall, cpu = run_once([sys.executable, *argv], env, Path(tmp))
                    walls.setdefault((name, label), []).append(wall)
                    cpus.setdefault((name, label), []).append(cpu)
    med = {k: statistics.median(v) for k, v in walls.items()}
    cmed = {k: statistics.median(v) for k, v in cpus.items()}
    floor = med[("this", "python -c pass")]
    print(f"{args.rounds} rounds, load average {load:.2f} at the start, {os.cpu_count()} cores")
    print(f"{'command':28} {'tree':9} {'wall s':>7} {'cpu s':>7} {'/floor':>7} {'target':>7}")
    for label in cmds:
        for name in trees:
            if (name, label) not in med:
                continue
            target = TARGETS.get(label)
            print(f"{label:28} {name:9} {med[name, label]:7.3f} {cmed[name, label]:7.3f} "
                  f"{med[name, label] / floor:7.2f} {f'{target:.2f}' if target else '':>7}")
    for name in trees:
        growth = []
        for table in (med, cmed):
            a, b, c = (table[name, f"validate bench n={n}"] for n in sizes)
            growth.append(f"{(c - b) / (b - a):.2f}")
        print(f"{name}: validate growth n->2n->4n = {growth[0]} wall, {growth[1]} cpu "
              "(2 when linear)")
    if "baseline" in trees:
        print(f"{'this / baseline':28} {'wall':>7} {'cpu':>7}")
        for label in cmds:
            if ("baseline", label) in med:
                print(f"  {label:26} {med['this', label] / med['baseline', label]:7.2f} "
                      f"{cmed['this', label] / cmed['baseline', label]:7.2f}")


if __name__ == "__main__":
    main()
