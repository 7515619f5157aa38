"""Generalisation: recall of commands/options on real chapters, and zero junk.

The expected lists are hand-checked samples from each file in
/work/shared/corpus (see SOURCES.md there).  Recall is printed as a table
(run ``pytest -s tests/test_corpus.py``) and held above a floor.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from quizkit.commandline import command_identity
from quizkit.compiler import compile_file
from quizkit.model import CardKind, CardStyle, ChapterResult

CORPUS = Path("/work/shared/corpus")
SEED = Path("/work/shared/seeds/kubernetes-01.md")

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not mounted")

EXPECTED: dict[str, tuple[list[str], list[tuple[str, str]]]] = {
    "zh-linux-command-docker.md": (
        [
            "yum install -y yum-utils",
            "yum-config-manager --add-repo https://download.docker.com/linux/centos/docker-ce.repo",
            "sudo systemctl start docker",
            "curl -fsSL https://get.docker.com -o get-docker.sh",
            "sudo sh ./get-docker.sh --dry-run",
            "sudo systemctl enable docker.service",
            "docker attach",
            "docker build",
            "docker commit",
            "docker cp",
            "docker create",
            "docker exec",
            "docker images",
            "docker ps",
            "docker pull",
            "docker push",
            "docker rm",
            "docker rmi",
            "docker run",
            "docker search",
            "docker start",
            "docker stop",
            "docker version",
            "docker wait",
            "docker pull user/image",
            "docker login",
            "docker push user/image",
            "docker network connect [OPTIONS] NETWORK CONTAINER",
            "docker network create [OPTIONS] NETWORK",
            "docker network ls [OPTIONS]",
            "docker network rm NETWORKID [NETWORKID...]",
        ],
        [
            ("docker create", "-a"),
            ("docker create", "--add-host"),
            ("docker create", "-p"),
            ("docker create", "-v"),
            ("docker create", "--rm"),
            ("docker create", "-w"),
            ("docker create", "--cgroupns"),
            ("docker create", "-P"),
            ("docker network connect", "--alias"),
            ("docker network disconnect", "-f"),
            ("docker network create", "-d"),
            ("docker network create", "--subnet"),
            ("docker network inspect", "-f"),
            ("docker network ls", "-q"),
            ("docker network ls", "--no-trunc"),
            ("docker network prune", "--filter"),
        ],
    ),
    "zh-kubernetes-notes-part1.md": (
        [
            "systemctl stop firewalld.service",
            "systemctl disable firewalld.service",
            "setenforce 0",
            "swapoff -a",
            "hostnamectl set-hostname <hostname>",
            "sysctl --system",
            "yum install ntpdate -y",
            "ntpdate time.windows.com",
            "yum makecache",
            "yum install -y kubelet kubeadm kubectl",
            "systemctl enable kubelet",
            "kubeadm token create --print-join-command",
            "kubectl get pods -n kube-system",
            "kubectl create deployment nginx --image=nginx",
            "kubectl expose deployment nginx --port=80 --type=NodePort",
            "kubectl get pod,svc",
            "kubectl --help",
            "kubectl get --help",
            "kubectl create",
            "kubectl get",
            "kubectl describe",
            "kubectl logs",
            "kubectl exec",
            "kubectl apply",
            "kubectl rollout",
            "kubectl scale",
            "kubectl taint",
            "kubectl cluster-info",
            "kubectl rollout status deployment web",
            "kubectl rollout undo deployment web",
            "kubectl set image deployment web nginx=nginx:1.15",
            "kubectl get jobs",
            "kubectl get cronjobs",
            "kubectl describe cm redis-config",
            "kubectl create configmap redis-config --from-file=redis.properties",
            "kubectl label node node1 env_role=prod",
            "kubectl delete statefulset --all",
            "mkdir -p $HOME/.kube",
            "sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config",
        ],
        [
            ("kubeadm init", "--apiserver-advertise-address"),
            ("kubeadm init", "--image-repository"),
            ("kubeadm init", "--service-cidr"),
            ("kubeadm init", "--pod-network-cidr"),
            ("kubectl expose", "--port"),
            ("kubectl expose", "--target-port"),
            ("kubectl expose", "--name"),
            ("kubectl expose", "--type"),
        ],
    ),
    "en-docker-cli-container-ls.md": (
        [
            "docker ps",
            "docker container ls",
            "docker container list",
            "docker ps --no-trunc",
            "docker ps -a",
            "docker ps --size",
            'docker ps --filter "label=color"',
            "docker ps --filter status=running",
            "docker ps --filter ancestor=ubuntu",
            "docker ps -f before=9c3527ed70ce",
            "docker ps -f since=6e63f6ff38b0",
            'docker ps --format "{{.ID}}: {{.Command}}"',
            "docker ps --format json",
            'docker network inspect --format "{{.ID}}" net1',
            "docker ps --filter network=net1",
            "docker ps --filter publish=80/udp",
        ],
        [
            ("docker ps", "-a"),
            ("docker ps", "-f"),
            ("docker ps", "--format"),
            ("docker ps", "-n"),
            ("docker ps", "-l"),
            ("docker ps", "--no-trunc"),
            ("docker ps", "-q"),
            ("docker ps", "-s"),
        ],
    ),
    "en-tldr-kubectl.md": (
        [
            "kubectl get {{pods|service|deployment|ingress|...}} {{[-o|--output]}} wide",
            "kubectl label pods {{name}} unhealthy=true",
            "kubectl get all",
            "kubectl top {{pods|nodes}}",
            "kubectl cluster-info",
            "kubectl explain {{pods.spec.containers}}",
            "kubectl logs {{pod_name}}",
            "kubectl exec {{pod_name}} -- {{ls /}}",
        ],
        [],
    ),
}

COMMAND_FLOOR = 0.8
OPTION_FLOOR = 0.9


@pytest.fixture(scope="module")
def results() -> dict[str, ChapterResult]:
    out = {name: compile_file(CORPUS / name, display_path=name) for name in EXPECTED}
    if SEED.exists():
        out["seed"] = compile_file(SEED, display_path="seed")
    return out


def _found_commands(r: ChapterResult) -> set[str]:
    found: set[str] = set()
    for c in r.cards:
        if c.kind == CardKind.COMMAND and c.style == CardStyle.TYPE:
            found.add(command_identity(c.back))
            found.update(command_identity(a) for a in c.aliases)
    return found


def _found_options(r: ChapterResult) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for c in r.cards:
        if c.kind == CardKind.OPTION:
            _, owner, flag = c.fact.split(":", 2)
            found.add((owner, flag))
    return found


def _recall(expected: list[str], found: set[str]) -> tuple[int, list[str]]:
    missing = [e for e in expected if command_identity(e) not in found]
    return len(expected) - len(missing), missing


def _option_recall(expected: list[tuple[str, str]], found: set[tuple[str, str]]) -> tuple[int, list[str]]:
    # An option counts when its flag is tied to the expected command (or a longer spelling of it).
    missing = [f"{o} {f}" for o, f in expected if not any(fo.startswith(o) and ff == f for fo, ff in found)]
    return len(expected) - len(missing), missing


def test_recall_per_corpus_file(results: dict[str, ChapterResult], figures: Callable[[str], None]) -> None:
    rows = []
    for name, (cmds, opts) in EXPECTED.items():
        r = results[name]
        hit_c, miss_c = _recall(cmds, _found_commands(r))
        hit_o, miss_o = _option_recall(opts, _found_options(r))
        rows.append((name, hit_c, len(cmds), hit_o, len(opts), len(r.cards), miss_c + miss_o))
    figures(f"{'corpus file':32} {'commands':>12} {'recall':>7} {'options':>10} {'recall':>7} {'cards':>6}")
    for name, hc, nc, ho, no, ncards, _ in rows:
        opt_recall = f"{ho / no:7.0%}" if no else "    n/a"
        figures(f"{name:32} {hc:>5}/{nc:<6} {hc / nc:7.0%} {ho:>4}/{no:<5} {opt_recall} {ncards:>6}")
    for name, *_, missing in rows:
        if missing:
            figures(f"  missed in {name}: {missing}")
    for name, hc, nc, ho, no, *_ in rows:
        assert hc / nc >= COMMAND_FLOOR, name
        if no:
            assert ho / no >= OPTION_FLOOR, name


_YAML_KEY_RE = re.compile(r"^-?\s*[\w.\"'-]+:(\s|$)")
_OUTPUT_RE = re.compile(
    r"^(?:\s*--->|Sending build context|Step \d|Successfully|CONTAINER ID|NAME\s|[0-9a-f]{12}\b|\$\s"
    r"|[\w.-]+@[\w.-]+:)"
)
_YAML_WORDS = {
    "apiVersion",
    "kind",
    "metadata",
    "spec",
    "selector",
    "template",
    "containers",
    "status",
    "livenessProbe",
    "readinessProbe",
    "People",
    "EOF",
    "name",
    "labels",
}


def test_no_junk_cards(results: dict[str, ChapterResult]) -> None:
    for name, r in results.items():
        keys = [(c.section, c.fact) for c in r.cards]
        assert len(keys) == len(set(keys)), f"duplicate facts in {name}"
        fronts_per_section = [(c.section, c.style, c.front) for c in r.cards]
        assert len(fronts_per_section) == len(set(fronts_per_section)), f"duplicate questions in {name}"
        for c in r.cards:
            assert c.front.strip(), (name, c)
            if c.style != CardStyle.CLOZE:
                assert c.back.strip(), (name, c)
            else:
                assert "{{c1::" in c.front, (name, c)
            if c.kind == CardKind.COMMAND:
                command = c.front if c.style == CardStyle.BASIC else c.back
                for cmd in (command, *c.aliases):
                    assert not _YAML_KEY_RE.match(cmd), (name, cmd)
                    assert not _OUTPUT_RE.match(cmd), (name, cmd)
                    assert cmd.split()[0] not in _YAML_WORDS, (name, cmd)
                    assert cmd == cmd.strip() and "\n" not in cmd, (name, cmd)
            if c.kind == CardKind.OPTION:
                assert c.fact.startswith("option:") and c.front.split()[0][0].islower(), (name, c)


def test_yaml_keys_never_become_commands(results: dict[str, ChapterResult]) -> None:
    found = _found_commands(results["zh-kubernetes-notes-part1.md"])
    for word in (
        "apiVersion: v1",
        "kind: Deployment",
        "replicas: 1",
        "name: Tom",
        "livenessProbe",
        "readinessProbe",
        "redis.port=6379",
        "People",
    ):
        assert command_identity(word) not in found


def test_docker_cli_output_rows_are_not_commands(results: dict[str, ChapterResult]) -> None:
    found = _found_commands(results["en-docker-cli-container-ls.md"])
    assert all(f.startswith("docker ") for f in found), sorted(found)
