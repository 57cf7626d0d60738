"""sites and dns: private buckets behind CloudFront, certificates, records, redirects, routes."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

from helpers import MJS, build
from helpers import all_resources as _resources
from helpers import error_lines as _errors

# a site's folder must exist (tests/test_hostile.py)
_build = partial(build, files={"fn/index.mjs": MJS, "dist/index.html": "hi\n"})


def _notes(build: Any) -> list[str]:
    return [d.text() for d in build.diagnostics.items if d.code == "I1001"]


def test_private_bucket_with_origin_access_control(tmp_path: Path) -> None:
    b = _build(tmp_path, "sites:\n  web: { source: ./dist }\n")
    assert not _errors(b)
    res = _resources(b)
    bucket = res["SitesWebBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    config = res["SitesWebDistribution"]["Properties"]["DistributionConfig"]
    origin = config["Origins"][0]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SitesWebOac", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["DefaultRootObject"] == "index.html"
    assert "ResponseHeadersPolicyId" in config["DefaultCacheBehavior"]
    assert "Aliases" not in config and "ViewerCertificate" not in config
    allow = res["SitesWebBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][1]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert "AWS:SourceArn" in allow["Condition"]["StringEquals"]


def test_domain_certificate_records_and_redirects(tmp_path: Path) -> None:
    b = _build(tmp_path, "dns: { zone: acme.com }\nsites:\n  web:\n    source: ./dist\n"
               "    domain: www.acme.com\n    redirects: { acme.com: www.acme.com }\n"
               "    aliases: [www.acme.org]\n")
    assert not _errors(b)
    res = _resources(b)
    cert = res["SitesWebCertificate"]["Properties"]
    assert cert["DomainName"] == "www.acme.com"
    assert cert["SubjectAlternativeNames"] == ["www.acme.org", "acme.com"]
    assert [o["DomainName"] for o in cert["DomainValidationOptions"]] == ["www.acme.com",
                                                                          "acme.com"]
    config = res["SitesWebDistribution"]["Properties"]["DistributionConfig"]
    assert config["Aliases"] == ["www.acme.com", "www.acme.org", "acme.com"]
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    for rec in ("SitesWebRecordWwwAcmeComA", "SitesWebRecordWwwAcmeComAAAA",
                "SitesWebRecordAcmeComA"):
        assert res[rec]["Properties"]["AliasTarget"]["HostedZoneId"] == "Z2FDTNDATAQYW2"
    assert "SitesWebRecordWwwAcmeOrgA" not in res
    assert any("www.acme.org" in n for n in _notes(b))
    code = res["SitesWebViewerRequest"]["Properties"]["FunctionCode"]
    assert '{"acme.com": "www.acme.com"}' in code and "statusCode: 301" in code
    assert config["DefaultCacheBehavior"]["FunctionAssociations"][0]["EventType"] == \
        "viewer-request"


def test_spa_fallback_uses_error_responses(tmp_path: Path) -> None:
    b = _build(tmp_path, "sites:\n  web: { source: ./dist, spa: true }\n")
    config = _resources(b)["SitesWebDistribution"]["Properties"]["DistributionConfig"]
    assert [(e["ErrorCode"], e["ResponseCode"], e["ResponsePagePath"])
            for e in config["CustomErrorResponses"]] == [(403, 200, "/index.html"),
                                                         (404, 200, "/index.html")]


def test_a_missing_file_is_a_404_not_access_denied(tmp_path: Path) -> None:
    """S3 answers a missing key with 403 unless the reader may list the bucket."""
    def site(body: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        res = _resources(_build(tmp_path, body))
        config = res["SitesWebDistribution"]["Properties"]["DistributionConfig"]
        return config, res["SitesWebBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]

    list_bucket = {
        "Sid": "AllowCloudFrontNotFound", "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:ListBucket",
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::demo-production-site-web-"
                                "${AWS::AccountId}-${AWS::Region}"},
        "Condition": {"StringEquals": {"AWS:SourceArn": {"Fn::Sub": [
            "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${d}",
            {"d": {"Ref": "SitesWebDistribution"}}]}}}}
    config, statements = site("sites:\n  web: { source: ./dist }\n")  # no error page
    assert "CustomErrorResponses" not in config and statements[2] == list_bucket
    assert "QueryStringBehavior" not in json.dumps(config)  # the bucket gets no query string
    config, statements = site("sites:\n  web: { source: ./dist, error_page: 404.html }\n")
    assert [(e["ErrorCode"], e["ResponseCode"], e["ResponsePagePath"])
            for e in config["CustomErrorResponses"]] == [(403, 404, "/404.html"),
                                                         (404, 404, "/404.html")]
    assert len(statements) == 2  # the error page answers: no list permission needed
    config, statements = site("sites:\n  web: { source: ./dist, spa: true }\n")
    assert len(statements) == 2  # SPA: unchanged, 403/404 serve the index


def test_spa_with_api_route_rewrites_in_a_function(tmp_path: Path) -> None:
    b = _build(tmp_path, "functions:\n  api: { code: ./fn }\n"
               'apis:\n  public:\n    routes: { "ANY /api/{proxy+}": functions.api }\n'
               'sites:\n  web: { source: ./dist, spa: true, routes: { "/api/*": apis.public } }\n')
    assert not _errors(b)
    res = _resources(b)
    config = res["SitesWebDistribution"]["Properties"]["DistributionConfig"]
    # Error pages would hide the API's own 403/404: the SPA rewrite happens at the edge.
    assert "CustomErrorResponses" not in config
    assert 'SPA_INDEX = "/index.html"' in res["SitesWebViewerRequest"]["Properties"]["FunctionCode"]
    behavior = config["CacheBehaviors"][0]
    assert behavior["PathPattern"] == "/api/*" and behavior["TargetOriginId"] == "apis-public"
    assert behavior["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    assert behavior["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    api_origin = config["Origins"][1]
    assert api_origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert "OriginPath" not in api_origin


def test_certificate_outside_us_east_1_is_an_error(tmp_path: Path) -> None:
    b = _build(tmp_path, "sites:\n  web: { source: ./dist, domain: www.acme.com }\n",
               region="eu-west-1")
    errors = _errors(b)
    assert len(errors) == 1 and "E3005" in errors[0] and "certificate: arn:" in errors[0]
    ok = _build(tmp_path, "sites:\n  web: { source: ./dist, domain: www.acme.com, certificate: "
                "'arn:aws:acm:us-east-1:123456789012:certificate/abc' }\n", region="eu-west-1")
    assert not _errors(ok)
    assert "SitesWebCertificate" not in _resources(ok)


def test_dns_zone_and_lookup(tmp_path: Path) -> None:
    body = ("dns: { zone: acme.com }\nsites:\n  web: { source: ./dist, domain: acme.com }\n"
            "outputs:\n  ns: ${dns.name_servers}\n")
    b = _build(tmp_path, body)
    assert not _errors(b)
    zone = b.nested["dns"]["Resources"]["DnsZone"]
    assert zone["DeletionPolicy"] == "RetainExceptOnCreate" and zone["UpdateReplacePolicy"] == "Retain"
    out = b.nested["dns"]["Outputs"]["DnsZoneNameServers"]["Value"]
    assert out == {"Fn::Join": [",", {"Fn::GetAtt": ["DnsZone", "NameServers"]}]}
    looked = _build(tmp_path, "dns: { zone: acme.com, lookup: true, zone_id: ZABC123 }\n"
                    "sites:\n  web: { source: ./dist, domain: acme.com }\n")
    assert not _errors(looked)
    assert "dns" not in looked.nested
    rec = _resources(looked)["SitesWebRecordAcmeComA"]["Properties"]
    assert rec["HostedZoneId"] == "ZABC123"
    missing = _build(tmp_path, "dns: { zone: acme.com, lookup: true }\n"
                     "sites:\n  web: { source: ./dist }\n")
    assert any("zone_id" in e for e in _errors(missing))


def test_no_wildcards_in_policies(tmp_path: Path) -> None:
    b = _build(tmp_path, "functions:\n  pub: { code: ./fn, link: [sites.web] }\n"
               "sites:\n  web: { source: ./dist }\n")
    assert not _errors(b)
    text = json.dumps(b.nested)
    assert '"Action": "*"' not in text and '"Resource": "*"' not in text
    role = _resources(b)["FunctionsPubRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    actions = {a for st in role["Statement"] for a in st["Action"]}
    assert "cloudfront:CreateInvalidation" in actions and "s3:PutObject" in actions


NET = "network:\n  vpc: { cidr: 10.0.0.0/16, zones: 2, nat: none }\ndns: { zone: acme.com }\n"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def _distribution(build: Any, site: str = "Web") -> dict[str, Any]:
    config: dict[str, Any] = _resources(build)[f"Sites{site}Distribution"]["Properties"][
        "DistributionConfig"]
    return config


def test_catch_all_route_to_servers_is_the_default_behavior(tmp_path: Path) -> None:
    b = _build(tmp_path, NET + "servers:\n  app: { instance: t3.small, image: ubuntu-24.04, "
               "domain: origin.acme.com }\n"
               "sites:\n  web: { source: ./dist, domain: acme.com, spa: true, "
               'routes: { "/*": servers.app } }\n')
    assert not _errors(b)
    config = _distribution(b)
    default = config["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "servers-app"
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert default["CachePolicyId"] == CACHING_DISABLED
    assert default["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
    assert "POST" in default["AllowedMethods"] and "PathPattern" not in default
    # The app answers `/` and its own errors: no root object, no error pages, no SPA rewrite.
    assert "DefaultRootObject" not in config and "CustomErrorResponses" not in config
    assert "CacheBehaviors" not in config
    assert "SitesWebViewerRequest" not in _resources(b)
    origin = [o for o in config["Origins"] if o["Id"] == "servers-app"][0]
    assert origin["DomainName"] == "origin.acme.com"
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert any("`spa` has no effect" in n for n in _notes(b))


def test_routed_paths_redirect_http_to_https(tmp_path: Path) -> None:
    b = _build(tmp_path, NET + "services:\n  api: { image: nginx:1.27 }\n"
               'sites:\n  web: { source: ./dist, routes: { "/api/*": services.api } }\n')
    config = _distribution(b)
    assert config["DefaultRootObject"] == "index.html"
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "site"
    behavior = config["CacheBehaviors"][0]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    # No certificate on the load balancer: plain HTTP to its DNS name (warned), never a 301 loop.
    origin = config["Origins"][1]
    assert origin["CustomOriginConfig"] == {"OriginProtocolPolicy": "http-only", "HTTPPort": 80}
    assert any(d.code == "W1001" and "plain HTTP" in d.message for d in b.diagnostics.items)


def test_site_route_to_an_internal_service_is_an_error(tmp_path: Path) -> None:
    b = _build(tmp_path, NET + "services:\n  api: { image: nginx:1.27, public: false }\n"
               'sites:\n  web: { source: ./dist, routes: { "/api/*": services.api } }\n')
    errors = [d for d in b.diagnostics.items if d.code == "E3160"]
    assert len(errors) == 1 and "VPC link" in (errors[0].hint or "")
    assert errors[0].origin is not None and errors[0].origin.line == 8


def test_site_route_to_an_app_on_the_sites_own_name_is_an_error(tmp_path: Path) -> None:
    b = _build(tmp_path, NET + "services:\n  api: { image: nginx:1.27, domain: www.acme.com }\n"
               'sites:\n  web: { source: ./dist, domain: www.acme.com, '
               'routes: { "/api/*": services.api } }\n')
    errors = [d for d in b.diagnostics.items if d.code == "E3161"]
    assert len(errors) == 1 and "origin.www.acme.com" in (errors[0].hint or "")


def test_loop_check_catches_an_origin_on_the_distributions_own_name(tmp_path: Path) -> None:
    from cloudc.checks import CheckContext
    from cloudc.checks.apisites_output import check

    b = _build(tmp_path, NET + "servers:\n  app: { instance: t3.small, image: ubuntu-24.04, "
               "domain: origin.acme.com }\n"
               'sites:\n  web: { source: ./dist, domain: acme.com, routes: { "/*": servers.app } }\n')
    assert b.ir is not None
    cx = CheckContext(b.resolved, b.config, b.ir)
    assert list(check(cx)) == []
    config = b.ir.resources["SitesWebDistribution"].properties["DistributionConfig"]
    config["Origins"][1]["DomainName"] = "acme.com"  # what a URL-based origin could become
    assert [f.code for f in check(cx)] == ["E3163"]
