"""harness.py - helpers shared by the integration tests: commands with timeouts,
polling, network namespaces, the ustack daemon and its CLI, and a helper process
that sends frames from inside a namespace.

Every resource created here is registered with an Env, whose close() removes it
(daemons are stopped first, then namespaces deleted), also when a test fails.
Only 198.18.0.0/15 addresses are used (RFC 2544 benchmarking range).
"""
import itertools
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def ustack_bin():
    """The ustack binary under test: $USTACK_BIN, default build-it/tools/ustack in the repo."""
    b = os.environ.get("USTACK_BIN", "build-it/tools/ustack")
    p = Path(b)
    if not p.is_absolute():
        p = REPO / p
    return str(p)


PYTHON = "/usr/bin/python3"

# Sanitizer reports we refuse to see on any stderr of a ustack process.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

_names = itertools.count(1)


def unique_name(prefix="ust"):
    """A name unique to this test run: ust-<pid>-<n> (short: usable as netns and daemon name)."""
    return f"{prefix}-{os.getpid()}-{next(_names)}"


class CommandError(AssertionError):
    pass


def sanitizer_env(env=None):
    e = dict(os.environ if env is None else env)
    # halt_on_error keeps the first report readable; exitcode makes ASan failures visible
    # as a non-zero exit even if nobody reads stderr.
    e.setdefault("ASAN_OPTIONS", "detect_leaks=1:halt_on_error=1:abort_on_error=0")
    e.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=0")
    return e


def check_sanitizers(text, what):
    for m in SANITIZER_MARKERS:
        if m in text:
            raise AssertionError(f"{what}: sanitizer report ({m!r}):\n{text[-6000:]}")


