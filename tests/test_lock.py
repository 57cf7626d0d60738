"""cloud.lock.json: with the lock of an earlier build, no change to the app moves an owner."""

from __future__ import annotations

import dataclasses
import json
import random
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest_aws import moto_server, offline_aws  # noqa: F401

from cloudc.cli import cli
from cloudc.compile import Build, compile_config
from cloudc.lock import LOCK_FILE, EnvLock, read_lock, render_lock, write_lock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def write_services(folder: Path, names: list[str], grown: str | None = None) -> Path:
    """Write an app of one bucket, queue and function per name (`grown` gets extra events)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "src").mkdir(exist_ok=True)
    (folder / "src" / "index.mjs").write_text("export const handler = async () => ({});\n")
    lines = ["project:", "  name: Lock App", "  region: us-east-1", "storage:"]
    lines += [f"  files-{n}: {{ versioning: true }}" for n in names]
    lines.append("queues:")
    lines += [f"  jobs-{n}: {{ visibility_timeout: 120 }}" for n in names]
    lines.append("functions:")
    for n in names:
        lines += [f"  worker-{n}:", "    code: ./src", "    timeout: 20",
                  f"    link: [storage.files-{n}]", "    events:", f"      - queue: jobs-{n}"]
        if n == grown:  # four more queues feeding it: four more event source mappings
            lines += [f"      - queue: jobs-{m}" for m in names[:4] if m != n]
            lines += ["      - schedule: rate(1 hour)"]
    path = folder / "cloud.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _homes(build: Build) -> dict[str, str]:
    assert build.ir is not None and not build.diagnostics.has_errors, build.diagnostics.sorted()
    return {lid: build.ir.groups[lid] for lid in build.ir.resources}


def _locked(folder: Path, names: list[str]) -> tuple[Path, dict[str, str]]:
    """Build `names` without a lock, write its lock, and return the placement."""
    path = write_services(folder, names)
    first = compile_config(path, "production", dry=True)
    placement = first.placement()
    assert placement is not None
    write_lock(path, "production", placement)
    return path, _homes(first)


First = tuple[EnvLock, dict[str, str]]  # a build's placement and each resource's group


@pytest.fixture(scope="module")
def first_build(tmp_path_factory: pytest.TempPathFactory) -> First:
    """The lockless build of NAMES that most tests start from: its placement and homes.

    Built once a module (worker): the tests only read it, and each writes it as the lock of its
    own copy of the app (`_locked_names`); the placement of an app does not depend on its folder.
    """
    path = write_services(tmp_path_factory.mktemp("first"), NAMES)
    first = compile_config(path, "production", dry=True)
    placement = first.placement()
    assert placement is not None
    return placement, _homes(first)


def _locked_names(folder: Path, first: First) -> tuple[Path, dict[str, str]]:
    """`_locked(folder, NAMES)` from the module's one build of NAMES: the app and its lock."""
    placement, homes = first
    path = write_services(folder, NAMES)
    write_lock(path, "production", placement)
    return path, dict(homes)


def _moved(before: dict[str, str], after: dict[str, str]) -> dict[str, tuple[str, str]]:
    return {lid: (s, after[lid]) for lid, s in before.items() if lid in after and after[lid] != s}


NAMES = [f"s{i:03d}" for i in range(300)]


def test_inserting_a_first_entry_moves_nothing_with_the_lock(
        tmp_path: Path, first_build: First) -> None:
    path, before = _locked_names(tmp_path, first_build)
    write_services(tmp_path, ["a000", *NAMES])  # sorts and stands first in every section
    after = _homes(compile_config(path, "production", dry=True))
    assert not _moved(before, after)
    assert set(before) < set(after)
    # Without the lock the same insertion moves resources (the defect this fixes).
    fresh = _homes(compile_config(path, "production", dry=True, lock=False))
    assert _moved(before, fresh)


