"""Lower `secrets` entries: AWS-generated Secrets Manager secrets, empty secrets whose value
`cloudc secrets set` stores, or references to existing ones.

No value ever passes through cloudc. `${secret:name}` becomes a dynamic reference that
CloudFormation resolves at deploy time; links grant read access and pass the ARN, never the value.
An `ssm:` or `arn:` secret creates no resource.

KMS: the grants hold no `kms:Decrypt`. Values encrypted with the AWS managed keys
(`aws/secretsmanager`, `aws/ssm`) need none, since those keys trust callers through the service.
A value under a customer managed key needs that key's policy to allow the consumer.
"""

from __future__ import annotations

import json
import re
from typing import Any

from cloudc.capabilities import SecretReference
from cloudc.context import Context
from cloudc.ir import Component, Ref, Sub, arn, statement
from cloudc.schema.sections.secrets import Secret

SECTION = "secrets"
# Resource types whose replacement or deletion loses data, and what is lost (`cloudc diff`).
STATEFUL = {"AWS::SecretsManager::Secret": "the secret value"}

READ = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
SSM_READ = ["ssm:GetParameter", "ssm:GetParameters"]
# A full secret ARN ends in `-` and six random characters; a partial one does not.
_FULL_ARN = re.compile(r"^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:.+-[A-Za-z0-9]{6}$")
_SECRET_ARN = re.compile(r"^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:.+$")


def declare(name: str, spec: Secret, ctx: Context) -> Component:
    """Declare a secret: its dynamic reference, what a link grants, its ARN for containers."""
    path = (SECTION, name)
    comp = Component(SECTION, name, "secret", path, ctx.origin(path))
    if spec.ssm is not None:
        _declare_ssm(comp, spec.ssm, ctx)
    elif spec.arn is not None:
        _declare_arn(comp, spec.arn, ctx)
    else:
        _declare_managed(comp, ctx)
    return comp


def _declare_managed(comp: Component, ctx: Context) -> None:
    physical = ctx.physical(comp.name, 512, sep="/")
    lid = ctx.logical(comp, "Secret")
    # Secrets Manager appends `-` and six random characters to the name in the ARN.
    pattern = arn("secretsmanager", f"secret:{physical}-??????")
    by_name = Ref(lid, derived=Sub(physical))
    comp.physical, comp.primary = physical, lid
    comp.attrs = {"id": Ref(lid), "arn": Ref(lid), "name": Sub(physical)}
    comp.grants = {"read": [statement(READ, [pattern])]}
    comp.link_env = {"ARN": Ref(lid), "NAME": Sub(physical)}
    comp.container_secrets = {"VALUE": Ref(lid)}
    # In the secret's own stack this is its ARN; elsewhere its name, with no parameter.
    comp.secret = SecretReference(by_name, var="Secret")


def _declare_ssm(comp: Component, name: str, ctx: Context) -> None:
    param_arn = arn("ssm", f"parameter{name}")
    comp.attrs = {"id": Sub(name), "name": Sub(name), "arn": param_arn}
    comp.grants = {"read": [statement(SSM_READ, [param_arn])]}
    comp.link_env = {"ARN": param_arn, "NAME": Sub(name)}
    comp.container_secrets = {"VALUE": param_arn}
    comp.secret = SecretReference(name, ssm=True)


def _declare_arn(comp: Component, secret_arn: str, ctx: Context) -> None:
    where = comp.path + ("arn",)
    if not _SECRET_ARN.match(secret_arn):
        ctx.diags.add("E2005", f"`{secret_arn}` is not a Secrets Manager secret ARN",
                      origin=ctx.origin(where), path=where,
                      hint="arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-abcdef")
    value = ctx.value(secret_arn, where, weak=True)  # `${region}`, `${account}` may appear
    full = _FULL_ARN.match(secret_arn) is not None
    if isinstance(value, str):
        grant: Any = Sub(secret_arn if full else f"{secret_arn}-??????")
        comp.secret = SecretReference(secret_arn)
        value = Sub(secret_arn)
    else:
        grant = value if full else _around("", value, "-??????")
        comp.secret = SecretReference(value)
    comp.attrs = {"id": value, "arn": value}
    comp.grants = {"read": [statement(READ, [grant])]}
    comp.link_env = {"ARN": value}
    # Containers inject the value (by its ARN); functions read it with the ARN in `..._ARN`.
    comp.container_secrets = {"VALUE": value}


def _around(head: str, value: Any, tail: str) -> Sub:
    """Return `head + value + tail` as one Sub (head and tail hold no `${`)."""
    if isinstance(value, Sub):
        return Sub(head + value.template + tail, value.vars)
    return Sub(head + "${Value}" + tail, (("Value", value),))


def lower(comp: Component, spec: Secret, ctx: Context) -> None:
    """Emit the generated or empty secret; references to existing values emit nothing."""
    path = comp.path
    if spec.rotation_days is not None:
        ctx.diags.add("E3005", "rotation_days needs a rotation function for the secret's "
                      "engine, and cloudc cannot attach one to this secret",
                      origin=ctx.origin(path + ("rotation_days",)),
                      path=path + ("rotation_days",),
                      hint="for an RDS or Aurora database, let the database manage and rotate "
                           "its own master password; rotate ssm/arn secrets where they live")
    if spec.settable:
        _empty(comp, spec, ctx)
        return
    if spec.generate is None:
        return
    gen = spec.generate
    where = path + ("generate",)
    rule: dict[str, Any] = {"PasswordLength": gen.length}
    if gen.exclude_punctuation:
        rule["ExcludePunctuation"] = True
    if gen.exclude_characters:
        rule["ExcludeCharacters"] = gen.exclude_characters
    if gen.template is not None and gen.key is None:
        ctx.diags.add("E3005", "`template` needs `key`: the JSON key the generated value goes "
                      "into", origin=ctx.origin(where + ("template",)), path=where + ("template",))
    if gen.key is not None:
        template = dict(gen.template or {})
        if gen.key in template:
            ctx.diags.add("E3005", f"`key` {gen.key} is also in `template`; AWS fills it in",
                          origin=ctx.origin(where + ("key",)), path=where + ("key",))
        rule["GenerateStringKey"] = gen.key
        rule["SecretStringTemplate"] = json.dumps(template, sort_keys=True,
                                                  separators=(",", ":"))
    props: dict[str, Any] = {"Name": comp.physical}
    if spec.description:
        props["Description"] = spec.description
    props["GenerateSecretString"] = rule
    ctx.add(comp, "Secret", "AWS::SecretsManager::Secret", props, stateful=True)


def _empty(comp: Component, spec: Secret, ctx: Context) -> None:
    """Emit a secret with neither SecretString nor GenerateSecretString: CloudFormation creates
    it empty and, with no value property to compare, no update ever writes a value over the
    one `cloudc secrets set` stored.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-secretsmanager-secret.html
    """
    description = spec.description or (f"set with: cloudc secrets set --env {ctx.env} "
                                        f"{comp.name} -")
    ctx.add(comp, "Secret", "AWS::SecretsManager::Secret",
            {"Name": comp.physical, "Description": description}, stateful=True)
