"""Compiling one chapter: facts to cards, media, warnings; reading files safely."""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import pickle
import re
import selectors
import signal
import struct
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, overload
from urllib.parse import unquote

from quizkit.commandline import command_identity as _command_identity
from quizkit.compiler.blocks import Block, parse_blocks
from quizkit.compiler.extract import CommandFact, OptionFact, extract_commands
from quizkit.compiler.prose import ConceptFact, extract_concepts
from quizkit.errors import ChapterError, InputError
from quizkit.model import CardKind, CardSpec, CardStyle, ChapterResult, MediaRef, Warning_

# shlex is the slowest step per command; chapters repeat commands (aliases, owners).
command_identity = functools.lru_cache(maxsize=65536)(_command_identity)

T = TypeVar("T")

MARKDOWN_SUFFIXES = (".md", ".markdown")
_REMOTE_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//|^data:", re.IGNORECASE)
_TAG_BAD_RE = re.compile(r"\s+")


@functools.lru_cache(maxsize=4096)  # a chapter has a few sections and many cards in each
def _tags(section: tuple[str, ...], kind: CardKind) -> tuple[str, ...]:
    tags = [_TAG_BAD_RE.sub("_", s.strip()) for s in section if s.strip()]
    tags.append(kind.value)
    return tuple(dict.fromkeys(tags))


class _Cards:
    """Cards keyed by (section, fact): a second card for one fact is merged, never emitted."""

    def __init__(self, source_file: str) -> None:
        self.source_file = source_file
        self.cards: dict[tuple[tuple[str, ...], str], CardSpec] = {}

    def add(self, card: CardSpec) -> None:
        key = (card.section, card.fact)
        old = self.cards.get(key)
        if old is None:
            self.cards[key] = card
            return
        extra = (card.back,) if old.style == CardStyle.TYPE else ()
        aliases = tuple(dict.fromkeys(old.aliases + card.aliases + extra))
        aliases = tuple(a for a in aliases if a != old.back)
        self.cards[key] = CardSpec(**{**old.__dict__, "aliases": aliases})

    def values(self) -> list[CardSpec]:
        return list(self.cards.values())


def _command_cards(out: _Cards, facts: list[CommandFact], source_file: str) -> None:
    # One description asked twice in a section would have two right answers: merge.
    by_desc: dict[tuple[tuple[str, ...], str], CommandFact] = {}
    merged: list[CommandFact] = []
    for f in facts:
        ident = command_identity(f.command)
        if not ident or not f.description.strip():
            continue
        first = by_desc.get((f.section, f.description))
        if first is not None and command_identity(first.command) != ident:
            for alias in [f.command, *f.aliases]:
                if alias not in first.aliases and alias != first.command:
                    first.aliases.append(alias)
            continue
        by_desc[(f.section, f.description)] = f
        merged.append(f)
    for f in merged:
        ident = command_identity(f.command)
        main_id = ident
        aliases = tuple(a for a in dict.fromkeys(f.aliases) if a.strip() and command_identity(a) != main_id)
        tags = _tags(f.section, CardKind.COMMAND)
        common = {
            "kind": CardKind.COMMAND,
            "section": f.section,
            "source_file": source_file,
            "source_line": f.line,
            "tags": tags,
        }
        extra = ("Variants: " + "; ".join(aliases)) if aliases else ""
        out.add(
            CardSpec(
                style=CardStyle.BASIC,
                front=f.command,
                back=f.description,
                fact=f"command:{ident}:meaning",
                extra=extra,
                **common,  # type: ignore[arg-type]
            )
        )
        out.add(
            CardSpec(
                style=CardStyle.TYPE,
                front=f.description,
                back=f.command,
                fact=f"command:{ident}:recall",
                aliases=aliases,
                **common,  # type: ignore[arg-type]
            )
        )


def _option_cards(out: _Cards, facts: list[OptionFact], source_file: str) -> None:
    for f in facts:
        opt = f.option
        owner = command_identity(f.owner)
        if not owner or not opt.flags or not opt.description.strip():
            continue
        back = opt.description.strip()
        if opt.sublines:
            back += "\n" + "\n".join(opt.sublines)
        out.add(
            CardSpec(
                kind=CardKind.OPTION,
                style=CardStyle.BASIC,
                front=f"{f.owner} {opt.spec}",
                back=back,
                fact=f"option:{owner}:{opt.flags[0]}",
                section=f.section,
                source_file=source_file,
                source_line=f.line,
                tags=_tags(f.section, CardKind.OPTION),
                hint=None,
            )
        )


