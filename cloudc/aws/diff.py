"""Compare two sets of templates (root + nested) resource by resource; no AWS needed.

One side is usually what is deployed and the other a fresh build; `validate
--against-last-build` compares the last build on disk with a fresh one. Nested stacks are
matched by their logical ID in the root (`StackStorage` <-> `stacks/storage.json`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from deepdiff import DeepDiff
from deepdiff.helper import NotPresent

from cloudc import resource_specs
from cloudc.lower import stateful_types

ROOT = ""  # the root stack's key among the stacks of a Side

# What replacing or deleting a stateful resource loses is declared by the section that makes
# it (`STATEFUL` in cloudc/lower/<section>.py). Caches (ElastiCache) and log groups are left
# out on purpose: a cache is rebuilt from its source and log retention is already bounded;
# flagging them would bury the real warnings.


# Keys of Metadata that cloudc writes for itself: differences there change no AWS resource.
BOOKKEEPING = ("cloudc:origin", "cloudc:owner")

_CONTENT_KEY = re.compile(r"(?:^|/)([0-9a-f]{64})\.zip$")


@dataclass
class Side:
    """One side of a comparison: a root template and its nested templates."""

    name: str
    root: dict[str, Any] | None  # None: the stack does not exist
    nested: dict[str, dict[str, Any]] = field(default_factory=dict)  # by root logical ID
    labels: dict[str, str] = field(default_factory=dict)  # root logical ID -> group name
    tags: dict[str, str] | None = None  # stack tags; None: not compared

    @classmethod
    def from_build(cls, name: str, root: dict[str, Any], nested: dict[str, dict[str, Any]],
                   tags: dict[str, str] | None = None) -> Side:
        """Make a Side from a compiled root and its nested templates keyed by group name."""
        from cloudc.emit.cloudformation import stack_id

        return cls(name, root, {stack_id(g): t for g, t in nested.items()},
                   {stack_id(g): g for g in nested}, tags)

    def label(self, key: str) -> str:
        """Return a stack's display name: its group, or `root`."""
        if key == ROOT:
            return "root"
        return self.labels.get(key) or _group_of(key)


@dataclass
class Change:
    """One changed value: a property, a resource attribute, an output, a tag."""

    path: str
    old: Any = None
    new: Any = None
    kind: str = "change"  # add | remove | change
    replacement: str = ""  # "" | yes | maybe
    parts: tuple[Any, ...] = field(default=(), repr=False)  # the path as keys and indexes


@dataclass
class ResourceChange:
    """What happens to one resource."""

    action: str  # add | remove | modify | move
    stack: str
    logical_id: str
    type: str
    old_type: str = ""
    from_stack: str = ""
    replacement: str = ""  # "" | yes | maybe
    reasons: list[str] = field(default_factory=list)
    data_loss: str = ""  # "" | yes | maybe
    lost: str = ""
    kept: str = ""  # Retain / Snapshot: why the data survives
    policy: str = ""  # the old resource's UpdateReplacePolicy (or DeletionPolicy on removal)
    props: list[Change] = field(default_factory=list)
    bookkeeping: list[Change] = field(default_factory=list)  # cloudc metadata only
    origin: str = ""

    @property
    def verbose_only(self) -> bool:
        """Say whether only cloudc's own metadata (source lines) changed."""
        return self.action == "modify" and not self.props and not self.replacement

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "action": self.action, "stack": self.stack, "logical_id": self.logical_id,
            "type": self.type, "old_type": self.old_type or None,
            "from_stack": self.from_stack or None, "replacement": self.replacement or None,
            "reasons": self.reasons, "data_loss": self.data_loss or None,
            "lost": self.lost or None, "kept": self.kept or None, "origin": self.origin or None,
            "bookkeeping_only": self.verbose_only,
            "changes": [_change_dict(c) for c in self.props],
            "bookkeeping": [_change_dict(c) for c in self.bookkeeping],
        }


