"""Whole-app properties of the output, checked on the SPEC example and every golden case.

Each property is one an AWS review found broken (issue 14) and which cfn-lint, looking at one
resource at a time, cannot see:
- every TLS-only bucket policy denies plain HTTP on the bucket and on its objects (S3.5);
- every S3 bucket name and Cognito prefix domain carries the account and the region, and fits
  63 characters for the longest of both (SPEC 1.1);
- a versioned bucket whose lifecycle expires objects also expires noncurrent versions and
  removes expired delete markers;
- no two Route53 record sets for one (zone, name, type), across all stacks of a build;
- a hosted zone made by the build is an output of the root stack (its name servers).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudc.compile import Build, compile_config
from cloudc.lower._names import fixed_part, longest

GOLDEN = Path(__file__).parent / "golden"
SPEC = GOLDEN / "spec_example" / "cloud.yaml"
# The SPEC example puts `apis.public` and `services.api` on one hostname, which is an error of
# its own (a config check); built without the service's domain, it must have no duplicate.
SPEC_SETS = ["services.api.domain=null"]
ACCOUNT_REGION = "-${AWS::AccountId}-${AWS::Region}"


def _cases() -> list[Path]:
    return sorted(p for p in GOLDEN.iterdir()
                  if p.is_dir() and not p.name.startswith("error_") and (p / "cloud.yaml").is_file())


def _build(case: Path, env: str = "production") -> Build:
    sets = SPEC_SETS if case.name == "spec_example" else None
    build = compile_config(case / "cloud.yaml", env, sets, check_ir=True, dry=True)
    errors = [d.text() for d in build.diagnostics.errors]
    assert not errors, "\n".join(errors)
    return build


@pytest.fixture(scope="module")
def builds() -> dict[str, Build]:
    return {case.name: _build(case) for case in _cases()}


def _resources(build: Build, type_: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for stack, doc in build.nested.items():
        for lid, body in doc["Resources"].items():
            if body["Type"] == type_:
                yield stack, lid, body


def _sub(value: Any) -> str:
    """Return the template of an `Fn::Sub` (plain or with variables), or the string."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    assert isinstance(value, str), value
    return value


def test_every_case_is_checked(builds: dict[str, Build]) -> None:
    assert "spec_example" in builds and len([b for b in builds if b.startswith("preset_")]) >= 12


def test_every_tls_only_policy_names_the_bucket_and_its_objects(
        builds: dict[str, Build]) -> None:
    seen = 0
    for case, build in builds.items():
        buckets = {lid for _, lid, _ in _resources(build, "AWS::S3::Bucket")}
        for _, lid, body in _resources(build, "AWS::S3::BucketPolicy"):
            bucket = body["Properties"]["Bucket"]["Ref"]
            deny = [s for s in body["Properties"]["PolicyDocument"]["Statement"]
                    if s.get("Sid") == "DenyInsecureTransport"]
            assert len(deny) == 1, f"{case}: {lid} has no TLS-only statement"
            resources = deny[0]["Resource"]
            assert len(resources) == 2, f"{case}: {lid} names {resources}"
            whole, objects = resources
            assert whole == {"Fn::GetAtt": [bucket, "Arn"]} or _sub(whole).startswith(
                "arn:${AWS::Partition}:s3:::"), f"{case}: {lid}: {whole}"
            if isinstance(whole, dict) and "Fn::GetAtt" in whole:
                whole_text = None
            else:
                whole_text = _sub(whole)
            assert _sub(objects).endswith("/*"), f"{case}: {lid}: {objects}"
            if whole_text is not None:
                assert _sub(objects) == whole_text + "/*"
            seen += 1
        policies = {b["Properties"]["Bucket"]["Ref"]
                    for _, _, b in _resources(build, "AWS::S3::BucketPolicy")}
        assert buckets <= policies, f"{case}: buckets without a policy: {buckets - policies}"
    assert seen > 20


def test_every_bucket_name_carries_account_and_region(builds: dict[str, Build]) -> None:
    seen = 0
    for case, build in builds.items():
        for _, lid, body in _resources(build, "AWS::S3::Bucket"):
            name = _sub(body["Properties"]["BucketName"])
            assert name.endswith(ACCOUNT_REGION), f"{case}: {lid}: {name}"
            assert longest(name) <= 63, f"{case}: {lid}: {name}"
            assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", fixed_part(name)), name
            seen += 1
    assert seen > 20


