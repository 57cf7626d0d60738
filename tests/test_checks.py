"""The check stage: every rule in cloudc/checks/ on schema-valid input, at the user's line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import helpers
import pytest
from click.testing import CliRunner

from cloudc.checks.schedules import cron_problem, rate_problem
from cloudc.cli import cli
from cloudc.compile import Build, compile_config

HEAD = "project: { name: Acme, region: us-east-1 }\n"


def build(tmp: Path, body: str, env: str = "development", files: dict[str, str] | None = None
          ) -> Build:
    """Write cloud.yaml (and a code folder, an empty site folder and `files`) and compile it."""
    return helpers.build(tmp, body, env, head=HEAD, dry=False,
                         files={"fn/index.js": "exports.handler = async () => 1;\n", "site/": "",
                                **(files or {})})


def found(b: Build, code: str) -> list[str]:
    """Return `LINE:COL: message (hint)` of each finding with `code`."""
    out = []
    for d in b.diagnostics.sorted():
        if d.code == code:
            assert d.origin is not None
            text = d.text().split(f"[{code}]: ", 1)[1]
            out.append(f"{d.origin.line}:{d.origin.col}: {text}")
    return out


# --- duplicates -------------------------------------------------------------------------------

def test_same_logical_id_is_an_error_not_a_crash(tmp_path: Path) -> None:
    b = build(tmp_path, "queues:\n  a-b: {}\n  a_b: {}\n")
    assert found(b, "E3100") == [
        "4:3: `queues.a_b`: gives the same logical ID `QueuesAB` as `queues.a-b` (rename one "
        "of them: names may not differ only in `-`, `_` or case)"]
    assert b.diagnostics.has_errors


def test_queue_named_like_another_queues_dead_letter_queue(tmp_path: Path) -> None:
    b = build(tmp_path, "queues:\n  jobs: { dead_letter: {} }\n  jobs-dlq: {}\n")
    assert found(b, "E3101") == [
        "4:3: `queues.jobs-dlq`: its Queue (QueuesJobsDlqQueue) gets the same QueueName as the "
        "Queue of `queues.jobs` (QueuesJobsDlq): AWS refuses the second (rename one of them)"]


def test_bucket_named_like_a_sites_bucket(tmp_path: Path) -> None:
    b = build(tmp_path, "sites:\n  web: { source: ./site }\nstorage:\n  site-web: {}\n")
    lines = found(b, "E3101")
    assert lines == [  # at the second declaration, though storage is lowered first
        "5:3: `storage.site-web`: its Bucket (StorageSiteWebBucket) gets the same BucketName as "
        "the Bucket of `sites.web` (SitesWebBucket): AWS refuses the second (rename one of "
        "them)"], b.diagnostics.sorted()


def test_api_and_service_on_one_hostname(tmp_path: Path) -> None:
    b = build(tmp_path, """\
dns: { zone: acme.com }
network: {}
services:
  api: { image: nginx, port: 80, domain: api.acme.com }
functions:
  items: { code: ./fn }
apis:
  public: { routes: { "GET /items": functions.items }, domain: API.acme.com }
""")
    assert found(b, "E3102") == [
        "9:64: `apis.public.domain`: `api.acme.com` is already served by `services.api.domain` "
        "(give each site, API, service and server its own hostname, or send a path of one to "
        "the other with `routes`)"]
    assert not found(b, "E3103")  # the Route53 clash is the same problem: reported once


def test_site_alias_and_redirect_clash(tmp_path: Path) -> None:
    b = build(tmp_path, """\
sites:
  web: { source: ./site, domain: www.acme.com, redirects: { acme.com: www.acme.com } }
  blog: { source: ./site, domain: blog.acme.com, aliases: [acme.com] }
""")
    assert found(b, "E3102") == [
        "4:60: `sites.blog.aliases[0]`: `acme.com` is already served by "
        "`sites.web.redirects.acme.com` (give each site, API, service and server its own "
        "hostname, or send a path of one to the other with `routes`)"]


def test_two_dns_records_for_one_name(tmp_path: Path) -> None:
    # acme.com's MAIL FROM domain is bounce.acme.com: its MX record clashes with the MX
    # record of the domain declared as bounce.acme.com.
    b = build(tmp_path, """\
