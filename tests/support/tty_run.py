"""Runs a command on a pseudo-terminal and answers its confirmation prompt, for the tests of
trailwatch's interactive confirmation (which it asks only on a terminal).

    <venv>/bin/python tests/support/tty_run.py --answer y [--before-answer CMD] -- <program> [args...]

Every time the output shows a new confirmation prompt (ending `Enter a value:`) it types the
answer and Enter. Prints one JSON
object: {"code": <exit code>, "output": <what the terminal showed>, "prompts": <prompts seen>}.
Gives up (code -1) if the program shows nothing for 60 s. --before-answer runs a command (split as a
shell would) before the first answer is typed: someone changing the account while the question waits.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import select
import shlex
import subprocess
import sys

PROMPT = b"Enter a value:"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answer", required=True)
    parser.add_argument("--before-answer")
    parser.add_argument("argv", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    out = b""
    answered = 0
    timed_out = False
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        if not ready:
            timed_out = True
            os.kill(pid, 9)
            break
        try:
            data = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        out += data
        if out.count(PROMPT) > answered:
            if answered == 0 and args.before_answer:
                subprocess.run(shlex.split(args.before_answer), check=True, stdout=subprocess.DEVNULL)
            answered += 1
            os.write(fd, args.answer.encode() + b"\r")
    _, status = os.waitpid(pid, 0)
    code = -1 if timed_out else os.waitstatus_to_exitcode(status)
    text = out.decode("utf-8", errors="replace")
    print(json.dumps({"code": code, "output": text, "prompts": out.count(PROMPT)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
