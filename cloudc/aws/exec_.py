"""`cloudc exec`: a command on a server's instances (SSM Run Command), or as a one-off task of
a service (ECS RunTask with a command override); its output and exit code."""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cloudc.aws import locate
from cloudc.aws.progress import Progress
from cloudc.aws.session import Aws, AwsError, api_errors, error_code
from cloudc.ir import Ref

if TYPE_CHECKING:
    from cloudc.compile import Build

TARGETS = ("servers", "services")
POLL_SECONDS = 2.0  # between status polls; tests lower it
SSM_DONE = ("Success", "Failed", "Cancelled", "TimedOut", "Undeliverable", "Terminated")


@dataclass
class Printer:
    """Where the command's output goes: its stdout, its stderr, and cloudc's status lines."""

    out: Callable[[str], None]
    err: Callable[[str], None]
    say: Callable[..., None]


def _sleep() -> None:
    time.sleep(POLL_SECONDS)


# --- servers: SSM Run Command ----------------------------------------------------------------


def instances(aws: Aws, name: str, build: Build, key: str) -> list[str]:
    """Return the running instances of server `key`, sorted by ID."""
    found = locate.owned(build, key, "AWS::AutoScaling::AutoScalingGroup", "AWS::EC2::Instance")
    if not found:
        raise locate.NotFound(f"{key} has no instances or Auto Scaling group in the build")
    deployed = locate.resources(aws, name, build)
    out: list[str] = []
    for r in found:
        phys = locate.physical(aws, name, r, deployed)
        if r.type == "AWS::EC2::Instance":
            out.append(phys)
            continue
        with api_errors(f"describe the Auto Scaling group {phys}"):
            groups = aws.client("autoscaling").describe_auto_scaling_groups(
                AutoScalingGroupNames=[phys])["AutoScalingGroups"]
        for g in groups:
            out.extend(i["InstanceId"] for i in g.get("Instances") or []
                       if i.get("LifecycleState") == "InService")
    if not out:
        raise AwsError(f"{key} has no instance in service (see the Auto Scaling group's "
                       "activity)")
    return sorted(out)


def script(command: list[str]) -> str:
    """Return the shell script SSM runs: one argument as written, several quoted and joined.

    >>> script(["php", "artisan", "migrate", "--force"]), script(["cd /app && ls"])
    ('php artisan migrate --force', 'cd /app && ls')
    """
    return command[0] if len(command) == 1 else shlex.join(command)


def run_on_servers(aws: Aws, ids: list[str], command: list[str], workdir: str | None,
                   p: Printer, progress: Progress) -> int:
    """Run `command` on instances `ids` through SSM; print each one's output; return the exit
    code (the first non-zero one; 3 when a command could not run)."""
    ssm = aws.client("ssm")
    params: dict[str, list[str]] = {"commands": [script(command)]}
    if workdir:
        params["workingDirectory"] = [workdir]
    with api_errors("send the command (SSM SendCommand)"):
        sent = ssm.send_command(InstanceIds=ids, DocumentName="AWS-RunShellScript",
                                Parameters=params, Comment="cloudc exec")["Command"]
    command_id = sent["CommandId"]
    p.say(f"command {command_id} sent to {', '.join(ids)}")
    code = 0
    for instance in ids:
        result = _invocation(ssm, command_id, instance, progress)
        progress.done()
        if result.get("StandardOutputContent"):
            p.out(str(result["StandardOutputContent"]).rstrip("\n"))
        if result.get("StandardErrorContent"):
            p.err(str(result["StandardErrorContent"]).rstrip("\n"))
        status = str(result.get("Status", ""))
        rc = int(result.get("ResponseCode", -1))
        if status in ("Success", "Failed") and rc >= 0:
            p.say(f"{instance}: exit code {rc}", fg="green" if rc == 0 else "red")
            code = code or rc
        else:
            p.say(f"{instance}: {status}: {result.get('StatusDetails', '')} (the command did "
                  "not run to the end; is the SSM agent online on the instance?)", fg="red")
            code = code or 3
    return code


def _invocation(ssm: Any, command_id: str, instance: str, progress: Progress) -> dict[str, Any]:
    """Wait for one instance's invocation to end; return it."""
    while True:
        try:
            with api_errors(f"read the command's result on {instance}"):
                result: dict[str, Any] = ssm.get_command_invocation(CommandId=command_id,
                                                                    InstanceId=instance)
        except AwsError as exc:
            # Right after SendCommand the invocation may not exist yet.
            if error_code(exc.__cause__) != "InvocationDoesNotExist":
                raise
            result = {"Status": "Pending"}
        if result.get("Status") in SSM_DONE:
            return result
        progress.update(f"{instance}: {result.get('Status', 'Pending')}")
        _sleep()


# --- services: a one-off ECS task ------------------------------------------------------------


@dataclass
class Task:
    """What a one-off task of a service needs: where, what, and where its logs go."""

    cluster: str
    service: str
    container: str
    log_group: str | None
    stream_prefix: str | None


