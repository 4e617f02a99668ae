"""Execute a ``Plan`` into a NEW environment, verify it, and roll back on failure.

The pipeline (``commands/install.py`` drives it): lock the target -> refuse an existing one
-> run the steps with live output and a full log -> on failure or Ctrl-C remove only what this
run created -> verify in the new environment's own python (subprocesses) -> write
``envtool-lock.json`` (exact versions and the verification) into the environment.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import fcntl
import importlib.util
import json
import os
import shutil
import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from envtool import runner
from envtool.errors import EXIT_FAILED, BadInputError, EnvtoolError, ExternalError
from envtool.model import Status, to_jsonable
from envtool.plan import Plan, plan_to_data
from envtool.util import base_version

LOCK_SUFFIX = ".envtool.lock"
PARTIAL_SUFFIX = ".envtool.partial"  # beside a target this run creates, until it is finished
LOCK_FILE = "envtool-lock.json"  # written into the new environment


class TargetBusyError(EnvtoolError):
    """Another envtool install holds the target's lock."""

    exit_code = EXIT_FAILED


# --------------------------------------------------------------------------- the target lock


def lock_path(target: str | os.PathLike[str]) -> Path:
    """``<target>.envtool.lock``, beside the target (the target itself may not exist yet)."""
    t = Path(target)
    return t.with_name(t.name + LOCK_SUFFIX)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True


