"""email: SES identities keyed by domain, DNS records, inbound rules and templates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers import build as _build
from helpers import error_lines as _errors


def _notes(build: Any) -> list[str]:
    return [d.text() for d in build.diagnostics.sorted() if d.severity == "note"]


def test_domain_in_zone_gets_every_record(tmp_path: Path) -> None:
    b = _build(tmp_path, "dns: { zone: acme.com }\n"
                         "email: { acme.com: { dmarc: reject, rua: dmarc@acme.com } }\n")
    assert not _errors(b)
    res = b.nested["email"]["Resources"]
    identity = res["EmailAcmeComIdentity"]["Properties"]
    assert identity["EmailIdentity"] == "acme.com"
    assert identity["MailFromAttributes"]["MailFromDomain"] == "bounce.acme.com"
    dkim = res["EmailAcmeComDkim2Record"]["Properties"]
    assert dkim["Name"] == {"Fn::GetAtt": ["EmailAcmeComIdentity", "DkimDNSTokenName2"]}
    assert dkim["ResourceRecords"] == [{"Fn::GetAtt": ["EmailAcmeComIdentity",
                                                       "DkimDNSTokenValue2"]}]
    assert res["EmailAcmeComDmarcRecord"]["Properties"]["ResourceRecords"] == [
        '"v=DMARC1; p=reject; rua=mailto:dmarc@acme.com"']
    assert res["EmailAcmeComMailFromMxRecord"]["Properties"]["Type"] == "MX"
    assert res["EmailAcmeComSpfRecord"]["Properties"]["Name"] == "acme.com"
    assert "EmailAcmeComInboundMxRecord" not in res


def test_domain_outside_zone_is_a_note(tmp_path: Path) -> None:
    b = _build(tmp_path, "email: { acme.com: {} }\n")
    assert not _errors(b)
    assert not [k for k, v in b.nested["email"]["Resources"].items()
                if v["Type"] == "AWS::Route53::RecordSet"]
    assert any("add these DNS records yourself" in n and "_dmarc.acme.com" in n
               for n in _notes(b))


def test_inbound_to_bucket_and_function(tmp_path: Path) -> None:
    b = _build(tmp_path, "dns: { zone: acme.com }\nstorage: { mail: {} }\n"
                         "functions: { inbound: { code: ./fn } }\n"
                         "email: { acme.com: { inbound: { bucket: storage.mail, "
                         "function: functions.inbound } } }\n")
    assert not _errors(b)
    policy = b.nested["storage"]["Resources"]["StorageMailBucketPolicy"]["Properties"]
    ses = policy["PolicyDocument"]["Statement"][-1]
    assert ses["Principal"] == {"Service": "ses.amazonaws.com"}
    assert ses["Condition"]["StringEquals"]["AWS:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert "receipt-rule-set/demo-production-acme-com-inbound:receipt-rule/" in json.dumps(
        ses["Condition"]["StringEquals"]["AWS:SourceArn"])
    assert ses["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::demo-production-mail-"
                                          "${AWS::AccountId}-${AWS::Region}/inbound/*"}
    # The function gets the message headers only: it reads the stored message from the bucket.
    fns = b.nested["functions"]["Resources"]
    statements = fns["FunctionsInboundRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"]
    assert {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [ses["Resource"]]} \
        in statements
    env = fns["FunctionsInboundFunction"]["Properties"]["Environment"]["Variables"]
    assert env["EMAIL_ACME_COM_INBOUND_BUCKET"] == {
        "Fn::Sub": "demo-production-mail-${AWS::AccountId}-${AWS::Region}"}
    assert env["EMAIL_ACME_COM_INBOUND_PREFIX"] == "inbound/"
    inbound = b.nested["email-inbound"]["Resources"]
    rule = inbound["EmailAcmeComReceiptRule"]
    assert rule["DependsOn"] == ["EmailAcmeComInboundPermission"]
    actions = rule["Properties"]["Rule"]["Actions"]
    assert list(actions[0]) == ["S3Action"] and list(actions[1]) == ["LambdaAction"]
    assert rule["Properties"]["Rule"]["Recipients"] == ["acme.com"]
    assert inbound["EmailAcmeComInboundPermission"]["Properties"]["Principal"] == \
        "ses.amazonaws.com"
    assert "EmailAcmeComInboundMxRecord" in b.nested["email"]["Resources"]
    assert any("set-active-receipt-rule-set" in n for n in _notes(b))


def test_inbound_needs_a_target(tmp_path: Path) -> None:
    b = _build(tmp_path, "email: { acme.com: { inbound: { recipients: [a@acme.com] } } }\n")
    assert any("needs a `bucket`" in e for e in _errors(b))
    b = _build(tmp_path, "email: { acme.com: { inbound: { bucket: storage.nope } } }\n")
    assert any("storage.nope" in e for e in _errors(b))


def test_link_grants_send_on_identity_and_configuration_set(tmp_path: Path) -> None:
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "hi.html").write_text("<p>Hi {{name}}</p>\n")
    b = _build(tmp_path, "functions: { app: { code: ./fn, link: [{ to: email.acme.com, "
                         "access: write }], environment: { D: '${email.acme.com.domain}' } } }\n"
                         "email: { acme.com: { templates: { hi: { subject: Hi, "
                         "html: ./mail/hi.html } } } }\n")
    assert not _errors(b)
    fns = b.nested["functions"]["Resources"]
    text = json.dumps(fns["FunctionsAppRole"]["Properties"]["Policies"])
    assert "ses:SendEmail" in text and "identity/acme.com" in text
    assert "configuration-set/demo-production-acme-com" in text
    assert "template/demo-production-acme-com-hi" in text
    env = fns["FunctionsAppFunction"]["Properties"]["Environment"]["Variables"]
    assert env["D"] == "acme.com" and env["EMAIL_ACME_COM_DOMAIN"] == "acme.com"
    tpl = b.nested["email"]["Resources"]["EmailAcmeComTemplateHi"]["Properties"]["Template"]
    assert tpl["HtmlPart"] == "<p>Hi {{name}}</p>\n"


def test_reference_to_undeclared_domain(tmp_path: Path) -> None:
    b = _build(tmp_path, "email: { acme.com: {} }\n"
                         "outputs: { d: '${email.other.com.domain}' }\n")
    assert any("no `email` domain" in e for e in _errors(b))


def test_bad_mail_from(tmp_path: Path) -> None:
    b = _build(tmp_path, "email: { acme.com: { mail_from: bounce.other.com } }\n")
    assert any("subdomain of acme.com" in e for e in _errors(b))


def test_function_without_bucket_gets_no_s3_access(tmp_path: Path) -> None:
    b = _build(tmp_path, "functions: { inbound: { code: ./fn } }\n"
                         "email: { acme.com: { inbound: { function: functions.inbound } } }\n")
    assert not _errors(b)
    text = json.dumps(b.nested["functions"]["Resources"]["FunctionsInboundRole"])
    assert "s3:GetObject" not in text
    assert any("headers only" in n for n in _notes(b))


def test_every_inbound_domain_joins_one_rule_set(tmp_path: Path) -> None:
    """An account has one active receipt rule set a region: two sets would lose one's mail."""
    b = _build(tmp_path, "dns: { zone: acme.com }\nstorage: { mail: {} }\n"
                         "email:\n"
                         "  acme.com: { inbound: { bucket: storage.mail } }\n"
                         "  shop.acme.com: { inbound: { bucket: storage.mail, prefix: shop/ } }\n")
    assert not _errors(b)
    inbound = b.nested["email-inbound"]["Resources"]
    sets = [k for k, v in inbound.items() if v["Type"] == "AWS::SES::ReceiptRuleSet"]
    assert sets == ["EmailAcmeComRuleSet"]
    second = inbound["EmailShopAcmeComReceiptRule"]
    assert second["Properties"]["RuleSetName"] == {"Ref": "EmailAcmeComRuleSet"}
    assert second["Properties"]["After"] == "demo-production-acme-com-receive"
    assert second["DependsOn"] == ["EmailAcmeComReceiptRule"]
    policy = b.nested["storage"]["Resources"]["StorageMailBucketPolicy"]["Properties"]
    arns = [json.dumps(st["Condition"]["StringEquals"]["AWS:SourceArn"])
            for st in policy["PolicyDocument"]["Statement"][1:]]
    assert all("receipt-rule-set/demo-production-acme-com-inbound:" in a for a in arns)
    assert len([n for n in _notes(b) if "set-active-receipt-rule-set" in n]) == 1