dns: { zone: acme.com }
email:
  acme.com: {}
  bounce.acme.com: {}
""")
    lines = found(b, "E3103")
    assert lines and all("record for `bounce.acme.com`" in x for x in lines), \
        b.diagnostics.sorted()
    assert lines[0].startswith("5:3: `email.bounce.acme.com`:")


# --- schedules ---------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    "0 12 * * ? *", "0/15 * * * ? *", "0 18 ? * MON-FRI *", "0 0 1 1 ? 2030",
    "0 10 ? * 6L *", "0 10 ? * 3#2 *", "0 10 L * ? *", "0 10 15W * ? *", "5,35 14 * JAN-MAR ? *",
    "0 8 LW * ? *", "0 0 ? * sun *",
])
def test_cron_accepts_what_eventbridge_accepts(body: str) -> None:
    assert cron_problem(body) is None


@pytest.mark.parametrize("body,problem", [
    ("0 12 * * *", "has 5 fields, like crontab; AWS cron takes six, the last is the year"),
    ("60 12 * * ? *", "minutes `60` is out of range 0-59"),
    ("0 24 * * ? *", "hours `24` is out of range 0-23"),
    ("0 12 32 * ? *", "day-of-month `32` is out of range 1-31"),
    ("0 12 * 13 ? *", "month `13` is out of range 1-12"),
    ("0 12 ? * 8 *", "day-of-week `8` is out of range 1-7"),
    ("0 12 ? * MON-FRY *", "day-of-week `FRY` is not a value (1-7 or SUN-SAT)"),
    ("0 12 * * ? 1969", "year `1969` is out of range 1970-2199"),
    ("0 12 * * * *", "sets both day-of-month and day-of-week; exactly one of them must be `?`"),
    ("0 12 ? * ? *", "leaves both day-of-month and day-of-week as `?`; exactly one of them "
                     "must be `?`"),
    ("0/0 12 * * ? *", "minutes `0/0`: the step after `/` must be a positive number"),
    ("? 12 * * ? *", "`?` is only allowed in day-of-month or day-of-week"),
    ("0 12 ? * 3#1,6#3 *", "day-of-week `3#1,6#3` mixes `#` with a list; `#` allows one "
                           "expression only"),
    ("0 12 ? * 3#6 *", "day-of-week `3#6`: the week after `#` is 1-5"),
])
def test_cron_rejects_with_the_reason(body: str, problem: str) -> None:
    got = cron_problem(body)
    assert got is not None and got[0] == problem


@pytest.mark.parametrize("body,problem,hint", [
    ("1 minutes", "one minute is written `1 minute`", "expected `rate(1 minute)`"),
    ("5 minute", "5 minutes take the plural `minutes`", "expected `rate(5 minutes)`"),
    ("2 weeks", "unknown unit `weeks`", None),
    ("0 hours", "the value must be a positive whole number", None),
    ("every hour", "not `N unit`", None),
])
def test_rate_singular_and_plural(body: str, problem: str, hint: str | None) -> None:
    got = rate_problem(body)
    assert got is not None and got[0] == problem
    if hint:
        assert got[1] == hint
    assert rate_problem("1 hour") is None and rate_problem("10 days") is None


def test_schedules_everywhere_at_the_users_line(tmp_path: Path) -> None:
    b = build(tmp_path, """\
storage:
  docs: { versioning: true }
functions:
  tick:
    code: ./fn
    events:
      - schedule: rate(1 hours)
      - schedule: at(2030-01-01T00:00:00)
      - schedule: cron(0 25 * * ? *)
backups:
  often: { schedule: "cron(0/30 * * * ? *)", resources: [storage.docs] }
