"""Lower `email` entries (keyed by domain) to SES identities, DNS records and receipt rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudc.capabilities import Sender
from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Pseudo, Ref, Sub, arn, pascal, state_of, statement
from cloudc.lower._topic_keys import allow_service
from cloudc.lower._zones import zone_for
from cloudc.schema.sections.email import Domain, Inbound
from cloudc.source import Path

SECTION = "email"
AFTER = ("storage", "topics")  # inbound mail: a bucket's policy; events: a topic's key
SEND = ["ses:SendEmail", "ses:SendRawEmail"]
SEND_TEMPLATED = ["ses:SendTemplatedEmail", "ses:SendBulkTemplatedEmail"]
TTL = "1800"
SPF = '"v=spf1 include:amazonses.com ~all"'



@dataclass
class _Domain:
    """The names `declare` gives an e-mail domain's resources, which `lower` uses."""

    domain: str
    config_set_name: str
    templates: dict[str, str]

def declare(name: str, spec: Domain, ctx: Context) -> Component | None:
    """Declare a domain's identity, configuration set, and what a link to it grants."""
    path: Path = (SECTION, name)
    domain = name.strip().rstrip(".").lower()
    clash = [c.name for c in ctx.ir.components.values()
             if c.section == SECTION and pascal(c.name) == pascal(name)]
    if clash or not pascal(name):
        ctx.diags.add("E2006", f"`{name}` gives the same resource names as `{clash[0]}`"
                      if clash else f"`{name}` is not a domain", origin=ctx.origin(path),
                      path=path)
        return None
    comp = Component(SECTION, name, "email-domain", path, ctx.origin(path))
    identity = ctx.logical(comp, "Identity")
    config_set = ctx.logical(comp, "ConfigurationSet")
    cs_name = ctx.physical(domain, 64)
    identity_arn = arn("ses", f"identity/{domain}")
    cs_arn = arn("ses", f"configuration-set/{cs_name}")
    templates = {t: ctx.physical(f"{domain}-{t}", 64) for t in spec.templates}
    comp.state = _Domain(domain, cs_name, templates)
    comp.sender = Sender(identity_arn)
    comp.attrs = {
        "id": Ref(identity, derived=Sub(domain)),
        "domain": Ref(identity, derived=Sub(domain)),
        "arn": identity_arn,
        "configuration_set": Ref(config_set, derived=Sub(cs_name)),
    }
    resources: list[Any] = [identity_arn, cs_arn]
    actions = list(SEND)
    if templates:
        actions += SEND_TEMPLATED
        resources += [arn("ses", f"template/{t}") for t in templates.values()]
    comp.grants = {
        "read": [statement(["ses:GetEmailIdentity"], [identity_arn])],
        "write": [statement(actions, resources)],
    }
    comp.link_env = {"DOMAIN": Sub(domain), "CONFIGURATION_SET": Sub(cs_name)}
    return comp


def lower(comp: Component, spec: Domain, ctx: Context) -> None:
    """Emit the configuration set, the DKIM identity, its DNS records, inbound rules, templates."""
    path = comp.path
    domain = state_of(comp, _Domain).domain
    mail_from = (spec.mail_from or f"bounce.{domain}").rstrip(".").lower()
    if mail_from == domain or not mail_from.endswith("." + domain):
        ctx.diags.add("E2005", f"`mail_from` must be a subdomain of {domain}",
                      origin=ctx.origin(path + ("mail_from",)), path=path + ("mail_from",),
                      hint=f"e.g. bounce.{domain}")
    cs = ctx.add(comp, "ConfigurationSet", "AWS::SES::ConfigurationSet", {
        "Name": state_of(comp, _Domain).config_set_name,
        "DeliveryOptions": {"TlsPolicy": "REQUIRE" if spec.tls_required else "OPTIONAL"},
        "ReputationOptions": {"ReputationMetricsEnabled": True},
        "SendingOptions": {"SendingEnabled": True},
        "SuppressionOptions": {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]},
    })
    if not spec.tls_required:
        ctx.warn("W1001", "mail may be delivered without TLS", path + ("tls_required",))
    _event_destinations(comp, spec, cs.logical_id, ctx)
    identity = ctx.add(comp, "Identity", "AWS::SES::EmailIdentity", {
        "EmailIdentity": domain,
        "DkimAttributes": {"SigningEnabled": True},
        "DkimSigningAttributes": {"NextSigningKeyLength": "RSA_2048_BIT"},
        "ConfigurationSetAttributes": {"ConfigurationSetName": Ref(cs.logical_id)},
        "MailFromAttributes": {"MailFromDomain": mail_from,
                               "BehaviorOnMxFailure": "USE_DEFAULT_VALUE"},
    })
    records = _records(comp, spec, identity.logical_id, mail_from)
    zone = zone_for(ctx, domain)
    if zone is not None:
        for suffix, name, kind, values in records:
            ctx.add(comp, suffix, "AWS::Route53::RecordSet", {
                "HostedZoneId": zone, "Name": name, "Type": kind, "TTL": TTL,
                "ResourceRecords": values}, path=path)
    else:
        lines = "; ".join(f"{_show(n)} {k} {', '.join(_show(v) for v in vs)}"
                          for _, n, k, vs in records)
        ctx.diags.add("I1001", f"`{domain}` is outside any declared `dns` zone: add these DNS "
                      f"records yourself: {lines}", origin=ctx.origin(path), path=path,
                      hint="the DKIM names and values are in `aws sesv2 get-email-identity "
                           f"--email-identity {domain}` after the deploy")
    if spec.inbound is not None:
        _inbound(comp, spec.inbound, ctx)
    from cloudc.lower._cognito import distinct

    for name in distinct(spec.templates, ctx, path + ("templates",)):
        _template(comp, name, spec.templates[name], ctx)


