"""Compiling one chapter: facts to cards, media, warnings; reading files safely."""

from __future__ import annotations

import collections
import contextlib
import functools
import gc
import os
import pickle
import re
import select
import selectors
import signal
import struct
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, overload
from urllib.parse import unquote

from quizkit.commandline import command_identity as _command_identity
from quizkit.compiler import segment
from quizkit.compiler.blocks import Block, parse_blocks
from quizkit.compiler.extract import CommandFact, Facts, OptionFact, extract_commands
from quizkit.compiler.prose import ConceptFact, cut_candidates, extract_concepts
from quizkit.compiler.segment import Pairs
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


@dataclass
class _Parsed:
    """A chapter after the steps that never need jieba: parsing, media, command facts."""

    source_file: str
    empty: bool
    blocks: list[Block]
    media_refs: list[MediaRef]
    warnings: list[Warning_]
    media: dict[tuple[str, ...], list[str]]
    facts: Facts


def _parse(text: str, source_file: str, base_dir: Path | None) -> _Parsed:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ChapterError("binary content (NUL byte)", file=source_file, line=line)
    blocks = parse_blocks(text, source_file)
    if base_dir is None:
        base_dir = Path(source_file).parent
    media_refs, warnings, media = _media(blocks, source_file, base_dir)
    facts = extract_commands(blocks)
    return _Parsed(source_file, not text.strip(), blocks, media_refs, warnings, media, facts)


def _finish(parsed: _Parsed) -> ChapterResult:
    """Concept cards (which may segment Chinese sentences) and the chapter's cards."""
    source_file = parsed.source_file
    concepts = extract_concepts(parsed.blocks, parsed.facts.used, parsed.media)
    out = _Cards(source_file)
    _command_cards(out, parsed.facts.commands, source_file)
    _option_cards(out, parsed.facts.options, source_file)
    _concept_cards(out, concepts, source_file, parsed.media)
    cards = sorted(out.values(), key=lambda c: c.source_line)
    warnings = parsed.warnings
    if not cards:
        warnings.append(
            Warning_(source_file, 1, "empty chapter" if parsed.empty else "no cards found in chapter")
        )
    return ChapterResult(path=source_file, cards=cards, media=parsed.media_refs, warnings=warnings)


def compile_text(text: str, *, source_file: str, base_dir: Path | None = None) -> ChapterResult:
    """Compile Markdown ``text``; images resolve against ``base_dir`` (default: the file's folder)."""
    return _finish(_parse(text, source_file, base_dir))


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


def _parse_file(path: Path) -> _Parsed:
    display = str(path)
    return _parse(_read(path, display), display, path.parent)


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
    pid: int
    results: int  # read end: length-prefixed pickled [(file index, prepared result), ...]
    requests: int  # read end: length-prefixed pickled lists of sentences to cut
    replies: int  # write end: length-prefixed pickled cuts
    # Pipe ends are -1 once closed; pid is 0 once the worker has been waited for.


