"""servers: Auto Scaling groups behind an ALB, single instances, user data and checks."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

from helpers import build

HEAD = "project: { name: Srv, region: us-east-1 }\n"


_build = partial(build, head=HEAD, files={}, dry=False)


def _res(build: Any) -> dict[str, Any]:
    return build.nested["servers"]["Resources"]


def _errors(build: Any) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in build.diagnostics.errors]


def _no_star(value: Any) -> None:
    text = json.dumps(value)
    assert '"*"' not in text and '"Resource": "*"' not in text


ASG = """network: { vpc: { nat: single } }
storage: { uploads: {} }
servers:
  app:
    scaling: { min: 2, max: 5, cpu_target: 50 }
    recipes: [node, nginx, pm2]
    start: node server.js
    health_check: /health
    link: [storage.uploads]
    environment: { NODE_ENV: production }
"""


def test_asg_behind_alb_in_private_subnets(tmp_path: Path) -> None:
    build = _build(tmp_path, ASG)
    assert not _errors(build)
    res = _res(build)
    group = res["ServersAppGroup"]
    assert group["Properties"]["VPCZoneIdentifier"] == [
        {"Ref": "NetworkPrivateSubnet1"}, {"Ref": "NetworkPrivateSubnet2"}]
    assert group["Properties"]["TargetGroupARNs"] == [{"Ref": "ServersAppTargetGroup"}]
    assert group["Properties"]["HealthCheckType"] == "ELB"
    assert group["UpdatePolicy"]["AutoScalingRollingUpdate"]["MaxBatchSize"] == 1
    policy = res["ServersAppCpuScaling"]["Properties"]["TargetTrackingConfiguration"]
    assert policy["TargetValue"] == 50.0
    tg = res["ServersAppTargetGroup"]["Properties"]
    assert tg["Port"] == 80 and tg["HealthCheckPath"] == "/health"
    alb = res["ServersAppAlb"]["Properties"]
    attrs = {a["Key"]: a["Value"] for a in alb["LoadBalancerAttributes"]}
    assert attrs["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attrs["deletion_protection.enabled"] == "true"
    sg = res["ServersAppSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert sg == [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                   "SourceSecurityGroupId": {"Fn::GetAtt": ["ServersAppAlbSecurityGroup",
                                                            "GroupId"]},
                   "Description": "from the load balancer"}]


def test_launch_template_is_locked_down(tmp_path: Path) -> None:
    res = _res(_build(tmp_path, ASG))
    data = res["ServersAppLaunchTemplate"]["Properties"]["LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    ebs = data["BlockDeviceMappings"][0]["Ebs"]
    assert ebs["Encrypted"] is True and ebs["VolumeType"] == "gp3"
    assert data["NetworkInterfaces"][0]["AssociatePublicIpAddress"] is False
    assert data["ImageId"].startswith("resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/")
    assert "/amd64/" in data["ImageId"]


def test_role_uses_session_manager_and_link_statements(tmp_path: Path) -> None:
    res = _res(_build(tmp_path, ASG))
    role = res["ServersAppRole"]["Properties"]
    assert role["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"}]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    actions = {a for st in statements for a in st["Action"]}
    assert "s3:GetObject" in actions and "s3:PutObject" in actions
    for st in statements:
        _no_star(st)


def test_environment_and_links_go_into_the_env_file(tmp_path: Path) -> None:
    res = _res(_build(tmp_path, ASG))
    ud = res["ServersAppLaunchTemplate"]["Properties"]["LaunchTemplateData"]["UserData"]
    text = json.dumps(ud)
    assert "NODE_ENV='production'" in text
    # The bucket's name carries the account and region: filled in by CloudFormation.
    assert "STORAGE_UPLOADS_NAME='\", {\"Fn::Sub\": \"srv-production-uploads-${AWS::AccountId}-" \
        "${AWS::Region}\"}, \"'" in text
    assert "# --- recipe pm2 ---" in text


def test_no_nat_puts_instances_in_public_subnets_with_a_note(tmp_path: Path) -> None:
    build = _build(tmp_path, "servers:\n  app:\n    scaling: { min: 1, max: 2 }\n", "staging")
    assert not _errors(build)
    res = _res(build)
    assert res["ServersAppGroup"]["Properties"]["VPCZoneIdentifier"][0] == {
        "Ref": "NetworkPublicSubnet1"}
    ni = res["ServersAppLaunchTemplate"]["Properties"]["LaunchTemplateData"]["NetworkInterfaces"]
    assert ni[0]["AssociatePublicIpAddress"] is True
    assert any("public subnets" in d.message for d in build.diagnostics.sorted()
               if d.code == "I1001")
    alb = res["ServersAppAlb"]["Properties"]
    assert {"Key": "deletion_protection.enabled", "Value": "false"} in \
        alb["LoadBalancerAttributes"]


def test_single_public_instance_with_eip_and_record(tmp_path: Path) -> None:
    build = _build(tmp_path, """dns: { zone: acme.com }
