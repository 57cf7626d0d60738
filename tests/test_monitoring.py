"""monitoring: notify topic, default alarms per kind, user alarms, dashboard."""

from __future__ import annotations

import json
from pathlib import Path

from a2_helpers import build, codes, no_wildcards, texts

APP = """\
queues:
  jobs: { visibility_timeout: 60, dead_letter: { max_receives: 3 } }
databases:
  sessions: { engine: dynamodb, keys: { pk: string } }
functions:
  worker: { code: ./fn, events: [{ queue: jobs }] }
"""


def _mon(b):  # type: ignore[no-untyped-def]
    return b.nested["monitoring"]["Resources"]


def test_default_alarms_owned_by_what_they_watch(tmp_path: Path) -> None:
    b = build(tmp_path, APP + """\
monitoring:
  notify: [{ email: ops@example.com }]
""")
    assert not b.diagnostics.has_errors, b.diagnostics.sorted()
    mon = _mon(b)
    alarms = sorted(k for k, v in mon.items() if v["Type"] == "AWS::CloudWatch::Alarm")
    assert alarms == ["DatabasesSessionsThrottlesAlarm", "FunctionsWorkerErrorsAlarm",
                      "FunctionsWorkerThrottlesAlarm", "QueuesJobsAgeAlarm", "QueuesJobsDlqAlarm"]
    assert mon["FunctionsWorkerErrorsAlarm"]["Metadata"]["cloudc:owner"] == "functions.worker"
    dlq = mon["QueuesJobsDlqAlarm"]["Properties"]
    assert dlq["Dimensions"] == [{"Name": "QueueName", "Value": "demo-production-jobs-dlq"}]
    assert dlq["ComparisonOperator"] == "GreaterThanThreshold" and dlq["Threshold"] == 0
    assert dlq["AlarmActions"] == [{"Ref": "MonitoringTopic"}]
    throttles = mon["DatabasesSessionsThrottlesAlarm"]["Properties"]["Metrics"]
    assert [m.get("MetricStat", {}).get("Metric", {}).get("MetricName") for m in throttles] == [
        "ReadThrottleEvents", "WriteThrottleEvents", None]
    no_wildcards(b)


