"""jieba's part-of-speech cut (``jieba.posseg.cut(text, HMM=False)``) on a dictionary in SQLite.

Loading jieba costs 1.5-3 s per process before the first word: importing it
(``pkg_resources``), unmarshalling its 500k-entry prefix dictionary and parsing
``dict.txt`` again for the part-of-speech tags.  A compile only segments a few
sentences per chapter, so this module keeps the same dictionary (jieba's own
``FREQ``, ``total`` and ``word_tag_tab``, exported once) in an indexed SQLite
file in the temporary folder, next to jieba's own ``jieba.cache``, and looks up
only the fragments a sentence needs, memoised for the process.

The cut itself is a line-for-line port of jieba 0.42's no-HMM path
(``POSTokenizer.__cut_internal`` / ``__cut_DAG_NO_HMM``, ``Tokenizer.get_DAG`` /
``calc``), so it returns the same (word, flag) pairs; ``tests/test_compiler.py``
checks that against jieba itself.  When the file cannot be built or read,
:func:`posseg_cut` falls back to jieba.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from math import log
from pathlib import Path

FORMAT = 1  # bump when the file's layout changes

# jieba/posseg/__init__.py, verbatim.
_RE_HAN_INTERNAL = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._]+)")
_RE_SKIP_INTERNAL = re.compile("(\r\n|\\s)")
_RE_ENG = re.compile("[a-zA-Z0-9]+")
_RE_NUM = re.compile("[\\.0-9]+")
_RE_ENG1 = re.compile("^[a-zA-Z0-9]$", re.U)

_CHUNK = 500  # fragments per lookup query (SQLite's variable limit is far above)

Entry = tuple[int, str | None] | None  # (frequency, tag) of a dictionary fragment; None: absent


class Segmenter:
    """The no-HMM part-of-speech cut over a dictionary SQLite file."""

    def __init__(self, path: Path) -> None:
        self.con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        row = self.con.execute("SELECT value FROM meta WHERE key = 'total'").fetchone()
        self.logtotal = log(int(row[0]))
        self.memo: dict[str, Entry] = {}
        self.scores: dict[str, float] = {}  # log(freq or 1) - log(total), per fragment
        self.blocks: dict[str, list[tuple[str, str]]] = {}  # cut of each run of word characters

    def _fetch(self, frags: set[str]) -> None:
        memo = self.memo
        missing = [f for f in frags if f not in memo]
        for i in range(0, len(missing), _CHUNK):
            part = missing[i : i + _CHUNK]
            for f in part:
                memo[f] = None
            marks = ",".join("?" * len(part))
            for w, freq, tag in self.con.execute(f"SELECT w, f, t FROM d WHERE w IN ({marks})", part):
                memo[w] = (freq, tag)

    def _dag(self, s: str) -> list[list[int]]:
        """``Tokenizer.get_DAG``: fragments are looked up length by length, all starts at once."""
        n = len(s)
        memo = self.memo
        found: list[list[int]] = [[] for _ in range(n)]
        active = list(range(n))
        length = 1
        while active:
            self._fetch({s[k : k + length] for k in active})
            following = []
            for k in active:
                entry = memo[s[k : k + length]]
                if entry is None:
                    continue
                if entry[0]:
                    found[k].append(k + length - 1)
                if k + length < n:
                    following.append(k)
            active = following
            length += 1
        return [ends or [k] for k, ends in enumerate(found)]

    def _score(self, frag: str) -> float:
        entry = self.memo.get(frag)
        score = log((entry[0] if entry is not None else None) or 1) - self.logtotal
        self.scores[frag] = score
        return score

    def _tag(self, word: str) -> str:
        entry = self.memo.get(word)
        tag = entry[1] if entry is not None else None
        return tag if tag is not None else "x"

    def _cut_dag_no_hmm(self, sentence: str) -> list[tuple[str, str]]:
        done = self.blocks.get(sentence)
        if done is not None:
            return done
        dag = self._dag(sentence)
        n = len(sentence)
        route: list[tuple[float, int]] = [(0, 0)] * (n + 1)
        scores = self.scores
        score = self._score
        for idx in range(n - 1, -1, -1):
            best: tuple[float, int] | None = None
            for x in dag[idx]:
                frag = sentence[idx : x + 1]
                s = scores.get(frag)
                if s is None:
                    s = score(frag)
                # jieba: max((log(FREQ.get(frag) or 1) - logtotal + route[x + 1][0], x) for x in DAG[idx])
                cand = (s + route[x + 1][0], x)
                if best is None or cand > best:
                    best = cand
            assert best is not None
            route[idx] = best
        out: list[tuple[str, str]] = []
        x = 0
        buf = ""
        while x < n:
            y = route[x][1] + 1
            l_word = sentence[x:y]
            if _RE_ENG1.match(l_word):
                buf += l_word
                x = y
            else:
                if buf:
                    out.append((buf, "eng"))
                    buf = ""
                out.append((l_word, self._tag(l_word)))
                x = y
        if buf:
            out.append((buf, "eng"))
        self.blocks[sentence] = out
        return out

    def cut(self, sentence: str) -> Iterator[tuple[str, str]]:
        """``jieba.posseg.cut(sentence, HMM=False)`` as (word, flag) pairs."""
        for blk in _RE_HAN_INTERNAL.split(sentence):
            if _RE_HAN_INTERNAL.match(blk):
                yield from self._cut_dag_no_hmm(blk)
            else:
                for x in _RE_SKIP_INTERNAL.split(blk):
                    if _RE_SKIP_INTERNAL.match(x):
                        yield x, "x"
                    else:
                        for xx in x:
                            if _RE_NUM.match(xx):
                                yield xx, "m"
                            elif _RE_ENG.match(x):
                                yield xx, "eng"
                            else:
                                yield xx, "x"


def _jieba_dir() -> Path | None:
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def dictionary_file() -> Path | None:
    """Where the SQLite copy of jieba's default dictionary lives (named after dict.txt's identity)."""
    root = _jieba_dir()
    if root is None:
        return None
    try:
        st = (root / "dict.txt").stat()
    except OSError:
        return None
    ident = f"{FORMAT}\0{root}\0{st.st_size}\0{st.st_mtime_ns}".encode()
    folder = Path(tempfile.gettempdir()) / f"quizkit-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    return folder / f"jieba-dict-{hashlib.sha1(ident).hexdigest()[:16]}.sqlite3"


def _jieba_tables() -> tuple[dict[str, int], int, dict[str, str]]:
    import logging

    import jieba  # type: ignore[import-untyped]
    import jieba.posseg  # type: ignore[import-untyped]

    jieba.setLogLevel(logging.WARNING)
    jieba.dt.check_initialized()
    return jieba.dt.FREQ, jieba.dt.total, jieba.posseg.dt.word_tag_tab


def build(path: Path) -> None:
    """Export jieba's dictionary (prefix frequencies, total, tags) to ``path`` (atomically)."""
    freq, total, tags = _jieba_tables()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        con = sqlite3.connect(tmp)
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        con.execute("CREATE TABLE d (w TEXT PRIMARY KEY, f INTEGER NOT NULL, t TEXT) WITHOUT ROWID")
        con.execute("INSERT INTO meta VALUES ('total', ?)", (str(total),))
        words = set(freq) | set(tags)
        con.executemany(
            "INSERT INTO d VALUES (?, ?, ?)",
            ((w, freq.get(w, 0), tags.get(w)) for w in sorted(words)),
        )
        con.commit()
        con.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _open() -> Segmenter | None:
    path = dictionary_file()
    if path is None:
        return None
    for attempt in range(2):
        try:
            if not path.exists():
                build(path)
            return Segmenter(path)
        except (OSError, sqlite3.Error, ValueError, TypeError):
            if attempt == 0:
                try:
                    path.unlink(missing_ok=True)  # a damaged copy: build it again
                except OSError:
                    return None
    return None


def _jieba_cut() -> Callable[[str], Iterator[tuple[str, str]]]:
    import logging

    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)

    def cut(sentence: str) -> Iterator[tuple[str, str]]:
        for pair in jieba.posseg.cut(sentence, HMM=False):
            yield pair.word, pair.flag

    return cut


_CUT: Callable[[str], Iterator[tuple[str, str]]] | None = None


def posseg_cut(sentence: str) -> list[tuple[str, str]]:
    """(word, part-of-speech flag) pairs of ``sentence``, exactly as jieba's no-HMM posseg cut."""
    global _CUT
    if _CUT is None:
        seg = _open()
        _CUT = seg.cut if seg is not None else _jieba_cut()
    return list(_CUT(sentence))
