"""Concept and architecture cards from prose.

Cloze cards delete the key terms of definitional sentences: code spans, bold
text, quoted terms, English terms and quantities inside Chinese text, and the
subject (and key object) of ``X是…`` / ``X is …``.  Question/answer cards come
from "why" sentences (这是因为, 因为…所以, 这样才能, because) and from the
paragraphs of a comparison section (``容器与虚拟机的区别``).

Chinese segmentation is jieba's no-HMM part-of-speech cut (computed by rjieba:
:mod:`quizkit.compiler.segment`, memoised), run only on sentences that can
define something.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from quizkit.compiler.blocks import Block
from quizkit.compiler.lines import URL_RE, has_cjk, is_command
from quizkit.compiler.segment import posseg_cut
from quizkit.model import CardKind, CardStyle

_SENTENCE_RE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?|(?<=\n)")
_EN_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"(])")
_QUOTED_RE = re.compile(r"“([^”]{1,16})”|「([^」]{1,16})」|‘([^’]{1,16})’")
_EN_TERM_RE = re.compile(r"[A-Za-z][A-Za-z0-9+#._-]*(?: [A-Za-z][A-Za-z0-9+#._-]*)*")
_QUANTITY_RE = re.compile(
    r"(?<![A-Za-z0-9_.])\d+(?:\.\d+)?(?:[A-Za-z]+\d*[A-Za-z]*|(?=\s*(?:个|台|核|种|层|倍|%)))"
)
_EN_COPULA_RE = re.compile(
    r"^(?:(?:The|A|An)\s+)?([A-Za-z][\w-]*(?:\s+[A-Za-z][\w-]*){0,2})\s+(?:is|are|means|refers to)\s+",
)
_CJK_COPULAS = frozenset(["是", "就是", "指", "即", "称为", "叫做", "指的是", "就是指", "也就是"])
_PRONOUNS = frozenset(
    "这 这个 这些 那 那个 它 它们 他 我们 你 这里 那里 其 此 这也 这就 上述 所以 但 而 也".split()
)
_GENERIC_HEADS = frozenset(
    "本领 优势 目的 作用 特点 好处 原因 区别 本质 核心 关键 方式 方法 做法 情况 结果 问题 一种 东西".split()
)
_LEAD_WORDS = re.compile(
    r"^(?:因为|由于|所以|因此|而且|而|那么|但是|但|其实|另外|首先|然后|最后|同时|也|都|就|即|并且|总之|所谓的?)+"
)
_STOP_TERMS = frozenset("e.g i.e etc eg ok vs".split())
_COMPARE_HEADING_RE = re.compile(
    r"^(.{1,12}?)\s*(?:与|和|跟|同|vs\.?|VS|versus|and)\s*(.{1,12}?)\s*(?:的)?"
    r"(?:区别|对比|比较|异同|不同|差异|differences?|comparison)$",
    re.IGNORECASE,
)
_ARCH_RE = re.compile(r"架构|组件|architecture|components?|拓扑|topology", re.IGNORECASE)
_ASPECT_RE = re.compile(r"从(.{1,8}?)(?:的)?(?:角度|方面|层面)?(?:上)?来看")
_WHY_LEAD_RE = re.compile(r"^(?:这是因为|这是由于|原因是|之所以这样是因为|这是为了)")
_BECAUSE_SO_RE = re.compile(r"^(?:因为|由于)(.+?)[，,]\s*(?:所以|因此|才)(.+)$")
_SO_THAT_RE = re.compile(r"^(.{4,}?)[，,]\s*((?:这样才能|这样才|以便|为了|才能|so that|in order to).+)$")
_BECAUSE_RE = re.compile(r"^(.{4,}?)(?:[，,]\s*(因为|由于)|\s+(because)\s+)(.+)$")
_COLON_VALUE_RE = re.compile(r"[\u4e00-\u9fff]：\s*([\u4e00-\u9fffA-Za-z0-9]{2,8})[，,。；;]")
_LINK_ONLY_RE = re.compile(r"^!?\[[^\]]*\]\([^)]*\)$")
_TERM_DEF_RE = re.compile(r"^([^：:\n]{1,30}?)\s*[：:]\s*(\S.{1,300})$", re.DOTALL)


@dataclass
class ConceptFact:
    kind: CardKind
    style: CardStyle
    front: str
    back: str
    fact: str
    line: int
    section: tuple[str, ...]
    extra: str = ""
    hint: str | None = None
    terms: list[str] = field(default_factory=list)


_FUNCTION_TAGS = frozenset("dcpuyrmqe")


def _nounish(flag: str) -> bool:
    return flag.startswith("n") or flag in ("vn", "eng", "j", "l")


def _join_lines(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        a, b = m.group(1), m.group(2)
        return a + ("" if has_cjk(a) or has_cjk(b) else " ") + b

    return re.sub(r"(\S)\s*\n\s*(\S)", repl, text).strip()


def sentences(text: str) -> list[str]:
    text = _join_lines(text)
    out: list[str] = []
    for piece in _SENTENCE_RE.findall(text):
        for s in _EN_SENTENCE_RE.split(piece) if not has_cjk(piece) else [piece]:
            s = s.strip()
            if len(s) >= 4:
                out.append(s)
    return out


_COPULA_CHARS_RE = re.compile(r"是|指|即|称为|叫做")
# jieba's posseg cut splits its input into runs of these characters (its ``re_han_internal``)
# and segments each run on its own; every other character becomes a one-character token
# flagged "x" ("\r\n" excepted, a token of its own).  So cutting a slice of a sentence that
# starts and ends next to such a character yields exactly the tokens of that slice.
_HAN_RUN_RE = re.compile("[\u4E00-\u9FD5a-zA-Z0-9+#&\\._]+")
_CLAUSE_END = "，,。；;！？!?"
# An "x" token that ends the predicate clause: ``w.strip() in _CLAUSE_END`` (whitespace too).
_CLAUSE_END_RE = re.compile(r"[\s，,。；;！？!?]")


def _copula_clause(sentence: str) -> tuple[list[tuple[str, str]], int] | None:
    """Tokens of the run holding the first copula token, and the clause after it, with its index.

    Equal to jieba's cut of the whole sentence from the start of that run up to (and
    including) the first token that ends the predicate clause, which is all
    :func:`_cjk_terms` reads: the subject walks back to an "x" token (at the latest the
    character before the run) and the predicate stops at that token.  Only runs with a
    copula character can hold a copula token, so only they are cut, each on its own.
    """
    for m in _HAN_RUN_RE.finditer(sentence):
        if _COPULA_CHARS_RE.search(sentence, m.start(), m.end()) is None:
            continue
        pairs = posseg_cut(m.group())
        idx = next((i for i, (w, _) in enumerate(pairs) if w in _CJK_COPULAS), None)
        if idx is None:
            continue  # "指令", "但是": copula characters inside another word
        end = m.end()
        stop = _CLAUSE_END_RE.search(sentence, end)
        stop_at = stop.end() if stop is not None else len(sentence)
        if sentence.startswith("\r\n", stop_at - 1):
            stop_at += 1  # jieba's one "\r\n" token
        tail = sentence[end:stop_at]
        if tail:
            pairs = pairs + posseg_cut(tail)
        return pairs, idx
    return None


@functools.lru_cache(maxsize=4096)
def _cjk_terms(sentence: str) -> tuple[list[str], bool]:
    """Subject and key object of a Chinese copula sentence; (terms, is_definition)."""
    if _COPULA_CHARS_RE.search(sentence) is None:
        return [], False  # no copula: skip segmentation, the costly step
    # HMM off: dictionary words only, no Viterbi for unknown words (5-10x faster).
    # Only the copula's clause is segmented (see _copula_clause): same tokens, less text.
    clause = _copula_clause(sentence)
    if clause is None:
        return [], False
    pairs, idx = clause
    terms: list[str] = []
    start = idx
    while start > 0 and pairs[start - 1][1] != "x":
        start -= 1
    subj_pairs = [(w, f) for w, f in pairs[start:idx] if w.strip()]
    while subj_pairs and subj_pairs[-1][1][:1] in _FUNCTION_TAGS:
        subj_pairs.pop()
    nounish_subject = bool(subj_pairs) and _nounish(subj_pairs[-1][1])
    subject = "".join(w for w, _ in subj_pairs).strip() if nounish_subject else ""
    subject = _LEAD_WORDS.sub("", subject)
    if "的" in subject:
        subject = subject.rsplit("的", 1)[1]
    subject = subject.strip(" “”\"'")
    if 2 <= len(subject) <= 12 and subject not in _PRONOUNS and not any(g in subject for g in _GENERIC_HEADS):
        terms.append(subject)
    # The longest noun run of the predicate clause ("资源隔离", "系统安全").
    runs: list[str] = []
    cur: list[str] = []
    rest = pairs[idx + 1 :]
    for k, (w, f) in enumerate(rest):
        if f == "x" and w.strip() in _CLAUSE_END:
            break
        at_end = k + 1 == len(rest) or rest[k + 1][1] == "x"
        if _nounish(f) or (cur and f == "v" and len(w) >= 2 and at_end):
            cur.append(w)
        else:
            if cur:
                runs.append("".join(cur).strip())
            cur = []
    if cur:
        runs.append("".join(cur).strip())
    runs = [r for r in runs if 2 <= len(r) <= 10 and r not in _GENERIC_HEADS]
    if runs:
        best = max(reversed(runs), key=len)
        terms.append(best)
    return terms, True


def _terms(sentence: str, spans: list[tuple[str, str]]) -> tuple[list[str], bool, bool]:
    """Key terms of a sentence, whether it is definitional, whether it has marked-up terms."""
    found: list[str] = []
    strong = False
    for _kind, text in spans:
        if text and text in sentence and len(text) <= 40:
            found.append(text)
            strong = True
    for m in _QUOTED_RE.finditer(sentence):
        found.append(next(g for g in m.groups() if g))
        strong = True
    no_urls = URL_RE.sub(" ", sentence)
    definitional = False
    if has_cjk(sentence):
        for m in _EN_TERM_RE.finditer(no_urls):
            t = m.group(0).strip(" .-")
            if len(t) >= 2 and t.lower() not in _STOP_TERMS:
                found.append(t)
                strong = True
        for m in _QUANTITY_RE.finditer(no_urls):
            found.append(m.group(0))
            strong = True
        # "相同点：只读，…": the value right after a colon is what the sentence teaches.
        for m in _COLON_VALUE_RE.finditer(no_urls):
            found.append(m.group(1))
        cjk, definitional = _cjk_terms(sentence)
        found.extend(list(cjk))
    else:
        cm = _EN_COPULA_RE.match(sentence)
        if cm and cm.group(1).lower() not in ("it", "this", "that", "there", "they", "these", "you", "we"):
            found.append(cm.group(1))
            definitional = True
    # Keep the first spelling of each term; drop terms inside longer ones.
    uniq: list[str] = []
    for t in found:
        t = t.strip()
        if t and t not in uniq and "{{" not in t and "}}" not in t and len(t) < 0.7 * len(sentence):
            uniq.append(t)
    kept = [t for t in uniq if not any(t != o and t in o for o in uniq)]
    return kept, definitional, strong


def _cloze(sentence: str, terms: list[str]) -> tuple[str, list[str]]:
    taken: list[tuple[int, int, str]] = []
    for t in terms:
        pos = sentence.find(t)
        while pos >= 0 and any(pos < e and pos + len(t) > s for s, e, _ in taken):
            pos = sentence.find(t, pos + 1)
        if pos >= 0:
            taken.append((pos, pos + len(t), t))
        if len(taken) == 4:
            break
    taken.sort()
    out: list[str] = []
    last = 0
    used: list[str] = []
    for n, (s, e, t) in enumerate(taken, start=1):
        out.append(sentence[last:s])
        out.append(f"{{{{c{n}::{t}}}}}")
        used.append(t)
        last = e
    out.append(sentence[last:])
    return "".join(out), used


def _question(claim: str) -> str:
    claim = claim.strip().rstrip("。.！!，,；;")
    if has_cjk(claim):
        return f"为什么{claim}？"
    return f"Why: {claim}?"


def _why(sentence: str, previous: str | None) -> tuple[str, str] | None:
    s = sentence.strip()
    if _WHY_LEAD_RE.match(s) and previous:
        claim = re.split(r"[，,]", previous.rstrip("。."))[-1]
        return _question(claim if len(claim) >= 8 else previous), s
    for rx in (_BECAUSE_SO_RE,):
        m = rx.match(s)
        if m:
            return _question(m.group(2)), "因为" + m.group(1)
    m = _SO_THAT_RE.match(s)
    if m and len(m.group(1)) >= 6:
        return _question(m.group(1)), m.group(2)
    m = _BECAUSE_RE.match(s)
    if m and len(m.group(1)) >= 6:
        marker = m.group(2) or m.group(3)
        return _question(m.group(1)), marker + ("" if has_cjk(marker) else " ") + m.group(4)
    return None


def _slug(text: str, limit: int = 40) -> str:
    return re.sub(r"[\s`*“”\"'，,。.：:？?！!（）()]+", "", text)[:limit]


_SentenceCards = tuple[
    str,  # the sentence
    tuple[str, str, str] | None,  # why card: question, answer, fact key
    tuple[str, tuple[str, ...]] | None,  # cloze card: front, deleted terms
]


@functools.lru_cache(maxsize=8192)
def _paragraph_sentences(text: str, spans: tuple[tuple[str, str], ...]) -> tuple[_SentenceCards, ...]:
    """The why and cloze cards of a paragraph's sentences, independent of its section.

    A pure function of the text and its marked-up spans, so repeated paragraphs
    (boilerplate, copied notes) are analysed once per process.
    """
    out: list[_SentenceCards] = []
    span_list = list(spans)
    previous: str | None = None
    for sentence in sentences(text):
        if len(sentence) > 260 or is_command(sentence):
            previous = sentence
            continue
        why_card: tuple[str, str, str] | None = None
        why = _why(sentence, previous)
        if why is not None:
            q, a = why
            claim_terms, _, _ = _terms(q, span_list)
            key = "|".join(sorted(claim_terms)) or _slug(q.removeprefix("为什么").removeprefix("Why: "))
            why_card = (q, a, key)
        cloze_card: tuple[str, tuple[str, ...]] | None = None
        terms, definitional, strong = _terms(sentence, span_list)
        if terms and (definitional or strong):
            front, used = _cloze(sentence, terms)
            if used:
                cloze_card = (front, tuple(used))
        if why_card is not None or cloze_card is not None:
            out.append((sentence, why_card, cloze_card))
        previous = sentence
    return tuple(out)


class ProseExtractor:
    def __init__(self, blocks: list[Block], used: set[int], media: dict[tuple[str, ...], list[str]]) -> None:
        self.blocks = blocks
        self.used = used
        self.media = media
        self.out: list[ConceptFact] = []

    def _kind(self, section: tuple[str, ...]) -> CardKind:
        return CardKind.ARCHITECTURE if section and _ARCH_RE.search(section[-1]) else CardKind.CONCEPT

    def _add(self, fact: ConceptFact) -> None:
        if fact.front.strip() and (fact.back.strip() or fact.style == CardStyle.CLOZE):
            self.out.append(fact)

    def paragraph(self, block: Block) -> None:
        if _LINK_ONLY_RE.match(block.raw.strip()):
            return
        section = block.section
        kind = self._kind(section)
        spans = tuple((s.kind, s.text) for s in block.spans)
        for sentence, why, cloze in _paragraph_sentences(block.plain, spans):
            if why is not None:
                q, a, key = why
                why_fact = ConceptFact(
                    kind, CardStyle.BASIC, q, a, f"concept:why:{key}", block.line, section, extra=sentence
                )
                self._add(why_fact)
            if cloze is not None:
                front, used = cloze
                fact = f"{kind.value}:cloze:" + "|".join(sorted(used))
                self._add(
                    # The back is the whole sentence: what the learner sees revealed.
                    ConceptFact(
                        kind, CardStyle.CLOZE, front, sentence, fact, block.line, section, terms=list(used),
                    )
                )

    def term_item(self, block: Block) -> bool:
        """``- IfNotPresent：默认值，…`` : a term and its definition."""
        text = _join_lines(block.plain)
        m = _TERM_DEF_RE.match(text)
        if m is None:
            return False
        term, definition = m.group(1).strip(" `*"), m.group(2).strip()
        if not term or len(term.split()) > 4 or is_command(term) and " " in term or len(definition) < 2:
            return False
        where = block.section[-1] if block.section else ""
        if has_cjk(definition) or has_cjk(term):
            front = f"{where}：{term} 是什么？" if where else f"{term} 是什么？"
        else:
            front = f"{where}: what is {term}?" if where else f"What is {term}?"
        kind = self._kind(block.section)
        fact = f"concept:term:{term}"
        self._add(ConceptFact(kind, CardStyle.BASIC, front, definition, fact, block.line, block.section))
        return True

    def comparison(self, section: tuple[str, ...], paras: list[Block]) -> None:
        m = _COMPARE_HEADING_RE.match(section[-1]) if section else None
        if m is None:
            return
        a, b = m.group(1).strip(), m.group(2).strip()
        cjk = has_cjk(section[-1])
        for block in paras:
            text = _join_lines(block.plain)
            if a not in text and b not in text:
                continue
            aspect = ""
            am = _ASPECT_RE.search(text)
            if am:
                aspect = am.group(1)
            else:
                ea, eb = re.escape(a), re.escape(b)
                pm = re.search(rf"(?:{ea}[和与]{eb}|{eb}[和与]{ea})的(\w{{1,4}}?)[都是也]", text)
                first = re.split(r"[，,。]", text, maxsplit=1)[0]
                if pm:
                    aspect = pm.group(1)
                elif len(first) <= 8:
                    aspect = first
            if not aspect:
                continue
            if cjk:
                front = f"{a}与{b}在「{aspect}」上有什么区别？"
            else:
                front = f"How do {a} and {b} differ in {aspect}?"
            back = text if len(text) <= 400 else text[:400] + "…"
            fact = f"concept:compare:{a}|{b}:{aspect}"
            kind = self._kind(section)
            self._add(ConceptFact(kind, CardStyle.BASIC, front, back, fact, block.line, section))

    def architecture(self, section: tuple[str, ...], blocks: list[Block]) -> None:
        if not section or not _ARCH_RE.search(section[-1]):
            return
        comps: list[str] = []
        for block in blocks:
            names = [s.text for s in block.spans if s.kind in ("code", "strong")]
            if block.kind == "item" and block.first_in_item:
                head = re.split(r"[：:\n]", block.plain.strip(), maxsplit=1)[0].strip()
                if head and len(head) <= 30:
                    names.append(head)
            elif block.kind == "para" and has_cjk(block.plain):
                names += [m.group(0) for m in _EN_TERM_RE.finditer(URL_RE.sub(" ", block.plain))]
            for name in names:
                name = name.strip()
                if len(name) >= 2 and name not in comps and name.lower() not in _STOP_TERMS:
                    comps.append(name)
        if len(comps) < 2:
            return
        title = section[-1]
        front = f"{title}包含哪些组成部分？" if has_cjk(title) else f"What are the parts of {title}?"
        first = next((b.line for b in blocks), 0)
        self._add(
            ConceptFact(
                CardKind.ARCHITECTURE, CardStyle.BASIC, front, "、".join(comps), "architecture:components",
                first, section,
            )
        )

    def run(self) -> list[ConceptFact]:
        by_section: dict[tuple[str, ...], list[Block]] = {}
        for idx, block in enumerate(self.blocks):
            if idx in self.used or block.kind not in ("para", "item") or not block.plain.strip():
                continue
            by_section.setdefault(block.section, []).append(block)
        for section, blocks in by_section.items():
            paras: list[Block] = []
            for block in blocks:
                if block.kind == "item" and self.term_item(block):
                    continue
                self.paragraph(block)
                if block.kind == "para":
                    paras.append(block)
            self.comparison(section, paras)
            self.architecture(section, blocks)
        return self.out


def extract_concepts(
    blocks: list[Block], used: set[int], media: dict[tuple[str, ...], list[str]]
) -> list[ConceptFact]:
    return ProseExtractor(blocks, used, media).run()