""")
    assert found(b, "E3110") == [
        "8:19: `functions.tick.events[0].schedule`: rate `1 hours`: one hour is written "
        "`1 hour` (expected `rate(1 hour)`)",
        "9:19: `functions.tick.events[1].schedule`: an EventBridge rule takes `rate(...)` or "
        "`cron(...)`, not `at(2030-01-01T00:00:00)` (for a one-off run, declare it in "
        "`schedules` with `at:`)",
        "10:19: `functions.tick.events[2].schedule`: cron `0 25 * * ? *`: hours `25` is out of "
        "range 0-23 (expected cron(minutes hours day-of-month month day-of-week year), e.g. "
        "cron(0 12 * * ? *))",
        "12:22: `backups.often.schedule`: cron `0/30 * * * ? *`: runs more than once an hour; "
        "AWS Backup allows one backup an hour at most (give the minutes field one number, e.g. "
        "`cron(0 * * * ? *)` for hourly)",
    ]


def test_schedule_at_and_time_zone(tmp_path: Path) -> None:
    b = build(tmp_path, """\
queues:
  jobs: {}
schedules:
  once: { at: "2030-02-30T09:00:00", target: queues.jobs }
  tz: { rate: 5 minutes, target: queues.jobs, timezone: Europe/Pariss }
""")
    assert found(b, "E3110") == [
        "5:15: `schedules.once.at`: at `2030-02-30T09:00:00` is not a date and time "
        "yyyy-mm-ddThh:mm:ss (e.g. `at: 2030-01-31T09:00:00`)"]
    assert [x.split(" (")[0] for x in found(b, "E3111")] == [
        "6:57: `schedules.tz.timezone`: unknown time zone `Europe/Pariss`"]


# --- spec values -------------------------------------------------------------------------------

def test_function_memory_below_lambda_minimum(tmp_path: Path) -> None:
    b = build(tmp_path, "functions:\n  api:\n    code: ./fn\n    memory: 64\n")
    assert found(b, "E3105") == [
        "5:13: `functions.api.memory`: 64 is below the minimum 128 for MemorySize of "
        "AWS::Lambda::Function (use a value from 128 to 10240)"]


def test_spec_value_through_the_cli_exits_1(tmp_path: Path) -> None:
    build(tmp_path, "functions:\n  api: { code: ./fn, memory: 64 }\n")
    res = subprocess.run([sys.executable, "-m", "cloudc", "--no-color", "validate",
                          str(tmp_path / "cloud.yaml"), "--env", "production"],
                         capture_output=True, text=True)
    assert res.returncode == 1, res.stderr
    assert "cloud.yaml:3:30: error[E3105]: `functions.api.memory`: 64 is below the minimum " \
           "128 for MemorySize of AWS::Lambda::Function" in res.stderr
    assert "internal error" not in res.stderr and "Traceback" not in res.stderr


# --- regions -----------------------------------------------------------------------------------

def test_unknown_region(tmp_path: Path) -> None:
    (tmp_path / "cloud.yaml").write_text("project: { name: Acme, region: eu-west-9 }\n"
                                         "queues:\n  jobs: {}\n")
    b = compile_config(tmp_path / "cloud.yaml", "development")
    lines = found(b, "E3104")
    assert len(lines) == 1 and lines[0].startswith(
        "1:32: `project.region`: `eu-west-9` is not an AWS region (did you mean `eu-west-"), lines


def test_unknown_region_in_an_arn(tmp_path: Path) -> None:
    b = build(tmp_path, "sites:\n  web:\n    source: ./site\n    domain: www.acme.com\n"
              "    certificate: arn:aws:acm:us-east-7:123456789012:certificate/abc\n")
    assert [x.split(" (")[0] for x in found(b, "E3104")] == [
        "6:18: `sites.web.certificate`: the ARN names region `us-east-7`, which AWS does not "
        "have"]


def test_region_table_matches_botocore() -> None:
    pytest.importorskip("botocore")
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "gen_regions", Path(__file__).resolve().parents[1] / "scripts" / "gen_regions.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    committed = (Path(__file__).resolve().parents[1] / "cloudc" / "data" / "regions.json")
    assert committed.read_text(encoding="utf-8") == gen.generate(), \
        "cloudc/data/regions.json is stale: run python scripts/gen_regions.py"


def test_validate_does_not_import_botocore(tmp_path: Path) -> None:
    build(tmp_path, "queues:\n  jobs: {}\n")
    code = ("import sys; from cloudc.compile import compile_config; "
            f"compile_config(__import__('pathlib').Path({str(tmp_path / 'cloud.yaml')!r}), "
            "'production'); print('botocore' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.stdout.strip() == "False", res.stderr


# --- near misses -------------------------------------------------------------------------------

def test_overlay_entry_close_to_a_base_entry(tmp_path: Path) -> None:
    body = """\
