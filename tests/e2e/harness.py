"""Plumbing for the engine suites: TAP output, child processes with
deadlines, a pseudo-terminal driver, and a reaper.

Every process the suite starts goes through spawn(), never through the
subprocess module: the suite makes itself a child subreaper (so that
conmon, containerd shims and anything else that double-forks is reparented
to it rather than to PID 1, which on some machines never reaps), and one
thread reaps every child.  A Proc gets its exit status from that thread.
"""

import ctypes
import fcntl
import os
import re
import select
import signal
import struct
import termios
import threading
import time

PR_SET_CHILD_SUBREAPER = 36


class Failure(Exception):
    """A check did not hold; the message says what was expected and seen."""


class Timeout(Failure):
    pass


# ---------------------------------------------------------------------------
# Reaping

_lock = threading.Lock()
_waiters = {}  # pid -> Proc
_reaper_started = False
orphans_reaped = 0


def _reaper():
    global orphans_reaped
    while True:
        try:
            # Learn that some child has exited without reaping it, so that
            # spawn() (which holds _lock) can register a child that exits
            # at once before its status is collected.
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:
            time.sleep(0.05)
            continue
        except InterruptedError:
            continue
        if info is None:
            continue
        with _lock:
            try:
                pid, status = os.waitpid(info.si_pid, os.WNOHANG)
            except ChildProcessError:
                continue
            if pid == 0:
                continue
            proc = _waiters.pop(pid, None)
            if proc is None:
                orphans_reaped += 1
                continue
        proc._exited(status)


def start_reaper():
    """Become a child subreaper and start the reaping thread (once)."""
    global _reaper_started
    if _reaper_started:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
    threading.Thread(target=_reaper, name="reaper", daemon=True).start()
    _reaper_started = True


# ---------------------------------------------------------------------------
# Processes


def _reader(fd, buf, cond):
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        with cond:
            if not data:
                buf.append(None)
                cond.notify_all()
                break
            buf.append(data)
            cond.notify_all()
    os.close(fd)


def _writer(fd, data):
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
    except OSError:
        pass
    finally:
        os.close(fd)


