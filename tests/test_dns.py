"""dns: the hosted zone, its name servers, the delegation note, and unique record sets."""

from __future__ import annotations

from pathlib import Path

from a2_helpers import build

SITE = """\
sites:
  docs: { source: ./public, domain: docs.acme.com }
"""


def _notes(b) -> list[str]:  # type: ignore[no-untyped-def]
    return [d.text() for d in b.diagnostics.sorted() if d.code == "I1001"]


def test_new_zone_outputs_its_name_servers_and_says_to_delegate(tmp_path: Path) -> None:
    (tmp_path / "public").mkdir()
    b = build(tmp_path, "dns: { zone: acme.com }\n" + SITE, code=False)
    assert not b.diagnostics.has_errors, b.diagnostics.sorted()
    out = b.root["Outputs"]["DnsNameServers"]
    assert out["Value"] == {"Fn::GetAtt": ["StackDns", "Outputs.DnsZoneNameServers"]}
    assert "registrar" in out["Description"]
    assert b.nested["dns"]["Outputs"]["DnsZoneNameServers"]["Value"] == {
        "Fn::Join": [",", {"Fn::GetAtt": ["DnsZone", "NameServers"]}]}
    notes = [n for n in _notes(b) if "registrar" in n]
    assert len(notes) == 1
    assert notes[0].split(":")[1:3] == ["3", "14"]  # the `zone:` value of `dns`
    assert "DnsNameServers" in notes[0]


def test_existing_zone_has_no_output_and_no_note(tmp_path: Path) -> None:
    (tmp_path / "public").mkdir()
    b = build(tmp_path, "dns: { zone: acme.com, lookup: true, zone_id: Z0123456789ABC }\n"
              + SITE, code=False)
    assert not b.diagnostics.has_errors, b.diagnostics.sorted()
    assert "DnsNameServers" not in b.root.get("Outputs", {})
    assert not [n for n in _notes(b) if "registrar" in n]


def test_new_zone_without_certificates_has_no_note(tmp_path: Path) -> None:
    b = build(tmp_path, "dns: { zone: acme.com }\n", code=False)
    assert "DnsNameServers" in b.root["Outputs"]
    assert not [n for n in _notes(b) if "registrar" in n]


def _record(lid: str, owner: str, name: str, kind: str):  # type: ignore[no-untyped-def]
    from cloudc.ir import Ref, Resource

    return Resource(lid, "AWS::Route53::RecordSet", {
        "HostedZoneId": Ref("DnsZone"), "Name": name, "Type": kind, "TTL": "300",
        "ResourceRecords": ["x"]}, owner=owner, group=owner.split(".")[0])


def _e3170(*records) -> list[str]:  # type: ignore[no-untyped-def]
    from cloudc.checks import CheckContext
    from cloudc.checks.dns_records import check
    from cloudc.ir import IR

    ir = IR()
    for r in records:
        ir.add(r)
    return [f.resource or "" for f in check(CheckContext(None, None, ir))]  # type: ignore[arg-type]


def test_record_rule_reports_the_second_of_a_name_and_type() -> None:
    assert _e3170(_record("A1", "email.acme.com", "mail.acme.com", "TXT"),
                  _record("B1", "email.mail.acme.com", "Mail.Acme.com.", "TXT"),
                  _record("C1", "email.mail.acme.com", "mail.acme.com", "MX")) == ["B1"]


def test_record_rule_reports_a_cname_beside_another_record() -> None:
    assert _e3170(_record("A1", "email.acme.com", "x.acme.com", "TXT"),
                  _record("B1", "sites.web", "x.acme.com", "CNAME")) == ["B1"]


def test_record_rule_leaves_two_declared_hostnames_to_the_hostname_rule() -> None:
    assert _e3170(_record("A1", "apis.public", "api.acme.com", "A"),
                  _record("B1", "services.api", "api.acme.com", "A")) == []
    # ... but not two records one entry makes itself.
    assert _e3170(_record("A1", "sites.web", "acme.com", "A"),
                  _record("B1", "sites.web", "acme.com", "A")) == ["B1"]
