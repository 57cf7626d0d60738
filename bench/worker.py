"""One measuring process of bench/run.py: cloudc's build and the floor, alternately, in-process.

    PYTHONPATH=TREE python bench/worker.py CONFIG OUT ROUNDS

imports cloudc from TREE (the checkout under test, or a baseline), builds CONFIG's
`production` environment once to warm up, then ROUNDS times: one timed build (compile, output
files, atomic write of the tree) and one timed floor over the same input and output. Prints one
JSON object of lists (seconds of wall and CPU time per round), plus the build's size.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path

import yaml

from cloudc.compile import compile_config
from cloudc.emit.writer import write_tree


def build(config: Path, out: Path) -> tuple[float, float]:
    """Time one cloudc build (compile + files + atomic write): (wall, cpu) seconds."""
    t0, c0 = time.perf_counter(), time.process_time()
    result = compile_config(config, "production")
    if result.diagnostics.has_errors:
        raise SystemExit("\n".join(d.text() for d in result.diagnostics.errors[:5]))
    write_tree(out, result.files())
    return time.perf_counter() - t0, time.process_time() - c0


def floor(config: Path, out: Path) -> tuple[float, float]:
    """Time the floor: a libyaml load of the input, then a JSON read and a compact JSON write
    of every output template (the least any compiler of this input to this output does).

    The cyclic garbage collector is paused here too, as cloudc pauses it while it builds.
    """
    paths = sorted(out.rglob("*.json"))
    gc.disable()
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        yaml.load(config.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        for path in paths:
            doc = json.loads(path.read_text(encoding="utf-8"))
            (path.parent / (path.name + ".floor")).write_text(json.dumps(doc), encoding="utf-8")
        elapsed = time.perf_counter() - t0, time.process_time() - c0
    finally:
        gc.enable()
    for path in out.rglob("*.floor"):
        path.unlink()
    return elapsed


def main() -> None:
    config, out, rounds = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    build(config, out)  # warm up: imports, caches, and the output the floor reads
    got: dict[str, list[float]] = {"build": [], "build_cpu": [], "floor": [], "floor_cpu": []}
    for _ in range(rounds):
        gc.collect()  # each side starts clean: no garbage left by the other
        wall, cpu = build(config, out)
        got["build"].append(wall)
        got["build_cpu"].append(cpu)
        gc.collect()
        wall, cpu = floor(config, out)
        got["floor"].append(wall)
        got["floor_cpu"].append(cpu)
    manifest = json.loads((out / "manifest.json").read_text())
    nested = manifest["templates"][1:]
    print(json.dumps({**got, "resources": sum(t["resources"] for t in nested),
                      "stacks": len(nested), "bytes": sum(t["bytes"] for t in manifest["templates"])}))


if __name__ == "__main__":
    main()
