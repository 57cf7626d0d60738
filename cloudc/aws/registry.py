"""The registry stack (`<root>-registry`, the ECR repositories) in the daily commands.

`cloudc/aws/images.py` creates and updates the registry stack during `deploy`. This module is
what the other commands need of it: `destroy` deletes it after the app's root stacks (its
repositories go with their images where `EmptyOnDelete` is set, outside production; in
production their DeletionPolicy keeps them, listed as retained), `deploy` deletes it once no
service builds an image any more, `status` shows it, and `rollback` checks that ECR still holds
every image a recorded deployment names before it redeploys that deployment.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from cloudc.aws import locate
from cloudc.aws.destroy import Kept, delete, retained
from cloudc.aws.fetch import Deployed, fetch
from cloudc.aws.session import Aws, AwsError, api_errors, error_code

Say = Callable[..., None]
REGISTRY = "registry"  # the build's separate template of ECR repositories

# The images cloudc builds are named in task definitions as
# `${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/<repository>:<tag>`
# (cloudc/lower/_containers.py): this account's ECR in the stack's region.
_BUILT = re.compile(r"\$\{AWS::AccountId\}\.dkr\.ecr\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}/"
                    r"([a-z0-9][a-z0-9._/-]*):([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})")


def registry_name(root: str) -> str:
    """Return the registry stack's name for the root stack `root`."""
    return f"{root}-{REGISTRY}"


@dataclass(frozen=True)
class Registry:
    """The deployed registry stack of an app: what deleting it removes and keeps."""

    deployed: Deployed
    kept: list[Kept]
    repositories: int  # repositories the stack holds now

    @property
    def name(self) -> str:
        """Return the registry stack's name."""
        return self.deployed.name


def find(aws: Aws, root: str) -> Registry | None:
    """Return the registry stack of the app whose root 1 is `root`, or None when none is there."""
    deployed = fetch(aws, registry_name(root))
    if not deployed.exists:
        return None
    found = locate.resources(aws, deployed.name)
    kept = [Kept(k.logical_id, k.type, k.physical_id, deployed.name, k.policy)
            for k in retained(deployed, found)]
    count = sum(1 for r in found.values() if r.status != "DELETE_COMPLETE")
    return Registry(deployed, kept, count)


def remove(aws: Aws, registry: Registry, say: Say) -> tuple[str, str]:
    """Delete the registry stack, streaming its events; return (final status, first failure)."""
    return delete(aws, registry.deployed, say)


def delete_unused(aws: Aws, stack: str, say: Say) -> None:
    """Delete the registry stack `stack` once no service builds an image, and wait; say what
    its DeletionPolicy keeps (production's repositories); raise when the delete fails."""
    found = find(aws, stack.removesuffix(f"-{REGISTRY}"))
    if found is None:
        return
    say(f"images: no service builds an image any more: deleting stack {stack} "
        "(the ECR repositories)")
    status, failure = remove(aws, found, say)
    if status != "DELETE_COMPLETE":
        raise AwsError(f"stack {stack} (the ECR repositories) is {status}: "
                       f"{failure or 'see its events'}; see `aws cloudformation "
                       f"describe-stack-events --stack-name {stack}`")
    for kept in found.kept:
        say(f"images: retained by its DeletionPolicy (delete it yourself when it is no longer "
            f"needed): {kept.line()}")


def built_images(images: list[str]) -> list[tuple[str, str]]:
    """Return (repository, tag) of each image cloudc built among a record's images.

    >>> built_images(['{"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.'
    ...               '${AWS::URLSuffix}/shop-production-api:src-0123abcd"}',
    ...               "public.ecr.aws/nginx/nginx:1.27"])
    [('shop-production-api', 'src-0123abcd')]
    """
    out: list[tuple[str, str]] = []
    for image in images:
        for m in _BUILT.finditer(image):
            if (m.group(1), m.group(2)) not in out:
                out.append((m.group(1), m.group(2)))
    return out


def missing_images(aws: Aws, images: list[str]) -> list[str]:
    """Return `repository:tag` of each image cloudc built that ECR no longer holds."""
    ecr = aws.client("ecr")
    gone = []
    for repo, tag in built_images(images):
        try:
            with api_errors(f"look up {repo}:{tag} in ECR"):
                ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": tag}])
        except AwsError as exc:
            code = error_code(exc.__cause__)
            if code == "RepositoryNotFoundException":
                gone.append(f"{repo}:{tag} (the repository is gone)")
            elif code == "ImageNotFoundException":
                gone.append(f"{repo}:{tag}")
            else:
                raise
    return gone


def refuse_missing(aws: Aws, ident: str, images: list[str]) -> None:
    """Raise when a recorded deployment names images ECR no longer holds (nothing changed)."""
    gone = missing_images(aws, images)
    if gone:
        raise AwsError(
            f"deployment {ident} cannot be redeployed: ECR no longer holds "
            + ", ".join(gone[:3]) + (" ..." if len(gone) > 3 else "")
            + ". Each repository keeps its 30 newest images (its lifecycle policy), and a "
            "repository deleted with its stack takes its images along; to run that code "
            "again, check out the config and code of that deployment and `cloudc deploy` "
            "it (deploy builds and pushes the image again)")