def test_reordering_entries_moves_nothing(tmp_path: Path, first_build: First) -> None:
    path, before = _locked_names(tmp_path, first_build)
    shuffled = list(NAMES)
    random.Random(12).shuffle(shuffled)
    write_services(tmp_path, shuffled)
    after = _homes(compile_config(path, "production", dry=True))
    assert after == before


def test_removing_an_entry_moves_nothing_and_its_room_is_reused(
        tmp_path: Path, first_build: First) -> None:
    path, before = _locked_names(tmp_path, first_build)
    gone = NAMES[10]  # in the first, full, stack of each group
    write_services(tmp_path, [n for n in NAMES if n != gone])
    removed = compile_config(path, "production", dry=True)
    after = _homes(removed)
    assert not _moved(before, after)
    assert set(after) == {lid for lid in before if gone.capitalize() not in lid}
    placement = removed.placement()
    assert placement is not None
    write_lock(path, "production", placement)
    # A new owner goes to the first stack of its group with room: the freed one.
    write_services(tmp_path, ["a000", *[n for n in NAMES if n != gone]])
    again = compile_config(path, "production", dry=True)
    assert not _moved(after, _homes(again))
    assert again.ir is not None
    assert again.ir.units[("functions.worker-a000", "functions")][0] == "functions"
    assert again.ir.units[("storage.files-a000", "storage")][0] == "storage"


def test_a_grown_owner_moves_alone_and_the_build_says_so(
        tmp_path: Path, first_build: First) -> None:
    path, before = _locked_names(tmp_path, first_build)
    grown = NAMES[5]  # its function lives in the full first `functions` stack
    write_services(tmp_path, NAMES, grown=grown)
    build = compile_config(path, "production", dry=True)
    after = _homes(build)
    moved = _moved(before, after)
    owner = f"functions.worker-{grown}"
    assert moved and {build.ir.resources[lid].owner for lid in moved} == {owner}  # type: ignore[union-attr]
    assert {was for was, _ in moved.values()} == {"functions"}
    warnings = [d for d in build.diagnostics.items if d.code == "W3280"]
    assert len(warnings) == 1 and f"`{owner}` moves from nested stack functions" in warnings[0].message
    assert warnings[0].origin is not None and warnings[0].origin.line > 1
    # Every template stays within the limits after the move.
    for tmpl in build.nested.values():
        assert len(tmpl["Resources"]) <= 500


def test_rebalance_places_afresh_and_reports_every_move(tmp_path: Path, first_build: First) -> None:
    path, before = _locked_names(tmp_path, first_build)
    write_services(tmp_path, ["a000", *NAMES])
    build = compile_config(path, "production", dry=True, rebalance=True)
    moved = _moved(before, _homes(build))
    assert moved
    owners = {build.ir.resources[lid].owner for lid in moved}  # type: ignore[union-attr]
    warned = {d.message.split("`")[1] for d in build.diagnostics.items if d.code == "W3280"}
    assert warned == owners


def test_the_lock_is_sorted_one_owner_a_line_and_round_trips(tmp_path: Path) -> None:
    path, _ = _locked(tmp_path, NAMES[:20])
    text = (tmp_path / LOCK_FILE).read_text()
    assert json.loads(text)["cloudc-lock"] == 1
    owner_lines = [ln for ln in text.splitlines() if ln.startswith('"functions.')
                   or ln.startswith('"storage.') or ln.startswith('"queues.')]
    assert len(owner_lines) == 60 and owner_lines == sorted(owner_lines)
    envs = read_lock(path)
    assert envs is not None and render_lock(envs) == text
    # A second environment is added without touching the first.
    again = compile_config(path, "staging", dry=True).placement()
    assert again is not None
    write_lock(path, "staging", again)
    both = read_lock(path)
    assert both is not None and set(both) == {"production", "staging"}
    assert both["production"].as_json() == envs["production"].as_json()


