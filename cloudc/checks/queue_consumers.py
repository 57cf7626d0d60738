"""Two functions consuming one queue.

SQS hands each message to one consumer: two functions with `events: - queue: jobs` split the
messages between them at random, so each sees about half. Fan-out to several consumers is a
topic with one queue per consumer.
https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
"""

from __future__ import annotations

from collections.abc import Iterator

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code
from cloudc.source import Path

NEEDS = "config"
CODES = (
    Code("W3122", "two functions consume one queue",
         "each message goes to one of them at random; fan out with a topic and a queue each"),
)


def check(cx: CheckContext) -> Iterator[Finding]:
    """Warn at the second function that consumes a queue another function consumes."""
    first: dict[str, tuple[str, Path]] = {}
    for name, fn in cx.section("functions").items():
        for i, event in enumerate(getattr(fn, "events", None) or []):
            queue = getattr(event, "queue", None)
            if queue is None:
                continue
            ref = queue if isinstance(queue, str) else queue.name
            key = ref.removeprefix("queues.")
            path: Path = ("functions", name, "events", i, "queue")
            if not isinstance(queue, str):
                path += ("name",)
            have = first.setdefault(key, (name, path))
            if have[0] != name:
                yield Finding("W3122", f"`functions.{have[0]}` already consumes `queues.{key}`: "
                              "each message goes to one of the two at random", path,
                              "to give every message to both, publish to a topic with a queue "
                              "for each function; else drop this event")
