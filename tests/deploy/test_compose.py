"""docker-compose.yml, the Dockerfile and .env.example say what docs/deploy.md promises.

Parsed, not run: building images needs the network for the base images. Where the
``docker`` CLI has its compose plugin, ``docker compose config`` validates the file too.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ontolabel.core.config import Settings
from support.deploy_files import (
    COMPOSE_FILE,
    DOCKERFILE,
    ENV_EXAMPLE,
    REPO_ROOT,
    Stage,
    compose_references,
    dockerfile_stages,
    env_file_values,
)

OURS = ("migrate", "api", "worker", "worker-cpu")  # the services running our images
LONG_RUNNING = ("postgres", "redis", "api", "worker", "worker-cpu")
SECRETS = ("POSTGRES_PASSWORD", "REDIS_PASSWORD")
_REQUIRED = re.compile(r"^\$\{[A-Z_]+:\?[^}]+\}$")  # ${NAME:?message}: no default


def _command(service: dict[str, Any]) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(command)


def _healthcheck(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(test)


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> ``source[:mode]`` of a service's short-syntax volumes."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target, *mode = re.sub(r"\$\{[^}]*\}", "HOST", volume).split(":")
        mounts[target] = ":".join([source, *mode])
    return mounts


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


def test_the_services_are_the_documented_ones(services: dict[str, Any]) -> None:
    assert set(services) == {"postgres", "redis", "migrate", "api", "worker", "worker-cpu"}


def test_each_service_runs_its_command(services: dict[str, Any]) -> None:
    assert _command(services["migrate"]) == "ontolabel db upgrade"
    assert _command(services["api"]).startswith("ontolabel serve --host 0.0.0.0")
    # the gpu worker consumes the gpu queue on the GPU it claims; the cpu worker the cpu queue
    assert _command(services["worker"]).startswith("ontolabel-claim-gpu ontolabel worker")
    assert "--queues gpu" in _command(services["worker"])
    assert "--queues cpu" in _command(services["worker-cpu"])


def test_every_long_running_service_has_a_healthcheck(services: dict[str, Any]) -> None:
    for name in LONG_RUNNING:
        check = services[name]["healthcheck"]
        assert not check.get("disable") and check["test"], name
        assert check["interval"] and check["timeout"] and check["retries"], name
    assert "/api/health" in _healthcheck(services["api"])
    for worker in ("worker", "worker-cpu"):
        assert "inspect ping -d celery@$$HOSTNAME" in _healthcheck(services[worker])
    assert "redis-cli ping" in _healthcheck(services["redis"])
    assert "pg_isready" in _healthcheck(services["postgres"])


def test_migrate_is_a_one_shot_the_others_wait_for(services: dict[str, Any]) -> None:
    # given the migration service: it runs once, its exit status is its health
    migrate = services["migrate"]
    assert migrate["restart"] == "no" and migrate["healthcheck"] == {"disable": True}
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    # then the api and the workers start only after it succeeded, on healthy stores
    for name in ("api", "worker", "worker-cpu"):
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"},
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }, name


def test_no_password_has_a_default(services: dict[str, Any], compose: dict[str, Any]) -> None:
    text = COMPOSE_FILE.read_text()
    # every secret is required from .env, never defaulted
    for name in SECRETS:
        assert f"${{{name}:?" in text
        assert not re.search(rf"\$\{{{name}(:?-|\}})", text), f"{name} has a default"
    # every password slot holds a required reference: URL userinfo, env keys, --requirepass
    strings = _strings(compose)
    in_urls = [m for s in strings for m in re.findall(r"://[^:/@]*:([^@]*)@", s)]
    keyed = [
        value
        for service in services.values()
        for key, value in (service.get("environment") or {}).items()
        if re.search("PASSWORD|SECRET|TOKEN|AUTH$", key) and key != "ONTOLABEL_AUTH"
    ]
    redis_command = services["redis"]["command"]
    passed = [redis_command[redis_command.index("--requirepass") + 1]]
    slots = in_urls + keyed + passed
    # the database and Redis URLs; POSTGRES_PASSWORD and REDISCLI_AUTH
    assert len(set(in_urls)) == 2 and len(keyed) == 2
    for slot in slots:
        assert _REQUIRED.match(slot), slot


def test_our_containers_run_as_the_image_user(services: dict[str, Any]) -> None:
    uid = _dockerfile_uid()
    for name in OURS:
        user = str(services[name]["user"])
        assert user == f"{uid}:{uid}" and not user.startswith(("0", "root")), name
        assert services[name]["cap_drop"] == ["ALL"], name


def test_data_is_read_only_and_outputs_and_cache_are_shared(
    services: dict[str, Any], compose: dict[str, Any]
) -> None:
    declared = set(compose["volumes"])
    for name in OURS:
        service = services[name]
        env = service["environment"]
        mounts = _mounts(service)
        # the data roots are mounted read-only where ONTOLABEL_DATA_ROOTS points
        assert env["ONTOLABEL_DATA_ROOTS"] == "/data"
        assert mounts["/data"].endswith(":ro"), name
        # outputs, preview cache and home are named volumes, the same in every container
        settings = Settings(**{k.removeprefix("ONTOLABEL_").lower(): v for k, v in env.items()})
        for path in (settings.outputs, settings.cache_dir, settings.home):
            assert mounts[str(path)] in declared, (name, path)
        assert (mounts["/outputs"], mounts["/cache"]) == ("outputs", "cache")
        assert settings.cache_dir != settings.home / "cache"  # not a per-container default


def test_every_ontolabel_setting_in_compose_exists(services: dict[str, Any]) -> None:
    known = {f"ONTOLABEL_{name.upper()}" for name in Settings.model_fields}
    known.add("ONTOLABEL_AUTH")  # accounts mode, the setting of issue 14's accounts part
    for name in OURS:
        assert set(services[name]["environment"]) - {"FORWARDED_ALLOW_IPS"} <= known, name


def test_one_worker_per_gpu(services: dict[str, Any], compose: dict[str, Any]) -> None:
    worker = services["worker"]
    devices = worker["deploy"]["resources"]["reservations"]["devices"]
    assert [(d["driver"], d["capabilities"]) for d in devices] == [("nvidia", ["gpu"])]
    # every replica sees the GPUs and claims one: the lock folder is shared by the replicas
    assert _mounts(worker)["/run/ontolabel-gpus"] == "gpu-locks"
    assert "gpu-locks" in compose["volumes"]
    # the cpu worker reserves no GPU
    assert "deploy" not in services["worker-cpu"]


def test_redis_keeps_its_queue(services: dict[str, Any]) -> None:
    command = _command(services["redis"])
    assert "--maxmemory-policy noeviction" in command
    assert "--appendonly yes" in command
    assert _mounts(services["redis"])["/data"] == "redisdata"
    assert _mounts(services["postgres"])["/var/lib/postgresql/data"] == "pgdata"


def test_images_come_from_the_dockerfile_targets(services: dict[str, Any]) -> None:
    targets = {stage.name for stage in _stages()}
    for name, target in (("migrate", "api"), ("api", "api"), ("worker", "worker")):
        assert services[name]["build"] == {"context": ".", "target": target}, name
        assert target in targets
    assert services["worker-cpu"]["build"]["target"] == "worker"


def test_the_dockerfile_is_multi_stage_and_runs_as_non_root() -> None:
    stages = _stages()
    by_name = {stage.name: stage for stage in stages}
    assert {"frontend-build", "python-build", "api", "worker"} <= set(by_name)
    for target in ("api", "worker"):
        chain = _chain(by_name, by_name[target])
        # the final images are slim Python, copy what the build stages made, and run as
        # the ontolabel user; no build tool is installed in them
        assert chain[-1].base.startswith(("python:", "${PYTHON_IMAGE}")), target
        users = [u for stage in chain for u in stage.args("USER")]
        assert users and users[0] == "ontolabel", target
        assert any(arg.startswith("--from=") for arg in by_name[target].args("COPY")), target
        runs = " ".join(run for stage in chain for run in stage.args("RUN"))
        assert not re.search(r"apt-get|apk |gcc|build-essential|npm ", runs), target
    assert "npm run build" in " ".join(by_name["frontend-build"].args("RUN"))


def test_dockerignore_keeps_local_builds_out() -> None:
    ignored = (REPO_ROOT / ".dockerignore").read_text().split()
    assert {"**/node_modules", ".venv", "**/dist", ".env"} <= set(ignored)


def test_env_example_names_every_variable_and_leaves_secrets_blank() -> None:
    # given the variables compose interpolates and those .env.example names
    used = compose_references(COMPOSE_FILE.read_text())
    example = env_file_values(ENV_EXAMPLE.read_text())
    # then each is named there, none is stale, and each secret is left for the operator
    assert used == set(example)
    for name in SECRETS:
        assert example[name] == "", f"{name} has a value in .env.example"


@pytest.mark.skipif(
    subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode
    != 0
    if shutil.which("docker")
    else True,
    reason="the docker CLI with its compose plugin is absent here; CI needs no Docker, "
    "the parsed checks above cover the file",
)
def test_docker_compose_validates_the_file(tmp_path: Path) -> None:
    # given .env.example copied as it is: compose refuses it, naming the missing secret
    env = tmp_path / ".env"
    shutil.copy(ENV_EXAMPLE, env)
    refused = _compose_config(env)
    assert refused.returncode != 0 and "PASSWORD" in refused.stderr
    # when the operator fills in the secrets, the file validates
    text = ENV_EXAMPLE.read_text()
    for name in SECRETS:
        text = re.sub(rf"^{name}=$", f"{name}={secrets.token_hex(24)}", text, flags=re.M)
    env.write_text(text)
    checked = _compose_config(env)
    assert checked.returncode == 0, checked.stderr


def _compose_config(env: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE_FILE), "--env-file", str(env), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
        cwd=env.parent,
    )


def _stages() -> list[Stage]:
    return dockerfile_stages(DOCKERFILE.read_text())


def _chain(by_name: dict[str | None, Stage], stage: Stage) -> list[Stage]:
    """A stage and the stages it is built FROM, nearest first."""
    chain = [stage]
    while chain[-1].base in by_name:
        chain.append(by_name[chain[-1].base])
    return chain


def _dockerfile_uid() -> str:
    for stage in _stages():
        for arg in stage.args("ARG"):
            if arg.startswith("UID="):
                return arg.removeprefix("UID=")
    raise AssertionError("the Dockerfile sets no ARG UID")
