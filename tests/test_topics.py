"""topics: SNS topics, queue/function/endpoint subscribers, and their placement."""

from __future__ import annotations

from pathlib import Path

from a2_helpers import build, codes, no_wildcards, resources

APP = """\
queues:
  jobs: { visibility_timeout: 60 }
  audit: {}
topics:
  orders:
    subscribers:
      - queues.jobs
      - functions.notify
      - { email: ops@example.com }
      - { to: queues.audit, raw: true, filter: { kind: [audit] } }
  alerts: { subscribers: [queues.jobs] }
functions:
  notify: { code: ./fn }
  sender: { code: ./fn, link: [{ to: topics.orders, access: write }] }
"""


def test_topic_and_subscriptions(tmp_path: Path) -> None:
    b = build(tmp_path, APP)
    assert not b.diagnostics.has_errors, b.diagnostics.sorted()
    topics = b.nested["topics"]["Resources"]
    assert topics["TopicsOrdersTopic"]["Properties"]["KmsMasterKeyId"] == "alias/aws/sns"
    sub = topics["TopicsOrdersQueueAuditSubscription"]["Properties"]
    assert sub["Protocol"] == "sqs" and sub["RawMessageDelivery"] is True
    assert sub["FilterPolicy"] == {"kind": ["audit"]}
    assert topics["TopicsOrdersSubscriber3"]["Properties"]["Protocol"] == "email"
    no_wildcards(b)


def test_one_queue_policy_per_queue_names_every_topic(tmp_path: Path) -> None:
    b = build(tmp_path, APP)
    topics = b.nested["topics"]["Resources"]
    policies = [k for k, v in topics.items() if v["Type"] == "AWS::SQS::QueuePolicy"]
    assert policies == ["QueuesJobsTopicsPolicy", "QueuesAuditTopicsPolicy"]
    st = topics["QueuesJobsTopicsPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert st["Principal"] == {"Service": "sns.amazonaws.com"}
    assert st["Action"] == "sqs:SendMessage"
    assert st["Condition"]["ArnEquals"]["aws:SourceArn"] == [
        {"Ref": "TopicsOrdersTopic"}, {"Ref": "TopicsAlertsTopic"}]


def test_function_subscription_lives_with_the_function(tmp_path: Path) -> None:
    b = build(tmp_path, APP)
    fns = b.nested["functions"]["Resources"]
    assert fns["FunctionsNotifyTopicOrdersSubscription"]["Properties"]["Protocol"] == "lambda"
    perm = fns["FunctionsNotifyTopicOrdersPermission"]["Properties"]
    assert perm["Principal"] == "sns.amazonaws.com"
    assert "Fn::Sub" in perm["SourceArn"]
    # topics never wait on functions: no stack cycle when functions publish and subscribe
    assert "StackFunctions" not in b.root["Resources"]["StackTopics"].get("DependsOn", [])


def test_link_write_grants_publish_only(tmp_path: Path) -> None:
    b = build(tmp_path, APP)
    role = b.nested["functions"]["Resources"]["FunctionsSenderRole"]["Properties"]
    actions = [a for st in role["Policies"][0]["PolicyDocument"]["Statement"] for a in st["Action"]]
    assert "sns:Publish" in actions and "sns:GetTopicAttributes" not in actions
    env = b.nested["functions"]["Resources"]["FunctionsSenderFunction"]["Properties"]
    assert set(env["Environment"]["Variables"]) == {"TOPICS_ORDERS_ARN", "TOPICS_ORDERS_NAME"}


def test_function_event_on_a_topic_uses_its_arn(tmp_path: Path) -> None:
    b = build(tmp_path, """\
topics:
  alerts: {}
functions:
  worker: { code: ./fn, events: [{ topic: alerts }] }
""")
    assert not b.diagnostics.has_errors
    sub = resources(b)["FunctionsWorkerEvent1Subscription"]["Properties"]
    assert sub["TopicArn"]["Fn::Sub"].endswith(":demo-production-alerts")


def test_fifo_topic(tmp_path: Path) -> None:
    b = build(tmp_path, """\
queues:
  jobs: { fifo: true }
topics:
  orders: { fifo: true, subscribers: [queues.jobs] }
""")
    assert not b.diagnostics.has_errors
    topic = b.nested["topics"]["Resources"]["TopicsOrdersTopic"]["Properties"]
    assert topic["TopicName"] == "demo-production-orders.fifo" and topic["FifoTopic"] is True


def test_bad_subscribers_are_diagnostics(tmp_path: Path) -> None:
    b = build(tmp_path, """\
queues:
  jobs: {}
  ordered: { fifo: true }
topics:
  orders:
    fifo: true
    subscribers: [queues.jobs, functions.notify, { email: a@example.com }]
  plain:
    subscribers: [queues.ordered, queues.jobs, queues.jobs, { email: a@example.com, raw: true }]
functions:
  notify: { code: ./fn }
""")
    assert codes(b) == ["E3005"] * 6, b.diagnostics.sorted()


def test_unknown_subscriber_section(tmp_path: Path) -> None:
    b = build(tmp_path, """\
storage:
  files: {}
topics:
  orders: { subscribers: [storage.files] }
""")
    assert codes(b) == ["E3002"]


def test_sms_needs_e164(tmp_path: Path) -> None:
    b = build(tmp_path, """\
topics:
  alerts: { subscribers: [{ sms: "+15555550100" }, { sms: "555-0100" }] }
""")
    assert codes(b) == ["E2005"]


def test_chat_webhook_subscriber_gets_a_forwarding_function(tmp_path: Path) -> None:
    b = build(tmp_path, """\
topics:
  deploys:
    subscribers:
      - { webhook: "https://hooks.slack.com/services/T0/B0/x" }
""")
    assert not b.diagnostics.has_errors, b.diagnostics.sorted()
    res = b.nested["topics"]["Resources"]
    sub = res["TopicsDeploysSubscriber1Subscription"]["Properties"]
    assert sub["Protocol"] == "lambda"
    assert sub["Endpoint"] == {"Fn::GetAtt": ["TopicsDeploysSubscriber1Function", "Arn"]}
    fn = res["TopicsDeploysSubscriber1Function"]["Properties"]
    assert fn["Environment"]["Variables"]["WEBHOOK_URL"] == \
        "https://hooks.slack.com/services/T0/B0/x"
    assert fn["FunctionName"] == "demo-production-deploys-webhook-1"
    no_wildcards(b)


def test_chat_webhook_as_https_subscriber_is_an_error(tmp_path: Path) -> None:
    b = build(tmp_path, """\
topics:
  deploys:
    subscribers:
      - { https: "https://hooks.slack.com/services/T0/B0/x" }
      - { https: "https://api.example.com/sns" }
""")
    assert codes(b) == ["E3171"]
    (e,) = b.diagnostics.errors
    assert e.text().split(":")[1] == "6"  # the Slack entry (after two header lines)