def _compile_forked(
    files: list[Path],
    jobs: int,
    prepare: Callable[[ChapterResult], Any],
    meanwhile: Callable[[], None] | None,
    emit: Callable[[Any], None],
) -> None:
    """Compile ``files`` in ``jobs`` forked worker processes; this process coordinates.

    Work goes out in contiguous chunks of files through a pipe (one 4-byte chunk start
    per read), so a worker slowed by other load simply takes fewer chunks.

    jieba's dictionary takes about a second to load, and most chapters need it only at
    the end, for the copula sentences of their prose.  So the workers start at once
    and parse (Markdown, media, command facts: :func:`_parse`); meanwhile this process
    loads jieba.  When it has, it closes the *gate* pipe, and the workers finish their
    parsed chapters and every later one (:func:`_finish`), asking for each sentence to
    cut (one round trip per distinct sentence and worker) a *segmenter* process forked
    from this one with jieba loaded, whose only job that is.  ``meanwhile`` runs before
    the gate opens.  Then this process collects the results and passes each to ``emit``
    in file order as soon as the earlier ones are in (storing them, say), never holding
    up a worker.

    A worker sends its prepared results every few chapters; one that fails on a file
    stops there.  Afterwards this process compiles every file without a result (one a
    worker failed on, one left by a worker that died) in order, so an error is raised
    here, by the serial code, for the first failing file: one line naming file and
    line, exactly as without workers.
    """
    n = len(files)
    cut_here = segment.loaded()  # jieba already in memory: the workers inherit it
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
    gate_r, gate_w = os.pipe()
    workers: list[_Worker] = []
    segmenter = 0  # pid of the process answering cut requests, once forked
    try:
        for _ in range(jobs):
            others = [fd for w in workers for fd in (w.results, w.requests, w.replies)]
            workers.append(
                _fork_worker(files, chunk, queue_r, gate_r, [gate_w, *others], prepare, remote=not cut_here)
            )
        os.close(gate_r)
        gate_r = -1
        if not cut_here:
            if _needs_segmenter(files):
                segment.load()  # while the workers parse
            segmenter = _fork_segmenter(workers, [queue_r, gate_w])
        if meanwhile is not None:
            meanwhile()  # the workers are still parsing: the gate stays shut
        os.close(gate_w)
        gate_w = -1
        _serve(workers, results, done, emit_next)
        for w in workers:
            os.waitpid(w.pid, 0)
            w.pid = 0
        if segmenter:
            os.waitpid(segmenter, 0)  # it leaves when the workers have gone
            segmenter = 0
    finally:
        for fd in (queue_r, gate_r, gate_w):
            if fd >= 0:
                os.close(fd)
        for w in workers:
            for fd in (w.results, w.requests, w.replies):
                if fd >= 0:
                    os.close(fd)
        for pid in [w.pid for w in workers] + [segmenter]:
            if pid:  # only on an exception (Ctrl-C): stop the others
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
    # Anything without a result (normally nothing) is compiled here, in order: the first
    # failing file raises its own error.
    for i in range(emitted, n):
        emit(results[i] if done[i] else prepare(compile_file(files[i])))
        results[i] = None


def _fork_segmenter(workers: list[_Worker], parents: list[int]) -> int:
    """Fork the process that answers the workers' cut requests (with this one's jieba).

    This process keeps only the result pipes, so storing results never delays a worker
    waiting for a cut.  The segmenter leaves when every worker has closed its requests.
    ``parents`` are other pipe ends of this process, which the segmenter closes (an
    open copy of the gate's write end would keep the gate shut).
    """
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the segmenter, which never returns
        status = 1
        try:
            for fd in parents:
                os.close(fd)
            for w in workers:
                os.close(w.results)
                w.results = -1
            _serve(workers, [], [], lambda: False)
            status = 0
        finally:
            os._exit(status)
    for w in workers:
        os.close(w.requests)
        os.close(w.replies)
        w.requests = w.replies = -1
    return pid


def _fork_worker(
    files: list[Path],
    chunk: int,
    queue: int,
    gate_r: int,
    parents: list[int],
    prepare: Callable[[ChapterResult], Any],
    *,
    remote: bool,
) -> _Worker:
    """Fork one worker; ``parents`` are this process's pipe ends, which the worker closes."""
    results_r, results_w = os.pipe()
    requests_r, requests_w = os.pipe()
    replies_r, replies_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the worker, which never returns
        status = 1
        try:
            for fd in (results_r, requests_r, replies_w, *parents):
                os.close(fd)
            ask = None
            if remote:
                segment.use(functools.partial(_remote_cut, requests_w, replies_r))
                ask = functools.partial(_ask, requests_w, replies_r)
            _work(files, chunk, queue, gate_r, results_w, prepare, ask)
            status = 0
        finally:
            os._exit(status)
    for fd in (results_w, requests_w, replies_r):
        os.close(fd)
    return _Worker(pid, results_r, requests_r, replies_w)


def _work(
    files: list[Path],
    chunk: int,
    queue: int,
    gate: int,
    out: int,
    prepare: Callable[[ChapterResult], Any],
    ask: Callable[[list[str]], list[Pairs]] | None,
) -> None:
    """A worker: take chunks until the queue is empty or a file fails (left to the parent).

    Each chunk is parsed first.  Until the gate opens, parsed chapters wait in
    ``backlog``; then, before finishing chapters, the worker asks ``ask`` (its
    segmenter) in one batch for every cut they may need (:func:`prose.cut_candidates`).
    """
    backlog: collections.deque[tuple[int, _Parsed]] = collections.deque()
    ready: list[tuple[int, Any]] = []
    gate_open = False

    def finish_backlog() -> None:
        if ask is not None:
            wanted = {s for _, p in backlog for s in _cut_candidates(p) if not segment.known(s)}
            if wanted:
                sentences = sorted(wanted)
                segment.remember(dict(zip(sentences, ask(sentences), strict=True)))
        while backlog:
            i, parsed = backlog.popleft()
            ready.append((i, prepare(_finish(parsed))))
            if len(ready) >= _SEND_EVERY:
                send()

    def send() -> None:
        if ready:
            _send(out, ready)
            ready.clear()

    try:
        while True:
            record = os.read(queue, _RECORD.size)
            if not record:
                break
            (start,) = _RECORD.unpack(record)
            backlog.extend((i, _parse_file(files[i])) for i in range(start, min(start + chunk, len(files))))
            gate_open = gate_open or bool(select.select([gate], [], [], 0)[0])
            if gate_open:
                finish_backlog()
        finish_backlog()  # the cuts wait for the parent's jieba and the segmenter
    finally:
        send()  # what is done, also when a file failed


