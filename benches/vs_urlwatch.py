#!/usr/bin/env python3
"""quietwatch against urlwatch and a bare fetch, on the issue-12 workload (see vs_urlwatch.sh).

    python3 benches/vs_urlwatch.py --pages 500 --reps 3 --tools quietwatch,urlwatch,curl \
        --quietwatch target/release/quietwatch --urlwatch VENV/bin/urlwatch [--json OUT]

For each repetition and each tool in turn (quietwatch, urlwatch, curl, quietwatch, ...), from
a fresh state (a new database, a new urlwatch cache): nginx serves v1 and the tool's **first
run** (baseline) is measured; nginx's root is switched to v2 and the **change check** is
measured, then checked for correctness; then the **unchanged recheck** (v2 again) is measured.
Each run is one child process timed from outside: wall (monotonic), CPU (user + system) and
peak RSS from wait4(2)'s rusage, which covers the process and every child it reaped; the
one-minute load average is noted before each run. The table gives medians.

Correctness is checked after every change check, and the script fails loudly when it is wrong:
- quietwatch: `changes --json` must hold exactly one `changed` per rewritten notice, one
  `removed` per deleted notice, one `added` per new notice, and nothing else (the first run
  must file nothing; the recheck must add nothing);
- urlwatch: its text report must say CHANGED for exactly the rewritten notices and the sitemap
  files whose lists changed (whose diffs must show the new and deleted URLs), ERROR (404) for
  exactly the deleted notices, and nothing for the timestamp-only notices.

Nothing is left running: nginx is stopped on every exit path, each run has a timeout after
which its whole process group is killed, and the work directory is removed unless --keep.
"""
import argparse
import json
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class Fail(Exception):
    pass


# ----------------------------------------------------------------------------- nginx

class Nginx:
    def __init__(self, work, port):
        self.work, self.port = work, port
        self.conf = os.path.join(work, "nginx.conf")
        self.pidfile = os.path.join(work, "nginx.pid")
        self.root = os.path.join(work, "root")  # a symlink to site/v1 or site/v2
        os.makedirs(os.path.join(work, "logs"), exist_ok=True)
        with open(self.conf, "w") as f:
            f.write(f"""worker_processes 1;
error_log {work}/logs/error.log;
pid {self.pidfile};
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    etag on;
    if_modified_since before;
    keepalive_requests 1000000;
    default_type text/html;
    types {{ text/html html; text/plain txt; application/xml xml; }}
    server {{
        listen 127.0.0.1:{port};
        root {self.root};
        index index.html;
    }}
}}
""")

    def serve(self, version):
        tmp = self.root + ".tmp"
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(os.path.join(self.work, "site", f"v{version}"), tmp)
        os.replace(tmp, self.root)  # atomic; nginx resolves the root per request

    def start(self):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", self.port)) == 0:
                raise Fail(f"port {self.port} is already in use: set --port")
        subprocess.run(["nginx", "-p", self.work, "-c", self.conf], check=True, timeout=30)
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise Fail("nginx did not start listening")

    def stop(self):
        try:
            pid = int(open(self.pidfile).read().strip())
        except (OSError, ValueError):
            return
        subprocess.run(["nginx", "-p", self.work, "-c", self.conf, "-s", "stop"],
                       timeout=30, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        try:
            os.kill(pid, signal.SIGKILL)  # our own master; its workers die with it
        except ProcessLookupError:
            pass


# ----------------------------------------------------------------------------- measuring

def measure(cmd, timeout, out_path, env=None):
    """Runs cmd once; returns wall s, CPU s, peak RSS MiB, load before, exit code."""
    load = os.getloadavg()[0]
    with open(out_path, "wb") as out:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True, env=env)
        killed = []

        def kill():
            killed.append(True)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        except BaseException:
            kill()  # interrupted (SIGTERM from the wrapper's timeout, ^C): leave nothing
            p.wait()
            raise
        finally:
            timer.cancel()
        wall = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
    try:
        os.killpg(p.pid, signal.SIGKILL)  # anything the run left behind in its group
    except (ProcessLookupError, PermissionError):
        pass
    if killed:
        raise Fail(f"timed out after {timeout} s: {' '.join(cmd)} (output: {out_path})")
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss": ru.ru_maxrss / 1024,
            "load": load, "rc": p.returncode}


# ----------------------------------------------------------------------------- the tools

