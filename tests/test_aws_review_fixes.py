"""Defects found reviewing the merged features' CloudFormation as an AWS engineer would."""

from __future__ import annotations

from pathlib import Path

from helpers import all_resources, build, error_lines


def _lines(b: object, code: str) -> list[str]:
    return [d.text() for d in b.diagnostics.sorted() if d.code == code]  # type: ignore[attr-defined]


SITE_IN_EXTRA_ZONE = """dns:
  zone: acme.com
  zones:
    acme.io: {}
    legacy.org: { lookup: true, zone_id: Z0123456789ABCDEFGHIJ }
    partner.net: { lookup: true }
sites:
  web: { source: ./dist, domain: www.acme.io }
  old: { source: ./dist, domain: www.legacy.org }
  partner: { source: ./dist, domain: www.partner.net }
  main: { source: ./dist, domain: shop.acme.com }
"""


def test_certificates_validate_through_the_dns_zones_that_cover_them(tmp_path: Path) -> None:
    b = build(tmp_path, SITE_IN_EXTRA_ZONE, files={"dist/index.html": "hi\n"})
    assert not b.diagnostics.has_errors, error_lines(b)
    res = all_resources(b)

    def options(lid: str) -> object:
        return res[lid]["Properties"].get("DomainValidationOptions")

    # A created extra zone: CloudFormation writes the validation CNAME into it (the stack
    # reads the zone's id as a parameter), instead of waiting 72 hours for a hand-made record.
    assert options("SitesWebCertificate") == [
        {"DomainName": "www.acme.io", "HostedZoneId": {"Ref": "DnsZoneAcmeIo"}}]
    assert options("SitesOldCertificate") == [
        {"DomainName": "www.legacy.org", "HostedZoneId": "Z0123456789ABCDEFGHIJ"}]
    assert options("SitesPartnerCertificate") is None  # looked up by name: no id to give ACM
    assert options("SitesMainCertificate") == [
        {"DomainName": "shop.acme.com", "HostedZoneId": {"Ref": "DnsZone"}}]
    notes = _lines(b, "I1001")
    assert any("`acme.io` is created by this deploy" in n and "DnsAcmeIoNameServers" in n
               for n in notes), notes
    assert any("`acme.com` is created by this deploy" in n and "`DnsNameServers`" in n
               for n in notes), notes


FAILOVER = """dns:
  zone: acme.com
  records:
    - name: app.acme.com
      type: A
      values: [192.0.2.20]
      set_identifier: main
      routing: { failover: primary, health_check: { url: "https://app.acme.com/health" } }
    - { name: app.acme.com, type: A, values: [192.0.2.21], set_identifier: backup, routing: { failover: secondary } }
    - name: www.acme.com
      type: CNAME
      values: [a.example.net]
      set_identifier: a
      routing: { failover: primary, health_check: { url: "https://www.acme.com/up" } }
    - { name: www.acme.com, type: CNAME, values: [b.example.net], set_identifier: b, routing: { failover: secondary } }
    - name: eu.acme.com
      type: A
      values: [192.0.2.30]
      set_identifier: eu
      routing: { weight: 1, health_check: { url: "http://eu-origin.acme.com/up" } }
"""


def test_a_health_check_of_the_routed_name_checks_the_records_own_address(
        tmp_path: Path) -> None:
    b = build(tmp_path, FAILOVER)
    assert not b.diagnostics.has_errors, error_lines(b)
    res = all_resources(b)
    own = res["DnsRecordAppAcmeComAMainHealthCheck"]["Properties"]["HealthCheckConfig"]
    # Resolving app.acme.com would check whichever record Route53 answers with (the backup,
    # once failed over), so the check goes to the primary's address with the name as Host/SNI.
    assert own["IPAddress"] == "192.0.2.20"
    assert own["FullyQualifiedDomainName"] == "app.acme.com" and own["EnableSNI"] is True
    other = res["DnsRecordEuAcmeComAEuHealthCheck"]["Properties"]["HealthCheckConfig"]
    assert "IPAddress" not in other and other["FullyQualifiedDomainName"] == "eu-origin.acme.com"
    warnings = _lines(b, "W3295")
    assert len(warnings) == 1 and ":15:" in warnings[0] and "www.acme.com" in warnings[0], \
        warnings


