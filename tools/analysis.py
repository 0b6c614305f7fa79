"""Repository analysis: which framework, its configuration and its history, in one value.

Every adapter of the registry looks at the same RepoFacts; the results are ranked by
confidence. One framework is chosen only when it is unambiguous or the person named it
(`--framework alembic`, or `alembic@services/billing` in a monorepo with two histories):
guessing between two histories would put a migration in the wrong one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .errors import DetectionError
from .frameworks import registry
from .frameworks.base import Evidence, Framework, FrameworkConfig, History
from .repo import RepoFacts


@dataclass(frozen=True)
class Detection:
    framework: Framework
    evidence: Evidence

    @property
    def label(self) -> str:
        root = self.evidence.root
        return self.framework.name if root in ("", ".") else f"{self.framework.name}@{root}"


@dataclass(frozen=True)
class Analysis:
    repo: RepoFacts
    detection: Detection
    config: FrameworkConfig
    history: History
    others: tuple[Detection, ...] = ()

    @property
    def framework(self) -> Framework:
        return self.detection.framework

    def next_name(self, description: str, now: datetime | None = None) -> str:
        return self.framework.next_name(
            self.repo, self.config, self.history, description, now or datetime.now(UTC)
        )


def detect_all(repo: RepoFacts) -> list[Detection]:
    """Every framework found, most confident first (ties keep the registry's order)."""
    found = [
        Detection(adapter, evidence)
        for adapter in registry().values()
        for evidence in adapter.detect(repo)
    ]
    return sorted(found, key=lambda d: -d.evidence.confidence)


def choose(detections: list[Detection], wanted: str | None, path: str) -> Detection:
    """Pick the one detection to work on, or explain how to pick."""
    known = sorted(registry())
    if wanted:
        name, _, root = wanted.partition("@")
        if name not in registry():
            raise DetectionError(f"unknown framework {name!r}", f"use one of: {', '.join(known)}")
        matches = [
            d
            for d in detections
            if d.framework.name == name
            and (not root or d.evidence.root.strip("/") == root.strip("/"))
        ]
        if not matches:
            raise DetectionError(
                f"{wanted} was not found in {path}",
                "check the path, or drop --framework to see what was detected",
            )
        if len(matches) > 1:
            labels = ", ".join(d.label for d in matches)
            raise DetectionError(
                f"{name} is used in several places: {labels}",
                f"pick one: --framework {matches[0].label}",
            )
        return matches[0]
    if not detections:
        raise DetectionError(
            f"no migration framework found in {path}",
            f"point at the repository root, or name one with --framework ({', '.join(known)})",
        )
    strong = [d for d in detections if d.evidence.confidence >= 0.5] or detections
    if len(strong) > 1:
        labels = ", ".join(d.label for d in strong)
        raise DetectionError(
            f"several migration frameworks found: {labels}",
            f"pick one with --framework {strong[0].label}",
        )
    return strong[0]


def analyse(path: str | Path, framework: str | None = None) -> Analysis:
    """Detect, read the configuration and the history. Reads files only; runs nothing."""
    repo = RepoFacts.load(path)
    detections = detect_all(repo)
    chosen = choose(detections, framework, str(path))
    config = chosen.framework.config(repo, chosen.evidence)
    history = chosen.framework.history(repo, config)
    others = tuple(d for d in detections if d is not chosen)
    return Analysis(repo, chosen, config, history, others)
