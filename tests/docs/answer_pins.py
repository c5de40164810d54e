#!/usr/bin/env python3
"""Runs a command on a terminal of its own and types the PINs a page's commands ask for, as a reader would:
the SO PIN at each prompt that ends in "SO PIN: ", the user PIN at any other prompt ending in "PIN: "
(softhsm2-util --init-token, `read -rsp 'user PIN: '`). Everything the command writes is copied to stdout.
Waits for each prompt, so nothing depends on timing. Exits with the command's status.

usage: answer_pins.py SO_PIN USER_PIN COMMAND [ARG...]"""
import os
import pty
import sys


def main() -> int:
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    so_pin, user_pin, command = sys.argv[1], sys.argv[2], sys.argv[3:]
    pid, terminal = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    line = b""
    while True:
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # EIO: the command and everything it started have closed the terminal
            break
        if not chunk:
            break
        sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
        line = (line + chunk).rsplit(b"\n", 1)[-1]
        if line.endswith(b"PIN: "):
            answer = so_pin if line.endswith(b"SO PIN: ") else user_pin
            os.write(terminal, answer.encode() + b"\n")
            line = b""
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
