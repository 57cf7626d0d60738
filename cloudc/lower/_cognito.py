"""Cognito app clients, resource servers and identity providers, for `auth` pools."""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.diagnostics import did_you_mean
from cloudc.ir import Component, Ref, pascal
from cloudc.resolve import INTERP
from cloudc.schema.sections.auth import Client, Pool, Social
from cloudc.source import Path

PROVIDERS = {"google": ("Google", "Google", "openid email profile"),
             "facebook": ("Facebook", "Facebook", "public_profile,email"),
             "apple": ("SignInWithApple", "SignInWithApple", "email name"),
             "oidc": (None, "OIDC", "openid email profile")}
FLOWS = {"srp": "ALLOW_USER_SRP_AUTH", "password": "ALLOW_USER_PASSWORD_AUTH",
         "custom": "ALLOW_CUSTOM_AUTH", "admin": "ALLOW_ADMIN_USER_PASSWORD_AUTH"}


def distinct(keys: Any, ctx: Context, path: Path) -> list[str]:
    """Return the keys whose logical-ID fragments differ; report the ones that clash."""
    seen: dict[str, str] = {}
    for key in keys:
        frag = pascal(key)
        if not frag or frag in seen:
            ctx.diags.add("E2006", f"`{key}` gives the same resource names as `{seen.get(frag)}`"
                          if frag else f"`{key}` needs a letter or digit",
                          origin=ctx.origin(path + (key,)), path=path + (key,))
            continue
        seen[frag] = key
    return list(seen.values())


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


def provider(comp: Component, key: str, social: Social, ctx: Context) -> str:
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
        "UserPoolId": Ref(comp.primary), "ProviderName": name,
        "ProviderType": provider_type, "ProviderDetails": details,
        "AttributeMapping": dict(social.attributes)}, path=path)
    return name


def resource_servers(comp: Component, spec: Pool, ctx: Context) -> list[str]:
    """Create a resource server for every custom scope (`api/read`) a client asks for."""
    scopes: dict[str, list[str]] = {}
    for entry in spec.clients.values():
        for scope in entry.scopes:
            if "/" in scope:
                server, _, name = scope.rpartition("/")
                scopes.setdefault(server, [])
                if name not in scopes[server]:
                    scopes[server].append(name)
    made = []
    for server in distinct(scopes, ctx, comp.path + ("clients",)):
        names = scopes[server]
        res = ctx.add(comp, f"Server{pascal(server)}", "AWS::Cognito::UserPoolResourceServer", {
            "UserPoolId": Ref(comp.primary), "Identifier": server, "Name": server,
            "Scopes": [{"ScopeName": n, "ScopeDescription": n} for n in names]})
        made.append(res.logical_id)
    return made


def client(comp: Component, name: str, spec: Client, providers: dict[str, str],
            servers: list[str], ctx: Context) -> None:
    """Add an app client: least-surprise defaults (code flow, SRP, token revocation)."""
    path = comp.path + ("clients", name)
    flows = list(dict.fromkeys(spec.flows))
    if "client_credentials" in flows:
        if len(flows) > 1:
            ctx.diags.add("E3005", "client_credentials cannot be combined with code or implicit",
                          origin=ctx.origin(path + ("flows",)), path=path + ("flows",),
                          hint="declare a second client for machine-to-machine use")
        if not spec.generate_secret:
            ctx.diags.add("E3005", "client_credentials needs `generate_secret: true`",
                          origin=ctx.origin(path + ("flows",)), path=path + ("flows",))
        if not spec.scopes or any("/" not in s for s in spec.scopes):
            ctx.diags.add("E3005", "client_credentials clients only take resource-server "
                          "scopes such as `api/read`", origin=ctx.origin(path + ("scopes",)),
                          path=path + ("scopes",))
    browser = [f for f in flows if f in ("code", "implicit")]
    if browser and not spec.callback_urls:
        ctx.diags.add("E2002", f"the {browser[0]} flow needs `callback_urls`",
                      origin=ctx.origin(path), path=path + ("callback_urls",))
    if "implicit" in flows:
        ctx.warn("W1003", "the implicit flow exposes tokens in URLs; use `code` (with PKCE)",
                 path + ("flows",))
    for key in ("callback_urls", "logout_urls"):
        for i, url in enumerate(getattr(spec, key)):
            if not (url.startswith("https://") or url.startswith("http://localhost")
                    or "://" in url and not url.startswith("http://")):
                ctx.diags.add("E2005", f"`{url}` must use https (http only for localhost)",
                              origin=ctx.origin(path + (key, i)), path=path + (key, i))
    machine = "client_credentials" in flows
    supported = ["COGNITO", *providers.values()]
    if spec.providers is not None:
        chosen = []
        for i, p in enumerate(spec.providers):
            got = "COGNITO" if p == "cognito" else providers.get(p)
            if got is None:
                ctx.diags.add("E3001", f"`{p}` is not `cognito` or a name under `social`",
                              origin=ctx.origin(path + ("providers", i)),
                              path=path + ("providers", i), hint=did_you_mean(p, providers))
            else:
                chosen.append(got)
        supported = chosen
    props: dict[str, Any] = {
        "UserPoolId": Ref(comp.primary),
        "ClientName": ctx.physical(f"{comp.name}-{name}", 128),
        "GenerateSecret": spec.generate_secret,
        "ExplicitAuthFlows": [*(FLOWS[f] for f in spec.auth_flows if not machine),
                              "ALLOW_REFRESH_TOKEN_AUTH"],
        "PreventUserExistenceErrors": "ENABLED",
        "EnableTokenRevocation": True,
        "AccessTokenValidity": spec.access_token_minutes,
        "IdTokenValidity": spec.id_token_minutes,
        "RefreshTokenValidity": spec.refresh_token_days,
        "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes",
                               "RefreshToken": "days"},
    }
    if flows:
        props.update({"AllowedOAuthFlowsUserPoolClient": True, "AllowedOAuthFlows": flows,
                      "AllowedOAuthScopes": list(spec.scopes)})
        if "client_credentials" not in flows:
            props["SupportedIdentityProviders"] = supported
    if spec.callback_urls:
        props["CallbackURLs"] = list(spec.callback_urls)
    if spec.logout_urls:
        props["LogoutURLs"] = list(spec.logout_urls)
    res = ctx.add(comp, f"Client{pascal(name)}", "AWS::Cognito::UserPoolClient", props, path=path)
    # A client may only name providers and scopes that already exist.
    res.depends_on.extend(ctx.logical(comp, f"Provider{pascal(k)}") for k in providers)
    res.depends_on.extend(servers)
