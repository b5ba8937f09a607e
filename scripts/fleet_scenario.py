#!/usr/bin/env python3
"""The fleet scenario of issue #16 ("Proof"): Sluice as replicas behind a load balancer, with
canaries judged from Prometheus (README "Kubernetes and KServe", "Fleet canaries").

usage: scripts/fleet_scenario.py PATH/TO/sluice [--keep]

Real processes on loopback, everything in one temporary folder, every port picked free:
three `sluice serve` replicas sharing a models folder and a routes.yaml laid out as the kubelet
mounts a ConfigMap (routes.yaml -> ..data/routes.yaml, ..data -> ..<timestamp>), Debian's nginx
round-robin in front of them, and Debian's prometheus scraping every replica each second. Then:

  1. a canary whose candidate fails the 8-row requests (its model.yaml takes 1 row) rolls back
     on all three replicas, at the same boundary;
  2. a healthy canary promotes on all three through the same decisions;
  3. the split nginx measures (its log of x-sluice-model-version) over a 30 % route is within
     3 points of 30 %;
  4. a fourth replica started mid-canary (no traffic of its own) reaches the same step and the
     same decisions, replayed from Prometheus;
  5. a new routes.yaml published by swapping ..data, under load through nginx, is served by all
     three without a restart and without one failed request;
  6. every panel's PromQL of deploy/grafana/*.json returns data from this Prometheus.

Python's standard library only. Every wait and every load loop is bounded in count and time;
every process is stopped at the end, also on failure (logs of the failed run are printed, and
kept with --keep). Exits 1 with the failed checks named; prints a summary of the figures.
"""
import glob
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOKEN = "fleet-scenario-token"
INTERVAL = 4          # seconds per canary step
SCRAPE_DELAY = 3      # seconds after a boundary before it is judged (scrapes every 1 s, 1 s timeout)
STEPS = [10, 50, 100]
MIN_REQUESTS = 20
SPLIT_WEIGHT = 30     # version 2's share of split-ab before the ConfigMap swap
SWAPPED_WEIGHT = 60   # … and after it
SPLIT_REQUESTS = 4000  # ±3 points is 4.1 standard deviations of a 30 % share over 4,000 draws
TOLERANCE_POINTS = 3.0