def test_events_to_a_topic_give_it_a_key_ses_may_use(tmp_path: Path) -> None:
    b = _build(tmp_path, "topics: { mail: {} }\n"
                         "email: { acme.com: { events_to: topics.mail } }\n")
    assert not _errors(b)
    topics = b.nested["topics"]["Resources"]
    assert topics["TopicsMailTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "TopicsMailKey"}
    policy = topics["TopicsMailKey"]["Properties"]["KeyPolicy"]["Statement"]
    ses = [st for st in policy if st["Principal"] == {"Service": "ses.amazonaws.com"}]
    assert len(ses) == 1 and set(ses[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    via = [st for st in policy if st["Principal"] == {"AWS": "*"}]
    assert via[0]["Condition"]["StringEquals"]["kms:CallerAccount"] == {"Ref": "AWS::AccountId"}
    # A topic no AWS service publishes to keeps the AWS-managed key.
    b = _build(tmp_path, "topics: { mail: {} }\nemail: { acme.com: {} }\n")
    assert b.nested["topics"]["Resources"]["TopicsMailTopic"]["Properties"][
        "KmsMasterKeyId"] == "alias/aws/sns"


def test_events_to_a_fifo_topic_is_an_error(tmp_path: Path) -> None:
    b = _build(tmp_path, "topics: { mail: { fifo: true } }\n"
                         "email: { acme.com: { events_to: topics.mail } }\n")
    assert any("standard topics only" in e and ":3:" in e for e in _errors(b))


def test_mail_from_of_one_domain_is_another_domain_is_an_error(tmp_path: Path) -> None:
    """Two SPF TXT (and MX) records for one name would fail the deploy: E3170, not output."""
    b = _build(tmp_path, "dns: { zone: acme.com }\n"
                         "email:\n  acme.com: { mail_from: mail.acme.com }\n"
                         "  mail.acme.com: {}\n")
    errors = [d for d in b.diagnostics.errors if d.code == "E3170"]
    assert errors and all("mail.acme.com" in d.message for d in errors)
    assert {d.text().split(":")[1] for d in errors} == {"5"}
    assert not b.nested


def test_record_values_follow_the_ses_guide(tmp_path: Path) -> None:
    b = _build(tmp_path, "dns: { zone: acme.com }\n"
                         "email: { acme.com: { inbound: { function: functions.f } } }\n"
                         "functions: { f: { code: ./fn } }\n")
    res = b.nested["email"]["Resources"]
    def rec(name: str) -> Any:
        return res[f"EmailAcmeCom{name}"]["Properties"]
    assert rec("MailFromMxRecord")["Name"] == "bounce.acme.com"
    assert rec("MailFromMxRecord")["ResourceRecords"] == [
        {"Fn::Sub": "10 feedback-smtp.${AWS::Region}.amazonses.com"}]
    assert rec("MailFromSpfRecord")["ResourceRecords"] == ['"v=spf1 include:amazonses.com ~all"']
    assert rec("InboundMxRecord")["Name"] == "acme.com"
    assert rec("InboundMxRecord")["ResourceRecords"] == [
        {"Fn::Sub": "10 inbound-smtp.${AWS::Region}.amazonaws.com"}]
    assert rec("DmarcRecord")["Name"] == "_dmarc.acme.com"
    assert rec("DmarcRecord")["ResourceRecords"] == ['"v=DMARC1; p=none"']
    assert all(rec(f"Dkim{i}Record")["Type"] == "CNAME" for i in (1, 2, 3))