servers:
  box:
    public: true
    domain: box.acme.com
    image: amazon-linux-2023
    instance: t4g.micro
    recipes: [caddy]
""")
    assert not _errors(build)
    res = _res(build)
    assert "ServersBoxAlb" not in res and "ServersBoxGroup" not in res
    assert res["ServersBoxEip"]["Properties"]["InstanceId"] == {"Ref": "ServersBoxInstance"}
    assert res["ServersBoxDnsRecord"]["Properties"]["ResourceRecords"] == [
        {"Ref": "ServersBoxEip"}]
    ports = [r["FromPort"] for r in res["ServersBoxSecurityGroup"]["Properties"][
        "SecurityGroupIngress"]]
    assert ports == [80, 443]
    data = res["ServersBoxLaunchTemplate"]["Properties"]["LaunchTemplateData"]
    assert data["ImageId"].endswith("al2023-ami-kernel-default-arm64")
    assert data["BlockDeviceMappings"][0]["DeviceName"] == "/dev/xvda"


def test_public_without_tls_warns(tmp_path: Path) -> None:
    build = _build(tmp_path, "servers:\n  box: { public: true, recipes: [nginx] }\n")
    assert "W1001" in [d.code for d in build.diagnostics.sorted()]


def test_single_instance_with_domain_gets_an_alb(tmp_path: Path) -> None:
    build = _build(tmp_path, "servers:\n  one: { domain: one.example.org, recipes: [caddy] }\n")
    assert not _errors(build)
    res = _res(build)
    assert res["ServersOneTargetGroup"]["Properties"]["Targets"] == [
        {"Id": {"Ref": "ServersOneInstance"}, "Port": 80}]
    assert res["ServersOneHttpListener"]["Properties"]["DefaultActions"][0]["Type"] == "redirect"
    assert res["ServersOneHttpsListener"]["Properties"]["SslPolicy"] == \
        "ELBSecurityPolicy-TLS13-1-2-2021-06"


def test_worker_without_load_balancer_has_no_ingress(tmp_path: Path) -> None:
    res = _res(_build(tmp_path, "servers:\n  w: { recipes: [node, systemd], start: node w.js }\n"))
    assert "SecurityGroupIngress" not in res["ServersWSecurityGroup"]["Properties"]
    assert "ServersWAlb" not in res
    [policy] = res["ServersWRole"]["Properties"]["Policies"]  # only its own log group
    assert [st["Action"] for st in policy["PolicyDocument"]["Statement"]] == [
        ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]]


def test_bad_combinations_are_diagnostics(tmp_path: Path) -> None:
    build = _build(tmp_path, """servers:
  a: { recipes: [pm2] }
  b: { recipes: [composer, nginx, caddy] }
  c: { recipes: [systemd] }
  d: { public: true, scaling: { min: 1, max: 2 } }
  e: { recipes: [nginx, lets-encrypt] }
