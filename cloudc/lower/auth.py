"""Lower `auth` entries to Cognito user pools, app clients, hosted UI, social sign-in.

A pool with Lambda triggers refers to its functions, so nothing the functions stack holds may
refer back to the pool: consumers of such a pool get their Cognito permissions from a policy
in the auth stack, and the pool id through an SSM parameter instead of an environment value.
"""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.diagnostics import did_you_mean
from cloudc.ir import Component, GetAtt, Ref, Sub, arn, pascal, statement
from cloudc.lower.dns import CLOUDFRONT_ZONE_ID, alias_records
from cloudc.resolve import INTERP
from cloudc.schema.base import link_target
from cloudc.schema.sections.auth import Client, Domain, IdentityPool, Pool, Social
from cloudc.source import Path

SECTION = "auth"
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
PROVIDERS = {"google": ("Google", "Google", "openid email profile"),
             "facebook": ("Facebook", "Facebook", "public_profile,email"),
             "apple": ("SignInWithApple", "SignInWithApple", "email name"),
             "oidc": (None, "OIDC", "openid email profile")}
FLOWS = {"srp": "ALLOW_USER_SRP_AUTH", "password": "ALLOW_USER_PASSWORD_AUTH",
         "custom": "ALLOW_CUSTOM_AUTH", "admin": "ALLOW_ADMIN_USER_PASSWORD_AUTH"}


def declare(name: str, spec: Pool, ctx: Context) -> Component:
    """Declare a pool's attributes (used by `apis` authorizers) and what a link grants."""
    path: Path = (SECTION, name)
    comp = Component(SECTION, name, "user-pool", path, ctx.origin(path))
    pool = ctx.logical(comp, "Pool")
    pool_arn = GetAtt(pool, "Arn")
    clients = {c: ctx.logical(comp, f"Client{pascal(c)}") for c in spec.clients}
    comp.extra.update(pool=pool, clients=clients,
                      client_ids=[Ref(lid) for lid in clients.values()])
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
    comp.extra["prefix"] = prefix
    read, write = statement(READ, [pool_arn]), statement(WRITE, [pool_arn])
    if spec.triggers:
        # The pool refers to its trigger functions; keep every reference pointing one way.
        param = f"/{ctx.slug}/{ctx.env}/auth/{name}/pool-id"
        param_arn = arn("ssm", f"parameter{param}")
        get = statement(["ssm:GetParameter"], [param_arn])
        comp.extra.update(parameter=param, separate={"read": [read], "write": [write]})
        comp.grants = {"read": [get], "write": [get]}
        comp.link_env = {"POOL_ID_PARAMETER": Sub(param)}
        comp.extra["on_link"] = _separate_policy(comp)
    else:
        comp.grants = {"read": [read], "write": [write]}
        comp.link_env = {"POOL_ID": Ref(pool), "POOL_ARN": pool_arn,
                         **{f"CLIENT_{pascal(c).upper()}_ID": Ref(lid)
                            for c, lid in clients.items()}}
    if spec.identity_pool:
        comp.attrs["identity_pool_id"] = Ref(ctx.logical(comp, "IdentityPool"))
    if isinstance(spec.identity_pool, IdentityPool):
        comp.statements = []
        comp.links = [(*link_target(link), path + ("identity_pool", "link", i))
                      for i, link in enumerate(spec.identity_pool.link)]
        comp.extra["role"] = ctx.logical(comp, "AuthenticatedRole")
    return comp


def _separate_policy(comp: Component) -> Any:
    """Grant a consumer the pool's actions from a policy that lives beside the pool."""
    def hook(consumer: Component, access: str, path: Path, ctx: Context) -> None:
        levels = ("read", "write") if access == "read-write" else (access,)
        statements = [st for level in levels for st in comp.extra["separate"][level]]
        role = consumer.extra.get("role")
        if role not in ctx.ir.resources:
            if consumer.statements is not None:
                consumer.statements.extend(statements)
            return
        suffix = f"Grant{pascal(consumer.section)}{pascal(consumer.name)}"
        if ctx.logical(comp, suffix) in ctx.ir.resources:
            return
        ctx.add(comp, suffix, "AWS::IAM::Policy", {
            "PolicyName": f"{ctx.slug}-auth-{comp.name}",
            "Roles": [Ref(role)],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
        }, path=path)
        ctx.diags.add("I1001", f"`{comp.key}` has Lambda triggers, so the pool id reaches "
                      f"`{consumer.key}` through the SSM parameter named in "
                      f"{comp.env_prefix}_POOL_ID_PARAMETER", origin=ctx.origin(path), path=path,
                      hint="triggers also receive it in the event's `userPoolId`")
    return hook