def task_of(build: Build, key: str) -> Task:
    """Return the cluster, service and container of service `key`, as the compiler emitted them."""
    assert build.ir is not None
    service = locate.owned(build, key, "AWS::ECS::Service")
    task = locate.owned(build, key, "AWS::ECS::TaskDefinition")
    if not service or not task:
        raise locate.NotFound(f"{key} has no ECS service in the build")
    props = service[0].properties
    cluster = props.get("Cluster")
    if isinstance(cluster, Ref) and cluster.target in build.ir.resources:
        cluster = build.ir.resources[cluster.target].properties.get("ClusterName")
    name = locate.literal(props.get("ServiceName"))
    if not isinstance(cluster, str) or name is None:
        raise locate.NotFound(f"{key}: the cluster or service name is not known before deploy")
    container = task[0].properties["ContainerDefinitions"][0]
    options = (container.get("LogConfiguration") or {}).get("Options") or {}
    group = None
    for r in locate.owned(build, key, "AWS::Logs::LogGroup"):
        group = locate.literal(r.properties.get("LogGroupName"))
    return Task(cluster, name, str(container["Name"]), group,
                locate.literal(options.get("awslogs-stream-prefix")))


def run_on_service(aws: Aws, task: Task, command: list[str], p: Printer,
                   progress: Progress) -> int:
    """Start a one-off task like the service's with `command`, stream its logs, wait for it to
    stop; return the container's exit code (3 when it never ran)."""
    ecs = aws.client("ecs")
    try:
        with api_errors(f"describe the ECS service {task.service}"):
            found = ecs.describe_services(cluster=task.cluster, services=[task.service])
    except AwsError as exc:  # no cluster yet: said below as for a service that is not there
        if error_code(exc.__cause__) != "ClusterNotFoundException":
            raise
        found = {}
    live = [s for s in found.get("services") or [] if s.get("status") == "ACTIVE"]
    if not live:
        raise AwsError(f"ECS service {task.service} is not running in cluster {task.cluster}: "
                       "is the environment deployed?")
    svc = live[0]
    args: dict[str, Any] = {
        "cluster": task.cluster, "taskDefinition": svc["taskDefinition"], "count": 1,
        "startedBy": "cloudc-exec",
        "overrides": {"containerOverrides": [{"name": task.container,
                                              "command": container_command(command)}]},
    }
    if svc.get("networkConfiguration"):
        args["networkConfiguration"] = svc["networkConfiguration"]
    if svc.get("capacityProviderStrategy"):
        args["capacityProviderStrategy"] = svc["capacityProviderStrategy"]
    else:
        args["launchType"] = svc.get("launchType") or "FARGATE"
    if svc.get("platformVersion"):
        args["platformVersion"] = svc["platformVersion"]
    with api_errors(f"start a task of {task.service} (ECS RunTask)"):
        started = ecs.run_task(**args)
    if not started.get("tasks"):
        reasons = "; ".join(f"{f.get('arn', '')}: {f.get('reason', '')}"
                            for f in started.get("failures") or [])
        raise AwsError(f"ECS did not start the task: {reasons or 'no reason given'}")
    arn = started["tasks"][0]["taskArn"]
    task_id = arn.rsplit("/", 1)[-1]
    p.say(f"started task {task_id} in cluster {task.cluster}")
    stream = f"{task.stream_prefix}/{task.container}/{task_id}" if task.stream_prefix else None
    reader = _StreamReader(aws, task.log_group, stream, p.out)
    try:
        while True:
            with api_errors(f"describe task {task_id}"):
                desc = ecs.describe_tasks(cluster=task.cluster, tasks=[arn])["tasks"][0]
            reader.read()
            if desc.get("lastStatus") == "STOPPED":
                break
            progress.update(f"task {task_id}: {desc.get('lastStatus', 'PROVISIONING')}")
            _sleep()
    except BaseException:
        progress.done()
        p.say(f"stopped waiting; the task keeps running: stop it with `aws ecs stop-task "
              f"--cluster {task.cluster} --task {task_id}`", fg="yellow")
        raise
    progress.done()
    reader.read()
    container: dict[str, Any] = next((c for c in desc.get("containers") or []
                      if c.get("name") == task.container), {})
    code = container.get("exitCode")
    if code is None:
        why = container.get("reason") or desc.get("stoppedReason") or "no reason given"
        p.say(f"task {task_id} stopped before the command ran: {why}", fg="red")
        return 3
    p.say(f"task {task_id}: exit code {code}", fg="green" if code == 0 else "red")
    return int(code)


def container_command(command: list[str]) -> list[str]:
    """Return the container command: one argument with spaces runs in `sh -c`.

    >>> container_command(["php", "artisan", "migrate"]), container_command(["a && b"])
    (['php', 'artisan', 'migrate'], ['sh', '-c', 'a && b'])
    """
    if len(command) == 1 and any(c.isspace() for c in command[0]):
        return ["sh", "-c", command[0]]
    return list(command)


class _StreamReader:
    """Read a task's log stream as it grows (it appears only once the container writes)."""

    def __init__(self, aws: Aws, group: str | None, stream: str | None,
                 out: Callable[[str], None]) -> None:
        self.aws, self.group, self.stream, self.out = aws, group, stream, out
        self.token: str | None = None

    def read(self) -> None:
        if self.group is None or self.stream is None:
            return
        client = self.aws.client("logs")
        while True:
            args: dict[str, Any] = {"logGroupName": self.group, "logStreamName": self.stream,
                                    "startFromHead": True}
            if self.token:
                args["nextToken"] = self.token
            try:
                with api_errors(f"read the log stream {self.stream}"):
                    page = client.get_log_events(**args)
            except AwsError as exc:
                if error_code(exc.__cause__) == "ResourceNotFoundException":
                    return  # not written yet
                raise
            for ev in page.get("events") or []:
                self.out(str(ev.get("message", "")).rstrip("\n"))
            token = page.get("nextForwardToken")
            if not token or token == self.token:
                return
            self.token = token
