"""security: KMS keys, WAF web ACLs, certificates."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

from helpers import JS, build
from helpers import all_resources as _resources
from helpers import error_lines as _errors

_build = partial(build, files={"fn/index.js": JS, "dist/index.html": "hi\n"})


def test_key_alias_and_policy(tmp_path: Path) -> None:
    b = _build(tmp_path, "security: { keys: { data: { alias: demo/data } } }\n"
                         "outputs: { k: '${security.keys.data.arn}' }\n")
    assert not _errors(b)
    res = _resources(b)
    key = res["SecurityKeysDataKey"]
    assert key["DeletionPolicy"] == "RetainExceptOnCreate"
    assert key["Properties"]["EnableKeyRotation"] is True
    (st,) = key["Properties"]["KeyPolicy"]["Statement"]
    assert st["Resource"] == "*" and "kms:*" not in st["Action"] and "*" not in st["Action"]
    assert res["SecurityKeysDataAlias"]["Properties"]["AliasName"] == "alias/demo/data"
    assert "K" in b.root["Outputs"]


def test_no_star_outside_key_policies(tmp_path: Path) -> None:
    b = _build(tmp_path, "security: { keys: { data: {} } }\nstorage: { lake: {} }\n"
                         "streams: { s: { key: security.keys.data, deliver_to: storage.lake } }\n"
                         "functions: { f: { code: ./fn, link: [security.keys.data, streams.s] } }\n")
    assert not _errors(b)
    for lid, r in _resources(b).items():
        if r["Type"] == "AWS::KMS::Key":
            continue
        text = json.dumps(r)
        assert '"Resource": "*"' not in text and '"Action": "*"' not in text, lid


def test_unknown_key_reference(tmp_path: Path) -> None:
    b = _build(tmp_path, "security: { keys: { data: {} } }\n"
                         "streams: { s: { key: security.keys.dta } }\n")
    assert any("E3001" in e and "did you mean `data`" in e for e in _errors(b))


def test_site_waf_attaches_to_distribution(tmp_path: Path) -> None:
    b = _build(tmp_path, "sites: { web: { source: ./dist } }\n"
                         "security: { waf: { scope: sites.web, managed_rules: [common, php], "
                         "rate_limit: 1000, block_countries: [kp] } }\n")
    assert not _errors(b)
    res = _resources(b)
    acl = res["SecurityWafSitesWebAcl"]["Properties"]
    assert acl["Scope"] == "CLOUDFRONT"
    names = [r["Name"] for r in acl["Rules"]]
    assert names == ["block-countries", "rate-limit", "aws-common", "aws-php"]
    assert acl["Rules"][0]["Statement"]["GeoMatchStatement"]["CountryCodes"] == ["KP"]
    dist = res["SitesWebDistribution"]["Properties"]["DistributionConfig"]
    assert "WebACLId" in dist


FRONTED = """\
network: { vpc: { zones: 2, nat: single } }
services:
  orders: { image: public.ecr.aws/nginx/nginx:1.27, public: false, port: 8080 }
  catalog: { image: public.ecr.aws/nginx/nginx:1.27 }
  solo: { image: public.ecr.aws/nginx/nginx:1.27 }
apis:
  public: { routes: { "ANY /orders/{proxy+}": services.orders } }
sites:
  web: { source: ./dist, routes: { "/api/*": services.catalog } }
security:
  waf:
    - { scope: services.orders, rate_limit: 1000 }
    - { scope: services.catalog, rate_limit: 1000 }
    - { scope: services.solo, rate_limit: 1000 }
"""


def test_rate_limit_behind_a_vpc_link_or_cloudfront_counts_the_forwarded_client(
        tmp_path: Path) -> None:
    """The ALB sees the VPC link's ENIs or CloudFront's edges: count X-Forwarded-For."""
    b = _build(tmp_path, FRONTED)
    assert not _errors(b)
    res = _resources(b)

    def rate(name: str) -> dict[str, Any]:
        rules = res[f"SecurityWafServices{name}Acl"]["Properties"]["Rules"]
        return {r["Name"]: r["Statement"]["RateBasedStatement"] for r in rules
                if "RateBasedStatement" in r["Statement"]}

    forwarded = {"Limit": 1000, "EvaluationWindowSec": 300, "AggregateKeyType": "FORWARDED_IP",
                 "ForwardedIPConfig": {"HeaderName": "X-Forwarded-For",
                                       "FallbackBehavior": "MATCH"}}
    assert rate("Orders") == {"rate-limit": forwarded}  # internal: reached only via the link
    catalog = rate("Catalog")  # internet-facing behind CloudFront: direct clients too
    assert catalog["rate-limit"] == forwarded
    direct = catalog["rate-limit-direct"]
    assert direct["AggregateKeyType"] == "IP"
    assert direct["ScopeDownStatement"]["NotStatement"]["Statement"][
        "SizeConstraintStatement"]["FieldToMatch"] == {"SingleHeader": {"Name": "x-forwarded-for"}}
    assert rate("Solo") == {"rate-limit": {"Limit": 1000, "EvaluationWindowSec": 300,
                                           "AggregateKeyType": "IP"}}


def test_site_waf_outside_us_east_1(tmp_path: Path) -> None:
    b = _build(tmp_path, "sites: { web: { source: ./dist } }\n"
                         "security: { waf: { scope: sites.web } }\n", region="eu-west-1")
    assert any("E3005" in e and "us-east-1" in e for e in _errors(b))


def test_waf_bad_scope_and_ip(tmp_path: Path) -> None:
    b = _build(tmp_path, "storage: { s: {} }\n"
                         "security: { waf: { scope: storage.s, block_ips: [nope] } }\n")
    assert any("E3002" in e and "storage.s" in e for e in _errors(b))


def test_waf_bad_ip(tmp_path: Path) -> None:
    b = _build(tmp_path, "sites: { web: { source: ./dist } }\n"
                         "security: { waf: { scope: sites.web, block_ips: [10.0.0.300] } }\n")
    assert any("E2005" in e and "10.0.0.300" in e for e in _errors(b))


def test_service_waf_and_no_load_balancer(tmp_path: Path) -> None:
    b = _build(tmp_path, "services:\n"
                         "  web: { image: public.ecr.aws/nginx/nginx:1.27 }\n"
                         "  worker: { image: public.ecr.aws/docker/library/busybox:1.37, "
                         "load_balancer: false }\n"
                         "ai: { bot: { models: [amazon.nova-lite-v1:0], used_by: [services.web] } }\n"
                         "security:\n  waf:\n    - { scope: services.web, rate_limit: 100 }\n"
                         "    - { scope: services.worker }\n")
    errs = _errors(b)
    assert len(errs) == 1 and "E3002" in errs[0] and "services.worker" in errs[0], errs
    b = _build(tmp_path, "services:\n  web: { image: public.ecr.aws/nginx/nginx:1.27 }\n"
                         "ai: { bot: { models: [amazon.nova-lite-v1:0], used_by: [services.web] } }\n"
                         "security: { waf: { scope: services.web, rate_limit: 100 } }\n")
    assert not _errors(b)
    res = _resources(b)
    assoc = res["SecurityWafServicesWebAssociation"]["Properties"]
    assert "ServicesWebAlb" in json.dumps(assoc["ResourceArn"])
    assert "bedrock:InvokeModel" in json.dumps(res)