def _prefix(name: str, spec: Pool, ctx: Context) -> str:
    """Return the hosted UI's prefix domain (Cognito forbids aws, amazon and cognito in it)."""
    if spec.prefix:
        return spec.prefix
    prefix = ctx.physical(name, 63)
    for word in ("amazon", "cognito", "aws"):
        prefix = prefix.replace(word, "x" * len(word))
    return prefix


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
        pool.deletion_policy = pool.update_replace_policy = "Retain" if spec.retain else "Delete"
        if not spec.retain:
            ctx.warn("W1001", "the user pool is deleted with the stack", path + ("retain",))
    _triggers(comp, spec, props, ctx)
    providers = {key: _provider(comp, key, social, ctx) for key, social in spec.social.items()}
    servers = _resource_servers(comp, spec, ctx)
    for name, client in spec.clients.items():
        _client(comp, name, client, providers, servers, ctx)
    if _hosted_ui(spec):
        _domain(comp, spec, ctx)
    if spec.identity_pool:
        _identity_pool(comp, spec, ctx)
    if spec.triggers:
        ctx.add(comp, "PoolIdParameter", "AWS::SSM::Parameter", {
            "Name": comp.extra["parameter"], "Type": "String", "Value": Ref(pool.logical_id),
            "Description": f"Cognito user pool id of {comp.key}"})


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
    if spec.advanced_security != "off":
        props["UserPoolAddOns"] = {"AdvancedSecurityMode": spec.advanced_security.upper()}
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
        "SourceArn": sender.extra["identity_arn"],
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
        if fn is None or "function" not in fn.extra:
            names = [c.name for c in ctx.ir.components.values() if c.section == "functions"]
            ctx.diags.add("E3001" if fn is None else "E3002",
                          f"`{ref}` is not a declared function", origin=ctx.origin(where),
                          path=where, hint=did_you_mean(ref.split(".", 1)[-1], names))
            continue
        config[TRIGGER_KEYS[trigger]] = fn.attrs["arn"]
        ctx.add(comp, f"{pascal(trigger)}Permission", "AWS::Lambda::Permission", {
            "Action": "lambda:InvokeFunction", "FunctionName": fn.attrs["name"],
            "Principal": "cognito-idp.amazonaws.com",
            "SourceArn": GetAtt(comp.extra["pool"], "Arn")}, path=where)
    if config:
        props["LambdaConfig"] = config


def _secret(social: Social, key: str, field: str, ctx: Context, path: Path) -> Any:
    """Return a provider secret as a dynamic reference; literal secrets are errors."""
    value = getattr(social, field)
    where = path + (field,)
    if value is None:
        ctx.diags.add("E2002", f"`{key}` needs `{field}`", origin=ctx.origin(path), path=where)
        return ""
    m = INTERP.fullmatch(value.strip())
    if m is None or not m.group(1).strip().startswith(("secret:", "ssm:")):
        ctx.diags.add("E3005", f"`{field}` must not be written in the config", path=where,
                      origin=ctx.origin(where),
                      hint="store it in Secrets Manager or SSM and write `${secret:NAME}` or "
                           "`${ssm:/path}`")
        return ""
    got = ctx.value(value.strip(), where)
    if isinstance(got, str) and "resolve:ssm-secure:" in got:
        ctx.diags.add("E3005", "an SSM SecureString cannot be used here: CloudFormation resolves "
                      "those only in a few resource types, and Cognito is not one of them",
                      origin=ctx.origin(where), path=where,
                      hint="keep the value in Secrets Manager (`${secret:NAME}` of a generated "
                           "or `arn:` secret) or in a plain SSM String")
    return got