def _event_destinations(comp: Component, spec: Domain, cs: str, ctx: Context) -> None:
    """Publish sending events as CloudWatch metrics, and to a topic when asked."""
    if not spec.events:
        return
    ctx.add(comp, "EventsCloudWatch", "AWS::SES::ConfigurationSetEventDestination", {
        "ConfigurationSetName": Ref(cs),
        "EventDestination": {
            "Name": "cloudwatch", "Enabled": True, "MatchingEventTypes": list(spec.events),
            "CloudWatchDestination": {"DimensionConfigurations": [{
                "DimensionName": "ses:configuration-set", "DimensionValueSource": "messageTag",
                "DefaultDimensionValue": state_of(comp, _Domain).config_set_name}]},
        }}, path=comp.path + ("events",))
    if spec.events_to is None:
        return
    where = comp.path + ("events_to",)
    topic = _target(ctx, spec.events_to, "topics", where)
    if topic is None or "arn" not in topic.attrs:
        return
    if topic.topic is not None and topic.topic.fifo:
        ctx.diags.add("E3005", f"SES publishes events to standard topics only; `{topic.key}` "
                      "is a FIFO topic", origin=ctx.origin(where), path=where,
                      hint="name a topic without `fifo: true`")
        return
    ctx.add(comp, "EventsTopic", "AWS::SES::ConfigurationSetEventDestination", {
        "ConfigurationSetName": Ref(cs),
        "EventDestination": {
            "Name": "topic", "Enabled": True, "MatchingEventTypes": list(spec.events),
            "SnsDestination": {"TopicARN": topic.attrs["arn"]},
        }}, path=where)
    # SES publishes as a service: the topic needs a customer-managed key that names it.
    allow_service(topic, "ses.amazonaws.com", ctx)


def _records(comp: Component, spec: Domain, identity: str,
             mail_from: str) -> list[tuple[str, Any, str, list[Any]]]:
    """Return (logical suffix, name, type, values) of every DNS record the domain needs."""
    domain = state_of(comp, _Domain).domain
    out: list[tuple[str, Any, str, list[Any]]] = [
        (f"Dkim{i}Record", GetAtt(identity, f"DkimDNSTokenName{i}"), "CNAME",
         [GetAtt(identity, f"DkimDNSTokenValue{i}")]) for i in (1, 2, 3)
    ]
    if spec.spf:
        out.append(("SpfRecord", domain, "TXT", [SPF]))
    if spec.dmarc is not None:
        value = f"v=DMARC1; p={spec.dmarc}"
        if spec.rua:
            rua = spec.rua if spec.rua.startswith("mailto:") else f"mailto:{spec.rua}"
            value += f"; rua={rua}"
        out.append(("DmarcRecord", f"_dmarc.{domain}", "TXT", [f'"{value}"']))
    out.append(("MailFromMxRecord", mail_from, "MX",
                [Sub("10 feedback-smtp.${AWS::Region}.amazonses.com")]))
    out.append(("MailFromSpfRecord", mail_from, "TXT", [SPF]))
    if spec.inbound is not None:
        out.append(("InboundMxRecord", domain, "MX",
                    [Sub("10 inbound-smtp.${AWS::Region}.amazonaws.com")]))
    return out