@dataclass
class Plan:
    """Everything that differs between two Sides."""

    stack_name: str
    exists: bool
    resources: list[ResourceChange] = field(default_factory=list)
    stacks: list[Change] = field(default_factory=list)  # nested stacks added / removed
    parameters: list[Change] = field(default_factory=list)
    outputs: list[Change] = field(default_factory=list)
    tags: list[Change] = field(default_factory=list)
    other: list[Change] = field(default_factory=list)  # descriptions and the like (verbose)

    @property
    def changed(self) -> bool:
        """Say whether anything a user cares about differs."""
        return bool([r for r in self.resources if not r.verbose_only] or self.stacks
                    or self.parameters or self.outputs or self.tags)

    @property
    def identical(self) -> bool:
        """Say whether nothing at all differs, not even cloudc's own metadata."""
        return not (self.resources or self.stacks or self.parameters or self.outputs
                    or self.tags or self.other)

    @property
    def data_loss(self) -> list[ResourceChange]:
        """Return the changes that destroy (or may destroy) stateful data."""
        return [r for r in self.resources if r.data_loss]

    @property
    def replacements(self) -> list[ResourceChange]:
        """Return the changes that replace (or may replace) a resource."""
        return [r for r in self.resources if r.replacement]

    def summary(self) -> dict[str, int]:
        """Count changes by kind."""
        real = [r for r in self.resources if not r.verbose_only]
        return {
            "add": sum(r.action == "add" for r in real),
            "modify": sum(r.action in ("modify", "move") for r in real),
            "remove": sum(r.action == "remove" for r in real),
            "replace": sum(bool(r.replacement) for r in real),
            "data_loss": sum(bool(r.data_loss) for r in real),
        }

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "stack": self.stack_name, "exists": self.exists, "changed": self.changed,
            "summary": self.summary(),
            "resources": [r.as_dict() for r in self.resources],
            "stacks": [_change_dict(c) for c in self.stacks],
            "parameters": [_change_dict(c) for c in self.parameters],
            "outputs": [_change_dict(c) for c in self.outputs],
            "tags": [_change_dict(c) for c in self.tags],
        }


def _change_dict(c: Change) -> dict[str, Any]:
    return {"path": c.path, "kind": c.kind, "old": c.old, "new": c.new,
            "replacement": c.replacement or None}


def _group_of(logical_id: str) -> str:
    """Guess a group name from a nested stack's logical ID: `StackQueues` -> `queues`."""
    name = logical_id[5:] if logical_id.startswith("Stack") else logical_id
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower() or logical_id


# --- normalising ----------------------------------------------------------------------------


def normalise(template: dict[str, Any], *, root: bool) -> dict[str, Any]:
    """Return a copy with the differences that deploying makes, and no user made, removed.

    A root's TemplateURLs are dropped (the nested templates themselves are compared), and
    Lambda code that cloudc uploaded under a content-hashed key reads again as the local
    `../assets/<sha256>.zip` it came from. Only what changes is copied.
    """
    doc = dict(template)
    resources = {}
    for lid, body in (template.get("Resources") or {}).items():
        props = body.get("Properties") if isinstance(body, dict) else None
        kind = body.get("Type") if isinstance(body, dict) else None
        if isinstance(props, dict):
            if root and kind == "AWS::CloudFormation::Stack" and "TemplateURL" in props:
                props = {k: v for k, v in props.items() if k != "TemplateURL"}
                body = {**body, "Properties": props}
            elif kind in _CODE:
                key = _CODE[kind]
                local = _local_code(props.get(key))
                if local is not props.get(key):
                    body = {**body, "Properties": {**props, key: local}}
        resources[lid] = body
    doc["Resources"] = resources
    return doc


_CODE = {"AWS::Lambda::Function": "Code", "AWS::Lambda::LayerVersion": "Content"}


def _local_code(code: Any) -> Any:
    if isinstance(code, dict) and isinstance(code.get("S3Key"), str) and len(code) == 2:
        m = _CONTENT_KEY.search(code["S3Key"])
        if m:
            return f"../assets/{m.group(1)}.zip"
    return code


# --- comparing ------------------------------------------------------------------------------


