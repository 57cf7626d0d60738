"""workflows: Step Functions definitions, substitutions, roles and links."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers import JS, build
from helpers import error_lines as _errors

from cloudc.compile import Build

ASL = {
    "Comment": "env ${environment}",
    "StartAt": "Charge",
    "States": {
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                   "Parameters": {"FunctionName": "${functions.charge.arn}", "Payload.$": "$"},
                   "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": "${var:tries}"}],
                   "End": True},
    },
}


def _build(tmp_path: Path, body: str, asl: Any = None, env: str = "production",
           functions: str = "functions: { charge: { code: ./fn } }\n") -> Build:
    """Build `body` beside one function and a state machine definition (ASL by default)."""
    text = asl if isinstance(asl, str) else json.dumps(asl or ASL)
    return build(tmp_path, "variables: { tries: 4 }\n" + functions + body, env,
                 files={"fn/index.js": JS, "flow.asl.json": text})


def test_definition_substitutions_and_role(tmp_path: Path) -> None:
    b = _build(tmp_path, "workflows: { orders: { definition: ./flow.asl.json, "
                         "link: [functions.charge] } }\n")
    assert not _errors(b)
    res = b.nested["workflows"]["Resources"]
    sm = res["WorkflowsOrdersStateMachine"]["Properties"]
    assert sm["StateMachineType"] == "STANDARD"
    assert sm["Definition"]["Comment"] == "env production"
    charge = sm["Definition"]["States"]["Charge"]
    assert charge["Parameters"]["FunctionName"] == "${FunctionsChargeArn}"
    assert charge["Retry"][0]["MaxAttempts"] == 4
    assert sm["DefinitionSubstitutions"] == {"FunctionsChargeArn": {
        "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:"
                   "function:demo-production-charge"}}
    role = res["WorkflowsOrdersRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "states.amazonaws.com"}
    text = json.dumps(role["Policies"])
    assert "lambda:InvokeFunction" in text and '"*"' not in text
    # the function and its versions and aliases (a task may invoke `...:charge:live`)
    fn = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:" \
         "demo-production-charge"
    [invoke] = [st for st in role["Policies"][0]["PolicyDocument"]["Statement"]
                if st["Action"] == ["lambda:InvokeFunction"]]
    assert invoke["Resource"] == [{"Fn::Sub": fn}, {"Fn::Sub": fn + ":*"}]
    assert "LoggingConfiguration" not in sm


def test_unlinked_function_is_noted(tmp_path: Path) -> None:
    b = _build(tmp_path, "workflows: { orders: { definition: ./flow.asl.json } }\n")
    assert not _errors(b)
    notes = [d.text() for d in b.diagnostics.sorted() if d.severity == "note"]
    assert any("does not link" in n for n in notes)


def test_express_link_grants_sync_start(tmp_path: Path) -> None:
    b = _build(tmp_path, "workflows: { quick: { definition: ./flow.asl.json, type: express, "
                         "link: [functions.charge] } }\n",
               functions="functions: { charge: { code: ./fn }, api: { code: ./fn, "
                         "link: [workflows.quick] } }\n")
    assert not _errors(b)
    role = b.nested["functions"]["Resources"]["FunctionsApiRole"]["Properties"]
    text = json.dumps(role["Policies"])
    assert "states:StartExecution" in text and "states:StartSyncExecution" in text


def test_logging_and_tracing_use_managed_policies(tmp_path: Path) -> None:
    b = _build(tmp_path, "workflows: { orders: { definition: ./flow.asl.json, "
                         "logging: { level: ALL }, tracing: true, link: [functions.charge] } }\n")
    assert not _errors(b)
    res = b.nested["workflows"]["Resources"]
    sm = res["WorkflowsOrdersStateMachine"]["Properties"]
    assert sm["LoggingConfiguration"]["Level"] == "ALL"
    assert sm["TracingConfiguration"] == {"Enabled": True}
    managed = json.dumps(res["WorkflowsOrdersRole"]["Properties"]["ManagedPolicyArns"])
    assert "AWSXrayWriteOnlyAccess" in managed and "CloudWatchLogsFullAccess" in managed
    assert res["WorkflowsOrdersLogs"]["Properties"]["LogGroupName"].startswith(
        "/aws/vendedlogs/states/")
    warnings = [d.text() for d in b.diagnostics.sorted() if d.severity == "warning"]
    assert any("CreateLogDelivery" in w for w in warnings)


def test_bad_definition_files(tmp_path: Path) -> None:
    b = _build(tmp_path, "workflows: { orders: { definition: ./flow.asl.json } }\n", asl="{ nope")
    assert any("not valid JSON" in e for e in _errors(b))
    b = _build(tmp_path, "workflows: { orders: { definition: ./flow.asl.json } }\n",
               asl={"States": {}})
    assert any("StartAt" in e for e in _errors(b))
    b = _build(tmp_path, "workflows: { orders: { definition: ./missing.json } }\n")
    assert any("E1007" in e for e in _errors(b))


def test_secret_in_definition_rejected(tmp_path: Path) -> None:
    asl = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "${secret:key}",
                                            "End": True}}}
    b = _build(tmp_path, "workflows: { orders: { definition: ./flow.asl.json } }\n", asl=asl)
    assert any("secret" in e and "E3005" in e for e in _errors(b))


def test_unknown_reference_in_definition(tmp_path: Path) -> None:
    asl = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "${queues.nope.url}",
                                            "End": True}}}
    b = _build(tmp_path, "workflows: { orders: { definition: ./flow.asl.json } }\n", asl=asl)
    assert _errors(b), "an undeclared reference inside the definition must be an error"