def _provider(comp: Component, key: str, social: Social, ctx: Context) -> str:
    """Add one social or OIDC identity provider; return its provider name."""
    path = comp.path + ("social", key)
    kind = social.type or (key if key in ("google", "facebook", "apple") else None)
    if kind is None:
        ctx.diags.add("E2002", f"`{key}` is not google, facebook or apple: give `type: oidc`",
                      origin=ctx.origin(path), path=path)
        kind = "oidc"
    fixed, provider_type, scopes = PROVIDERS[kind]
    name = fixed or key
    details: dict[str, Any] = {"client_id": ctx.value(social.client_id, path + ("client_id",)),
                               "authorize_scopes": " ".join(social.scopes) if social.scopes
                               else scopes}
    if kind == "facebook" and social.scopes:
        details["authorize_scopes"] = ",".join(social.scopes)
    if kind == "apple":
        details["team_id"] = social.team_id or ""
        details["key_id"] = social.key_id or ""
        details["private_key"] = _secret(social, key, "private_key", ctx, path)
        if not social.team_id or not social.key_id:
            ctx.diags.add("E2002", "Sign in with Apple needs `team_id` and `key_id`",
                          origin=ctx.origin(path), path=path)
    else:
        details["client_secret"] = _secret(social, key, "client_secret", ctx, path)
    if kind == "oidc":
        if not social.issuer:
            ctx.diags.add("E2002", "an OIDC provider needs `issuer`", origin=ctx.origin(path),
                          path=path + ("issuer",))
        details["oidc_issuer"] = social.issuer or ""
        details["attributes_request_method"] = "GET"
    ctx.add(comp, f"Provider{pascal(key)}", "AWS::Cognito::UserPoolIdentityProvider", {
        "UserPoolId": Ref(comp.extra["pool"]), "ProviderName": name,
        "ProviderType": provider_type, "ProviderDetails": details,
        "AttributeMapping": dict(social.attributes)}, path=path)
    return name


def _resource_servers(comp: Component, spec: Pool, ctx: Context) -> list[str]:
    """Create a resource server for every custom scope (`api/read`) a client asks for."""
    scopes: dict[str, list[str]] = {}
    for client in spec.clients.values():
        for scope in client.scopes:
            if "/" in scope:
                server, _, name = scope.rpartition("/")
                scopes.setdefault(server, [])
                if name not in scopes[server]:
                    scopes[server].append(name)
    made = []
    for server, names in scopes.items():
        res = ctx.add(comp, f"Server{pascal(server)}", "AWS::Cognito::UserPoolResourceServer", {
            "UserPoolId": Ref(comp.extra["pool"]), "Identifier": server, "Name": server,
            "Scopes": [{"ScopeName": n, "ScopeDescription": n} for n in names]})
        made.append(res.logical_id)
    return made


