"""workflows: Step Functions state machines."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cloudc.schema.base import Bool, FileField, Link, Model, PosInt, Tagged

SECTION = "workflows"
ORDER = 150
PATHS = (FileField(("definition",), "file", "workflow definition"),)  # files and folders it names
REFS = ("link",)  # fields whose values name other entries (`section.name`)


class Logging(Model):
    """Execution logs in CloudWatch Logs."""

    level: Literal["ALL", "ERROR", "FATAL"] = Field(
        "ERROR", description="Execution events logged: ALL, ERROR or FATAL.")
    include_data: Bool = Field(False, description="Log inputs and outputs (may hold PII).")
    retention_days: PosInt | None = Field(
        None, description="Log retention (default: `monitoring.log_retention_days`).")


class Workflow(Tagged):
    """A state machine whose definition is an ASL file, interpolated like the config."""

    definition: str = Field(description="An ASL JSON file, e.g. ./workflows/orders.asl.json.",
                            examples=["./workflows/orders.asl.json"])
    type: Literal["standard", "express"] = Field(
        "standard",
        description="standard (long-running, exactly-once) or express (high-rate, short).")
    link: list[Link] = Field(
        default_factory=list, description="Resources the state machine uses: IAM grants.")
    logging: Logging | Bool = Field(False, description="Off by default: see docs.")
    tracing: Bool = Field(False, description="AWS X-Ray tracing.")


Entry = Workflow
