"""moto_server with this project's fixes to moto 5.2.1's Step Functions engine.

    python3 src/emulator/moto/launcher.py -H 127.0.0.1 -p PORT

takes the arguments of, and starts the server exactly as, ``python3 -m moto.server -H 127.0.0.1
-p PORT`` (``moto.server.main``), after two steps:

1. it refuses any moto but 5.2.1, the version the fixes are written against: one line on stderr,
   exit status 2;
2. it applies every fix of ``fixes.py`` (see ``fixes.FIXES``).

Step Functions executes state machines once a client POSTs
``{"stepfunctions": {"execute_state_machine": true}}`` to ``/moto-api/config``. Its Task states
call back into this server at ``http://localhost:$MOTO_PORT``; moto sets MOTO_PORT to ``-p`` when
it is not already set.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fixes  # noqa: E402


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

    from moto.server import main as moto_server_main

    moto_server_main(sys.argv[1:] if argv is None else argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
