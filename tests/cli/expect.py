#!/usr/bin/python3
"""Runs one command and checks its exit code and output (the wrapper of every command-line ctest).

usage: expect.py [--code N] [--output-regex R ...] [--stdout-regex R ...] [--stderr-regex R ...]
                 [--not-output-regex R ...] [--cwd DIR] -- COMMAND [ARGS...]

  --code N             the exact exit code required (default 0); a command killed by a signal
                       never passes
  --output-regex R     must match (re.search, re.S) stdout and stderr together, in the order the
                       command wrote them (read as they arrive from two pipes)
  --stdout-regex R     must match stdout alone
  --stderr-regex R     must match stderr alone
  --not-output-regex R must NOT match stdout and stderr together
  --cwd DIR            working directory of the command

Every option may be repeated; every regex is checked. Write a regex that starts with '-' as
--output-regex=-R. Exit code 0 when every check passes; otherwise 1, after printing the expected
and actual exit codes, each failing regex and the last 40 lines of the command's output.
Standard library only (run it with /usr/bin/python3).
"""
import argparse
import os
import re
import selectors
import subprocess
import sys

TAIL_LINES = 40


def parse(argv):
    if "--" not in argv:
        sys.exit("expect.py: usage: expect.py [options] -- COMMAND [ARGS...] (the '--' is required)")
    split = argv.index("--")
    command = argv[split + 1:]
    if not command:
        sys.exit("expect.py: no command after '--'")
    parser = argparse.ArgumentParser(prog="expect.py", description=__doc__.split("\n")[0])
    parser.add_argument("--code", type=int, default=0)
    for name in ("output-regex", "stdout-regex", "stderr-regex", "not-output-regex"):
        parser.add_argument("--" + name, action="append", default=[])
    parser.add_argument("--cwd")
    options = parser.parse_args(argv[:split])
    for name in ("output_regex", "stdout_regex", "stderr_regex", "not_output_regex"):
        for regex in getattr(options, name):
            try:
                re.compile(regex, re.S)
            except re.error as e:
                sys.exit(f"expect.py: bad --{name.replace('_', '-')} {regex!r}: {e}")
    return options, command


def run(command, cwd):
    """Runs `command`; returns (exit code, stdout, stderr, both in arrival order)."""
    try:
        process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
    except OSError as e:
        return None, "", "", f"expect.py: cannot run {command[0]}: {e}\n"
    chunks = {process.stdout: [], process.stderr: []}
    both = []
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        selector.register(process.stderr, selectors.EVENT_READ)
        while selector.get_map():
            for key, _ in selector.select():
                data = os.read(key.fileobj.fileno(), 65536)
                if not data:
                    selector.unregister(key.fileobj)
                    continue
                chunks[key.fileobj].append(data)
                both.append(data)
    code = process.wait()

    def text(parts):
        return b"".join(parts).decode("utf-8", errors="replace")

    return code, text(chunks[process.stdout]), text(chunks[process.stderr]), text(both)


def describe(code):
    if code is None:
        return "not started"
    if code < 0:
        return f"killed by signal {-code}"
    return str(code)


def main():
    options, command = parse(sys.argv[1:])
    code, out, err, both = run(command, options.cwd)
    failures = []
    if code != options.code:
        failures.append(f"exit code: expected {options.code}, got {describe(code)}")
    for label, regexes, text in (("output", options.output_regex, both), ("stdout", options.stdout_regex, out),
                                 ("stderr", options.stderr_regex, err)):
        for regex in regexes:
            if re.search(regex, text, re.S) is None:
                failures.append(f"{label} does not match: {regex}")
    for regex in options.not_output_regex:
        if re.search(regex, both, re.S) is not None:
            failures.append(f"output matches (must not): {regex}")
    regex_checks = sum(len(r) for r in (options.output_regex, options.stdout_regex, options.stderr_regex,
                                       options.not_output_regex))
    if not failures:
        print(f"expect.py: ok: exit code {code}, {regex_checks} regex check(s) passed")
        return 0
    print("expect.py: FAILED: " + " ".join(command))
    for failure in failures:
        print("  " + failure)
    lines = both.splitlines()
    print(f"--- last {min(TAIL_LINES, len(lines))} of {len(lines)} lines of output (stdout and stderr) ---")
    for line in lines[-TAIL_LINES:]:
        print(line)
    print("--- end of output ---")
    return 1


if __name__ == "__main__":
    sys.exit(main())
