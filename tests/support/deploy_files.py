"""Readers of the deployment files: docker-compose.yml, the Dockerfile, .env.example."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
CLAIM_GPU = REPO_ROOT / "docker" / "claim-gpu.sh"

# `${NAME}`, `${NAME:-default}`, `${NAME:?message}`; `$${…}` is a literal dollar for the shell.
_REFERENCE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")


def compose_references(text: str) -> set[str]:
    """The variables a compose file interpolates."""
    return set(_REFERENCE.findall(text))


def env_file_values(text: str) -> dict[str, str]:
    """``NAME=value`` lines of an env file; comments and blank lines skipped."""
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs if not k.lstrip().startswith("#")}


@dataclass
class Stage:
    """One ``FROM … AS name`` stage of a Dockerfile and its instructions in order."""

    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, instruction: str) -> list[str]:
        return [a for i, a in self.instructions if i == instruction]


def dockerfile_stages(text: str) -> list[Stage]:
    """The stages of a Dockerfile: comments dropped, ``\\`` continuations joined."""
    joined = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")),
    )
    stages: list[Stage] = []
    for line in filter(None, (line.strip() for line in joined.splitlines())):
        instruction, _, args = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            words = args.split()
            words = [w for w in words if not w.startswith("--")]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
        elif stages:
            stages[-1].instructions.append((instruction, args.strip()))
    return stages