def _cut_candidates(parsed: _Parsed) -> Iterator[str]:
    for block in parsed.blocks:
        if block.kind in ("para", "item") and block.plain:
            yield from cut_candidates(block.plain)


def _ask(requests: int, replies: int, sentences: list[str]) -> list[Pairs]:
    """Ask the segmenter process to cut ``sentences`` (see :func:`_serve`)."""
    _send(requests, sentences)
    (size,) = _RECORD.unpack(_read_exact(replies, _RECORD.size))
    ok, value = pickle.loads(_read_exact(replies, size))
    if not ok:
        raise RuntimeError(f"segmenting failed in the segmenter process: {value}")
    return list(value)


def _remote_cut(requests: int, replies: int, sentence: str) -> list[tuple[str, str]]:
    """A cut the batch did not foresee: ask for it alone."""
    return list(_ask(requests, replies, [sentence])[0])


def _serve(workers: list[_Worker], results: list[Any], done: list[bool], step: Callable[[], bool]) -> None:
    """Answer the workers' cut requests and collect their results until all have exited.

    Whichever of the pipes this process has: the segmenter answers requests, the
    parent collects results.  Whenever nothing is waiting to be read, ``step()`` does
    one piece of the caller's work (passes on one result) and says whether there is more.
    """
    sel = selectors.DefaultSelector()
    buffers: dict[int, bytearray] = {}
    for w in workers:
        for fd in (w.results, w.requests):
            if fd >= 0:  # this process has the pipe
                sel.register(fd, selectors.EVENT_READ, w)
                buffers[fd] = bytearray()
    more = False
    try:
        while sel.get_map():
            events = sel.select(0 if more else None)
            if not events:
                more = step()
                continue
            for key, _ in events:
                w = key.data
                fd = key.fd
                data = os.read(fd, 1 << 20)
                if not data:  # the worker exited (a partial message from one that died is dropped)
                    sel.unregister(fd)
                    os.close(fd)
                    if fd == w.results:
                        w.results = -1
                    else:
                        w.requests = -1
                    continue
                buf = buffers[fd]
                buf += data
                while len(buf) >= _RECORD.size:
                    (size,) = _RECORD.unpack_from(buf)
                    if len(buf) < _RECORD.size + size:
                        break
                    message = bytes(buf[_RECORD.size : _RECORD.size + size])
                    del buf[: _RECORD.size + size]
                    if fd == w.results:
                        for i, result in pickle.loads(message):
                            results[i] = result
                            done[i] = True
                        more = True
                    else:
                        _reply(w.replies, pickle.loads(message))
        while more:  # the workers are gone; pass on what is left
            more = step()
    finally:
        sel.close()


def _reply(fd: int, sentences: list[str]) -> None:
    try:
        answer: tuple[bool, object] = (True, [tuple(segment.posseg_cut(s)) for s in sentences])
    except Exception as exc:  # the worker stops; the parent compiles its files and raises it properly
        answer = (False, repr(exc))
    with contextlib.suppress(BrokenPipeError):  # a worker that died: the parent redoes its files
        _send(fd, answer)


# Chinese copula characters: a chapter with one will most likely need jieba (prose.py).
_COPULA_BYTES_RE = re.compile("是|指|即|称为|叫做".encode())


def _needs_segmenter(files: list[Path]) -> bool:
    for path in files:
        try:
            if _COPULA_BYTES_RE.search(path.read_bytes()):
                return True
        except OSError:
            continue  # compile_file reports it
    return False


def _send(fd: int, obj: object) -> None:
    """One message: ``obj`` pickled, after its length (see how :func:`_serve` reads them)."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    _write_all(fd, _RECORD.pack(len(data)) + data)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exact(fd: int, size: int) -> bytes:
    parts: list[bytes] = []
    while size:
        part = os.read(fd, size)
        if not part:
            raise EOFError("the parent process went away")
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


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
