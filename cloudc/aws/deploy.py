"""Deploy a build: artifacts bucket, content-hashed uploads, one change set, events, wait."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cloudc.assets import ARTIFACTS_BUCKET, ASSET_PREFIX
from cloudc.aws.diff import Plan, ResourceChange, Side, mark_replacement
from cloudc.aws.fetch import describe
from cloudc.aws.session import Aws, AwsError, api_errors, error_code
from cloudc.emit.writer import to_json

POLL_SECONDS = 2.0  # between DescribeStackEvents calls; tests lower it
BOOTSTRAP_STACK = "cloudc-bootstrap"
INLINE_LIMIT = 51_200  # bytes of TemplateBody CloudFormation takes inline
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")

# The artifacts bucket. Objects never expire: a rollback or a later update may still need an
# old template or code zip, and content-hashed keys are never overwritten, so the bucket only
# grows by what actually changed. Incomplete uploads and old versions are cleaned up. The
# bucket outlives its stack (RetainExceptOnCreate), except when the stack's own create rolls
# back: then the bucket goes too, so deleting the failed stack and deploying again does not
# fail on the bucket's fixed name ("already exists").
BOOTSTRAP_TEMPLATE: dict[str, Any] = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Description": "cloudc artifacts bucket (templates and code), created by cloudc deploy",
    "Resources": {
        "ArtifactsBucket": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "RetainExceptOnCreate",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketName": {"Fn::Sub": ARTIFACTS_BUCKET},
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True, "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": {"Status": "Enabled"},
                "LifecycleConfiguration": {"Rules": [
                    {"Id": "abort-incomplete-uploads", "Status": "Enabled",
                     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
                    {"Id": "expire-old-versions", "Status": "Enabled",
                     "NoncurrentVersionExpiration": {"NoncurrentDays": 30}},
                ]},
            },
        },
        "ArtifactsBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "ArtifactsBucket"},
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [{"Fn::GetAtt": ["ArtifactsBucket", "Arn"]},
                                 {"Fn::Sub": "${ArtifactsBucket.Arn}/*"}],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]},
            },
        },
    },
    "Outputs": {"BucketName": {"Value": {"Ref": "ArtifactsBucket"}}},
}

Say = Callable[..., None]


def _sleep() -> None:
    time.sleep(POLL_SECONDS)


def wait_until_settled(aws: Aws, name: str) -> dict[str, Any] | None:
    """Poll a stack until it is no longer in progress; return its description (None: gone)."""
    while True:
        info = describe(aws, name)
        if info is None or not info["StackStatus"].endswith("_IN_PROGRESS"):
            return info
        _sleep()


def ensure_bucket(aws: Aws, say: Say) -> str:
    """Return the artifacts bucket, creating the `cloudc-bootstrap` stack on first use."""
    info = describe(aws, BOOTSTRAP_STACK)
    if info is None or info["StackStatus"] == "REVIEW_IN_PROGRESS":
        say(f"creating the artifacts bucket (stack {BOOTSTRAP_STACK}, once per account and "
            "region)")
        cfn = aws.client("cloudformation")
        with api_errors(f"create stack {BOOTSTRAP_STACK}"):
            cfn.create_stack(StackName=BOOTSTRAP_STACK,
                             TemplateBody=json.dumps(BOOTSTRAP_TEMPLATE),
                             Tags=[{"Key": "cloudc:purpose", "Value": "artifacts"}])
        info = wait_until_settled(aws, BOOTSTRAP_STACK)
    elif info["StackStatus"].endswith("_IN_PROGRESS"):
        info = wait_until_settled(aws, BOOTSTRAP_STACK)
    status = info["StackStatus"] if info else "DELETE_COMPLETE"
    outputs = {o["OutputKey"]: o.get("OutputValue") for o in (info or {}).get("Outputs") or []}
    if status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE") or not outputs.get("BucketName"):
        raise AwsError(f"stack {BOOTSTRAP_STACK} is {status}; delete it "
                       f"(aws cloudformation delete-stack --stack-name {BOOTSTRAP_STACK}) "
                       "and deploy again")
    return str(outputs["BucketName"])


@dataclass(frozen=True)
class LinkedRole:
    """A service-linked role some resources need before CloudFormation can create them."""

    service: str  # the AWSServiceName create_service_linked_role takes
    name: str
    why: str  # what needs it
    also: tuple[str, ...] = ()  # older roles that serve the same purpose


# An OpenSearch domain in a VPC fails to create without the OpenSearch service-linked role (or
# the legacy Elasticsearch one, which an account that has it keeps using); CloudFormation cannot
# own the role (one per account, shared by every app). checks/service_linked_roles.py warns.
# https://docs.aws.amazon.com/opensearch-service/latest/developerguide/slr-aos.html
OPENSEARCH_ROLE = LinkedRole("opensearchservice.amazonaws.com",
                             "AWSServiceRoleForAmazonOpenSearchService",
                             "an OpenSearch domain in a VPC",
                             ("AWSServiceRoleForAmazonElasticsearchService",))


def linked_roles(templates: Iterable[dict[str, Any]]) -> list[LinkedRole]:
    """Return the service-linked roles the resources of `templates` need."""
    out: list[LinkedRole] = []
    for doc in templates:
        for body in (doc.get("Resources") or {}).values():
            if (body.get("Type") in ("AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain")
                    and (body.get("Properties") or {}).get("VPCOptions")
                    and OPENSEARCH_ROLE not in out):
                out.append(OPENSEARCH_ROLE)
    return out


def ensure_linked_roles(aws: Aws, templates: Iterable[dict[str, Any]], say: Say) -> list[str]:
    """Create each service-linked role the build needs and the account lacks; return those made."""
    iam = aws.client("iam")
    made = []
    for role in linked_roles(templates):
        if any(_role_exists(iam, name) for name in (role.name, *role.also)):
            continue
        say(f"the account has no service-linked role {role.name}, which {role.why} needs: "
            f"creating it (once per account, as `aws iam create-service-linked-role "
            f"--aws-service-name {role.service}` would)")
        try:
            with api_errors(f"create the service-linked role {role.name}"):
                iam.create_service_linked_role(AWSServiceName=role.service)
        except AwsError as exc:
            # IAM says "... has been taken in this account" when it was made meanwhile.
            taken = error_code(exc.__cause__ or exc) == "EntityAlreadyExists"
            if taken or "has been taken" in str(exc):
                continue
            raise AwsError(f"{exc}; ask an administrator to run `aws iam "
                           f"create-service-linked-role --aws-service-name {role.service}` "
                           "once in this account, then deploy again") from exc
        made.append(role.name)
    return made


def _role_exists(iam: Any, name: str) -> bool:
    try:
        with api_errors(f"look up the IAM role {name}"):
            iam.get_role(RoleName=name)
        return True
    except AwsError as exc:
        if error_code(exc.__cause__ or exc) == "NoSuchEntity":
            return False
        raise


def template_url(bucket: str, key: str, region: str | None = None) -> str:
    """Return the S3 URL CloudFormation reads a template from.

    With a region (other than us-east-1) the URL names the regional endpoint, which AWS wants
    for buckets outside us-east-1; without one it is the global form that emulators parse.
    """
    if region and region != "us-east-1":
        return f"https://{bucket}.s3.{region}.amazonaws.com/{key}"
    return f"https://{bucket}.s3.amazonaws.com/{key}"


@dataclass
class Package:
    """What one deploy uploads, and the root template that points at it."""

    root: dict[str, Any]
    uploads: dict[str, bytes] = field(default_factory=dict)  # S3 key -> bytes
    root_url: str | None = None  # set when the root is too big to pass inline

    @property
    def root_body(self) -> str:
        """Return the root template as text."""
        return to_json(self.root)


def package(root: dict[str, Any], nested: dict[str, dict[str, Any]],
            assets: dict[str, bytes], bucket: str, region: str | None = None) -> Package:
    """Rewrite local paths to S3 locations under content-hashed keys (the build is untouched).

    `region` selects regional template URLs (see `template_url`).
    """
    pkg = Package(copy.deepcopy(root))
    for name, data in assets.items():
        pkg.uploads[f"{ASSET_PREFIX}{name}"] = data
    urls = {}
    for group, template in nested.items():
        doc = copy.deepcopy(template)
        for body in doc.get("Resources", {}).values():
            props = body.get("Properties") or {}
            for key in ("Code", "Content"):
                value = props.get(key)
                if isinstance(value, str) and value.startswith("../assets/"):
                    props[key] = {"S3Bucket": bucket, "S3Key": value[len("../"):]}
        data = to_json(doc).encode()
        key = f"templates/{hashlib.sha256(data).hexdigest()}.json"
        pkg.uploads[key] = data
        urls[f"stacks/{group}.json"] = template_url(bucket, key, region)
    for body in pkg.root.get("Resources", {}).values():
        props = body.get("Properties") or {}
        if body.get("Type") == "AWS::CloudFormation::Stack" and props.get("TemplateURL") in urls:
            props["TemplateURL"] = urls[props["TemplateURL"]]
    data = pkg.root_body.encode()
    if len(data) > INLINE_LIMIT:
        key = f"templates/{hashlib.sha256(data).hexdigest()}.json"
        pkg.uploads[key] = data
        pkg.root_url = template_url(bucket, key, region)
    return pkg


def upload(aws: Aws, bucket: str, uploads: dict[str, bytes]) -> int:
    """Upload what the bucket does not hold yet (keys are content hashes); return the count."""
    s3 = aws.client("s3")

    def one(item: tuple[str, bytes]) -> int:
        key, data = item
        try:
            with api_errors(f"check s3://{bucket}/{key}"):
                s3.head_object(Bucket=bucket, Key=key)
            return 0
        except AwsError as exc:
            if error_code(exc.__cause__) not in ("404", "NoSuchKey", "NotFound"):
                raise
        with api_errors(f"upload s3://{bucket}/{key}"):
            s3.put_object(Bucket=bucket, Key=key, Body=data)
        return 1

    with ThreadPoolExecutor(max_workers=8) as pool:
        return sum(pool.map(one, sorted(uploads.items())))


@dataclass
class ChangeSet:
    """A created change set and what CloudFormation says it will do."""

    id: str
    stack_id: str
    created_stack: bool = False  # a CREATE change set: its stack is empty until executed
    empty: bool = False
    changes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (root LID, change)


def create_change_set(aws: Aws, name: str, pkg: Package, *, create: bool,
                      tags: dict[str, str]) -> ChangeSet:
    """Create one change set on the root (nested stacks included) and wait until it is ready."""
    cfn = aws.client("cloudformation")
    args: dict[str, Any] = {
        "StackName": name,
        "ChangeSetName": "cloudc-" + datetime.now().strftime("%Y%m%d%H%M%S"),
        "ChangeSetType": "CREATE" if create else "UPDATE",
        "Capabilities": CAPABILITIES,
        "IncludeNestedStacks": True,
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
        "Description": "created by cloudc deploy",
    }
    if pkg.root_url:
        args["TemplateURL"] = pkg.root_url
    else:
        args["TemplateBody"] = pkg.root_body
    with api_errors(f"create a change set for stack {name}"):
        made = cfn.create_change_set(**args)
    cs = ChangeSet(made["Id"], made.get("StackId", name), created_stack=create)
    try:
        while True:
            with api_errors(f"describe change set {cs.id}"):
                desc = cfn.describe_change_set(ChangeSetName=cs.id, StackName=cs.stack_id)
            if desc["Status"] in ("CREATE_COMPLETE", "FAILED", "DELETE_COMPLETE"):
                break
            _sleep()
    except BaseException:  # Ctrl-C or a failure while waiting: leave no change set behind
        discard(aws, cs)
        raise
    if desc["Status"] != "CREATE_COMPLETE":
        reason = str(desc.get("StatusReason", ""))
        if not desc.get("Changes") and any(p in reason for p in NO_CHANGES):
            # CloudFormation says "nothing to do" only in the reason's prose (the AWS CLI's
            # `cloudformation deploy` checks the same text); a failure for any other reason,
            # a template error say, must not pass for "no changes".
            cs.empty = True
            with api_errors(f"delete the empty change set {cs.id}"):
                cfn.delete_change_set(ChangeSetName=cs.id, StackName=cs.stack_id)
            return cs
        raise AwsError(f"the change set failed: {desc.get('StatusReason', desc['Status'])}")
    cs.changes = list(_all_changes(cfn, desc, ""))
    return cs


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Ignore Ctrl-C for a short step that must not stop halfway: a cleanup (a second Ctrl-C
    must not leave half of one), or recording a deployment whose stack already changed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def execute(aws: Aws, cs: ChangeSet, name: str) -> None:
    """Execute a reviewed change set on stack `name` (from here on it is CloudFormation's)."""
    with api_errors(f"execute the change set on {name}"):
        aws.client("cloudformation").execute_change_set(ChangeSetName=cs.id,
                                                        StackName=cs.stack_id)


def discard(aws: Aws, cs: ChangeSet) -> bool:
    """Delete a change set that will not be executed (best effort; True when it is gone).

    A CREATE change set's stack holds nothing yet (REVIEW_IN_PROGRESS): the stack goes too.
    """
    cfn = aws.client("cloudformation")
    with shielded():
        try:
            with api_errors(f"delete change set {cs.id}"):
                if cs.created_stack:
                    cfn.delete_stack(StackName=cs.stack_id)
                else:
                    cfn.delete_change_set(ChangeSetName=cs.id, StackName=cs.stack_id)
            return True
        except AwsError:
            return False


def _all_changes(cfn: Any, desc: dict[str, Any],
                 stack: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (root logical ID of the stack, ResourceChange) through nested change sets."""
    while True:
        for c in desc.get("Changes") or []:
            rc = c.get("ResourceChange") or {}
            yield stack, rc
            nested = rc.get("ChangeSetId")
            if nested and rc.get("ResourceType") == "AWS::CloudFormation::Stack" and not stack:
                with api_errors(f"describe nested change set {nested}"):
                    sub = cfn.describe_change_set(ChangeSetName=nested)
                yield from _all_changes(cfn, sub, rc["LogicalResourceId"])
        token = desc.get("NextToken")
        if not token:
            return
        with api_errors(f"describe change set {desc['ChangeSetId']}"):
            desc = cfn.describe_change_set(ChangeSetName=desc["ChangeSetId"], NextToken=token)


def merge_change_set(plan: Plan, cs: ChangeSet, local: Side) -> None:
    """Add what CloudFormation knows and cloudc cannot (replacements caused by values)."""
    index = {(r.stack, r.logical_id): r for r in plan.resources}
    for stack, change in cs.changes:
        label = local.label(stack) if stack else "root"
        lid = change.get("LogicalResourceId", "")
        level = {"True": "yes", "Conditional": "maybe"}.get(str(change.get("Replacement")), "")
        rc = index.get((label, lid))
        if rc is None:
            if not level or change.get("Action") != "Modify":
                continue
            body = (local.nested.get(stack) if stack else local.root or {}) or {}
            body = (body.get("Resources") or {}).get(lid) or {}
            meta = body.get("Metadata") or {}
            rc = ResourceChange("modify", label, lid, str(change.get("ResourceType", "")),
                                origin=str(meta.get("cloudc:origin", "")),
                                policy=str(body.get("UpdateReplacePolicy") or ""))
            plan.resources.append(rc)
            index[(label, lid)] = rc
        causes = []
        for d in change.get("Details") or []:
            target = d.get("Target") or {}
            if target.get("RequiresRecreation") in ("Always", "Conditionally"):
                cause = target.get("Name") or target.get("Attribute") or ""
                if d.get("CausingEntity"):
                    cause += f" <- {d['CausingEntity']}"
                causes.append(cause)
        mark_replacement(rc, level, "CloudFormation's change set says "
                         + ("it will be replaced" if level == "yes" else "it may be replaced")
                         + (f" ({', '.join(sorted(set(causes)))})" if causes else ""))


# --- events -----------------------------------------------------------------------------------


class Watcher:
    """Stream the events of a root stack and of every nested stack it starts."""

    def __init__(self, aws: Aws, stack_id: str, labels: dict[str, str], say: Say) -> None:
        self.cfn = aws.client("cloudformation")
        self.root = stack_id
        self.labels = labels  # root logical ID -> group
        self.say = say
        self.stacks: dict[str, str] = {stack_id: "root"}  # stack id -> label
        self.seen: set[str] = set()
        self.events: list[dict[str, Any]] = []  # this operation's events, oldest first
        self.start: datetime | None = None

    def skip_existing(self) -> None:
        """Mark the events that are already there as seen (they belong to earlier runs)."""
        for ev in self._events(self.root):
            self.seen.add(ev["EventId"])

    def poll(self) -> None:
        """Print every new event of every stack, oldest first, and find new nested stacks."""
        fresh: list[dict[str, Any]] = []
        for stack in list(self.stacks):
            new = list(self._events(stack))
            if stack == self.root:
                if new and self.start is None:
                    self.start = min(ev["Timestamp"] for ev in new)
            else:  # a nested stack's events from earlier runs are not this operation's
                old = {ev["EventId"] for ev in new
                       if self.start is None or ev["Timestamp"] < self.start}
                self.seen.update(old)
                new = [ev for ev in new if ev["EventId"] not in old]
            fresh.extend(new)
        fresh.sort(key=lambda ev: ev["Timestamp"])
        for ev in fresh:
            self.seen.add(ev["EventId"])
            self.events.append(ev)
            self._show(ev)
            phys = ev.get("PhysicalResourceId")
            if (ev.get("ResourceType") == "AWS::CloudFormation::Stack" and phys
                    and ev.get("LogicalResourceId") != ev.get("StackName")
                    and phys not in self.stacks):
                self.stacks[phys] = self.labels.get(ev["LogicalResourceId"],
                                                    ev["LogicalResourceId"])

    def _events(self, stack: str) -> Iterator[dict[str, Any]]:
        """Yield a stack's events, newest first, until an already seen one."""
        token = None
        while True:
            args: dict[str, Any] = {"StackName": stack}
            if token:
                args["NextToken"] = token
            with api_errors(f"read the events of stack {stack}"):
                page = self.cfn.describe_stack_events(**args)
            for ev in page.get("StackEvents") or []:
                if ev["EventId"] in self.seen:
                    return
                yield ev
            token = page.get("NextToken")
            if not token:
                return

    def _show(self, ev: dict[str, Any]) -> None:
        when = ev["Timestamp"].strftime("%H:%M:%S")
        status = ev.get("ResourceStatus", "")
        label = self.stacks.get(ev.get("StackId", ""), None) or self._label(ev)
        lid = ev.get("LogicalResourceId", "")
        if lid == ev.get("StackName"):
            lid = "(stack)"
        line = f"{when}  {label:<12} {lid:<32} {status}"
        if ev.get("ResourceStatusReason"):
            line += f"  {ev['ResourceStatusReason']}"
        fg = "red" if "FAILED" in status or "ROLLBACK" in status else (
            "green" if status.endswith("_COMPLETE") else None)
        self.say(line, fg=fg)

    def _label(self, ev: dict[str, Any]) -> str:
        for stack, label in self.stacks.items():
            if stack and (stack == ev.get("StackName") or stack in str(ev.get("StackId"))):
                return label
        return "?"

    def label_of(self, ev: dict[str, Any]) -> str:
        """Return the label of the stack an event belongs to."""
        return self.stacks.get(ev.get("StackId", "")) or self._label(ev)

    def first_failure(self) -> dict[str, Any] | None:
        """Return the first resource that failed (not the stacks that failed because of it)."""
        failed = [ev for ev in self.events if str(ev.get("ResourceStatus", "")).endswith("_FAILED")]
        resources = [ev for ev in failed if ev.get("ResourceType") != "AWS::CloudFormation::Stack"]
        pick = resources or [ev for ev in failed
                             if ev.get("LogicalResourceId") != ev.get("StackName")]
        pick = pick or failed
        return min(pick, key=lambda ev: ev["Timestamp"]) if pick else None


def watch(aws: Aws, name: str, watcher: Watcher) -> dict[str, Any] | None:
    """Stream events until the root stack settles; return its final description."""
    while True:
        watcher.poll()
        info = describe(aws, name)
        if info is None or not info["StackStatus"].endswith("_IN_PROGRESS"):
            watcher.poll()
            return info
        _sleep()
