"""The command line runs a configuration and writes a report a researcher can open."""

from pathlib import Path

from click.testing import CliRunner

from sim.cli import main

CONFIG = """
name: cli-test
game: roulette
seasons: 2
events_per_season: 50
bankroll: 100000
arrivals: {mean_bets: 30}
population:
  - {kind: roulette, share: 1.0, markets: {straight: 0.3, colour: 0.7}}
policies:
  - {kind: default, grid: {b0: [10000, 50000]}}
  - {kind: lmsr, loss_bound: 50000}
"""


def test_run_writes_plots_pages_and_data(tmp_path: Path) -> None:
    """`run CONFIG --seed --out` leaves the PNGs, report.md, report.html and JSON."""
    config = tmp_path / "run.yaml"
    config.write_text(CONFIG)
    out = tmp_path / "report"
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(config),
            "--seed",
            "5",
            "--out",
            str(out),
            "--workers",
            "1",
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    for name in (
        "frontier.png",
        "seasons.png",
        "report.md",
        "report.html",
        "summary.json",
    ):
        assert (out / name).stat().st_size > 0, name
    markdown = (out / "report.md").read_text()
    assert "default B0=10000" in markdown
    assert "![Risk against turnover](frontier.png)" in markdown


def test_a_bad_config_fails_with_a_message_not_a_traceback(tmp_path: Path) -> None:
    """A configuration error ends the command with its reason and exit status 1."""
    config = tmp_path / "bad.yaml"
    config.write_text("bankroll: 1.5\npopulation: []\npolicies: []\n")
    result = CliRunner().invoke(
        main, ["run", str(config), "--seed", "1", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert "Error:" in result.output
