"""Lower `security`: KMS keys (+ aliases), WAF web ACLs and extra ACM certificates.

Keys: see `cloudc/lower/_keys.py` for how `security.keys.NAME` is referred to. The key policy
has one statement, the standard one: the account (root principal) may administer and use the
key, which hands access control to IAM policies in the account. Its `Resource: "*"` is what
KMS requires in a key policy, where it means "this key"; it is the only `*` resource cloudc
emits. Web ACLs: `cloudc/lower/_waf.py`. Certificates: `cloudc/lower/_certs.py`.
"""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, Sub, pascal, state_of, statement
from cloudc.lower._certs import certificate
from cloudc.lower._keys import key_logical
from cloudc.lower._waf import web_acls
from cloudc.schema.sections.security import Key, Security

SECTION = "security"
AFTER = ("sites", "apis", "services", "servers")  # web ACLs attach to them
# Resource types whose replacement or deletion loses data, and what is lost (`cloudc diff`).
STATEFUL = {"AWS::KMS::Key": "access to data encrypted with the key"}

# Every action a key policy may allow on a key, listed (not `kms:*`), so IAM can delegate each.
KEY_ACTIONS = sorted([
    "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:CreateGrant", "kms:Decrypt",
    "kms:DeleteAlias", "kms:DeleteImportedKeyMaterial", "kms:DescribeKey", "kms:DisableKey",
    "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:Encrypt",
    "kms:GenerateDataKey", "kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateMac", "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus", "kms:GetParametersForImport", "kms:GetPublicKey",
    "kms:ImportKeyMaterial", "kms:ListGrants", "kms:ListKeyPolicies", "kms:ListKeyRotations",
    "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:ReEncryptFrom", "kms:ReEncryptTo",
    "kms:ReplicateKey", "kms:RetireGrant", "kms:RevokeGrant", "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion", "kms:Sign", "kms:TagResource", "kms:UntagResource",
    "kms:UpdateAlias", "kms:UpdateKeyDescription", "kms:UpdatePrimaryRegion", "kms:Verify",
    "kms:VerifyMac", "kms:DeriveSharedSecret",
])
READ = ["kms:Decrypt", "kms:DescribeKey"]
WRITE = ["kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom",
         "kms:ReEncryptTo"]


def declare(name: str, spec: Security, ctx: Context) -> Component:
    """Declare the section and one linkable component per key (`security.keys.NAME`)."""
    path = (SECTION,)
    comp = Component(SECTION, "", "security", path, ctx.origin(path))
    for key_name, key in spec.keys.items():
        kc = _declare_key(key_name, key, ctx)
        ctx.ir.components[kc.key] = kc
        for attr in ("arn", "id", "alias"):
            comp.attrs[f"keys.{key_name}.{attr}"] = kc.attrs[attr]
    entries = spec.waf if isinstance(spec.waf, list) else [spec.waf] if spec.waf else []
    for entry in entries:
        section, _, target = entry.scope.partition(".")
        acl = GetAtt(f"SecurityWaf{pascal(section)}{pascal(target)}Acl", "Arn")
        comp.attrs[f"waf.{section}.{target}.arn"] = acl
        if not isinstance(spec.waf, list):
            comp.attrs["waf.arn"] = acl
    for cert_name in spec.certificates:
        comp.attrs[f"certificates.{cert_name}.arn"] = Ref(
            ctx.logical(comp, f"Certificate{pascal(cert_name)}"))
    return comp


def _declare_key(name: str, spec: Key, ctx: Context) -> Component:
    path = (SECTION, "keys", name)
    kc = Component(SECTION, f"keys.{name}", "key", path, ctx.origin(path))
    lid = key_logical(name)
    assert lid == ctx.logical(kc, "Key")
    alias = f"alias/{spec.alias or ctx.physical(name, 250)}"
    key_arn = GetAtt(lid, "Arn")
    kc.attrs = {"arn": key_arn, "id": Ref(lid), "alias": Sub(alias)}
    kc.grants = {"read": [statement(READ, [key_arn])], "write": [statement(WRITE, [key_arn])]}
    kc.link_env = {"ARN": key_arn, "ALIAS": Sub(alias)}
    kc.tags = dict(spec.tags)
    kc.physical, kc.state = alias, spec
    return kc


def lower(comp: Component, spec: Security, ctx: Context) -> None:
    """Emit the keys and aliases, the web ACLs and the certificates."""
    for name in spec.keys:
        kc = ctx.ir.components[f"{SECTION}.keys.{name}"]
        _key(kc, state_of(kc, Key), ctx)
    for name, cert in spec.certificates.items():
        arn = certificate(comp, ctx, cert.domains, (SECTION, "certificates", name, "domains"),
                          suffix=f"Certificate{pascal(name)}")
        if arn is None:
            comp.attrs.pop(f"certificates.{name}.arn", None)
    if spec.waf is not None:
        web_acls(comp, spec.waf, ctx)


def _key(kc: Component, spec: Key, ctx: Context) -> None:
    path = kc.path
    if spec.alias and spec.alias.startswith("aws/"):
        ctx.diags.add("E2005", "an alias may not start with `aws/` (reserved for AWS managed "
                      "keys)", origin=ctx.origin(path + ("alias",)), path=path + ("alias",))
    if not spec.rotation:
        ctx.warn("W1001", "automatic key rotation turned off", path + ("rotation",))
    root = Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
    props: dict[str, Any] = {
        "Description": spec.description or f"{ctx.slug} {ctx.env} {kc.name[5:]} (cloudc)",
        "Enabled": True,
        "EnableKeyRotation": bool(spec.rotation),
        "KeySpec": "SYMMETRIC_DEFAULT",
        "KeyUsage": "ENCRYPT_DECRYPT",
        "PendingWindowInDays": spec.deletion_window_days,
        "KeyPolicy": {"Version": "2012-10-17", "Statement": [{
            "Sid": "AccountAdministersAndDelegatesToIam",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": KEY_ACTIONS,
            # In a key policy `*` means this key: the one `*` resource cloudc writes.
            "Resource": "*",
        }]},
    }
    # Data encrypted with a deleted key is lost: keys are kept like stateful data.
    key = ctx.add(kc, "Key", "AWS::KMS::Key", props, stateful=True)
    ctx.add(kc, "Alias", "AWS::KMS::Alias",
            {"AliasName": kc.physical, "TargetKeyId": Ref(key.logical_id)})
