"""Answer grading: tables of equivalent and different commands, cloze, choices."""

from __future__ import annotations

import random

import pytest

from quizkit import grading
from quizkit.model import CardKind, CardSpec, CardStyle, CardView, Choice


@pytest.mark.parametrize(
    ("expected", "answer"),
    [
        ("docker ps", "docker ps"),
        ("docker ps", "  docker    ps "),
        ("docker ps -a", "sudo docker ps -a"),
        ("sudo apt install -y docker.io", "apt install -y docker.io"),
        ("docker run -it busybox", "docker run -i -t busybox"),
        ("docker ps -aq", "docker ps -a -q"),
        ("docker ps -aq", "docker ps -q -a"),
        ("docker ps -a -q", "docker ps -qa"),
        ("docker images", "docker image ls"),
        ("docker image ls", "docker images"),
        ("docker rmi [imageName]", "docker image rm nginx"),
        ("docker rmi [imageName]", "docker rmi nginx:1.25"),
        ("docker rmi [imageName]", "docker rmi <image>"),
        ("docker top [containerId]", "docker container top abc123"),
        ("docker ps", "docker container ls"),
        ("kubectl get pods", "kubectl get po"),
        (
            "kubectl get pod -n kube-system",
            "kubectl get pods --namespace=kube-system".replace("--namespace=", "-n "),
        ),
        ("kubectl logs --tail=10 web", "kubectl logs --tail 10 web"),
        ('git commit -m "first commit"', "git commit -m 'first commit'"),
        ("echo 'a  b'", 'echo "a  b"'),
        ("sudo usermod -aG docker ${USER}", "usermod -aG docker $me"),
    ],
)
def test_equivalent_commands_score_5(expected: str, answer: str) -> None:
    graded = grading.grade_command(answer, expected)
    assert graded.grade == 5, graded


@pytest.mark.parametrize(
    ("expected", "answer", "grade"),
    [
        ("docker ps", "dokcer ps", 4),  # transposition
        ("docker images", "docker imgaes", 4),
        ("kubectl describe pod web", "kubectl describ pod web", 4),
        ("docker container inspect web", "dokcer container inspcet web", 3),
        ("kubectl get deployments", "kubectl get dploymnts", 3),  # two edits in a long word
    ],
)
def test_small_typos_are_3_or_4(expected: str, answer: str, grade: int) -> None:
    graded = grading.grade_command(answer, expected)
    assert graded.grade == grade, graded
    assert any(p.op == "typo" for p in graded.diff)


def test_a_misspelt_short_word_is_only_close() -> None:
    graded = grading.grade_command("kubectl describ pod wbe", "kubectl describe pod web")
    assert (graded.grade, graded.reason) == (2, "close, but not the same command")


@pytest.mark.parametrize(
    ("expected", "answer"),
    [
        ("docker rmi [imageName]", "docker rm nginx"),  # another command, not a typo
        ("docker ps -a", "docker ps -q"),  # another flag
        ("docker ps -a", "docker ps -A"),  # flags are case-sensitive
        ("docker ps -a", "docker ps"),  # missing flag
        ("docker ps", "docker ps -a"),  # extra flag
        ("docker images", "docker image rm"),
        ("docker stop web", "docker start web"),
        ("kubectl get pods", "kubectl get nodes"),
        ("docker ps", "ls -la"),
    ],
)
def test_different_commands_are_below_3(expected: str, answer: str) -> None:
    graded = grading.grade_command(answer, expected)
    assert graded.grade < 3, graded
    assert not graded.correct


def test_unrelated_answer_is_1_and_blank_is_0() -> None:
    assert grading.grade_command("ls -la /tmp", "docker ps").grade == 1
    blank = grading.grade_command("   ", "docker ps -a")
    assert blank.grade == 0 and blank.reason == "no answer"
    assert [p.expected for p in blank.diff] == ["docker", "ps", "-a"]


def test_card_aliases_are_accepted_and_diff_names_the_difference() -> None:
    assert (
        grading.grade_command("docker stats --no-stream", "docker top", ["docker stats --no-stream"]).grade
        == 5
    )
    graded = grading.grade_command("docker ps -q", "docker ps -a")
    assert graded.expected == "docker ps -a"
    assert [(p.op, p.expected, p.given) for p in graded.diff] == [
        ("same", "docker", "docker"),
        ("same", "ps", "ps"),
        ("missing", "-a", ""),
        ("extra", "", "-q"),
    ]


