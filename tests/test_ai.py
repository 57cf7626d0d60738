"""ai: Bedrock invoke permissions and model id variables on the consumers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers import build as _build
from helpers import error_lines as _errors


def _fn(build: Any, name: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    res = build.nested["functions"]["Resources"]
    role = res[f"Functions{name}Role"]["Properties"]["Policies"][0]["PolicyDocument"]
    env = res[f"Functions{name}Function"]["Properties"]["Environment"]["Variables"]
    return role["Statement"], env


def test_used_by_grants_exact_model(tmp_path: Path) -> None:
    b = _build(tmp_path, "ai: { a: { models: [anthropic.claude-3-haiku-20240307-v1:0], "
                         "used_by: [functions.chat] } }\nfunctions: { chat: { code: ./fn } }\n")
    assert not _errors(b)
    statements, env = _fn(b, "Chat")
    bedrock = [s for s in statements if s["Action"][0].startswith("bedrock:")]
    assert bedrock == [{"Effect": "Allow", "Action": [
        "bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"], "Resource": [{
            "Fn::Sub": "arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/"
                       "anthropic.claude-3-haiku-20240307-v1:0"}]}]
    assert env["AI_A_MODEL_ID"] == "anthropic.claude-3-haiku-20240307-v1:0"
    assert not [r for r in b.nested if r.startswith("ai")]


def test_inference_profile(tmp_path: Path) -> None:
    b = _build(tmp_path, "ai: { a: { models: [us.anthropic.claude-3-5-haiku-20241022-v1:0], "
                         "used_by: [functions.chat] } }\nfunctions: { chat: { code: ./fn } }\n")
    assert not _errors(b)
    statements, _ = _fn(b, "Chat")
    subs = [s["Resource"][0]["Fn::Sub"] for s in statements]
    assert any(":inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0" in s for s in subs)
    model = [s for s in statements if "Condition" in s]
    assert model and "bedrock:InferenceProfileArn" in model[0]["Condition"]["StringLike"]


def test_profile_geography_mismatch(tmp_path: Path) -> None:
    b = _build(tmp_path, "ai: { a: { models: [eu.anthropic.claude-3-haiku-20240307-v1:0] } }\n")
    assert any("E3005" in e and "geography" in e for e in _errors(b))


def test_used_by_not_compute(tmp_path: Path) -> None:
    b = _build(tmp_path, "storage: { s: {} }\nai: { a: { models: [amazon.nova-lite-v1:0], "
                         "used_by: [storage.s] } }\n")
    assert any("E3002" in e and "not compute" in e for e in _errors(b))


def test_used_by_undeclared(tmp_path: Path) -> None:
    b = _build(tmp_path, "functions: { chat: { code: ./fn } }\nai: { a: { models: "
                         "[amazon.nova-lite-v1:0], used_by: [functions.caht] } }\n")
    errs = _errors(b)
    assert len(errs) == 1 and "E3001" in errs[0] and "chat" in errs[0]


def test_link_to_ai(tmp_path: Path) -> None:
    b = _build(tmp_path, "ai: { a: { models: [amazon.nova-lite-v1:0] } }\n"
                         "functions: { chat: { code: ./fn, link: [ai.a] } }\n")
    assert not _errors(b)
    statements, env = _fn(b, "Chat")
    assert sum(1 for s in statements if "bedrock:InvokeModel" in s["Action"]) == 1
    assert env["AI_A_MODEL_ID"] == "amazon.nova-lite-v1:0"
