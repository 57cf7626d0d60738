"""email: SES sending and receiving for a domain, keyed by the domain."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cloudc.schema.base import Bool, FileField, Model, RefStr, Tagged

SECTION = "email"
ORDER = 110
PATHS = tuple(FileField(("templates", "*", key), "file", "e-mail template", only="relative")
              for key in ("html", "text"))
DOTTED_KEYS = True  # keyed by domain, which contains dots

Event = Literal["send", "reject", "bounce", "complaint", "delivery", "open", "click",
                "renderingFailure", "deliveryDelay", "subscription"]


class Inbound(Model):
    """Receive mail: store it in a bucket and/or hand it to a function."""

    bucket: RefStr | None = Field(None, description="`storage.NAME` to store raw messages in.")
    prefix: str = Field("inbound/", description="Key prefix of stored messages.")
    function: RefStr | None = Field(None, description="`functions.NAME` invoked per message.")
    recipients: list[str] = Field(default_factory=list,
                                  description="Addresses or domains; default the domain.")
    spam_scan: Bool = Field(True, description="Scan inbound mail for spam and viruses.")


class Template(Model):
    """An SES template; `html` and `text` are files (./path) or inline text."""

    subject: str = Field(description="Subject line (may hold `{{placeholders}}`).")
    html: str | None = Field(None, description="HTML body: a file (./path) or inline text.")
    text: str | None = Field(None, description="Text body: a file (./path) or inline text.")


class Domain(Tagged):
    """A sending (and optionally receiving) domain with DKIM, SPF, DMARC and MAIL FROM."""

    dmarc: Literal["none", "quarantine", "reject"] | None = Field(
        "none", description="DMARC policy; null for no DMARC record.")
    rua: str | None = Field(None, description="Aggregate report address (mailto: optional).")
    spf: Bool = Field(True, description="Add an SPF TXT record on the domain.")
    mail_from: str | None = Field(None, description="Custom MAIL FROM; default bounce.<domain>.")
    events: list[Event] = Field(
        default_factory=lambda: list[Event](["send", "reject", "bounce", "complaint", "delivery"]),
        description="SES events recorded for mail sent from the domain.")
    events_to: RefStr | None = Field(None, description="`topics.NAME` for events (as well as "
                                     "CloudWatch metrics).")
    tls_required: Bool = Field(True, description="Only deliver over TLS.")
    inbound: Inbound | None = Field(None, description="Receive mail for the domain.")
    templates: dict[str, Template] = Field(
        default_factory=dict, description="SES templates by name.")


Entry = Domain
