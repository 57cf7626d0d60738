"""Benchmark: cloudc build time divided by the floor, measured side by side in one run.

The floor is a libyaml parse of the input plus one JSON read and one JSON write of every
output template. Ratios, not absolute times, are comparable between runs on a noisy machine.

    python bench/run.py            # N = 10, 100, 1000
    python bench/run.py 1000 3000  # other sizes
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.app import write_app  # noqa: E402
from cloudc.compile import compile_config  # noqa: E402
from cloudc.emit.writer import write_tree  # noqa: E402


def floor(config: Path, out: Path) -> float:
    """Time the floor: parse the input with libyaml, read and write every output template."""
    t0 = time.perf_counter()
    yaml.load(config.read_text(), Loader=yaml.CSafeLoader)
    for path in sorted(out.rglob("*.json")):
        doc = json.loads(path.read_text())
        (path.parent / (path.name + ".floor")).write_text(json.dumps(doc))
    elapsed = time.perf_counter() - t0
    for path in out.rglob("*.floor"):
        path.unlink()
    return elapsed


def cloudc_build(config: Path, out: Path) -> float:
    """Time one in-process cloudc build (compile + write) of the production environment."""
    t0 = time.perf_counter()
    build = compile_config(config, "production")
    assert not build.diagnostics.has_errors, build.diagnostics.errors[:3]
    write_tree(out, build.files())
    return time.perf_counter() - t0


def peak_memory_mib(config: Path, out: Path) -> float:
    """Return the peak RSS of a fresh `cloudc build` process, in MiB."""
    code = (
        "import resource, sys; from cloudc.cli import main; sys.argv=['cloudc','-q','build',"
        f"{str(config)!r},'--env','production','--out',{str(out)!r}]\n"
        "try: main()\nexcept SystemExit: pass\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return int(res.stdout.strip().splitlines()[-1]) / 1024


def main(sizes: list[int], rounds: int = 5) -> None:
    """Print, for each N, the median ratio of cloudc's build time to the floor."""
    print(f"{'N':>6} {'resources':>9} {'stacks':>6} {'floor s':>8} {'cloudc s':>9} "
          f"{'ratio':>6} {'peak MiB':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            folder = Path(tmp) / f"app{n}"
            config = write_app(folder, n)
            out = folder / "build" / "production"
            cloudc_build(config, out)  # warm up (imports, caches) and produce the output
            ratios, floors, builds = [], [], []
            for _ in range(rounds):
                gc.collect()
                b = cloudc_build(config, out)
                f = floor(config, out)
                builds.append(b)
                floors.append(f)
                ratios.append(b / f)
            manifest = json.loads((out / "manifest.json").read_text())
            nres = sum(t["resources"] for t in manifest["templates"][1:])
            mem = peak_memory_mib(config, folder / "build-mem")
            print(f"{n:>6} {nres:>9} {len(manifest['templates']) - 1:>6} "
                  f"{statistics.median(floors):>8.3f} {statistics.median(builds):>9.3f} "
                  f"{statistics.median(ratios):>6.2f} {mem:>8.0f}")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]] or [10, 100, 1000]
    main(args)
