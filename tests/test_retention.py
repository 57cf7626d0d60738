"""Kept data: DeletionPolicy RetainExceptOnCreate, UpdateReplacePolicy Retain (review item 1).

A named resource retained after a rolled-back first create makes every retry fail with "already
exists"; a retained hosted zone makes the retry create a second zone with other name servers.
"""

from __future__ import annotations

import json
from pathlib import Path

from a2_helpers import build, resources

from cloudc.aws.deploy import BOOTSTRAP_TEMPLATE

STATEFUL = """
storage: { uploads: {} }
databases: { sessions: { engine: dynamodb, keys: { pk: string } } }
secrets: { api_key: { generate: { length: 40 } } }
dns: { zone: acme.com }
"""


def test_production_keeps_stateful_data_except_on_a_failed_create(tmp_path: Path) -> None:
    b = build(tmp_path, STATEFUL, code=False)
    assert not b.diagnostics.has_errors, b.diagnostics.sorted()
    res = resources(b)
    kept = {lid: (r["DeletionPolicy"], r["UpdateReplacePolicy"]) for lid, r in res.items()
            if "DeletionPolicy" in r}
    assert kept == {lid: ("RetainExceptOnCreate", "Retain") for lid in (
        "StorageUploadsBucket", "DatabasesSessionsTable", "SecretsApiKeySecret", "DnsZone")}


def test_retain_setting_outside_production(tmp_path: Path) -> None:
    b = build(tmp_path, "storage: { uploads: { retain: true }, tmp: { retain: false } }\n",
              env="dev", code=False)
    res = resources(b)
    up, tmp = res["StorageUploadsBucket"], res["StorageTmpBucket"]
    assert (up["DeletionPolicy"], up["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    assert (tmp["DeletionPolicy"], tmp["UpdateReplacePolicy"]) == ("Delete", "Delete")


def test_cfn_lint_accepts_the_policies(tmp_path: Path, linter) -> None:
    b = build(tmp_path, STATEFUL, code=False)
    for name, doc in b.nested.items():
        found = [f for f in linter.findings(json.dumps(doc)) if f[0] in ("E3035", "E3036")]
        assert not found, (name, found)
    found = linter.findings(json.dumps(BOOTSTRAP_TEMPLATE))
    assert not found, found


def test_bootstrap_bucket_goes_with_a_failed_first_create() -> None:
    bucket = BOOTSTRAP_TEMPLATE["Resources"]["ArtifactsBucket"]
    assert bucket["DeletionPolicy"] == "RetainExceptOnCreate"
    assert bucket["UpdateReplacePolicy"] == "Retain"
