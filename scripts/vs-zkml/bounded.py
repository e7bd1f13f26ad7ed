"""Runs a command under a wall-time and a resident-memory bound, and measures it.

The memory bound is watched, not imposed with RLIMIT_AS (EZKL and opml reserve far
more address space than they touch): the resident set of the child is read from
/proc every 50 ms and the child is killed when it passes the bound. The peak reported
is the kernel's own (ru_maxrss from wait4), so it is exact even between two reads."""

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
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run(cmd, seconds, mem_mb, cwd=None, env=None):
    """Runs `cmd` (a list) with at most `seconds` of wall time and `mem_mb` MB resident."""
    out_path, err_path = f"/tmp/vs-zkml-{os.getpid()}.out", f"/tmp/vs-zkml-{os.getpid()}.err"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        start = time.monotonic()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd, env=env, start_new_session=True)
        why = ""
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            elapsed = time.monotonic() - start
            if not why and elapsed > seconds:
                why = f"time bound ({seconds:.0f} s)"
            elif not why and _rss_mb(p.pid) > mem_mb:
                why = f"memory bound ({mem_mb:.0f} MB)"
            if why:
                os.killpg(p.pid, signal.SIGKILL)
                _, status, usage = os.wait4(p.pid, 0)
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - start
    stdout, stderr = open(out_path).read(), open(err_path).read()
    os.remove(out_path)
    os.remove(err_path)
    code = os.waitstatus_to_exitcode(status)
    if not why and code != 0:
        why = f"exit status {code}"
    return Run(not why, elapsed, usage.ru_maxrss / 1024, stdout, stderr, why)
