"""A chapter folder compiled in forked processes gives what the serial loop gives.

Same results in the same order, the same first error (file:line), and a worker that
dies (or fails) only costs time: its files are compiled by the parent.  Each worker
cuts its own Chinese sentences.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from quizkit.compiler import chapter, compile_path, prose, segment
from quizkit.errors import ChapterError, InputError
from tests.compile_helpers import as_new

REPO = Path(__file__).resolve().parents[1]
SOURCES = sorted((REPO / "tests" / "fixtures" / "chapters").glob("*.md")) + sorted(
    (REPO / "decks").rglob("*.md")
)
SEED = REPO.parent / "shared" / "seeds" / "kubernetes-01.md"

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")


def _folder(tmp_path: Path, n: int) -> Path:
    """``n`` chapters in sub-folders, copies of the fixtures, each with its own first line."""
    sources = SOURCES + ([SEED] if SEED.is_file() else [])
    root = tmp_path / "chapters"
    for i in range(n):
        src = sources[i % len(sources)]
        dest = root / f"part{i // 10:02d}" / f"ch{i:03d}.md"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(f"# Copy {i}\n\n" + src.read_text(encoding="utf-8"), encoding="utf-8")
    (root / "part00" / "img.png").write_bytes(b"\x89PNG")
    return root


def _compile(folder: Path, jobs: int, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    monkeypatch.setenv("QUIZKIT_COMPILE_JOBS", str(jobs))
    return list(compile_path(folder))


def _serial_then_as_new(folder: Path, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The serial compile's results; then this process forgets its cuts, as a new one."""
    serial = _compile(folder, 1, monkeypatch)
    as_new(monkeypatch)
    return serial


def _error(folder: Path, jobs: int, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("QUIZKIT_COMPILE_JOBS", str(jobs))
    with pytest.raises(InputError) as info:
        compile_path(folder)
    return str(info.value)


@pytest.mark.parametrize("jobs", [2, 3])
def test_parallel_results_equal_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    folder = _folder(tmp_path, 70)
    serial = _compile(folder, 1, monkeypatch)
    parallel = _compile(folder, jobs, monkeypatch)
    assert [r.path for r in parallel] == [r.path for r in serial]  # type: ignore[attr-defined]
    assert parallel == serial
    assert sum(len(r.cards) for r in serial) > 1000  # type: ignore[attr-defined]


def test_parallel_raises_the_first_error_in_file_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path, 80)
    # Two bad chapters: the one near the end is what a child reaches first.
    (folder / "part02" / "ch025.md").write_text("# A\n\ntext\n\n```bash\ndocker ps\n", encoding="utf-8")
    (folder / "part07" / "ch078.md").write_bytes(b"# B\n\x00\n")
    serial = _error(folder, 1, monkeypatch)
    assert serial.endswith("ch025.md:5: unterminated code fence '```'")
    assert _error(folder, 2, monkeypatch) == serial
    assert _error(folder, 4, monkeypatch) == serial
    (folder / "part02" / "ch025.md").write_text("# A\n\nfine\n", encoding="utf-8")
    assert _error(folder, 2, monkeypatch) == _error(folder, 1, monkeypatch)
    assert _error(folder, 2, monkeypatch).endswith(
        "ch078.md:2: binary file (NUL byte), not a Markdown chapter"
    )


@pytest.mark.parametrize(("module", "step"), [(chapter, "compile_file"), (prose, "posseg_cut")])
def test_a_worker_that_dies_costs_only_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_cuts_yet: None, module: object, step: str
) -> None:
    folder = _folder(tmp_path, 70)
    serial = _serial_then_as_new(folder, monkeypatch)
    parent = os.getpid()
    real = getattr(module, step)
    calls = [0]

    def dying(*args: object, **kwargs: object) -> object:
        calls[0] += 1
        if os.getpid() != parent and calls[0] == 3:
            os._exit(3)  # killed at its third chapter, or in the middle of one, at its third cut
        return real(*args, **kwargs)

    monkeypatch.setattr(module, step, dying)
    assert _compile(folder, 2, monkeypatch) == serial