queues:
  jobs: {}
environments:
  production:
    queues: { jbos: { visibility_timeout: 60 } }
"""
    b = build(tmp_path, body, env="production")
    assert found(b, "W3120") == [
        "6:15: `queues.jbos`: the `production` overlay adds `queues.jbos`, which the base "
        "config does not declare, next to `queues.jobs` (did you mean `jobs`? as written, "
        "`production` gets both) [environments.production]"]
    assert not build(tmp_path, body, env="staging").diagnostics.items


def test_side_file_overlay_close_to_a_base_entry(tmp_path: Path) -> None:
    b = build(tmp_path, "queues:\n  orders: {}\n", env="staging",
              files={"cloud.staging.yaml": "queues:\n  order: { delay: 5 }\n"})
    assert [x.split(" (")[0] for x in found(b, "W3120")] == [
        "2:3: `queues.order`: the `staging` overlay adds `queues.order`, which the base config "
        "does not declare, next to `queues.orders`"]


def test_vpc_search_domain_needs_the_service_linked_role(tmp_path: Path) -> None:
    body = """\
network: { vpc: { zones: 2, nat: none } }
search:
  public: { vpc: false }
  logs: { count: 2 }
  more: {}
"""
    b = build(tmp_path, body)
    assert found(b, "W3190") == [
        "5:3: `search.logs`: a domain in a VPC needs the service-linked role "
        "AWSServiceRoleForAmazonOpenSearchService in the account; without it the domain's "
        "create fails and the stack rolls back (`cloudc deploy` creates it when missing; with "
        "another deploy tool run `aws iam create-service-linked-role --aws-service-name "
        "opensearchservice.amazonaws.com` once per account, before the first deploy)"]
    assert not found(build(tmp_path, "search:\n  public: { vpc: false }\n"), "W3190")


def test_environment_name_close_to_a_built_in_one(tmp_path: Path) -> None:
    b = build(tmp_path, "queues:\n  jobs: {}\nenvironments:\n  prodution: {}\n  prod: {}\n")
    assert found(b, "W3121") == [
        "5:3: `environments.prodution`: environment `prodution` is not the built-in "
        "`production`: it gets none of its defaults (did you mean `production`?)"]
    assert not b.diagnostics.has_errors


# --- queue consumers and lifecycle prefixes ----------------------------------------------------

def test_two_functions_on_one_queue(tmp_path: Path) -> None:
    b = build(tmp_path, """\
queues:
  jobs: {}
functions:
  a: { code: ./fn, events: [{ queue: jobs }] }
  b: { code: ./fn, events: [{ queue: { name: queues.jobs, batch_size: 5 } }] }
""")
    assert [x.split(" (")[0] for x in found(b, "W3122")] == [
        "6:46: `functions.b.events[0].queue.name`: `functions.a` already consumes "
        "`queues.jobs`: each message goes to one of the two at random"]
    assert not b.diagnostics.has_errors


STREAM = """\
storage:
  lake:
    lifecycle: [{ prefix: logs/, expire_days: 30 }, { prefix: data/2024, expire_days: 90 }]
streams:
  clicks: { deliver_to: storage.lake }
