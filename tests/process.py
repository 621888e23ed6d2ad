"""Test helpers for subprocesses: log lines as events, free ports."""
from __future__ import annotations
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from typing import Dict, List, Optional

import pytest


def free_port() -> int:
    """A TCP port nothing listens on right now (for torch.distributed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class ToolProcess:
    """A ``tools/*.py`` process whose output lines are read as they come, so
    a test waits for what the process says (no sleeps, no polling files)."""

    def __init__(self, args: List[str], cwd: str, env: Optional[Dict[str, str]] = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable] + args,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=dict(os.environ, **(env or {})))
        self.lines: List[str] = []
        self._cond = threading.Condition()
        self._done = False
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._done = True
            self._cond.notify_all()

    def log(self) -> str:
        return ''.join(self.lines)[-4000:]

    def wait_for(self, pattern: str, count: int = 1, timeout: float = 300) -> None:
        """Block until ``count`` output lines match ``pattern`` (regex);
        fail if the process ends first."""
        regex = re.compile(pattern)

        def seen() -> bool:
            return sum(bool(regex.search(line)) for line in self.lines) >= count

        with self._cond:
            assert self._cond.wait_for(lambda: seen() or self._done, timeout=timeout), self.log()
            assert seen(), f'ended before {pattern!r}:\n' + self.log()

    def kill_after(self, delay: Optional[float] = None) -> None:
        """SIGKILL now, or ``delay`` s from now (the process must still be
        running then)."""
        if delay:
            with pytest.raises(subprocess.TimeoutExpired):
                self.proc.wait(timeout=delay)
        assert self.proc.poll() is None, 'ended early:\n' + self.log()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.reader.join()


def _tool_module(tool: str):
    import importlib.util
    spec = importlib.util.spec_from_file_location(f'_tool_{abs(hash(tool))}', tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tool_error(tool: str, argv: List[str], capsys) -> str:
    """Run a ``tools/*.py`` ``main(argv)`` in this process as its command
    line does (:func:`~mmdet_efficientdet.utils.run_cli`), expect a user
    error and return its one line (for refusals that happen before any
    work: no interpreter start per case). An argument the parser itself
    refuses (exit code 2, usage first) is returned the same way."""
    from mmdet_efficientdet.utils import run_cli
    module = _tool_module(tool)
    capsys.readouterr()
    try:
        code, usage = run_cli(lambda: module.main(argv)), False
    except SystemExit as exit_:  # argparse: exit code 2, usage, 'PROG: error: ...'
        code, usage = exit_.code, True
    err = capsys.readouterr().err.strip().splitlines()
    assert err and code == (2 if usage else 1), (code, err[-5:])
    assert (': error: ' in err[-1]) if usage else err[-1].startswith('error: '), err[-5:]
    assert not any(line.startswith('Traceback') for line in err), err[-5:]
    return err[-1]


def tool_output(tool: str, argv: List[str]) -> str:
    """Run a ``tools/*.py`` ``main(argv)`` in this process as its command
    line does (:func:`~mmdet_efficientdet.utils.run_cli`), expect success
    and return what it printed (stdout, then stderr). For runs whose process itself is
    not under test: no interpreter start (~7 s of imports) each."""
    import contextlib
    import io

    import torch

    from mmdet_efficientdet.utils import run_cli
    module = _tool_module(tool)
    out, err = io.StringIO(), io.StringIO()
    threads = torch.get_num_threads()  # a tool's --threads must not outlive it
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run_cli(lambda: module.main(argv))
    finally:
        torch.set_num_threads(threads)
    assert code == 0, (code, out.getvalue()[-2000:] + err.getvalue()[-3000:])
    return out.getvalue() + err.getvalue()