def _client(comp: Component, name: str, client: Client, providers: dict[str, str],
            servers: list[str], ctx: Context) -> None:
    """Add an app client: least-surprise defaults (code flow, SRP, token revocation)."""
    path = comp.path + ("clients", name)
    flows = list(dict.fromkeys(client.flows))
    if "client_credentials" in flows:
        if len(flows) > 1:
            ctx.diags.add("E3005", "client_credentials cannot be combined with code or implicit",
                          origin=ctx.origin(path + ("flows",)), path=path + ("flows",),
                          hint="declare a second client for machine-to-machine use")
        if not client.generate_secret:
            ctx.diags.add("E3005", "client_credentials needs `generate_secret: true`",
                          origin=ctx.origin(path + ("flows",)), path=path + ("flows",))
        if not client.scopes or any("/" not in s for s in client.scopes):
            ctx.diags.add("E3005", "client_credentials clients only take resource-server "
                          "scopes such as `api/read`", origin=ctx.origin(path + ("scopes",)),
                          path=path + ("scopes",))
    browser = [f for f in flows if f in ("code", "implicit")]
    if browser and not client.callback_urls:
        ctx.diags.add("E2002", f"the {browser[0]} flow needs `callback_urls`",
                      origin=ctx.origin(path), path=path + ("callback_urls",))
    if "implicit" in flows:
        ctx.warn("W1003", "the implicit flow exposes tokens in URLs; use `code` (with PKCE)",
                 path + ("flows",))
    for key in ("callback_urls", "logout_urls"):
        for i, url in enumerate(getattr(client, key)):
            if not (url.startswith("https://") or url.startswith("http://localhost")
                    or "://" in url and not url.startswith("http://")):
                ctx.diags.add("E2005", f"`{url}` must use https (http only for localhost)",
                              origin=ctx.origin(path + (key, i)), path=path + (key, i))
    machine = "client_credentials" in flows
    supported = ["COGNITO", *providers.values()]
    if client.providers is not None:
        chosen = []
        for i, p in enumerate(client.providers):
            got = "COGNITO" if p == "cognito" else providers.get(p)
            if got is None:
                ctx.diags.add("E3001", f"`{p}` is not `cognito` or a name under `social`",
                              origin=ctx.origin(path + ("providers", i)),
                              path=path + ("providers", i), hint=did_you_mean(p, providers))
            else:
                chosen.append(got)
        supported = chosen
    props: dict[str, Any] = {
        "UserPoolId": Ref(comp.extra["pool"]),
        "ClientName": ctx.physical(f"{comp.name}-{name}", 128),
        "GenerateSecret": client.generate_secret,
        "ExplicitAuthFlows": [*(FLOWS[f] for f in client.auth_flows if not machine),
                              "ALLOW_REFRESH_TOKEN_AUTH"],
        "PreventUserExistenceErrors": "ENABLED",
        "EnableTokenRevocation": True,
        "AccessTokenValidity": client.access_token_minutes,
        "IdTokenValidity": client.id_token_minutes,
        "RefreshTokenValidity": client.refresh_token_days,
        "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes",
                               "RefreshToken": "days"},
    }
    if flows:
        props.update({"AllowedOAuthFlowsUserPoolClient": True, "AllowedOAuthFlows": flows,
                      "AllowedOAuthScopes": list(client.scopes)})
        if "client_credentials" not in flows:
            props["SupportedIdentityProviders"] = supported
    if client.callback_urls:
        props["CallbackURLs"] = list(client.callback_urls)
    if client.logout_urls:
        props["LogoutURLs"] = list(client.logout_urls)
    res = ctx.add(comp, f"Client{pascal(name)}", "AWS::Cognito::UserPoolClient", props, path=path)
    # A client may only name providers and scopes that already exist.
    res.depends_on.extend(ctx.logical(comp, f"Provider{pascal(k)}") for k in providers)
    res.depends_on.extend(servers)


def _domain(comp: Component, spec: Pool, ctx: Context) -> None:
    """Add the hosted UI domain: Cognito's prefix domain, or a custom one with its certificate."""
    custom = _domain_name(spec)
    path = comp.path + ("domain",)
    if not custom:
        ctx.add(comp, "Domain", "AWS::Cognito::UserPoolDomain", {
            "UserPoolId": Ref(comp.extra["pool"]), "Domain": comp.extra["prefix"]})
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
        "UserPoolId": Ref(comp.extra["pool"]), "Domain": custom,
        "CustomDomainConfig": {"CertificateArn": cert}}, path=path)
    alias_records(comp, ctx, custom, GetAtt(res.logical_id, "CloudFrontDistribution"),
                  CLOUDFRONT_ZONE_ID, path, ipv6=False)
    parent = custom.split(".", 1)[1] if "." in custom else custom
    ctx.diags.add("I1001", f"Cognito accepts the custom domain `{custom}` only if `{parent}` "
                  "already resolves (has an A record)", origin=ctx.origin(path), path=path)


def _identity_pool(comp: Component, spec: Pool, ctx: Context) -> None:
    """Add an identity pool trusting this user pool, and the role signed-in users assume."""
    path = comp.path + ("identity_pool",)
    pool = comp.extra["pool"]
    providers = [{"ClientId": Ref(lid), "ProviderName": GetAtt(pool, "ProviderName"),
                  "ServerSideTokenCheck": True} for name, lid in comp.extra["clients"].items()
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