def diff(old: Side, new: Side) -> Plan:
    """Compare `old` (e.g. deployed) with `new` (e.g. compiled) and return the plan."""
    plan = Plan(new.name, old.root is not None)

    def label(key: str) -> str:  # the new side's group names win
        return new.labels.get(key) or old.label(key)

    old_stacks = _stacks(old)
    new_stacks = _stacks(new)
    for key in new_stacks:
        if key != ROOT and key not in old_stacks:
            plan.stacks.append(Change(label(key), None, key, "add"))
    for key in old_stacks:
        if key != ROOT and key not in new_stacks:
            plan.stacks.append(Change(label(key), key, None, "remove"))
    old_home = {lid: key for key, t in old_stacks.items() for lid in t.get("Resources") or {}}
    new_home = {lid: key for key, t in new_stacks.items() for lid in t.get("Resources") or {}}
    for key, t in new_stacks.items():
        home = label(key)
        for lid, body in (t.get("Resources") or {}).items():
            was = old_home.get(lid)
            if was is None:
                plan.resources.append(_added(home, lid, body))
            elif was != key:
                before = old_stacks[was]["Resources"][lid]
                plan.resources.append(_moved(label(was), home, lid, before, body))
            else:
                change = _modified(home, lid, old_stacks[key]["Resources"][lid], body)
                if change is not None:
                    plan.resources.append(change)
    for key, t in old_stacks.items():
        for lid, body in (t.get("Resources") or {}).items():
            if lid not in new_home:
                plan.resources.append(_removed(label(key), lid, body))
    for key in sorted(set(old_stacks) | set(new_stacks), key=lambda k: (k != ROOT, k)):
        name = label(key)
        a, b = old_stacks.get(key, {}), new_stacks.get(key, {})
        plan.parameters += _section(name, a.get("Parameters"), b.get("Parameters"))
        plan.outputs += _section(name, a.get("Outputs"), b.get("Outputs"))
        for part in ("Description", "Conditions", "Mappings", "Transform"):
            if a and b and a.get(part) != b.get(part):
                plan.other.append(Change(f"{name}: {part}", a.get(part), b.get(part)))
    if old.tags is not None and new.tags is not None and old.root is not None:
        plan.tags = _section("stack", old.tags, new.tags)
    return plan


def _stacks(side: Side) -> dict[str, dict[str, Any]]:
    if side.root is None:
        return {}
    out = {ROOT: normalise(side.root, root=True)}
    for key, t in side.nested.items():
        out[key] = normalise(t, root=False)
    return out


def _section(label: str, a: Any, b: Any) -> list[Change]:
    a = a if isinstance(a, dict) else {}
    b = b if isinstance(b, dict) else {}
    out = []
    for k in b:
        if k not in a:
            out.append(Change(f"{label}: {k}", None, b[k], "add"))
        elif a[k] != b[k]:
            out.append(Change(f"{label}: {k}", a[k], b[k], "change"))
    for k in a:
        if k not in b:
            out.append(Change(f"{label}: {k}", a[k], None, "remove"))
    return out


def _origin(body: dict[str, Any]) -> str:
    meta = body.get("Metadata")
    return str(meta.get("cloudc:origin", "")) if isinstance(meta, dict) else ""


def mark_replacement(rc: ResourceChange, level: str, reason: str) -> None:
    """Raise a change's replacement level (e.g. from what CloudFormation's change set says)."""
    if not level or rc.replacement == "yes" or rc.replacement == level or rc.action != "modify":
        return
    rc.replacement = level
    rc.reasons.append(reason)
    _stateful(rc, {"UpdateReplacePolicy": rc.policy} if rc.policy else {},
              "UpdateReplacePolicy", level)


def _stateful(rc: ResourceChange, body: dict[str, Any], policy: str, level: str) -> None:
    """Mark data loss when a stateful resource goes away, unless its policy keeps it."""
    lost = stateful_types().get(rc.old_type or rc.type)
    rc.policy = str(body.get(policy) or "")
    if not lost or not level:
        return
    kept = body.get(policy)
    if kept in ("Retain", "RetainExceptOnCreate"):
        rc.kept = f"{policy}: {kept} keeps the old resource (orphaned, not deleted)"
        return
    if kept == "Snapshot":
        rc.kept = f"{policy}: Snapshot takes a final snapshot first"
        return
    rc.data_loss, rc.lost = level, lost


def _added(label: str, lid: str, body: dict[str, Any]) -> ResourceChange:
    return ResourceChange("add", label, lid, str(body.get("Type")), origin=_origin(body))


def _removed(label: str, lid: str, body: dict[str, Any]) -> ResourceChange:
    rc = ResourceChange("remove", label, lid, str(body.get("Type")), origin=_origin(body))
    _stateful(rc, body, "DeletionPolicy", "yes")
    return rc


def _moved(was: str, label: str, lid: str, old: dict[str, Any],
           new: dict[str, Any]) -> ResourceChange:
    rc = _modified(label, lid, old, new) or ResourceChange(
        "modify", label, lid, str(new.get("Type")), origin=_origin(new))
    rc.action, rc.from_stack, rc.replacement = "move", was, "yes"
    rc.reasons.insert(0, f"moves from nested stack {was} to {label}: CloudFormation deletes "
                      "it in one and creates a new one in the other")
    rc.data_loss = rc.lost = rc.kept = ""
    _stateful(rc, old, "DeletionPolicy", "yes")
    return rc