@contextlib.contextmanager
def target_lock(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold an exclusive ``flock`` on ``<target>.envtool.lock`` with our pid in it.

    The kernel drops a flock when its holder dies, so a lock file left by a dead process is
    simply taken over (its stale pid is overwritten). Raises ``TargetBusyError`` while a live
    process holds it.
    """
    path = lock_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
            alive = holder.isdigit() and _pid_alive(int(holder))
            who = f"process {holder}" if alive else "another process"
            raise TargetBusyError(
                f"{target} is being installed by {who} (lock {path}); wait for it to finish"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield path
        finally:
            with contextlib.suppress(OSError):
                path.unlink()
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block SIGTERM raises ``KeyboardInterrupt``, so it rolls back like Ctrl-C."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave SIGTERM alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --------------------------------------------------------------------------- execute


def partial_marker(target: str | os.PathLike[str]) -> Path:
    """``<target>.envtool.partial``: present while an install is creating ``target``."""
    t = Path(target)
    return t.with_name(t.name + PARTIAL_SUFFIX)


def mark_partial(target: Path) -> Path:
    """Record (our pid) that this run is creating ``target``, which does not exist yet.

    Removed once the environment is complete (``envtool-lock.json`` written) or rolled back.
    A run killed outright (SIGKILL, power loss) cannot roll back; the marker tells the next
    run that the directory is its own half-made environment, not the user's.
    """
    path = partial_marker(target)
    path.write_text(f"{os.getpid()}\n", encoding="utf-8")
    return path


def recover_interrupted(target: Path) -> str:
    """Remove what a killed install left at ``target`` (its marker says it made it); '' if nothing.

    Call it holding ``target_lock``: then the process that wrote the marker is gone, since a
    live one would still hold the lock.
    """
    marker = partial_marker(target)
    if not marker.is_file():
        return ""
    holder = marker.read_text(encoding="utf-8", errors="replace").strip()
    removed = target.exists()
    if removed:
        shutil.rmtree(target)
    marker.unlink()
    if not removed:
        return ""
    return f"removed the half-made environment {target} left by an interrupted install (process {holder or '?'})"


def is_environment(path: Path) -> bool:
    """A venv (``pyvenv.cfg``) or a conda env (``conda-meta/``): what --force-recreate may delete."""
    return (path / "pyvenv.cfg").is_file() or (path / "conda-meta").is_dir()


def prepare_target(target: Path, *, force_recreate: bool) -> None:
    """Refuse an existing target, or (``force_recreate``) delete it if it is an environment."""
    if not target.exists():
        return
    if not force_recreate:
        raise BadInputError(
            f"{target} already exists; envtool only installs into a NEW environment (use --force-recreate to replace it, or another --prefix/--name)"
        )
    if not is_environment(target):
        raise BadInputError(
            f"{target} exists and is not a Python environment (no pyvenv.cfg or conda-meta); refusing to delete it"
        )
    shutil.rmtree(target)


def tail_of(log_file: Path, lines: int = 20) -> str:
    """The last lines of the log, for the error message."""
    try:
        text = log_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def execute(
    plan: Plan,
    target: Path,
    *,
    log_file: Path,
    on_line: Callable[[str], None] | None = None,
    on_step: Callable[[int, str], None] | None = None,
    keep_failed: bool = False,
    step_timeout: float = 3600.0,
    env: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Run the plan's steps; on failure or interrupt remove ``target`` if this run created it.

    Returns one record per step (argv, exit code, seconds). Raises ``ExternalError`` (exit 3)
    naming the failed command, the log's tail and the log path, or re-raises
    ``KeyboardInterrupt`` after rolling back.
    """
    existed = target.exists()
    records: list[dict[str, Any]] = []

    def rollback() -> str:
        if existed or keep_failed or not target.exists():
            return f"the half-made environment was kept at {target}" if target.exists() and keep_failed else ""
        shutil.rmtree(target, ignore_errors=True)
        return f"removed the half-made environment {target}"

    try:
        for i, step in enumerate(plan.steps, 1):
            if on_step:
                on_step(i, step.reason)
            done = runner.stream(step.argv, timeout=step_timeout, on_line=on_line, log_file=log_file, env=env)
            records.append(
                {
                    "argv": list(step.argv),
                    "stage": step.stage,
                    "returncode": done.returncode,
                    "seconds": round(done.duration_s, 2),
                }
            )
            if not done.ok:
                what = "timed out" if done.timed_out else f"exited with code {done.returncode}"
                undone = rollback()
                raise ExternalError(
                    f"step {i} ({step.stage}) {what}: `{' '.join(step.argv[:4])} ...`; {undone + '; ' if undone else ''}log: {log_file}\n{tail_of(log_file)}"
                )
    except KeyboardInterrupt:
        rollback()
        raise
    except EnvtoolError as exc:
        if not isinstance(exc, ExternalError) or "log:" not in str(exc):
            undone = rollback()
            raise ExternalError(f"{exc}; {undone + '; ' if undone else ''}log: {log_file}") from exc
        raise
    return records


# --------------------------------------------------------------------------- verify

_DISTS_SCRIPT = r"""
import importlib.metadata as m, json, sys
dists = {}
for d in m.distributions():
    name = d.metadata["Name"]
    if name and name not in dists:
        dists[name] = d.version
out = {"python": sys.version.split()[0], "dists": dists}
if "transformers" in sys.argv[1:]:
    try:
        import transformers
        out["transformers"] = transformers.__version__
    except Exception as exc:
        out["transformers_error"] = f"{type(exc).__name__}: {exc}"
print(json.dumps(out))
"""


def _check(name: str, status: Status, detail: str) -> dict[str, Any]:
    return {"check": name, "status": str(status), "detail": detail}


def check_pins(pins: Sequence[str], dists: Mapping[str, str]) -> list[dict[str, Any]]:
    """Pure: each exact pin against the installed versions (local labels like +cpu ignored)."""
    have = {canonicalize_name(k): v for k, v in dists.items()}
    out = []
    for pin in pins:
        req = Requirement(pin)
        got = have.get(canonicalize_name(req.name))
        if got is None:
            out.append(
                _check(f"installed {req.name}", Status.FAIL, f"{req.name} is not installed (wanted {req.specifier})")
            )
        elif req.specifier.contains(got, prereleases=True):
            out.append(_check(f"installed {req.name}", Status.PASS, f"{req.name} {got}"))
        else:
            out.append(_check(f"installed {req.name}", Status.FAIL, f"{req.name} {got} does not match {req.specifier}"))
    return out


def check_torch(plan: Plan, rt: Any) -> list[dict[str, Any]]:
    """Pure: the deep probe's ``TorchRuntime`` against the profile (version, CUDA build, kernels)."""
    p = plan.profile
    if rt.outcome != "ok":
        return [_check("import torch", Status.FAIL, rt.error or rt.outcome)]
    out = [_check("import torch", Status.PASS, f"torch {rt.version}")]
    ok = base_version(rt.version) == p.torch
    out.append(_check("torch version", Status.PASS if ok else Status.FAIL, f"{rt.version} (profile: {p.torch})"))
    ok = (rt.cuda or None) == p.cuda or (
        rt.cuda is not None and p.cuda is not None and rt.cuda.split(".")[:2] == p.cuda.split(".")[:2]
    )
    out.append(
        _check(
            "torch CUDA build",
            Status.PASS if ok else Status.FAIL,
            f"{'CUDA ' + rt.cuda if rt.cuda else 'CPU build'} (profile: {p.variant})",
        )
    )
    if p.is_gpu:
        out.append(
            _check(
                "CUDA available",
                Status.PASS if rt.cuda_available else Status.FAIL,
                f"torch.cuda.is_available() = {rt.cuda_available}, {rt.device_count or 0} device(s)",
            )
        )
    runs = list(rt.devices)
    gpu_runs = [d for d in runs if d.device.startswith("cuda")]
    if p.is_gpu and not gpu_runs:
        out.append(_check("kernel on each GPU", Status.FAIL, "no GPU ran the test kernel"))
    for d in runs:
        out.append(
            _check(
                f"kernel on {d.device}", Status.PASS if d.ok else Status.FAIL, d.error or f"{d.name or d.device}: ok"
            )
        )
    return out


def find_finetune_smoke() -> Path | None:
    """The folder holding the ``finetune_smoke`` package, when it can be found (not imported)."""
    spec = importlib.util.find_spec("finetune_smoke")
    if spec is None or not spec.submodule_search_locations:
        return None
    pkg = Path(next(iter(spec.submodule_search_locations)))
    return pkg.parent if (pkg / "bench.py").is_file() else None


def check_bert(python: str, *, timeout: float, env: Mapping[str, str]) -> dict[str, Any]:
    """A short BERT training step in the new environment (``finetune_smoke.bench``), or SKIP."""
    parent = find_finetune_smoke()
    if parent is None:
        return _check("BERT training step", Status.SKIP, "the finetune_smoke workload was not found beside envtool")
    child_env = dict(env)
    child_env["PYTHONPATH"] = str(parent) + (
        os.pathsep + child_env["PYTHONPATH"] if child_env.get("PYTHONPATH") else ""
    )
    child_env.setdefault("HF_HUB_OFFLINE", "1")  # the tiny model is built from a config, nothing to fetch
    done = runner.capture(
        [python, "-m", "finetune_smoke.bench", "--model", "tiny", "--steps", "2", "--warmup", "1", "--json"],
        timeout=timeout,
        env=child_env,
        tie_to_parent=True,
    )
    try:
        result = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}
    except ValueError:
        result = {}
    if done.ok and result.get("ok", True) is not False and result:
        speed = next(
            (
                f"{result[k]:.1f} {k}"
                for k in ("samples_per_s", "seq_per_s", "sequences_per_s")
                if isinstance(result.get(k), (int, float))
            ),
            "ok",
        )
        return _check("BERT training step", Status.PASS, f"finetune_smoke tiny, 2 steps: {speed}")
    err = result.get("error") if isinstance(result.get("error"), dict) else None
    why = err.get("message") if err else done.describe_failure(5)
    return _check("BERT training step", Status.FAIL, str(why))