PARTNER = """topics:
  alerts: {}
  secure: { encryption: cmk }
storage:
  uploads: { notifications: [{ to: topics.secure, events: [created] }] }
resources:
  PartnerTopicPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: ["${topics.alerts.arn}"]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - { Effect: Allow, Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: sns:Publish, Resource: "${topics.alerts.arn}" }
          - { Effect: Allow, Principal: { AWS: { "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root" } }, Action: sns:Publish, Resource: "${topics.alerts.arn}" }
  EventsTopicPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: ["${topics.secure.arn}"]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - { Effect: Allow, Principal: { Service: events.amazonaws.com }, Action: sns:Publish, Resource: "${topics.secure.arn}" }
          - { Effect: Allow, Principal: { Service: s3.amazonaws.com }, Action: sns:Publish, Resource: "${topics.secure.arn}" }
"""


def test_a_topic_policy_names_only_publishers_its_key_admits(tmp_path: Path) -> None:
    b = build(tmp_path, PARTNER)
    assert not b.diagnostics.has_errors, error_lines(b)
    warnings = _lines(b, "W3296")
    # The partner account on alias/aws/sns (line 15), and EventBridge on a key that names S3
    # only (line 24); not this account's root, not S3 (the bucket notification's key grant).
    assert len(warnings) == 2, warnings
    assert ":15:" in warnings[0] and "111122223333" in warnings[0] and "alias/aws/sns" in \
        warnings[0], warnings
    assert ":24:" in warnings[1] and "events.amazonaws.com" in warnings[1] and \
        "TopicsSecureKey" in warnings[1], warnings


def test_a_second_policy_on_one_topic_is_reported_at_the_raw_resource(tmp_path: Path) -> None:
    b = build(tmp_path, PARTNER)
    warnings = _lines(b, "W3297")
    # cloudc's TopicsSecurePolicy lets S3 publish (the bucket notification); the raw policy on
    # the same topic would replace it, and S3 would refuse the notification configuration.
    assert len(warnings) == 1 and ":20:" in warnings[0] and "TopicsSecurePolicy" in \
        warnings[0], warnings
    alone = build(tmp_path / "alone", PARTNER.split("  EventsTopicPolicy:")[0])
    assert not _lines(alone, "W3297"), _lines(alone, "W3297")


def test_a_secret_dynamic_reference_waits_for_the_secrets_stack(tmp_path: Path) -> None:
    body = """secrets:
  db_login: { generate: { key: password, template: { username: app } } }
storage:
  uploads: {}
functions:
  api:
    code: ./fn
    environment:
      DB_PASSWORD: "${secret:db_login.password}"
      BUCKET: "${storage.uploads.name}"
"""
    b = build(tmp_path, body)
    assert not b.diagnostics.has_errors, error_lines(b)
    stack = b.root["Resources"]["StackFunctions"]
    # CloudFormation resolves {{resolve:secretsmanager:...}} while it creates the function: the
    # secret must exist, so the functions stack waits for the secrets stack. A bucket name is
    # only a name (no dependency), as before.
    assert stack.get("DependsOn") == ["StackSecrets"], stack
    env = all_resources(b)["FunctionsApiFunction"]["Properties"]["Environment"]["Variables"]
    assert env["DB_PASSWORD"]["Fn::Sub"][0] == \
        "{{resolve:secretsmanager:${Secret}:SecretString:password::}}"
    assert env["BUCKET"] == {"Fn::Sub": "demo-production-uploads-${AWS::AccountId}-${AWS::Region}"}
