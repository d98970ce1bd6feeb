"""docker/claim-gpu.sh pins each worker replica to a GPU no other replica holds.

Run with real ``flock`` locks in a temp folder; ``nvidia-smi`` is a stand-in script that
lists the GPUs, since this machine has none.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.deploy_files import CLAIM_GPU

GPUS = ("GPU-aaaaaaaa-0000-0000-0000-000000000000", "GPU-bbbbbbbb-1111-1111-1111-111111111111")
PRINT_AND_HOLD = ["sh", "-c", 'echo "$CUDA_VISIBLE_DEVICES"; exec sleep 60']


@pytest.fixture
def host(tmp_path: Path) -> dict[str, str]:
    """The environment of a worker replica on a host with two GPUs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    smi = bin_dir / "nvidia-smi"
    smi.write_text("#!/bin/sh\n" + "".join(f"echo {uuid}\n" for uuid in GPUS))
    smi.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", CLAIM_GPU_LOCKS=str(tmp_path / "l"))
    return env


@pytest.fixture
def replicas() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        process.kill()
        process.wait()


def _start(env: dict[str, str], replicas: list[subprocess.Popen[str]]) -> str:
    """Start a replica that holds its GPU; the GPU it was given."""
    process = subprocess.Popen(
        [str(CLAIM_GPU), *PRINT_AND_HOLD], env=env, stdout=subprocess.PIPE, text=True
    )
    replicas.append(process)
    assert process.stdout is not None
    return process.stdout.readline().strip()


def _run(env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLAIM_GPU), *command], env=env, capture_output=True, text=True, timeout=30
    )


def test_each_replica_gets_its_own_gpu(
    host: dict[str, str], replicas: list[subprocess.Popen[str]]
) -> None:
    # when two replicas start on a host with two GPUs
    first, second = _start(host, replicas), _start(host, replicas)
    # then each runs on one GPU, not the same
    assert {first, second} == set(GPUS)
    # and a third finds none free and says how far to scale
    third = _run(host, "true")
    assert third.returncode == 1
    assert "all 2 GPUs are held" in third.stderr and "at most 2" in third.stderr


def test_a_stopped_replica_frees_its_gpu(
    host: dict[str, str], replicas: list[subprocess.Popen[str]]
) -> None:
    # given both GPUs held
    first = _start(host, replicas)
    _start(host, replicas)
    # when the replica on the first GPU stops
    replicas[0].kill()
    replicas[0].wait()
    # then the next replica takes that GPU
    assert _start(host, replicas) == first


def test_a_gpu_the_operator_chose_is_kept(host: dict[str, str]) -> None:
    chosen = _run(
        {**host, "CUDA_VISIBLE_DEVICES": "3"}, *PRINT_AND_HOLD[:2], "echo $CUDA_VISIBLE_DEVICES"
    )
    assert (chosen.returncode, chosen.stdout.strip()) == (0, "3")


@pytest.mark.parametrize("status", [6, 0])
def test_no_gpu_is_a_clear_error(host: dict[str, str], tmp_path: Path, status: int) -> None:
    # given an nvidia-smi that lists no GPU, failing or not
    smi = tmp_path / "bin" / "nvidia-smi"
    smi.write_text(f"#!/bin/sh\necho 'No devices were found'; exit {status}\n")
    failed = _run(host, "true")
    assert failed.returncode == 1 and "lists no GPU" in failed.stderr