"""


def test_lifecycle_prefix_no_writer_uses(tmp_path: Path) -> None:
    b = build(tmp_path, STREAM)
    assert found(b, "W3123") == [
        "4:27: `storage.lake.lifecycle[0].prefix`: no writer of `storage.lake` uses the prefix "
        "`logs/`: the rule never applies (objects go under `data/`, `errors/`) (use one of "
        "those prefixes, or no prefix for the whole bucket)"]


def test_lifecycle_prefix_not_reported_when_compute_writes(tmp_path: Path) -> None:
    b = build(tmp_path, STREAM + "functions:\n  w: { code: ./fn, link: [storage.lake] }\n")
    assert not found(b, "W3123")
    b = build(tmp_path, STREAM.replace("  clicks: { deliver_to: storage.lake }\n",
                                       "  clicks: {}\n"))
    assert not found(b, "W3123")  # nothing declares a prefix: nothing to compare with


def test_lifecycle_prefix_counts_athena_results(tmp_path: Path) -> None:
    """The Athena workgroup cloudc adds writes query results under `athena-results/`."""
    b = build(tmp_path, STREAM.replace("prefix: logs/", "prefix: athena-results/")
              .replace("deliver_to: storage.lake }", "deliver_to: storage.lake, catalog: true }"))
    assert not found(b, "W3123")
    b = build(tmp_path, STREAM.replace("deliver_to: storage.lake }",
                                       "deliver_to: storage.lake, catalog: true }"))
    assert found(b, "W3123") == [
        "4:27: `storage.lake.lifecycle[0].prefix`: no writer of `storage.lake` uses the prefix "
        "`logs/`: the rule never applies (objects go under `data/`, `errors/`, "
        "`athena-results/clicks/`) (use one of those prefixes, or no prefix for the whole "
        "bucket)"]


def test_lifecycle_prefix_counts_inbound_mail(tmp_path: Path) -> None:
    """SES stores received mail under the receipt rule's ObjectKeyPrefix."""
    body = """\
dns: { zone: example.com }
storage:
  mail: { lifecycle: [{ prefix: PREFIX, expire_days: 90 }] }
functions:
  inbound: { code: ./fn }
email:
  example.com:
    inbound: { bucket: storage.mail, function: functions.inbound, recipients: [a@example.com] }
"""
    assert not found(build(tmp_path, body.replace("PREFIX", "inbound/")), "W3123")
    assert [x.split(":")[0] for x in found(build(tmp_path, body.replace("PREFIX", "logs/")),
                                          "W3123")] == ["4"]


# --- the stage ----------------------------------------------------------------------------------

def test_every_finding_at_once(tmp_path: Path) -> None:
    """A config rule's error (a bad cron) does not hide an IR rule's (a bad memory size)."""
    b = build(tmp_path, """\
functions:
  api: { code: ./fn, memory: 64, events: [{ schedule: rate(1 hours) }] }
""")
    assert {d.code for d in b.diagnostics.errors} == {"E3105", "E3110"}


def test_validate_names_the_environment_of_a_finding(tmp_path: Path) -> None:
    (tmp_path / "cloud.yaml").write_text(HEAD + """\
network: {}
databases:
  main: { engine: postgres, deletion_protection: false }
queues:
  jobs: {}
  a-b: {}
environments:
  staging:
    queues: { a_b: {} }
""")
    res = CliRunner().invoke(cli, ["--no-color", "validate", str(tmp_path / "cloud.yaml")])
    lines = res.output.splitlines()
    prod = [x for x in lines if "deletion protection" in x]
    assert len(prod) == 1 and prod[0].endswith("[production]"), res.output
    dup = [x for x in lines if "E3100" in x]
    assert len(dup) == 1 and dup[0].endswith("[environments.staging]"), res.output
    assert res.exit_code == 1
    one = CliRunner().invoke(cli, ["--no-color", "validate", "--env", "production",
                                   str(tmp_path / "cloud.yaml")])
    assert not any(x.endswith("[production]") for x in one.output.splitlines()), one.output


# --- validate --lint ---------------------------------------------------------------------------

