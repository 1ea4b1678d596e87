"""Each image's packages, installed alone into a fresh venv, import, start their entrypoint and answer ``--help``.

An image holds exactly what ``infra/docker/service.Dockerfile`` installs for its compose build args: contracts,
the package (with ``SERVICE_EXTRAS``) and ``LOCAL_DEPS``, versions from requirements.lock. A module-level import of
a package the image lacks (the operator CLI importing a service, a library only a dev install brings) shows up
here, with no docker engine: uv builds the venv from its cache, linking files rather than copying them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "infra" / "docker" / "service.Dockerfile"
COMPOSE = REPO / "compose.yaml"
UV = Path(sys.executable).with_name("uv")
SERVICE_MODULES = ("belegflow_ingest", "belegflow_ocr", "belegflow_matching", "belegflow_accrual", "belegflow_export")
# what the Dockerfile's build stage installs, the lines this file mirrors; when they change, change Image.install
INSTALL_LINES = (
    'set -- "/src/contracts" "/src/${PACKAGE_DIR}${SERVICE_EXTRAS:+[${SERVICE_EXTRAS}]}"',
    'for dep in ${LOCAL_DEPS}; do set -- "$@" "/src/${dep}"; done',
    'pip install --constraint /src/requirements.lock "$@"',
)
# the service's package, imported with every module it has (__main__ runs the service, so the entrypoint check does)
IMPORT_ALL = """
import importlib, pkgutil, sys
package = importlib.import_module(sys.argv[1])
for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    if module.name.rpartition(".")[2] != "__main__":
        importlib.import_module(module.name)
"""
# every console script of the belegflow packages: a typer app answers --help for itself and every subcommand
HELP_ALL = """
import json, sys
from importlib.metadata import distributions

failures, scripts = [], []
for dist in distributions():
    if not dist.metadata["Name"].startswith("belegflow-"):
        continue
    for point in dist.entry_points.select(group="console_scripts"):
        app = point.load()
        if type(app).__module__.partition(".")[0] != "typer":
            scripts.append(point.name)  # a service's runner: the entrypoint check starts it
            continue
        import typer
        from typer.testing import CliRunner
        root = typer.main.get_command(app)
        todo = [[]]
        while todo:
            path = todo.pop()
            result = CliRunner().invoke(app, [*path, "--help"], prog_name=point.name)
            if result.exit_code != 0:
                failures.append({"command": [point.name, *path], "output": result.output,
                                 "error": repr(result.exception)})
                continue
            scripts.append(" ".join([point.name, *path]))
            command = root
            for name in path:
                command = command.commands[name]
            if hasattr(command, "commands"):  # a group
                todo += [[*path, name] for name in command.commands]
print(json.dumps({"failures": failures, "checked": scripts}))
"""


@dataclass(frozen=True, slots=True)
class Image:
    """One image as compose builds it from the service Dockerfile."""

    name: str
    service: str
    package_dir: str
    extras: str
    local_deps: tuple[str, ...]
    command: tuple[str, ...]

    @property
    def module(self) -> str:
        return f"belegflow_{self.service}"

    def install(self) -> list[str]:
        package = f"{REPO / self.package_dir}[{self.extras}]" if self.extras else str(REPO / self.package_dir)
        return [str(REPO / "contracts"), package, *(str(REPO / dep) for dep in self.local_deps)]


def images() -> list[Image]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    found = []
    for name, spec in data["services"].items():
        build = spec.get("build")
        if not isinstance(build, dict) or build.get("dockerfile") != "infra/docker/service.Dockerfile":
            continue
        args = {str(k): str(v) for k, v in (build.get("args") or {}).items()}
        service = args["SERVICE"]
        command = spec.get("command") or ["python", "-m", f"belegflow_{service}"]  # the Dockerfile's CMD
        found.append(Image(name=str(name), service=service, package_dir=args.get("PACKAGE_DIR", f"services/{service}"),
                           extras=args.get("SERVICE_EXTRAS", ""), local_deps=tuple(args.get("LOCAL_DEPS", "").split()),
                           command=tuple(command)))
    return found


IMAGES = images()


def _clean_env(venv: Path) -> dict[str, str]:
    """The image's environment: its venv first on PATH, no BELEGFLOW_* settings, no virtualenv of ours."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("BELEGFLOW_", "VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@pytest.fixture(scope="module", params=IMAGES, ids=[image.name for image in IMAGES])