def _concept_cards(
    out: _Cards, facts: list[ConceptFact], source_file: str, media: dict[tuple[str, ...], list[str]]
) -> None:
    for f in facts:
        out.add(
            CardSpec(
                kind=f.kind,
                style=f.style,
                front=f.front,
                back=f.back,
                fact=f.fact,
                section=f.section,
                source_file=source_file,
                source_line=f.line,
                tags=_tags(f.section, f.kind),
                media=tuple(media.get(f.section, ())),
                hint=f.hint,
                extra=f.extra,
            )
        )


# While compile_path runs: (folder, target) -> resolved path or None.  Chapters of one
# folder share their images; a compile sees the file system once per image.
_MEDIA_SEEN: dict[tuple[Path, str], str | None] | None = None


def _resolve_media(base_dir: Path, target: str) -> str | None:
    key = (base_dir, target)
    if _MEDIA_SEEN is not None and key in _MEDIA_SEEN:
        return _MEDIA_SEEN[key]
    candidate = base_dir / unquote(target)
    try:
        exists = candidate.is_file()
    except (OSError, ValueError):
        exists = False
    path = str(candidate.resolve()) if exists else None
    if _MEDIA_SEEN is not None:
        _MEDIA_SEEN[key] = path
    return path


def _media(
    blocks: list[Block], source_file: str, base_dir: Path
) -> tuple[list[MediaRef], list[Warning_], dict[tuple[str, ...], list[str]]]:
    refs: list[MediaRef] = []
    warnings: list[Warning_] = []
    by_section: dict[tuple[str, ...], list[str]] = {}
    for block in blocks:
        for _alt, target in block.images:
            if not target or _REMOTE_RE.match(target):
                continue
            path = _resolve_media(base_dir, target)
            refs.append(MediaRef(block.section, source_file, block.line, target, path))
            by_section.setdefault(block.section, []).append(target)
            if path is None:
                warnings.append(Warning_(source_file, block.line, f"image not found: {target}"))
    return refs, warnings, by_section


def compile_text(text: str, *, source_file: str, base_dir: Path | None = None) -> ChapterResult:
    """Compile Markdown ``text``; images resolve against ``base_dir`` (default: the file's folder)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ChapterError("binary content (NUL byte)", file=source_file, line=line)
    blocks = parse_blocks(text, source_file)
    if base_dir is None:
        base_dir = Path(source_file).parent
    media_refs, warnings, media = _media(blocks, source_file, base_dir)
    facts = extract_commands(blocks)
    concepts = extract_concepts(blocks, facts.used, media)
    out = _Cards(source_file)
    _command_cards(out, facts.commands, source_file)
    _option_cards(out, facts.options, source_file)
    _concept_cards(out, concepts, source_file, media)
    cards = sorted(out.values(), key=lambda c: c.source_line)
    if not cards:
        what = "empty chapter" if not text.strip() else "no cards found in chapter"
        warnings.append(Warning_(source_file, 1, what))
    return ChapterResult(path=source_file, cards=cards, media=media_refs, warnings=warnings)


def _decode(data: bytes, display: str) -> str:
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise InputError("binary file (NUL byte), not a Markdown chapter", file=display, line=line)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex()
        raise InputError(f"not valid UTF-8 (byte 0x{bad})", file=display, line=line) from None


def compile_file(path: Path, *, display_path: str | None = None) -> ChapterResult:
    """Compile one chapter file; unreadable input is an InputError naming the file."""
    display = display_path if display_path is not None else str(path)
    return compile_text(_read(path, display), source_file=display, base_dir=path.parent)


def _read(path: Path, display: str) -> str:
    if path.is_dir():
        raise InputError("is a directory, not a chapter file", file=display)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", file=display) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=display) from None
    return _decode(data, display)


def chapter_files(folder: Path) -> list[Path]:
    """Every ``*.md`` / ``*.markdown`` file under ``folder``, sorted; hidden folders are skipped."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in MARKDOWN_SUFFIXES
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