def _modified(label: str, lid: str, old: dict[str, Any],
              new: dict[str, Any]) -> ResourceChange | None:
    if old == new:
        return None
    old_type, new_type = str(old.get("Type")), str(new.get("Type"))
    rc = ResourceChange("modify", label, lid, new_type, origin=_origin(new) or _origin(old))
    if old_type != new_type:
        rc.old_type = old_type
        rc.replacement = "yes"
        rc.reasons.append(f"type changes from {old_type} to {new_type}")
    a_props = old.get("Properties") or {}
    b_props = new.get("Properties") or {}
    rc.props = _changes(a_props, b_props, "")
    if not rc.old_type:
        _replacement(rc, new_type, a_props, b_props)
    for attr in ("DependsOn", "DeletionPolicy", "UpdateReplacePolicy", "Condition",
                 "UpdatePolicy", "CreationPolicy"):
        if old.get(attr) != new.get(attr):
            rc.props.append(Change(attr, old.get(attr), new.get(attr),
                                   "add" if attr not in old else
                                   "remove" if attr not in new else "change"))
    a_meta = dict(old.get("Metadata") or {})
    b_meta = dict(new.get("Metadata") or {})
    for key in BOOKKEEPING:
        if a_meta.get(key) != b_meta.get(key):
            rc.bookkeeping.append(Change(f"Metadata.{key}", a_meta.get(key), b_meta.get(key)))
        a_meta.pop(key, None)
        b_meta.pop(key, None)
    rc.props += _changes(a_meta, b_meta, "Metadata")
    if not rc.props and not rc.bookkeeping and not rc.replacement:
        return None
    _stateful(rc, old, "UpdateReplacePolicy", rc.replacement)
    return rc


def _changes(a: Any, b: Any, prefix: str) -> list[Change]:
    """Return leaf-level differences between two property maps, in document order."""
    if a == b:
        return []
    out = []
    tree = DeepDiff(a, b, view="tree", verbose_level=2)
    for _report, levels in tree.items():
        for level in levels:
            parts = level.path(output_format="list")
            path = _dotted(([prefix] if prefix else []) + parts)
            old = None if isinstance(level.t1, NotPresent) else level.t1
            new = None if isinstance(level.t2, NotPresent) else level.t2
            kind = ("add" if isinstance(level.t1, NotPresent) else
                    "remove" if isinstance(level.t2, NotPresent) else "change")
            out.append(Change(path, old, new, kind, parts=tuple(parts)))
    order = {k: i for i, k in enumerate(list(b) + [k for k in a if k not in b])} \
        if isinstance(a, dict) and isinstance(b, dict) else {}
    out.sort(key=lambda c: (order.get(c.parts[0], 1 << 30) if c.parts else -1, str(c.parts)))
    return out


def _dotted(parts: list[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _replacement(rc: ResourceChange, kind: str, a: dict[str, Any], b: dict[str, Any]) -> None:
    """Mark changes to create-only properties (from the provider schemas) as replacing."""
    for level, paths in (("yes", resource_specs.create_only(kind)),
                         ("maybe", resource_specs.conditional_create_only(kind))):
        for pattern in sorted(paths):
            parts = pattern.split("/")
            if _values_at(a, parts) == _values_at(b, parts):
                continue
            if rc.replacement != "yes":
                rc.replacement = level
            flagged = False
            for c in rc.props:
                cp = [("*" if isinstance(x, int) else x) for x in c.parts]
                n = min(len(cp), len(parts))
                if cp[:n] == parts[:n]:
                    flagged = True
                    if c.replacement != "yes":
                        c.replacement = level
            if not flagged:
                shown = ".".join(parts).replace(".*", "[*]")
                verb = "forces replacement" if level == "yes" else "may force replacement"
                rc.reasons.append(f"{shown} changes: {verb}")


def _values_at(doc: Any, parts: list[str]) -> list[Any]:
    """Return every value at a schema path (`*` walks a list); missing values are skipped."""
    values = [doc]
    for p in parts:
        nxt = []
        for v in values:
            if p == "*" and isinstance(v, list):
                nxt.extend(v)
            elif isinstance(v, dict) and p in v:
                nxt.append(v[p])
        values = nxt
    return values