class ScenarioFailed(Exception):
    pass


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_ports(count):
    """Ports the kernel handed out and nothing holds now (all bound at once, so they differ)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def rfc3339(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def parse_rfc3339(text):
    """Sluice writes decision times as 2026-12-06T23:00:04.000Z (milliseconds, UTC)."""
    match = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z", text)
    if not match:
        raise ScenarioFailed(f"decision time {text!r} is not RFC 3339 UTC")
    y, mo, d, h, mi, s = (int(g) for g in match.groups()[:6])
    import calendar
    return calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) + float(match.group(7) or 0)


def wait_until(what, deadline_seconds, probe, interval=0.2):
    """Calls probe() until it returns something truthy; fails naming `what` after the deadline."""
    deadline = time.monotonic() + deadline_seconds
    last_error = None
    while True:
        try:
            value = probe()
            if value:
                return value
        except (OSError, http.client.HTTPException, ValueError) as error:
            last_error = error
        if time.monotonic() > deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise ScenarioFailed(f"{what}: not within {deadline_seconds} s{detail}")
        time.sleep(interval)


def http_get(port, path, headers=None, timeout=5):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


# --- The bodies ---------------------------------------------------------------------------------

def infer_body(rows, seed):
    rng = random.Random(seed)
    data = [round(rng.gauss(0, 1), 4) for _ in range(rows * 20)]
    return json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [rows, 20], "data": data}]}).encode()


ONE_ROW = infer_body(1, 1)
EIGHT_ROWS = infer_body(8, 8)


# --- Processes ----------------------------------------------------------------------------------

class Fleet:
    """Owns every process of the scenario and stops them all, whatever happened."""

    def __init__(self, root, binary):
        self.root = root
        self.binary = binary
        self.processes = []   # (name, Popen, log path)

    def spawn(self, name, argv, cwd=None):
        log_path = self.root / f"{name}.log"
        out = open(log_path, "wb")
        # The caller's SLUICE_* variables would configure every replica: the scenario sets its own.
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")}
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=cwd or self.root, env=env, start_new_session=True)
        out.close()
        self.processes.append((name, proc, log_path))
        return proc

    def check_alive(self):
        for name, proc, log_path in self.processes:
            if proc.poll() is not None:
                raise ScenarioFailed(f"{name} exited with {proc.returncode}; its log:\n{tail(log_path)}")

    def stop(self):
        for _, proc, _ in self.processes:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 10
        for _, proc, _ in self.processes:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    def print_logs(self):
        for name, _, log_path in self.processes:
            print(f"--- {name} ({log_path.name}), last lines:\n{tail(log_path)}", file=sys.stderr)


def tail(path, lines=25):
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as error:
        return f"(unreadable: {error})"


# --- Files: models, routes (a ConfigMap's layout), nginx and Prometheus --------------------------

def make_models(root):
    """`fraud` as bundled, and `shaky`: the same two versions, but version 2's own model.yaml
    declares a 1-row input, so 8-row requests to it are refused (400) while 1-row ones pass."""
    models = root / "models"
    shutil.copytree(REPO / "models" / "fraud", models / "fraud")
    shutil.copytree(REPO / "models" / "fraud", models / "shaky")
    (models / "shaky" / "2" / "model.yaml").write_text(
        "# The failing candidate of the fleet scenario: one row per request only.\n"
        "inputs:\n  - {name: input, datatype: FP32, shape: [1, 20]}\n")
    return models


def routes_yaml(start, prometheus_url, split_weight):
    canary = ("    canary:\n"
              "      candidate: 2\n"
              f"      steps: {json.dumps(STEPS)}\n"
              f"      interval: {INTERVAL}s\n"
              f"      min_requests: {MIN_REQUESTS}\n"
              "      max_error_rate: 0.05\n"
              "      max_p99_latency_ratio: 1000     # a debug build on a busy machine: judge errors, not p99 noise\n"
              f"      start: {rfc3339(start)}\n"
              "      analysis:\n"
              f"        prometheus: {prometheus_url}\n"
              f"        scrape_delay: {SCRAPE_DELAY}s\n"
              "        timeout: 2s\n")
    return ("# The fleet scenario's routes (scripts/fleet_scenario.py), published like a ConfigMap.\n"
            "routes:\n"
            "  - name: shaky-canary\n"
            "    model: shaky\n"
            "    split: [{version: 1, weight: 100}]\n" + canary +
            "  - name: good-canary\n"
            "    model: fraud\n"
            "    split: [{version: 1, weight: 100}]\n" + canary +
            "  - name: split-ab\n"
            "    model: fraud\n"
            f"    split: [{{version: 1, weight: {100 - split_weight}}}, {{version: 2, weight: {split_weight}}}]\n"
            "    shadow: {version: 2, percent: 5}   # versions 1 and 2 disagree: the dashboard's mismatch panel has data\n")


class ConfigMapFolder:
    """A folder laid out as the kubelet mounts a ConfigMap, updated as it updates one: the files
    go into a new ..<timestamp> folder, a ..data_tmp symlink to it is renamed over ..data (one
    atomic swap), and the old folder is removed. Each key is a symlink key -> ..data/key."""

    def __init__(self, path):
        self.path = path
        path.mkdir()
        self.generation = 0

    def publish(self, files):
        self.generation += 1
        stamp = time.strftime("..%Y_%m_%d_%H_%M_%S", time.gmtime()) + f".{self.generation:09d}"
        new = self.path / stamp
        new.mkdir()
        for name, text in files.items():
            (new / name).write_text(text)
        data = self.path / "..data"
        old = os.readlink(data) if data.is_symlink() else None
        tmp_link = self.path / "..data_tmp"
        os.symlink(stamp, tmp_link)
        os.rename(tmp_link, data)
        for name in files:
            if not (self.path / name).is_symlink():
                os.symlink(f"..data/{name}", self.path / name)
        if old:
            shutil.rmtree(self.path / old)


def nginx_conf(root, port, upstreams):
    servers = "\n".join(f"    server 127.0.0.1:{p};" for p in upstreams)
    temp = root / "nginx"
    # As root, nginx's workers would run as nobody, who cannot enter the private temporary folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  client_body_temp_path {temp}/body;
  proxy_temp_path {temp}/proxy;
  fastcgi_temp_path {temp}/fastcgi;
  uwsgi_temp_path {temp}/uwsgi;
  scgi_temp_path {temp}/scgi;
  log_format fleet '$upstream_addr $status $upstream_status "$upstream_http_x_sluice_model_version" $request_uri';
  access_log {root}/nginx-access.log fleet;
  keepalive_requests 100000;
  upstream sluice {{
{servers}
    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://sluice;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream off;   # a failed request must reach the client, not be retried elsewhere
    }}
  }}
}}
"""