def image_venv(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Image, Path]:
    image: Image = request.param
    if not UV.exists():
        pytest.fail(f"{UV} missing: make install puts uv into the venv")
    venv = tmp_path_factory.mktemp(f"image-{image.name}") / "venv"
    subprocess.run([str(UV), "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, timeout=120)
    # the Dockerfile's install: contracts, the package with its extras, LOCAL_DEPS, the lock's versions (not editable)
    done = subprocess.run(
        [str(UV), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), "--link-mode", "hardlink",
         "--constraint", str(REPO / "requirements.lock"), *image.install()],
        capture_output=True, text=True, timeout=540, env={**os.environ, "UV_LINK_MODE": "hardlink"},
    )
    assert done.returncode == 0, f"{image.name}: install failed\n{done.stderr[-4000:]}"
    if "gpu" in image.extras.split(","):
        # the Dockerfile leaves only the CUDA build of ONNX Runtime (both share one module)
        subprocess.run([str(UV), "pip", "uninstall", "--quiet", "--python", str(venv / "bin" / "python"),
                        "onnxruntime"], check=True, timeout=120)
        subprocess.run([str(UV), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
                        "--reinstall-package", "onnxruntime-gpu", "--no-deps", "--constraint",
                        str(REPO / "requirements.lock"), "onnxruntime-gpu"], check=True, timeout=600)
    return image, venv


def _run(venv: Path, args: list[str], *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=_clean_env(venv),
                          cwd=venv.parent, stdin=subprocess.DEVNULL)


def test_the_dockerfile_installs_what_these_checks_install() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    missing = [line for line in INSTALL_LINES if line not in text]
    assert not missing, f"the Dockerfile's install changed; mirror it in Image.install: {missing}"


def test_images_are_found() -> None:
    assert {image.service for image in IMAGES} >= {"ingest", "ocr", "matching", "accrual", "export", "ops"}


def test_every_module_of_the_image_package_imports(image_venv: tuple[Image, Path]) -> None:
    image, venv = image_venv
    done = _run(venv, [str(venv / "bin" / "python"), "-c", IMPORT_ALL, image.module])
    assert done.returncode == 0, f"{image.name}: {done.stderr[-4000:]}"


def test_the_entrypoint_starts(image_venv: tuple[Image, Path]) -> None:
    # GIVEN no settings at all WHEN the image's command starts THEN it stops on its settings, not on an import
    image, venv = image_venv
    done = _run(venv, list(image.command), timeout=180)
    output = done.stdout + done.stderr
    assert "ModuleNotFoundError" not in output, f"{image.name}: {output[-4000:]}"
    assert "ImportError" not in output, f"{image.name}: {output[-4000:]}"
    assert done.returncode != 0  # a service needs its settings; `belegflow stack init` needs its URLs
    assert "BELEGFLOW_" in output or "validation error" in output.lower(), f"{image.name}: {output[-4000:]}"


def test_every_cli_command_answers_help(image_venv: tuple[Image, Path]) -> None:
    image, venv = image_venv
    done = _run(venv, [str(venv / "bin" / "python"), "-c", HELP_ALL])
    assert done.returncode == 0, f"{image.name}: {done.stderr[-4000:]}"
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["failures"] == [], f"{image.name}: {json.dumps(report['failures'], indent=1)[-4000:]}"
    if image.service == "ops":
        assert {"belegflow", "belegflow stack init", "belegflow users add", "belegflow extract"} <= set(
            report["checked"])
        top = _run(venv, [str(venv / "bin" / "belegflow"), "--help"])
        assert top.returncode == 0, top.stderr[-4000:]
        assert "stack" in top.stdout
        # a command that runs a service's code the image lacks says so in a line, never with a traceback
        extract = _run(venv, [str(venv / "bin" / "belegflow"), "extract", str(REPO / "README.md")])
        assert extract.returncode == 2
        assert "belegflow-ops[ocr]" in extract.stderr, extract.stderr[-4000:]
        assert "Traceback" not in extract.stderr, extract.stderr[-4000:]


def test_the_image_holds_only_the_service_packages_it_names(image_venv: tuple[Image, Path]) -> None:
    # its own and LOCAL_DEPS; the operator CLI's image none: it depends on contracts only, and a command that runs a
    # service's code needs an extra of belegflow-ops that the image does not install
    image, venv = image_venv
    expected = {image.module} & set(SERVICE_MODULES)
    expected |= {f"belegflow_{Path(dep).name}" for dep in image.local_deps}
    done = _run(venv, [str(venv / "bin" / "python"), "-c",
                       f"import importlib.util as u; print(*[m for m in {SERVICE_MODULES!r} if u.find_spec(m)])"])
    assert set(done.stdout.split()) == expected, done.stdout + done.stderr