@overload
def compile_path(path: Path) -> list[ChapterResult]: ...
@overload
def compile_path(
    path: Path,
    prepare: Callable[[ChapterResult], T],
    *,
    meanwhile: Callable[[], None] | None = None,
    on_ready: Callable[[T], None] | None = None,
) -> list[T]: ...
def compile_path(
    path: Path,
    prepare: Callable[[ChapterResult], Any] | None = None,
    *,
    meanwhile: Callable[[], None] | None = None,
    on_ready: Callable[[Any], None] | None = None,
) -> list[Any]:
    """A chapter file, or every ``*.md`` / ``*.markdown`` under a directory (sorted).

    ``prepare``, ``meanwhile`` and ``on_ready`` are those of :func:`compile_files`.
    """
    if not path.exists():
        raise InputError("no such file or directory", file=str(path))
    if not path.is_dir():
        return compile_files([path], prepare, on_ready=on_ready)
    files = chapter_files(path)
    if not files:
        raise InputError("no Markdown chapters (*.md, *.markdown) in directory", file=str(path))
    global _MEDIA_SEEN
    _MEDIA_SEEN = {}
    try:
        with paused_gc():
            return compile_files(files, prepare, meanwhile=meanwhile, on_ready=on_ready)
    finally:
        _MEDIA_SEEN = None


def compile_files(
    files: list[Path],
    prepare: Callable[[ChapterResult], Any] | None = None,
    *,
    meanwhile: Callable[[], None] | None = None,
    on_ready: Callable[[Any], None] | None = None,
) -> list[Any]:
    """``[prepare(compile_file(p)) for p in files]``, in worker processes when there are many files.

    Same results in the same order, and the same exception as the serial loop (the
    first failing file's): see :func:`_compile_forked`.

    - ``prepare`` (default: keep the :class:`ChapterResult`) runs where the chapter was
      compiled, so a worker sends back only what the caller needs.
    - ``meanwhile`` is work the caller needs next (loading the storage code): with
      workers, this process runs it while they compile; otherwise it is not called.
    - ``on_ready``, if given, receives each prepared result in file order as soon as it
      and every earlier one are ready, and the list returned is empty: the caller can
      store chapters while later ones compile.  An exception from it stops the compile.
    """
    prep = prepare if prepare is not None else _same
    out: list[Any] = []
    emit = on_ready if on_ready is not None else out.append
    jobs = _jobs(len(files))
    if jobs <= 1:
        for p in files:
            emit(prep(compile_file(p)))
    else:
        _compile_forked(files, jobs, prep, meanwhile, emit)
    return out


def _same(result: ChapterResult) -> ChapterResult:
    return result


# Below this many chapters a compile takes well under a second and forking does not pay.
PARALLEL_MIN_FILES = 64
_RECORD = struct.Struct("<I")  # a chunk start on the work queue; a message length elsewhere
_SEND_EVERY = 16  # chapters per message from a worker to the parent


def _jobs(n_files: int) -> int:
    """Worker processes for compiling ``n_files`` chapters: ``QUIZKIT_COMPILE_JOBS``, else the CPUs."""
    setting = os.environ.get("QUIZKIT_COMPILE_JOBS", "").strip()
    if setting:
        try:
            jobs = int(setting)
        except ValueError:
            jobs = 1
    else:
        if n_files < PARALLEL_MIN_FILES:
            return 1
        try:
            jobs = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            jobs = os.cpu_count() or 1
        jobs = min(jobs, 8)
    threading = sys.modules.get("threading")
    if not hasattr(os, "fork") or sys.platform != "linux":
        return 1
    if threading is not None and threading.active_count() > 1:
        return 1  # forking a process with threads can deadlock the child
    return max(1, min(jobs, n_files))


@dataclass
class _Worker:
    pid: int  # 0 once the worker has been waited for
    results: int  # read end: length-prefixed pickled [(file index, prepared result), ...]; -1 once closed
    unread: bytearray = field(default_factory=bytearray)  # the start of a message still arriving


