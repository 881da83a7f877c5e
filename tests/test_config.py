"""Settings: read from ODDSMITH_* variables only, typed, and all documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from oddsmith.config import Settings, load_settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_variables_are_converted_to_their_types() -> None:
    """Numbers given as strings arrive as numbers."""
    settings = load_settings({"ODDSMITH_PORT": "9001", "ODDSMITH_LEASE_SECONDS": "2.5"})
    assert settings.port == 9001
    assert settings.lease_seconds == 2.5


def test_a_misspelt_variable_is_refused() -> None:
    """A typo in a setting's name stops the process instead of being ignored."""
    with pytest.raises(ValueError, match="ODDSMITH_PROT"):
        load_settings({"ODDSMITH_PROT": "9001"})


def test_every_setting_is_documented_in_the_readme() -> None:
    """The README's table names every field of the settings object."""
    text = README.read_text()
    missing = [
        name
        for name in Settings.__struct_fields__
        if f"ODDSMITH_{name.upper()}" not in text
    ]
    assert missing == []
