"""schedules: EventBridge Scheduler schedules with a role scoped to their one target."""

from __future__ import annotations

import json
from pathlib import Path

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