def _compile_forked(
    files: list[Path],
    jobs: int,
    prepare: Callable[[ChapterResult], Any],
    meanwhile: Callable[[], None] | None,
    emit: Callable[[Any], None],
) -> None:
    """Compile ``files`` in ``jobs`` forked worker processes; this process coordinates.

    Work goes out in contiguous chunks of files through a pipe (one 4-byte chunk start
    per read), so a worker slowed by other load simply takes fewer chunks.  While the
    workers compile, this process runs ``meanwhile``, then collects their results and
    passes each to ``emit`` in file order as soon as the earlier ones are in (storing
    them, say), never holding up a worker.

    A worker sends its prepared results every few chapters; one that fails on a file
    stops there.  Afterwards this process compiles every file without a result (one a
    worker failed on, one left by a worker that died) in order, so an error is raised
    here, by the serial code, for the first failing file: one line naming file and
    line, exactly as without workers.
    """
    n = len(files)
    chunk = max(2, -(-n // (jobs * 24)))
    results: list[Any] = [None] * n
    done = [False] * n
    emitted = 0  # results[:emitted] went to emit (and were let go)

    def emit_next() -> bool:
        """Pass on the next result if it is in; whether another one is waiting."""
        nonlocal emitted
        if emitted < n and done[emitted]:
            item, results[emitted] = results[emitted], None
            emitted += 1
            emit(item)
        return emitted < n and done[emitted]

    queue_r, queue_w = os.pipe()
    try:
        _write_all(queue_w, b"".join(_RECORD.pack(start) for start in range(0, n, chunk)))
    finally:
        os.close(queue_w)
    workers: list[_Worker] = []
    try:
        for _ in range(jobs):
            workers.append(_fork_worker(files, chunk, queue_r, [w.results for w in workers], prepare))
        if meanwhile is not None:
            meanwhile()
        _collect(workers, results, done, emit_next)
        for w in workers:
            os.waitpid(w.pid, 0)
            w.pid = 0
    finally:
        os.close(queue_r)
        for w in workers:
            if w.results >= 0:
                os.close(w.results)
            if w.pid:  # only on an exception (Ctrl-C): stop the others
                with contextlib.suppress(OSError):
                    os.kill(w.pid, signal.SIGKILL)
                    os.waitpid(w.pid, 0)
    # Anything without a result (normally nothing) is compiled here, in order: the first
    # failing file raises its own error.
    for i in range(emitted, n):
        emit(results[i] if done[i] else prepare(compile_file(files[i])))
        results[i] = None


def _fork_worker(
    files: list[Path],
    chunk: int,
    queue: int,
    parents: list[int],
    prepare: Callable[[ChapterResult], Any],
) -> _Worker:
    """Fork one worker; ``parents`` are this process's pipe ends, which the worker closes."""
    results_r, results_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the worker, which never returns
        status = 1
        try:
            for fd in (results_r, *parents):
                os.close(fd)
            _work(files, chunk, queue, results_w, prepare)
            status = 0
        finally:
            os._exit(status)
    os.close(results_w)
    return _Worker(pid, results_r)


def _work(
    files: list[Path],
    chunk: int,
    queue: int,
    out: int,
    prepare: Callable[[ChapterResult], Any],
) -> None:
    """A worker: take chunks until the queue is empty or a file fails (left to the parent)."""
    ready: list[tuple[int, Any]] = []
    try:
        while True:
            record = os.read(queue, _RECORD.size)
            if not record:
                break
            (start,) = _RECORD.unpack(record)
            for i in range(start, min(start + chunk, len(files))):
                ready.append((i, prepare(compile_file(files[i]))))
                if len(ready) >= _SEND_EVERY:
                    _send(out, ready)
                    ready.clear()
    finally:
        if ready:  # what is done, also when a file failed
            _send(out, ready)


def _collect(workers: list[_Worker], results: list[Any], done: list[bool], step: Callable[[], bool]) -> None:
    """Collect the workers' results until all have exited.

    Whenever nothing is waiting to be read, ``step()`` does one piece of the caller's
    work (passes on one result) and says whether there is more.
    """
    sel = selectors.DefaultSelector()
    for w in workers:
        sel.register(w.results, selectors.EVENT_READ, w)
    more = False
    try:
        while sel.get_map():
            events = sel.select(0 if more else None)
            if not events:
                more = step()
                continue
            for key, _ in events:
                w = key.data
                data = os.read(w.results, 1 << 20)
                if not data:  # the worker exited (a partial message from one that died is dropped)
                    sel.unregister(w.results)
                    os.close(w.results)
                    w.results = -1
                    continue
                buf = w.unread
                buf += data
                while len(buf) >= _RECORD.size:
                    (size,) = _RECORD.unpack_from(buf)
                    if len(buf) < _RECORD.size + size:
                        break
                    message = bytes(buf[_RECORD.size : _RECORD.size + size])
                    del buf[: _RECORD.size + size]
                    for i, result in pickle.loads(message):
                        results[i] = result
                        done[i] = True
                    more = True
        while more:  # the workers are gone; pass on what is left
            more = step()
    finally:
        sel.close()


def _send(fd: int, obj: object) -> None:
    """One message: ``obj`` pickled, after its length (see how :func:`_collect` reads them)."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    _write_all(fd, _RECORD.pack(len(data)) + data)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic GC while compiling (or storing) many chapters.

    Every chapter's cards stay alive, so each full collection walks all earlier
    chapters again (and compiling makes almost no cycles): 10-20 % of a 1,000-chapter
    compile.  Reference counting still frees everything else as usual.  Nests: only
    the outermost pause turns the GC back on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
