#!/usr/bin/python3
"""Turns one scripts/bench run into docs/benchmarks.md and its plot, and checks the targets.
usage: report.py RESULTS_DIR OUT.md OUT.svg
(exit status 1 when a target is missed, 2 when the run was not steady: its ratios mean nothing)
"""
import glob
import json
import os
import subprocess
import sys

CONNECTIONS = [1, 2, 4, 16, 64, 256]
SERIES = [("RSA-SHA256", "RSA-SHA256 (PKCS#1 v1.5)"), ("RSA-PSS-SHA256", "RSA-PSS-SHA256"),
          ("mypos", "scheme mypos")]


def load(path):
    with open(path) as f:
        return json.load(f)


def google_bench(path):
    """{(pss, threads): (per_second, ms_per_signature, cpu_us_per_signature)} from Google Benchmark's JSON."""
    out = {}
    for b in load(path)["benchmarks"]:
        parts = dict(p.split(":") for p in b["name"].split("/") if ":" in p)
        out[(int(parts["pss"]), int(parts["threads"]))] = (b["items_per_second"], b["real_time"] / 1e6,
                                                           b["cpu_time"] / 1e3)
    return out


def cpu_per_signature(path, signatures):
    """(daemon, client) CPU microseconds per signature from a line "TICKS TICKS_PER_S USER_S SYS_S"."""
    ticks, hz, user, sys_ = open(path).read().split()
    n = max(signatures, 1)
    return int(ticks) / int(hz) / n * 1e6, (float(user) + float(sys_)) / n * 1e6


def slow_token_detail(res):
    """What the workers did during the slow-token point (busy_sampler.py, and the CPU's idle share), or "" when
    the run did not record it. Requests always waiting while the CPU idles means the workers never lacked work:
    the missing throughput is then the token's (see the notes), not the daemon's."""
    try:
        samples = [tuple(map(float, line.split())) for line in open(os.path.join(res, "slow-busy.txt"))
                   if line.strip()]
        cpu = dict(line.split() for line in open(os.path.join(res, "slow-cpu.txt")))
    except FileNotFoundError:
        return ""
    if not samples:
        return ""
    workers = int(cpu["workers"])
    busy = sum(b for b, _ in samples) / len(samples)
    waiting = sum(1 for _, q in samples if q > 0) / len(samples)
    queue = sum(q for _, q in samples) / len(samples)
    return (f" Workers holding a request: {busy:.1f} of {workers} on average; requests waiting for a worker in "
            f"{100 * waiting:.0f} % of {len(samples)} samples ({queue:.0f} on average); the CPU was idle "
            f"{float(cpu['idle_percent']):.0f} % of the time.")


EC_SERIES = [("ECDSA-SHA256", "ECDSA P-256 (ECDSA-SHA256, demo-ec)", 0), ("Ed25519", "Ed25519 (bench-ed)", 1)]


