"""graphql: AppSync GraphQL APIs: a schema file, resolvers to functions or DynamoDB tables."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator

from cloudc.schema.base import Bool, FileField, Model, RefStr, Tagged

SECTION = "graphql"
ORDER = 75
REFS = ("data_source", "user_pool")  # fields whose values name other entries
PATHS = (FileField(("schema",), "file", "GraphQL schema"),
         FileField(("resolvers", "*", "code"), "file", "resolver code"))


class Resolver(Model):
    """Resolve one field (`Type.field`) with a function or a DynamoDB table."""

    data_source: RefStr = Field(description="functions.NAME (a direct Lambda resolver) or "
                                             "databases.NAME (a DynamoDB table).")
    code: str | None = Field(None, description="An APPSYNC_JS resolver file (./get.js); "
                                               "required for a table, optional for a function.")


class GraphQLApi(Tagged):
    """An AppSync GraphQL API, authorized by an API key or a Cognito user pool."""

    schema_file: str = Field(alias="schema", description="The SDL schema file (./schema.graphql).",
                             examples=["./schema.graphql"])
    auth: Literal["api_key", "user_pool"] = Field(
        "api_key", description="`api_key`, or `user_pool`: tokens of `user_pool`.")
    user_pool: RefStr | None = Field(None, description="With `auth: user_pool`: auth.NAME.")
    api_key_expires: dt.date | None = Field(
        None, description="With `auth: api_key`: the day the key expires (AppSync takes 1 to "
                          "365 days after the deploy that creates or updates it).")
    resolvers: dict[str, Resolver] = Field(
        default_factory=dict, description="`Type.field: { data_source: functions.NAME }`.")
    log_level: Literal["NONE", "ERROR", "ALL"] = Field(
        "ERROR", description="Field-level logging to CloudWatch Logs.")
    xray: Bool = Field(False, description="Trace requests with X-Ray.")

    @field_validator("resolvers")
    @classmethod
    def _field_names(cls, value: dict[str, Resolver]) -> dict[str, Resolver]:
        for key in value:
            type_name, _, field = key.partition(".")
            if not type_name or not field or "." in field:
                raise ValueError(f"`{key}` is not `Type.field` (e.g. Query.getOrder)")
        return value


Entry = GraphQLApi