""")
    messages = [m for code, m in _errors(build) if code == "E3005"]
    assert any("nginx and caddy" in m for m in messages)
    assert any("needs `start`" in m for m in messages)
    assert any("`public` is for a single instance" in m for m in messages)
    assert any("lets-encrypt recipe needs a `domain`" in m for m in messages)


def test_scaling_min_above_max_is_an_error(tmp_path: Path) -> None:
    build = _build(tmp_path, "servers:\n  a: { scaling: { min: 3, max: 2 } }\n")
    assert [c for c, _ in _errors(build)] == ["E2005"]


def test_servers_are_not_allowed_in_serverless_mode(tmp_path: Path) -> None:
    build = _build(tmp_path, "mode: serverless\nservers:\n  a: {}\n")
    assert "E3003" in [c for c, _ in _errors(build)]


def test_secrets_are_read_at_boot_not_written_into_user_data(tmp_path: Path) -> None:
    build = _build(tmp_path, """network: { vpc: { nat: single } }
databases:
  main: { engine: postgres, version: "16.9" }
servers:
  app: { link: [databases.main] }
""")
    assert not _errors(build)
    res = _res(build)
    ud = json.dumps(res["ServersAppLaunchTemplate"]["Properties"]["LaunchTemplateData"])
    assert "cloudc_secret DATABASES_MAIN_PASSWORD" in ud
    assert "{{resolve:" not in ud
    assert "DatabasesMainIngressFromServersApp" in res


def test_user_data_is_plain_base64_string_without_expressions(tmp_path: Path) -> None:
    res = _res(_build(tmp_path, "servers:\n  a: { recipes: [redis] }\n"))
    ud = res["ServersALaunchTemplate"]["Properties"]["LaunchTemplateData"]["UserData"]
    assert isinstance(ud["Fn::Base64"], str)


def test_secret_references_in_environment_are_read_at_boot(tmp_path: Path) -> None:
    build = _build(tmp_path, """secrets:
  app_key: { generate: { length: 32 } }
servers:
  app:
    environment: { APP_KEY: "${secret:app_key}", MIXED: "k=${secret:app_key}" }
""")
    errors = _errors(build)
    assert [c for c, _ in errors] == ["E3005"] and "whole value" in errors[0][1]
    build = _build(tmp_path, """secrets:
  app_key: { generate: { length: 32 } }
servers:
  app:
    environment: { APP_KEY: "${secret:app_key}" }
""")
    assert not _errors(build)
    res = _res(build)
    ud = json.dumps(res["ServersAppLaunchTemplate"]["Properties"]["LaunchTemplateData"])
    assert "cloudc_secret APP_KEY" in ud and "{{resolve:" not in ud
    statements = res["ServersAppRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert any("secretsmanager:GetSecretValue" in st["Action"] for st in statements)


def test_monitoring_gets_ec2_metrics_and_a_status_check_alarm(tmp_path: Path) -> None:
    build = _build(tmp_path, """monitoring:
  alarms: { cpu-high: { metric: servers.app.cpu, threshold: 85, statistic: Average } }
servers:
  app: { scaling: { min: 1, max: 2 } }
  box: { public: true, recipes: [caddy], domain: x.example }
""")
    assert not _errors(build)
    res = build.nested["monitoring"]["Resources"]
    assert res["ServersBoxStatusCheckAlarm"]["Properties"]["MetricName"] == "StatusCheckFailed"
    assert res["MonitoringAlarmCpuHigh"]["Properties"]["Dimensions"] == [
        {"Name": "AutoScalingGroupName", "Value": {"Ref": "ServersAppGroup"}}]


def _user_data(build: Any, name: str = "App") -> str:
    """Return the user data script with CloudFormation expressions shown as @EXPR@."""
    ud = _res(build)[f"Servers{name}LaunchTemplate"]["Properties"]["LaunchTemplateData"][
        "UserData"]["Fn::Base64"]
    if isinstance(ud, str):
        return ud
    return "".join(p if isinstance(p, str) else "@EXPR@" for p in ud["Fn::Join"][1])


def _found(build: Any, code: str) -> list[Any]:
    return [d for d in build.diagnostics.sorted() if d.code == code]


def test_recipes_bring_what_they_need(tmp_path: Path) -> None:
    """The SPEC example `[bun, caddy, pm2]`: Node is installed before pm2's `npm install`."""
    build = _build(tmp_path, "servers:\n  app: { recipes: [bun, caddy, pm2], start: bun x.ts }\n")
    assert not _errors(build)
    script = _user_data(build)
    assert "recipes node (for pm2), bun, caddy, pm2" in script
    node = script.index("# --- recipe node ---")
    assert script.count("# --- recipe node ---") == 1
    assert node < script.index("# --- recipe pm2 ---") < script.index("npm install -g")
    assert script.index("cloudc_install nodejs") < script.index("npm install -g")
    build = _build(tmp_path, "servers:\n  app: { recipes: [composer] }\n")
    script = _user_data(build)
    assert script.index("# --- recipe php ---") < script.index("# --- recipe composer ---")


