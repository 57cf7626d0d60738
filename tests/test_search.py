"""search: OpenSearch domains."""

from __future__ import annotations

from pathlib import Path

from helpers import build as _build
from helpers import error_lines as _errors


def test_secure_domain_in_vpc(tmp_path: Path) -> None:
    b = _build(tmp_path, "search: { logs: { count: 2, storage_gb: 20 } }\n")
    assert not _errors(b)
    d = b.nested["search"]["Resources"]["SearchLogsDomain"]
    p = d["Properties"]
    assert d["DeletionPolicy"] == "RetainExceptOnCreate" and d["UpdateReplacePolicy"] == "Retain"
    assert p["EncryptionAtRestOptions"]["Enabled"] and p["NodeToNodeEncryptionOptions"]["Enabled"]
    assert p["DomainEndpointOptions"]["EnforceHTTPS"]
    assert p["DomainEndpointOptions"]["TLSSecurityPolicy"].startswith("Policy-Min-TLS-1-2")
    assert p["ClusterConfig"]["ZoneAwarenessConfig"] == {"AvailabilityZoneCount": 2}
    assert p["EBSOptions"] == {"EBSEnabled": True, "VolumeType": "gp3", "VolumeSize": 20}
    assert len(p["VPCOptions"]["SubnetIds"]) == 2


def test_single_node_no_zone_awareness(tmp_path: Path) -> None:
    b = _build(tmp_path, "search: { s: {} }\n")
    p = b.nested["search"]["Resources"]["SearchSDomain"]["Properties"]
    assert "ZoneAwarenessEnabled" not in p["ClusterConfig"]
    assert len(p["VPCOptions"]["SubnetIds"]) == 1


def test_uneven_nodes(tmp_path: Path) -> None:
    b = _build(tmp_path, "search: { s: { count: 3 } }\n")
    assert any("E3005" in e and "evenly" in e for e in _errors(b))


def test_link_opens_443(tmp_path: Path) -> None:
    b = _build(tmp_path, "search: { s: {} }\n"
                         "functions: { f: { code: ./fn, vpc: true, link: [search.s] } }\n")
    assert not _errors(b)
    res = b.nested["functions"]["Resources"]
    ingress = [r for r in res.values() if r["Type"] == "AWS::EC2::SecurityGroupIngress"]
    assert any(r["Properties"]["FromPort"] == 443 for r in ingress)


def test_bad_master(tmp_path: Path) -> None:
    b = _build(tmp_path, "storage: { b: {} }\n"
                         "search: { s: { fine_grained: { master: storage.b } } }\n")
    assert any("E3002" in e and "master" in e for e in _errors(b))


def test_master_that_links_is_a_cycle(tmp_path: Path) -> None:
    b = _build(tmp_path, "search: { s: { fine_grained: { master: functions.f } } }\n"
                         "functions: { f: { code: ./fn, vpc: true, link: [search.s] } }\n")
    assert any("E3005" in e and "master" in e for e in _errors(b))
