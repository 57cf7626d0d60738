"""Deliver a topic's messages to a chat webhook (Slack, Microsoft Teams, Amazon Chime, ...).

A chat webhook cannot be an SNS `https` subscription: SNS posts its own JSON envelope (which
the chat service rejects or shows raw) and first posts a subscription confirmation that nobody
can click. So a `webhook:` gets a small forwarding function subscribed to the topic, which
turns each message (a CloudWatch alarm's JSON into one line) into the body the chat service
expects and posts it:

    forwarder(owner, "Webhook1", topic_arn, url, ctx, path)

adds `<Owner>Webhook1Role`, `...Logs`, `...Function`, `...Permission` and `...Subscription`.
See https://docs.aws.amazon.com/sns/latest/dg/sns-http-https-endpoint-as-subscriber.html for
what an HTTPS subscriber must do, and docs/sections/monitoring.md.
"""

from __future__ import annotations

import re
from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, Sub, arn, statement
from cloudc.source import Path

RUNTIME = "python3.12"
# Hosts of chat services' incoming webhooks: none of them answers SNS's confirmation.
CHAT_HOSTS = re.compile(
    r"^https://(hooks\.slack\.com|[a-z0-9.-]*webhook\.office\.com|outlook\.office\.com"
    r"|[a-z0-9.-]*\.logic\.azure\.com|[a-z0-9.-]*\.powerplatform\.com|hooks\.chime\.aws"
    r"|(?:[a-z]+\.)?discord(?:app)?\.com|chat\.googleapis\.com)(?::\d+)?(/|$)", re.IGNORECASE)

CODE = '''\
import json
import os
import urllib.request
from urllib.parse import urlparse

URL = os.environ["WEBHOOK_URL"]


def text(record):
    sns = record["Sns"]
    message = sns.get("Message") or ""
    try:
        alarm = json.loads(message)
    except ValueError:
        alarm = None
    if isinstance(alarm, dict) and "AlarmName" in alarm:
        return "{}: {} - {}".format(alarm.get("NewStateValue"), alarm.get("AlarmName"),
                                   alarm.get("NewStateReason"))
    return ((sns.get("Subject") or "") + "\\n" + message).strip()


def body(message):
    host = (urlparse(URL).hostname or "").lower()
    if host.endswith("chime.aws"):
        return {"Content": message}
    if host.endswith(("discord.com", "discordapp.com")):
        return {"content": message[:2000]}
    if host.endswith(("logic.azure.com", "powerplatform.com")):
        card = {"type": "AdaptiveCard", "version": "1.4",
                "body": [{"type": "TextBlock", "text": message, "wrap": True}]}
        return {"type": "message", "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}
    return {"text": message}


def handler(event, context):
    for record in event.get("Records", []):
        data = json.dumps(body(text(record))).encode()
        request = urllib.request.Request(URL, data=data,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=8) as response:
            response.read()
'''


def is_chat_webhook(url: str) -> bool:
    """Say whether `url` is a chat service's incoming webhook.

    >>> is_chat_webhook("https://hooks.slack.com/services/T0/B0/x")
    True
    >>> is_chat_webhook("https://api.example.com/sns")
    False
    """
    return bool(CHAT_HOSTS.match(url.strip()))


def forwarder(owner: Component, suffix: str, topic_arn: Any, url: Any, ctx: Context,
              path: Path, *, name: str, group: str | None = None) -> str:
    """Subscribe a function that posts the topic's messages to `url`; return its logical ID.

    `name` is the physical-name stem of the function (`{slug}-{env}-{name}`).
    """
    physical = ctx.physical(name, 64)
    log_group = f"/aws/lambda/{physical}"
    logs = ctx.add(owner, f"{suffix}Logs", "AWS::Logs::LogGroup",
                   {"LogGroupName": log_group}, path=path, group=group)
    role = ctx.add(owner, f"{suffix}Role", "AWS::IAM::Role", {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": "cloudc", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [statement(
                ["logs:CreateLogStream", "logs:PutLogEvents"],
                [Sub(arn("logs", f"log-group:{log_group}").template + ":*")])]}}],
    }, path=path, group=group)
    fn = ctx.add(owner, f"{suffix}Function", "AWS::Lambda::Function", {
        "FunctionName": physical,
        "Description": "Posts the topic's messages to a chat webhook (cloudc)",
        "Runtime": RUNTIME,
        "Handler": "index.handler",
        "Code": {"ZipFile": CODE},
        "MemorySize": 128,
        "Timeout": 10,
        "Role": GetAtt(role.logical_id, "Arn"),
        "Environment": {"Variables": {"WEBHOOK_URL": url}},
        "LoggingConfig": {"LogGroup": Ref(logs.logical_id)},
    }, path=path, group=group)
    ctx.add(owner, f"{suffix}Permission", "AWS::Lambda::Permission", {
        "Action": "lambda:InvokeFunction", "FunctionName": Ref(fn.logical_id),
        "Principal": "sns.amazonaws.com", "SourceArn": topic_arn,
    }, path=path, group=group)
    ctx.add(owner, f"{suffix}Subscription", "AWS::SNS::Subscription", {
        "Protocol": "lambda", "Endpoint": GetAtt(fn.logical_id, "Arn"), "TopicArn": topic_arn,
    }, path=path, group=group)
    return fn.logical_id
