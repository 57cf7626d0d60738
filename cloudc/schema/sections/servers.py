"""servers: EC2 instances set up by recipes, Forge style, behind a load balancer or alone."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from cloudc.schema.base import Bool, FileField, Link, Model, Name, NonNegInt, PosInt, Tagged
from cloudc.schema.policies import Policy, policies_field

SECTION = "servers"
ORDER = 55
PATHS = (FileField(("code",), "folder", "code folder"),)  # files and folders it names
REFS = ("link",)  # fields whose values name other entries (`section.name`)
FORBIDDEN_IN = ("serverless",)  # modes (`mode:`) that do not allow this section

NAMED_IMAGES = ("ubuntu-24.04", "ubuntu-22.04", "amazon-linux-2023")
# A 5-field crontab schedule (minute hour day-of-month month day-of-week), or an @ shortcut.
CRON_FIELD = r"[0-9A-Za-z*,/-]+"
CRON_PATTERN = (rf"^(@(hourly|daily|weekly|monthly|yearly|annually|midnight)|"
                rf"{CRON_FIELD}( +{CRON_FIELD}){{4}})$")


class Scaling(Model):
    """An Auto Scaling group of min..max instances, tracking average CPU."""

    min: NonNegInt = Field(1, description="Fewest instances.")
    max: PosInt = Field(2, description="Most instances.")
    cpu_target: PosInt = Field(60, le=100, description="Average CPU % to keep the group at.")

    @model_validator(mode="after")
    def _order(self) -> Scaling:
        if isinstance(self.min, int) and isinstance(self.max, int) and self.min > self.max:
            raise ValueError("scaling.min is larger than scaling.max")
        return self


class Worker(Model):
    """A long-running command, kept running by systemd as `count` instances of a template unit."""

    command: str = Field(min_length=1, description="Shell command run in `directory`, e.g. "
                         "`php artisan queue:work --tries=3`.")
    count: PosInt = Field(1, le=32, description="How many copies run on each instance.")


class CronJob(Model):
    """A command run on a schedule by cron (/etc/cron.d), on every instance."""

    schedule: str = Field(pattern=CRON_PATTERN, description="5-field crontab schedule "
                          "(minute hour day-of-month month day-of-week, UTC), e.g. `* * * * *`.")
    command: str = Field(min_length=1, description="Shell command run in `directory`.")


class Server(Tagged):
    """EC2 instances: an Auto Scaling group behind an ALB, or one instance (with an EIP)."""

    instance: str = Field("t3.small", pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$",
                          description="EC2 instance type, e.g. t3.small or t4g.medium (arm64).",
                          json_schema_extra={"x-list": "ec2_instance_types"})
    image: str = Field(
        "ubuntu-24.04",
        pattern=r"^(ubuntu-24\.04|ubuntu-22\.04|amazon-linux-2023|ami-[0-9a-f]{8,17})$",
        description="ubuntu-24.04 | ubuntu-22.04 | amazon-linux-2023 (latest AMI, looked up at "
        "deploy time), or an AMI id.")
    root_device: str | None = Field(
        None, pattern=r"^/dev/[a-z0-9]+$", description="Root device of a custom AMI "
        "(default /dev/xvda; named images know theirs).")
    architecture: Literal["x86_64", "arm64"] | None = Field(
        None, description="CPU architecture; derived from the instance type (t4g, m7g: arm64).")
    scaling: Scaling | None = Field(
        None, description="Run an Auto Scaling group behind a load balancer; without it, one "
        "instance.")
    recipes: list[str] = Field(default_factory=list,
                               description="cloud-init recipes, applied in order.")
    domain: str | None = Field(None, description="Domain name; HTTPS with an ACM certificate.")
    port: PosInt | None = Field(
        None, le=65535, description="Port the load balancer sends traffic to: 80 with nginx or "
        "caddy, else app_port.")
    app_port: PosInt = Field(3000, le=65535,
                             description="Port the app (pm2, systemd service) listens on.")
    start: str | None = Field(
        None, description="Command that starts the app (pm2 and service recipes), e.g. "
        "`node server.js`.")
    code: str | None = Field(
        None, description="The app's folder, zipped and content-hashed like function code; "
        "each instance fetches it at boot, and a new hash rolls the instances one at a time.")
    build: str | None = Field(
        None, description="Shell command run once in `directory` at boot, after the code is "
        "unpacked, e.g. `composer install --no-dev && npm ci && npm run build`.")
    workers: dict[Name, Worker] = Field(
        default_factory=dict, description="Long-running commands (queue workers), as systemd "
        "services.")
    cron: dict[Name, CronJob] = Field(
        default_factory=dict, description="Scheduled commands, as /etc/cron.d entries.")
    boot_minutes: PosInt = Field(
        20, ge=5, le=60, description="With `code`: how long an instance may take to boot, "
        "build and answer its health check before CloudFormation gives up and rolls back.")
    directory: str = Field("/srv/app", pattern=r"^/[A-Za-z0-9._/-]*$",
                           description="Where the app lives on the instance.")
    health_check: str = Field("/", pattern=r"^/", description="Health check path.")
    load_balancer: Bool | None = Field(
        None, description="Put an ALB in front; default: with scaling, or a domain when not "
        "public.")
    public: Bool = Field(
        False, description="One instance in a public subnet with an Elastic IP, serving 80/443 "
        "itself (caddy or lets-encrypt); only without scaling.")
    link: list[Link] = Field(
        default_factory=list,
        description="Resources this server uses: IAM grants and coordinates as env vars.")
    policies: list[Policy] = policies_field()
    environment: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="Environment variables for the app (`${...}` allowed).")
    disk_gb: PosInt = Field(20, ge=8, le=16384, description="Root volume size (gp3, encrypted).")
    ssh_key: str | None = Field(
        None, description="An existing EC2 key pair name; discouraged, Session Manager is set "
        "up instead.")
    user_data: str | None = Field(None, description="Shell commands run after the recipes.")
    email: str | None = Field(None, description="Contact address for Let's Encrypt.")
    detailed_monitoring: Bool = Field(False, description="One-minute EC2 metrics (extra cost).")
    log_retention_days: PosInt | None = Field(
        None, description="Retention of the log group the app's output goes to (default: "
        "`monitoring.log_retention_days`).")


Entry = Server
