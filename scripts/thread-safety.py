#!/usr/bin/env python3
"""Clang's thread-safety analysis over every source of a build: make thread-safety.

Usage: scripts/thread-safety.py BUILD_DIR [JOBS]

Reads BUILD_DIR/compile_commands.json (a clang build; the Makefile configures
build-tsa/ with the libraries, the hvdb program and the Python module) and compiles each of
the project's own sources again with -fsyntax-only (no objects, no link) and
only -Wthread-safety on, as an error; the other warnings are the normal
build's business. Prints each failing file's diagnostics and exits 1 if any
file fails. Lock rules and how to annotate: base/mutex.h.
"""
import concurrent.futures
import json
import os
import shlex
import subprocess
import sys
import time

FLAGS = ["-fsyntax-only", "-Wno-everything", "-Wthread-safety", "-Werror=thread-safety"]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    build = os.path.abspath(sys.argv[1])
    jobs = int(sys.argv[2]) if len(sys.argv) > 2 else os.cpu_count() or 1
    source = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(build, "compile_commands.json")) as f:
        entries = json.load(f)
    units = []
    for e in entries:
        path = os.path.normpath(os.path.join(e["directory"], e["file"]))
        # The project's sources only: not files generated into the build, nor
        # nanobind's own sources (compiled from .venv for the Python module).
        if not path.startswith(source + os.sep) or path.startswith(build + os.sep):
            continue
        if path.startswith(os.path.join(source, ".venv") + os.sep):
            continue
        if not path.endswith((".cc", ".cpp")):
            continue
        args = e["arguments"] if "arguments" in e else shlex.split(e["command"])
        # Drop the object and dependency outputs: nothing is written.
        kept, skip = [], False
        for a in args:
            if skip:
                skip = False
                continue
            if a in ("-o", "-MF", "-MT", "-MQ"):
                skip = True
                continue
            if a in ("-MD", "-MMD"):
                continue
            kept.append(a)
        units.append((os.path.relpath(path, source), e["directory"], kept + FLAGS))
    if not units:
        sys.exit(f"thread-safety: no sources in {build}/compile_commands.json")

    def check(unit):
        name, directory, args = unit
        p = subprocess.run(args, cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return name, p.returncode, p.stdout

    start = time.monotonic()
    failed = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for name, rc, output in pool.map(check, sorted(units)):
            if rc != 0:
                failed.append(name)
                sys.stdout.write(output)
    seconds = time.monotonic() - start
    if failed:
        print(f"thread-safety: {len(failed)} of {len(units)} files fail: {' '.join(failed)}")
        return 1
    print(f"thread-safety: {len(units)} files pass clang -Wthread-safety ({seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
