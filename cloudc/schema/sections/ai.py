"""ai: Bedrock model access for compute (functions, services, servers)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from cloudc.schema.base import Model, RefStr

SECTION = "ai"
ORDER = 110
REFS = ("used_by",)  # fields whose values name other entries (`section.name`)

ModelId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.:-]*\.[a-z0-9.:-]+$")]


class Assistant(Model):
    """Invoke Bedrock models: grants exactly InvokeModel on these models to the consumers."""

    models: list[ModelId] = Field(
        min_length=1,
        description="Bedrock model ids (`anthropic.claude-3-haiku-20240307-v1:0`) or "
                    "cross-region inference profile ids (`us.anthropic...`). The first is "
                    "the default, in AI_<NAME>_MODEL_ID.")
    used_by: list[RefStr] = Field(
        default_factory=list,
        description="Compute that may invoke the models: functions.NAME, services.NAME, "
                    "servers.NAME. `link: [ai.NAME]` on the compute does the same.")
    streaming: bool = Field(True, description="Also allow InvokeModelWithResponseStream.")


Entry = Assistant
