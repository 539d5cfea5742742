"""Runs hostile cases through the command line in one process under a memory limit (one import of torch).

Usage: ``python runner.py CASES.json RESULTS.jsonl MEMORY_BYTES TIMEOUT_S``. Each case is ``{"id", "argv"}``;
each result line is ``{"id", "status", "stdout", "stderr", "seconds", "escaped"}`` where ``escaped`` names
an exception that got out of the command (what a user would see as a traceback), and ``status`` is the exit
status ``python -m workbench ARGV`` would end with.
"""

from __future__ import annotations

import resource
import sys

_MEMORY = int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (_MEMORY, _MEMORY))  # before anything big is imported

import contextlib  # noqa: E402
import gc  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402


class CaseTimeout(BaseException):
    """The case ran past its time limit (a BaseException, so that no ``except Exception`` swallows it)."""


def _alarm(signum, frame):
    raise CaseTimeout


def run_case(main, argv: list[str], timeout: float) -> dict:
    out, err = io.StringIO(), io.StringIO()
    escaped = None
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    started = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(argv)
            except SystemExit as exc:  # argparse usage errors
                status = exc.code if isinstance(exc.code, int) else 1
    except CaseTimeout:
        status, escaped = None, "timeout"
    except BaseException as exc:  # noqa: BLE001 (recorded, the test fails on it)
        status, escaped = 1, "".join(traceback.format_exception_only(type(exc), exc)).strip()[:500]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    seconds = time.perf_counter() - started
    gc.collect()
    return {"status": status, "stdout": out.getvalue()[-4000:], "stderr": err.getvalue()[-4000:],
            "seconds": seconds, "escaped": escaped}


def main() -> None:
    cases = json.loads(open(sys.argv[1], encoding="utf-8").read())
    timeout = float(sys.argv[4])
    from workbench.cli import build_parser
    from workbench.cli import main as cli

    build_parser()  # every verb's imports (torch, onnxruntime on first use) before the first case is timed
    import onnxruntime  # noqa: F401

    with open(sys.argv[2], "a", encoding="utf-8") as results:
        for case in cases:
            result = {"id": case["id"], **run_case(cli, case["argv"], timeout)}
            results.write(json.dumps(result) + "\n")
            results.flush()


if __name__ == "__main__":
    main()