def test_every_reference_to_a_bucket_uses_its_name(builds: dict[str, Build]) -> None:
    """ARNs in policies and names in variables are built from the bucket's own template."""
    build = builds["spec_example"]
    names = {_sub(b["Properties"]["BucketName"]) for _, _, b in
             _resources(build, "AWS::S3::Bucket")}
    names |= {_sub(b["Properties"]["Domain"]) for _, _, b in
              _resources(build, "AWS::Cognito::UserPoolDomain")}
    text = "\n".join(str(doc) for doc in build.nested.values())
    mentioned = set(re.findall(r"(acme-shop-production-[a-z0-9-]+?)(?:-\$\{AWS::AccountId\})",
                               text))
    assert mentioned, "no bucket names in the output"
    assert {n[: -len(ACCOUNT_REGION)] for n in names} >= mentioned
    assert "s3:::acme-shop-production-uploads/" not in text
    assert "s3:::acme-shop-production-uploads'" not in text


def test_cognito_prefix_domains_carry_account_and_region(builds: dict[str, Build]) -> None:
    seen = 0
    for case, build in builds.items():
        for _, lid, body in _resources(build, "AWS::Cognito::UserPoolDomain"):
            if "CustomDomainConfig" in body["Properties"]:
                continue
            name = _sub(body["Properties"]["Domain"])
            assert name.endswith(ACCOUNT_REGION), f"{case}: {lid}: {name}"
            assert longest(name) <= 63
            assert not any(w in fixed_part(name) for w in ("aws", "amazon", "cognito"))
            seen += 1
    assert seen >= 2


def test_versioned_expiring_buckets_free_their_space(builds: dict[str, Build]) -> None:
    seen = 0
    for case, build in builds.items():
        for _, lid, body in _resources(build, "AWS::S3::Bucket"):
            props = body["Properties"]
            if props.get("VersioningConfiguration", {}).get("Status") != "Enabled":
                continue
            rules = props.get("LifecycleConfiguration", {}).get("Rules", [])
            assert any(r.get("ExpiredObjectDeleteMarker") for r in rules), f"{case}: {lid}"
            for r in rules:
                if "ExpirationInDays" in r:
                    assert r["NoncurrentVersionExpiration"]["NoncurrentDays"] >= 1, (case, lid)
                    assert "ExpiredObjectDeleteMarker" not in r  # S3 rejects both in one rule
                    seen += 1
    assert seen >= 1


def _records(build: Build) -> Iterator[tuple[tuple[str, str, str, str], str]]:
    """Each record set's (zone, name, type, set identifier): routed records (weighted,
    failover, ...) share a name and type and differ in SetIdentifier."""
    for stack, lid, body in _resources(build, "AWS::Route53::RecordSet"):
        props = body["Properties"]
        if isinstance(props["Name"], str):
            zone = repr(props.get("HostedZoneId", props.get("HostedZoneName")))
            yield (zone, props["Name"].rstrip(".").lower(), props["Type"],
                   str(props.get("SetIdentifier", ""))), f"{stack}/{lid}"


def test_no_two_record_sets_for_one_name_and_type(builds: dict[str, Build]) -> None:
    seen = 0
    for case, build in builds.items():
        have: dict[tuple[str, str, str, str], str] = {}
        for key, where in _records(build):
            assert key not in have, f"{case}: {key[1]} {key[2]} in {have[key]} and {where}"
            have[key] = where
            seen += 1
    assert seen > 20


def test_spec_example_as_written_has_one_duplicate_hostname_only() -> None:
    """The unchanged SPEC example's only clash is the hostname both an API and a service use."""
    build = compile_config(SPEC, "production", check_ir=True, dry=True)
    if build.nested is None or not build.nested:
        return  # the duplicate hostname is reported as an error by the config check
    have: dict[tuple[str, str, str], str] = {}
    clashes = []
    for key, where in _records(build):
        if key in have:
            clashes.append((key[1], key[2]))
        have[key] = where
    assert clashes in ([], [("api.acme.com", "A")])


def test_created_zone_name_servers_are_a_root_output(builds: dict[str, Build]) -> None:
    seen = 0
    for build in builds.values():
        # the `dns.zone` itself (`dns.zones` entries have outputs of their own)
        zones = [z for z in _resources(build, "AWS::Route53::HostedZone") if z[1] == "DnsZone"]
        outputs = build.root.get("Outputs", {})
        if not zones:
            assert "DnsNameServers" not in outputs
            continue
        (stack, lid, _), = zones
        value = outputs["DnsNameServers"]["Value"]
        key = value["Fn::GetAtt"][1].split(".", 1)[1]
        nested = build.nested[stack]["Outputs"][key]["Value"]
        assert nested == {"Fn::Join": [",", {"Fn::GetAtt": [lid, "NameServers"]}]}
        seen += 1
    assert seen >= 2