def run(args, *, ns=None, timeout=10, check=True, env=None, input=None, text=True):
    """Runs a command (inside netns @ns if given) with a timeout; returns CompletedProcess."""
    args = [str(a) for a in args]
    if ns:
        args = ["ip", "netns", "exec", ns] + args
    try:
        p = subprocess.run(args, capture_output=True, text=text, timeout=timeout, env=env,
                           input=input)
    except subprocess.TimeoutExpired as e:
        raise CommandError(f"timed out after {timeout}s: {' '.join(args)}\n"
                           f"stdout: {e.stdout!r}\nstderr: {e.stderr!r}") from None
    if check and p.returncode != 0:
        raise CommandError(f"exit {p.returncode}: {' '.join(args)}\n"
                           f"stdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def wait_for(cond, timeout, interval=0.05, what=None):
    """Polls cond() until it returns a truthy value (returned) or @timeout seconds pass.
    Exceptions from cond() count as "not yet"; the last one is reported on timeout."""
    deadline = time.monotonic() + timeout
    last, err = None, None
    while True:
        try:
            last = cond()
            err = None
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - reported below
            err = e
        if time.monotonic() >= deadline:
            msg = f"timed out after {timeout}s waiting for {what or cond}: last value {last!r}"
            if err is not None:
                msg += f", last error {err!r}"
            raise AssertionError(msg)
        time.sleep(interval)


# --------------------------------------------------------------------------- namespaces

class Netns:
    def __init__(self, name=None):
        self.name = name or unique_name()
        run(["ip", "netns", "add", self.name])
        self.alive = True
        # No IPv6 chatter (router solicitations, MLD) on the links we create: the stack
        # drops it, which would only add noise to the counters we check.
        for key in ("net.ipv6.conf.default.disable_ipv6", "net.ipv6.conf.all.disable_ipv6"):
            run(["sysctl", "-qw", f"{key}=1"], ns=self.name, check=False)
        run(["ip", "-n", self.name, "link", "set", "lo", "up"])

    def ip(self, *args, check=True, timeout=10):
        return run(["ip", "-n", self.name] + list(args), check=check, timeout=timeout)

    def ipj(self, *args):
        out = run(["ip", "-n", self.name, "-j"] + list(args)).stdout
        return json.loads(out) if out.strip() else []

    def exec(self, *args, **kw):
        return run(list(args), ns=self.name, **kw)

    def mac(self, dev):
        return self.ipj("link", "show", dev)[0]["address"]

    def link_stats(self, dev):
        return self.ipj("-s", "link", "show", dev)[0]["stats64"]

    def ping(self, dst, size=56, count=3, wait=2, interval=0.2, ttl=None, check=False,
             timeout=None):
        args = ["ping", "-n", "-c", count, "-s", size, "-W", wait, "-i", interval]
        if ttl is not None:
            args += ["-t", ttl]
        args.append(dst)
        return self.exec(*args, check=check,
                         timeout=timeout or (count * (interval + 0.1) + wait + 5))

    def delete(self):
        if self.alive:
            self.alive = False
            run(["ip", "netns", "del", self.name], check=False)


def ping_received(out):
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


# --------------------------------------------------------------------------- the daemon

class Daemon:
    """One `ustack daemon` process (in a namespace or not) plus its CLI."""

    def __init__(self, name, args, ns=None, rundir=None, ready_timeout=15, asan_options=None,
                 binary=None):
        self.name = name
        self.ns = ns
        self.rundir = rundir or tempfile.mkdtemp(prefix="ust-run-")
        self._own_rundir = rundir is None
        self.env = sanitizer_env()
        if asan_options:
            # Appended: later options win (e.g. quarantine_size_mb for RSS checks).
            self.env["ASAN_OPTIONS"] += ":" + asan_options
        self.env["USTACK_RUNDIR"] = self.rundir
        self.errpath = os.path.join(self.rundir, f"{name}.stderr")
        self.stdout_lines = []
        self.returncode = None
        self.stopped = False
        cmd = [binary or ustack_bin(), "daemon", "--name", name] + [str(a) for a in args]
        if ns:
            cmd = ["ip", "netns", "exec", ns] + cmd
        self.cmd = cmd
        self._err = open(self.errpath, "w")
        # `ip netns exec` execs the daemon in place, so self.proc.pid is the daemon's pid.
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._err,
                                     stdin=subprocess.DEVNULL, env=self.env, text=True)
        self._lines = queue.Queue()
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        self._wait_ready(ready_timeout)

    def _read_stdout(self):
        for line in self.proc.stdout:
            self.stdout_lines.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def _wait_ready(self, timeout):
        want = f"ustack {self.name} ready"
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise AssertionError(f"daemon {self.name} not ready after {timeout}s: "
                                     f"{' '.join(self.cmd)}\nstderr: {self.stderr()}")
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                rc = self.proc.wait(timeout=5)
                self.returncode = rc
                self.stopped = True
                raise AssertionError(f"daemon {self.name} exited ({rc}) before ready: "
                                     f"{' '.join(self.cmd)}\nstdout: {''.join(self.stdout_lines)}"
                                     f"\nstderr: {self.stderr()}")
            if line.strip() == want:
                return

    def stderr(self):
        try:
            if not self._err.closed:
                self._err.flush()
            with open(self.errpath, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # -- CLI
    def cli(self, *args, json_out=False, check=True, timeout=10):
        cmd = [ustack_bin(), "-n", self.name] + (["-j"] if json_out else []) + list(args)
        p = run(cmd, check=False, timeout=timeout, env=self.env)
        check_sanitizers(p.stderr, f"ustack {' '.join(map(str, args))}")
        if check and p.returncode != 0:
            raise CommandError(f"exit {p.returncode}: {' '.join(map(str, cmd))}\n"
                               f"stdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def clij(self, *args, timeout=10):
        p = self.cli(*args, json_out=True, timeout=timeout)
        try:
            return json.loads(p.stdout)
        except ValueError as e:
            raise AssertionError(f"ustack -j {' '.join(map(str, args))}: bad JSON ({e}): "
                                 f"{p.stdout!r}") from None

    def stat(self):
        return self.clij("stat")

    def counters(self):
        return self.stat()["counters"]

    def drops(self):
        return self.stat()["drops"]

    def neigh(self):
        return self.clij("neigh")

    def set(self, *kv):
        return self.cli("set", *kv)

    def wait_drop(self, reason, at_least, timeout=5):
        """Waits until drops[reason] >= at_least; returns the value."""
        def cond():
            v = self.drops().get(reason)
            assert v is not None, f"drop reason {reason} missing from stat -j"
            return v if v >= at_least else False
        return wait_for(cond, timeout, what=f"drop.{reason} >= {at_least}")

    def wait_counter(self, name, at_least, timeout=5):
        def cond():
            v = self.counters().get(name)
            assert v is not None, f"counter {name} missing from stat -j"
            return v if v >= at_least else False
        return wait_for(cond, timeout, what=f"{name} >= {at_least}")

    # -- lifecycle
    def stop(self, timeout=15):
        """SIGTERM; asserts exit 0 and a clean sanitizer report. Idempotent."""
        if self.stopped:
            return self.returncode
        self.stopped = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
            self._close()
            raise AssertionError(f"daemon {self.name} did not exit {timeout}s after SIGTERM\n"
                                 f"stderr: {self.stderr()}")
        self.returncode = rc
        self._close()
        err = self.stderr()
        check_sanitizers(err, f"daemon {self.name}")
        assert rc == 0, f"daemon {self.name} exited {rc} after SIGTERM\nstderr: {err[-4000:]}"
        return rc

    def wait_exit(self, timeout):
        """For --pcap-in runs: waits for the daemon to exit by itself; asserts 0 and clean."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"daemon {self.name} still running after {timeout}s") from None
        self.stopped = True
        self.returncode = rc
        self._close()
        err = self.stderr()
        check_sanitizers(err, f"daemon {self.name}")
        assert rc == 0, f"daemon {self.name} exited {rc}\nstderr: {err[-4000:]}"
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.stopped = True
        self._close()

    def _close(self):
        try:
            self._err.close()
        except OSError:
            pass
        self._reader.join(timeout=2)

    def cleanup_rundir(self):
        if self._own_rundir:
            shutil.rmtree(self.rundir, ignore_errors=True)


def pcap_run(name, args, rundir, timeout=60):
    """Runs `ustack daemon --name NAME ARGS` (a --pcap-in/--pcap-out run, no namespace)
    to completion: it exits by itself once the input is exhausted. Asserts exit 0 and
    no sanitizer report; returns the CompletedProcess."""
    env = sanitizer_env()
    env["USTACK_RUNDIR"] = rundir
    cmd = [ustack_bin(), "daemon", "--name", name] + [str(a) for a in args]
    p = run(cmd, check=False, timeout=timeout, env=env)
    check_sanitizers(p.stderr, f"daemon {name}")
    assert p.returncode == 0, (f"exit {p.returncode}: {' '.join(cmd)}\nstdout: {p.stdout}"
                               f"\nstderr: {p.stderr[-4000:]}")
    return p


# --------------------------------------------------------------------------- in-namespace helper

class NsHelper:
    """A long-lived python (with scapy) inside a namespace, driven by JSON lines:
    sends frames on an interface (scapy sendp) and does UDP exchanges from the
    namespace's kernel stack. See nshelper.py."""

    def __init__(self, ns, timeout=20):
        self.ns = ns
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, PYTHON, str(HERE / "nshelper.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._out = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.call({"op": "hello"}, timeout=timeout)

    def _read(self):
        for line in self.proc.stdout:
            self._out.put(line)
        self._out.put(None)

    def call(self, req, timeout=20):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        try:
            line = self._out.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"nshelper: no answer to {req.get('op')} in {timeout}s") from None
        if line is None:
            raise AssertionError(f"nshelper exited: {self.proc.stderr.read()[-3000:]}")
        res = json.loads(line)
        if "exception" in res:
            raise AssertionError(f"nshelper {req.get('op')}: {res['exception']}")
        return res

    def sendp(self, iface, frames, timeout=60):
        """Sends raw frames (bytes) on @iface; returns the count sent."""
        r = self.call({"op": "sendp", "iface": iface, "frames": [bytes(f).hex() for f in frames]},
                      timeout=timeout)
        return r["sent"]

    def arp_flood(self, iface, **kw):
        r = self.call(dict(op="arp_flood", iface=iface, **kw), timeout=60)
        return r["sent"]

    def udp(self, dst, port, payload, timeout=2.0, connect=True):
        """One datagram from the namespace's kernel to dst:port. Returns
        {"reply": bytes} or {"error": "ECONNREFUSED"/"timeout"/...}."""
        r = self.call({"op": "udp", "dst": dst, "port": port, "payload": payload.hex(),
                       "timeout": timeout, "connect": connect}, timeout=timeout + 10)
        if "reply" in r:
            r["reply"] = bytes.fromhex(r["reply"])
        return r

    # -- TCP (a kernel client socket kept open across calls; sniffing; injection)
    def tcp_connect(self, dst, port, timeout=5.0):
        """Connects a kernel TCP socket of the namespace; returns {"id", "lport"}."""
        return self.call({"op": "tcp_connect", "dst": dst, "port": port, "timeout": timeout},
                         timeout=timeout + 10)

    def tcp_echo(self, sid, payload, timeout=5.0, sniff=None, settle=0.3):
        """Sends @payload on socket @sid and reads as many bytes back. @sniff
        ({"iface", "host", "port"}) returns the segments seen meanwhile in "pkts"."""
        r = self.call({"op": "tcp_echo", "id": sid, "payload": payload.hex(), "timeout": timeout,
                       "sniff": sniff, "settle": settle}, timeout=timeout + settle + 10)
        r["reply"] = bytes.fromhex(r["reply"])
        return r

    def tcp_send(self, sid, payload):
        return self.call({"op": "tcp_send", "id": sid, "payload": payload.hex()})

    def tcp_close(self, sid):
        return self.call({"op": "tcp_close", "id": sid})

    def inject(self, iface, frames, sniff=None, wait=0.5, timeout=60):
        """Sends raw frames on @iface (one AF_PACKET socket, fast); with @sniff, the
        TCP segments seen until @wait seconds after the last one are in "pkts"."""
        return self.call({"op": "inject", "iface": iface,
                          "frames": [bytes(f).hex() for f in frames], "sniff": sniff,
                          "wait": wait}, timeout=timeout + wait)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(timeout=5)


# --------------------------------------------------------------------------- environments

KERNEL_ADDR = "198.18.0.1"
STACK_ADDR = "198.18.0.2"


class Env:
    """Owns everything one test (or module) creates; close() tears it all down and
    raises the first daemon failure (bad exit status, sanitizer report) afterwards."""

    def __init__(self):
        self.namespaces = []
        self.daemons = []
        self.helpers = []
        self.tmpdirs = []

    def netns(self):
        ns = Netns()
        self.namespaces.append(ns)
        return ns

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="ust-")
        self.tmpdirs.append(d)
        return d

    def daemon(self, args, ns=None, name=None, asan_options=None, binary=None):
        d = Daemon(name or unique_name("ud"), args, ns=ns.name if ns else None,
                   asan_options=asan_options, binary=binary)
        self.daemons.append(d)
        return d

    def helper(self, ns):
        h = NsHelper(ns.name)
        self.helpers.append(h)
        return h

    def stack(self, extra_args=(), tap="tp0", stack_addr=STACK_ADDR + "/24",
              kernel_addr=KERNEL_ADDR + "/24", configure_kernel=True, before_kernel=None,
              asan_options=None, binary=None):
        """The common topology: namespace NS, the daemon on TAP @tap in it, the kernel
        side of the TAP configured with @kernel_addr. @before_kernel(daemon) runs after
        the daemon is ready and before the kernel side comes up (e.g. `ustack set`).
        @asan_options are appended to the daemon's ASAN_OPTIONS; @binary replaces
        the ustack binary for the daemon only (the CLI stays $USTACK_BIN)."""
        ns = self.netns()
        d = self.daemon(["--tap", tap, "--addr", stack_addr] + list(extra_args), ns=ns,
                        name=ns.name, asan_options=asan_options, binary=binary)
        if before_kernel:
            before_kernel(d)
        if configure_kernel:
            ns.ip("addr", "add", kernel_addr, "dev", tap)
            ns.ip("link", "set", tap, "up")
        return Stack(ns, d, tap, self)

    def close(self):
        errors = []
        for h in self.helpers:
            h.close()
        for d in self.daemons:
            try:
                d.stop()
            except Exception as e:  # noqa: BLE001 - reported after the cleanup
                errors.append(e)
            finally:
                d.kill()
                d.cleanup_rundir()
        for ns in self.namespaces:
            ns.delete()
        for t in self.tmpdirs:
            shutil.rmtree(t, ignore_errors=True)
        if errors:
            raise errors[0]


class Stack:
    """A daemon on one TAP with the kernel of namespace ns on the other side."""

    def __init__(self, ns, daemon, tap, env):
        self.ns = ns
        self.d = daemon
        self.tap = tap
        self.env = env
        self.addr = STACK_ADDR
        self.kaddr = KERNEL_ADDR
        self._helper = None

    def helper(self):
        """The NsHelper of the kernel namespace (started on first use)."""
        if self._helper is None:
            self._helper = self.env.helper(self.ns)
        return self._helper

    def stack_mac(self):
        # iproute2's field names (ifname, address); cli.md's (name, mac) accepted too.
        for link in self.d.clij("link"):
            if (link.get("ifname") or link.get("name")) == self.tap:
                return (link.get("address") or link["mac"]).lower()
        raise AssertionError(f"no device {self.tap} in ustack link -j")

    def kernel_mac(self):
        return self.ns.mac(self.tap).lower()

    def kernel_ping(self, size=56, count=3, **kw):
        return self.ns.ping(self.addr, size=size, count=count, **kw)

    def assert_answers_ping(self, timeout=6):
        """The stack answers one kernel ping (a few tries within @timeout)."""
        def cond():
            p = self.ns.ping(self.addr, count=1, wait=1)
            return p.returncode == 0
        wait_for(cond, timeout, interval=0, what=f"a ping reply from {self.addr}")


def neigh_state(entry):
    s = entry.get("state")
    if isinstance(s, list):
        s = s[0] if s else None
    return s


def find_neigh(entries, ip):
    for e in entries:
        if e.get("dst") == ip:
            return e
    return None


if __name__ == "__main__":
    sys.exit("harness.py is a library for the integration tests")
