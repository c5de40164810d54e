#!/usr/bin/python3
"""Milliseconds from exec to READY=1 on NOTIFY_SOCKET, for scripts/bench. Prints one JSON object.
usage: ready_time.py P11SIGND CONFIG
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time


def main():
    binary, config = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(30)
        env = dict(os.environ, NOTIFY_SOCKET=path)
        start = time.monotonic()
        proc = subprocess.Popen([binary, "--config", config], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                message = sock.recv(4096).decode()
                if "READY=1" in message.split("\n"):
                    break
            ready_ms = (time.monotonic() - start) * 1000
            rss_kb = next(int(line.split()[1]) for line in open(f"/proc/{proc.pid}/status")
                          if line.startswith("VmRSS:"))
        finally:
            proc.terminate()
            proc.wait(10)
    print(json.dumps({"ready_ms": ready_ms, "idle_rss_kb": rss_kb}))


if __name__ == "__main__":
    main()
