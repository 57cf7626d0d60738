"""Lower `auth` entries to Cognito user pools, app clients, hosted UI, social sign-in.

The pool names its trigger functions by computed ARN, and each trigger's permission lives in
the functions' stack: the functions stack then follows the auth stack, so functions may link
to the pool (its id in their environment) with no cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudc.capabilities import UserPool
from cloudc.context import Context
from cloudc.diagnostics import did_you_mean
from cloudc.ir import Component, GetAtt, Ref, Sub, pascal, state_of, statement
from cloudc.lower._cognito import client, distinct, provider, resource_servers
from cloudc.lower._names import cognito_prefix
from cloudc.lower._zones import CLOUDFRONT_ZONE_ID, alias_records
from cloudc.schema.base import link_target
from cloudc.schema.sections.auth import Domain, IdentityPool, Pool
from cloudc.source import Path

SECTION = "auth"
# Resource types whose replacement or deletion loses data, and what is lost (`cloudc diff`).
STATEFUL = {"AWS::Cognito::UserPool": "every user account"}
READ = ["cognito-idp:AdminGetUser", "cognito-idp:ListUsers"]
WRITE = ["cognito-idp:AdminCreateUser", "cognito-idp:AdminUpdateUserAttributes",
         "cognito-idp:AdminDeleteUser"]
TRIGGER_KEYS = {
    "pre_sign_up": "PreSignUp", "post_confirmation": "PostConfirmation",
    "pre_authentication": "PreAuthentication", "post_authentication": "PostAuthentication",
    "pre_token_generation": "PreTokenGeneration", "custom_message": "CustomMessage",
    "define_auth_challenge": "DefineAuthChallenge", "create_auth_challenge": "CreateAuthChallenge",
    "verify_auth_challenge_response": "VerifyAuthChallengeResponse",
    "user_migration": "UserMigration",
}



@dataclass
class _Names:
    """What `declare` names and `lower` emits: app clients (name -> logical ID), domain prefix."""

    clients: dict[str, str]
    prefix: str

def declare(name: str, spec: Pool, ctx: Context) -> Component:
    """Declare a pool's attributes (used by `apis` authorizers) and what a link grants."""
    path: Path = (SECTION, name)
    comp = Component(SECTION, name, "user-pool", path, ctx.origin(path))
    pool = ctx.logical(comp, "Pool")
    pool_arn = GetAtt(pool, "Arn")
    clients = {c: ctx.logical(comp, f"Client{pascal(c)}")
               for c in distinct(spec.clients, ctx, path + ("clients",))}
    comp.primary = pool
    comp.user_pool = UserPool(pool, [Ref(lid) for lid in clients.values()])
    comp.attrs = {
        "id": Ref(pool),
        "pool_id": Ref(pool),
        "pool_arn": pool_arn,
        "arn": pool_arn,
        "issuer": Sub("https://cognito-idp.${AWS::Region}.amazonaws.com/${Pool}",
                      (("Pool", Ref(pool)),)),
        **{f"clients.{c}": Ref(lid) for c, lid in clients.items()},
    }
    prefix = _prefix(name, spec, ctx)
    custom = _domain_name(spec)
    if custom:
        comp.attrs["url"] = Sub(f"https://{custom}")
    elif _hosted_ui(spec):
        comp.attrs["url"] = Sub(f"https://{prefix}.auth.${{AWS::Region}}.amazoncognito.com")
    comp.state = _Names(clients, prefix)
    comp.grants = {"read": [statement(READ, [pool_arn])],
                   "write": [statement(WRITE, [pool_arn])]}
    comp.link_env = {"POOL_ID": Ref(pool), "POOL_ARN": pool_arn,
                     **{f"CLIENT_{pascal(c).upper()}_ID": Ref(lid) for c, lid in clients.items()}}
    if spec.identity_pool:
        comp.attrs["identity_pool_id"] = Ref(ctx.logical(comp, "IdentityPool"))
    if isinstance(spec.identity_pool, IdentityPool):
        comp.statements = []
        comp.links = [(*link_target(link), path + ("identity_pool", "link", i))
                      for i, link in enumerate(spec.identity_pool.link)]
        comp.role = ctx.logical(comp, "AuthenticatedRole")
    return comp