def test_start_without_pm2_or_systemd_runs_as_a_systemd_service(tmp_path: Path) -> None:
    """SPEC 1.6: `start` is a systemd service; before, it was silently never run."""
    build = _build(tmp_path, "servers:\n  w: { recipes: [node], start: node w.js }\n")
    assert not _errors(build)
    script = _user_data(build, "W")
    assert "recipes node, systemd" in script and "# --- recipe systemd ---" in script


def test_lets_encrypt_brings_nginx_and_conflicts_with_caddy(tmp_path: Path) -> None:
    body = "servers:\n  box: { public: true, domain: b.example.org, recipes: [lets-encrypt] }\n"
    build = _build(tmp_path, body)
    assert not _errors(build)
    script = _user_data(build, "Box")
    assert "recipes nginx (for lets-encrypt), lets-encrypt" in script
    build = _build(tmp_path, body.replace("[lets-encrypt]", "[caddy, lets-encrypt]"))
    assert [m for c, m in _errors(build) if c == "E3005" and "caddy gets its own" in m]


def test_graviton_a1_gets_an_arm64_image(tmp_path: Path) -> None:
    build = _build(tmp_path, "servers:\n  a: { instance: a1.large, recipes: [node] }\n")
    data = _res(build)["ServersALaunchTemplate"]["Properties"]["LaunchTemplateData"]
    assert "/arm64/" in data["ImageId"]


def test_fixed_size_group_gets_no_scaling_policy(tmp_path: Path) -> None:
    body = """servers:
  app:
    recipes: [node, nginx, pm2]
    start: node server.js
    scaling: { min: 2, max: 2, cpu_target: 50 }
"""
    build = _build(tmp_path, body)
    assert not _errors(build)
    res = _res(build)
    assert "ServersAppCpuScaling" not in res and "ServersAppGroup" in res
    [w] = _found(build, "W3182")
    cfg = tmp_path / "cloud.yaml"
    assert w.text().startswith(f"{cfg}:6:14: warning[W3182]: `servers.app.scaling`: scaling.min equals scaling.max")
    assert w.hint and "raise scaling.max" in w.hint
    # A fixed size without a target is what the user asked for: no policy and no warning.
    build = _build(tmp_path, body.replace(", cpu_target: 50", ""))
    assert "ServersAppCpuScaling" not in _res(build) and not _found(build, "W3182")
    build = _build(tmp_path, body.replace("max: 2", "max: 3"))
    assert "ServersAppCpuScaling" in _res(build) and not _found(build, "W3182")


def test_preset_development_size_does_not_warn(tmp_path: Path) -> None:
    """node-server's development group is 1..2: a release starts the new instance before it
    stops the old one (no W3214), and its cpu_target makes a policy (no W3182)."""
    build = _build(tmp_path, "extends: [node-server]\n", "development",
                   files={"app/server.js": "require('http').createServer().listen(3000)\n"})
    assert not _errors(build)
    assert "ServersAppCpuScaling" in _res(build)
    assert not _found(build, "W3182") and not _found(build, "W3214")
    rolling = _res(build)["ServersAppGroup"]["UpdatePolicy"]["AutoScalingRollingUpdate"]
    assert rolling["MinInstancesInService"] == 1


