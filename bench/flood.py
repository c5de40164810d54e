#!/usr/bin/env python3
"""The hostile side of the fairness point: as another uid, hold CONNECTIONS connections to the daemon and
keep each one sending the largest request it may (a body of exactly max-request-bytes) to a scheme's sign
route, as fast as the answers come, for SECONDS. Prints {"requests", "statuses", "reconnects"} as JSON.

usage: flood.py SOCKET SECONDS CONNECTIONS BODY_BYTES [USER]   (USER: drop to that uid first; needs root)
"""
import json
import os
import pwd
import selectors
import socket
import sys
import time


def body_of(size):
    """{"key":"demo","payload":{"m0":"xx..",...}} of exactly size bytes, within the member limit."""
    head, tail = '{"key":"demo","payload":{', '}}'
    members, i = [], 0
    room = size - len(head) - len(tail)
    while room > 0:
        member = f'"m{i}":""'
        if i:
            member = "," + member
        take = min(room, 1000)
        if take < len(member):
            break
        members.append(member[:-1] + "x" * (take - len(member)) + '"')
        room -= take
        i += 1
    text = head + "".join(members) + tail
    return (text + " " * (size - len(text))).encode()


def request_of(body):
    return (b"POST /v1/schemes/jws/sign HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


class Conn:
    def __init__(self, path, request):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.sock.setblocking(False)
        self.out = memoryview(request)
        self.got = b""


def main():
    path, seconds, count, size = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    if len(sys.argv) > 5:
        user = pwd.getpwnam(sys.argv[5])
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
    request = request_of(body_of(size))
    sel = selectors.DefaultSelector()
    statuses, requests, reconnects = {}, 0, 0

    def open_one():
        c = Conn(path, request)
        sel.register(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)

    for _ in range(count):
        open_one()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for key, events in sel.select(timeout=0.1):
            c = key.data
            try:
                if events & selectors.EVENT_WRITE and c.out:
                    c.out = c.out[c.sock.send(c.out):]
                    if not c.out:
                        sel.modify(c.sock, selectors.EVENT_READ, c)
                if events & selectors.EVENT_READ:
                    chunk = c.sock.recv(65536)
                    if not chunk:
                        raise ConnectionResetError
                    c.got += chunk
                    head, sep, rest = c.got.partition(b"\r\n\r\n")
                    if not sep:
                        continue
                    length = 0
                    for line in head.split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value)
                    if len(rest) < length:
                        continue
                    status = head.split(b" ", 2)[1].decode()
                    statuses[status] = statuses.get(status, 0) + 1
                    requests += 1
                    if b"connection: close" in head.lower():
                        raise ConnectionResetError
                    c.got = rest[length:]
                    c.out = memoryview(request)
                    sel.modify(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
            except (ConnectionResetError, BrokenPipeError, OSError):
                sel.unregister(c.sock)
                c.sock.close()
                reconnects += 1
                try:
                    open_one()
                except OSError:
                    pass
    print(json.dumps({"connections": count, "body_bytes": size, "requests": requests,
                      "statuses": statuses, "reconnects": reconnects}))


if __name__ == "__main__":
    main()