def _cli(folder: Path, *args: str) -> tuple[int, str]:
    import os

    old = os.getcwd()
    os.chdir(folder)
    try:
        res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)
    return res.exit_code, res.output


def test_build_writes_the_lock_validate_reports_moves_and_never_writes(tmp_path: Path) -> None:
    names = NAMES[:130]  # the first functions stack is full (125 functions of 4 resources)
    write_services(tmp_path, names)
    code, _ = _cli(tmp_path, "build", "--env", "production")
    assert code == 0 and (tmp_path / LOCK_FILE).is_file()
    locked = (tmp_path / LOCK_FILE).read_bytes()
    write_services(tmp_path, names, grown=names[3])
    code, out = _cli(tmp_path, "validate", "--env", "production")
    assert code == 0, out
    line = next(i for i, ln in enumerate((tmp_path / "cloud.yaml").read_text().splitlines(), 1)
                if ln == f"  worker-{names[3]}:")
    assert f"cloud.yaml:{line}:" in out and "warning[W3280]" in out, out
    assert (tmp_path / LOCK_FILE).read_bytes() == locked  # validate writes nothing
    code, out = _cli(tmp_path, "build", "--env", "production", "--frozen")
    assert code == 1 and "--frozen" in out
    assert (tmp_path / LOCK_FILE).read_bytes() == locked
    code, out = _cli(tmp_path, "build", "--env", "production")
    assert code == 0 and "W3280" in out
    assert (tmp_path / LOCK_FILE).read_bytes() != locked
    code, out = _cli(tmp_path, "build", "--env", "production", "--frozen")
    assert code == 0, out


def test_a_failed_build_does_not_write_the_lock(tmp_path: Path) -> None:
    write_services(tmp_path, NAMES[:3])
    (tmp_path / "cloud.yaml").write_text((tmp_path / "cloud.yaml").read_text()
                                         + "  broken: { code: ./missing }\n")
    code, _ = _cli(tmp_path, "build")
    assert code == 1 and not (tmp_path / LOCK_FILE).exists()
    code, _ = _cli(tmp_path, "build", "--no-lock")
    assert not (tmp_path / LOCK_FILE).exists()


def test_a_broken_lock_is_an_error_at_its_line(tmp_path: Path) -> None:
    write_services(tmp_path, NAMES[:3])
    (tmp_path / LOCK_FILE).write_text('{\n"cloudc-lock": 1,\n"environments": {\n'
                                      '"development": {"owners": {"x": 3}}\n}\n}\n')
    code, out = _cli(tmp_path, "build")
    assert code == 1 and f"{LOCK_FILE}:4:1: error[E3280]" in out, out
    (tmp_path / LOCK_FILE).write_text("{ not json")
    code, out = _cli(tmp_path, "validate", "--env", "development")
    assert code == 1 and "error[E3280]" in out


@pytest.mark.parametrize("flags", [("--rebalance", "--frozen"), ("--no-lock", "--frozen")])
def test_lock_flags_exclude_each_other(tmp_path: Path, flags: tuple[str, ...]) -> None:
    write_services(tmp_path, NAMES[:2])
    code, _ = _cli(tmp_path, "build", *flags)
    assert code == 2


def test_init_does_not_ignore_the_lock() -> None:
    from cloudc.commands.scaffold import GITIGNORE

    assert not any("lock" in g for g in GITIGNORE)


def test_code_folder_beside_the_config_never_zips_the_lock(tmp_path: Path) -> None:
    """`code: ./`: writing the lock must not change the function's code hash."""
    (tmp_path / "index.mjs").write_text("export const handler = async () => ({});\n")
    (tmp_path / "cloud.yaml").write_text("project: { name: Demo }\nfunctions:\n  api: { code: ./ }\n")
    first = compile_config(tmp_path / "cloud.yaml", "production", dry=True)
    placement = first.placement()
    assert placement is not None
    write_lock(tmp_path / "cloud.yaml", "production", placement)
    second = compile_config(tmp_path / "cloud.yaml", "production", dry=True)
    assert second.files() == first.files()


