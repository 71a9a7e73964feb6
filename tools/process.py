"""Stopping a child process we started: SIGTERM, then SIGKILL if it lingers."""

import subprocess


def stop(proc, timeout=10):
    """End ``proc`` (a Popen) by its PID; returns its exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode
