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

    source: str = Field(description="Folder with the built site (uploaded by deploy).")
    domain: str | None = None
    aliases: list[str] = Field(default_factory=list, description="More names for the site.")
    spa: Bool = Field(False, description="Serve /index.html for 403/404 (single-page apps).")
    redirects: dict[str, str] = Field(
        default_factory=dict, description="from-domain: to-domain, answered with a 301."
    )
    routes: dict[str, RefStr] = Field(
        default_factory=dict, description='Paths sent to an API or service: "/api/*": apis.NAME'
    )
    index: str = "index.html"
    error_page: str | None = None
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = "PriceClass_100"
    certificate: str | None = Field(None, pattern=r"^arn:", description="An existing ACM cert.")
    security_headers: Bool = True


Entry = Site