def ec_section(res, rsa_inproc, rsa_daemon):
    """The elliptic-curve points of the run (inprocess-ec.json, daemon-ec-ALG-C.json) beside RSA-2048, as
    markdown lines; [] when the run has none."""
    path = os.path.join(res, "inprocess-ec.json")
    if not os.path.exists(path):
        return []
    inproc = {}
    for b in load(path)["benchmarks"]:
        if "items_per_second" not in b:  # a skipped benchmark (no such key)
            continue
        parts = dict(p.split(":") for p in b["name"].split("/") if ":" in p)
        inproc[(int(parts["ed25519"]), int(parts["threads"]))] = (b["items_per_second"], b["real_time"] / 1e6)
    lines = ["## Elliptic-curve keys", "",
             "ECDSA P-256 (hashed by the daemon, `CKM_ECDSA`, raw r||s) and pure Ed25519 (`CKM_EDDSA`) on the same "
             "token, beside RSA-2048 PKCS#1 from this run.", "",
             "| signing | in process, 1 thread /s | in process, 2 threads /s | connections | p11signd /s | "
             "x in process (2 threads) | p50 ms | p99 ms | errors |", "|---|---|---|---|---|---|---|---|---|"]
    for alg, label, arg in EC_SERIES:
        one, two = inproc.get((arg, 1), (0, 0))[0], inproc.get((arg, 2), (0, 0))[0]
        for f in sorted(glob.glob(os.path.join(res, f"daemon-ec-{alg}-*.json")),
                        key=lambda f: int(f.rsplit("-", 1)[1][:-len(".json")])):
            d = load(f)
            ratio = f"{d['per_second'] / two:.2f}" if two else ""
            lines.append(f"| {label} | {one:.0f} | {two:.0f} | {d['concurrency']} | {d['per_second']:.0f} | {ratio} | "
                         f"{d['latency_ms']['p50']:.2f} | {d['latency_ms']['p99']:.2f} | {d['errors']} |")
    lines.append(f"| RSA-2048 PKCS#1 (demo) | {rsa_inproc[(0, 1)][0]:.0f} | {rsa_inproc[(0, 2)][0]:.0f} | 16 | "
                 f"{rsa_daemon[('RSA-SHA256', 16)]['per_second']:.0f} | "
                 f"{rsa_daemon[('RSA-SHA256', 16)]['per_second'] / rsa_inproc[(0, 2)][0]:.2f} | "
                 f"{rsa_daemon[('RSA-SHA256', 16)]['latency_ms']['p50']:.2f} | "
                 f"{rsa_daemon[('RSA-SHA256', 16)]['latency_ms']['p99']:.2f} | {rsa_daemon[('RSA-SHA256', 16)]['errors']} |")
    return lines + [""]


def rotation_target(res):
    """The rotation-under-load point (bench/rotation_load.py): zero errors through the switch, and the
    throughput of the run holding the switch against the steady one. None when the point did not run."""
    path = os.path.join(res, "rotation.json")
    if not os.path.exists(path):
        return None
    r = load(path)
    steady, switch = r["steady"]["per_second"], r["switch"]["per_second"]
    old, new = r["versions"]
    return ("a key rotated under load (16 connections; version generated, activated, old one retired and "
            "destroyed): zero errors",
            f"{r['errors']} errors; {switch:.0f}/s over the run holding the switch ({r['switch_seconds']:.2f} s, "
            f"version {old} to {new}) vs {steady:.0f}/s steady = {switch / steady if steady else 0:.2f}",
            r["errors"] == 0 and r["switch"]["signatures"] > 0)


def steadiness(inproc, cores, steal_percent=0.0, probes=None):
    """Why the run cannot be trusted, if it cannot: in process, PKCS#1 and PSS cost the same on the token, and on
    two cores two threads sign about twice as fast as one. Another load on the cores breaks both; every ratio of
    the run is then noise. Empty when the run was steady."""
    problems = []
    threads = min(cores, 2)
    base = inproc[(0, threads)][0]
    for name, per_second in (probes or {}).items():
        if abs(per_second - base) > 0.1 * base:
            problems.append(f"in process on {threads} thread(s) did {per_second:.0f}/s "
                            f"{name.replace('-', ' ', 1)}, against {base:.0f}/s at the start")
    if steal_percent > 3:
        problems.append(f"the hypervisor gave {steal_percent:.1f} % of this machine's CPU time to others (steal)")
    for threads in sorted({t for _, t in inproc}):
        a, b = inproc[(0, threads)][0], inproc[(1, threads)][0]
        if abs(a - b) > 0.1 * max(a, b):
            problems.append(f"in process at {threads} thread(s) PKCS#1 did {a:.0f}/s and PSS {b:.0f}/s, "
                            "more than 10 % apart")
    if cores >= 2:
        for pss, name in ((0, "PKCS#1"), (1, "PSS")):
            one, two = inproc[(pss, 1)][0], inproc[(pss, 2)][0]
            if two < 1.7 * one:
                problems.append(f"in process {name} on 2 threads did {two / one:.2f} x 1 thread, not about 2 x")
    return problems