def test_fargate_service_with_fixed_count_and_target_warns(tmp_path: Path) -> None:
    body = """services:
  api:
    image: nginx:1.27
    port: 80
    scaling: { min: 2, max: 2, cpu_target: 60 }
"""
    build = _build(tmp_path, body)
    assert not _errors(build)
    assert "ServicesApiScalableTarget" not in build.nested["services"]["Resources"]
    [w] = _found(build, "W3182")
    assert (w.origin.line, w.origin.col) == (6, 14) and "`cpu_target` has no effect" in w.message
    build = _build(tmp_path, body.replace("max: 2", "max: 3"))
    assert "ServicesApiScalableTarget" in build.nested["services"]["Resources"]
    assert not _found(build, "W3182")


def test_nothing_listening_on_the_target_port_warns_at_the_entry(tmp_path: Path) -> None:
    """ELB health checks on an empty port replace the group's instances in a loop."""
    cfg = tmp_path / "cloud.yaml"
    build = _build(tmp_path, """servers:
  app:
    scaling: { min: 1, max: 2 }
    recipes: [bun, caddy, pm2]
""")
    [w] = _found(build, "W3180")
    assert w.text().startswith(f"{cfg}:3:3: warning[W3180]: `servers.app`: caddy on port 80 proxies to "
                               "app_port 3000, where nothing is started")
    assert w.hint and "set `start`" in w.hint
    build = _build(tmp_path, """servers:
  app:
    scaling: { min: 1, max: 2 }
    recipes: [node]
""")
    [w] = _found(build, "W3180")
    assert (w.origin.line, w.origin.col) == (3, 3)
    assert "nothing listens on port 3000" in w.message
    for ok in ("recipes: [node, nginx, pm2]\n    start: node s.js",
               "recipes: [php, nginx]", "recipes: [node]\n    start: node s.js",
               "recipes: [node]\n    user_data: node s.js &",
               "recipes: [node]\n    image: ami-0123456789abcdef0"):
        build = _build(tmp_path, f"servers:\n  app:\n    scaling: {{ min: 1, max: 2 }}\n"
                                 f"    {ok}\n")
        assert not _found(build, "W3180"), ok
    # One instance behind a load balancer is not replaced by health checks: no warning.
    build = _build(tmp_path, "servers:\n  app: { domain: a.example.org, recipes: [node] }\n")
    assert not _found(build, "W3180")


def test_start_needs_a_recipe_for_its_program(tmp_path: Path) -> None:
    cfg = tmp_path / "cloud.yaml"
    build = _build(tmp_path, """servers:
  app:
    recipes: [node, pm2]
    start: bun run server.ts
""")
    [w] = _found(build, "W3181")
    assert w.text().startswith(f"{cfg}:5:12: warning[W3181]: `servers.app.start`: `start` runs `bun`")
    assert w.hint == "add `bun` to recipes"
    build = _build(tmp_path, "servers:\n  app: { recipes: [php], start: php artisan x }\n")
    assert not _found(build, "W3181")
    build = _build(tmp_path, "servers:\n  app: { recipes: [pm2], start: npm start }\n")
    assert not _found(build, "W3181")  # pm2 brings node, which brings npm


# --- the app: code, build, workers, cron, signals (SPEC 1.6) ----------------------------------

APP = """network: { vpc: { nat: single } }
servers:
  app:
    scaling: { min: 2, max: 4 }
    recipes: [node]
    code: ./site
    build: npm ci
    start: node server.js
    health_check: /up
    workers: { mail: { command: node mail.js, count: 3 } }
"""
SITE = {"site/server.js": "require('http').createServer().listen(process.env.PORT)\n"}


def _app_build(tmp_path: Path, body: str = APP, files: dict[str, str] | None = None,
               env: str = "production") -> Any:
    return build(tmp_path, body, env, head=HEAD, files=SITE if files is None else files,
                 dry=False)


