"""resources: raw CloudFormation resources, in their own nested stack, with `${...}` references."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from cloudc.schema.base import Model

SECTION = "resources"
ORDER = 900
LOGICAL_ID_PATTERN = r"^[A-Za-z0-9]{1,255}$"
LogicalId = Annotated[str, StringConstraints(pattern=LOGICAL_ID_PATTERN)]
KEY = LogicalId  # entries are keyed by their logical ID, as CloudFormation writes them
Policy = Literal["Delete", "Retain", "RetainExceptOnCreate", "Snapshot"]


class RawResource(Model):
    """One CloudFormation resource, as the template would hold it."""

    Type: str = Field(pattern=r"^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$",
                      description="The resource type, e.g. AWS::SNS::TopicPolicy.")
    Properties: dict[str, Any] = Field(default_factory=dict,
                                       description="Its properties; `${...}` references work.")
    DependsOn: LogicalId | list[LogicalId] | None = Field(
        None, description="Logical IDs (raw or generated) created before it.")
    DeletionPolicy: Policy | None = Field(
        None, description="What CloudFormation does with it when it leaves the template.")
    UpdateReplacePolicy: Literal["Delete", "Retain", "Snapshot"] | None = Field(
        None, description="What CloudFormation does with the old one when it is replaced.")
    Metadata: dict[str, Any] | None = Field(None, description="Template metadata, as written.")


Entry = RawResource