def verify(
    plan: Plan, python: str, *, timeout: float = 300.0, env: Mapping[str, str] | None = None, bert: bool = True
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Check the new environment from its own ``python``. Returns (checks, installed dists)."""
    from envtool.probes.torch_runtime import probe_torch_runtime

    env = dict(os.environ if env is None else env)
    env.pop("PYTHONPATH", None)  # the new environment must stand on its own
    env["PYTHONNOUSERSITE"] = "1"
    argv = [python, "-c", _DISTS_SCRIPT, *(["transformers"] if _wants(plan, "transformers") else [])]
    # cwd: `python -c` puts the working directory first on sys.path; its packages are not the environment's.
    done = runner.capture(argv, timeout=timeout, env=env, cwd=os.path.dirname(python) or None)
    checks: list[dict[str, Any]] = []
    try:
        info = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return [_check("new python runs", Status.FAIL, done.describe_failure(5))], {}
    dists: dict[str, str] = info.get("dists", {})
    want_py = plan.profile.python
    ok = not want_py or info.get("python", "").startswith(want_py + ".")
    checks.append(
        _check(
            "python version", Status.PASS if ok else Status.FAIL, f"{info.get('python')} (profile: {want_py or 'any'})"
        )
    )
    checks += check_pins([*plan.torch_requirements, *plan.requirements], dists)
    if "transformers" in info:
        checks.append(_check("import transformers", Status.PASS, f"transformers {info['transformers']}"))
    elif "transformers_error" in info:
        checks.append(_check("import transformers", Status.FAIL, info["transformers_error"]))
    if plan.profile.torch:
        rt, _note = probe_torch_runtime(python, timeout=timeout, env=env)
        checks += check_torch(plan, rt)
        if bert and rt.outcome == "ok" and "transformers" in info:
            checks.append(check_bert(python, timeout=timeout, env=env))
        elif bert:
            checks.append(_check("BERT training step", Status.SKIP, "needs torch and transformers to import"))
    else:
        checks.append(_check("torch", Status.SKIP, f"profile {plan.profile.name} installs no torch"))
    return checks, dists


def _wants(plan: Plan, name: str) -> bool:
    return any(canonicalize_name(Requirement(r).name) == name for r in plan.requirements)


def verification_ok(checks: Sequence[Mapping[str, Any]]) -> bool:
    return all(c["status"] != str(Status.FAIL) for c in checks)


def write_lock(
    target: Path,
    plan: Plan,
    dists: Mapping[str, str],
    checks: Sequence[Mapping[str, Any]],
    steps: Sequence[Mapping[str, Any]],
) -> Path:
    """``envtool-lock.json`` in the environment: the plan, exact versions, the verification."""
    from envtool import __version__

    data = {
        "schema": "envtool-lock/1",
        "envtool_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "profile": to_jsonable(plan.profile),
        "plan": plan_to_data(plan),
        "steps": list(steps),
        "installed": dict(sorted(dists.items(), key=lambda kv: kv[0].lower())),
        "verification": {"ok": verification_ok(checks), "checks": list(checks)},
    }
    path = target / LOCK_FILE
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def activation_hint(plan: Plan) -> str:
    """How to use the new environment."""
    if plan.backend == "conda":
        where = plan.prefix or plan.name
        return f"{plan.tool} activate {where}"
    if plan.platform == "win32":
        return f"{plan.prefix}\\Scripts\\activate"
    return f"source {plan.prefix}/bin/activate"