def _prefix(name: str, spec: Pool, ctx: Context) -> str:
    """Return the Sub template of the hosted UI's prefix domain.

    Prefixes are unique across all of AWS: the default one carries the account and region
    (lower/_names.py); one given as `prefix` is used as written.
    """
    if spec.prefix:
        return spec.prefix
    return cognito_prefix(ctx, name)


def _domain_name(spec: Pool) -> str | None:
    if isinstance(spec.domain, Domain):
        return spec.domain.name.rstrip(".").lower()
    return spec.domain.rstrip(".").lower() if spec.domain else None


def _hosted_ui(spec: Pool) -> bool:
    if spec.hosted_ui is not None:
        return bool(spec.hosted_ui)
    oauth = any(set(c.flows) & {"code", "implicit"} for c in spec.clients.values())
    return oauth or bool(spec.social) or bool(spec.domain)


def lower(comp: Component, spec: Pool, ctx: Context) -> None:
    """Emit the pool, its triggers' permissions, providers, clients, domain, identity pool."""
    path = comp.path
    props = _pool_properties(comp, spec, ctx)
    pool = ctx.add(comp, "Pool", "AWS::Cognito::UserPool", props, stateful=True)
    if spec.retain is not None:
        pool.retain(spec.retain)
        if not spec.retain:
            ctx.warn("W1001", "the user pool is deleted with the stack", path + ("retain",))
    _triggers(comp, spec, props, ctx)
    providers = {key: provider(comp, key, spec.social[key], ctx)
                 for key in distinct(spec.social, ctx, path + ("social",))}
    servers = resource_servers(comp, spec, ctx)
    for name in state_of(comp, _Names).clients:
        client(comp, name, spec.clients[name], providers, servers, ctx)
    if _hosted_ui(spec):
        _domain(comp, spec, ctx)
    if spec.identity_pool:
        _identity_pool(comp, spec, ctx)


def _tags(comp: Component, ctx: Context) -> dict[str, str]:
    return {"project": ctx.slug, "environment": ctx.env, **dict(ctx.config.tags or {}),
            **comp.tags}


def _pool_properties(comp: Component, spec: Pool, ctx: Context) -> dict[str, Any]:
    path = comp.path
    pw = spec.password
    props: dict[str, Any] = {"UserPoolName": ctx.physical(comp.name, 128)}
    sign_in = list(dict.fromkeys(spec.sign_in))
    if "phone" in sign_in:
        ctx.diags.add("E3005", "phone sign-in needs SMS, which cloudc does not set up yet",
                      origin=ctx.origin(path + ("sign_in",)), path=path + ("sign_in",),
                      hint="sign in with email or username")
    if "username" in sign_in:
        aliases = [a for a in sign_in if a == "email"]
        if aliases:
            props["AliasAttributes"] = aliases
    else:
        props["UsernameAttributes"] = [a for a in sign_in if a == "email"]
    props["UsernameConfiguration"] = {"CaseSensitive": False}
    props["AutoVerifiedAttributes"] = ["email"]
    props["AccountRecoverySetting"] = {"RecoveryMechanisms": [
        {"Name": "verified_email", "Priority": 1}]}
    props["AdminCreateUserConfig"] = {"AllowAdminCreateUserOnly": not spec.self_sign_up}
    props["Policies"] = {"PasswordPolicy": {
        "MinimumLength": pw.min_length, "RequireLowercase": pw.lowercase,
        "RequireUppercase": pw.uppercase, "RequireNumbers": pw.numbers,
        "RequireSymbols": pw.symbols, "TemporaryPasswordValidityDays": pw.temporary_days}}
    if pw.min_length < 8:
        ctx.warn("W1001", "passwords shorter than 8 characters", path + ("password", "min_length"))
    required = list(dict.fromkeys(["email", *spec.attributes]))
    props["Schema"] = [{"Name": a, "AttributeDataType": "String", "Required": True,
                        "Mutable": True} for a in required]
    props.update(_mfa(spec, ctx, path))
    props["EmailConfiguration"] = _email(spec, ctx, path)
    if spec.advanced_security not in ("off", False):
        props["UserPoolAddOns"] = {"AdvancedSecurityMode": str(spec.advanced_security).upper()}
    protect = spec.deletion_protection
    if protect is None:
        protect = ctx.production
    elif not protect and ctx.production:
        ctx.warn("W1001", "deletion protection is off for a production user pool",
                 path + ("deletion_protection",))
    props["DeletionProtection"] = "ACTIVE" if protect else "INACTIVE"
    props["UserPoolTags"] = _tags(comp, ctx)
    return props


