"""Lower `graphql` to AppSync: the API, its schema, data sources, resolvers, key and logs.

Each data source gets its own service role that AppSync alone assumes, for this API alone
(`aws:SourceArn`), and that may do only what the data source needs on that one target:
invoke that function, or read and write that table (and its indexes). Field logs go to a log
group cloudc creates with the monitoring retention, through a role that may write only there.
https://docs.aws.amazon.com/appsync/latest/devguide/security-iam.html
https://docs.aws.amazon.com/appsync/latest/devguide/monitoring.html
"""

from __future__ import annotations

import calendar
from typing import Any

from cloudc.capabilities import Default, Metric, Widget
from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Pseudo, Ref, Sub, pascal, statement
from cloudc.schema.sections.graphql import GraphQLApi, Resolver
from cloudc.source import Path

SECTION = "graphql"
TABLE_ACTIONS = ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem",
                 "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:GetItem",
                 "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem"]


def _api_dims(c: Component, ctx: Context) -> list[tuple[str, Any]] | None:
    return [("GraphQLAPIId", GetAtt(c.primary, "ApiId"))]


# What `monitoring` can watch on an API.
METRICS = {
    "errors_5xx": Metric("AWS/AppSync", "5XXError", _api_dims),
    "errors_4xx": Metric("AWS/AppSync", "4XXError", _api_dims),
    "latency": Metric("AWS/AppSync", "Latency", _api_dims, stat="Average"),
}
ALARMS = (Default("Errors5xxAlarm", "errors_5xx", "Sum", ">=", 5,
                  "the API answered 5 or more server errors in 5 minutes"),)
DASHBOARD = Widget("AppSync", ("errors_5xx", "errors_4xx", "latency"))


def declare(name: str, spec: GraphQLApi, ctx: Context) -> Component:
    """Declare an API: its id, ARN and URL; a link passes the URL."""
    path: Path = (SECTION, name)
    comp = Component(SECTION, name, "graphql api", path, ctx.origin(path))
    lid = ctx.logical(comp, "Api")
    comp.physical, comp.primary = ctx.physical(name, 128), lid
    url = GetAtt(lid, "GraphQLUrl")
    comp.attrs = {"id": GetAtt(lid, "ApiId"), "arn": GetAtt(lid, "Arn"), "url": url}
    if spec.auth == "api_key":
        comp.attrs["api_key"] = GetAtt(ctx.logical(comp, "ApiKey"), "ApiKey")
    comp.link_env = {"URL": url}
    comp.metrics, comp.alarms, comp.dashboard = dict(METRICS), ALARMS, DASHBOARD
    return comp


def lower(comp: Component, spec: GraphQLApi, ctx: Context) -> None:
    """Emit the API with its schema, key, log group, data sources and resolvers."""
    path = comp.path
    props: dict[str, Any] = {"Name": comp.physical}
    _auth(comp, spec, props, ctx)  # an error here stops the build after lowering: go on
    if spec.log_level == "NONE":
        ctx.warn("W1001", "field logging turned off for this API", path + ("log_level",))
    else:
        props["LogConfig"] = {"CloudWatchLogsRoleArn": GetAtt(_logs(comp, ctx), "Arn"),
                              "FieldLogLevel": spec.log_level, "ExcludeVerboseContent": True}
    if spec.xray:
        props["XrayEnabled"] = True
    ctx.add(comp, "Api", "AWS::AppSync::GraphQLApi", props)
    definition = ctx.read_file(spec.schema_file, path + ("schema",), "GraphQL schema")
    if definition is None:
        return
    schema = ctx.add(comp, "Schema", "AWS::AppSync::GraphQLSchema",
                     {"ApiId": comp.attrs["id"], "Definition": definition},
                     path=path + ("schema",))
    if spec.auth == "api_key" and spec.api_key_expires is not None:
        expires = calendar.timegm(spec.api_key_expires.timetuple())
        ctx.add(comp, "ApiKey", "AWS::AppSync::ApiKey", {
            "ApiId": comp.attrs["id"], "Expires": expires,
            "Description": f"{comp.physical} (expires {spec.api_key_expires.isoformat()})"},
            path=path + ("api_key_expires",))
    for key, resolver in spec.resolvers.items():
        _resolver(comp, key, resolver, schema.logical_id, ctx)


def _auth(comp: Component, spec: GraphQLApi, props: dict[str, Any], ctx: Context) -> bool:
    """Set the API's authorization; report what is missing (and return False)."""
    path = comp.path
    if spec.auth == "api_key":
        if spec.api_key_expires is None:
            where = path + ("auth",)
            ctx.diags.add("E3005", "`auth: api_key` needs `api_key_expires`: AppSync keys "
                          "expire after 7 days unless given a day", origin=ctx.origin(where),
                          path=where, hint="add `api_key_expires: 2026-12-31` (at most 365 "
                                           "days ahead), or use `auth: user_pool`")
            return False
        props["AuthenticationType"] = "API_KEY"
        return True
    where = path + ("user_pool",)
    pool = ctx.component(spec.user_pool) if spec.user_pool else None
    if pool is None or pool.user_pool is None:
        at = where if spec.user_pool else path + ("auth",)
        ctx.diags.add("E3002", "`auth: user_pool` needs `user_pool: auth.NAME`",
                      origin=ctx.origin(at), path=at, hint="name a user pool declared in `auth`")
        return False
    props["AuthenticationType"] = "AMAZON_COGNITO_USER_POOLS"
    props["UserPoolConfig"] = {"UserPoolId": pool.attrs["pool_id"],
                               "AwsRegion": Pseudo("AWS::Region"), "DefaultAction": "ALLOW"}
    return True


