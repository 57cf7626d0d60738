"""schedules: EventBridge Scheduler schedules with a role scoped to their one target."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from a2_helpers import build, codes, no_wildcards

BASE = """\
storage:
  reports: {}
queues:
  jobs: {}
  ordered: { fifo: true }
topics:
  alerts: {}
functions:
  report: { code: ./fn, link: [storage.reports] }
"""


def test_cron_schedule_invokes_function(tmp_path: Path) -> None:
    b = build(tmp_path, BASE + """\
schedules:
  nightly:
    cron: "0 3 * * ? *"
    target: functions.report
    timezone: Europe/Paris
    input: { mode: full, bucket: "${storage.reports.name}" }
""")
    assert not b.diagnostics.has_errors, b.diagnostics.sorted()
    res = b.nested["schedules"]["Resources"]
    sched = res["SchedulesNightlySchedule"]["Properties"]
    assert sched["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert sched["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert sched["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert sched["Target"]["RoleArn"] == {"Fn::GetAtt": ["SchedulesNightlyRole", "Arn"]}
    template, variables = sched["Target"]["Input"]["Fn::Sub"]
    assert json.loads(template.replace("${v0}", "x")) == {"bucket": "x", "mode": "full"}
    assert variables == {"v0": {
        "Fn::Sub": "demo-production-reports-${AWS::AccountId}-${AWS::Region}"}}
    role = res["SchedulesNightlyRole"]["Properties"]
    trust = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    [st] = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert st["Action"] == ["lambda:InvokeFunction"]
    assert st["Resource"][0]["Fn::Sub"].endswith(":function:demo-production-report")
    no_wildcards(b)


@pytest.mark.parametrize("target,action", [("queues.jobs", "sqs:SendMessage"),
                                           ("topics.alerts", "sns:Publish")])
def test_rate_schedule_to_queue_or_topic(tmp_path: Path, target: str, action: str) -> None:
    b = build(tmp_path, BASE + f"""\
schedules:
  tick: {{ rate: "1 hour", target: {target}, enabled: false }}
""")
    assert not b.diagnostics.has_errors, b.diagnostics.sorted()
    res = b.nested["schedules"]["Resources"]
    sched = res["SchedulesTickSchedule"]["Properties"]
    assert sched["ScheduleExpression"] == "rate(1 hour)" and sched["State"] == "DISABLED"
    [st] = res["SchedulesTickRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert st["Action"] == [action]


def test_fifo_queue_target_gets_a_message_group(tmp_path: Path) -> None:
    b = build(tmp_path, BASE + """\
schedules:
  once: { at: "2030-01-31T09:00:00", target: queues.ordered }
""")
    sched = b.nested["schedules"]["Resources"]["SchedulesOnceSchedule"]["Properties"]
    assert sched["ScheduleExpression"] == "at(2030-01-31T09:00:00)"
    assert sched["Target"]["SqsParameters"] == {"MessageGroupId": "ordered"}


@pytest.mark.parametrize("line", [
    'cron: "0 3 * * MON *"',           # neither day field is ?
    'rate: "1 hours"',                 # plural for one
    'rate: "5 weeks"',
    'at: "2030-01-31 09:00"',
    'cron: "0 3 * * ? *"\n    timezone: Europe/Pariss',
])
def test_bad_expressions_are_diagnostics(tmp_path: Path, line: str) -> None:
    if "timezone" in line:
        pytest.importorskip("zoneinfo")
        import zoneinfo

        if not zoneinfo.available_timezones():
            pytest.skip("no time zone database on this machine")
    b = build(tmp_path, BASE + f"""\
schedules:
  bad:
    {line}
    target: functions.report
""")
    # checked by cloudc/checks/schedules.py: E3110 expressions, E3111 time zones
    assert codes(b) == ["E3111" if "timezone" in line else "E3110"], b.diagnostics.sorted()


def test_target_that_cannot_be_scheduled(tmp_path: Path) -> None:
    b = build(tmp_path, BASE + """\
schedules:
  bad: { rate: "5 minutes", target: storage.reports }
""")
    assert codes(b) == ["E3002"]


def test_workflow_target_starts_an_execution(tmp_path: Path) -> None:
    (tmp_path / "flow.asl.json").write_text(
        '{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}')
    b = build(tmp_path, """\
workflows:
  orders: { definition: ./flow.asl.json }
schedules:
  hourly: { rate: 1 hour, target: workflows.orders, input: { source: schedule } }
