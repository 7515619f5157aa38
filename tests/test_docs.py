"""Every command has help with examples; the README names the two set-up commands."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from quizkit.cli import COMMANDS, SHORT_HELP, cli
from tests.conftest import REPO


def _all_commands() -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for name in COMMANDS:
        paths.append((name,))
        command = cli.get_command(click.Context(cli), name)
        if isinstance(command, click.Group):
            paths.extend((name, sub) for sub in command.commands)
    return paths


@pytest.mark.parametrize("path", _all_commands(), ids=" ".join)
def test_every_command_has_help_with_examples(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Examples:" in result.output
    assert f"quizkit {' '.join(path)}" in result.output


def test_every_registered_command_imports_and_has_short_help() -> None:
    for name in COMMANDS:
        assert isinstance(cli.get_command(click.Context(cli), name), click.Command), name
        assert SHORT_HELP.get(name), name


def test_top_level_help_lists_commands_without_importing_them() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert f"  {name} " in result.output


def test_readme_gives_the_two_setup_commands_first() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    study, test = text.find("make study"), text.find("make test")
    assert 0 <= study < 1500 and 0 <= test < 1500


def test_makefile_study_runs_real_commands() -> None:
    """`make study` is one of the two set-up commands: every quizkit command it runs must exist."""
    import re

    text = (REPO / "Makefile").read_text(encoding="utf-8")
    study = text.split("\nstudy:", 1)[1].split("\n\n", 1)[0]
    used = re.findall(r"\$\(BIN\)/quizkit (\S+)", study)
    assert used == ["init", "study"]
    for name in used:
        assert name in COMMANDS