def _trust(comp: Component, *, this_api: bool) -> dict[str, Any]:
    """Return a trust policy for AppSync acting in this account (and for this API alone)."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": Pseudo("AWS::AccountId")}}
    if this_api:  # not for the logs role: the API needs that role before its ARN exists
        condition["ArnEquals"] = {"aws:SourceArn": comp.attrs["arn"]}
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "appsync.amazonaws.com"},
        "Action": "sts:AssumeRole", "Condition": condition}]}


def _logs(comp: Component, ctx: Context) -> str:
    """Add the log group and the role AppSync writes field logs with; return the role's ID."""
    mon = getattr(ctx.config, "monitoring", None)
    retention = int(mon.log_retention_days) if mon is not None else 30
    name = Sub("/aws/appsync/apis/${id}", (("id", comp.attrs["id"]),))
    ctx.add(comp, "Logs", "AWS::Logs::LogGroup", {"LogGroupName": name,
                                                  "RetentionInDays": retention})
    role = ctx.add(comp, "LogsRole", "AWS::IAM::Role",
                   {"AssumeRolePolicyDocument": _trust(comp, this_api=False)})
    # A separate policy: it names the log group, which is named after the API, which needs
    # the role first.
    log_arn = Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
                  "/aws/appsync/apis/${id}:*", (("id", comp.attrs["id"]),))
    ctx.add(comp, "LogsPolicy", "AWS::IAM::RolePolicy", {
        "RoleName": Ref(role.logical_id), "PolicyName": "logs",
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            statement(["logs:CreateLogStream", "logs:PutLogEvents"], [log_arn])]}})
    return role.logical_id


def _resolver(comp: Component, key: str, resolver: Resolver, schema: str, ctx: Context) -> None:
    """Add the resolver of one field, and its data source the first time one is used."""
    where = comp.path + ("resolvers", key)
    type_name, field = key.split(".")
    source = _data_source(comp, resolver.data_source, where + ("data_source",), ctx)
    if source is None:
        return
    ds_name, is_table = source
    props: dict[str, Any] = {"ApiId": comp.attrs["id"], "TypeName": type_name,
                             "FieldName": field, "DataSourceName": ds_name, "Kind": "UNIT"}
    if resolver.code is not None:
        code = ctx.read_file(resolver.code, where + ("code",), "resolver code")
        if code is None:
            return
        props["Runtime"] = {"Name": "APPSYNC_JS", "RuntimeVersion": "1.0.0"}
        props["Code"] = code
    elif is_table:
        ctx.diags.add("E3005", f"a DynamoDB resolver needs `code` (`{key}`)",
                      origin=ctx.origin(where), path=where,
                      hint="add `code: ./resolvers/get.js` (an APPSYNC_JS resolver)")
        return
    res = ctx.add(comp, f"Resolver{pascal(type_name)}{pascal(field)}", "AWS::AppSync::Resolver",
                  props, path=where)
    res.depends_on.append(schema)  # the field must exist in the schema first


def _data_source(comp: Component, ref: str, where: Path, ctx: Context) -> tuple[Any, bool] | None:
    """Return (data source name, is a table), adding the data source and its role once."""
    target = ctx.component(ref)
    table = target is not None and target.section == "databases" and target.kind == "table"
    if target is None or (target.invoke is None and not table):
        ctx.diags.add("E3002", f"`{ref}` cannot be a GraphQL data source",
                      origin=ctx.origin(where), path=where,
                      hint="data sources are functions.NAME and DynamoDB databases.NAME")
        return None
    stem = f"Source{pascal(target.section)}{pascal(target.name)}"
    lid = ctx.logical(comp, stem)
    if lid in ctx.ir.resources:
        return GetAtt(lid, "Name"), table
    if table:
        arn = target.attrs["arn"]
        grant = statement(TABLE_ACTIONS, [arn, _below(arn, "/index/*")])
        config: dict[str, Any] = {"Type": "AMAZON_DYNAMODB", "DynamoDBConfig": {
            "TableName": target.attrs["name"], "AwsRegion": Pseudo("AWS::Region")}}
    else:
        arn = target.attrs["arn"]
        grant = statement(["lambda:InvokeFunction"],
                          [arn, _below(arn, ":*")])
        assert target.invoke is not None  # the release alias when the function has one
        config = {"Type": "AWS_LAMBDA", "LambdaConfig": {"LambdaFunctionArn": target.invoke.arn}}
    role = ctx.add(comp, f"{stem}Role", "AWS::IAM::Role", {
        "AssumeRolePolicyDocument": _trust(comp, this_api=True),
        "Policies": [{"PolicyName": "data-source", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [grant]}}]}, path=where)
    ctx.add(comp, stem, "AWS::AppSync::DataSource", {
        # Unique per API in AWS; the API's name in it keeps it unique per app as well.
        "ApiId": comp.attrs["id"],
        "Name": f"{pascal(comp.name)}{pascal(target.section)}{pascal(target.name)}",
        "ServiceRoleArn": GetAtt(role.logical_id, "Arn"), **config}, path=where)
    return GetAtt(lid, "Name"), table


def _below(arn: Any, suffix: str) -> Sub:
    """Return `arn` + `suffix` (a table's indexes, a function's versions) as one Sub."""
    if isinstance(arn, GetAtt) and arn.derived is not None:
        arn = arn.derived
    if isinstance(arn, Sub):
        return Sub(arn.template + suffix, arn.vars)
    return Sub("${arn}" + suffix, (("arn", arn),))
