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
