"""The benchmark app written with troposphere: the comparison side of bench/run.py.

Runs in bench/.venv (bench/setup.sh), never in the project's environment:

    bench/.venv/bin/python bench/tropo_app.py N OUT

It builds the same resources as cloudc's build of `bench/app.py`'s app (per service: an S3
bucket and its TLS-only bucket policy, a queue and its dead-letter queue, a log group, an IAM
role, a Lambda function and its queue event source mapping: 8 resources), in the same nested
stacks (storage and queues 250 services a stack, functions 125), zips the shared code folder
once (the functions name it by S3 bucket and key: troposphere takes no local path), and writes every template as compact JSON (troposphere's fastest output; its default
`to_json()` indents and is several times slower). It parses and validates no input.

Prints one JSON line: {"seconds": build + write time after imports, "resources": count}.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import time
import zipfile
from pathlib import Path

from troposphere import GetAtt, Ref, Sub, Tags, Template
from troposphere.awslambda import (
    Code,
    Environment,
    EventSourceMapping,
    Function,
    LoggingConfig,
)
from troposphere.cloudformation import Stack
from troposphere.iam import Policy, Role
from troposphere.logs import LogGroup
from troposphere.s3 import (
    AbortIncompleteMultipartUpload,
    Bucket,
    BucketEncryption,
    BucketPolicy,
    LifecycleConfiguration,
    LifecycleRule,
    OwnershipControls,
    OwnershipControlsRule,
    PublicAccessBlockConfiguration,
    ServerSideEncryptionByDefault,
    ServerSideEncryptionRule,
    VersioningConfiguration,
)
from troposphere.sqs import Queue, RedrivePolicy

PREFIX = "bench-app-production"
TAGS = Tags(environment="production", project="bench-app")


def pascal(text: str) -> str:
    """`files-12` -> `Files12`."""
    return "".join(p[:1].upper() + p[1:] for p in text.replace("_", "-").split("-") if p)


def storage(t: Template, i: int) -> None:
    """A versioned, encrypted, private bucket and its TLS-only policy."""
    lid = f"StorageFiles{i}Bucket"
    t.add_resource(Bucket(
        lid, DeletionPolicy="Retain", UpdateReplacePolicy="Retain",
        BucketName=f"{PREFIX}-files-{i}",
        VersioningConfiguration=VersioningConfiguration(Status="Enabled"),
        LifecycleConfiguration=LifecycleConfiguration(Rules=[LifecycleRule(
            Id="abort-incomplete-uploads", Status="Enabled",
            AbortIncompleteMultipartUpload=AbortIncompleteMultipartUpload(DaysAfterInitiation=7))]),
        PublicAccessBlockConfiguration=PublicAccessBlockConfiguration(
            BlockPublicAcls=True, BlockPublicPolicy=True, IgnorePublicAcls=True,
            RestrictPublicBuckets=True),
        BucketEncryption=BucketEncryption(ServerSideEncryptionConfiguration=[
            ServerSideEncryptionRule(
                ServerSideEncryptionByDefault=ServerSideEncryptionByDefault(SSEAlgorithm="AES256"),
                BucketKeyEnabled=True)]),
        OwnershipControls=OwnershipControls(Rules=[
            OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]),
        Tags=TAGS,
    ))
    t.add_resource(BucketPolicy(
        f"StorageFiles{i}BucketPolicy", Bucket=Ref(lid),
        PolicyDocument={"Version": "2012-10-17", "Statement": [{
            "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [GetAtt(lid, "Arn")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]},
    ))


def queues(t: Template, i: int) -> None:
    """A queue and its dead-letter queue."""
    dlq = f"QueuesJobs{i}Dlq"
    t.add_resource(Queue(dlq, QueueName=f"{PREFIX}-jobs-{i}-dlq", MessageRetentionPeriod=1209600,
                         SqsManagedSseEnabled=True, Tags=TAGS))
    t.add_resource(Queue(
        f"QueuesJobs{i}Queue", QueueName=f"{PREFIX}-jobs-{i}", VisibilityTimeout=120,
        MessageRetentionPeriod=345600,
        RedrivePolicy=RedrivePolicy(deadLetterTargetArn=GetAtt(dlq, "Arn"), maxReceiveCount=5),
        SqsManagedSseEnabled=True, Tags=TAGS,
    ))


def function(t: Template, i: int, code: str) -> None:
    """A function with its log group and role, fed by its queue, linked to its bucket."""
    name = f"{PREFIX}-worker-{i}"
    stem = f"FunctionsWorker{i}"
    queue_arn = Sub(f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{PREFIX}-jobs-{i}")
    bucket_arn = Sub(f"arn:${{AWS::Partition}}:s3:::{PREFIX}-files-{i}")
    t.add_resource(LogGroup(f"{stem}Logs", LogGroupName=f"/aws/lambda/{name}", RetentionInDays=30,
                            Tags=TAGS))
    t.add_resource(Role(
        f"{stem}Role",
        AssumeRolePolicyDocument={"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}]},
        Policies=[Policy(PolicyName="cloudc", PolicyDocument={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": [Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:"
                              f"log-group:/aws/lambda/{name}:*")]},
            {"Effect": "Allow", "Action": ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage",
                                           "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
             "Resource": [queue_arn]},
            {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [bucket_arn]},
            {"Effect": "Allow", "Action": ["s3:AbortMultipartUpload", "s3:DeleteObject",
                                           "s3:GetObject", "s3:PutObject"],
             "Resource": [Sub(f"arn:${{AWS::Partition}}:s3:::{PREFIX}-files-{i}/*")]},
        ]})],
        Tags=TAGS,
    ))
    t.add_resource(Function(
        f"{stem}Function", FunctionName=name, Runtime="nodejs22.x", Handler="index.handler",
        Code=Code(S3Bucket=Sub("assets-${AWS::AccountId}-${AWS::Region}"), S3Key=code),
        MemorySize=256, Timeout=20, Architectures=["arm64"],
        Role=GetAtt(f"{stem}Role", "Arn"),
        Environment=Environment(Variables={f"STORAGE_FILES_{i}_NAME": f"{PREFIX}-files-{i}",
                                           f"STORAGE_FILES_{i}_ARN": bucket_arn}),
        LoggingConfig=LoggingConfig(LogGroup=Ref(f"{stem}Logs")),
        Tags=TAGS,
    ))
    t.add_resource(EventSourceMapping(
        f"{stem}Event1Mapping", DependsOn=[f"{stem}Role"], EventSourceArn=queue_arn,
        FunctionName=Ref(f"{stem}Function"), BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    ))


def zip_code(folder: Path) -> tuple[str, bytes]:
    """Zip the code folder deterministically; return (asset name, bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(str(path.relative_to(folder)), (1980, 1, 1, 0, 0, 0))
            z.writestr(info, path.read_bytes())
    data = buf.getvalue()
    return hashlib.sha256(data).hexdigest() + ".zip", data


def build(n: int, out: Path, code_dir: Path) -> int:
    """Write the root template, the nested stacks and the code asset; return the resources."""
    asset, data = zip_code(code_dir)
    (out / "stacks").mkdir(parents=True, exist_ok=True)
    (out / "assets").mkdir(exist_ok=True)
    (out / "assets" / asset).write_bytes(data)
    root = Template(Description="Bench App (production), by troposphere")
    count = 0
    groups = (("storage", 250, lambda t, i: storage(t, i)),
              ("queues", 250, lambda t, i: queues(t, i)),
              ("functions", 125, lambda t, i: function(t, i, asset)))
    for group, per, add in groups:
        for k, start in enumerate(range(0, n, per)):
            name = group if k == 0 else f"{group}-{k + 1}"
            t = Template(Description=f"bench-app production: {name} (generated by troposphere)")
            for i in range(start, min(n, start + per)):
                add(t, i)
            count += len(t.resources)
            text = json.dumps(t.to_dict(), separators=(",", ":"))
            (out / "stacks" / f"{name}.json").write_text(text)
            stack = Stack(f"Stack{pascal(name)}", TemplateURL=f"stacks/{name}.json")
            if group == "functions":  # the event source mappings need their queues
                q = start // 250
                stack.DependsOn = ["StackQueues" if q == 0 else f"StackQueues{q + 1}"]
            root.add_resource(stack)
    (out / "template.json").write_text(json.dumps(root.to_dict(), separators=(",", ":")))
    return count


def main() -> None:
    n, out = int(sys.argv[1]), Path(sys.argv[2])
    code_dir = Path(sys.argv[3]) if len(sys.argv) > 3 else out.parent / "src"
    t0 = time.perf_counter()
    c0 = time.process_time()
    count = build(n, out, code_dir)
    print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                      "resources": count}))


if __name__ == "__main__":
    main()
