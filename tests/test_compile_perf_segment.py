"""Segmenting only the copula's clause gives the same terms as segmenting the whole sentence.

``prose._cjk_terms`` cuts only the run of jieba "han" characters that holds the first
copula token plus the predicate clause after it.  This checks it against the previous
implementation (a jieba cut of the whole sentence, kept below verbatim) on every
sentence of the shared corpus, the seed chapter, the shipped decks and the test
fixtures, plus hand-made edge cases.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from quizkit.compiler import prose
from quizkit.compiler.blocks import parse_blocks
from quizkit.compiler.segment import posseg_cut

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def _whole_sentence_terms(sentence: str) -> tuple[list[str], bool]:
    """``_cjk_terms`` as it was: jieba's cut of the whole sentence."""
    if prose._COPULA_CHARS_RE.search(sentence) is None:
        return [], False
    pairs = posseg_cut(sentence)
    idx = next((i for i, (w, _) in enumerate(pairs) if w in prose._CJK_COPULAS), None)
    if idx is None:
        return [], False
    terms: list[str] = []
    start = idx
    while start > 0 and pairs[start - 1][1] != "x":
        start -= 1
    subj_pairs = [(w, f) for w, f in pairs[start:idx] if w.strip()]
    while subj_pairs and subj_pairs[-1][1][:1] in prose._FUNCTION_TAGS:
        subj_pairs.pop()
    nounish_subject = bool(subj_pairs) and prose._nounish(subj_pairs[-1][1])
    subject = "".join(w for w, _ in subj_pairs).strip() if nounish_subject else ""
    subject = prose._LEAD_WORDS.sub("", subject)
    if "的" in subject:
        subject = subject.rsplit("的", 1)[1]
    subject = subject.strip(" “”\"'")
    if (
        2 <= len(subject) <= 12
        and subject not in prose._PRONOUNS
        and not any(g in subject for g in prose._GENERIC_HEADS)
    ):
        terms.append(subject)
    runs: list[str] = []
    cur: list[str] = []
    rest = pairs[idx + 1 :]
    for k, (w, f) in enumerate(rest):
        if f == "x" and w.strip() in "，,。；;！？!?":
            break
        at_end = k + 1 == len(rest) or rest[k + 1][1] == "x"
        if prose._nounish(f) or (cur and f == "v" and len(w) >= 2 and at_end):
            cur.append(w)
        else:
            if cur:
                runs.append("".join(cur).strip())
            cur = []
    if cur:
        runs.append("".join(cur).strip())
    runs = [r for r in runs if 2 <= len(r) <= 10 and r not in prose._GENERIC_HEADS]
    if runs:
        terms.append(max(reversed(runs), key=len))
    return terms, True


def _chapter_files() -> list[Path]:
    files = sorted((SHARED / "corpus").rglob("*.md")) + sorted((SHARED / "seeds").glob("*.md"))
    files += sorted((REPO / "decks").rglob("*.md")) + sorted((REPO / "tests" / "fixtures").rglob("*.md"))
    return files


def _candidate_sentences(text: str) -> set[str]:
    """Every sentence the prose extractor could hand to ``_cjk_terms``, and more."""
    out: set[str] = set()
    blocks = parse_blocks(text.replace("\r\n", "\n"), "t.md")
    pieces = [b.plain for b in blocks if b.plain] + [b.raw for b in blocks if b.raw]
    pieces += [cell for b in blocks for row in b.rows for cell in row]
    pieces.append(text)
    for piece in pieces:
        previous: str | None = None
        for sentence in prose.sentences(piece):
            out.add(sentence)
            why = prose._why(sentence, previous)
            if why is not None:
                out.add(why[0])  # why-questions are analysed too
            previous = sentence
        out.update(line.strip() for line in piece.split("\n") if line.strip())
    return out


EDGE_CASES = [
    "指令是用来控制容器的命令",  # 指 inside a word first, the copula later
    "这个指令就是指容器的入口",
    "但是Docker是一个开源的应用容器引擎，基于Go语言",
    "镜像（Image）就是一个只读的模板。镜像可以用来创建 Docker 容器",
    "Kubernetes 是 一个 容器 编排 系统",  # spaces end the clause
    "Pod\u3000是最小的调度单位\u3000也是",  # ideographic space
    "Pod\u00a0是最小的调度单位\u00a0",  # no-break space
    "Pod是最小的调度单位\r\n其余",
    "Pod是最小的调度单位\r",
    "dockr42是Docker的后台进程：负责管理容器“生命周期”，以及网络",
    "容器即服务指的是把容器当作服务交付",
    "也就是说，namespace是隔离的关键技术",
    "所谓的cgroups就是指控制组，用来限制资源",
    "v1.2.3_beta#x&y+z是版本号",
    "是",
    "是。",
    "，是",
    "叫做",
    "A是B是C是D",
    "它称为“沙盒”机制！所以安全",
]


def test_han_run_pattern_is_jiebas() -> None:
    import jieba.posseg  # type: ignore[import-untyped]

    assert "(" + prose._HAN_RUN_RE.pattern + ")" == jieba.posseg.re_han_internal.pattern
    assert jieba.posseg.re_skip_internal.pattern == "(\r\n|\\s)"


def test_clause_end_regex_is_the_strip_test() -> None:
    """``_CLAUSE_END_RE`` matches a one-character token exactly when ``w.strip() in _CLAUSE_END``."""
    mismatches = [
        hex(cp)
        for cp in range(sys.maxunicode + 1)
        if (prose._CLAUSE_END_RE.fullmatch(chr(cp)) is not None) != (chr(cp).strip() in prose._CLAUSE_END)
    ]
    assert mismatches == []


def test_clause_tokens_are_a_slice_of_the_whole_cut() -> None:
    for sentence in EDGE_CASES:
        clause = prose._copula_clause(sentence)
        whole = posseg_cut(sentence)
        if clause is None:
            assert not any(w in prose._CJK_COPULAS for w, _ in whole), sentence
            continue
        pairs, idx = clause
        first = next(i for i, (w, _) in enumerate(whole) if w in prose._CJK_COPULAS)
        # The clause's tokens appear in the whole cut, with the copula at the same place.
        offset = first - idx
        assert offset >= 0 and whole[offset : offset + len(pairs)] == pairs, sentence


@pytest.mark.skipif(not (SHARED / "corpus").is_dir(), reason="shared corpus not mounted")
def test_clause_terms_equal_whole_sentence_terms_on_every_sentence() -> None:
    sentences: set[str] = set(EDGE_CASES)
    for path in _chapter_files():
        sentences |= _candidate_sentences(path.read_text(encoding="utf-8-sig"))
    with_copula = [s for s in sorted(sentences) if prose._COPULA_CHARS_RE.search(s)]
    assert len(with_copula) > 300  # the corpus is there and has Chinese definitions
    prose._cjk_terms.cache_clear()
    diffs = [
        (s, prose._cjk_terms(s), _whole_sentence_terms(s))
        for s in with_copula
        if prose._cjk_terms(s) != _whole_sentence_terms(s)
    ]
    assert diffs == []
