"""Command line of the simulator: ``python -m sim run CONFIG --seed N --out DIR``.

The click group ``main`` is what the platform's ``oddsmith sim`` command mounts.
"""

import logging
import sys
import time
from pathlib import Path
from typing import Any

import click

from sim.config import load_config
from sim.errors import SimError

logger = logging.getLogger(__name__)


def _progress_bar(total: int) -> Any:
    from tqdm import tqdm

    # The bar goes to stderr so stdout stays clean for the list of files written.
    return tqdm(total=total, unit="task", desc="seasons", file=sys.stderr)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log what the run is doing.")
def main(verbose: bool) -> None:
    """Simulate betting policies against bettor populations."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Dask's scheduler and workers log every connection at INFO by default.
    logging.getLogger("distributed").setLevel(
        logging.INFO if verbose else logging.WARNING
    )


@main.command()
@click.argument(
    "config_path",
    metavar="CONFIG",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option("--seed", type=int, required=True, help="Seed of the whole run.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory the report is written to.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Local worker processes; by default one for small runs, else every core.",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Run on a running Dask cluster, e.g. tcp://host:8786.",
)
@click.option("--no-raw", is_flag=True, help="Skip saving the raw arrays.")
@click.option("--quiet", is_flag=True, help="Hide the progress bar.")
def run(
    config_path: Path,
    seed: int,
    out: Path,
    workers: int | None,
    scheduler: str | None,
    no_raw: bool,
    quiet: bool,
) -> None:
    """Run the policies of CONFIG with SEED and write the report to OUT."""
    # Imported here so that `--help` answers without loading numba and dask.
    from sim.report import write_report
    from sim.runner import run as run_simulation
    from sim.summary import summarise

    try:
        config = load_config(config_path)
    except SimError as exc:
        raise click.ClickException(str(exc)) from exc
    if seed < 0:
        raise click.BadParameter("the seed must not be negative", param_hint="--seed")

    started = time.perf_counter()
    progress = None if quiet else _progress_bar
    try:
        if progress is None:
            prep, results = run_simulation(config, seed, workers, scheduler)
        else:
            prep, results = run_simulation(config, seed, workers, scheduler, progress)
    except SimError as exc:
        raise click.ClickException(str(exc)) from exc
    summaries = summarise(config, prep.policies, results)
    written = write_report(
        out, config, seed, prep.policies, results, summaries, raw=not no_raw
    )
    logger.info("run finished in %.1f s", time.perf_counter() - started)
    for path in written:
        click.echo(str(path))