class Proc:
    """A child process, its captured output and its exit status.

    returncode follows subprocess: the exit code, or -N when killed by
    signal N."""

    def __init__(self, argv, env=None, input=None, stdin_fd=None, stdout_fd=None, stderr_fd=None, new_group=True):
        self.argv = [str(a) for a in argv]
        self.returncode = None
        self._done = threading.Event()
        self._cond = threading.Condition()
        self._out = []
        self._err = []
        self.started = time.monotonic()
        actions = []
        close_after = []
        own_readers = []

        def pipe_for(target, fd, buf):
            if fd is not None:
                actions.append((os.POSIX_SPAWN_DUP2, fd, target))
                return
            r, w = os.pipe2(os.O_CLOEXEC)
            actions.append((os.POSIX_SPAWN_DUP2, w, target))
            close_after.append(w)
            own_readers.append((r, buf))

        writer = None
        if stdin_fd is not None:
            actions.append((os.POSIX_SPAWN_DUP2, stdin_fd, 0))
        elif input is not None:
            r, w = os.pipe2(os.O_CLOEXEC)
            actions.append((os.POSIX_SPAWN_DUP2, r, 0))
            close_after.append(r)
            writer = (w, input.encode() if isinstance(input, str) else input)
        else:
            devnull = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
            actions.append((os.POSIX_SPAWN_DUP2, devnull, 0))
            close_after.append(devnull)
        pipe_for(1, stdout_fd, self._out)
        pipe_for(2, stderr_fd, self._err)

        if env is None:
            env = os.environ
        try:
            with _lock:
                self.pid = os.posix_spawnp(
                    self.argv[0],
                    self.argv,
                    dict(env),
                    file_actions=actions,
                    setsigdef=(signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM),
                    setsigmask=(),
                    # A group of its own, so that kill() also reaches what
                    # the command started.
                    **({"setpgroup": 0} if new_group else {}),
                )
                _waiters[self.pid] = self
        except OSError:
            for fd in close_after:
                os.close(fd)
            for r, _ in own_readers:
                os.close(r)
            if writer:
                os.close(writer[0])
            raise
        for fd in close_after:
            os.close(fd)
        for r, buf in own_readers:
            threading.Thread(target=_reader, args=(r, buf, self._cond), daemon=True).start()
        if stdout_fd is not None:
            self._out.append(None)
        if stderr_fd is not None:
            self._err.append(None)
        if writer:
            threading.Thread(target=_writer, args=writer, daemon=True).start()

    def _exited(self, status):
        if os.WIFSIGNALED(status):
            self.returncode = -os.WTERMSIG(status)
        else:
            self.returncode = os.WEXITSTATUS(status)
        self.duration = time.monotonic() - self.started
        self._done.set()

    def _text(self, buf):
        with self._cond:
            return b"".join(b for b in buf if b is not None).decode(errors="replace")

    @property
    def out(self):
        return self._text(self._out)

    @property
    def err(self):
        return self._text(self._err)

    def running(self):
        return not self._done.is_set()

    def signal(self, sig):
        if self.running():
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout=None):
        """Wait for exit and for the end of its captured output."""
        if not self._done.wait(timeout):
            raise Timeout("`%s` still running after %ss" % (" ".join(self.argv), timeout))
        # The output pipes close when the last holder exits; a daemon the
        # command left behind may hold them, so do not wait forever.
        deadline = time.monotonic() + 5
        with self._cond:
            while not (self._out[-1:] == [None] and self._err[-1:] == [None]):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
        return self.returncode

    def wait_output(self, pattern, timeout, stream="out"):
        """Wait until the regex matches the output so far; return the match."""
        rx = re.compile(pattern)
        buf = self._out if stream == "out" else self._err
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = rx.search(b"".join(b for b in buf if b is not None).decode(errors="replace"))
                if m:
                    return m
                left = deadline - time.monotonic()
                if buf[-1:] == [None]:
                    break
                if left <= 0:
                    raise Timeout(
                        "`%s`: no /%s/ on std%s within %ss; got %r"
                        % (" ".join(self.argv), pattern, stream, timeout, self._text(buf)[-500:])
                    )
                self._cond.wait(min(left, 0.5))
        # The stream ended without a match: say how the command ended.
        self._done.wait(5)
        raise Failure(
            "`%s` closed std%s without printing /%s/ (exit status %s)\n  stdout: %s\n  stderr: %s"
            % (" ".join(self.argv), stream, pattern, self.returncode, self.out.strip()[-500:], self.err.strip()[-500:])
        )

    def finish(self, timeout):
        """Wait up to timeout; kill (the process group) if still running."""
        try:
            return self.wait(timeout)
        except Timeout:
            self.kill()
            raise

    def kill(self):
        """SIGKILL the command and what is left of its process group."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.running():
            self.signal(signal.SIGKILL)
            self._done.wait(10)


class Result:
    def __init__(self, proc):
        self.argv = proc.argv
        self.rc = proc.returncode
        self.out = proc.out
        self.err = proc.err
        self.duration = getattr(proc, "duration", None)

    def describe(self):
        text = "`%s` exited %s" % (" ".join(self.argv), self.rc)
        if self.out.strip():
            text += "\n  stdout: " + self.out.strip()[-800:].replace("\n", "\n          ")
        if self.err.strip():
            text += "\n  stderr: " + self.err.strip()[-800:].replace("\n", "\n          ")
        return text


def run(argv, timeout=60, input=None, env=None, check=False):
    """Run a command to completion; raise Failure on timeout (after killing
    it) or, with check, on a non-zero exit."""
    proc = Proc(argv, env=env, input=input)
    try:
        proc.wait(timeout)
    except Timeout:
        proc.kill()
        proc.wait(10)
        raise Timeout(
            "`%s` did not finish within %ss (killed)\n  stdout: %s\n  stderr: %s"
            % (" ".join(proc.argv), timeout, proc.out.strip()[-500:], proc.err.strip()[-500:])
        )
    res = Result(proc)
    if check and res.rc != 0:
        raise Failure(res.describe())
    return res


# ---------------------------------------------------------------------------
# A program on a pseudo-terminal, driven like a user at a keyboard.


def set_winsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class PtySession:
    """Runs argv as the session leader of a new terminal it controls.

    `setsid --ctty` makes the terminal the controlling one, so the engine
    sees a real tty on stdin (and its SIGWINCH on resize).  It must not be
    a process group leader already, or setsid forks and exits at once."""

    def __init__(self, argv, env=None, rows=24, cols=80):
        self.master, slave = os.openpty()
        os.set_blocking(self.master, False)
        set_winsize(slave, rows, cols)
        try:
            self.proc = Proc(
                ["setsid", "--ctty"] + list(argv),
                env=env,
                stdin_fd=slave,
                stdout_fd=slave,
                stderr_fd=slave,
                new_group=False,
            )
        finally:
            os.close(slave)
        self.buf = b""
        self.pos = 0

    def _pump(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(self.master, 65536)
        except BlockingIOError:
            return True
        except OSError:
            return False  # EIO: every slave fd is closed
        if not data:
            return False
        self.buf += data
        return True

    def send(self, text):
        os.write(self.master, text.encode())

    def expect(self, pattern, timeout):
        """Wait for the regex in output produced since the last match."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf.decode(errors="replace"), self.pos)
            if m:
                self.pos = m.end()
                return m
            left = deadline - time.monotonic()
            if left <= 0 or not self._pump(min(left, 0.5)):
                if not rx.search(self.buf.decode(errors="replace"), self.pos):
                    raise Timeout(
                        "no /%s/ on the terminal within %ss; terminal shows %r"
                        % (pattern, timeout, self.buf.decode(errors="replace")[-600:])
                    )

    def resize(self, rows, cols):
        # Resizing through the master makes the kernel send SIGWINCH to
        # the terminal's foreground process group (the engine client).
        set_winsize(self.master, rows, cols)

    def wait(self, timeout):
        deadline = time.monotonic() + timeout
        while self.proc.running() and time.monotonic() < deadline:
            self._pump(0.2)
        rc = self.proc.finish(max(0.1, deadline - time.monotonic()))
        while self._pump(0):
            if not select.select([self.master], [], [], 0)[0]:
                break
        return rc

    def close(self):
        self.proc.kill()
        try:
            os.close(self.master)
        except OSError:
            pass


