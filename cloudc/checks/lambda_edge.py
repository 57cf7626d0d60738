"""Functions that a site runs at the edge (Lambda@Edge) within what Lambda@Edge supports.

Lambda@Edge replicates a numbered version of a us-east-1 function to CloudFront's edge
locations, and refuses functions with environment variables (a `link:` adds some), a VPC,
layers, ephemeral storage over 512 MB, the arm64 architecture or a runtime other than Node.js
and Python; viewer events allow 128 MB of memory and 5 s, origin events 30 s.
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-at-edge-function-restrictions.html
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-lambda-at-edge
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code
from cloudc.ir import Ref, Resource
from cloudc.source import Path

CODES = (
    Code("E3271", "Lambda@Edge function Lambda@Edge would refuse",
         "environment variables (own or from `link:`), a VPC, layers, arm64, a runtime other "
         "than Node.js or Python, more than 128 MB or 5 s on a viewer event (30 s on an origin "
         "event), a version that is not numbered or not in us-east-1"),
)
VIEWER = ("viewer-request", "viewer-response")
VIEWER_MEMORY, VIEWER_TIMEOUT, ORIGIN_TIMEOUT, EPHEMERAL = 128, 5, 30, 512


def check(cx: CheckContext) -> Iterator[Finding]:
    """Report every function a distribution runs at the edge that Lambda@Edge would refuse."""
    if cx.ir is None:
        return
    events: dict[str, set[str]] = {}  # function logical ID -> event types
    for r in cx.ir.resources.values():
        if r.type != "AWS::CloudFront::Distribution":
            continue
        for assoc in _associations(r):
            fn = _function_of(cx, assoc.get("LambdaFunctionARN"))
            if fn is not None:
                events.setdefault(fn.logical_id, set()).add(str(assoc.get("EventType")))
    for lid, kinds in sorted(events.items()):
        yield from _function(cx, cx.ir.resources[lid], kinds)


def _associations(dist: Resource) -> Iterator[dict[str, Any]]:
    config = dist.properties.get("DistributionConfig") or {}
    behaviors = [config.get("DefaultCacheBehavior") or {}, *(config.get("CacheBehaviors") or [])]
    for b in behaviors:
        yield from b.get("LambdaFunctionAssociations") or []


def _function_of(cx: CheckContext, arn: Any) -> Resource | None:
    """Return the function resource behind a version this build publishes."""
    assert cx.ir is not None
    if not isinstance(arn, Ref):
        return None
    version = cx.ir.resources.get(arn.target)
    if version is None or version.type != "AWS::Lambda::Version":
        return None
    name = version.properties.get("FunctionName")
    fn = cx.ir.resources.get(name.target) if isinstance(name, Ref) else None
    return fn if fn is not None and fn.type == "AWS::Lambda::Function" else None


def _function(cx: CheckContext, fn: Resource, kinds: set[str]) -> Iterator[Finding]:
    """Report what Lambda@Edge refuses in one function."""
    section, name = fn.owner.split(".", 1)
    path: Path = (section, name)
    p = fn.properties
    variables = (p.get("Environment") or {}).get("Variables") or {}
    if variables:
        spec = cx.section("functions").get(name)
        own = bool(getattr(spec, "environment", None))
        where = path + (("environment",) if own else ("link",))
        yield Finding("E3271", f"`{fn.owner}` runs at the edge, and Lambda@Edge takes no "
                      f"environment variables (it has {', '.join(sorted(variables))})", where,
                      hint="drop `environment` and `link:` on this function: put settings in "
                      "its code, or read them from SSM Parameter Store in us-east-1")
    if p.get("VpcConfig"):
        yield Finding("E3271", f"`{fn.owner}` runs at the edge, and Lambda@Edge functions "
                      "cannot run in a VPC", path + ("vpc",), hint="set `vpc: false`")
    if p.get("Layers"):
        yield Finding("E3271", f"`{fn.owner}` runs at the edge, and Lambda@Edge takes no layers",
                      path, hint="bundle the dependencies into the code folder")
    if "arm64" in (p.get("Architectures") or []):
        yield Finding("E3271", f"`{fn.owner}` runs at the edge, and Lambda@Edge runs x86_64 "
                      "functions only", path + ("architecture",),
                      hint="set `architecture: x86_64`")
    runtime = str(p.get("Runtime", ""))
    if not runtime.startswith(("nodejs", "python")):
        yield Finding("E3271", f"`{fn.owner}` runs at the edge, and Lambda@Edge runs Node.js "
                      f"and Python only, not `{runtime}`", path + ("runtime",),
                      hint="use a nodejs or python runtime")
    size = (p.get("EphemeralStorage") or {}).get("Size", EPHEMERAL)
    if isinstance(size, int) and size > EPHEMERAL:
        yield Finding("E3271", f"`{fn.owner}` runs at the edge with {size} MB of ephemeral "
                      f"storage; Lambda@Edge allows {EPHEMERAL}", path + ("ephemeral_storage",),
                      hint=f"set `ephemeral_storage: {EPHEMERAL}` or drop it")
    viewer = bool(kinds & set(VIEWER))
    memory, timeout = p.get("MemorySize"), p.get("Timeout")
    if viewer and isinstance(memory, int) and memory > VIEWER_MEMORY:
        yield Finding("E3271", f"`{fn.owner}` runs on a viewer event with {memory} MB; "
                      f"viewer events allow {VIEWER_MEMORY} MB", path + ("memory",),
                      hint=f"set `memory: {VIEWER_MEMORY}`, or attach it to an origin event")
    limit = VIEWER_TIMEOUT if viewer else ORIGIN_TIMEOUT
    if isinstance(timeout, int) and timeout > limit:
        yield Finding("E3271", f"`{fn.owner}` runs at the edge with a {timeout} s timeout; "
                      f"{'viewer' if viewer else 'origin'} events allow {limit} s",
                      path + ("timeout",), hint=f"set `timeout: {limit}` or less")
