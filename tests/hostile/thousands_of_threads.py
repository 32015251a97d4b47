"""Starts thousands of threads that never end."""
import threading
import time

threads = []
for _ in range(5000):
    t = threading.Thread(target=time.sleep, args=(3600,), daemon=True)
    t.start()
    threads.append(t)


def _cheat(*args, **kwargs):
    raise NotImplementedError

# labkit-corpus: answers