def prometheus_yml(targets):
    listed = ", ".join(f"'127.0.0.1:{p}'" for p in targets)
    return f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: sluice
    static_configs:
      - targets: [{listed}]
"""


# --- Clients ------------------------------------------------------------------------------------

class Load:
    """Client threads sending requests through nginx, each over its own keep-alive connection,
    cycling through `plan` ((route, body) pairs) until stopped, `max_requests` are sent in all or
    `max_seconds` pass. Counts answers per (route, status) and per (route, version header)."""

    def __init__(self, port, plan, threads, max_requests, max_seconds, pause=0.0):
        self.port, self.plan, self.pause = port, plan, pause
        self.max_requests, self.max_seconds = max_requests, max_seconds
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.sent = 0
        self.statuses = {}
        self.versions = {}
        self.failures = []
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(threads)]

    def start(self):
        self.deadline = time.monotonic() + self.max_seconds
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=20)

    def wait(self):
        for t in self.threads:
            t.join(timeout=self.max_seconds + 20)

    def take(self):
        with self.lock:
            if self.stop_event.is_set() or self.sent >= self.max_requests or time.monotonic() > self.deadline:
                return None
            self.sent += 1
            return self.sent

    def run(self, offset):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        while (n := self.take()) is not None:
            route, body = self.plan[(n + offset) % len(self.plan)]
            try:
                conn.request("POST", f"/v2/models/{route}/infer", body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                status, version = resp.status, resp.getheader("x-sluice-model-version", "")
            except (OSError, http.client.HTTPException) as error:
                status, version = f"{type(error).__name__}", ""
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
            with self.lock:
                self.statuses[(route, status)] = self.statuses.get((route, status), 0) + 1
                self.versions[(route, version)] = self.versions.get((route, version), 0) + 1
                if not (isinstance(status, int) and 200 <= status < 300) and len(self.failures) < 20:
                    self.failures.append((route, status))
            if self.pause:
                time.sleep(self.pause)
        conn.close()

    def count(self, route, ok=None):
        with self.lock:
            return sum(n for (r, s), n in self.statuses.items()
                       if r == route and (ok is None or (isinstance(s, int) and 200 <= s < 300) == ok))


class Replica:
    def __init__(self, name, port):
        self.name, self.port = name, port

    def route(self, name):
        status, body = http_get(self.port, f"/v2/routes/{name}", {"Authorization": f"Bearer {TOKEN}"})
        if status != 200:
            raise ScenarioFailed(f"{self.name}: GET /v2/routes/{name} answered {status}: {body[:300]!r}")
        return json.loads(body)

    def ready(self):
        return http_get(self.port, "/v2/health/ready")[0] == 200


def metric_value(text, name, **labels):
    """The value of one series in a Prometheus text scrape, or None."""
    for line in text.splitlines():
        m = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)(?: \S+)?", line)
        if not m or m.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(m.group(3))
    return None


def canary_of(route):
    canary = route.get("canary")
    if not isinstance(canary, dict):
        raise ScenarioFailed(f"route {route.get('name')} has no canary in its live state: {route}")
    return canary


def judged(canary):
    """The decisions every replica must share: (decision, boundary time), in order."""
    return [(d["decision"], d["time"]) for d in canary.get("decisions", [])
            if d["decision"] in ("advanced", "promoted", "rolled_back")]


def split_of(route):
    return [(arm.get("version", arm.get("label")), arm["weight"]) for arm in route["split"]]


# --- Prometheus ---------------------------------------------------------------------------------

def prom_query(port, expr, at=None):
    params = {"query": expr}
    if at is not None:
        params["time"] = f"{at:.3f}"
    url = f"http://127.0.0.1:{port}/api/v1/query?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            answer = json.loads(resp.read())
    except urllib.error.HTTPError as error:
        answer = json.loads(error.read() or b"{}")
    if answer.get("status") != "success":
        raise ScenarioFailed(f"Prometheus refused {expr!r}: {answer.get('error', answer)}")
    return answer["data"]


GRAFANA_BUILTINS = {"__rate_interval": "1m", "__interval": "15s", "__range": "5m", "__range_s": "300",
                    "__range_ms": "300000", "__interval_ms": "15000"}


def substitute(expr):
    """A panel's PromQL with Grafana's variables replaced: a label matcher whose value names a
    template variable ($model, ${route}, [[version]], …) matches every value (=~".*"; a negative
    one excludes nothing), Grafana's own interval variables get fixed windows."""
    var = r"(?:\$\{?\w+(?::\w+)?\}?|\[\[\w+\]\])"

    def matcher(m):
        name, op, value = m.group(1), m.group(2), m.group(3)
        if not re.search(var, value) or re.fullmatch(r"\$\{?__\w+\}?", value):
            return m.group(0)
        return f'{name}=~".*"' if op in ("=", "=~") else f'{name}!~"__no_such_value__"'
    expr = re.sub(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"', matcher, expr)
    for name, value in GRAFANA_BUILTINS.items():
        expr = re.sub(r"\$\{?" + name + r"\}?(?!\w)", value, expr)
    leftover = re.search(var, expr)
    if leftover:
        raise ScenarioFailed(f"no substitution for {leftover.group(0)} in {expr!r}")
    return expr


def dashboard_targets(dashboard):
    """(panel title, expr) for every target of every panel, rows' nested panels included."""
    found = []

    def walk(panels):
        for panel in panels or []:
            for target in panel.get("targets", []) or []:
                if target.get("expr"):
                    found.append((panel.get("title", "(untitled)"), target["expr"]))
            walk(panel.get("panels"))
    walk(dashboard.get("panels"))
    walk(dashboard.get("rows"))   # the old layout: rows holding panels
    return found


def template_queries(dashboard):
    """Template variables defined by label_values(selector, label): the selector must have data."""
    found = []
    for variable in (dashboard.get("templating") or {}).get("list", []) or []:
        query = variable.get("query")
        if isinstance(query, dict):
            query = query.get("query")
        if isinstance(query, str):
            m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\)\s*", query)
            if m:
                found.append((f"variable ${variable.get('name')}", f"count by ({m.group(2)}) ({m.group(1)})"))
    return found