def _mfa(spec: Pool, ctx: Context, path: Path) -> dict[str, Any]:
    if "sms" in spec.mfa_methods:
        ctx.diags.add("E3005", "SMS MFA is not supported yet: it needs an SNS role and an SMS "
                      "sending setup", origin=ctx.origin(path + ("mfa_methods",)),
                      path=path + ("mfa_methods",), hint="use `mfa_methods: [totp]`")
    if spec.mfa == "off":
        return {"MfaConfiguration": "OFF"}
    return {"MfaConfiguration": "ON" if spec.mfa == "required" else "OPTIONAL",
            "EnabledMfas": ["SOFTWARE_TOKEN_MFA"]}


def _email(spec: Pool, ctx: Context, path: Path) -> dict[str, Any]:
    """Use Cognito's own mail (50 a day) unless a sender on a declared `email` domain is given."""
    if spec.email is None:
        return {"EmailSendingAccount": "COGNITO_DEFAULT"}
    where = path + ("email", "from")
    address = spec.email.from_.strip()
    domain = address.rpartition("@")[2].rstrip(">").lower()
    sender = ctx.component(f"email.{domain}")
    if "@" not in address or sender is None:
        declared = [c.name for c in ctx.ir.components.values() if c.section == "email"]
        ctx.diags.add("E3001", f"`{address}` is not on a domain declared in `email`",
                      origin=ctx.origin(where), path=where,
                      hint=did_you_mean(domain, declared) or f"add `email: {{{domain}: {{}}}}`")
        return {"EmailSendingAccount": "COGNITO_DEFAULT"}
    out: dict[str, Any] = {
        "EmailSendingAccount": "DEVELOPER",
        "From": f"{spec.email.name} <{address}>" if spec.email.name else address,
        "SourceArn": sender.sender.identity_arn if sender.sender else None,
        "ConfigurationSet": sender.attrs["configuration_set"],
    }
    if spec.email.reply_to:
        out["ReplyToEmailAddress"] = spec.email.reply_to
    ctx.diags.add("I1001", f"Cognito sends from `{domain}` only once SES has verified it (its "
                  "DKIM records are published) and the account is out of the SES sandbox",
                  origin=ctx.origin(where), path=where)
    return out


def _triggers(comp: Component, spec: Pool, props: dict[str, Any], ctx: Context) -> None:
    """Wire each trigger: the pool's LambdaConfig, and a permission scoped to this pool."""
    config: dict[str, Any] = {}
    for trigger, ref in spec.triggers.items():
        where = comp.path + ("triggers", trigger)
        fn = ctx.component(ref)
        if fn is None or fn.invoke is None:
            names = [c.name for c in ctx.ir.components.values() if c.section == "functions"]
            ctx.diags.add("E3001" if fn is None else "E3002",
                          f"`{ref}` is not a declared function", origin=ctx.origin(where),
                          path=where, hint=did_you_mean(ref.split(".", 1)[-1], names))
            continue
        fn_arn = fn.invoke.arn  # the release alias when the function has one
        # By computed ARN: Cognito does not need the function to exist yet.
        config[TRIGGER_KEYS[trigger]] = getattr(fn_arn, "derived", None) or fn_arn
        ctx.add(comp, f"{pascal(trigger)}Permission", "AWS::Lambda::Permission", {
            "Action": "lambda:InvokeFunction", "FunctionName": fn.invoke.name,
            "Principal": "cognito-idp.amazonaws.com",
            "SourceArn": GetAtt(comp.primary, "Arn")}, path=where, group="functions")
    if config:
        props["LambdaConfig"] = config