def main():
    res, md_path, svg_path = sys.argv[1:4]
    machine = dict(line.rstrip("\n").split(" ", 1) for line in open(os.path.join(res, "machine.txt")))
    memory = dict(line.split() for line in open(os.path.join(res, "memory.txt")))
    inproc = google_bench(os.path.join(res, "inprocess.json"))
    p11kit = google_bench(os.path.join(res, "p11kit.json"))
    daemon = {(w, c): load(os.path.join(res, f"daemon-{w}-{c}.json")) for w, _ in SERIES for c in CONNECTIONS}
    cpu = {k: cpu_per_signature(os.path.join(res, f"cpu-{k[0]}-{k[1]}.txt"), d["signatures"])
           for k, d in daemon.items()}
    agents = [load(p) for p in sorted(glob.glob(os.path.join(res, "ssh-agent-*.json")))]
    ready = load(os.path.join(res, "ready.json"))
    slow = load(os.path.join(res, "slow-64.json"))
    over = load(os.path.join(res, "over-limit.json"))
    over_kinds = over.get("errors_by_kind", {})
    cores = int(machine["machine"].split()[0])
    steal = float(machine.get("steal_percent", "0"))
    probes = {os.path.basename(p)[len("probe-"):-len(".json")]: google_bench(p)[(0, min(cores, 2))][0]
              for p in sorted(glob.glob(os.path.join(res, "probe-*.json")), key=os.path.getmtime)}
    unsteady = steadiness(inproc, cores, steal, probes)
    base = inproc[(0, min(cores, 2))][0]
    base_pss = inproc[(1, min(cores, 2))][0]
    agent_best = max(a["per_second"] for a in agents)
    p11kit_best = max(v[0] for (pss, _), v in p11kit.items() if pss == 0)
    daemon_best = max(daemon[("RSA-SHA256", c)]["per_second"] for c in CONNECTIONS if c >= 2)
    daemon_min = min(daemon[("RSA-SHA256", c)]["per_second"] for c in CONNECTIONS if c >= 2)
    pss_min = min(daemon[("RSA-PSS-SHA256", c)]["per_second"] for c in CONNECTIONS if c >= 2)
    d256 = daemon[("RSA-SHA256", 256)]
    fair_p99 = 2 * 256 / d256["per_second"] * 1000 if d256["per_second"] else float("inf")
    errors = sum(d["errors"] for d in daemon.values())
    targets = [
        ("daemon RSA-SHA256 at every level of 2-256 connections >= 0.95 x in process at "
         f"{min(cores, 2)} threads", f"{daemon_min:.0f} / {base:.0f} = {daemon_min / base:.2f}",
         daemon_min >= 0.95 * base),
        ("same for PSS", f"{pss_min:.0f} / {base_pss:.0f} = {pss_min / base_pss:.2f}", pss_min >= 0.95 * base_pss),
        ("daemon >= 2.0 x ssh-agent", f"{daemon_best:.0f} / {agent_best:.0f} = {daemon_best / agent_best:.2f}",
         daemon_best >= 2.0 * agent_best),
        ("daemon >= 1.9 x p11-kit server", f"{daemon_best:.0f} / {p11kit_best:.0f} = "
         f"{daemon_best / p11kit_best:.2f}", daemon_best >= 1.9 * p11kit_best),
        ("p50 at 1 connection <= in-process latency + 0.1 ms",
         f"{daemon[('RSA-SHA256', 1)]['latency_ms']['p50']:.3f} ms vs {inproc[(0, 1)][1]:.3f} ms",
         daemon[("RSA-SHA256", 1)]["latency_ms"]["p50"] <= inproc[(0, 1)][1] + 0.1),
        ("p99 at 256 connections <= 2 x 256 / throughput", f"{d256['latency_ms']['p99']:.1f} ms vs "
         f"{fair_p99:.1f} ms", d256["latency_ms"]["p99"] <= fair_p99),
        ("no errors below queue-limit (1024)", f"{errors} errors", errors == 0),
        ("above queue-limit (16, 256 connections): only clean 503s, never a timeout or a reset",
         f"{over['signatures']} signed, errors {json.dumps(over_kinds) if over_kinds else 'none'}",
         over["signatures"] > 0 and set(over_kinds) == {"503 queue_full"}),
        ("idle RSS <= 20 MB", f"{int(memory['idle_rss_kb']) / 1024:.1f} MB", int(memory["idle_rss_kb"]) <= 20 * 1024),
        ("RSS at 256 connections <= 60 MB", f"{int(memory['loaded_rss_kb']) / 1024:.1f} MB",
         int(memory["loaded_rss_kb"]) <= 60 * 1024),
        ("READY=1 <= 300 ms after start with 10 keys", f"{ready['ready_ms']:.0f} ms", ready["ready_ms"] <= 300),
        ("token 5 ms slower, workers = 32, 64 connections: >= 0.9 x the no-delay daemon",
         f"{slow['per_second']:.0f} / {daemon[('RSA-SHA256', 64)]['per_second']:.0f} = "
         f"{slow['per_second'] / daemon[('RSA-SHA256', 64)]['per_second']:.2f}",
         slow["per_second"] >= 0.9 * daemon[("RSA-SHA256", 64)]["per_second"] and slow["errors"] == 0),
    ]

    rotation = rotation_target(res)
    if rotation:
        targets.append(rotation)

    fairness = os.path.join(res, "fairness-flood.json")
    if os.path.exists(fairness):  # scripts/bench-fairness ran (as root)
        f_idle, f_flood = load(os.path.join(res, "fairness-idle.json")), load(fairness)
        flooder = load(os.path.join(res, "fairness-flooder.json"))
        p99_idle, p99_flood = f_idle["latency_ms"]["p99"], f_flood["latency_ms"]["p99"]
        targets.append((
            "one uid (no key) floods 1,000 connections with the largest bodies: another uid's p99 <= 2 x its "
            "idle p99, zero errors",
            f"{p99_flood:.3f} ms vs 2 x {p99_idle:.3f} ms, {f_flood['errors']} errors; the flooder got "
            f"{flooder['requests']} answers {json.dumps(flooder['statuses'])}",
            p99_flood <= 2 * p99_idle and f_flood["errors"] == 0 and f_idle["errors"] == 0))

    lines = ["# Benchmarks", "",
             "Written by `scripts/bench` from one run; every figure below comes from that run, side by side, on the",
             "same SoftHSM token and RSA-2048 key. Do not compare with figures from another run or machine.", "",
             f"Machine: {machine['machine']}; kernel {machine['kernel']}; SoftHSM {machine['softhsm']}; "
             f"OpenSSL {machine['openssl']}; p11-kit {machine['p11-kit']}; OpenSSH {machine['openssh']}; "
             f"{machine['date']}; {machine['seconds_per_point']} s per point; CPU stolen by the hypervisor during "
             f"the run: {steal:.1f} %. The load generator "
             "(`p11sign bench`) runs on the same cores as the daemon.", ""]
    if unsteady:
        lines += [f"**Not a steady run**: {'; '.join(unsteady)}. Something else used the cores; the ratios below "
                  "say nothing about p11signd. Run `scripts/bench` again on an idle machine.", ""]
    lines += ["## Targets", "", "| target | measured | |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {'met' if ok else '**missed**'} |" for t, m, ok in targets]
    lines += ["", "## Signing in process and through the peers", "",
              "| what | signatures/s | ms per signature (1 thread) |", "|---|---|---|"]
    for (pss, threads), (ps, ms, _) in sorted(inproc.items()):
        lines.append(f"| in process, {'PSS' if pss else 'PKCS#1'}, {threads} thread(s) | {ps:.0f} | "
                     f"{ms:.3f} |" if threads == 1 else f"| in process, {'PSS' if pss else 'PKCS#1'}, "
                     f"{threads} threads | {ps:.0f} | |")
    for (pss, threads), (ps, ms, _) in sorted(p11kit.items()):
        lines.append(f"| p11-kit server, {'PSS' if pss else 'PKCS#1'}, {threads} thread(s) | {ps:.0f} | |")
    for a in agents:
        lines.append(f"| ssh-agent (rsa-sha2-256), {a['connections']} connection(s) | {a['per_second']:.0f} | |")
    lines += ["", "## p11signd", "",
              "CPU per signature: the daemon's and the load generator's CPU time over the point, divided by the",
              f"signatures. In process, one signature costs {inproc[(0, 1)][2]:.0f} us of CPU (PKCS#1) and "
              f"{inproc[(1, 1)][2]:.0f} us (PSS); what the daemon uses beyond that is its own cost per request.", "",
              "| signing | connections | signatures/s | x in process | p50 ms | p90 ms | "
              "p99 ms | max ms | errors | daemon CPU us/sig | client CPU us/sig |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for w, label in SERIES:
        ref = base_pss if w == "RSA-PSS-SHA256" else base
        for c in CONNECTIONS:
            d = daemon[(w, c)]
            l = d["latency_ms"]
            lines.append(f"| {label} | {c} | {d['per_second']:.0f} | {d['per_second'] / ref:.2f} | {l['p50']:.2f} | "
                         f"{l['p90']:.2f} | {l['p99']:.2f} | {l['max']:.2f} | {d['errors']} | "
                         f"{cpu[(w, c)][0]:.0f} | {cpu[(w, c)][1]:.0f} |")
    if probes:
        lines += ["", f"Noise probe (in process, {min(cores, 2)} threads, one second, between the phases; "
                  f"{inproc[(0, min(cores, 2))][0]:.0f}/s at the start): " +
                  ", ".join(f"{name.replace('-', ' ', 1)} {v:.0f}/s" for name, v in probes.items()) + "."]
    lines += [""] + ec_section(res, inproc, daemon)
    lines += [f"Slow token (libp11faulty.so, `delay C_Sign 5`, workers = 32, 64 connections): "
              f"{slow['per_second']:.0f}/s, p99 {slow['latency_ms']['p99']:.1f} ms, {slow['errors']} errors."
              + slow_token_detail(res),
              "", f"Memory: {int(memory['idle_rss_kb']) / 1024:.1f} MB idle, {int(memory['loaded_rss_kb']) / 1024:.1f} MB "
              f"peak at 256 connections. Start-up with 10 keys: READY=1 after {ready['ready_ms']:.0f} ms "
              f"({ready['idle_rss_kb'] / 1024:.1f} MB).", "",
              f"![throughput and p99 against connections]({os.path.basename(svg_path)})", ""]
    with open(os.path.join(os.path.dirname(md_path) or ".", "benchmarks-notes.md")) as notes:
        lines.append(notes.read())
    with open(md_path, "w") as f:
        f.write("\n".join(lines))

    data = os.path.join(res, "plot.dat")
    with open(data, "w") as f:
        for c in CONNECTIONS:
            f.write(f"{c} " + " ".join(f"{daemon[(w, c)]['per_second']:.1f} {daemon[(w, c)]['latency_ms']['p99']:.3f}"
                                       for w, _ in SERIES) + "\n")
    plot = f"""set terminal svg size 900,420 dynamic
set output '{svg_path}'
set multiplot layout 1,2
set logscale x 2
set xlabel 'connections'
set key bottom right
set ylabel 'signatures/s'
set yrange [0:*]
plot '{data}' u 1:2 w lp t 'RSA-SHA256', '' u 1:4 w lp t 'PSS', '' u 1:6 w lp t 'mypos', {base} w l dt 2 t 'in process', {agent_best} w l dt 3 t 'ssh-agent', {p11kit_best} w l dt 4 t 'p11-kit server'
set ylabel 'p99 latency (ms)'
set logscale y
set yrange [*:*]
set key top left
plot '{data}' u 1:3 w lp t 'RSA-SHA256', '' u 1:5 w lp t 'PSS', '' u 1:7 w lp t 'mypos'
unset multiplot
"""
    subprocess.run(["gnuplot"], input=plot, text=True, check=True)
    missed = [t for t, _, ok in targets if not ok]
    for t, m, ok in targets:
        print(f"{'ok    ' if ok else 'MISSED'} {t}: {m}")
    for problem in unsteady:
        print(f"UNSTEADY {problem}: the machine was busy, run again on an idle one")
    sys.exit(2 if unsteady else 1 if missed else 0)


if __name__ == "__main__":
    main()