# ---------------------------------------------------------------------------
# TAP


class Tap:
    """TAP version 13 with the plan at the end, and a last line
    "N passed, N failed" (skips and expected failures counted apart)."""

    def __init__(self, stream):
        self.stream = stream
        self.n = 0
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.todo = 0
        self.failures = []
        self.write("TAP version 13")

    def write(self, line):
        self.stream.write(line + "\n")
        self.stream.flush()

    def diag(self, text):
        for line in str(text).splitlines() or [""]:
            self.write("# " + line)

    def result(self, ok, desc, diag=None, todo=None, skip=None):
        self.n += 1
        desc = desc.replace("#", "\\#")
        if skip is not None:
            self.skipped += 1
            self.write("ok %d - %s # SKIP %s" % (self.n, desc, skip))
            return
        line = "%s %d - %s" % ("ok" if ok else "not ok", self.n, desc)
        if todo is not None:
            line += " # TODO " + todo
            if ok:
                self.passed += 1
            else:
                self.todo += 1
        elif ok:
            self.passed += 1
        else:
            self.failed += 1
            self.failures.append(desc)
        self.write(line)
        if diag and (not ok or todo is not None):
            self.write("  ---")
            self.write("  message: |")
            for dline in str(diag).splitlines():
                self.write("    " + dline)
            self.write("  ...")

    def finish(self):
        self.write("1..%d" % self.n)
        if self.failures:
            self.diag("failed:")
            for f in self.failures:
                self.diag("  " + f)
        self.diag("%d skipped, %d expected failures (TODO)" % (self.skipped, self.todo))
        self.write("%d passed, %d failed" % (self.passed, self.failed))
        return self.failed == 0


# ---------------------------------------------------------------------------
# Small checks


def expect_eq(what, got, want):
    if got != want:
        raise Failure("%s: expected %r, got %r" % (what, want, got))


def expect_in(what, needle, haystack):
    if needle not in haystack:
        raise Failure("%s: expected %r in %r" % (what, needle, haystack[-1500:]))


def expect_rc(res, want):
    if res.rc != want:
        raise Failure("expected exit status %s\n%s" % (want, res.describe()))


def poll(what, fn, timeout, interval=0.25):
    """Call fn until it returns a true value; return it, or raise Timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = fn()
            if value:
                return value
        except Failure as e:
            last = e
        if time.monotonic() >= deadline:
            raise Timeout("%s: not true within %ss%s" % (what, timeout, (" (last: %s)" % last) if last else ""))
        time.sleep(interval)
