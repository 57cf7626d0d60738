"""Redeploy a recorded deployment: its root template as uploaded, nothing compiled or built."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from cloudc.aws import apps, history
from cloudc.aws import deploy as d
from cloudc.aws.diff import Side
from cloudc.aws.diff import diff as compare
from cloudc.aws.fetch import fetch
from cloudc.aws.registry import refuse_missing
from cloudc.aws.rollout import Outcome, Reporter, review
from cloudc.aws.session import Aws, AwsError
from cloudc.roots import RootStack, waves
from cloudc.signals import Interrupted

UPDATABLE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE",
             "IMPORT_ROLLBACK_COMPLETE")


def rollback(aws: Aws, name: str, ident: str | None, out: Reporter) -> Outcome:
    """Redeploy the recorded deployment `ident` (default: the one before the latest)."""
    bucket = history.bucket_of(aws)
    if bucket is None:
        raise AwsError("no artifacts bucket (stack cloudc-bootstrap) in this account and "
                       "region: nothing was ever deployed here with cloudc")
    target = history.pick(history.listing(aws, bucket, name), ident,
                          lambda a, b: a.root_key == b.root_key)
    deployed = fetch(aws, name)
    if deployed.status not in UPDATABLE:
        raise AwsError(f"stack {name} is {deployed.status or 'not deployed'}; a rollback "
                       "updates a deployed stack that is not busy")
    missing = [k for k in target.objects() if not history.exists(aws, bucket, k)]
    if missing:
        raise AwsError(f"deployment {target.id} cannot be redeployed: s3://{bucket} no longer "
                       f"holds {', '.join(missing[:3])}" + (" ..." if len(missing) > 3 else ""))
    root = history.read_template(aws, bucket, target.root_key)
    nested = {lid: history.read_template(aws, bucket, key) for lid, key in target.stacks.items()}
    recorded = Side(name, root, nested, tags=dict(target.tags))
    labels = recorded.labels = {lid: recorded.label(lid) for lid in nested}
    out.say(f"rolling {name} back to deployment {target.id} ({target.time})")
    plan = compare(deployed.side, recorded)
    if plan.identical:
        out.plan(plan)
        out.say(f"no changes: stack {name} already runs what deployment {target.id} deployed",
                fg="green")
        return Outcome.DONE
    # The task definitions name their images by immutable tag: ECR must still hold each one
    # (a repository keeps its 30 newest; cloudc/aws/registry.py), or the services cannot start.
    refuse_missing(aws, target.id, target.images)
    region = None if aws.endpoint_url else aws.region
    pkg = d.Package(root, root_url=d.template_url(bucket, target.root_key, region))
    cs = d.create_change_set(aws, name, pkg, create=False, tags=dict(target.tags))
    if cs.empty:
        out.plan(plan)
        out.say(f"no changes: stack {name} already runs deployment {target.id}", fg="green")
        return Outcome.DONE
    try:
        if not review(aws, cs, plan, recorded, out,
                      f"Roll {name} back to deployment {target.id}?", "not rolled back"):
            return Outcome.NOT_CONFIRMED
        watcher = d.Watcher(aws, cs.stack_id, labels, out.say)
        watcher.skip_existing()
    except BaseException:
        d.discard(aws, cs)
        raise
    d.execute(aws, cs, name)
    return _follow(aws, name, bucket, target, watcher, out)


def _follow(aws: Aws, name: str, bucket: str, target: history.Deployment,
            watcher: d.Watcher, out: Reporter) -> Outcome:
    try:
        info = d.watch(aws, watcher.root, watcher)
    except (KeyboardInterrupt, Interrupted):
        out.say(f"stopped watching. CloudFormation keeps updating {name}; `cloudc status` "
                "shows where it is", fg="yellow")
        return Outcome.STOPPED
    status = info["StackStatus"] if info else "DELETE_COMPLETE"
    if status not in ("UPDATE_COMPLETE",):
        failed = watcher.first_failure()
        if failed is not None:
            out.say(f"{failed.get('LogicalResourceId', '')} ({failed.get('ResourceType')}) in "
                    f"stack {watcher.label_of(failed)}: {failed.get('ResourceStatus')}: "
                    f"{failed.get('ResourceStatusReason', 'no reason given')}", fg="red")
        out.say(f"rollback failed: stack {name} is {status}", fg="red")
        return Outcome.FAILED
    for o in (info or {}).get("Outputs") or []:
        out.output(f"{o['OutputKey']} = {o.get('OutputValue', '')}")
    ident = history.new_id(target.root_key[len("templates/"):])
    made = replace(target, id=history.after(ident, history.newest(aws, bucket, name)),
                   time=datetime.now(UTC).isoformat(timespec="seconds"), rollback_of=target.id)
    try:
        with d.shielded():  # the stack changed: Ctrl-C now must not skip the record
            history.save(aws, bucket, made)
        out.say(f"recorded deployment {made.id} (a rollback to {target.id})")
    except AwsError as exc:
        out.say(f"warning: the rollback was not recorded: {exc}", fg="yellow")
    out.say(f"rolled back {name} to deployment {target.id}: {status}", fg="green")
    return Outcome.DONE


def rollback_roots(aws: Aws, base: str, env: str, roots: list[RootStack],
                   ident: str | None, out: Reporter) -> Outcome:
    """Return every root to the records of deployment `ident` (default: the one before the
    latest), root by root in dependency order; stop at the first root that does not end DONE.
    """
    bucket = history.bucket_of(aws)
    if bucket is None:
        raise AwsError("no artifacts bucket (stack cloudc-bootstrap) in this account and "
                       "region: nothing was ever deployed here with cloudc")
    target = history.pick(apps.listing(aws, bucket, base), ident,
                          lambda a, b: a.roots == b.roots, "of the root stacks")
    now, then = [r.name for r in roots], sorted(target.roots)
    if set(now) != set(then):
        raise AwsError(f"deployment {target.id} ran root stacks {', '.join(then)}; the app now "
                       f"has {', '.join(now)}: a rollback cannot add or delete a root stack "
                       "(deploy the config you want instead)")
    for root in roots:  # before any root changes: every image the records name is in ECR
        record = history.load(aws, bucket, root.name, target.roots[root.name])
        refuse_missing(aws, f"{target.id} ({record.id} of {root.name})", record.images)
    out.say(f"rolling back {len(roots)} root stacks to deployment {target.id} ({target.time})")
    for wave in waves(roots):
        for root in wave:
            outcome = rollback(aws, root.name, target.roots[root.name], out)
            if outcome is not Outcome.DONE:
                return outcome
    made = apps.record(aws, bucket, base, env, roots, out.say, rollback_of=target.id)
    if made is not None:
        out.say(f"(a rollback to {target.id})")
    return Outcome.DONE
