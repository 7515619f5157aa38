"""An installed wheel carries its migrations and shipped decks (not only the checkout)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO, SEED


def test_wheel_contains_migrations_and_decks_and_works_from_elsewhere(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("quizkit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "quizkit/_migrations/env.py" in names
    assert "quizkit/_migrations/versions/0001_initial.py" in names
    assert "quizkit/_decks/kubernetes/deck.toml" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "QUIZKIT_DB": str(tmp_path / "w.sqlite3")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "quizkit", *args], cwd=elsewhere, env=env, capture_output=True, text=True
        )

    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import quizkit, quizkit.storage.db as d; print(quizkit.__file__); print(d.migrations_dir())",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert where[0].startswith(str(site)) and where[1].startswith(str(site))

    compiled = run("compile", str(SEED), "--deck", "Kubernetes")
    assert compiled.returncode == 0, compiled.stderr
    assert compiled.stdout.startswith("Kubernetes: ")
    shipped_db = str(tmp_path / "shipped.sqlite3")
    shipped = run("init", "--db", shipped_db)
    assert shipped.returncode == 0, shipped.stderr
    decks = run("decks", "--json", "--db", shipped_db)
    assert decks.returncode == 0, decks.stderr
    assert '"cards": ' in decks.stdout
