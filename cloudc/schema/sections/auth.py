"""auth: Cognito user pools, app clients, hosted UI and social sign-in."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from cloudc.schema.base import Bool, Link, Model, PosInt, RefStr, Tagged

Flow = Literal["code", "implicit", "client_credentials"]
AuthFlow = Literal["srp", "password", "custom", "admin"]
SignIn = Literal["email", "phone", "username"]
MfaMethod = Literal["totp", "sms"]

SECTION = "auth"
ORDER = 120
REFS = ("link",)  # fields whose values name other entries (`section.name`)

TRIGGERS = (
    "pre_sign_up", "post_confirmation", "pre_authentication", "post_authentication",
    "pre_token_generation", "custom_message", "define_auth_challenge", "create_auth_challenge",
    "verify_auth_challenge_response", "user_migration",
)
Trigger = Literal[
    "pre_sign_up", "post_confirmation", "pre_authentication", "post_authentication",
    "pre_token_generation", "custom_message", "define_auth_challenge", "create_auth_challenge",
    "verify_auth_challenge_response", "user_migration",
]


class PasswordPolicy(Model):
    """What a password must contain."""

    min_length: PosInt = Field(12, ge=6, le=99, description="Fewest characters in a password.")
    lowercase: Bool = Field(True, description="Require a lowercase letter.")
    uppercase: Bool = Field(True, description="Require an uppercase letter.")
    numbers: Bool = Field(True, description="Require a digit.")
    symbols: Bool = Field(False, description="Require a symbol.")
    temporary_days: PosInt = Field(7, le=365, description="Validity of admin-set passwords.")


class Client(Model):
    """An app client: OAuth flows, redirect URLs, scopes and token lifetimes."""

    callback_urls: list[str] = Field(
        default_factory=list, description="URLs the hosted UI may redirect to after sign-in.")
    logout_urls: list[str] = Field(
        default_factory=list, description="URLs the hosted UI may redirect to after sign-out.")
    flows: list[Flow] = Field(
        default_factory=lambda: list[Flow](["code"]), description="OAuth flows (hosted UI).")
    scopes: list[str] = Field(
        default_factory=lambda: ["openid", "email", "profile"],
        description="OAuth scopes the client may request.")
    generate_secret: Bool = Field(False, description="A confidential client (server-side apps).")
    providers: list[str] | None = Field(
        None, description="Sign-in providers: cognito and names under `social`; default all.")
    auth_flows: list[AuthFlow] = Field(
        default_factory=lambda: list[AuthFlow](["srp"]),
        description="Direct (non-OAuth) sign-in flows.")
    access_token_minutes: PosInt = Field(
        60, ge=5, le=1440, description="Lifetime of access tokens.")
    id_token_minutes: PosInt = Field(60, ge=5, le=1440, description="Lifetime of ID tokens.")
    refresh_token_days: PosInt = Field(30, le=3650, description="Lifetime of refresh tokens.")


class Social(Model):
    """A social or OIDC identity provider. Secrets only as `${secret:...}` or `${ssm:...}`."""

    type: Literal["google", "facebook", "apple", "oidc"] | None = Field(
        None, description="Defaults to the key when it is google, facebook or apple.")
    client_id: str = Field(description="The app's client id at the identity provider.")
    client_secret: str | None = Field(None, description="`${secret:NAME}` or `${ssm:/path}`.")
    scopes: list[str] | None = Field(
        None,
        description="Scopes requested from the provider (default: the provider's usual ones).")
    issuer: str | None = Field(None, pattern=r"^https://", description="OIDC issuer URL.")
    team_id: str | None = Field(None, description="Apple team id.")
    key_id: str | None = Field(None, description="Apple key id.")
    private_key: str | None = Field(None, description="Apple private key: a secret reference.")
    attributes: dict[str, str] = Field(
        default_factory=lambda: {"email": "email"},
        description="User pool attribute -> provider attribute.")


class EmailSettings(Model):
    """Send the pool's mail through SES from a domain declared in `email`."""

    from_: str = Field(alias="from", description="Sender address, e.g. no-reply@acme.com.")
    name: str | None = Field(None, description="Display name of the sender.")
    reply_to: str | None = Field(None, description="Reply-To address of the pool's e-mails.")


class Domain(Model):
    """The hosted UI's custom domain."""

    name: str = Field(description="e.g. auth.acme.com")
    certificate_arn: str | None = Field(None, pattern=r"^arn:",
                                        description="An existing us-east-1 certificate.")


class IdentityPool(Model):
    """An identity pool: AWS credentials for signed-in users, with what they may reach."""

    link: list[Link] = Field(default_factory=list,
                             description="What signed-in users' credentials may use.")


class Pool(Tagged):
    """A Cognito user pool with its clients, hosted UI and optional identity pool."""

    sign_in: list[SignIn] = Field(
        default_factory=lambda: list[SignIn](["email"]), description="What users sign in with.")
    self_sign_up: Bool = Field(True, description="Let users sign themselves up.")
    # `False` is how YAML 1.1 reads a bare `off`.
    mfa: Literal["off", "optional", "required", False] = Field(
        "off", description="Multi-factor authentication: off, optional or required.")
    mfa_methods: list[MfaMethod] = Field(
        default_factory=lambda: list[MfaMethod](["totp"]),
        description="MFA methods offered: totp (authenticator app) and/or sms.")
    password: PasswordPolicy = Field(
        default_factory=PasswordPolicy, description="Password policy.")
    attributes: list[str] = Field(default_factory=list, description="Extra required attributes.")
    email: EmailSettings | None = Field(
        None, description="Send the pool's e-mails through SES from this address.")
    triggers: dict[Trigger, RefStr] = Field(default_factory=dict,
                                            description="Lambda triggers: `functions.NAME`.")
    clients: dict[str, Client] = Field(default_factory=dict, description="App clients by name.")
    domain: str | Domain | None = Field(None, description="Custom hosted UI domain.")
    prefix: str | None = Field(None, pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$",
                               description="Prefix of the Cognito hosted UI domain.")
    hosted_ui: Bool | None = Field(None, description="Default: on when a client uses OAuth.")
    social: dict[str, Social] = Field(
        default_factory=dict, description="Social and OIDC identity providers by name.")
    identity_pool: Bool | IdentityPool = Field(
        False, description="An identity pool giving signed-in users AWS credentials.")
    advanced_security: Literal["off", "audit", "enforced", False] = Field(
        "off", description="Cognito threat protection: off, audit or enforced (extra cost).")
    deletion_protection: Bool | None = Field(None, description="Default: on in production.")
    retain: Bool | None = Field(
        None, description="Keep the user pool when the stack is deleted (default: production).")

    @field_validator("mfa", "advanced_security", mode="before")
    @classmethod
    def _yaml_off(cls, value: Any) -> Any:
        """Read YAML 1.1's `off` (a boolean false) as the word it was meant to be."""
        return "off" if value is False else value


Entry = Pool