def test_code_makes_the_group_wait_for_signals_and_roll_one_at_a_time(tmp_path: Path) -> None:
    b = _app_build(tmp_path)
    assert not _errors(b)
    res = _res(b)
    group = res["ServersAppGroup"]
    assert group["CreationPolicy"] == {"ResourceSignal": {"Count": 2, "Timeout": "PT20M"}}
    rolling = group["UpdatePolicy"]["AutoScalingRollingUpdate"]
    assert rolling["WaitOnResourceSignals"] is True and rolling["MaxBatchSize"] == 1
    assert rolling["MinInstancesInService"] == 2 and rolling["PauseTime"] == "PT20M"
    assert set(rolling["SuspendProcesses"]) == {"HealthCheck", "ReplaceUnhealthy",
                                                "AZRebalance", "AlarmNotification",
                                                "ScheduledActions"}
    assert group["Properties"]["HealthCheckGracePeriod"] == 1200
    script = _user_data(b)
    assert "CLOUDC_SIGNAL_RESOURCE=ServersAppGroup" in script
    assert "CLOUDC_HEALTH_URL=http://127.0.0.1:3000/up" in script
    assert "cloudc_worker mail 3 'node mail.js'" in script


def test_the_role_reads_exactly_its_code_zip_and_signals_its_own_stack(tmp_path: Path) -> None:
    b = _app_build(tmp_path)
    [name] = b.assets.files
    statements = _res(b)["ServersAppRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"]
    s3 = [st for st in statements if st["Action"] == ["s3:GetObject"]]
    assert s3 == [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [{
        "Fn::Sub": "arn:${AWS::Partition}:s3:::cloudc-artifacts-${AWS::AccountId}-"
                   f"${{AWS::Region}}/assets/{name}"}]}]
    cfn = [st for st in statements if st["Action"] == ["cloudformation:SignalResource"]]
    assert cfn == [{"Effect": "Allow", "Action": ["cloudformation:SignalResource"],
                    "Resource": [{"Ref": "AWS::StackId"}]}]
    for st in statements:
        _no_star(st)


def test_a_new_code_hash_changes_the_launch_template_only(tmp_path: Path) -> None:
    """A new hash must reach the launch template (a new version rolls the group); nothing
    else changes, so logical IDs and the group itself stay."""
    one = _res(_app_build(tmp_path / "a"))
    two = _res(_app_build(tmp_path / "b", files={"site/server.js": "// v2\n"}))
    assert one.keys() == two.keys()
    changed = sorted(k for k in one if one[k] != two[k])
    assert changed == ["ServersAppLaunchTemplate", "ServersAppRole"]  # user data, object ARN
    ud = [json.dumps(r["ServersAppLaunchTemplate"]["Properties"]["LaunchTemplateData"][
        "UserData"]) for r in (one, two)]
    assert ud[0] != ud[1]
    assert one["ServersAppGroup"]["Properties"]["LaunchTemplate"]["Version"] == {
        "Fn::GetAtt": ["ServersAppLaunchTemplate", "LatestVersionNumber"]}


def test_a_single_instance_with_code_waits_for_its_signal(tmp_path: Path) -> None:
    b = _app_build(tmp_path, APP.replace("    scaling: { min: 2, max: 4 }\n", ""))
    assert not _errors(b)
    res = _res(b)
    assert res["ServersAppInstance"]["CreationPolicy"] == {
        "ResourceSignal": {"Count": 1, "Timeout": "PT20M"}}
    assert "CLOUDC_SIGNAL_RESOURCE=ServersAppInstance" in _user_data(b)
    # No load balancer, but the app is started: its health is still asked on its port.
    assert "CLOUDC_HEALTH_URL=http://127.0.0.1:3000/up" in _user_data(b)


def test_without_code_nothing_waits_for_signals(tmp_path: Path) -> None:
    res = _res(_build(tmp_path, ASG))
    group = res["ServersAppGroup"]
    assert "CreationPolicy" not in group
    assert group["UpdatePolicy"]["AutoScalingRollingUpdate"]["PauseTime"] == "PT5M"
    assert "WaitOnResourceSignals" not in group["UpdatePolicy"]["AutoScalingRollingUpdate"]


def test_an_empty_group_has_no_creation_policy(tmp_path: Path) -> None:
    b = _app_build(tmp_path, APP.replace("min: 2", "min: 0"))
    group = _res(b)["ServersAppGroup"]
    assert "CreationPolicy" not in group
    assert group["UpdatePolicy"]["AutoScalingRollingUpdate"]["MinInstancesInService"] == 0


