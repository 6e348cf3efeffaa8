"""moto_server with this project's fixes to moto 5.2.1's Step Functions engine.

    python3 src/emulator/moto/launcher.py -H 127.0.0.1 -p PORT

takes the arguments of, and starts the server exactly as, ``python3 -m moto.server -H 127.0.0.1
-p PORT`` (``moto.server.main``), after two steps:

1. it refuses any moto but 5.2.1, the version the fixes are written against: one line on stderr,
   exit status 2;
2. it applies every fix of ``fixes.py`` (see ``fixes.FIXES``).

With ``LIFECYCLE_FAST_RETRIES`` set (the emulator's fast timings), the engine does not sleep
between Retry attempts: attempts, error names and outcomes stay the definition's, only the wait
goes, as the emulator's fast timings make every Wait state wait 0 s.

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
    fixes.apply_all()
    if os.environ.get("LIFECYCLE_FAST_RETRIES"):
        _fast_retries()
    parent = os.environ.get("LIFECYCLE_PARENT_PID")
    if parent:
        _exit_with_parent(int(parent))

    from moto.server import main as moto_server_main

    moto_server_main(sys.argv[1:] if argv is None else argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
