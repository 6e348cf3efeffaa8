"""moto_server with this project's fixes to moto 5.2.1's Step Functions engine.

    python3 src/emulator/moto/launcher.py -H 127.0.0.1 -p PORT

takes the arguments of, and starts the server exactly as, ``python3 -m moto.server -H 127.0.0.1
-p PORT`` (``moto.server.main``), after two steps:

1. it refuses any moto but 5.2.1, the version the fixes are written against: one line on stderr,
   exit status 2;
2. it applies every fix of ``fixes.py`` (see ``fixes.FIXES``): Scheduler's at once, the Step
   Functions and CloudFormation ones just before the server first answers any service but those
   a create alone calls (EC2, Route 53, SSM, IAM, the Scheduler, moto's own API), because loading
   moto's Step Functions engine to patch it takes most of a second.

With ``LIFECYCLE_FAST_RETRIES`` set (the emulator's fast timings), the engine (once loaded) does not sleep
between Retry attempts: attempts, error names and outcomes stay the definition's, only the wait
goes, as the emulator's fast timings make every Wait state wait 0 s.

Before it answers, it loads what a create's first calls need (``LIFECYCLE_REGION``'s EC2 backend
among them), reading what never changes between starts from a cache on disk (see ``startup``).

With ``LIFECYCLE_PARENT_PID`` set, it exits as soon as that process is gone, however the parent
ended (a SIGKILL included): an emulator never outlives the command that started it.

Step Functions executes state machines once a client POSTs
``{"stepfunctions": {"execute_state_machine": true}}`` to ``/moto-api/config``. Its Task states
call back into this server at ``http://localhost:$MOTO_PORT``; moto sets MOTO_PORT to ``-p`` when
it is not already set.
"""

from __future__ import annotations

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fixes  # noqa: E402
import startup  # noqa: E402


def _exit_with_parent(parent: int) -> None:
    """Exit this process once ``parent`` no longer exists (or has been replaced, re-parenting us)."""

    def watch() -> None:
        while True:
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass
            if os.getppid() != parent:
                os._exit(0)
            time.sleep(0.5)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class _NoSleep:
    """``time`` for moto's retrier: the same module, with ``sleep`` returning at once."""

    def __getattr__(self, name: str) -> object:
        return getattr(time, name)

    @staticmethod
    def sleep(_seconds: float) -> None:
        return None


def _warm(region: str) -> None:
    """Load, before the server answers, what the first calls of a create load: the services' models,
    their API descriptions (botocore's, that moto serializes with) and the EC2 and SSM backends of
    the local account and Region (images, instance types, default VPC; public parameters). A
    caller's first calls then answer at once (``main`` has installed ``startup``'s cache first)."""
    startup.steady_dispatch()

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.core.utils import get_service_model
    from moto.ec2.models import ec2_backends
    from moto.ssm.models import ssm_backends

    for service in ("ec2", "route53", "ssm", "iam", "scheduler"):
        __import__(f"moto.{service}.models")
        __import__(f"moto.{service}.urls")
        get_service_model(service)
    ec2_backends[DEFAULT_ACCOUNT_ID][region]
    ssm_backends[DEFAULT_ACCOUNT_ID][region]
    from moto.moto_server import werkzeug_app

    for service in sorted(_UNAFFECTED):
        _PREBUILT[service] = werkzeug_app.create_backend_app(service)


#: Services whose calls never reach moto's Step Functions or CloudFormation code: served before the
#: fixes to that code are applied. Any other service (stepfunctions, cloudformation, events...)
#: has them applied before its first answer.
_UNAFFECTED = frozenset({"ec2", "route53", "ssm", "iam", "scheduler", "moto_api"})
_AT_ONCE = frozenset({"scheduler_missing_group"})
#: The apps of ``_UNAFFECTED``'s services, made by ``_warm`` before the server answers: moto makes a
#: service's app (its URL map, from every method of its responses class) on its first call.
_PREBUILT: dict[str, object] = {}


def _apply_fixes() -> None:
    """Scheduler's fix now; the rest before the first call that could reach the code they fix."""
    from moto.moto_server import werkzeug_app

    all_names = {name for name, _ in fixes.FIXES}
    fixes.apply_all(skip=all_names - _AT_ONCE)
    lock = threading.Lock()
    pending = [True]
    create_backend_app = werkzeug_app.create_backend_app

    def create_backend_app_fixed(service: str) -> object:
        if service in _PREBUILT:
            return _PREBUILT.pop(service)
        if service not in _UNAFFECTED:
            with lock:
                if pending:
                    fixes.apply_all(skip=_AT_ONCE)
                    if os.environ.get("LIFECYCLE_FAST_RETRIES"):
                        _fast_retries()
                    pending.clear()
        return create_backend_app(service)

    # moto.server binds the name when it is imported: this runs before that.
    werkzeug_app.create_backend_app = create_backend_app_fixed  # type: ignore[assignment]


def _fast_retries() -> None:
    import moto.stepfunctions.parser.asl.component.common.retry.retrier_decl as retrier_decl

    retrier_decl.time = _NoSleep()  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> int:
    installed = fixes.installed_moto_version()
    if installed != fixes.MOTO_VERSION:
        found = f"moto {installed} is installed" if installed else "moto is not installed"
        print(
            f"{found}; this emulator patches moto {fixes.MOTO_VERSION} exactly:"
            " python3 -m pip install -r requirements-dev.txt",
            file=sys.stderr,
        )
        return 2
    region = os.environ.get("LIFECYCLE_REGION", "us-east-1")
    startup.install(fixes.MOTO_VERSION, region)
    _apply_fixes()
    parent = os.environ.get("LIFECYCLE_PARENT_PID")
    if parent:
        _exit_with_parent(int(parent))

    _warm(region)

    import moto.server

    # moto's handler raises SystemExit and the interpreter then winds down its request threads:
    # most of a second for a server whose state lives in memory only. Exit at once instead.
    moto.server.signal_handler = lambda *_: os._exit(0)
    moto.server.main(sys.argv[1:] if argv is None else argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