def test_port_without_a_web_server_is_the_apps_port(tmp_path: Path) -> None:
    b = _app_build(tmp_path, APP.replace("    health_check: /up\n",
                                         "    health_check: /up\n    port: 8000\n"))
    script = _user_data(b)
    assert "CLOUDC_APP_PORT=8000" in script and "CLOUDC_HEALTH_URL=http://127.0.0.1:8000/up" \
        in script
    assert not _found(b, "W3180")


def test_secrets_in_shell_text_are_e3210_at_the_value(tmp_path: Path) -> None:
    cfg = tmp_path / "cloud.yaml"
    b = _app_build(tmp_path, """secrets: { k: { generate: { length: 32 } } }
servers:
  app:
    code: ./site
    user_data: "echo ${secret:k} > /root/k"
    workers: { w: { command: "node w.js --key=${secret:k}" } }
""")
    found = [d for d in b.diagnostics.sorted() if d.code == "E3210"]
    assert [(d.origin.line, d.origin.col) for d in found] == [(6, 16), (7, 30)]
    assert found[0].text().startswith(f"{cfg}:6:16: error[E3210]:")
    assert "CloudFormation would resolve it into the user data" in found[0].message
    assert found[0].hint and "`environment`" in found[0].hint


def test_start_workers_cron_and_build_without_code_warn(tmp_path: Path) -> None:
    b = _build(tmp_path, """servers:
  app:
    recipes: [node]
    start: npm start
    build: npm ci
    workers: { w: { command: node w.js } }
""")
    found = _found(b, "W3211")
    assert [(d.origin.line, d.hint) for d in found] == [
        (5, "set `code: ./` (the app's folder, fetched by every instance at boot)"),
        (6, "set `code: ./` (the app's folder, fetched by every instance at boot)"),
        (7, "set `code: ./` (the app's folder, fetched by every instance at boot)")]
    assert found[0].message.startswith("`start` runs in `directory` "
                                       "(/srv/app), which stays empty without `code`: the app "
                                       "restarts in a loop"), found[0].message
    # Located at the value of `start` (a flow mapping too).
    b = _build(tmp_path, "servers:\n  app: { recipes: [node, nginx, pm2], start: npm start }\n")
    [w] = _found(b, "W3211")
    assert (w.origin.line, w.origin.col) == (3, 46)
    b = _build(tmp_path, "servers:\n  app: { build: npm ci, user_data: 'git clone x /srv/app' }\n")
    assert not _found(b, "W3211")


def test_start_on_another_port_warns(tmp_path: Path) -> None:
    b = _app_build(tmp_path, APP.replace("start: node server.js",
                                         "start: php artisan octane:start --port=8000"))
    [w] = _found(b, "W3212")
    assert w.origin.line == 9 and "listens on port 8000" in w.message
    assert w.hint and "`port: 8000`" in w.hint
    b = _app_build(tmp_path, APP.replace("start: node server.js",
                                         "start: php artisan octane:start --port=3000"))
    assert not _found(b, "W3212")
    b = _app_build(tmp_path, APP.replace("recipes: [node]", "recipes: [node, nginx]").replace(
        "start: node server.js", "start: node server.js --port 4000"))
    [w] = _found(b, "W3212")
    assert "nginx or caddy proxies to app_port 3000" in w.message and "`app_port: 4000`" in w.hint


def test_cron_on_a_group_and_a_one_instance_group_warn(tmp_path: Path) -> None:
    body = APP + "    cron: { s: { schedule: '*/5 * * * *', command: node s.js } }\n"
    b = _app_build(tmp_path, body)
    [w] = _found(b, "W3213")
    assert w.origin.line == 12 and "up to 4 instances" in w.message
    b = _app_build(tmp_path, body.replace("min: 2, max: 4", "min: 1, max: 1"))
    assert not _found(b, "W3213")
    [w] = _found(b, "W3214")
    assert w.origin.line == 5 and w.hint and "scaling.max to 2" in w.hint


