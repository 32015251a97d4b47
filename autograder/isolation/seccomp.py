"""A seccomp filter for every job: no kernel keyring, as container runtimes' default profiles deny it.

Keys live in the kernel, per uid, outside any mount or IPC namespace: a key one job adds could be read by a
later job that gets the same uid (uids are reused across batches). Docker's and Podman's default profiles deny
`add_key`, `request_key` and `keyctl` for that reason; so does this filter (EPERM), together with every system
call of a foreign ABI (32-bit x86 or x32 on x86_64), which a Python process never makes and which would
otherwise reach the same calls under other numbers. Installed by the job itself before any learner code runs
(autograder.worker), with no_new_privs, so nothing the job starts can lift it.
"""
from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
# BPF opcodes: load a word at an absolute offset, jump if equal / greater-or-equal, return
LD_ABS_W, JEQ_K, JGE_K, RET_K = 0x20, 0x15, 0x35, 0x06
ARCH_OFFSET, NR_OFFSET = 4, 0  # offsets in struct seccomp_data
X32_BIT = 0x40000000
# machine -> (AUDIT_ARCH_*, numbers of add_key, request_key, keyctl)
ARCHES = {"x86_64": (0xC000003E, (248, 249, 250)), "aarch64": (0xC00000B7, (217, 218, 219))}
DENIED = ("add_key", "request_key", "keyctl")


def program(machine: str | None = None) -> bytes:
    """The filter as struct sock_filter[] bytes, or b"" on a machine this module does not know."""
    machine = machine or platform.machine()
    if machine not in ARCHES:
        return b""
    arch, numbers = ARCHES[machine]
    deny = RET_ERRNO | errno.EPERM
    ins = [(LD_ABS_W, 0, 0, ARCH_OFFSET),
           (JEQ_K, 1, 0, arch),                # our ABI: go on; any other ABI: deny
           (RET_K, 0, 0, deny),
           (LD_ABS_W, 0, 0, NR_OFFSET)]
    if machine == "x86_64":
        ins += [(JGE_K, 0, 1, X32_BIT), (RET_K, 0, 0, deny)]  # x32 calls carry this bit
    for i, nr in enumerate(numbers):
        ins.append((JEQ_K, len(numbers) - i, 0, nr))  # equal: jump to the deny at the end
    ins += [(RET_K, 0, 0, RET_ALLOW), (RET_K, 0, 0, deny)]
    return b"".join(struct.pack("HBBI", *i) for i in ins)


class _Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install() -> str:
    """Install the filter on this process (and all it starts). Returns '' or why it could not be installed."""
    code = program()
    if not code:
        return f"no seccomp filter for {platform.machine()}: the kernel keyring stays reachable"
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(code, len(code))
    prog = _Prog(len(code) // 8, ctypes.addressof(buf))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
            libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        return f"seccomp filter not installed: {os.strerror(ctypes.get_errno())}"
    return ""