# --- several roots ------------------------------------------------------------------------------

GOLDEN = Path(__file__).parent / "golden"


def _partition_module():  # type: ignore[no-untyped-def]
    import importlib

    return importlib.import_module("cloudc.passes.partition")  # the package shadows its name


@pytest.mark.slow  # three builds of the spec example and cfn-lint of its roots
def test_an_app_over_one_operation_splits_into_roots_values_cross_by_ssm(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """spec_example with the tree limit lowered: real Outputs cross roots, cfn-lint is clean."""
    import shutil

    from cloudc.lint import lint_build

    shutil.copytree(GOLDEN / "spec_example", tmp_path / "app",
                    ignore=shutil.ignore_patterns("expected"))
    path = tmp_path / "app" / "cloud.yaml"
    whole = compile_config(path, "production")
    monkeypatch.setattr(_partition_module(), "MAX_TREE", 40)
    build = compile_config(path, "production")
    assert not build.diagnostics.has_errors, build.diagnostics.sorted()
    assert build.more_roots
    roots = {1: build.root, **build.more_roots}
    # Every nested stack is in exactly one root, and the nested templates are unchanged.
    stacks = [sid for t in roots.values() for sid, b in t["Resources"].items()
              if b["Type"] == "AWS::CloudFormation::Stack"]
    assert sorted(stacks) == sorted(whole.root["Resources"]) and build.nested == whole.nested
    shared = {k: b for t in roots.values() for k, b in t["Resources"].items()
              if b["Type"] == "AWS::SSM::Parameter"}
    read = {k: p for t in roots.values() for k, p in (t.get("Parameters") or {}).items()}
    assert shared and read
    for key, p in read.items():
        assert p["Type"] == "AWS::SSM::Parameter::Value<String>"
        producer = shared[f"Shared{key}"]["Properties"]
        assert producer["Name"] == p["Default"] and producer["Type"] == "String"
        assert p["Default"].startswith("/cloudc/")
    # No Exports anywhere, and a root only waits for roots before it in the manifest order.
    files = build.files()
    assert b"Fn::ImportValue" not in b"".join(files.values()) and b'"Export"' not in files[
        "template.json"]
    manifest = json.loads(files["manifest.json"])
    order = [r["root"] for r in manifest["roots"]]
    for r in manifest["roots"]:
        assert all(order.index(n) < order.index(r["root"]) for n in r["needs"])
        assert f"template-{r['root']}.json" in files or r["root"] == 1
    # cfn-lint: the nested templates are the single-root build's, which are the golden
    # spec_example's (tests/test_golden.py lints those); lint_build lints what splitting made:
    # every root (and the separate registry template).
    expected = GOLDEN / "spec_example" / "expected" / "production"
    for sid in build.nested:
        assert files[f"stacks/{sid}.json"] == (expected / "stacks" / f"{sid}.json").read_bytes()
    made = dataclasses.replace(build, nested={})
    assert set(made.files()) - set(files) <= {"manifest.json"}
    assert sum(r.startswith("template") for r in made.files()) == len(roots) >= 2
    assert not [d for d in lint_build(made) if d.severity == "error"]
    # The lock records the roots, and a locked rebuild places every stack in the same root.
    placement = build.placement()
    assert placement is not None and "roots" in placement.as_json()
    write_lock(path, "production", placement)
    again = compile_config(path, "production")
    assert again.ir is not None and build.ir is not None and again.ir.roots == build.ir.roots
    assert again.files() == files


def test_a_10000_resource_app_keeps_every_limit(tmp_path: Path) -> None:
    names = [f"s{i:04d}" for i in range(1430)]
    path = write_services(tmp_path, names)
    build = compile_config(path, "production", dry=True)
    assert build.ir is not None and not build.diagnostics.has_errors
    assert len(build.ir.resources) >= 10_000
    roots = {1: build.root, **build.more_roots}
    assert len(roots) >= 5
    for name, tmpl in [*((f"root {i}", t) for i, t in roots.items()), *build.nested.items()]:
        assert len(tmpl["Resources"]) <= 500, name
        assert len(tmpl.get("Parameters", {})) <= 200, name
        assert len(tmpl.get("Outputs", {})) <= 200, name
        assert len(json.dumps(tmpl).encode()) < 1_000_000, name
    for i, t in roots.items():
        tree = len(t["Resources"]) + sum(
            len(build.nested[_group(sid, build)]["Resources"])
            for sid, b in t["Resources"].items() if b["Type"] == "AWS::CloudFormation::Stack")
        assert tree <= 2_500, (i, tree)


def _group(sid: str, build: Build) -> str:
    from cloudc.emit.cloudformation import stack_id

    return next(g for g in build.nested if stack_id(g) == sid)


# --- deploy and diff of several roots (moto) -----------------------------------------------------


@pytest.mark.aws
def test_deploy_and_diff_several_roots_against_moto(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moto_server: str,
        offline_aws: None) -> None:
    """Storage and queues in two roots (the tree limit lowered): deployed in order, diff clean."""
    import urllib.request

    import boto3
    from conftest_aws import APP, Cli

    req = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST", data=b"")
    urllib.request.urlopen(req, timeout=10).read()
    monkeypatch.setattr(_partition_module(), "MAX_TREE", 6)
    (tmp_path / "cloud.yaml").write_text(APP)
    monkeypatch.chdir(tmp_path)
    cloudc = Cli(moto_server)
    build = compile_config(Path("cloud.yaml"), "development")
    assert build.more_roots and not build.diagnostics.has_errors
    done = cloudc("deploy", "--env", "development", "--yes")
    assert done.exit_code == 0, done.output
    assert "2 root stacks" in done.stderr
    cfn = boto3.client("cloudformation", endpoint_url=moto_server, region_name="us-east-1")
    names = {s["StackName"] for s in cfn.describe_stacks()["Stacks"]}
    assert {"demo-shop-development", "demo-shop-development-R2"} <= names
    again = cloudc("diff", "--env", "development")
    assert again.exit_code == 0, again.output


def test_against_last_build_reads_every_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cloudc.aws.lastbuild import load_build
    from cloudc.emit.writer import write_tree

    monkeypatch.setattr(_partition_module(), "MAX_TREE", 20)
    path = write_services(tmp_path, NAMES[:6])
    build = compile_config(path, "staging", dry=True)
    assert build.more_roots
    write_tree(tmp_path / "build" / "staging", build.files())
    side = load_build(tmp_path / "build" / "staging")
    assert side is not None and set(side.nested) == {
        sid for t in [build.root, *build.more_roots.values()] for sid, b in t["Resources"].items()
        if b["Type"] == "AWS::CloudFormation::Stack"}


def test_renaming_an_entry_moves_no_other_owner(tmp_path: Path, first_build: First) -> None:
    path, before = _locked_names(tmp_path, first_build)
    renamed = [("r" + n[1:]) if n == NAMES[7] else n for n in NAMES]
    write_services(tmp_path, renamed)
    after = _homes(compile_config(path, "production", dry=True))
    assert not _moved(before, after)


def test_growing_an_owner_in_a_stack_with_room_moves_nothing(
        tmp_path: Path, first_build: First) -> None:
    path, before = _locked_names(tmp_path, first_build)
    write_services(tmp_path, NAMES, grown=NAMES[-1])  # the last functions stack has room
    build = compile_config(path, "production", dry=True)
    assert not _moved(before, _homes(build))
    assert not [d for d in build.diagnostics.items if d.code == "W3280"]