def _show(value: Any) -> str:
    if isinstance(value, GetAtt):
        return f"<{value.attr}>"
    if isinstance(value, Sub):
        return value.template.replace("${AWS::Region}", "<region>")
    return str(value)


def _target(ctx: Context, ref: str, section: str, path: Path) -> Component | None:
    """Return the component `ref` names, checking it is in `section`."""
    comp = ctx.component(ref)
    if comp is None or comp.section != section:
        from cloudc.diagnostics import did_you_mean

        names = [c.name for c in ctx.ir.components.values() if c.section == section]
        what = "is not declared" if comp is None else f"is not in `{section}`"
        ctx.diags.add("E3001", f"`{ref}` {what}", origin=ctx.origin(path), path=path,
                      hint=did_you_mean(ref.split(".", 1)[-1], names)
                      or f"name one of `{section}`")
        return None
    return comp


def _inbound(comp: Component, inbound: Inbound, ctx: Context) -> None:
    """Receive mail: a receipt rule set with one rule storing to S3 and/or invoking a function."""
    path = comp.path + ("inbound",)
    domain = state_of(comp, _Domain).domain
    if inbound.bucket is None and inbound.function is None:
        ctx.diags.add("E3005", "inbound mail needs a `bucket`, a `function`, or both",
                      origin=ctx.origin(path), path=path)
        return
    # Receiving waits for the bucket and the function; sending must not (auth uses it, and
    # functions follow auth), so receipt rules get a stack of their own.
    group = "email-inbound"
    # An account has one active receipt rule set a region: every inbound domain adds its rule
    # to the set the first one makes, so that activating that one set receives for all.
    shared = next((r for r in ctx.ir.resources.values()
                   if r.type == "AWS::SES::ReceiptRuleSet" and r.group == group), None)
    rule_set = (shared.properties["RuleSetName"] if shared is not None
                else ctx.physical(f"{domain}-inbound", 64))
    rule_name = ctx.physical(f"{domain}-receive", 64)
    rule_arn = arn("ses", f"receipt-rule-set/{rule_set}:receipt-rule/{rule_name}")
    actions: list[dict[str, Any]] = []
    depends: list[str] = []
    stored: Component | None = None
    if inbound.bucket is not None:
        bucket = _target(ctx, inbound.bucket, "storage", path + ("bucket",))
        if bucket is not None and bucket.bucket:
            prefix = inbound.prefix
            actions.append({"S3Action": {"BucketName": bucket.attrs["name"],
                                         "ObjectKeyPrefix": prefix}})
            if _allow_ses_puts(bucket, prefix, rule_arn, ctx, path + ("bucket",)):
                stored = bucket
    if inbound.function is not None:
        fn = _target(ctx, inbound.function, "functions", path + ("function",))
        if fn is not None and fn.invoke is not None:
            perm = ctx.add(comp, "InboundPermission", "AWS::Lambda::Permission", {
                "Action": "lambda:InvokeFunction", "FunctionName": fn.invoke.name,
                "Principal": "ses.amazonaws.com", "SourceAccount": Pseudo("AWS::AccountId"),
                "SourceArn": rule_arn}, path=path + ("function",), group=group)
            depends.append(perm.logical_id)
            actions.append({"LambdaAction": {"FunctionArn": fn.invoke.arn,
                                             "InvocationType": "Event"}})
            if stored is not None:
                _let_function_read(comp, fn, stored, inbound.prefix, ctx)
    if not actions:
        return
    if inbound.bucket is None:
        ctx.diags.add("I1001", "the function receives each message's headers only: add "
                      "`bucket` to keep the whole message", origin=ctx.origin(path), path=path)
    rs = shared or ctx.add(comp, "RuleSet", "AWS::SES::ReceiptRuleSet",
                           {"RuleSetName": rule_set}, path=path, group=group)
    rule_props: dict[str, Any] = {
        "RuleSetName": Ref(rs.logical_id),
        "Rule": {"Name": rule_name, "Enabled": True, "ScanEnabled": inbound.spam_scan,
                 "TlsPolicy": "Require", "Recipients": inbound.recipients or [domain],
                 "Actions": actions},
    }
    before = [r for r in ctx.ir.resources.values()
              if r.type == "AWS::SES::ReceiptRule" and r.group == group]
    if before:  # one rule after the other: SES orders the rules of a set
        rule_props["After"] = before[-1].properties["Rule"]["Name"]
        depends.append(before[-1].logical_id)
    rule = ctx.add(comp, "ReceiptRule", "AWS::SES::ReceiptRule", rule_props, path=path,
                   group=group)
    # SES checks at creation that it may invoke the function.
    rule.depends_on.extend(depends)
    if not inbound.spam_scan:
        ctx.warn("W1001", "inbound mail is not scanned for spam and viruses",
                 path + ("spam_scan",))
    if shared is None:
        ctx.diags.add("I1001", "CloudFormation cannot activate a receipt rule set: run `aws ses "
                      f"set-active-receipt-rule-set --rule-set-name {rule_set}` once after "
                      "the first deploy (an account has one active rule set per region; "
                      "every inbound domain of this app adds its rule to this set)",
                      origin=ctx.origin(path), path=path,
                      hint="SES receives mail only in some regions, e.g. us-east-1, "
                           "us-west-2, eu-west-1")


