"""sites: static sites on S3 + CloudFront (OAC), with ACM and Route53."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from cloudc.schema.base import Bool, FileField, Model, Name, NonNegInt, RefStr, Tagged

SECTION = "sites"
ORDER = 80
PATHS = (  # files and folders it names
    FileField(("source",), "folder", "site folder"),
    FileField(("functions", "*", "code"), "file", "CloudFront Function code"),
)
REFS = ("routes", "origin")  # fields whose values name other entries (`section.name`)

# AWS managed cache policies by name (ids fixed by AWS):
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
MANAGED_CACHE_POLICIES = {
    "CachingOptimized": "658327ea-f89d-4fab-a63d-7e88639e58f6",
    "CachingOptimizedForUncompressedObjects": "b2884449-e4de-46a7-ac36-70bc7f1ddd6d",
    "CachingDisabled": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
    "UseOriginCacheControlHeaders": "83da9c7e-98b4-4e11-a168-04f0df8e2c65",
    "UseOriginCacheControlHeaders-QueryStrings": "4cc15a8a-d715-48a4-82b8-cc0b614638fe",
}
ViewerEvent = Literal["viewer-request", "viewer-response"]
EdgeEvent = Literal["viewer-request", "viewer-response", "origin-request", "origin-response"]


class Ttl(Model):
    """How long CloudFront keeps a response, in seconds (a cache policy of the site's own)."""

    min: NonNegInt = Field(0, description="Minimum TTL, even for `Cache-Control: no-cache`.")
    default: NonNegInt = Field(86400, description="TTL when the origin sends no Cache-Control.")
    max: NonNegInt = Field(31536000, description="Maximum TTL: longer max-age values are cut.")

    @model_validator(mode="after")
    def _ordered(self) -> Ttl:
        if not self.min <= self.default <= self.max:
            raise ValueError("ttl needs min <= default <= max")
        return self


class Behavior(Model):
    """How CloudFront answers one path pattern: origin, caching and functions."""

    origin: str | None = Field(None, description=(
        "Who serves the path: the site's own bucket (default), `storage.NAME` (read through "
        "origin access control), an API, service or servers (`apis.NAME`, ...), or an "
        "`https://` URL."))
    cache: Literal[
        "CachingOptimized", "CachingOptimizedForUncompressedObjects", "CachingDisabled",
        "UseOriginCacheControlHeaders", "UseOriginCacheControlHeaders-QueryStrings",
    ] | None = Field(None, description="An AWS managed cache policy, by name.")
    ttl: Ttl | None = Field(None, description="TTLs of a cache policy made for this path.")
    functions: dict[ViewerEvent, str] = Field(default_factory=dict, description=(
        "CloudFront Functions of this site (`functions:`) by event: viewer-request, "
        "viewer-response."))
    edge: dict[EdgeEvent, str] = Field(default_factory=dict, description=(
        "Lambda@Edge by event: `functions.NAME` (a published version in us-east-1) or a "
        "version ARN."))
    compress: Bool = Field(True, description="Compress responses (gzip, brotli).")

    @model_validator(mode="after")
    def _one_cache(self) -> Behavior:
        if self.cache is not None and self.ttl is not None:
            raise ValueError("a behavior takes `cache` (a managed policy) or `ttl`, not both")
        return self


class CloudFrontFunction(Model):
    """A CloudFront Function (cloudfront-js-2.0), from a file or inline."""

    code: str | None = Field(None, description="JavaScript file with `function handler(event)`.")
    inline: str | None = Field(None, description="The JavaScript itself.")
    comment: str | None = Field(None, description="Comment shown in the CloudFront console.")

    @model_validator(mode="after")
    def _one_body(self) -> CloudFrontFunction:
        if (self.code is None) == (self.inline is None):
            raise ValueError("a CloudFront Function takes exactly one of `code`, `inline`")
        return self


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
    directory_index: Bool = Field(False, description=(
        "Serve `/about/index.html` for `/about` and `/about/` (static-site generators); a "
        "viewer-request CloudFront Function rewrites the path."))
    behaviors: dict[str, Behavior] = Field(default_factory=dict, description=(
        'Cache behaviors by path pattern, matched before `routes`: "/assets/*": { ttl: ... }; '
        '"/*" sets the default behavior.'))
    functions: dict[Name, CloudFrontFunction] = Field(
        default_factory=dict, description="CloudFront Functions that `behaviors` attach, by name.")


Entry = Site
