#!/usr/bin/env python3
"""The rotation-under-load point: `p11sign bench KEY` with 16 connections for SECONDS while nothing changes
(steady), then again while a new version of KEY is generated on the token, activated, the old one retired and
destroyed (the switch, docs/operations.md "Rotating a key"). Prints {"steady", "switch", "switch_seconds",
"errors", "versions"} as JSON: the two bench reports, how long the four admin steps took, the errors of both
runs (the target is 0) and the versions the key was switched between.

usage: rotation_load.py P11SIGN KEY SECONDS
"""
import json
import subprocess
import sys
import time

CONNECTIONS = 16


def p11sign(binary, *args):
    return subprocess.run([binary, *args], check=True, capture_output=True, text=True).stdout


def active_version(binary, key):
    listing = json.loads(p11sign(binary, "key", "versions", key, "--json"))
    return next(v["version"] for v in listing["versions"] if v["state"] == "active")


def bench(binary, key, seconds):
    # Exit status 1 means errors, which the report counts; anything else is a broken run.
    return subprocess.Popen([binary, "bench", key, "--connections", str(CONNECTIONS), "--duration", str(seconds),
                             "--json"], stdout=subprocess.PIPE, text=True)


def report_of(run):
    out, _ = run.communicate()
    if run.returncode not in (0, 1):
        sys.exit(f"rotation_load.py: p11sign bench failed with status {run.returncode}")
    return json.loads(out)


def switch(binary, key):
    """rotate, activate, retire, destroy; returns (old, new) and the seconds the four steps took."""
    old = active_version(binary, key)
    start = time.monotonic()
    listing = json.loads(p11sign(binary, "key", "rotate", key, "--json"))
    new = max(v["version"] for v in listing["versions"])
    p11sign(binary, "key", "activate", key, str(new))
    p11sign(binary, "key", "retire", key, str(old))
    p11sign(binary, "key", "destroy", key, str(old), "--yes")
    return (old, new), time.monotonic() - start


def main():
    binary, key, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    steady = report_of(bench(binary, key, seconds))
    run = bench(binary, key, seconds)
    time.sleep(seconds / 4)  # the switch starts under full load
    versions, took = switch(binary, key)
    switched = report_of(run)
    print(json.dumps({"steady": steady, "switch": switched, "switch_seconds": round(took, 3),
                      "errors": steady["errors"] + switched["errors"], "versions": list(versions)}))


if __name__ == "__main__":
    main()
