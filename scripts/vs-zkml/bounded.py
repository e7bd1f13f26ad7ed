"""Runs a command under a wall-time and a resident-memory bound, and measures it.

The memory bound is watched, not imposed with RLIMIT_AS (EZKL and opml reserve far
more address space than they touch): the resident set of the command is read from
/proc every 50 ms and the command is killed when it passes the bound. The peak reported
is the kernel's own, through GNU time (`/usr/bin/time -f %M`): exact even between two
reads, and only the command's (the ru_maxrss of a direct child of this Python process
would start from this process's own peak, which exec carries over)."""

import os
import signal
import subprocess
import time
from dataclasses import dataclass


@dataclass
class Run:
    ok: bool
    seconds: float
    peak_mb: float
    stdout: str
    stderr: str
    why: str = ""  # when not ok: "time bound (N s)", "memory bound (N MB)" or "exit status N"


def _rss_mb(pid):
    """Resident MB of `pid` and its children (GNU time and the command under it)."""
    total = 0.0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            total += sum(_rss_mb(int(c)) for c in f.read().split())
    except (OSError, ValueError):
        pass
    return total


def run(cmd, seconds, mem_mb, cwd=None, env=None):
    """Runs `cmd` (a list) with at most `seconds` of wall time and `mem_mb` MB resident."""
    tmp = f"/tmp/vs-zkml-{os.getpid()}"
    out_path, err_path, peak_path = f"{tmp}.out", f"{tmp}.err", f"{tmp}.peak"
    cmd = ["/usr/bin/time", "-f", "%M", "-o", peak_path, *cmd]
    with open(out_path, "w") as out, open(err_path, "w") as err:
        start = time.monotonic()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd, env=env, start_new_session=True)
        why, polled = "", 0.0
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            elapsed = time.monotonic() - start
            if not why and elapsed > seconds:
                why = f"time bound ({seconds:.0f} s)"
            rss = _rss_mb(p.pid)
            polled = max(polled, rss)
            if not why and rss > mem_mb:
                why = f"memory bound ({mem_mb:.0f} MB)"
            if why:
                os.killpg(p.pid, signal.SIGKILL)
                _, status, usage = os.wait4(p.pid, 0)
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - start
    stdout, stderr = open(out_path).read(), open(err_path).read()
    peak_kb = polled * 1024  # killed: GNU time wrote nothing, the last reads tell
    try:
        peak_kb = max(peak_kb, int(open(peak_path).read().strip().splitlines()[-1]))
    except (OSError, ValueError, IndexError):
        pass
    for path in (out_path, err_path, peak_path):
        if os.path.exists(path):
            os.remove(path)
    code = os.waitstatus_to_exitcode(status)
    if not why and code != 0:
        why = f"exit status {code}"
    return Run(not why, elapsed, peak_kb / 1024, stdout, stderr, why)
