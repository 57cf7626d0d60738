"""ACM certificates validated through DNS, shared by every section that serves a domain.

    arn = certificate(comp, ctx, ["www.acme.com", "acme.com"], path, region="us-east-1")

adds `<Owner>Certificate` (an `AWS::CertificateManager::Certificate`) and returns the
expression of its ARN. Names inside the declared `dns` zone are validated automatically:
CloudFormation writes the validation CNAMEs into that hosted zone. Names outside it still get
a certificate, but CloudFormation waits until someone adds the CNAME shown in the stack events;
the build says so with an I1001 note. Names in a `dns.zones` entry that cloudc creates, or
looks up by `zone_id`, are validated through that zone.
"""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, Ref
from cloudc.lower._zones import note_delegation, note_outside, validation_zone_for
from cloudc.source import Path


def certificate(comp: Component, ctx: Context, domains: list[str], path: Path, *,
                region: str | None = None, region_hint: str | None = None,
                purpose: str = "this certificate", suffix: str = "Certificate",
                group: str | None = None) -> Any | None:
    """Add a DNS-validated certificate for `domains` (first is the main name); return its ARN.

    With `region`, the certificate must live in that region (CloudFront: us-east-1); when the
    project's region differs, report E3005 (naming `purpose`, with `region_hint`) and return
    None.
    """
    names = list(dict.fromkeys(d.rstrip(".").lower() for d in domains if d))
    if not names:
        return None
    if region is not None and ctx.region != region:
        ctx.diags.add(
            "E3005", f"{purpose} must be in {region}, but the project deploys to "
            f"{ctx.region}, and CloudFormation cannot create a certificate in another region "
            "from this stack", origin=ctx.origin(path), path=path,
            hint=region_hint or f"create the certificate in {region} and give its ARN")
        return None
    options = []
    for name in names:
        zone = validation_zone_for(ctx, name)
        if zone is None:
            note_outside(ctx, name, path, "the certificate waits for you to add the validation "
                         "CNAME shown in the stack events")
            continue
        options.append({"DomainName": name, "HostedZoneId": zone})
        note_delegation(ctx, name)
    props: dict[str, Any] = {"DomainName": names[0], "ValidationMethod": "DNS"}
    if len(names) > 1:
        props["SubjectAlternativeNames"] = names[1:]
    if options:
        props["DomainValidationOptions"] = options
    props["KeyAlgorithm"] = "RSA_2048"
    cert = ctx.add(comp, suffix, "AWS::CertificateManager::Certificate", props, path=path,
                   group=group)
    return Ref(cert.logical_id)