def test_a_cut_that_fails_in_a_worker_is_redone_by_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_cuts_yet: None
) -> None:
    folder = _folder(tmp_path, 70)
    serial = _serial_then_as_new(folder, monkeypatch)
    parent = os.getpid()
    real = segment.posseg_cut
    parent_cuts: list[str] = []

    def flaky(sentence: str) -> list[tuple[str, str]]:
        if os.getpid() != parent:
            raise MemoryError("no room for the dictionary")  # every worker stops at its first cut
        parent_cuts.append(sentence)
        return real(sentence)

    monkeypatch.setattr(prose, "posseg_cut", flaky)
    assert _compile(folder, 2, monkeypatch) == serial
    assert parent_cuts  # the parent cut what the workers could not


def test_workers_cut_in_their_own_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_cuts_yet: None
) -> None:
    folder = _folder(tmp_path, 70)
    serial = _serial_then_as_new(folder, monkeypatch)
    assert _compile(folder, 2, monkeypatch) == serial
    # Nothing was cut here: the workers cut (and compiled) everything.
    assert segment._cut_cached.cache_info().currsize == 0


def test_prepare_runs_where_the_chapter_was_compiled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path, 70)

    def prepare(result: object) -> tuple[int, str]:
        return os.getpid(), result.path  # type: ignore[attr-defined]

    monkeypatch.setenv("QUIZKIT_COMPILE_JOBS", "2")
    parallel = compile_path(folder, prepare)
    monkeypatch.setenv("QUIZKIT_COMPILE_JOBS", "1")
    serial = compile_path(folder, prepare)
    assert [path for _, path in parallel] == [path for _, path in serial]
    assert {pid for pid, _ in serial} == {os.getpid()}
    assert os.getpid() not in {pid for pid, _ in parallel}


def _count(result: object) -> int:
    return len(result.cards)  # type: ignore[attr-defined]


def test_meanwhile_runs_once_with_workers_and_never_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path, 70)
    calls: list[int] = []
    monkeypatch.setenv("QUIZKIT_COMPILE_JOBS", "2")
    compile_path(folder, _count, meanwhile=lambda: calls.append(os.getpid()))
    assert calls == [os.getpid()]
    monkeypatch.setenv("QUIZKIT_COMPILE_JOBS", "1")
    compile_path(folder, _count, meanwhile=lambda: calls.append(os.getpid()))
    assert calls == [os.getpid()]


def test_serial_for_few_files_threads_or_no_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUIZKIT_COMPILE_JOBS", raising=False)
    assert chapter._jobs(chapter.PARALLEL_MIN_FILES - 1) == 1
    monkeypatch.setenv("QUIZKIT_COMPILE_JOBS", "1")
    assert chapter._jobs(1000) == 1
    monkeypatch.setenv("QUIZKIT_COMPILE_JOBS", "2")
    assert chapter._jobs(1000) == 2
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert chapter._jobs(1000) == 1  # forking a process with threads is not safe
    finally:
        stop.set()
        thread.join()


def test_an_english_folder_never_loads_the_segmenter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_cuts_yet: None
) -> None:
    folder = tmp_path / "en"
    folder.mkdir()
    for i in range(8):
        shutil.copy(REPO / "tests" / "fixtures" / "chapters" / "en-git-cheatsheet.md", folder / f"{i}.md")
    assert _compile(folder, 1, monkeypatch) == _compile(folder, 2, monkeypatch)
    assert segment._CUT is None and segment._cut_cached.cache_info().currsize == 0


def test_errors_are_chapter_errors_in_a_parallel_compile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path, 6)
    (folder / "part00" / "ch003.md").write_text("```\nx\n", encoding="utf-8")
    monkeypatch.setenv("QUIZKIT_COMPILE_JOBS", "2")
    with pytest.raises(ChapterError, match=r"ch003\.md:1: unterminated code fence"):
        compile_path(folder)