def _domain(comp: Component, spec: Pool, ctx: Context) -> None:
    """Add the hosted UI domain: Cognito's prefix domain, or a custom one with its certificate."""
    custom = _domain_name(spec)
    path = comp.path + ("domain",)
    if not custom:
        ctx.add(comp, "Domain", "AWS::Cognito::UserPoolDomain", {
            "UserPoolId": Ref(comp.primary), "Domain": Sub(state_of(comp, _Names).prefix)})
        return
    cert: Any = spec.domain.certificate_arn if isinstance(spec.domain, Domain) else None
    if cert is None:
        from cloudc.lower._certs import certificate

        cert = certificate(comp, ctx, [custom], path, region="us-east-1",
                           region_hint="the hosted UI is served by CloudFront: give "
                                       "`domain: {name: ..., certificate_arn: <us-east-1 ARN>}`")
        if cert is None:
            return
    res = ctx.add(comp, "Domain", "AWS::Cognito::UserPoolDomain", {
        "UserPoolId": Ref(comp.primary), "Domain": custom,
        "CustomDomainConfig": {"CertificateArn": cert}}, path=path)
    alias_records(comp, ctx, custom, GetAtt(res.logical_id, "CloudFrontDistribution"),
                  CLOUDFRONT_ZONE_ID, path, ipv6=False)
    parent = custom.split(".", 1)[1] if "." in custom else custom
    ctx.diags.add("I1001", f"Cognito accepts the custom domain `{custom}` only if `{parent}` "
                  "already resolves (has an A record)", origin=ctx.origin(path), path=path)


def _identity_pool(comp: Component, spec: Pool, ctx: Context) -> None:
    """Add an identity pool trusting this user pool, and the role signed-in users assume."""
    path = comp.path + ("identity_pool",)
    pool = comp.primary
    clients = state_of(comp, _Names).clients
    providers = [{"ClientId": Ref(lid), "ProviderName": GetAtt(pool, "ProviderName"),
                  "ServerSideTokenCheck": True} for name, lid in clients.items()
                 if "client_credentials" not in spec.clients[name].flows]
    if not providers:
        ctx.diags.add("E3005", "an identity pool needs an app client for users under `clients`",
                      origin=ctx.origin(path), path=path)
        return
    idp = ctx.add(comp, "IdentityPool", "AWS::Cognito::IdentityPool", {
        "IdentityPoolName": ctx.physical(comp.name, 128, sep="_"),
        "AllowUnauthenticatedIdentities": False,
        "CognitoIdentityProviders": providers,
        "IdentityPoolTags": [{"Key": k, "Value": v} for k, v in sorted(_tags(comp, ctx).items())],
    }, path=path)
    role_props: dict[str, Any] = {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
            "Condition": {
                "StringEquals": {"cognito-identity.amazonaws.com:aud": Ref(idp.logical_id)},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
            }}]},
    }
    if comp.statements is not None:
        role_props["Policies"] = [{"PolicyName": "cloudc", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": comp.statements}}]
    role = ctx.add(comp, "AuthenticatedRole", "AWS::IAM::Role", role_props, path=path)
    ctx.add(comp, "IdentityPoolRoles", "AWS::Cognito::IdentityPoolRoleAttachment", {
        "IdentityPoolId": Ref(idp.logical_id),
        "Roles": {"authenticated": GetAtt(role.logical_id, "Arn")}}, path=path)