def _let_function_read(comp: Component, fn: Component, bucket: Component, prefix: str,
                       ctx: Context) -> None:
    """Let the inbound function read the messages SES stores, and tell it where they are.

    SES hands the function the message's headers only; the whole message is the object
    `<prefix><messageId>` in the bucket, which the S3 action (run first) has written.
    """
    from cloudc.lower._buckets import objects_of

    read = statement(["s3:GetObject"], [objects_of(bucket.attrs["arn"], prefix)])
    if fn.statements is not None and read not in fn.statements:
        fn.statements.append(read)
    if fn.environment is not None:
        fn.environment.setdefault(f"{comp.env_prefix}_INBOUND_BUCKET",
                                  bucket.attrs["name"].derived or bucket.attrs["name"])
        fn.environment.setdefault(f"{comp.env_prefix}_INBOUND_PREFIX", prefix)


def _allow_ses_puts(bucket: Component, prefix: str, rule_arn: Sub, ctx: Context,
                    path: Path) -> bool:
    """Let this account's SES rule write into the bucket, via the bucket's one policy.

    The statement is the one the SES guide gives (AWS:SourceAccount and AWS:SourceArn):
    https://docs.aws.amazon.com/ses/latest/dg/receiving-email-permissions.html
    """
    policy = ctx.ir.resources.get(ctx.logical(bucket, "BucketPolicy"))
    bucket_arn = bucket.attrs["arn"]
    derived = getattr(bucket_arn, "derived", None)
    if policy is None or not isinstance(derived, Sub):
        ctx.diags.add("E3002", f"`{bucket.key}` cannot receive mail: it has no bucket policy",
                      origin=ctx.origin(path), path=path)
        return False
    statements = policy.properties["PolicyDocument"]["Statement"]
    statements.append({
        "Sid": "AllowSesInbound",
        "Effect": "Allow",
        "Principal": {"Service": "ses.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": Sub(f"{derived.template}/{prefix}*", derived.vars),
        "Condition": {"StringEquals": {"AWS:SourceAccount": Pseudo("AWS::AccountId"),
                                       "AWS:SourceArn": rule_arn}},
    })
    storage = getattr(ctx.config, "storage", None) or {}
    spec = storage.get(bucket.name)
    if spec is not None and getattr(spec, "encryption", "s3") == "kms":
        ctx.diags.add("E3005", f"`{bucket.key}` is encrypted with the AWS-managed KMS key, which "
                      "SES cannot write with", origin=ctx.origin(path), path=path,
                      hint=f"use `encryption: s3` on storage.{bucket.name}")
        return False
    return True


def _template(comp: Component, name: str, tpl: Any, ctx: Context) -> None:
    """Emit one SES template, reading `./file` parts relative to the config."""
    path = comp.path + ("templates", name)
    parts: dict[str, Any] = {"TemplateName": state_of(comp, _Domain).templates[name],
                             "SubjectPart": tpl.subject}
    for key, prop in (("html", "HtmlPart"), ("text", "TextPart")):
        value = getattr(tpl, key)
        if value is None:
            continue
        if value.startswith(("./", "../")):
            text = ctx.read_file(value, path + (key,))
            if text is None:
                continue
            value = text
        parts[prop] = value
    if tpl.html is None and tpl.text is None:
        ctx.diags.add("E2002", "a template needs `html`, `text`, or both",
                      origin=ctx.origin(path), path=path)
        return
    ctx.add(comp, f"Template{pascal(name)}", "AWS::SES::Template", {"Template": parts}, path=path)
