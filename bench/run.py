"""Benchmark: cloudc build against the floor, troposphere and cdk synth, side by side in one run.

    python bench/run.py                      # N = 100 and 1,000
    python bench/run.py --big                # also N = 10,000 (a few minutes)
    python bench/run.py 300 3000 --rounds 7  # other sizes
    python bench/run.py --baseline DIR       # also an older checkout (git worktree add DIR REV)
    python bench/run.py --no-cdk             # skip cdk synth even when aws-cdk is installed

Every number is a median over rounds that alternate the sides, on one machine in one run:
absolute times move with the machine's load, the ratios much less. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from bench.app import write_app  # noqa: E402 - after the sys.path line above

TROPO_PY = BENCH / ".venv" / "bin" / "python"


@dataclass
class Side:
    """The runs of one thing measured at one size."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)

    def med(self, what: str = "wall") -> float:
        values = getattr(self, what)
        return statistics.median(values) if values else float("nan")


def run_process(cmd: list[str], env: dict[str, str] | None = None,
                cwd: Path | None = None) -> tuple[str, float, float, float]:
    """Run `cmd`; return (stdout, wall s, cpu s, peak RSS MiB) of that process alone."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
    # wait4 gives this child's own rusage (peak RSS, CPU), not a sum over all children
    out = proc.stdout.read()  # type: ignore[union-attr]
    err = proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    return out.decode(), wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def tree_env(tree: Path) -> dict[str, str]:
    """The environment that makes `python` import cloudc from `tree`."""
    return {**os.environ, "PYTHONPATH": str(tree)}


def ensure_troposphere() -> bool:
    """Make bench/.venv (troposphere) on first use; say whether it is there."""
    if TROPO_PY.exists():
        return True
    base = getattr(sys, "_base_executable", sys.executable)
    print(f"making bench/.venv with troposphere (bench/setup.sh, {base}) ...", file=sys.stderr)
    res = subprocess.run(["bash", str(BENCH / "setup.sh")], env={**os.environ, "PYTHON": base},
                         check=False)
    return res.returncode == 0 and TROPO_PY.exists()


def cdk_command() -> list[str] | None:
    """Return how to run the cdk CLI (bench/node_modules, else on PATH), or None."""
    local = BENCH / "node_modules" / ".bin" / "cdk"
    if local.exists():
        return [str(local)]
    if shutil.which("cdk"):
        return ["cdk"]
    if shutil.which("npx"):
        probe = subprocess.run(["npx", "--no-install", "cdk", "--version"], capture_output=True,
                               cwd=BENCH, check=False)
        if probe.returncode == 0:
            return ["npx", "--no-install", "cdk"]
    return None


def fmt(x: float, width: int = 8, digits: int = 3) -> str:
    return f"{x:>{width}.{digits}f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("sizes", nargs="*", type=int, help="numbers of services (default 100 1000)")
    ap.add_argument("--big", action="store_true", help="also N = 10,000")
    ap.add_argument("--rounds", type=int, default=5, help="rounds per size (default 5; 3 at 10,000)")
    ap.add_argument("--baseline", type=Path, help="another cloudc checkout to measure alongside")
    ap.add_argument("--no-cdk", action="store_true", help="skip cdk synth")
    ap.add_argument("--cdk-size", type=int, default=1000, help="N for cdk synth (default 1000)")
    args = ap.parse_args()
    sizes = args.sizes or [100, 1000]
    if args.big and 10000 not in sizes:
        sizes.append(10000)
    trees = [("cloudc", ROOT)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    have_tropo = ensure_troposphere()
    cdk = None if args.no_cdk else cdk_command()

    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; "
          f"python {sys.version.split()[0]}")
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="cloudc-bench-") as tmp:
        for n in sizes:
            rounds = args.rounds if n < 10000 else min(args.rounds, 3)
            folder = Path(tmp) / f"app{n}"
            config = write_app(folder, n)
            sides: dict[str, Side] = {}
            floors: dict[str, Side] = {}
            info: dict[str, object] = {}
            # Alternate: each tree's worker (build and floor alternately inside), troposphere,
            # each tree's CLI as a whole process; repeated, then medians.
            for _ in range(2 if n >= 10000 else 3):
                for name, tree in trees:
                    out, *_ = run_process([sys.executable, str(BENCH / "worker.py"), str(config),
                                           str(folder / f"out-{name}"), str(max(1, rounds // 2))],
                                          env=tree_env(tree), cwd=tree)
                    got = json.loads(out)
                    s = sides.setdefault(name, Side())
                    f = floors.setdefault(name, Side())
                    s.wall += got["build"]
                    s.cpu += got["build_cpu"]
                    f.wall += got["floor"]
                    f.cpu += got["floor_cpu"]
                    info.setdefault(name, got)
                if have_tropo:
                    out, wall, cpu, rss = run_process([str(TROPO_PY), str(BENCH / "tropo_app.py"),
                                                       str(n), str(folder / "out-tropo"),
                                                       str(folder / "src")])
                    got = json.loads(out)
                    t = sides.setdefault("troposphere", Side())
                    t.wall.append(got["seconds"])
                    t.cpu.append(got["cpu"])
                    p = sides.setdefault("troposphere process", Side())
                    p.wall.append(wall)
                    p.cpu.append(cpu)
                    p.rss_mib.append(rss)
                for name, tree in trees:
                    target = folder / f"cli-{name}"
                    _, wall, cpu, rss = run_process(
                        [sys.executable, "-m", "cloudc", "-q", "build", str(config), "--env",
                         "production", "--out", str(target)], env=tree_env(tree), cwd=tree)
                    p = sides.setdefault(f"{name} process", Side())
                    p.wall.append(wall)
                    p.cpu.append(cpu)
                    p.rss_mib.append(rss)
            if cdk and n == args.cdk_size:
                cdk_out = folder / "cdk.out"
                try:
                    _, wall, cpu, rss = run_process(
                        [*cdk, "synth", "--app", f"node {BENCH / 'cdk_app.js'}", "-o",
                         str(cdk_out), "-q"],
                        env={**os.environ, "BENCH_N": str(n), "BENCH_CODE": str(folder / "src"),
                             "CDK_DISABLE_VERSION_CHECK": "1", "CDK_DISABLE_CLI_TELEMETRY": "1"},
                        cwd=BENCH)
                except SystemExit as exc:  # cdk is optional: say so and go on
                    print(f"cdk synth failed: {str(exc)[-500:]}", file=sys.stderr)
                    rows.append({"n": n, "sides": sides, "floors": floors, "info": info})
                    continue
                # wait4's rusage counts the CLI's reaped children too (the node synth): CPU is
                # their sum, peak RSS the largest of them.
                c = sides.setdefault("cdk synth process", Side())
                c.wall.append(wall)
                c.cpu.append(cpu)
                c.rss_mib.append(rss)
            rows.append({"n": n, "sides": sides, "floors": floors, "info": info})

    print()
    print("In-process, cloudc build (compile + files + atomic write) against the floor (libyaml")
    print("load of the input + JSON read and compact write of every output template), same process,")
    print("alternating; medians. 'tropo' is troposphere building the same resources and writing")
    print("compact JSON (no input to parse, nothing validated), timed inside its process.")
    head = f"{'N':>6} {'resources':>9} {'stacks':>6} {'floor s':>8}"
    for name, _ in trees:
        head += f" {name + ' s':>11} {'/floor':>6}"
    if have_tropo:
        head += f" {'tropo s':>8} {'cloudc/tropo':>12}"
    head += f" {'cpu/floor':>9}"
    print(head)
    base_per = None
    for row in rows:
        sides, floors, info = row["sides"], row["floors"], row["info"]  # type: ignore[assignment]
        main_info = info["cloudc"]  # type: ignore[index]
        fl = floors["cloudc"]  # type: ignore[index]
        line = (f"{row['n']:>6} {main_info['resources']:>9} {main_info['stacks']:>6} "
                f"{fmt(fl.med())}")
        for name, _ in trees:
            s, f = sides[name], floors[name]  # type: ignore[index]
            ratio = statistics.median(b / x for b, x in zip(s.wall, f.wall, strict=True))
            line += f" {fmt(s.med(), 11)} {fmt(ratio, 6, 2)}"
        if have_tropo:
            t = sides["troposphere"]  # type: ignore[index]
            line += f" {fmt(t.med())} {fmt(sides['cloudc'].med() / t.med(), 12, 2)}"  # type: ignore[index]
        s, f = sides["cloudc"], floors["cloudc"]  # type: ignore[index]
        line += f" {fmt(statistics.median(b / x for b, x in zip(s.cpu, f.cpu, strict=True)), 9, 2)}"
        print(line)

    print()
    print("Whole processes (interpreter start, imports, build, write), medians: wall s, CPU s, "
          "peak RSS MiB.")
    names = [f"{n} process" for n, _ in trees] + (["troposphere process"] if have_tropo else [])
    print(f"{'N':>6} " + " ".join(f"{n.replace(' process', ''):>26}" for n in names)
          + f" {'cdk synth':>26}")
    for row in rows:
        sides = row["sides"]  # type: ignore[assignment]
        cells = []
        for name in names + ["cdk synth process"]:
            p = sides.get(name)  # type: ignore[union-attr]
            if p is None:
                cells.append(f"{'-':>26}")
            else:
                cells.append(f"{p.med():>8.2f} {p.med('cpu'):>8.2f} {p.med('rss_mib'):>8.0f}")
        print(f"{row['n']:>6} " + " ".join(cells))
    if args.no_cdk:
        print("cdk: skipped (--no-cdk)")
    elif not cdk:
        print("cdk: not installed (bench/setup.sh --cdk installs it into bench/node_modules)")
    elif args.cdk_size not in sizes:
        print(f"cdk: installed; synth runs at N = {args.cdk_size} only (--cdk-size)")

    print()
    print("Linearity: seconds per 1,000 resources (in-process build; floor), and growth against the")
    print("smallest N (1.00 = linear).")
    for row in rows:
        s = row["sides"]["cloudc"]  # type: ignore[index]
        f = row["floors"]["cloudc"]  # type: ignore[index]
        res = row["info"]["cloudc"]["resources"]  # type: ignore[index]
        per = s.med() / res * 1000
        fper = f.med() / res * 1000
        if base_per is None:
            base_per = (per, fper)
        print(f"{row['n']:>6}: cloudc {per:.3f} s ({per / base_per[0]:.2f}), "
              f"floor {fper:.3f} s ({fper / base_per[1]:.2f})")
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
