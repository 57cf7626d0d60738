"""backups: vaults, plans, selections by ARN and the backup role."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import build as _build
from helpers import error_lines as _errors


def test_plan_selection_and_role(tmp_path: Path) -> None:
    b = _build(tmp_path, "storage: { docs: { versioning: true } }\n"
                         "databases: { t: { engine: dynamodb, keys: { pk: string } } }\n"
                         "backups: { daily: { resources: [databases.t, storage.docs] } }\n")
    assert not _errors(b)
    res = b.nested["backups"]["Resources"]
    assert res["BackupsDailyVault"]["DeletionPolicy"] == "RetainExceptOnCreate"
    rule = res["BackupsDailyPlan"]["Properties"]["BackupPlan"]["BackupPlanRule"][0]
    assert rule["Lifecycle"] == {"DeleteAfterDays": 35}
    sel = res["BackupsDailySelection"]["Properties"]["BackupSelection"]
    assert len(sel["Resources"]) == 2
    role = res["BackupsDailyRole"]["Properties"]
    assert "Policies" not in role
    text = json.dumps(role["ManagedPolicyArns"])
    assert "AWSBackupServiceRolePolicyForBackup" in text and "ForS3Backup" in text
    assert '"*"' not in json.dumps(res)


def test_vault_key(tmp_path: Path) -> None:
    b = _build(tmp_path, "security: { keys: { vault: {} } }\n"
                         "databases: { t: { engine: dynamodb, keys: { pk: string } } }\n"
                         "backups: { daily: { resources: [databases.t], "
                         "key: security.keys.vault } }\n")
    assert not _errors(b)
    vault = b.nested["backups"]["Resources"]["BackupsDailyVault"]["Properties"]
    assert "EncryptionKeyArn" in vault


def test_wrong_kinds(tmp_path: Path) -> None:
    b = _build(tmp_path, "storage: { docs: {} }\nqueues: { q: {} }\n"
                         "backups: { daily: { resources: [storage.docs, queues.q] } }\n")
    errs = _errors(b)
    assert any("E3005" in e and "versioning" in e for e in errs)
    assert any("E3002" in e and "queues.q" in e for e in errs)
