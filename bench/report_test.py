#!/usr/bin/python3
"""bench/report.py on made-up results: every target met gives exit 0, and each miss is reported and
gives exit 1. gnuplot is replaced by a stub on PATH (the plot is not what is tested here)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT = os.path.join(HERE, "report.py")
CONNECTIONS = [1, 2, 4, 16, 64, 256]


def google(per_second_1, per_second_2):
    rows = []
    for pss in (0, 1):
        for threads, ps in ((1, per_second_1), (2, per_second_2)):
            rows.append({"name": f"BM_TokenSign/bits:2048/pss:{pss}/real_time/threads:{threads}",
                         "items_per_second": ps, "real_time": 1e9 / per_second_1 if threads == 1 else 1e9 / ps,
                         "cpu_time": 500_000.0})
    return {"benchmarks": rows}


def point(per_second, p50=0.5, p99=1.0, errors=0, kinds=None):
    return {"signatures": int(per_second * 3), "errors": errors, "errors_by_kind": kinds or {},
            "per_second": per_second, "latency_ms": {"p50": p50, "p90": p50, "p99": p99, "max": p99}}


class ReportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.res = os.path.join(self.tmp.name, "results")
        os.mkdir(self.res)
        self.bin = os.path.join(self.tmp.name, "bin")
        os.mkdir(self.bin)
        with open(os.path.join(self.bin, "gnuplot"), "w") as f:
            f.write("#!/bin/sh\ncat >/dev/null\n")
        os.chmod(os.path.join(self.bin, "gnuplot"), 0o755)
        with open(os.path.join(self.tmp.name, "benchmarks-notes.md"), "w") as f:
            f.write("notes\n")
        self.write_all_met()

    def tearDown(self):
        self.tmp.cleanup()

    def put(self, name, data):
        with open(os.path.join(self.res, name), "w") as f:
            f.write(data if isinstance(data, str) else json.dumps(data))

    def write_all_met(self):
        self.put("machine.txt", "machine 2 cores, test\nkernel k\nsofthsm s\nopenssl o\np11-kit p\n"
                 "openssh h\ndate d\nseconds_per_point 3\n")
        self.put("memory.txt", "idle_rss_kb 12000\nloaded_rss_kb 15000\n")
        self.put("inprocess.json", google(2000, 4000))
        self.put("p11kit.json", google(1500, 2000))
        self.put("ssh-agent-1.json", {"connections": 1, "per_second": 1500})
        self.put("ready.json", {"ready_ms": 25, "idle_rss_kb": 11000})
        for what in ("RSA-SHA256", "RSA-PSS-SHA256", "mypos"):
            for c in CONNECTIONS:
                # 256 connections at 3900/s: the fair p99 bound is 2 * 256 / 3900 s = 131 ms.
                self.put(f"daemon-{what}-{c}.json", point(1900 if c == 1 else 3900, p50=0.55, p99=100))
                self.put(f"cpu-{what}-{c}.txt", "300 100 0.3 0.1\n")
        self.put("slow-64.json", point(3600))
        self.put("over-limit.json", point(3000, errors=500, kinds={"503 queue_full": 500}))

    def run_report(self):
        md = os.path.join(self.tmp.name, "benchmarks.md")
        env = dict(os.environ, PATH=self.bin + os.pathsep + os.environ["PATH"])
        proc = subprocess.run([sys.executable, REPORT, self.res, md, os.path.join(self.tmp.name, "b.svg")],
                              env=env, capture_output=True, text=True)
        with open(md) as f:
            return proc.returncode, proc.stdout, f.read()

    def missed(self, stdout):
        return [line for line in stdout.splitlines() if line.startswith("MISSED")]

    def test_all_targets_met_exits_0(self):
        code, out, md = self.run_report()
        self.assertEqual(self.missed(out), [])
        self.assertEqual(code, 0, out)
        self.assertNotIn("**missed**", md)
        self.assertIn("| RSA-SHA256 (PKCS#1 v1.5) | 16 | 3900 | 0.97 |", md)
        # CPU per signature: 300 ticks at 100/s over 11700 signatures is 256 us; the client 0.4 s, 34 us.
        self.assertIn("| 3900 | 0.97 | 0.55 | 0.55 | 100.00 | 100.00 | 0 | 256 | 34 |", md)

    def test_elliptic_curve_points_are_shown_beside_rsa(self):
        rows = [{"name": f"BM_TokenSignEc/ed25519:{ed}/real_time/threads:{t}", "items_per_second": ps,
                 "real_time": 1e9 / ps, "cpu_time": 1000.0}
                for ed, t, ps in ((0, 1, 5000), (0, 2, 9000), (1, 1, 6000), (1, 2, 10000))]
        self.put("inprocess-ec.json", {"benchmarks": rows})
        self.put("daemon-ec-ECDSA-SHA256-16.json", dict(point(8550), concurrency=16))
        self.put("daemon-ec-Ed25519-16.json", dict(point(9000), concurrency=16))
        code, out, md = self.run_report()
        self.assertEqual(code, 0, out)
        self.assertIn("## Elliptic-curve keys", md)
        self.assertIn("| ECDSA P-256 (ECDSA-SHA256, demo-ec) | 5000 | 9000 | 16 | 8550 | 0.95 |", md)
        self.assertIn("| Ed25519 (bench-ed) | 6000 | 10000 | 16 | 9000 | 0.90 |", md)
        self.assertIn("| RSA-2048 PKCS#1 (demo) | 2000 | 4000 | 16 | 3900 | 0.97 |", md)

    def test_a_run_without_elliptic_curve_points_has_no_such_section(self):
        _, _, md = self.run_report()
        self.assertNotIn("Elliptic-curve", md)

    def test_a_slow_level_misses_the_in_process_ratio(self):
        self.put("daemon-RSA-SHA256-4.json", point(3700))  # 0.925 x 4000
        code, out, md = self.run_report()
        self.assertEqual(code, 1)
        self.assertEqual(len(self.missed(out)), 1, out)
        self.assertIn("3700 / 4000 = 0.93", self.missed(out)[0])

    def test_latency_over_in_process_plus_100us_is_missed(self):
        self.put("daemon-RSA-SHA256-1.json", point(1900, p50=0.61))  # in process 0.5 ms
        code, out, _ = self.run_report()
        self.assertEqual(code, 1)
        self.assertIn("p50 at 1 connection", self.missed(out)[0])

    def test_unfair_p99_at_256_is_missed(self):
        self.put("daemon-RSA-SHA256-256.json", point(3900, p99=140))
        code, out, _ = self.run_report()
        self.assertEqual(code, 1)
        self.assertIn("p99 at 256", self.missed(out)[0])

    def test_errors_below_the_limit_and_resets_above_it_are_missed(self):
        self.put("daemon-mypos-64.json", point(3900, errors=1, kinds={"504 token_timeout": 1}))
        self.put("over-limit.json", point(3000, errors=3, kinds={"503 queue_full": 2, "connection": 1}))
        code, out, _ = self.run_report()
        self.assertEqual(code, 1)
        missed = "\n".join(self.missed(out))
        self.assertIn("no errors below queue-limit", missed)
        self.assertIn("above queue-limit", missed)

    def test_no_503_above_the_limit_is_missed_too(self):
        self.put("over-limit.json", point(3000))  # the limit was never reached: nothing was shown
        code, out, _ = self.run_report()
        self.assertEqual(code, 1)
        self.assertIn("above queue-limit", self.missed(out)[0])

    def test_peers_memory_readiness_and_slow_token(self):
        self.put("ssh-agent-1.json", {"connections": 1, "per_second": 2000})  # 3900 < 2 x 2000
        self.put("p11kit.json", google(1500, 2100))  # 3900 < 1.9 x 2100
        self.put("memory.txt", "idle_rss_kb 30000\nloaded_rss_kb 70000\n")
        self.put("ready.json", {"ready_ms": 400, "idle_rss_kb": 11000})
        self.put("slow-64.json", point(3400))  # < 0.9 x 3900
        code, out, _ = self.run_report()
        self.assertEqual(code, 1)
        self.assertEqual(len(self.missed(out)), 6, out)

    def test_fairness_point_is_checked_when_it_ran(self):
        flooder = {"connections": 1000, "requests": 900, "statuses": {"403": 900}, "reconnects": 0}
        self.put("fairness-idle.json", point(1400, p99=0.9))
        self.put("fairness-flooder.json", flooder)
        self.put("fairness-flood.json", point(1400, p99=1.7))
        code, out, md = self.run_report()
        self.assertEqual(code, 0, out)
        self.assertIn("1.700 ms vs 2 x 0.900 ms", md)
        self.put("fairness-flood.json", point(1400, p99=1.9))
        code, out, _ = self.run_report()
        self.assertEqual(code, 1)
        self.assertIn("floods 1,000 connections", self.missed(out)[0])
        self.put("fairness-flood.json", point(1400, p99=1.0, errors=1))
        code, out, _ = self.run_report()
        self.assertEqual(code, 1)

    def test_rotation_point_is_checked_when_it_ran(self):
        rotation = {"steady": point(1400), "switch": point(1300), "switch_seconds": 0.42, "errors": 0,
                    "versions": [1, 2]}
        self.put("rotation.json", rotation)
        code, out, md = self.run_report()
        self.assertEqual(code, 0, out)
        self.assertIn("0 errors; 1300/s over the run holding the switch (0.42 s, version 1 to 2) vs 1400/s", md)
        self.put("rotation.json", dict(rotation, switch=point(1300, errors=3), errors=3))
        code, out, _ = self.run_report()
        self.assertEqual(code, 1)
        self.assertIn("a key rotated under load", self.missed(out)[0])

    def test_slow_token_says_whether_the_workers_waited(self):
        _, _, md = self.run_report()
        self.assertNotIn("Workers holding", md)  # not recorded: not made up
        self.put("slow-busy.txt", "32 30\n32 28\n30 0\n32 31\n")
        self.put("slow-cpu.txt", "workers 32\nidle_percent 11.4\n")
        _, _, md = self.run_report()
        self.assertIn("Workers holding a request: 31.5 of 32 on average; requests waiting for a worker in 75 % of "
                      "4 samples (22 on average); the CPU was idle 11 % of the time.", md)

    def test_an_unsteady_machine_is_said_and_exits_2(self):
        self.put("inprocess.json", google(2000, 2700))  # two threads only 1.35 x one: the cores were shared
        code, out, md = self.run_report()
        self.assertEqual(code, 2, out)
        self.assertIn("UNSTEADY in process PKCS#1 on 2 threads did 1.35 x 1 thread", out)
        self.assertIn("**Not a steady run**", md)

    def test_pkcs1_and_pss_apart_is_unsteady_too(self):
        rows = google(2000, 4000)
        for r in rows["benchmarks"]:
            if "pss:1" in r["name"] and "threads:1" in r["name"]:
                r["items_per_second"] = 1600
        self.put("inprocess.json", rows)
        code, out, _ = self.run_report()
        self.assertEqual(code, 2, out)
        self.assertIn("PKCS#1 did 2000/s and PSS 1600/s", out)

    def test_steal_time_makes_a_run_unsteady(self):
        self.put("machine.txt", "machine 2 cores, test\nkernel k\nsofthsm s\nopenssl o\np11-kit p\n"
                 "openssh h\ndate d\nseconds_per_point 3\nsteal_percent 7.5\n")
        code, out, md = self.run_report()
        self.assertEqual(code, 2, out)
        self.assertIn("7.5 % of this machine's CPU time", out)
        self.assertIn("CPU stolen by the hypervisor during the run: 7.5 %", md)

    def test_a_probe_away_from_the_start_makes_the_run_unsteady(self):
        self.put("probe-after-RSA-SHA256.json", google(1950, 3800))  # within 10 % of 4000 on 2 threads
        code, out, md = self.run_report()
        self.assertEqual(code, 0, out)
        self.assertIn("after RSA-SHA256 3800/s", md)
        self.put("probe-at-end.json", google(1950, 3000))
        code, out, _ = self.run_report()
        self.assertEqual(code, 2, out)
        self.assertIn("UNSTEADY in process on 2 thread(s) did 3000/s at end, against 4000/s at the start", out)


if __name__ == "__main__":
    unittest.main()
