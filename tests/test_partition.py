"""Placement: adding an entry never moves another; every template stays within the limits."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from cloudc.compile import compile_config
from cloudc.passes.dependencies import find_cycle

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import build  # noqa: E402

from bench.app import write_app  # noqa: E402


def _placement(build) -> dict[str, str]:
    return {lid: build.ir.groups[lid] for lid in build.ir.resources}


def test_growing_a_300_service_app_by_one_moves_nothing(tmp_path: Path) -> None:
    before = compile_config(write_app(tmp_path, 300), "production", dry=True)
    after = compile_config(write_app(tmp_path, 301), "production", dry=True)
    assert not before.diagnostics.has_errors and not after.diagnostics.has_errors
    old, new = _placement(before), _placement(after)
    moved = {lid: (old[lid], new[lid]) for lid in old if new.get(lid) != old[lid]}
    assert not moved
    assert set(old) < set(new)
    # Nothing else changed either: every old resource renders to the same properties. (The
    # generator inserts lines mid-file, so the `cloudc:origin` line numbers in Metadata move.)
    for name, tmpl in before.nested.items():
        for lid, body in tmpl["Resources"].items():
            new_body = after.nested[name]["Resources"][lid]
            assert new_body["Properties"] == body["Properties"]
            assert new_body.get("DependsOn") == body.get("DependsOn")


def test_every_template_within_cloudformation_limits(tmp_path: Path) -> None:
    build = compile_config(write_app(tmp_path / "big", 700), "production")
    assert not build.diagnostics.has_errors
    assert len(build.nested) > 3
    for name, tmpl in [("root", build.root), *build.nested.items()]:
        assert len(tmpl["Resources"]) <= 500, name
        assert len(tmpl.get("Parameters", {})) <= 200, name
        assert len(tmpl.get("Outputs", {})) <= 200, name
        text = json.dumps(tmpl)
        assert len(text) < 1_000_000, name
        assert text.count("{{resolve:") <= 60, name


def test_groups_are_by_section(tmp_path: Path) -> None:
    build = compile_config(write_app(tmp_path / "s", 3), "staging", dry=True)
    assert set(build.nested) == {"storage", "queues", "functions"}
    assert all(lid.startswith("Storage") for lid in build.nested["storage"]["Resources"])


CYCLE = """\
storage: { uploads: {}, lake: {} }
streams: { clicks: { deliver_to: storage.lake } }
functions:
  a: { code: ./fn, events: [{ bucket: { name: uploads, events: [created] } }] }
  b: { code: ./fn, events: [{ stream: clicks }] }
"""


def _stack_edges(build) -> dict[str, set[str]]:
    """Return, per nested stack in the root, the stacks it waits for (DependsOn, Parameters)."""
    out = {}
    for sid, body in build.root["Resources"].items():
        deps = set(body.get("DependsOn", []))
        deps |= {p["Fn::GetAtt"][0] for p in body["Properties"].get("Parameters", {}).values()}
        out[sid] = deps
    return out


def test_bucket_event_stream_event_and_delivery_make_no_stack_cycle(tmp_path: Path) -> None:
    """storage -> functions (notification), streams -> storage (Firehose) and a stream event."""
    b = build(tmp_path, CYCLE)
    assert not b.diagnostics.has_errors, [d.text() for d in b.diagnostics.sorted()]
    # The mapping joins its source's stack; everything else stays with its section.
    assert b.ir.groups["FunctionsBEvent1Mapping"] == "streams"
    assert b.ir.groups["FunctionsBFunction"] == "functions"
    assert b.ir.groups["StreamsClicksDelivery"] == "streams"
    assert find_cycle({k: sorted(v) for k, v in _stack_edges(b).items()}) is None


def test_no_cycle_no_move(tmp_path: Path) -> None:
    """Without the bucket event there is no cycle, and the mapping stays with its function."""
    b = build(tmp_path, CYCLE.replace("{ bucket: { name: uploads, events: [created] } }",
                                      "{ schedule: rate(1 hour) }"))
    assert not b.diagnostics.has_errors
    assert b.ir.groups["FunctionsBEvent1Mapping"] == "functions"


def _random_app(rng: random.Random) -> str:
    """Return a config linking storage, streams, queues, topics, tables and functions at random."""
    fns = [f"f{i}" for i in range(rng.randint(1, 4))]
    subscribers = rng.sample(["queues.q", *(f"functions.{f}" for f in fns)], rng.randint(0, 2))
    lines = [
        "storage: { b1: {}, b2: {} }",
        "queues: { q: { visibility_timeout: 60 } }",
        f"topics: {{ t: {{ subscribers: [{', '.join(subscribers)}] }} }}",
        "databases: { d: { engine: dynamodb, keys: { pk: string }, stream: new_image } }",
        "streams: { s: { " + rng.choice(["deliver_to: storage.b1", "deliver_to: storage.b2",
                                         ""]) + " } }",
        "functions:",
    ]
    buckets = ["b1", "b2"]
    rng.shuffle(buckets)
    kinds = ["bucket", "stream", "table", "queue", "topic", "schedule"]
    for f in fns:
        events = []
        for kind in rng.sample(kinds, rng.randint(0, 3)):
            if kind == "bucket" and buckets:
                events.append(f"{{ bucket: {{ name: {buckets.pop()}, events: [created] }} }}")
            elif kind == "stream":
                events.append("{ stream: s }")
            elif kind == "table":
                events.append("{ stream: d }")
            elif kind == "queue":
                events.append("{ queue: q }")
            elif kind == "topic":
                events.append("{ topic: t }")
            elif kind == "schedule":
                events.append("{ schedule: rate(1 hour) }")
        links = rng.sample(["storage.b1", "storage.b2", "queues.q", "topics.t", "streams.s",
                            "databases.d"], rng.randint(0, 3))
        lines.append(f"  {f}: {{ code: ./fn, timeout: 10, events: [{', '.join(events)}], "
                     f"link: [{', '.join(links)}] }}")
    return "\n".join(lines) + "\n"


def test_random_cross_section_events_never_make_a_stack_cycle(tmp_path: Path) -> None:
    """Any mix of events and links between these sections builds without E4002."""
    rng = random.Random(4002)
    for i in range(60):
        body = _random_app(rng)
        b = build(tmp_path / str(i), body)
        codes = [d.code for d in b.diagnostics.sorted() if d.severity == "error"]
        assert not codes, (codes, body)
        assert find_cycle({k: sorted(v) for k, v in _stack_edges(b).items()}) is None, body
