"""The configuration file is checked before anything runs."""

from pathlib import Path

import pytest

from sim.config import load_config, parse_config
from sim.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parents[2] / "sim" / "examples"


def _raw(**overrides):
    raw = {
        "bankroll": 100_000,
        "population": [{"kind": "noise", "share": 1.0}],
        "policies": [{"kind": "default"}],
    }
    raw.update(overrides)
    return raw


def test_grid_expands_into_one_policy_per_point() -> None:
    """A 2 x 3 grid becomes six named default-rule policies beside a baseline."""
    config = parse_config(
        _raw(
            policies=[
                {
                    "kind": "default",
                    "grid": {"b0": [1, 2], "margin_bp": [100, 200, 300]},
                },
                {"kind": "lmsr"},
            ]
        )
    )
    names = [p.name for p in config.policies]
    assert len(names) == 7
    assert names[0] == "default B0=1 m=100"
    assert config.policies[5].grid == {"b0": 2, "margin_bp": 300}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"bankroll": 100.5}, "whole number"),
        ({"game": "chess"}, "game"),
        ({"policies": [{"kind": "martingale"}]}, "kind"),
        ({"population": [{"kind": "psychic", "share": 1}]}, "unknown bettor"),
        ({"population": [{"kind": "noise", "share": 0}]}, "positive share"),
        ({"seed": 3}, "unknown keys"),
        ({"outcomes": "actual", "game": "roulette"}, "outcomes"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(overrides, message) -> None:
    """Each malformed setting raises ConfigError naming what is wrong."""
    with pytest.raises(ConfigError, match=message):
        parse_config(_raw(**overrides))


def test_yaml_and_toml_read_the_same(tmp_path: Path) -> None:
    """The same settings in YAML and TOML give equal configurations."""
    (tmp_path / "a.yaml").write_text(
        "bankroll: 1000\npopulation:\n  - {kind: noise, share: 1.0}\n"
        "policies:\n  - {kind: pool}\n"
    )
    (tmp_path / "a.toml").write_text(
        'bankroll = 1000\n[[population]]\nkind = "noise"\nshare = 1.0\n'
        '[[policies]]\nkind = "pool"\n'
    )
    assert load_config(tmp_path / "a.yaml") == load_config(tmp_path / "a.toml")


def test_committed_examples_are_valid() -> None:
    """Every example configuration under sim/examples loads."""
    paths = sorted(EXAMPLES.glob("*.yaml"))
    assert paths
    for path in paths:
        load_config(path)
