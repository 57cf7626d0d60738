"""The chat-webhook forwarder: its code, run against a local HTTP server, posts what chats read."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from cloudc.lower._webhook import CODE, is_chat_webhook


@pytest.fixture()
def server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    got: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append({"path": self.path, "type": self.headers["Content-Type"],
                        "body": json.loads(body)})
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    # a short poll: shutdown() waits for serve_forever's next poll (0.5 s by default)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/hook", got
    httpd.shutdown()


def _run(url: str, message: str, monkeypatch: pytest.MonkeyPatch, subject: str = "") -> None:
    monkeypatch.setenv("WEBHOOK_URL", url)
    scope: dict[str, Any] = {}
    exec(compile(CODE, "index.py", "exec"), scope)  # noqa: S102 - the function's own code
    scope["handler"]({"Records": [{"Sns": {"Subject": subject, "Message": message}}]}, None)


def test_an_alarm_becomes_one_line_of_text(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    url, got = server
    alarm = {"AlarmName": "demo-production-functions-api-errors", "NewStateValue": "ALARM",
             "NewStateReason": "Threshold Crossed: 1 datapoint [3.0] >= 1.0"}
    _run(url, json.dumps(alarm), monkeypatch)
    assert got == [{"path": "/hook", "type": "application/json", "body": {
        "text": "ALARM: demo-production-functions-api-errors - Threshold Crossed: 1 datapoint "
                "[3.0] >= 1.0"}}]


def test_a_plain_message_keeps_its_subject(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    url, got = server
    _run(url, "order 42 shipped", monkeypatch, subject="orders")
    assert got[0]["body"] == {"text": "orders\norder 42 shipped"}


def test_chat_hosts() -> None:
    for url in ("https://hooks.slack.com/services/T0/B0/x",
                "https://acme.webhook.office.com/webhookb2/x",
                "https://prod-01.westus.logic.azure.com:443/workflows/x",
                "https://hooks.chime.aws/incomingwebhooks/x",
                "https://discord.com/api/webhooks/1/x",
                "https://chat.googleapis.com/v1/spaces/x/messages"):
        assert is_chat_webhook(url), url
    for url in ("https://api.acme.com/sns", "https://hooks.example.com/alarms",
                "https://slack.com.evil.example/x"):
        assert not is_chat_webhook(url), url


@pytest.mark.parametrize("url,body", [
    ("https://hooks.chime.aws/incomingwebhooks/x", {"Content": "hi"}),
    ("https://discord.com/api/webhooks/1/x", {"content": "hi"}),
    ("https://hooks.slack.com/services/T0/B0/x", {"text": "hi"}),
])
def test_each_chat_gets_its_own_body(url: str, body: dict[str, Any],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", url)
    scope: dict[str, Any] = {}
    exec(compile(CODE, "index.py", "exec"), scope)  # noqa: S102 - the function's own code
    assert scope["body"]("hi") == body


def test_teams_workflows_get_an_adaptive_card(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "https://prod-01.westus.logic.azure.com/workflows/x")
    scope: dict[str, Any] = {}
    exec(compile(CODE, "index.py", "exec"), scope)  # noqa: S102 - the function's own code
    card = scope["body"]("hi")["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["body"][0]["text"] == "hi"