def test_lint_reports_cfn_lint_at_the_config_line(tmp_path: Path) -> None:
    pytest.importorskip("cfnlint")
    (tmp_path / "cloud.yaml").write_text(HEAD + """\
network: {}
databases:
  main:
    engine: postgres
    version: "16.1"
""")
    res = CliRunner().invoke(cli, ["--no-color", "validate", "--lint", "--env", "staging",
                                   str(tmp_path / "cloud.yaml")])
    assert res.exit_code == 0, res.output
    warn = [x for x in res.output.splitlines() if "W3106" in x]
    assert len(warn) == 1, res.output
    assert ":6:14: warning[W3106]: `databases.main.version`: cfn-lint W3691: Engine version " \
           "'16.1' for engine 'postgres' is deprecated" in warn[0]


def test_lint_accepts_rds_major_version_aliases(tmp_path: Path) -> None:
    """RDS takes `8.0` / `16` and picks the default minor: no E3691/W3691 for those."""
    pytest.importorskip("cfnlint")
    (tmp_path / "cloud.yaml").write_text(HEAD + """\
network: {}
databases:
  my: { engine: mysql, version: "8.0" }
  pg: { engine: postgres, version: "16" }
  old: { engine: postgres, version: "9.6" }
  bad: { engine: postgres, version: "9.9.9" }
  gone: { engine: mysql, version: "9.9" }
""")
    res = CliRunner().invoke(cli, ["--no-color", "validate", "--lint", "--env", "staging",
                                   str(tmp_path / "cloud.yaml")])
    lint = [x for x in res.output.splitlines() if "3106]" in x]
    # 9.6 is a major alias too, but every 9.6 minor is deprecated: RDS creates none.
    assert [x.split(": ", 1)[0].rsplit(":", 2)[-2] for x in lint] == ["6", "7", "8"], res.output
    assert "`databases.old.version`: cfn-lint E3691: '9.6' is not one of" in lint[0]
    assert "`databases.bad.version`: cfn-lint E3691: '9.9.9' is not one of" in lint[1]
    assert "`databases.gone.version`: cfn-lint E3691: '9.9' is not one of" in lint[2]
    assert res.exit_code == 1


