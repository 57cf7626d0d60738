"""ECS native blue/green deployments for a service behind its Application Load Balancer.

With `deployment: blue_green` the service keeps the ECS deployment controller and its
`BLUE_GREEN` strategy: a new task definition starts a full green revision registered in an
alternate target group, then ECS moves the production listener rule's weights from the blue
target group to the green one at once, keeps both revisions for the bake time and rolls back by
moving the weights back. ECS changes the listener rule through an infrastructure role with
AmazonECSInfrastructureRolePolicyForLoadBalancers. This is the ECS-native form (2025), not the
CodeDeploy controller (`AWS::CodeDeploy::BlueGreen` transform), which cannot be combined with
nested stacks:
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-blue-green.html
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html
"""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, Sub

# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AmazonECSInfrastructureRolePolicyForLoadBalancers.html
LB_POLICY = ("arn:${AWS::Partition}:iam::aws:policy/"
             "AmazonECSInfrastructureRolePolicyForLoadBalancers")


def blue_green(comp: Component, ctx: Context, lb: dict[str, Any], bake_minutes: int
               ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Add the alternate target group, the production listener rule and ECS's role.

    Returns the service's DeploymentConfiguration and the AdvancedConfiguration of its load
    balancer entry (its Ref to the rule makes the service wait until the alternate target
    group is attached to the load balancer).
    """
    path = comp.path + ("deployment",)
    blue = ctx.ir.resources[lb["target_group"]]
    green = ctx.add(comp, "AlternateTargetGroup", "AWS::ElasticLoadBalancingV2::TargetGroup",
                    dict(blue.properties), path=path)
    # Every request matches the rule, so the listener's default action is never used; ECS
    # moves the weights (blue 100 / green 0) between the two target groups.
    rule = ctx.add(comp, "ProductionRule", "AWS::ElasticLoadBalancingV2::ListenerRule", {
        "ListenerArn": Ref(lb["listener"]),
        "Priority": 1,
        "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}],
        "Actions": [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": Ref(blue.logical_id), "Weight": 100},
            {"TargetGroupArn": Ref(green.logical_id), "Weight": 0}]}}],
    }, path=path)
    role = ctx.add(comp, "InfrastructureRole", "AWS::IAM::Role", {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"},
            "Action": "sts:AssumeRole"}]},
        "ManagedPolicyArns": [Sub(LB_POLICY)],
    }, path=path)
    deployment = {"Strategy": "BLUE_GREEN", "BakeTimeInMinutes": bake_minutes}
    advanced = {"AlternateTargetGroupArn": Ref(green.logical_id),
                "ProductionListenerRule": Ref(rule.logical_id),
                "RoleArn": GetAtt(role.logical_id, "Arn")}
    return deployment, advanced
