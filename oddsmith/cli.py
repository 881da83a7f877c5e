"""The `oddsmith` command: run the platform or one of its processes, audit it."""

from __future__ import annotations

import os
import secrets
import sys

import click

from oddsmith import logs
from oddsmith.config import Settings, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except (ValueError, TypeError) as exc:
        raise click.UsageError(str(exc)) from exc


@click.group()
def main() -> None:
    """Run and operate the Oddsmith betting platform."""


@main.command()
@click.option(
    "--no-fixtures", is_flag=True, help="Do not import the default league files."
)
def up(no_fixtures: bool) -> None:
    """Start the whole platform in the foreground; Ctrl-C stops it."""
    from oddsmith import accounts, cluster, db, fixtures, tokens

    settings = _settings()
    logs.configure("up", settings.log_level, settings.log_format)
    settings.data_path.mkdir(parents=True, exist_ok=True)
    db.open_database(settings.database_url)
    tokens.ensure_signing_key(settings.secrets_path)

    password = settings.admin_password
    generated = not password
    if generated:
        password = secrets.token_urlsafe(12)
    if accounts.ensure_admin(settings.admin_user, password):
        shown = password if generated else "(from ODDSMITH_ADMIN_PASSWORD)"
        click.echo(
            f"Created administrator {settings.admin_user!r} with password {shown}"
        )

    if not no_fixtures:
        for name in filter(None, (f.strip() for f in settings.fixtures.split(","))):
            result = fixtures.import_league(name)
            click.echo(
                f"Fixtures {name}: {result.created} new events, "
                f"{result.skipped} already there"
            )
    db.database.close()

    conf = cluster.write_configs(settings)
    click.echo(f"Oddsmith is starting: open http://{settings.host}:{settings.port}/")
    click.echo(f"Logs: {settings.data_path / 'logs'}   Stop: Ctrl-C")
    sys.stdout.flush()
    os.execvp(
        sys.executable,
        [sys.executable, "-m", "supervisor.supervisord", "-c", str(conf)],
    )


OPS_PORT = click.option(
    "--ops-port", type=int, default=0, help="Serve /health, /ready, /metrics here."
)


@main.command()
@OPS_PORT
def broker(ops_port: int) -> None:
    """Run the broker (request routing and the update hub)."""
    from broker.broker import main as run

    settings = _settings()
    logs.configure("broker", settings.log_level, settings.log_format)
    run(settings, ops_port)


@main.command()
@click.option("--name", default="", help="Worker name; defaults to host-pid.")
@OPS_PORT
def worker(name: str, ops_port: int) -> None:
    """Run one worker."""
    import msgspec

    from workers.worker import main as run

    settings = _settings()
    if name:
        settings = msgspec.structs.replace(settings, worker_name=name)
    logs.configure(
        f"worker {settings.worker_name}", settings.log_level, settings.log_format
    )
    run(settings, ops_port)


@main.command()
@click.option("--port", type=int, required=True)
@OPS_PORT
def relay(port: int, ops_port: int) -> None:
    """Run one WebSocket relay."""
    from broker.relay import main as run

    settings = _settings()
    logs.configure("relay", settings.log_level, settings.log_format)
    run(settings, port, ops_port)


@main.command("import-fixtures")
@click.argument("file")
def import_fixtures(file: str) -> None:
    """Import a bundled league file (for example 2025-26_en.1)."""
    from oddsmith import db, fixtures

    settings = _settings()
    db.open_database(settings.database_url)
    try:
        result = fixtures.import_league(file)
    except KeyError as exc:
        names = ", ".join(league["file"] for league in fixtures.available())
        raise click.BadParameter(
            f"no bundled league {file!r}; choose one of {names}"
        ) from exc
    click.echo(
        f"{result.created} created, {result.settled} settled, {result.skipped} skipped"
    )


@main.command()
def audit() -> None:
    """Verify every ledger invariant; exit 1 on any violation."""
    from oddsmith import audit as checks
    from oddsmith import db

    settings = _settings()
    db.open_database(settings.database_url, create=False)
    failed = False
    for name, problems in checks.run().items():
        click.echo(f"{'FAIL' if problems else 'ok  '} {name}")
        for problem in problems[:20]:
            click.echo(f"       {problem}")
        if len(problems) > 20:
            click.echo(f"       ... and {len(problems) - 20} more")
        failed = failed or bool(problems)
    sys.exit(1 if failed else 0)


@main.command("rotate-keys")
def rotate_keys() -> None:
    """Start signing tokens with a new key; prune keys no live token needs."""
    from oddsmith import tokens

    settings = _settings()
    logs.configure("rotate-keys", settings.log_level, settings.log_format)
    kid = tokens.ensure_signing_key(settings.secrets_path, rotate=True)
    lifetime = max(settings.access_token_seconds, settings.refresh_token_seconds)
    pruned = tokens.prune_keys(settings.secrets_path, lifetime)
    click.echo(f"Signing with key {kid}; tokens signed before stay valid.")
    for old in pruned:
        click.echo(f"Removed key {old}: every token it signed has expired.")


@main.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.pass_context
def sim(ctx: click.Context) -> None:
    """Run the Monte Carlo simulator of cap and odds policies (see docs/sim.md)."""
    from sim.cli import main as simulator

    simulator.main(args=ctx.args, prog_name="oddsmith sim")


if __name__ == "__main__":
    main()