def test_cron_schedule_must_have_five_fields(tmp_path: Path) -> None:
    b = _app_build(tmp_path, APP + "    cron: { s: { schedule: '0 3 * * ? *', command: x } }\n")
    assert "E2005" in [c for c, _ in _errors(b)]
    b = _app_build(tmp_path, APP + "    cron: { s: { schedule: '@hourly', command: x } }\n")
    assert not _errors(b)


def test_user_data_over_16_kb_is_e3215(tmp_path: Path) -> None:
    """EC2 refuses user data over 16 KB: every launch would fail."""
    big = "    user_data: |\n" + "".join(f"      echo {'x' * 70} {i}\n" for i in range(230))
    b = _app_build(tmp_path, APP + big)
    [e] = [d for d in b.diagnostics.sorted() if d.code == "E3215"]
    assert e.origin.line == 4 and "16,384 bytes of user data" in e.message
    b = _app_build(tmp_path, APP)
    assert not [d for d in b.diagnostics.sorted() if d.code == "E3215"]


def test_deploy_uploads_the_code_zip_where_the_instances_fetch_it(tmp_path: Path) -> None:
    """The packager's upload key and bucket are the ones written into the user data and the
    role's policy (one constant for the bucket, shared with the bootstrap stack)."""
    from cloudc.assets import ARTIFACTS_BUCKET
    from cloudc.aws.deploy import BOOTSTRAP_TEMPLATE, package

    b = _app_build(tmp_path)
    [name] = b.assets.files
    pkg = package(b.root, b.nested, b.assets.files, "cloudc-artifacts-1-us-east-1")
    assert pkg.uploads[f"assets/{name}"] == b.assets.files[name]
    bucket = BOOTSTRAP_TEMPLATE["Resources"]["ArtifactsBucket"]["Properties"]["BucketName"]
    assert bucket == {"Fn::Sub": ARTIFACTS_BUCKET}
    ud = json.dumps(_res(b)["ServersAppLaunchTemplate"]["Properties"]["LaunchTemplateData"])
    assert f'CLOUDC_CODE_URL=s3://", {{"Fn::Sub": "{ARTIFACTS_BUCKET}"}}, "/assets/{name}' in ud


def test_each_server_has_a_log_group_its_role_writes_to_and_nothing_else(
        tmp_path: Path) -> None:
    """The CloudWatch agent on the instances sends /var/log/cloudc to the server's own group."""
    res = _res(_build(tmp_path, ASG))
    group = res["ServersAppLogs"]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Metadata"]["cloudc:owner"] == "servers.app"
    assert group["Properties"]["LogGroupName"] == "/cloudc/srv-production/servers/app"
    assert group["Properties"]["RetentionInDays"] == 30  # monitoring's default
    statements = res["ServersAppRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"]
    logs = [st for st in statements if any(a.startswith("logs:") for a in st["Action"])]
    base = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:" \
        "/cloudc/srv-production/servers/app"
    assert logs == [{"Effect": "Allow", "Action": [
        "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
        "Resource": [{"Fn::Sub": base}, {"Fn::Sub": base + ":*"}]}]
    # The boot script names the same group, so the agent writes where the role may.
    script = json.dumps(res["ServersAppLaunchTemplate"]["Properties"]["LaunchTemplateData"][
        "UserData"])
    assert "CLOUDC_LOG_GROUP=/cloudc/srv-production/servers/app\\n" in script
    assert "CLOUDC_LOG_FILES=app\\n" not in script and "# --- logs ---" in script


def test_log_retention_comes_from_the_server_then_monitoring(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    body = ASG.replace("    start: node server.js\n",
                       "    start: node server.js\n    log_retention_days: 7\n")
    assert _res(_build(tmp_path / "a", body))["ServersAppLogs"]["Properties"][
        "RetentionInDays"] == 7
    body = "monitoring: { log_retention_days: 90 }\n" + ASG
    assert _res(_build(tmp_path / "b", body))["ServersAppLogs"]["Properties"][
        "RetentionInDays"] == 90
