#!/usr/bin/python3
"""Samples a daemon's p11signd_sessions_busy and p11signd_queue_depth (GET /metrics over its Unix socket) every
50 ms until killed or SECONDS have passed, one line "BUSY QUEUE" per sample. scripts/bench runs it beside the
slow-token point: it tells whether the workers ever waited for work.
usage: busy_sampler.py SOCKET SECONDS OUT"""
import http.client
import socket
import sys
import time


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def sample(conn):
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    values = {}
    for line in text.splitlines():
        if line.startswith(("p11signd_sessions_busy ", "p11signd_queue_depth ")):
            name, value = line.split()
            values[name] = float(value)
    return values["p11signd_sessions_busy"], values["p11signd_queue_depth"]


def main():
    path, seconds, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    conn = UnixHTTPConnection(path)
    end = time.monotonic() + seconds
    with open(out, "w") as f:
        while time.monotonic() < end:
            busy, queue = sample(conn)
            f.write(f"{busy:.0f} {queue:.0f}\n")
            f.flush()
            time.sleep(0.05)


if __name__ == "__main__":
    main()
