"""A chat webhook given as a raw SNS `https` subscriber cannot work.

SNS first posts a subscription confirmation that must be fetched (a Slack, Teams, Chime,
Discord or Google Chat webhook never does, so the subscription stays pending) and then posts
its own JSON envelope, which the chat service rejects or shows raw. `webhook:` gives such a URL
a working path (a small forwarding function, lower/_webhook.py). See
https://docs.aws.amazon.com/sns/latest/dg/SendMessageToHttp.prepare.html
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code
from cloudc.lower._webhook import is_chat_webhook
from cloudc.source import Path

NEEDS = "config"
CODES = (Code("E3171", "a chat webhook subscribed as a raw HTTPS endpoint"),)


def _https_entries(data: dict[str, Any]) -> Iterator[tuple[str, Path]]:
    """Yield (url, path) of every `https:` subscriber in `monitoring.notify` and `topics`."""
    monitoring = data.get("monitoring")
    if isinstance(monitoring, dict):
        for i, entry in enumerate(monitoring.get("notify") or []):
            if isinstance(entry, dict) and isinstance(entry.get("https"), str):
                yield entry["https"], ("monitoring", "notify", i, "https")
    topics = data.get("topics")
    if isinstance(topics, dict):
        for name, spec in topics.items():
            if not isinstance(spec, dict):
                continue
            for i, entry in enumerate(spec.get("subscribers") or []):
                if isinstance(entry, dict) and isinstance(entry.get("https"), str):
                    yield entry["https"], ("topics", name, "subscribers", i, "https")


def check(cx: CheckContext) -> Iterator[Finding]:
    """Report each `https:` subscriber whose URL is a chat service's incoming webhook."""
    for url, path in _https_entries(cx.data):
        if is_chat_webhook(url):
            yield Finding(
                "E3171", "a chat webhook cannot be an SNS `https` subscriber: it never "
                "confirms the subscription and cannot read SNS's JSON envelope", path,
                "write `webhook:` instead of `https:` (a small function posts each message "
                "to the chat in its own format)")
