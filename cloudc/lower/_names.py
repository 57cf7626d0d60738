"""Names that must be unique across all of AWS: S3 buckets and Cognito domain prefixes.

SPEC 1.1: such names carry the account and the region, so one app and environment deploy side
by side in several accounts and regions. Each is an `Fn::Sub` template

    {slug}-{env}-{name}-${AWS::AccountId}-${AWS::Region}

whose fixed part is cut (with the stable hash suffix of `Context.physical`) so that the whole
name fits 63 characters for the longest account id (12 digits) and region name AWS has.
Every reference to the name (ARNs in policies, environment variables, `derived=` Subs) is built
from the same template, so a policy always names the bucket CloudFormation creates.
"""

from __future__ import annotations

import re

from cloudc.context import Context

ACCOUNT_REGION = "-${AWS::AccountId}-${AWS::Region}"
# The longest region name in botocore's endpoint data (us-isof-south-1) and a 12-digit account.
LONGEST_REGION = 15
SUFFIX_LEN = 1 + 12 + 1 + LONGEST_REGION
MAX_LEN = 63  # S3 bucket names and Cognito domain prefixes alike
# Cognito rejects a prefix domain containing any of these words.
COGNITO_RESERVED = ("amazon", "cognito", "aws")


def bucket_name(ctx: Context, name: str) -> str:
    """Return the Fn::Sub template of an S3 bucket's name: lowercase, 3-63, no `_` or `.`.

    >>> from types import SimpleNamespace as N
    >>> from cloudc.context import Context
    >>> ctx = Context.__new__(Context); ctx.config = N(project=N(slug="acme"))
    >>> ctx.res = N(environment="production")
    >>> bucket_name(ctx, "up_loads")
    'acme-production-up-loads-${AWS::AccountId}-${AWS::Region}'
    """
    return ctx.physical(name, MAX_LEN - SUFFIX_LEN) + ACCOUNT_REGION


def cognito_prefix(ctx: Context, name: str) -> str:
    """Return the Fn::Sub template of a user pool's hosted-UI prefix domain."""
    prefix = ctx.physical(name, MAX_LEN - SUFFIX_LEN)
    for word in COGNITO_RESERVED:
        prefix = prefix.replace(word, "x" * len(word))
    return prefix + ACCOUNT_REGION


def longest(template: str) -> int:
    """Return the longest a name template can get once CloudFormation fills it in.

    >>> longest("a-${AWS::AccountId}-${AWS::Region}")
    30
    """
    text = template.replace("${AWS::AccountId}", "0" * 12)
    return len(text.replace("${AWS::Region}", "r" * LONGEST_REGION))


def fixed_part(template: str) -> str:
    """Return the part of a name template that does not depend on the account or region."""
    return re.sub(r"-?\$\{AWS::(AccountId|Region)\}", "", template)
