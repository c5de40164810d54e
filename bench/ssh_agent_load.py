#!/usr/bin/python3
"""Signatures per second from ssh-agent (rsa-sha2-256, the agent's first key), for scripts/bench.

One process per connection (paramiko's agent client, Debian's python3-paramiko), so that the client's
interpreter is not the bottleneck of a single-threaded agent. Prints one JSON object.
usage: ssh_agent_load.py SECONDS CONNECTIONS   (SSH_AUTH_SOCK names the agent)
"""
import json
import multiprocessing
import sys
import time


def worker(seconds, results):
    import paramiko
    key = paramiko.Agent().get_keys()[0]
    data = b"x" * 32
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.monotonic()
        signature = key.sign_ssh_data(data, algorithm="rsa-sha2-256")
        latencies.append(time.monotonic() - start)
        if not signature:
            raise SystemExit("empty signature")
    results.put(latencies)


def main():
    seconds, connections = float(sys.argv[1]), int(sys.argv[2])
    results = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=worker, args=(seconds, results)) for _ in range(connections)]
    start = time.monotonic()
    for p in procs:
        p.start()
    latencies = sorted(l for _ in procs for l in results.get())
    for p in procs:
        p.join()
    elapsed = time.monotonic() - start
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    print(json.dumps({"connections": connections, "signatures": len(latencies), "seconds": elapsed,
                      "per_second": len(latencies) / elapsed,
                      "latency_ms": {"p50": pick(0.5), "p99": pick(0.99)}}))


if __name__ == "__main__":
    main()