def test_lint_without_cfn_lint_is_a_usage_error(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import cloudc.lint

    monkeypatch.setattr(cloudc.lint, "available", lambda: False)
    (tmp_path / "cloud.yaml").write_text(HEAD + "queues:\n  jobs: {}\n")
    res = CliRunner().invoke(cli, ["validate", "--lint", str(tmp_path / "cloud.yaml")])
    assert res.exit_code == 2
    assert "pip install 'cloudc[lint]'" in res.output


def test_an_unknown_reference_does_not_hide_the_output_rules(tmp_path: Path) -> None:
    """A typo in a link and `memory: 64` are reported in one run, each at its line."""
    b = build(tmp_path, "queues: { jobs: {} }\nfunctions:\n  api:\n    code: ./fn\n"
              "    memory: 64\n    link: [queues.job]\n")
    assert [x.split(":")[0] for x in found(b, "E3105")] == ["6"]
    assert [x.split(":")[0] for x in found(b, "E3001")] == ["7"]


# --- user-experience fixes: messages in cloudc's voice, at the value ---------------------------

def test_booleans_are_not_numbers(tmp_path: Path) -> None:
    b = build(tmp_path, """\
functions:
  api: { code: ./fn, handler: index.handler, memory: true, timeout: false }
""")
    assert found(b, "E2003") == [
        "3:54: `functions.api.memory`: expected an integer, got `true`",
        "3:69: `functions.api.timeout`: expected an integer, got `false`",
    ]


def test_five_field_cron_in_schedules_is_e3110_at_the_value(tmp_path: Path) -> None:
    b = build(tmp_path, """\
functions:
  x: { code: ./fn, handler: index.handler }
schedules:
  a: { cron: "0 3 * * *", target: functions.x }
  b: { rate: 1 hours, target: functions.x }
""")
    assert found(b, "E2005") == []
    assert found(b, "E3110") == [
        "5:14: `schedules.a.cron`: cron `0 3 * * *`: has 5 fields, like crontab; AWS cron "
        "takes six, the last is the year (e.g. `cron(0 3 * * ? *)`)",
        "6:14: `schedules.b.rate`: rate `1 hours`: one hour is written `1 hour` "
        "(expected `rate(1 hour)`)",
    ]


def test_link_union_reports_only_the_member_whose_shape_matches(tmp_path: Path) -> None:
    b = build(tmp_path, """\
queues:
  jobs: {}
storage:
  uploads: {}
functions:
  api:
    code: ./fn
    handler: index.handler
    link: [queues.jobs, { to: storage.uploads, access: admin }, 7]
""")
    assert found(b, "E2004") == [
        "10:56: `functions.api.link[1].access`: `admin` is not allowed here; expected one of: "
        "read, write, read-write"]
    assert found(b, "E2003") == ["10:65: `functions.api.link[2]`: expected a string, got `7`"]


def test_undeclared_environment_close_to_a_known_one(tmp_path: Path) -> None:
    body = "queues:\n  jobs: {}\n"
    b = build(tmp_path, body, env="prodction")
    assert [d.text() for d in b.diagnostics.items if d.code == "W3195"] == [
        f"{tmp_path / 'cloud.yaml'}:1:1: warning[W3195]: environment `prodction` is declared "
        "nowhere, and is not `production`: it is built with none of `production`'s settings "
        "(did you mean `production`? build with `--env production`, or declare `prodction` "
        "under `environments`)"]
    declared = body + "environments:\n  preview:\n    queues: { jobs: { delay: 5 } }\n"
    b = build(tmp_path, declared, env="preveiw")
    assert found(b, "W3195") == [
        "4:1: `environments`: environment `preveiw` is declared nowhere, and is not `preview`: "
        "it is built with none of `preview`'s settings (did you mean `preview`? build with `--env preview`, or "
        "declare `preveiw` under `environments`)"]
    for env in ("preview", "qa", "production"):
        assert found(build(tmp_path, declared, env=env), "W3195") == []


def test_bounds_and_forms_in_cloudcs_words(tmp_path: Path) -> None:
    b = build(tmp_path, """\
functions:
  api: { code: ./fn, handler: index.handler, memory: 20000, timeout: 0 }
secrets:
  s: { arn: nope }
""")
    assert found(b, "E2005") == [
        "3:54: `functions.api.memory`: `20000` is above the maximum 10240 (use a value from "
        "128 to 10240)",
        "3:70: `functions.api.timeout`: `0` is below the minimum 1 (use a value from 1 to 900)",
        "5:13: `secrets.s.arn`: `nope` is not an ARN (`arn:...`)",
    ]
    assert not any("Input should" in d.message or "String should" in d.message
                   for d in b.diagnostics.items)


def test_misspelt_region_is_not_an_aws_region(tmp_path: Path) -> None:
    b = helpers.build(tmp_path, "queues:\n  jobs: {}\n", "development", region="us-east-l")
    assert [d.text().split(": ", 1)[1] for d in b.diagnostics.errors] == [
        "error[E2005]: `project.region`: `us-east-l` is not an AWS region (did you mean "
        "`us-east-1`?)"]
    assert b.diagnostics.errors[0].origin is not None
    assert (b.diagnostics.errors[0].origin.line, b.diagnostics.errors[0].origin.col) == (1, 32)


def test_lambda_memory_limit_agrees_with_the_schema() -> None:
    from cloudc.checks.spec_values import violation
    from cloudc.resource_specs import constraints

    rules = constraints("AWS::Lambda::Function")
    assert violation(20000, rules["MemorySize"]) == (
        "20000 is above the maximum 10240", "use a value from 128 to 10240")
    assert violation(20000, rules["EphemeralStorage/Size"]) == (
        "20000 is above the maximum 10240", "use a value from 512 to 10240")
