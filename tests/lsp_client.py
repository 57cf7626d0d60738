"""A small Language Server Protocol client: JSON-RPC over a server's stdin/stdout.

Enough of LSP to drive a real editor server the way an editor does: `initialize`, settings,
`didOpen`, and then the server's `publishDiagnostics`, `completion` and `hover` answers.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class LspError(RuntimeError):
    """The server answered with an error, died, or did not answer in time."""


class LspClient:
    """One language server process, spoken to over stdio from a reader thread."""

    def __init__(self, command: Sequence[str], cwd: Path) -> None:
        self.proc = subprocess.Popen(list(command), cwd=cwd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._next_id = 0
        self._lock = threading.Condition()
        self._responses: dict[int, dict[str, Any]] = {}
        self.diagnostics: dict[str, list[dict[str, Any]]] = {}
        self._versions: dict[str, int] = {}
        self.stderr: list[str] = []
        self.settings: dict[str, Any] = {}  # what `workspace/configuration` answers, by section
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    # --- wire ---------------------------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while True:
                line = out.readline()
                if not line:
                    with self._lock:
                        self._lock.notify_all()
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            self._dispatch(json.loads(out.read(length)))

    def _drain_stderr(self) -> None:
        err = self.proc.stderr
        assert err is not None
        for line in err:
            self.stderr.append(line.decode("utf-8", "replace"))

    def _dispatch(self, msg: dict[str, Any]) -> None:
        if "id" in msg and "method" in msg:  # a request from the server: answer it plainly
            result: Any = None
            if msg["method"] == "workspace/configuration":
                result = [self.settings.get(item.get("section", ""))
                          for item in msg.get("params", {}).get("items", [])]
            self._send({"id": msg["id"], "result": result})
            return
        with self._lock:
            if "id" in msg:
                self._responses[int(msg["id"])] = msg
            elif msg.get("method") == "textDocument/publishDiagnostics":
                params = msg["params"]
                self.diagnostics[params["uri"]] = params["diagnostics"]
            self._lock.notify_all()

    # --- protocol -----------------------------------------------------------------------
    def request(self, method: str, params: Any, timeout: float = 30.0) -> Any:
        """Send a request and return its result (LspError on an error or a timeout)."""
        with self._lock:
            self._next_id += 1
            rid = self._next_id
        self._send({"id": rid, "method": method, "params": params})
        with self._lock:
            if not self._lock.wait_for(lambda: rid in self._responses
                                       or self.proc.poll() is not None, timeout):
                raise LspError(f"{method}: no answer in {timeout}s")
            msg = self._responses.pop(rid, None)
        if msg is None:
            raise LspError(f"{method}: the server exited: {''.join(self.stderr)[-2000:]}")
        if "error" in msg:
            raise LspError(f"{method}: {msg['error']}")
        return msg.get("result")

    def notify(self, method: str, params: Any) -> None:
        """Send a notification."""
        self._send({"method": method, "params": params})

    def configure(self, settings: dict[str, Any]) -> None:
        """Change the settings, as an editor does: notify, then answer the server's pull."""
        self.settings = settings
        self.notify("workspace/didChangeConfiguration", {"settings": settings})

    def initialize(self, root: Path) -> dict[str, Any]:
        """Do the initialize handshake as an editor with completion snippets would."""
        caps = {"workspace": {"configuration": True,
                              "didChangeConfiguration": {"dynamicRegistration": False}},
                "textDocument": {
            "completion": {"completionItem": {"snippetSupport": True,
                                              "documentationFormat": ["markdown", "plaintext"]}},
            "hover": {"contentFormat": ["markdown", "plaintext"]},
            "publishDiagnostics": {"relatedInformation": False},
        }}
        result: dict[str, Any] = self.request("initialize", {
            "processId": None, "rootUri": root.as_uri(), "capabilities": caps,
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}]})
        self.notify("initialized", {})
        return result

    def open(self, path: Path, text: str, language: str) -> str:
        """Open (or re-open with new text) a document; return its URI."""
        uri = path.resolve().as_uri()
        with self._lock:
            self.diagnostics.pop(uri, None)
        if uri in self._versions:
            self._versions[uri] += 1
            self.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": self._versions[uri]},
                "contentChanges": [{"text": text}]})
        else:
            self._versions[uri] = 1
            self.notify("textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": language, "version": 1, "text": text}})
        return uri

    def wait_diagnostics(self, uri: str, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Wait for the server's diagnostics of a document (published after open or change)."""
        with self._lock:
            if not self._lock.wait_for(lambda: uri in self.diagnostics
                                       or self.proc.poll() is not None, timeout):
                raise LspError(f"no diagnostics for {uri} in {timeout}s")
            if uri not in self.diagnostics:
                raise LspError(f"the server exited: {''.join(self.stderr)[-2000:]}")
            return self.diagnostics[uri]

    def close(self) -> None:
        """Shut the server down politely, then make sure it is gone."""
        try:
            if self.proc.poll() is None:
                self.request("shutdown", None, timeout=10)
                self.notify("exit", None)
                self.proc.wait(timeout=10)
        except (LspError, OSError, subprocess.TimeoutExpired):
            pass
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
