"""An OpenSearch domain in a VPC needs the service-linked role
AWSServiceRoleForAmazonOpenSearchService
(W3190).

OpenSearch Service creates the domain's network interfaces in the VPC through that role. In an
account where no VPC domain was ever created (and nobody created the role), the domain's create
fails and the stack rolls back. CloudFormation cannot create it as part of the stack without
failing in every account that already has it, so `cloudc deploy` checks for the role and
creates it before the change set (cloudc/aws/deploy.py `ensure_service_linked_roles`); other
deploy tools need the command in the hint, once per account.
https://docs.aws.amazon.com/opensearch-service/latest/developerguide/slr-aos.html
"""

from __future__ import annotations

from collections.abc import Iterable

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code

NEEDS = "config"
CODES = (
    Code("W3190", "a VPC OpenSearch domain needs the OpenSearch service-linked role"),
)
ROLE = "AWSServiceRoleForAmazonOpenSearchService"
SERVICE = "opensearchservice.amazonaws.com"
COMMAND = f"aws iam create-service-linked-role --aws-service-name {SERVICE}"


def check(cx: CheckContext) -> Iterable[Finding]:
    """Warn once, at the first domain in a VPC, that the account needs the role."""
    for name, spec in cx.section("search").items():
        if spec.vpc:
            yield Finding(
                "W3190", f"a domain in a VPC needs the service-linked role {ROLE} in the account; "
                "without it the domain's create fails and the stack rolls back",
                ("search", name), key=True,
                hint=f"`cloudc deploy` creates it when missing; with another deploy tool run "
                     f"`{COMMAND}` once per account, before the first deploy")
            return