""")
    assert not b.diagnostics.has_errors, b.diagnostics.sorted()
    res = b.nested["schedules"]["Resources"]
    [st] = res["SchedulesHourlyRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert st["Action"] == ["states:StartExecution"]
    assert st["Resource"][0]["Fn::Sub"].endswith(":stateMachine:demo-production-orders")
    target = res["SchedulesHourlySchedule"]["Properties"]["Target"]
    assert target["Input"] == '{"source":"schedule"}'
    no_wildcards(b)


# --- container commands: `target: services.NAME` ------------------------------------------

SERVICES = """\
network: { vpc: { zones: 2, nat: NAT } }
services:
  app: { image: "public.ecr.aws/nginx/nginx:1.27", port: 8000 }
  worker: { image: "public.ecr.aws/nginx/nginx:1.27", load_balancer: false, spot: true }
schedules:
  laravel: { rate: 1 minute, target: services.app, command: php artisan schedule:run }
  report: { cron: "0 3 * * ? *", target: services.worker, command: [php, artisan, report] }
"""


def _container_schedules(tmp_path: Path, nat: str = "single") -> dict[str, Any]:
    from helpers import all_resources
    from helpers import build as build_any

    b = build_any(tmp_path, SERVICES.replace("NAT", nat), files={})
    assert not [d.text() for d in b.diagnostics.errors]
    no_wildcards(b)
    return all_resources(b)


def test_service_target_runs_a_fargate_task_with_the_command(tmp_path: Path) -> None:
    res = _container_schedules(tmp_path)
    target = res["SchedulesLaravelSchedule"]["Properties"]["Target"]
    assert target["Arn"] == {"Fn::Sub": "arn:${AWS::Partition}:ecs:${AWS::Region}:"
                                        "${AWS::AccountId}:cluster/demo-production-cluster"}
    ecs = target["EcsParameters"]
    assert ecs["LaunchType"] == "FARGATE" and ecs["TaskCount"] == 1
    net = ecs["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert net["AssignPublicIp"] == "DISABLED"  # private subnets behind the NAT
    assert net["Subnets"] == [{"Ref": "NetworkPrivateSubnet1"}, {"Ref": "NetworkPrivateSubnet2"}]
    assert net["SecurityGroups"] == [{"Ref": "ServicesAppSecurityGroupGroupId"}]
    assert ecs["TaskDefinitionArn"] == {"Ref": "ServicesAppTaskDefinition"}
    assert json.loads(target["Input"]) == {"containerOverrides": [
        {"name": "app", "command": ["sh", "-c", "php artisan schedule:run"]}]}
    report = res["SchedulesReportSchedule"]["Properties"]["Target"]
    assert "LaunchType" not in report["EcsParameters"]
    assert report["EcsParameters"]["CapacityProviderStrategy"] == [
        {"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]
    assert json.loads(report["Input"])["containerOverrides"][0]["command"] == \
        ["php", "artisan", "report"]


def test_service_target_role_runs_that_task_and_passes_only_its_roles(tmp_path: Path) -> None:
    res = _container_schedules(tmp_path)
    role = res["SchedulesLaravelRole"]["Properties"]
    (policy,) = role["Policies"]
    run, pass_role, tag = policy["PolicyDocument"]["Statement"]
    assert run["Action"] == ["ecs:RunTask"]
    assert run["Resource"] == [{"Fn::Sub": "arn:${AWS::Partition}:ecs:${AWS::Region}:"
                                "${AWS::AccountId}:task-definition/demo-production-app:*"}]
    assert "ecs:cluster" in run["Condition"]["ArnEquals"]
    assert pass_role["Action"] == ["iam:PassRole"]
    assert pass_role["Resource"] == [{"Ref": "ServicesAppExecutionRoleArn"},
                                     {"Ref": "ServicesAppTaskRoleArn"}]
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    assert tag["Action"] == ["ecs:TagResource"]
    assert tag["Condition"] == {"StringEquals": {"ecs:CreateAction": "RunTask"}}


def test_service_target_without_nat_gets_a_public_ip(tmp_path: Path) -> None:
    res = _container_schedules(tmp_path, nat="none")
    net = res["SchedulesLaravelSchedule"]["Properties"]["Target"]["EcsParameters"][
        "NetworkConfiguration"]["AwsvpcConfiguration"]
    assert net["AssignPublicIp"] == "ENABLED"  # else the task cannot pull its image
    assert net["Subnets"] == [{"Ref": "NetworkPublicSubnet1"}, {"Ref": "NetworkPublicSubnet2"}]


def test_command_needs_a_service_and_a_service_takes_no_input(tmp_path: Path) -> None:
    b = build(tmp_path, BASE + """\
network: { vpc: { zones: 2, nat: none } }
services:
  app: { image: "public.ecr.aws/nginx/nginx:1.27" }
schedules:
  a: { rate: 1 hour, target: functions.report, command: [echo, hi] }
  b: { rate: 1 hour, target: services.app, input: { kind: x } }
""")
    errors = [d.text() for d in b.diagnostics.errors]
    assert any("E3202" in e and "schedules.a.command" in e and ":16:57:" in e for e in errors), errors
    assert any("E3202" in e and "schedules.b.input" in e and ":17:" in e for e in errors), errors
