"""Process lifecycle: children that die with their launcher, stops with a hard deadline,
output that survives a closed pipe, and the owner of a busy port or data directory by name.

* :func:`child_preexec` — ``preexec_fn`` for every child ``tripwire up`` starts: the kernel
  sends it SIGTERM when the launcher dies, however it dies (``PR_SET_PDEATHSIG``, Linux).
* :func:`terminate` — SIGTERM a child, SIGKILL it after a timeout, wait until it is gone.
* :func:`arm_deadline` — after a stop signal, the graceful path gets ``seconds``; then the
  process exits anyway (a worker whose broker is gone would otherwise wait for it).
* :class:`Echo` — the launcher's status lines: to stdout while stdout works (``| head`` may
  close it), always to a log file.
* :func:`port_owner`, :class:`DirLock` — who holds a port or a data directory, for errors
  that say which pid and what to do.
"""

from __future__ import annotations

import ctypes
import fcntl
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

from tripwire.errors import StackError

__all__ = ["STOP_DEADLINE_S", "DirLock", "Echo", "arm_deadline", "child_preexec",
           "describe_pid", "port_owner", "terminate"]

log = logging.getLogger("tripwire.lifecycle")

STOP_DEADLINE_S = 8.0  # a Tripwire process exits this long after SIGTERM/SIGINT at the latest

_PR_SET_PDEATHSIG = 1


def child_preexec() -> None:
    """Run in a child between fork and exec: SIGTERM it when its parent dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the launcher's own stop path remains
        pass


def terminate(proc: subprocess.Popen | None, timeout: float) -> None:
    """SIGTERM ``proc``, SIGKILL it if it is still there after ``timeout`` seconds, and wait
    until it is gone (nothing to do if it is None or has exited)."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


_armed = threading.Event()


def arm_deadline(seconds: float, what: str, code: int = 1) -> None:
    """From now on, exit within ``seconds`` even if the graceful stop hangs (idempotent)."""
    if _armed.is_set():
        return
    _armed.set()

    def expire() -> None:
        message = (f"{what}: graceful stop took longer than {seconds:.0f}s "
                   f"(broker or store unreachable?); exiting now\n")
        try:
            os.write(2, message.encode())
        except OSError:
            pass
        os._exit(code)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()


class Echo:
    """Status lines for a person: stdout until it fails (a closed pipe), plus a log file."""

    def __init__(self, log_path: Path | None = None, stream: IO[str] | None = None) -> None:
        self.stream: IO[str] | None = stream if stream is not None else sys.stdout
        self.log_path = log_path

    def __call__(self, line: str) -> None:
        if self.stream is not None:
            try:
                self.stream.write(line + "\n")
                self.stream.flush()
            except (OSError, ValueError):  # EPIPE / closed: keep working, log only
                self._detach_stdout()
        if self.log_path is not None:
            try:
                with self.log_path.open("a") as handle:
                    handle.write(line + "\n")
            except OSError:
                pass

    def _detach_stdout(self) -> None:
        self.stream = None
        try:  # so the interpreter's own flush at exit cannot fail on the dead pipe either
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass


def describe_pid(pid: int) -> str:
    """``pid 123 (python -m tripwire worker)``, or just ``pid 123``."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        cmd = raw.replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        cmd = ""
    return f"pid {pid} ({cmd[:120]})" if cmd else f"pid {pid}"


def port_owner(port: int) -> int | None:
    """The pid listening on TCP ``port`` (Linux ``/proc``), or None when unknown."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and \
                    int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    if not inodes:
        return None
    targets = {f"socket:[{inode}]" for inode in inodes}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in targets:
                    return int(proc.name)
        except OSError:
            continue
    return None


class DirLock:
    """An exclusive lock on a directory (``<dir>/tripwire.lock``, flock) naming its holder.

    The worker holds it while it owns the embedded store; ``tripwire up`` checks it first."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "tripwire.lock"
        self._fd: int | None = None

    def holder(self) -> int | None:
        """The pid holding the lock, or None when it is free."""
        if not self.path.exists():
            return None
        fd = os.open(self.path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                return int(os.pread(fd, 32, 0).decode().split()[0])
            except (ValueError, IndexError):
                return -1
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

    def acquire(self, what: str, setting: str) -> None:
        """Take the lock or raise :class:`StackError` naming the holder and the fix."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StackError(self.busy_message(what, setting)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def busy_message(self, what: str, setting: str) -> str:
        pid = self.holder()
        who = describe_pid(pid) if pid and pid > 0 else "another process"
        kill = f" (kill {pid})" if pid and pid > 0 else ""
        return (f"{what} {self.path.parent} is in use by {who}. Fix: stop that process{kill} "
                f"or set {setting} to another directory.")

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
