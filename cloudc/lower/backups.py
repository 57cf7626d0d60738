"""Lower `backups` entries to an AWS Backup vault, plan, selection and service role.

The role uses AWS's managed service-role policies by ARN (ForBackup/ForRestores, and the S3
pair when a bucket is selected): no inline wildcard. Resources are selected by ARN, taken
from each referenced component's `arn` attribute.
"""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, Sub, statement
from cloudc.lower._keys import key_arn
from cloudc.schema.sections.backups import Plan

SECTION = "backups"
AFTER = ("storage",)  # a bucket must be versioned to be backed up
# Resource types whose replacement or deletion loses data, and what is lost (`cloudc diff`).
STATEFUL = {"AWS::Backup::BackupVault": "every recovery point"}
SUPPORTED = ("databases", "file_systems", "storage")
POLICY = "arn:${AWS::Partition}:iam::aws:policy/"


def declare(name: str, spec: Plan, ctx: Context) -> Component:
    """Declare a plan's attributes."""
    path = (SECTION, name)
    comp = Component(SECTION, name, "backup plan", path, ctx.origin(path))
    vault = ctx.physical(name, 50)
    comp.physical = vault  # the vault's name
    comp.attrs = {
        "id": Ref(ctx.logical(comp, "Plan")),
        "vault": Ref(ctx.logical(comp, "Vault"), derived=Sub(vault)),
        "vault_arn": GetAtt(ctx.logical(comp, "Vault"), "BackupVaultArn",
                            derived=Sub(f"arn:${{AWS::Partition}}:backup:${{AWS::Region}}:"
                                        f"${{AWS::AccountId}}:backup-vault:{vault}")),
        "arn": GetAtt(ctx.logical(comp, "Plan"), "BackupPlanArn"),
    }
    return comp


def lower(comp: Component, spec: Plan, ctx: Context) -> None:
    """Emit the vault, the plan's rule, the role and the selection."""
    path = comp.path
    arns, s3 = _resources(comp, spec, ctx)
    vault_props: dict[str, Any] = {"BackupVaultName": comp.physical}
    key = key_arn(ctx, spec.key, path + ("key",)) if spec.key else None
    if key is not None:
        vault_props["EncryptionKeyArn"] = key
    if spec.lock is not None:
        lock: dict[str, Any] = {"MinRetentionDays": spec.lock.min_days}
        if spec.lock.max_days is not None:
            lock["MaxRetentionDays"] = spec.lock.max_days
        vault_props["LockConfiguration"] = lock
    # Backup takes tags as `BackupVaultTags`/`BackupPlanTags` maps, which the tagging pass
    # does not know: set the same tags here.
    tags = {"project": ctx.slug, "environment": ctx.env, **dict(ctx.config.tags or {}),
            **dict(spec.tags)}
    vault_props["BackupVaultTags"] = tags
    vault = ctx.add(comp, "Vault", "AWS::Backup::BackupVault", vault_props, stateful=True)
    lifecycle: dict[str, Any] = {"DeleteAfterDays": spec.retention_days}
    if spec.cold_storage_after_days is not None:
        lifecycle["MoveToColdStorageAfterDays"] = spec.cold_storage_after_days
    rule: dict[str, Any] = {
        "RuleName": comp.name.replace("_", "-"),
        "TargetBackupVault": Ref(vault.logical_id),
        "ScheduleExpression": spec.schedule,
        "ScheduleExpressionTimezone": "Etc/UTC",
        "StartWindowMinutes": spec.start_window_minutes,
        "CompletionWindowMinutes": spec.completion_window_minutes,
        "Lifecycle": lifecycle,
    }
    if spec.continuous:
        rule["EnableContinuousBackup"] = True
    plan = ctx.add(comp, "Plan", "AWS::Backup::BackupPlan", {"BackupPlan": {
        "BackupPlanName": ctx.physical(comp.name, 50),
        "BackupPlanRule": [rule],
    }, "BackupPlanTags": dict(tags)})
    managed = [Sub(POLICY + "service-role/AWSBackupServiceRolePolicyForBackup"),
               Sub(POLICY + "service-role/AWSBackupServiceRolePolicyForRestores")]
    if s3:
        managed += [Sub(POLICY + "AWSBackupServiceRolePolicyForS3Backup"),
                    Sub(POLICY + "AWSBackupServiceRolePolicyForS3Restore")]
    role_props: dict[str, Any] = {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"},
            "Action": "sts:AssumeRole"}]},
        "ManagedPolicyArns": managed,
    }
    if key is not None:
        role_props["Policies"] = [{"PolicyName": "vault-key", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [
                statement(["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt",
                           "kms:GenerateDataKey"], [key]),
                statement(["kms:CreateGrant"], [key],
                          Condition={"Bool": {"kms:GrantIsForAWSResource": "true"}}),
            ]}}]
    role = ctx.add(comp, "Role", "AWS::IAM::Role", role_props)
    if not arns:
        return
    ctx.add(comp, "Selection", "AWS::Backup::BackupSelection", {
        "BackupPlanId": Ref(plan.logical_id),
        "BackupSelection": {
            "SelectionName": comp.name,
            "IamRoleArn": GetAtt(role.logical_id, "Arn"),
            "Resources": arns,
        },
    }, path=path + ("resources",))


def _resources(comp: Component, spec: Plan, ctx: Context) -> tuple[list[Any], bool]:
    """Return the ARNs of the selected resources and whether a bucket is among them."""
    arns: list[Any] = []
    s3 = False
    for i, ref in enumerate(dict.fromkeys(spec.resources)):
        path = comp.path + ("resources", i)
        section = ref.split(".", 1)[0]
        target = ctx.component(ref)
        if section not in SUPPORTED:
            ctx.diags.add("E3002", f"`{ref}` cannot be backed up by AWS Backup",
                          origin=ctx.origin(path), path=path,
                          hint="resources take databases.NAME, file_systems.NAME or storage.NAME")
            continue
        if target is None:
            continue  # an undeclared name is reported by validate
        if "arn" not in target.attrs:
            ctx.diags.add("E3002", f"`{ref}` ({target.kind}) has no ARN to select for backup",
                          origin=ctx.origin(path), path=path)
            continue
        if section == "storage":
            s3 = True
            bucket = ctx.ir.resources.get(target.bucket)
            versioned = bucket is not None and bucket.properties.get(
                "VersioningConfiguration", {}).get("Status") == "Enabled"
            if not versioned:
                ctx.diags.add("E3005", f"AWS Backup needs versioning on `{ref}`",
                              origin=ctx.origin(path), path=path,
                              hint=f"set `storage.{target.name}.versioning: true`")
                continue
        arns.append(target.attrs["arn"])
    return arns, s3
