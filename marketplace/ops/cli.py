"""`marketplace jobs run [--once]` and `marketplace doctor`."""

import click
from flask import current_app
from flask.cli import with_appcontext

from marketplace.extensions import db
from marketplace.ops import doctor as checks
from marketplace.ops import jobs
from marketplace.ops.models import JobRun


@click.group("jobs")
def jobs_cli() -> None:
    """Scheduled jobs, safe to run on every node at once."""


@jobs_cli.command("run")
@click.option("--once", is_flag=True, help="Run the jobs that are due, then exit (for a timer).")
@click.option("--force", is_flag=True, help="Run even the jobs that are not due (still one node at a time).")
@click.option("--job", "only", multiple=True, type=click.Choice([j.name for j in jobs.JOBS]),
              help="Only this job (repeatable).")
@click.option("--interval", default=30.0, show_default=True, help="Seconds between rounds without --once.")
@with_appcontext
def run(once: bool, force: bool, only: tuple[str, ...], interval: float) -> None:
    """Run every due job under its lock: each runs once per interval however many nodes run this."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not once:
        click.echo(f"jobs: checking every {interval:g}s on {jobs.node_name()} (Ctrl-C to stop)")
        jobs.loop(app, interval, _echo)
        return
    outcomes = jobs.run_due(app, force=force, only=only)
    for outcome in outcomes:
        _echo(outcome)
    failed = [o.job for o in outcomes if o.status == "failed"]
    click.echo(f"jobs: {sum(o.status == 'ok' for o in outcomes)} ran, {len(failed)} failed, "
               f"{sum(o.status in ('not-due', 'busy') for o in outcomes)} skipped")
    if failed:
        raise SystemExit(1)


@jobs_cli.command("list")
@with_appcontext
def list_jobs() -> None:
    """Each job, its interval, and when it last ran (on any node)."""

    for job in jobs.JOBS:
        last = db.session.get(JobRun, jobs.record_name(job))
        when = f"{last.status} at {last.started_at:%Y-%m-%d %H:%M:%S} on {last.node}" if last else "never ran"
        every = f"{job.every.total_seconds() / 60:g} min"
        click.echo(f"{job.name:<22} every {every:<10} {'per node' if job.per_node else 'cluster':<8}  {when}")


def _echo(outcome: jobs.Outcome) -> None:
    detail = f": {outcome.output}" if outcome.output else ""
    click.echo(f"job {outcome.job}: {outcome.status}{detail}", err=outcome.status == "failed")


@click.command("doctor")
def doctor() -> None:
    """Check this environment's production configuration; exit 1 naming each problem."""

    problems = checks.diagnose(click.echo)
    if problems:
        click.echo(f"doctor: {len(problems)} problem(s)", err=True)
        raise SystemExit(1)
    click.echo("doctor: ready for production")