def test_normalize_command() -> None:
    assert grading.normalize_command("sudo docker ps -aq") == ["docker", "container", "ls", "-a", "-q"]
    assert grading.normalize_command("kubectl get svc --output=wide") == [
        "kubectl",
        "get",
        "services",
        "--output",
        "wide",
    ]
    # repeated letters are not a flag group (find -name)
    assert grading.normalize_command("find . -nn x") == ["find", ".", "-nn", "x"]


@pytest.mark.parametrize(
    ("answer", "grade"),
    [
        ("VirtualBox", 5),
        ("virtualbox", 5),
        ("VirtualBx", 4),
        ("Vagrant", 1),
        ("", 0),
    ],
)
def test_grade_text_one_term(answer: str, grade: int) -> None:
    assert grading.grade_text(answer, ["VirtualBox"]).grade == grade


def test_grade_text_several_terms_in_order() -> None:
    terms = ["2c2g", "4g", "40G"]
    assert grading.grade_text("2c2g, 4g, 40g", terms).grade == 5
    assert grading.grade_text("2c2g；4g；40G", terms).grade == 5
    assert grading.grade_text("4g, 2c2g, 40G", terms).grade < 3


def test_cloze_blanks_hints_and_reveal() -> None:
    front = "注：{{c1::VirtualBox}} 支持 {{c2::Windows::OS}} 和 [imageName]"
    assert grading.cloze_question(front) == "注：[...] 支持 [OS] 和 [imageName]"
    assert grading.cloze_answer(front) == "注：VirtualBox 支持 Windows 和 [imageName]"
    assert grading.cloze_terms(front) == ["VirtualBox", "Windows"]


def test_grade_choice() -> None:
    assert grading.grade_choice([1], [1]).grade == 4
    assert grading.grade_choice([0], [1]).grade == 1
    assert grading.grade_choice([0, 2], [2, 0]).grade == 4
    assert grading.grade_choice([0], [0, 2]).grade == 1
    assert grading.grade_choice([], [0]).grade == 0


@pytest.mark.parametrize(
    ("text", "picks"),
    [("2", [1]), (" 1, 3 ", [0, 2]), ("1 2", [0, 1]), ("5", None), ("0", None), ("x", None), ("", None)],
)
def test_parse_choice(text: str, picks: list[int] | None) -> None:
    assert grading.parse_choice(text, 4) == picks


def _card(
    cid: str, kind: CardKind, front: str, back: str, fact: str, style: CardStyle = CardStyle.BASIC
) -> CardView:
    spec = CardSpec(kind=kind, style=style, front=front, back=back, fact=fact)
    return CardView(id=cid, deck="D", spec=spec)


def test_option_choice_takes_distractors_from_the_same_command_first() -> None:
    a = _card("a", CardKind.OPTION, "docker ps -a", "all containers", "option:docker ps:-a")
    n = _card("n", CardKind.OPTION, "docker ps -n", "last n created", "option:docker ps:-n")
    q = _card("q", CardKind.OPTION, "docker ps -q", "only ids", "option:docker ps:-q")
    f = _card("f", CardKind.OPTION, "docker logs -f", "follow", "option:docker logs:-f")
    cmd = _card("c", CardKind.COMMAND, "docker pull", "download an image", "command:docker pull:meaning")
    typed = _card(
        "t", CardKind.COMMAND, "download", "docker pull", "command:docker pull:recall", CardStyle.TYPE
    )
    question = grading.option_choice(a, [a, n, q, f, cmd, typed], random.Random(1), size=3)
    assert question is not None
    assert question.prompt == "all containers"
    assert sorted(question.options) == ["docker ps -a", "docker ps -n", "docker ps -q"]
    assert [question.options[i] for i in question.correct] == ["docker ps -a"]
    wide = grading.option_choice(a, [a, n, q, f, cmd, typed], random.Random(1), size=10)
    assert wide is not None and sorted(wide.options) == sorted(
        ["docker ps -a", "docker ps -n", "docker ps -q", "docker logs -f", "docker pull"]
    )
    assert grading.option_choice(a, [a, typed], random.Random(1)) is None


def test_authored_choice_keeps_which_options_are_correct() -> None:
    spec = CardSpec(
        kind=CardKind.CONCEPT,
        style=CardStyle.CHOICE,
        front="Which run containers?",
        back="",
        fact="concept:x",
        choices=(Choice("kubelet", True), Choice("etcd", False), Choice("containerd", True)),
    )
    q = grading.authored_choice(CardView(id="x", deck="D", spec=spec), random.Random(3))
    assert sorted(q.options) == ["containerd", "etcd", "kubelet"]
    assert sorted(q.options[i] for i in q.correct) == ["containerd", "kubelet"]
