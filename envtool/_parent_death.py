"""Child script: arm Linux's parent-death signal, then become the real program.

``runner.die_with_parent`` runs this file's source with ``python -I -S -c`` in front of a
long-lived child (an installer, the workload): Linux then SIGKILLs the child when envtool
dies, even by SIGKILL. The signal survives ``exec``. A wrapper is used rather than
``preexec_fn``, which is unsafe with threads (rich's progress has one).

argv: ``PARENT_PID PROGRAM [ARG...]``. Standard library only; nothing runs on import.
"""

import contextlib
import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def main() -> None:
    # Not Linux after all, or no prctl: run the program untied rather than not at all.
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != int(sys.argv[1]):
        os._exit(137)  # envtool died before the signal was armed
    os.execv(sys.argv[2], sys.argv[2:])


if __name__ == "__main__":
    main()