class Quietwatch:
    name = "quietwatch"

    def __init__(self, b, binary):
        self.b, self.bin = b, binary
        self.dir = os.path.join(b.work, "qw")
        self.cfg = os.path.join(self.dir, "quietwatch.toml")

    def reset(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        base = self.b.base
        with open(self.cfg, "w") as f:
            f.write(f"""[crawl]
user_agent = "quietwatch-bench/0.1"
concurrency = {self.b.args.concurrency}
per_host_concurrency = {self.b.args.concurrency}
delay_ms = 0
timeout_s = 30
retries = 0

[storage]
db = "{self.dir}/bench.db"

[digest]
out_dir = "{self.dir}/digests"

[[site]]
name = "notices"
start = ["{base}/index.html"]
allow = ["{base}/Notice/"]
max_depth = 1
max_pages = {2 * self.b.pages + 1000}
sitemaps = true
documents = false
""")

    def cmd(self, phase):
        prefix = shlex.split(self.b.args.wrap_check) if phase == self.b.args.wrap_phase else []
        return prefix + [self.bin, "--config", self.cfg, "-q", "run"]

    def changes(self):
        out = subprocess.run([self.bin, "--config", self.cfg, "changes", "--json"],
                             capture_output=True, check=True, timeout=600).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def db_bytes(self):
        return sum(os.path.getsize(os.path.join(self.dir, f)) for f in os.listdir(self.dir)
                   if f.startswith("bench.db"))

    def verify(self, phase, run, out_path):
        if run["rc"] != 0:
            raise Fail(f"quietwatch {phase} exited {run['rc']}: see {out_path}")
        ch = self.changes()
        if phase == "first":
            if ch:
                raise Fail(f"quietwatch's baseline filed {len(ch)} changes: {ch[:3]}")
            return
        if phase == "recheck":
            if len(ch) != self.after_check:
                raise Fail(f"quietwatch's unchanged recheck filed {len(ch) - self.after_check} changes")
            return
        m, base = self.b.manifest, self.b.base
        want = {"changed": {base + u for u in m["rewritten"]},
                "removed": {base + u for u in m["deleted"]},
                "added": {base + u for u in m["new"]}}
        got = {}
        for c in ch:
            got.setdefault(c["kind"], []).append(c["url"])
        problems = []
        for kind in sorted(set(want) | set(got)):
            urls = got.get(kind, [])
            if len(urls) != len(set(urls)):
                problems.append(f"{kind}: a page reported twice")
            missed = want.get(kind, set()) - set(urls)
            extra = set(urls) - want.get(kind, set())
            if missed:
                problems.append(f"{kind}: {len(missed)} missed, e.g. {sorted(missed)[:3]}")
            if extra:
                problems.append(f"{kind}: {len(extra)} false positives, e.g. {sorted(extra)[:3]}")
        if problems:
            raise Fail("quietwatch's change check is wrong: " + "; ".join(problems))
        self.after_check = len(ch)
        run["found"] = {k: len(v) for k, v in got.items()}


class Urlwatch:
    name = "urlwatch"
    LINE = re.compile(r"^\d+\. (NEW|CHANGED|ERROR|UNCHANGED|EMPTY-DIFF|EMPTY DIFF): (.*)$")

    def __init__(self, b, binary):
        self.b, self.bin = b, binary
        self.dir = os.path.join(b.work, "uw")

    def reset(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        # What a urlwatch user has: one job per notice known at set-up time, plus the sitemap
        # files (their diffs are how urlwatch can show new notices). The filter drops the
        # footer timestamp with one regex on the raw HTML, urlwatch's cheapest way to ignore it
        # (no html2text): its best case.
        jobs = [self.b.base + u for u in self.b.manifest["v1"]]
        jobs += [self.b.base + u for u in self.b.manifest["sitemaps_v1"]]
        with open(os.path.join(self.dir, "urls.yaml"), "w") as f:
            f.write("\n---\n".join(
                f'url: "{u}"\nfilter:\n  - re.sub:\n      pattern: "Page generated at [0-9:]+ on [0-9]+ [A-Za-z]+ [0-9]+"\n      repl: ""'
                for u in jobs) + "\n")
        with open(os.path.join(self.dir, "urlwatch.yaml"), "w") as f:
            f.write("""display:
  new: true
  error: true
  unchanged: false
  empty-diff: true
report:
  text: {line_length: 75, details: true, footer: false, minimal: false, separate: false}
  stdout: {enabled: true, color: false}
  email: {enabled: false}
""")
        open(os.path.join(self.dir, "hooks.py"), "w").close()

    def cmd(self, phase):
        d = self.dir
        return [self.bin, "--urls", f"{d}/urls.yaml", "--config", f"{d}/urlwatch.yaml",
                "--hooks", f"{d}/hooks.py", "--cache", f"{d}/cache.db"]

    def verify(self, phase, run, out_path):
        if run["rc"] != 0:
            raise Fail(f"urlwatch {phase} exited {run['rc']}: see {out_path}")
        text = open(out_path, encoding="utf-8", errors="replace").read()
        got = {}
        for line in text.splitlines():
            mt = self.LINE.match(line.strip())
            if mt:
                got.setdefault(mt.group(1), set()).add(mt.group(2).strip())
        m, base = self.b.manifest, self.b.base
        if phase == "first":
            want = {"NEW": {base + u for u in m["v1"] + m["sitemaps_v1"]}}
        else:
            changed_maps = {base + u for u in self.b.changed_sitemaps}
            want = {"ERROR": {base + u for u in m["deleted"]}}
            if phase == "check":
                want["CHANGED"] = {base + u for u in m["rewritten"]} | changed_maps
        problems = []
        for kind in sorted(set(want) | set(got)):
            missed = want.get(kind, set()) - got.get(kind, set())
            extra = got.get(kind, set()) - want.get(kind, set())
            if missed:
                problems.append(f"{kind}: {len(missed)} missed, e.g. {sorted(missed)[:3]}")
            if extra:
                problems.append(f"{kind}: {len(extra)} unexpected, e.g. {sorted(extra)[:3]}")
        if phase == "check":
            for u in m["new"]:
                if not re.search(r"^\+.*" + re.escape(base + u), text, re.M):
                    problems.append(f"the sitemap diff does not show the new notice {u}")
                    break
        if problems:
            raise Fail(f"urlwatch's {phase} report is not what the workload holds: "
                       + "; ".join(problems) + f" (report: {out_path})")
        run["found"] = {k: len(v) for k, v in got.items()}


class Curl:
    name = "curl"

    def __init__(self, b):
        self.b = b
        self.dir = os.path.join(b.work, "curl")

    def reset(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        m, base = self.b.manifest, self.b.base
        # The same requests quietwatch makes: robots, home, sitemaps, every notice it knows or
        # finds (v1's for the first run; v1's and v2's afterwards, the deleted ones being 404s).
        for phase, notices, maps in (("first", m["v1"], m["sitemaps_v1"]),
                                     ("check", sorted(set(m["v1"]) | set(m["v2"])), m["sitemaps_v2"])):
            with open(os.path.join(self.dir, f"{phase}.cfg"), "w") as f:
                for u in ["/robots.txt", "/index.html", "/sitemap.xml"] + maps + notices:
                    f.write(f'url = "{base}{u}"\noutput = "/dev/null"\n')

    def cmd(self, phase):
        cfg = os.path.join(self.dir, ("first" if phase == "first" else "check") + ".cfg")
        return ["curl", "--silent", "--show-error", "--parallel", "--parallel-max",
                str(self.b.args.concurrency), "--config", cfg]

    def verify(self, phase, run, out_path):
        if run["rc"] != 0:
            raise Fail(f"curl {phase} exited {run['rc']}: see {out_path}")


# ----------------------------------------------------------------------------- the bench

class Bench:
    def __init__(self, args):
        self.args = args
        self.pages = args.pages
        self.base = f"http://127.0.0.1:{args.port}"
        self.work = args.work or tempfile.mkdtemp(prefix="qw-vs-urlwatch-")
        os.makedirs(self.work, exist_ok=True)
        self.nginx = Nginx(self.work, args.port)

    def generate(self):
        site = os.path.join(self.work, "site")
        shutil.rmtree(site, ignore_errors=True)
        t = time.monotonic()
        info = subprocess.run([sys.executable, os.path.join(HERE, "gen_notices.py"), site,
                               str(self.pages), self.base], check=True, capture_output=True,
                              timeout=3600).stdout
        log(f"generated {self.pages} pages in {time.monotonic() - t:.0f} s: {info.decode().strip()}")
        os.chmod(self.work, 0o755)  # nginx workers run unprivileged; mkdtemp is 0700
        for dirpath, dirs, _ in os.walk(site):
            for d in dirs:
                os.chmod(os.path.join(dirpath, d), 0o755)
        self.manifest = json.load(open(os.path.join(site, "manifest.json")))
        self.changed_sitemaps = []
        for u in sorted(set(self.manifest["sitemaps_v1"]) | set(self.manifest["sitemaps_v2"])):
            a, b = (os.path.join(site, v, u.lstrip("/")) for v in ("v1", "v2"))
            if not (os.path.exists(a) and os.path.exists(b) and open(a, "rb").read() == open(b, "rb").read()):
                self.changed_sitemaps.append(u)

    def timeout(self):
        return self.args.run_timeout or 60 + self.pages * 0.05

    def run(self):
        tools = []
        for name in self.args.tools.split(","):
            if name == "quietwatch":
                tools.append(Quietwatch(self, self.args.quietwatch))
            elif name == "urlwatch":
                tools.append(Urlwatch(self, self.args.urlwatch))
            elif name == "curl":
                tools.append(Curl(self))
            else:
                raise Fail(f"unknown tool {name}")
        results = {t.name: {"first": [], "check": [], "recheck": []} for t in tools}
        deadline = time.monotonic() + self.args.deadline
        for rep in range(1, self.args.reps + 1):
            for tool in tools:
                tool.reset()
                for phase, version in (("first", 1), ("check", 2), ("recheck", 2)):
                    if time.monotonic() > deadline:
                        raise Fail(f"--deadline of {self.args.deadline} s passed")
                    self.nginx.serve(version)
                    out = os.path.join(self.work, f"{tool.name}-{phase}-{rep}.out")
                    r = measure(tool.cmd(phase), self.timeout(), out)
                    tool.verify(phase, r, out)
                    if isinstance(tool, Quietwatch) and phase == "check":
                        r["db_bytes"] = tool.db_bytes()
                    results[tool.name][phase].append(r)
                    log(f"rep {rep} {tool.name:10} {phase:7} wall {r['wall']:7.3f} s  cpu "
                        f"{r['cpu']:7.3f} s  peak {r['rss']:6.1f} MiB  load {r['load']:.2f}"
                        + (f"  found {r['found']}" if r.get("found") else ""))
        return results


def median(rs, key):
    return statistics.median(r[key] for r in rs)


def table(results, pages, manifest):
    tools = list(results)
    lines = [f"| run ({pages} pages) | " + " | ".join(tools) + " |",
             "|---|" + "---|" * len(tools)]
    label = {"first": "first run", "check": "change check", "recheck": "unchanged recheck"}
    for phase in ("check", "first", "recheck"):
        for key, unit, fmt in (("wall", "s", "{:.3f} s"), ("cpu", "s", "{:.3f} s"),
                               ("rss", "MiB", "{:.0f} MiB")):
            what = {"wall": "wall", "cpu": "CPU (user+sys)", "rss": "peak RSS"}[key]
            cells = [fmt.format(median(results[t][phase], key)) for t in tools]
            lines.append(f"| {label[phase]}, {what} | " + " | ".join(cells) + " |")
    loads = [r["load"] for t in tools for p in results[t].values() for r in p]
    lines.append("")
    lines.append(f"medians of {len(next(iter(results.values()))['check'])} repetitions; "
                 f"load average before the runs {min(loads):.2f}–{max(loads):.2f}; "
                 f"{manifest['bytes_v1'] / pages / 1000:.1f} KB a page")
    if "quietwatch" in results:
        q = results["quietwatch"]
        per = {p: median(q[p], "wall") / pages * 1000 for p in q}
        lines.append("quietwatch per page: " + ", ".join(f"{label[p]} {per[p]:.2f} ms" for p in per)
                     + f"; database after the check {median(q['check'], 'db_bytes') / 1e6:.1f} MB "
                     f"for {(manifest['bytes_v1'] + manifest['bytes_v2']) / 1e6:.1f} MB of HTML served")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=500)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--tools", default="quietwatch,urlwatch,curl")
    ap.add_argument("--quietwatch", default="target/release/quietwatch")
    ap.add_argument("--urlwatch", default="urlwatch")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--port", type=int, default=18090)
    ap.add_argument("--work", help="work directory (default: a new temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--run-timeout", type=float, help="seconds per run (default 60 + 0.05 × pages)")
    ap.add_argument("--deadline", type=float, default=3 * 3600, help="seconds for the whole bench")
    ap.add_argument("--json", help="write every run's figures here")
    ap.add_argument("--wrap-check", default="", help="a command prefix for quietwatch's change "
                    "check only, to profile it: e.g. 'perf record -F 2000 -g -o /tmp/qw.perf --' "
                    "or 'heaptrack -o /tmp/qw.heaptrack' (its figures then measure the profiler too)")
    ap.add_argument("--wrap-phase", default="check", choices=["first", "check", "recheck"],
                    help="the run --wrap-check wraps (default: the change check)")
    args = ap.parse_args()
    args.quietwatch = os.path.abspath(args.quietwatch)

    def on_signal(signum, _):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    b = Bench(args)
    try:
        b.generate()
        b.nginx.start()
        results = b.run()
    except Fail as e:
        log(f"FAILED: {e}")
        return 1
    finally:
        b.nginx.stop()
        if not args.keep:
            shutil.rmtree(b.work, ignore_errors=True)
        else:
            log(f"work directory kept: {b.work}")
    print(table(results, args.pages, b.manifest))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"pages": args.pages, "machine_load_end": os.getloadavg(), "results": results,
                       "bytes_v1": b.manifest["bytes_v1"], "bytes_v2": b.manifest["bytes_v2"]}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