# --- The scenario -------------------------------------------------------------------------------

class Scenario:
    def __init__(self, binary, root):
        self.binary = str(Path(binary).resolve())
        self.root = root
        self.fleet = Fleet(root, self.binary)
        self.failures = []
        self.figures = []
        self.started = time.monotonic()

    def check(self, name, condition, detail=""):
        if condition:
            log(f"ok: {name}")
        else:
            self.failures.append(f"{name}: {detail}")
            log(f"FAILED: {name}: {detail}")

    def figure(self, text):
        self.figures.append(text)
        log(text)

    def start_replica(self, name, port):
        self.fleet.spawn(name, [self.binary, "serve", "--config", str(self.root / "sluice.yaml"),
                                "--host", "127.0.0.1", "--port", str(port)])
        return Replica(name, port)

    def run(self):
        root = self.root
        ports = free_ports(6)
        replica_ports, late_port, nginx_port, prom_port = ports[:3], ports[3], ports[4], ports[5]
        self.prom_port = prom_port
        prom_url = f"http://127.0.0.1:{prom_port}"

        make_models(root)
        (root / "token").write_text(TOKEN + "\n")
        config = ConfigMapFolder(root / "config")
        # The canaries start a little after the files are written: the replicas, Prometheus and
        # nginx start meanwhile. (Starting late changes nothing: an empty boundary decides nothing.)
        self.canary_start = int(time.time()) + 10
        config.publish({"routes.yaml": routes_yaml(self.canary_start, prom_url, SPLIT_WEIGHT)})
        (root / "sluice.yaml").write_text(
            f"models: {root / 'models'}\n"
            f"routes: {root / 'config' / 'routes.yaml'}\n"
            "poll_interval: 1s\n"
            f"admin: {{token_file: {root / 'token'}}}\n"
            "log_level: warning\n")
        (root / "nginx").mkdir()
        (root / "nginx.conf").write_text(nginx_conf(root, nginx_port, replica_ports))
        (root / "prometheus.yml").write_text(prometheus_yml(replica_ports + [late_port]))

        log(f"starting 3 replicas {replica_ports}, nginx :{nginx_port}, prometheus :{prom_port} in {root}")
        self.replicas = [self.start_replica(f"sluice-{i + 1}", p) for i, p in enumerate(replica_ports)]
        self.fleet.spawn("prometheus", ["prometheus", f"--config.file={root / 'prometheus.yml'}",
                                        f"--storage.tsdb.path={root / 'prometheus-data'}",
                                        f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"])
        self.fleet.spawn("nginx", ["nginx", "-p", str(root / "nginx"), "-c", str(root / "nginx.conf"),
                                   "-e", str(root / "nginx-error.log")])
        for replica in self.replicas:
            wait_until(f"{replica.name} ready", 60, lambda r=replica: self.alive() and r.ready())
        wait_until("prometheus ready", 60, lambda: self.alive() and http_get(prom_port, "/-/ready")[0] == 200)
        wait_until("nginx forwarding", 30, lambda: self.alive() and http_get(nginx_port, "/v2/health/ready")[0] == 200)
        wait_until("prometheus scraping all three", 60, lambda: self.alive() and len(
            [s for s in prom_query(prom_port, 'up{job="sluice"} == 1')["result"]]) >= 3)
        log(f"fleet up in {time.monotonic() - self.started:.1f} s; canaries start at {rfc3339(self.canary_start)}")

        # Cases 1, 2 and 3 run at once: the canary traffic mixes 1-row and 8-row requests on both
        # canary routes; the split traffic is 1-row requests on split-ab.
        canary_load = Load(nginx_port, [("shaky-canary", ONE_ROW), ("good-canary", ONE_ROW),
                                        ("shaky-canary", EIGHT_ROWS), ("good-canary", EIGHT_ROWS)],
                           threads=2, max_requests=40000, max_seconds=150, pause=0.01).start()
        split_load = Load(nginx_port, [("split-ab", ONE_ROW)], threads=2,
                          max_requests=SPLIT_REQUESTS, max_seconds=150).start()
        try:
            self.canaries(late_port)
        finally:
            canary_load.stop()
        split_load.wait()
        self.check("good-canary: every request through nginx answered 2xx",
                   canary_load.count("good-canary", ok=False) == 0,
                   f"{canary_load.count('good-canary', ok=False)} of {canary_load.count('good-canary')} failed: "
                   f"{[f for f in canary_load.failures if f[0] == 'good-canary'][:5]}")
        self.figure(f"canary traffic: {canary_load.count('good-canary')} requests to good-canary, "
                    f"{canary_load.count('shaky-canary')} to shaky-canary "
                    f"({canary_load.count('shaky-canary', ok=False)} refused by its candidate before the rollback)")
        self.split(split_load, replica_ports)
        self.fleet.check_alive()
        self.reload(config, nginx_port, prom_url)
        self.dashboards(prom_port)
        self.fleet.check_alive()

    def alive(self):
        self.fleet.check_alive()
        return True

    # Cases 1, 2 and 4.
    def canaries(self, late_port):
        deadline_s = 90
        first = self.replicas[0]
        # Case 4: once the others have advanced good-canary past its first step, a fourth replica
        # (no traffic, not behind nginx) starts and must replay that from Prometheus.
        wait_until("good-canary advancing on sluice-1", deadline_s, lambda: self.alive() and any(
            d == "advanced" for d, _ in judged(canary_of(first.route("good-canary")))))
        late = self.start_replica("sluice-4-late", late_port)
        others_at_start = canary_of(first.route("good-canary"))
        wait_until("sluice-4-late ready", 60, lambda: self.alive() and late.ready())
        late_first = canary_of(late.route("good-canary"))
        self.check("late replica: started mid-canary (the fleet past its first boundary, not yet promoted)",
                   others_at_start["state"] == "progressing" and others_at_start["step"] > 1, f"{others_at_start}")
        self.figure(f"late replica: started when the fleet was at step {others_at_start['step']} "
                    f"({others_at_start['state']}); once ready it showed step {late_first['step']} ({late_first['state']})")

        def same_step():
            a, b = canary_of(first.route("good-canary")), canary_of(late.route("good-canary"))
            return (a["step"], a["state"]) == (b["step"], b["state"]) and b["step"]
        step = wait_until("sluice-4-late at the fleet's step of good-canary", deadline_s, lambda: self.alive() and same_step())
        self.check("late replica reaches the fleet's step", bool(step))

        everyone = self.replicas + [late]

        def final(route, state, group):
            def probe():
                self.alive()
                canaries = [canary_of(r.route(route)) for r in group]
                return canaries if all(c["state"] == state for c in canaries) else None
            return probe
        shaky = wait_until("shaky-canary rolled back on all four", deadline_s, final("shaky-canary", "rolled_back", everyone))
        good = wait_until("good-canary promoted on all four", deadline_s, final("good-canary", "promoted", everyone))

        # Case 1: the same rollback, at the same boundary (within one interval is the bound).
        times = [parse_rfc3339(t) for c in shaky for d, t in judged(c) if d == "rolled_back"]
        spread = max(times) - min(times) if len(times) == len(everyone) else None
        self.check("shaky-canary: one rollback per replica", len(times) == len(everyone),
                   f"rollback decisions: {[judged(c) for c in shaky]}")
        self.check("shaky-canary: the rollbacks within one step interval", spread is not None and spread <= INTERVAL,
                   f"spread {spread} s > {INTERVAL} s")
        self.agree("shaky-canary", everyone, shaky)
        self.figure(f"shaky-canary: rolled back at {judged(shaky[0])[-1][1]} on all four "
                    f"(spread {'?' if spread is None else round(spread, 3)} s; start {rfc3339(self.canary_start)}, interval {INTERVAL} s); "
                    f"reason: {shaky[0]['decisions'][-1].get('reason')}")

        # Cases 2 and 4: the same steps in the same order, the late replica included.
        sequence = judged(good[0])
        self.check("good-canary: advanced through every step, then promoted",
                   [d for d, _ in sequence] == ["advanced"] * (len(STEPS) - 1) + ["promoted"], f"{sequence}")
        self.agree("good-canary", everyone, good)
        self.figure("good-canary on all four: " + ", ".join(f"{d} at {t}" for d, t in sequence))

        # What each replica believes, as Prometheus scrapes it (the metric that shows disagreement).
        def steps_scraped():
            self.alive()
            found = {}
            for s in prom_query(self.prom_port, 'sluice_canary_step{route=~"good-canary|shaky-canary"}')["result"]:
                found.setdefault(s["metric"]["route"], {})[s["metric"]["instance"]] = float(s["value"][1])
            want = {"good-canary": float(len(STEPS)), "shaky-canary": 0.0}
            ok = all(len(found.get(r, {})) == len(everyone) and set(found[r].values()) == {v} for r, v in want.items())
            return found if ok else None
        try:
            scraped = wait_until("sluice_canary_step scraped from all four", 30, steps_scraped)
            self.check("sluice_canary_step: every replica reports the same step", True)
            self.figure("sluice_canary_step in Prometheus: " + "; ".join(
                f"{r} {sorted(set(v.values()))} on {len(v)} instances" for r, v in sorted(scraped.items())))
        except ScenarioFailed as failure:
            self.check("sluice_canary_step: every replica reports the same step", False, str(failure))

    def agree(self, route, replicas, canaries):
        """Every replica took the same decisions in the same order, each within one step interval
        of the others' (the issue's bound; by design the times are the boundaries', identical)."""
        first = [d for d, _ in judged(canaries[0])]
        for replica, canary in zip(replicas, canaries):
            self.check(f"{route}: {replica.name} took the same decisions in the same order",
                       [d for d, _ in judged(canary)] == first, f"{judged(canary)} against {judged(canaries[0])}")
        spreads = []
        for i in range(len(first)):
            times = [parse_rfc3339(judged(c)[i][1]) for c in canaries if len(judged(c)) > i]
            spreads.append(max(times) - min(times))
        worst = max(spreads, default=0.0)
        self.check(f"{route}: each decision within one step interval on every replica", worst <= INTERVAL,
                   f"spread {worst:.3f} s > {INTERVAL} s")
        identical = all(judged(c) == judged(canaries[0]) for c in canaries)
        self.figure(f"{route}: {len(replicas)} replicas, decisions {first}, times "
                    + ("identical (the boundaries')" if identical else f"apart by up to {worst:.3f} s"))

    # Case 3.
    def split(self, split_load, replica_ports):
        per_version, per_upstream = {}, {}
        with open(self.root / "nginx-access.log") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 5 or parts[4] != "/v2/models/split-ab/infer" or parts[1] != "200":
                    continue
                per_version[parts[3].strip('"')] = per_version.get(parts[3].strip('"'), 0) + 1
                per_upstream[parts[0]] = per_upstream.get(parts[0], 0) + 1
        total = sum(per_version.values())
        share = 100.0 * per_version.get("2", 0) / total if total else float("nan")
        self.check(f"split-ab: nginx logged at least {SPLIT_REQUESTS * 9 // 10} answers", total >= SPLIT_REQUESTS * 9 // 10,
                   f"{total} answers, {split_load.count('split-ab', ok=False)} failures")
        self.check(f"split-ab: version 2's share at nginx within {TOLERANCE_POINTS:g} points of {SPLIT_WEIGHT} %",
                   abs(share - SPLIT_WEIGHT) <= TOLERANCE_POINTS, f"{share:.2f} % over {total}: {per_version}")
        seen = {f"127.0.0.1:{p}" for p in replica_ports}
        self.check("split-ab: nginx sent traffic to all three replicas", seen <= set(per_upstream), f"{per_upstream}")
        client_seen = {v: n for (r, v), n in split_load.versions.items() if r == "split-ab"}
        self.check("split-ab: the versions the clients saw match nginx's log", client_seen == per_version,
                   f"clients {client_seen}, nginx {per_version}")
        self.figure(f"split-ab at nginx: version 2 {share:.2f} % of {total} (weight {SPLIT_WEIGHT} %); "
                    f"per replica {sorted(per_upstream.values())}")

    # Case 5.
    def reload(self, config, nginx_port, prom_url):
        load = Load(nginx_port, [("split-ab", ONE_ROW), ("good-canary", ONE_ROW)], threads=3,
                    max_requests=20000, max_seconds=90).start()
        try:
            time.sleep(1)   # traffic flowing before the swap
            before = load.sent
            swapped = time.monotonic()
            config.publish({"routes.yaml": routes_yaml(self.canary_start, prom_url, SWAPPED_WEIGHT)})
            log(f"published a new routes.yaml (split-ab {100 - SWAPPED_WEIGHT}/{SWAPPED_WEIGHT}) by swapping ..data")
            want = [(1, 100 - SWAPPED_WEIGHT), (2, SWAPPED_WEIGHT)]
            seen_after = {}
            for replica in self.replicas:
                wait_until(f"{replica.name} serving the new split-ab", 60,
                           lambda r=replica: self.alive() and split_of(r.route("split-ab")) == want)
                seen_after[replica.name] = time.monotonic() - swapped
            time.sleep(1)   # and after it
        finally:
            load.stop()
        total, failed = load.sent, sum(load.count(r, ok=False) for r in ("split-ab", "good-canary"))
        for replica in self.replicas:
            text = http_get(replica.port, "/metrics")[1].decode()
            reloads = metric_value(text, "sluice_config_reloads_total", file="routes", result="success")
            in_force = metric_value(text, "sluice_config_last_reload_successful", file="routes")
            self.check(f"reload: {replica.name} counted the reload and has it in force",
                       reloads is not None and reloads >= 1 and in_force == 1,
                       f"sluice_config_reloads_total success {reloads}, last_reload_successful {in_force}")
        self.fleet.check_alive()   # the same processes: nothing restarted
        self.check("reload: zero failed requests through nginx during the swap", failed == 0,
                   f"{failed} of {total}: {load.failures[:5]}")
        self.check("reload: requests flowed during the swap", total - before > 50, f"{total - before} after the swap")
        good = [canary_of(r.route("good-canary")) for r in self.replicas]
        self.check("reload: the unchanged canary stays promoted", all(c["state"] == "promoted" for c in good),
                   f"{[c['state'] for c in good]}")
        self.figure(f"reload: {total} requests during the swap, {failed} failed; new split seen after "
                    + ", ".join(f"{n} {s:.1f} s" for n, s in seen_after.items()))

    # Case 6.
    def dashboards(self, prom_port):
        files = sorted(glob.glob(str(REPO / "deploy" / "grafana" / "*.json")))
        self.check("dashboards: deploy/grafana/*.json exist", bool(files), "no dashboard to check")
        time.sleep(2)   # the last scrape of the reload's traffic
        checked, empty = 0, []
        for path in files:
            dashboard = json.loads(Path(path).read_text())
            for title, expr in dashboard_targets(dashboard) + template_queries(dashboard):
                query = substitute(expr)
                result = prom_query(prom_port, query)["result"]
                checked += 1
                if not result:
                    empty.append(f"{Path(path).name}: {title}: {query}")
        self.check(f"dashboards: every panel's PromQL returns data ({checked} queries)", checked > 0 and not empty,
                   "no data for:\n  " + "\n  ".join(empty))
        self.figure(f"dashboards: {checked} queries over {len(files)} file(s), {len(empty)} without data")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    keep = "--keep" in sys.argv[1:]
    binary = args[0] if args else ".build/debug/sluice"
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"{binary}: not an executable (build it first: swift build)")
    for tool in ("nginx", "prometheus"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: scripts/ensure-deps.sh test installs it")
    root = Path(tempfile.mkdtemp(prefix="sluice-fleet-"))
    scenario = Scenario(binary, root)
    # SIGTERM (make interrupted, a CI timeout) ends the run through the same cleanup as a failure.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    error = None
    try:
        scenario.run()
    except ScenarioFailed as failure:
        error = str(failure)
        scenario.failures.append(error)
    finally:
        scenario.fleet.stop()
        if scenario.failures:
            scenario.fleet.print_logs()
        if keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    elapsed = time.monotonic() - scenario.started
    print("\nfleet scenario summary:")
    for text in scenario.figures:
        print(f"  {text}")
    if scenario.failures:
        print(f"FAILED ({len(scenario.failures)}) after {elapsed:.0f} s:")
        for failure in scenario.failures:
            print(f"  - {failure}")
        sys.exit(1)
    print(f"passed in {elapsed:.0f} s")


if __name__ == "__main__":
    main()
