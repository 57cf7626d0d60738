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

    level: Literal["ALL", "ERROR", "FATAL"] = "ERROR"
    include_data: Bool = Field(False, description="Log inputs and outputs (may hold PII).")
    retention_days: PosInt | None = None


class Workflow(Tagged):
    """A state machine whose definition is an ASL file, interpolated like the config."""

    definition: str = Field(description="An ASL JSON file, e.g. ./workflows/orders.asl.json.")
    type: Literal["standard", "express"] = "standard"
    link: list[Link] = Field(default_factory=list)
    logging: Logging | Bool = Field(False, description="Off by default: see docs.")
    tracing: Bool = False


Entry = Workflow
