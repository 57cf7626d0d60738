"""email: SES identities keyed by domain, DNS records, inbound rules and templates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cloudc.compile import compile_config
from helpers import error_lines as _errors


def _build(tmp_path: Path, body: str, env: str = "production") -> Any:
    (tmp_path / "fn").mkdir(exist_ok=True)
    (tmp_path / "fn" / "index.js").write_text("exports.handler = async (e) => e\n")
    (tmp_path / "cloud.yaml").write_text("project: { name: Demo, region: us-east-1 }\n" + body)
    return compile_config(tmp_path / "cloud.yaml", env, dry=True)


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
