"""sites: static sites on S3 + CloudFront (OAC), with ACM and Route53."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cloudc.schema.base import Bool, FileField, RefStr, Tagged

SECTION = "sites"
ORDER = 80
PATHS = (FileField(("source",), "folder", "site folder"),)  # files and folders it names
REFS = ("routes",)  # fields whose values name other entries (`section.name`)


class Site(Tagged):
    """A static site: a private bucket behind CloudFront with origin access control."""

    source: str = Field(description="Folder with the built site (uploaded by deploy).",
                        examples=["./dist"])
    domain: str | None = Field(
        None, description="Custom domain, with an ACM certificate and DNS through `dns`.")
    aliases: list[str] = Field(default_factory=list, description="More names for the site.")
    spa: Bool = Field(False, description="Serve /index.html for 403/404 (single-page apps).")
    redirects: dict[str, str] = Field(
        default_factory=dict, description="from-domain: to-domain, answered with a 301."
    )
    routes: dict[str, RefStr] = Field(
        default_factory=dict, description='Paths sent to an API or service: "/api/*": apis.NAME'
    )
    index: str = Field("index.html", description="Default root object.")
    error_page: str | None = Field(
        None, description="Page served for 404s (e.g. 404.html; index.html for single-page apps).")
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = Field(
        "PriceClass_100",
        description="CloudFront edge locations used: PriceClass_100 is the cheapest.")
    certificate: str | None = Field(None, pattern=r"^arn:", description="An existing ACM cert.")
    security_headers: Bool = Field(
        True, description="Add HSTS, X-Content-Type-Options and related headers.")


Entry = Site