def test_notify_topic_uses_a_key_cloudwatch_may_use(tmp_path: Path) -> None:
    b = build(tmp_path, APP + """\
monitoring:
  notify: [{ email: ops@example.com }, { https: "https://example.com/hook" }, { webhook: "https://hooks.example.com/x" }]
""")
    mon = _mon(b)
    assert mon["MonitoringTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "MonitoringKey"}
    policy = mon["MonitoringKey"]["Properties"]["KeyPolicy"]["Statement"]
    assert policy[1]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    # A key policy names its own key as "*" (AWS's documented form); no action is `kms:*`.
    assert all(st["Resource"] == "*" and "kms:*" not in st["Action"] for st in policy)
    protocols = [mon[f"MonitoringNotify{i}"]["Properties"]["Protocol"] for i in (1, 2)]
    assert protocols == ["email", "https"]
    # A chat webhook is not an SNS https subscriber: a forwarding function posts to it.
    assert "MonitoringNotify3" not in mon
    assert mon["MonitoringNotify3Subscription"]["Properties"]["Protocol"] == "lambda"


def test_chat_webhook_gets_a_forwarding_function(tmp_path: Path) -> None:
    b = build(tmp_path, APP + """\
secrets:
  slack: { generate: { length: 32 } }
monitoring:
  notify: [{ webhook: "${secret:slack}" }]
""")
    assert not b.diagnostics.has_errors, b.diagnostics.sorted()
    mon = _mon(b)
    fn = mon["MonitoringNotify1Function"]["Properties"]
    assert fn["Runtime"].startswith("python3") and "urlopen" in fn["Code"]["ZipFile"]
    assert "resolve:secretsmanager" in json.dumps(fn["Environment"]["Variables"]["WEBHOOK_URL"])
    sub = mon["MonitoringNotify1Subscription"]["Properties"]
    assert sub["Endpoint"] == {"Fn::GetAtt": ["MonitoringNotify1Function", "Arn"]}
    assert sub["TopicArn"] == {"Ref": "MonitoringTopic"}
    perm = mon["MonitoringNotify1Permission"]["Properties"]
    assert perm["Principal"] == "sns.amazonaws.com"
    assert perm["SourceArn"] == {"Ref": "MonitoringTopic"}
    no_wildcards(b)


def test_chat_webhook_as_https_is_an_error_at_its_line(tmp_path: Path) -> None:
    b = build(tmp_path, APP + """\
monitoring:
  notify:
    - { email: ops@example.com }
    - { https: "https://hooks.slack.com/services/T0/B0/x" }
""")
    errors = [d for d in b.diagnostics.errors if d.code == "E3171"]
    assert len(errors) == 1 and "webhook:" in (errors[0].hint or "")
    # two header lines, the app, then `monitoring:`, `notify:`, the email entry: line 4
    assert errors[0].text().split(":")[1] == str(2 + APP.count("\n") + 4)


def test_defaults_can_be_turned_off(tmp_path: Path) -> None:
    b = build(tmp_path, APP + "monitoring: { defaults: false }\n")
    assert "monitoring" not in b.nested
    b = build(tmp_path, APP + "monitoring: { defaults: { functions: false } }\n")
    names = set(_mon(b))
    assert "FunctionsWorkerErrorsAlarm" not in names and "QueuesJobsAgeAlarm" in names


def test_user_alarm(tmp_path: Path) -> None:
    b = build(tmp_path, APP + """\
monitoring:
  defaults: false
  alarms:
    slow: { metric: functions.worker.duration, threshold: 2500, statistic: p99, period: 60, evaluation_periods: 3 }
    backlog: { metric: queues.jobs.messages_visible, threshold: 100, comparison: ">" }
""")
    assert not b.diagnostics.has_errors, b.diagnostics.sorted()
    slow = _mon(b)["MonitoringAlarmSlow"]["Properties"]
    assert slow["ExtendedStatistic"] == "p99" and "Statistic" not in slow
    assert slow["Threshold"] == 2500 and slow["Period"] == 60 and slow["EvaluationPeriods"] == 3
    assert slow["MetricName"] == "Duration" and slow["Namespace"] == "AWS/Lambda"
    assert "AlarmActions" not in slow  # nobody to notify
    backlog = _mon(b)["MonitoringAlarmBacklog"]["Properties"]
    assert backlog["ComparisonOperator"] == "GreaterThanThreshold"


def test_unknown_metric_suggests_the_right_one(tmp_path: Path) -> None:
    b = build(tmp_path, APP + """\
monitoring:
  alarms:
    a: { metric: functions.worker.erors, threshold: 1 }
    b: { metric: functions.nope.errors, threshold: 1 }
    c: { metric: functions.worker, threshold: 1 }
  defaults: { functionz: false }
""")
    assert sorted(codes(b)) == ["E2005", "E2005", "E3001", "E3004"], texts(b)
    assert "did you mean `errors`?" in texts(b)
    assert "did you mean `functions`?" in texts(b)


def test_dashboard_is_deterministic_json(tmp_path: Path) -> None:
    body = APP + "monitoring: { dashboard: true, defaults: false }\n"
    one = _mon(build(tmp_path, body))["MonitoringDashboard"]["Properties"]
    two = _mon(build(tmp_path, body))["MonitoringDashboard"]["Properties"]
    assert one == two
    text = one["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(text.replace("${AWS::Region}", "us-east-1"))["widgets"]
    titles = [w["properties"]["title"] for w in widgets]
    assert titles == ["SQS: queues.jobs", "Lambda: functions.worker", "DynamoDB: databases.sessions"]
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))


def test_log_retention_feeds_log_groups(tmp_path: Path) -> None:
    b = build(tmp_path, APP + "monitoring: { log_retention_days: 14, defaults: false }\n")
    logs = b.nested["functions"]["Resources"]["FunctionsWorkerLogs"]["Properties"]
    assert logs["RetentionInDays"] == 14


def test_rds_and_service_alarms(tmp_path: Path) -> None:
    b = build(tmp_path, """\
network:
  vpc: { cidr: 10.0.0.0/16, zones: 2, nat: none }
databases:
  main: { engine: postgres, instance: db.t4g.micro, storage_gb: 20 }
services:
  api: { image: public.ecr.aws/nginx/nginx:latest, port: 80, health_check: / }
monitoring:
  alarms:
    api-errors: { metric: services.api.http_5xx, threshold: 10 }
  dashboard: true
""")
    assert not b.diagnostics.has_errors, texts(b)
    mon = _mon(b)
    cpu = mon["DatabasesMainCpuAlarm"]["Properties"]
    assert cpu["Dimensions"][0]["Name"] == "DBInstanceIdentifier"
    assert cpu["EvaluationPeriods"] == 3
    assert "DatabasesMainStorageAlarm" in mon
    errors = mon["MonitoringAlarmApiErrors"]["Properties"]
    assert errors["MetricName"] == "HTTPCode_Target_5XX_Count"
    assert errors["Dimensions"][0]["Name"] == "LoadBalancer"
    body, variables = mon["MonitoringDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    assert len(variables) == len(set(map(str, variables.values())))
