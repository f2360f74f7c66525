"""Deployment files validated offline: no Docker engine and no cluster run here.

What is checked, and against what:
- docker-compose.yml and .env.example, through Debian's `docker-compose config` (the compose
  file as an engine would read it), against the variables each daemon's `--help` prints: every
  variable is documented in .env.example, reaches its daemon from .env (or is one of the few
  addresses compose fixes), defaults to the daemon's own default, and the secrets are
  required; the addresses between containers agree with the binds; the workers scale with no
  per-replica setting; every daemon's operations listener (METRICS_LISTEN) is set, on the
  compose network only, and its healthcheck asks that listener's /ready.
- deploy/Dockerfile: multi-stage on Debian slim, non-root, the five binaries.
- deploy/k8s: `kubectl kustomize` renders it (skipped, with the reason printed, without a
  kubectl), and the manifests are checked structurally (PyYAML), rendered and raw: workloads,
  Services and addresses, Ingress routing (simulated on the gateway's own route table),
  autoscaler, disruption budgets, probes on endpoints that exist in the sources, resources,
  non-root security contexts, Prometheus annotations exactly on daemons that serve /metrics,
  and no secret value anywhere.

The operations listener: common/cm_service.c serves GET /metrics, /health and /ready on the
address in METRICS_LISTEN, so a daemon whose --help lists METRICS_LISTEN serves them (they
are checked to be routes of cm_service.c). Such a daemon must have it set on every address
reachable from outside its container, its pod carry the prometheus.io annotations with that
port, and its probes (compose healthcheck, Kubernetes liveness/readiness/startup) ask /health
and /ready there.
"""
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import BIN, ROOT, report

DAEMONS = ("auth", "gateway", "source-discovery", "stream-proxy", "torrent-worker")
ENV_EXAMPLE = ROOT / ".env.example"
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
K8S = ROOT / "deploy" / "k8s"
OPS_SOURCE = ROOT / "common" / "cm_service.c"
# The operations listener's variable and its routes (common/cm_service.c).
OPS_VAR = "METRICS_LISTEN"
OPS_PATHS = ("/metrics", "/health", "/ready")

# The secrets: never a literal value in a manifest, always required by compose.
SECRETS = {"JWT_SECRET", "SOURCE_SECURITY_KEY", "POSTGRES_PASSWORD", "DATABASE_URL",
           "ADMIN_PASSWORD"}
COMPOSE_REQUIRED = ("POSTGRES_PASSWORD", "JWT_SECRET", "SOURCE_SECURITY_KEY")
# What docker-compose.yml fixes per service (addresses between the containers); every other
# variable of the daemon must come from .env. WORKER_ID must stay unset (the host name).
COMPOSE_FIXED = {
    "auth": {"AUTH_BIND", "AUDIT_BIND", "DATABASE_URL"},
    "source-discovery": {"DISCOVERY_BIND", "DATABASE_URL", "STREAM_CONTROL_ENDPOINT"},
    "stream-proxy": {"STREAM_CONTROL_BIND", "STREAM_POOL_BIND", "STREAM_LISTEN", "AUTH_ENDPOINT",
                     "DISCOVERY_ENDPOINT"},
    "gateway": {"GATEWAY_LISTEN", "AUTH_ENDPOINT", "AUDIT_ENDPOINT", "DISCOVERY_ENDPOINT",
                "STREAM_CONTROL_ENDPOINT"},
    "torrent-worker": {"STREAM_POOL_ENDPOINT", "CACHE_DIR", "BT_LISTEN", "WORKER_ID"},
}
# A variable that two daemons read in different formats has another name in .env.
ENV_RENAMED = {("torrent-worker", "BEST_TRACKERS"): "WORKER_BEST_TRACKERS"}
# Client endpoint -> (daemon that binds it, its bind variable).
ENDPOINTS = {
    "AUTH_ENDPOINT": ("auth", "AUTH_BIND"),
    "AUDIT_ENDPOINT": ("auth", "AUDIT_BIND"),
    "DISCOVERY_ENDPOINT": ("source-discovery", "DISCOVERY_BIND"),
    "STREAM_CONTROL_ENDPOINT": ("stream-proxy", "STREAM_CONTROL_BIND"),
    "STREAM_POOL_ENDPOINT": ("stream-proxy", "STREAM_POOL_BIND"),
}
# The listeners of each daemon (ZeroMQ binds and host:port listeners).
LISTENERS = {
    "auth": ("AUTH_BIND", "AUDIT_BIND"),
    "source-discovery": ("DISCOVERY_BIND",),
    "stream-proxy": ("STREAM_LISTEN", "STREAM_CONTROL_BIND", "STREAM_POOL_BIND"),
    "gateway": ("GATEWAY_LISTEN",),
    "torrent-worker": ("BT_LISTEN",),
}
ENV_LINE = re.compile(r"^#?([A-Z][A-Z0-9_]*)=(.*)$", re.M)


# --- The daemons' own configuration --------------------------------------------------------

@pytest.fixture(scope="module")
def help_vars():
    """{daemon: {NAME: default}} from `<daemon> --help`; default None when required."""
    out = {}
    for d in DAEMONS:
        r = subprocess.run([str(BIN / d), "--help"], capture_output=True, text=True, timeout=30,
                           env={"PATH": "/usr/bin:/bin"})
        assert r.returncode == 0, "%s --help: %s" % (d, r.stderr)
        lines = r.stdout.splitlines()
        found = {}
        for i, line in enumerate(lines[:-1]):
            m = re.match(r"^  ([A-Z][A-Z0-9_]+)\s{2,}\S", line)
            m2 = re.match(r"^\s+default: (.*); [^;]*$", lines[i + 1])
            if m and m2:
                dflt = m2.group(1)
                found[m.group(1)] = {"(empty)": "", "(required)": None,
                                     "(hidden)": None}.get(dflt, dflt)
        assert len(found) >= 5 and "LOG_LEVEL" in found, "%s --help: no variables parsed" % d
        out[d] = found
    return out


def port_of(value):
    """The port of tcp://host:port or host:port."""
    m = re.search(r":(\d+)$", value)
    assert m, "no port in %r" % value
    return int(m.group(1))


def seconds(value):
    """A duration as the daemons and compose write it (500ms, 25s, 2m, 1h) in seconds."""
    m = re.fullmatch(r"(\d+)(ms|s|m|h)?", str(value))
    assert m, "not a duration: %r" % value
    return int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]


def sources_of(daemon):
    return "".join(p.read_text() for p in sorted((ROOT / "services" / daemon).glob("*.c")))


def serves_path(daemon, path):
    """Is `path` a string literal of the daemon's own sources (a route it answers)?"""
    return ('"%s"' % path) in sources_of(daemon)


def ops_serves(path):
    """Is `path` a route of the operations listener (a string literal of cm_service.c)?"""
    return path in OPS_PATHS and ('"%s"' % path) in OPS_SOURCE.read_text()


def has_ops(daemon, help_vars):
    """Does the daemon serve the operations listener (its --help lists METRICS_LISTEN)?"""
    return OPS_VAR in help_vars[daemon]


def compose_fixed(daemon, help_vars):
    """What docker-compose.yml fixes for the daemon: its addresses, the ops listener too."""
    return COMPOSE_FIXED[daemon] | ({OPS_VAR} if has_ops(daemon, help_vars) else set())


def listener_ports(daemon, env, help_vars):
    """The ports the daemon listens on under `env`: LISTENERS, and its ops listener when set
    (its default may be empty: off)."""
    ports = {port_of(env.get(v) or help_vars[daemon][v]) for v in LISTENERS[daemon]}
    if has_ops(daemon, help_vars) and (env.get(OPS_VAR) or help_vars[daemon][OPS_VAR]):
        ports.add(port_of(env.get(OPS_VAR) or help_vars[daemon][OPS_VAR]))
    return ports


def ops_port(daemon, env, where):
    """The ops listener's port, which must be set explicitly on all interfaces (the compose
    network, the kubelet's probes and Prometheus come from outside the container)."""
    value = env.get(OPS_VAR)
    assert value, "%s: %s is not set (probes and Prometheus need it)" % (where, OPS_VAR)
    assert re.fullmatch(r"0\.0\.0\.0:\d+", value), \
        "%s: %s=%s is not reachable from outside the container" % (where, OPS_VAR, value)
    return port_of(value)


def test_ops_listener_routes_exist():
    """cm_service.c answers the paths the probes and Prometheus ask, and every daemon has it."""
    text = OPS_SOURCE.read_text()
    for path in OPS_PATHS:
        assert ('"%s"' % path) in text, "%s is not a route of %s" % (path, OPS_SOURCE)
    assert OPS_VAR in text


def test_every_daemon_has_an_ops_listener(help_vars):
    missing = [d for d in DAEMONS if not has_ops(d, help_vars)]
    assert not missing, "%s: no %s in --help" % (missing, OPS_VAR)


# --- docker compose -------------------------------------------------------------------------

def env_example_names():
    return [m.group(1) for m in ENV_LINE.finditer(ENV_EXAMPLE.read_text())]


def filled_env(text):
    """.env.example with its required secrets filled in."""
    fill = {"JWT_SECRET": "x" * 48, "SOURCE_SECURITY_KEY": "y" * 44,
            "POSTGRES_PASSWORD": "pgpassword0123"}
    for k, v in fill.items():
        text = re.sub(r"^%s=$" % k, "%s=%s" % (k, v), text, flags=re.M)
    return text


def compose_config(tmp_path, env_text, extra_env=None):
    assert shutil.which("docker-compose"), "docker-compose missing: run scripts/bootstrap.sh"
    env = tmp_path / ".env"
    env.write_text(env_text)
    # nothing from the calling shell may leak into the interpolation
    r = subprocess.run(["docker-compose", "--env-file", str(env), "-f", str(COMPOSE), "config"],
                       capture_output=True, text=True, timeout=60,
                       env={"PATH": "/usr/bin:/bin", **(extra_env or {})})
    return r


def compose_services(tmp_path, env_text):
    r = compose_config(tmp_path, env_text)
    assert r.returncode == 0, r.stderr
    return yaml.safe_load(r.stdout)["services"], r.stdout


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    """The services of docker-compose.yml under .env.example with its secrets filled in."""
    services, _ = compose_services(tmp_path_factory.mktemp("compose"),
                                   filled_env(ENV_EXAMPLE.read_text()))
    return services


def test_compose_file_is_valid(services):
    assert set(services) == {"postgres", *DAEMONS}


@pytest.mark.parametrize("secret", COMPOSE_REQUIRED)
def test_compose_refuses_missing_secrets(tmp_path, secret):
    text = re.sub(r"^%s=.*$" % secret, "%s=" % secret, filled_env(ENV_EXAMPLE.read_text()),
                  flags=re.M)
    r = compose_config(tmp_path, text)
    assert r.returncode != 0 and secret in r.stderr + r.stdout


def test_env_example_documents_every_variable(help_vars):
    text = ENV_EXAMPLE.read_text()
    lines = text.splitlines()
    names = env_example_names()
    assert len(names) == len(set(names)), "a variable is set twice in .env.example"
    for d, vs in help_vars.items():
        for name in vs:
            want = ENV_RENAMED.get((d, name), name)
            if name in compose_fixed(d, help_vars):
                # listed in the reference section: "#   NAME=..."
                assert re.search(r"^#\s+%s=" % want, text, re.M), \
                    "%s (%s, fixed by compose) not listed in .env.example" % (name, d)
                continue
            assert want in names, "%s of %s is not in .env.example" % (name, d)
            # each one with a sentence: the line above is a comment that is not a setting
            i = next(i for i, line in enumerate(lines) if re.match(r"^#?%s=" % want, line))
            above = lines[i - 1]
            assert above.startswith("# ") and not ENV_LINE.match(above), \
                "%s in .env.example has no sentence above it" % want
    # and nothing else: every setting is a daemon's variable or one of compose's own
    known = {ENV_RENAMED.get((d, n), n) for d, vs in help_vars.items() for n in vs}
    compose_own = {"POSTGRES_PASSWORD", "GATEWAY_PORT", "STREAM_PORT", "MARQUEE_IMAGE"}
    assert set(names) <= known | compose_own, set(names) - known - compose_own


def test_compose_passes_every_variable_from_env(tmp_path, help_vars):
    """Each setting of .env reaches exactly the daemons that read it (sentinel values)."""
    names = env_example_names()
    sentinel = {}
    for i, n in enumerate(names):
        sentinel[n] = str(20000 + i) if n.endswith("_PORT") else "sentinel-%s" % n.lower()
    services, raw = compose_services(
        tmp_path, "".join("%s=%s\n" % (n, v) for n, v in sentinel.items()))
    for d in DAEMONS:
        env = services[d].get("environment") or {}
        assert set(env) <= set(help_vars[d]), \
            "%s: compose sets variables the daemon does not read: %s" % (
                d, set(env) - set(help_vars[d]))
        assert "WORKER_ID" not in env
        for name in help_vars[d]:
            if name in compose_fixed(d, help_vars):
                continue
            src = ENV_RENAMED.get((d, name), name)
            assert str(env.get(name)) == sentinel[src], \
                "%s: %s is not taken from .env's %s (got %r)" % (d, name, src, env.get(name))
    for n, v in sentinel.items():
        assert v in raw, ".env.example's %s is used nowhere in docker-compose.yml" % n


def test_compose_defaults_are_the_daemons_defaults(services, help_vars):
    for d in DAEMONS:
        env = services[d]["environment"]
        for name, dflt in help_vars[d].items():
            if name in compose_fixed(d, help_vars) or dflt is None:
                continue
            assert str(env[name]) == dflt, "%s: %s=%r in compose, the daemon's default is %r" % (
                d, name, env[name], dflt)


def test_compose_topology(services, help_vars):
    for d in DAEMONS:
        s = services[d]
        env = s["environment"]
        assert s["command"] == [d]
        assert s.get("restart") in ("unless-stopped", "always")
        # clients reach a bind of the right service, on its port
        for var, (target, bind) in ENDPOINTS.items():
            if var in env:
                assert env[var] == "tcp://%s:%d" % (target, port_of(
                    services[target]["environment"][bind])), "%s: %s" % (d, var)
        # a healthcheck on one of the daemon's own listeners, on a route it serves there
        hc = s["healthcheck"]["test"]
        text = " ".join(hc) if isinstance(hc, list) else hc
        ports = listener_ports(d, env, help_vars)
        assert any(str(p) in text for p in ports), "%s: healthcheck %s" % (d, text)
        ops = ops_port(d, env, d) if has_ops(d, help_vars) else None
        urls = re.findall(r"http://127\.0\.0\.1:(\d+)(/[^\s'\"]*)", text)
        for port, path in urls:
            assert int(port) in ports, "%s: healthcheck on port %s, not a listener" % (d, port)
            if int(port) == ops:
                assert ops_serves(path), "%s: healthcheck on ops %s, not served" % (d, path)
            else:
                assert serves_path(d, path), "%s: healthcheck on %s, which it does not " \
                    "serve" % (d, path)
        # with an ops listener: the daemon's own readiness, GET /ready there, failing on 503
        if ops is not None:
            assert ("%d" % ops, "/ready") in urls, "%s: healthcheck is not ops /ready: %s" % (
                d, text)
            assert re.search(r"\bcurl\b.*\s-[a-zA-Z]*f", text), \
                "%s: healthcheck curl without -f accepts a 503: %s" % (d, text)
        # started after what it needs is healthy
        for dep, cond in (s.get("depends_on") or {}).items():
            assert cond == {"condition": "service_healthy"}, (d, dep, cond)
            assert "healthcheck" in services[dep]
    # only the gateway and the stream-proxy's HTTP edge are published, on their listeners
    published = {d for d in services if services[d].get("ports")}
    assert published == {"gateway", "stream-proxy"}
    assert services["gateway"]["ports"][0]["target"] == port_of(
        services["gateway"]["environment"]["GATEWAY_LISTEN"])
    assert services["stream-proxy"]["ports"][0]["target"] == port_of(
        services["stream-proxy"]["environment"]["STREAM_LISTEN"])
    for d in published:
        assert len(services[d]["ports"]) == 1, "%s publishes more than its listener" % d
    # PostgreSQL keeps its data on the named volume
    assert any((v.get("source") if isinstance(v, dict) else v.split(":")[0]) == "pgdata"
               for v in services["postgres"]["volumes"])


def test_compose_workers_scale_without_per_replica_settings(services):
    w = services["torrent-worker"]
    for key in ("container_name", "hostname", "ports", "mac_address"):
        assert key not in w, "torrent-worker has %s: it cannot scale" % key
    assert "WORKER_ID" not in w["environment"]
    # its cache: a volume of its own per replica (anonymous), never one shared by all
    cache = w["environment"]["CACHE_DIR"]
    vols = [v for v in w.get("volumes", []) if
            (v.get("target") if isinstance(v, dict) else v.split(":")[-1]) == cache]
    assert len(vols) == 1, w.get("volumes")
    v = vols[0]
    assert isinstance(v, dict) and v.get("type") in ("volume", "tmpfs") and not v.get("source"), \
        "the worker cache must be per replica (anonymous volume or tmpfs): %r" % v
    # draining ends before SIGKILL comes
    assert w.get("stop_signal", "SIGTERM") == "SIGTERM"
    grace = seconds(w.get("stop_grace_period", "10s"))
    drain = seconds(w["environment"].get("WORKER_DRAIN_TIMEOUT", "0"))
    assert grace >= 30 and drain + 10 <= grace, (drain, grace)


def test_dockerfile():
    text = DOCKERFILE.read_text()
    froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert len(froms) >= 2 and all(f.startswith("debian:12-slim") for f in froms), froms
    final = text[text.rindex("\nFROM "):]
    user = re.findall(r"^USER\s+(\S+)", final, re.M)
    assert user and user[-1].split(":")[0] not in ("0", "root"), user
    assert re.search(r"^COPY --from=\S+ /src/build/release/bin/ /usr/local/bin/", final, re.M)
    assert "curl" in final  # the HTTP health checks run it inside the container
    # the build stage copies everything the Makefile builds from
    for src in re.findall(r"^COPY (?!--)(\S+) ", text, re.M):
        assert (ROOT / src).exists(), "Dockerfile copies %s, which does not exist" % src
    for needed in ("Makefile", "common", "proto", "services", "scripts/embed-sql.py"):
        assert re.search(r"^COPY %s " % re.escape(needed), text, re.M), needed


# --- Kubernetes -----------------------------------------------------------------------------

def raw_k8s_docs():
    """The manifests as kustomization.yaml lists them, plus the generated ConfigMap."""
    kust = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    docs = []
    for res in kust["resources"]:
        docs += [d for d in yaml.safe_load_all((K8S / res).read_text()) if d]
    for gen in kust.get("configMapGenerator", []):
        data = {}
        for line in (K8S / gen["env"]).read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                k, _, v = line.partition("=")
                data[k] = v
        docs.append({"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": gen["name"]}, "data": data})
    assert not kust.get("secretGenerator"), "secrets are not generated from the repository"
    return docs


def kubectl_render():
    kubectl = shutil.which("kubectl")
    if not kubectl:
        return None
    r = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return [d for d in yaml.safe_load_all(r.stdout) if d]


def by_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def containers(workload):
    spec = workload["spec"]["template"]["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def env_of(container, docs):
    """The container's variables: its env (values; secret refs as None) over its envFrom."""
    out = {}
    cms = by_kind(docs, "ConfigMap")
    for ef in container.get("envFrom", []):
        assert "configMapRef" in ef, "envFrom of a Secret hands every secret to every daemon"
        name = ef["configMapRef"]["name"]
        cm = cms.get(name) or next(v for k, v in cms.items() if k.startswith(name + "-"))
        out.update(cm.get("data", {}))
    for e in container.get("env", []):
        out[e["name"]] = e.get("value")
    return out


def daemon_of(container):
    cmd = container.get("command") or []
    return cmd[0] if cmd and cmd[0] in DAEMONS else None


def route(ingress, path):
    """The backend Service of `path` under the Ingress's rules (Exact, then longest Prefix)."""
    best = None
    for rule in ingress["spec"]["rules"]:
        for p in rule["http"]["paths"]:
            want = p["path"]
            if p["pathType"] == "Exact":
                ok = path == want
                rank = (1, len(want))
            else:
                base = want.rstrip("/")
                ok = base == "" or path == base or path.startswith(base + "/")
                rank = (0, len(base))
            if ok and (best is None or (rank[1], rank[0]) > (best[0][1], best[0][0])):
                best = (rank, p["backend"]["service"]["name"])
    return best and best[1]


def check_k8s(docs, help_vars):
    deps = by_kind(docs, "Deployment")
    sts = by_kind(docs, "StatefulSet")
    svcs = by_kind(docs, "Service")
    assert set(deps) == {"gateway", "auth", "source-discovery", "stream-proxy"}, set(deps)
    assert "torrent-worker" in sts and set(sts) <= {"torrent-worker", "postgres"}, set(sts)
    workloads = {**deps, **sts}
    # /metrics: served by the ops listener (cm_service.c) of every daemon that has one, or
    # by the daemon's own sources
    metrics = {d for d in DAEMONS if (has_ops(d, help_vars) and ops_serves("/metrics")) or
               serves_path(d, "/metrics")}

    for name, w in workloads.items():
        tmpl = w["spec"]["template"]
        sel = w["spec"]["selector"]["matchLabels"]
        assert sel.items() <= tmpl["metadata"]["labels"].items(), name
        pod = tmpl["spec"]
        psc = pod.get("securityContext", {})
        assert psc.get("runAsNonRoot") is True, "%s: runAsNonRoot" % name
        assert psc.get("runAsUser", 0) != 0, name
        for c in containers(w):
            where = "%s/%s" % (name, c["name"])
            for probe in ("readinessProbe", "livenessProbe"):
                assert probe in c, "%s has no %s" % (where, probe)
            res = c.get("resources", {})
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(res.get(kind, {})), "%s: %s" % (where, kind)
            csc = c.get("securityContext", {})
            assert csc.get("runAsNonRoot", True) is True and csc.get("runAsUser", 1) != 0, where
            assert csc.get("allowPrivilegeEscalation") is False, where
            d = daemon_of(c)
            if not d:
                continue
            assert name == d, "%s runs %s" % (name, d)
            env = env_of(c, docs)
            unknown = {k for k in env if k not in help_vars[d]}
            # the shared ConfigMap may carry other daemons' variables, never unknown ones
            everyone = {n for vs in help_vars.values() for n in vs}
            assert not {k for k in unknown if k not in everyone}, "%s: unknown variables %s" % (
                where, {k for k in unknown if k not in everyone})
            assert "WORKER_ID" not in env, "%s: WORKER_ID must be the pod's host name" % where
            for e in c.get("env", []):
                if e["name"] in SECRETS:
                    assert "value" not in e and "secretKeyRef" in e.get("valueFrom", {}), \
                        "%s: %s must come from a Secret" % (where, e["name"])
            # what the daemon must be given: its secrets with no default, its peers' addresses
            for var, dflt in help_vars[d].items():
                if dflt is None:
                    assert var in env, "%s: %s is required" % (where, var)
            # listeners: container ports are exactly what the daemon binds
            cports = {p["containerPort"] for p in c.get("ports", [])}
            lports = listener_ports(d, env, help_vars)
            assert cports == lports, "%s: ports %s, binds %s" % (where, cports, lports)
            named = {x.get("name"): x["containerPort"] for x in c.get("ports", [])}
            ops = None
            if has_ops(d, help_vars):
                ops = ops_port(d, env, where)
                assert named.get("metrics") == ops, \
                    "%s: no container port named metrics on %s's %d" % (where, OPS_VAR, ops)
            # clients: a Service of the right name selects the daemon that binds, on its port
            for var, (target, bind) in ENDPOINTS.items():
                if var not in help_vars[d]:
                    continue
                assert var in env, "%s: %s left at its loopback default" % (where, var)
                m = re.fullmatch(r"tcp://([a-z0-9-]+):(\d+)", env[var])
                assert m, "%s: %s=%s" % (where, var, env[var])
                svc = svcs[m.group(1)]
                assert svc["spec"]["selector"].items() <= \
                    workloads[target]["spec"]["template"]["metadata"]["labels"].items(), var
                tc = next(x for x in containers(workloads[target]) if daemon_of(x) == target)
                bport = port_of(env_of(tc, docs).get(bind) or help_vars[target][bind])
                sp = next((p for p in svc["spec"]["ports"] if p["port"] == int(m.group(2))), None)
                assert sp, "%s: %s port %s not on Service %s" % (where, var, m.group(2), svc)
                tport = sp.get("targetPort", sp["port"])
                tnamed = {p.get("name"): p["containerPort"] for p in tc.get("ports", [])}
                assert tnamed.get(tport, tport) == bport, "%s: %s reaches %s" % (where, var,
                                                                                  tport)
            # probes: on the daemon's own listeners, HTTP paths it really serves there
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                p = c.get(probe)
                if not p:
                    continue
                if "tcpSocket" in p or "httpGet" in p:
                    act = p.get("tcpSocket") or p.get("httpGet")
                    port = named.get(act["port"], act["port"])
                    assert port in lports, (where, probe)
                    if "httpGet" in p:
                        ok = ops_serves(act["path"]) if port == ops else \
                            serves_path(d, act["path"])
                        assert ok, "%s: %s on %s:%s, not served there" % (where, probe, port,
                                                                          act["path"])
                else:
                    text = " ".join(p["exec"]["command"])
                    urls = re.findall(r"http://127\.0\.0\.1:(\d+)(/[^\s'\"]*)", text)
                    assert urls, "%s: %s execs no HTTP check: %s" % (where, probe, text)
                    for port, path in urls:
                        ok = ops_serves(path) if int(port) == ops else serves_path(d, path)
                        assert int(port) in lports and ok, (where, text)
            # with an ops listener: liveness is its /health, readiness its /ready (startup, if
            # any, either), as httpGet on it; a daemon that migrates a database at start has a
            # startupProbe, so that liveness does not kill it during long migrations
            if ops is not None:
                want = {"livenessProbe": ("/health",), "readinessProbe": ("/ready",),
                        "startupProbe": ("/health", "/ready")}
                for probe, paths in want.items():
                    p = c.get(probe)
                    if not p:
                        continue
                    act = p.get("httpGet")
                    assert act and named.get(act["port"], act["port"]) == ops and \
                        act["path"] in paths, \
                        "%s: %s must be httpGet %s on port metrics: %s" % (where, probe,
                                                                            " or ".join(paths), p)
                if "DATABASE_URL" in help_vars[d]:
                    assert "startupProbe" in c, "%s: no startupProbe for its migrations" % where
            # Services that expose the ops port: by name, onto the container's metrics port
            for svc in svcs.values():
                if not svc["spec"].get("selector", {}).items() <= \
                        tmpl["metadata"]["labels"].items():
                    continue
                for sp in svc["spec"]["ports"]:
                    if sp.get("name") == "metrics":
                        tport = sp.get("targetPort", sp["port"])
                        assert ops is not None and named.get(tport, tport) == ops, \
                            "%s: Service %s port metrics reaches %s" % (
                                where, svc["metadata"]["name"], tport)
            # Prometheus annotations exactly where /metrics is served, on the port serving it
            ann = tmpl["metadata"].get("annotations", {})
            if d in metrics:
                assert ann.get("prometheus.io/scrape") == "true", \
                    "%s: serves /metrics, no prometheus.io/scrape \"true\"" % where
                assert "prometheus.io/port" in ann, "%s: no prometheus.io/port" % where
                port = int(ann["prometheus.io/port"])
                if ops is None:
                    assert port in cports, where
                else:
                    assert port == ops, "%s: prometheus.io/port %d, /metrics is on %d" % (
                        where, port, ops)
                assert ann.get("prometheus.io/path") == "/metrics", \
                    "%s: prometheus.io/path %r" % (where, ann.get("prometheus.io/path"))
            else:
                assert "prometheus.io/scrape" not in ann, \
                    "%s: scrape annotation, but %s serves no /metrics" % (where, d)

    # workers: a StatefulSet with a volume each, on CACHE_DIR, a grace period for draining,
    # a headless Service, scaled by the HPA
    w = sts["torrent-worker"]
    wc = next(c for c in containers(w) if daemon_of(c) == "torrent-worker")
    vct = {t["metadata"]["name"] for t in w["spec"].get("volumeClaimTemplates", [])}
    cache = env_of(wc, docs)["CACHE_DIR"]
    assert any(m["mountPath"] == cache and m["name"] in vct for m in wc["volumeMounts"]), \
        "the worker cache is not on a volumeClaimTemplate"
    grace = w["spec"]["template"]["spec"].get("terminationGracePeriodSeconds", 30)
    drain = env_of(wc, docs).get("WORKER_DRAIN_TIMEOUT") or \
        help_vars["torrent-worker"].get("WORKER_DRAIN_TIMEOUT") or "0"
    assert grace >= 30 and seconds(drain) + 10 <= grace, (drain, grace)
    assert "replicas" not in w["spec"], "the HPA owns the worker count: no replicas field"
    assert svcs[w["spec"]["serviceName"]]["spec"].get("clusterIP") == "None"
    hpas = list(by_kind(docs, "HorizontalPodAutoscaler").values())
    assert len(hpas) == 1
    ref = hpas[0]["spec"]["scaleTargetRef"]
    assert (ref["kind"], ref["name"]) == ("StatefulSet", "torrent-worker")
    assert 1 <= hpas[0]["spec"]["minReplicas"] <= hpas[0]["spec"]["maxReplicas"]

    # disruption budgets on every workload that runs more than one pod
    pdbs = by_kind(docs, "PodDisruptionBudget")
    multi = {n for n, w in workloads.items() if w["spec"].get("replicas", 1) > 1}
    assert multi | {"torrent-worker"} <= set(pdbs), multi - set(pdbs)
    for name, pdb in pdbs.items():
        sel = pdb["spec"]["selector"]["matchLabels"]
        assert sel.items() <= workloads[name]["spec"]["template"]["metadata"]["labels"].items()
        assert name == "torrent-worker" or workloads[name]["spec"].get("replicas", 1) > 1, name

    # the Ingress: video bytes to the stream-proxy, the rest (the gateway's own /api/stream
    # routes included, from its route table) to the gateway
    ing = by_kind(docs, "Ingress")
    assert len(ing) == 1
    ing = next(iter(ing.values()))
    for p in ing["spec"]["rules"][0]["http"]["paths"]:
        svc = svcs[p["backend"]["service"]["name"]]
        port = p["backend"]["service"]["port"]
        assert any(sp.get("name") == port.get("name") or sp["port"] == port.get("number")
                   for sp in svc["spec"]["ports"]), p
    assert route(ing, "/api/stream/3f9a0c2d") == "stream-proxy"
    assert route(ing, "/api/stream/source/12") == "stream-proxy"
    assert route(ing, "/api/health") == "gateway"
    assert route(ing, "/api/movies/4") == "gateway"
    assert route(ing, "/") == "gateway"
    gw_routes = (ROOT / "services" / "gateway" / "gw_routes.c").read_text()
    own = re.findall(r'\{"[A-Z]+", "(/api/stream/[^"*]+)"', gw_routes)
    assert own, "no /api/stream route found in gw_routes.c"
    for path in own:
        assert route(ing, path.replace("{}", "42")) == "gateway", path

    # no secret value anywhere: no Secret in the tree, no secret in a ConfigMap
    assert not by_kind(docs, "Secret"), "a Secret with values is part of the manifests"
    for cm in by_kind(docs, "ConfigMap").values():
        assert not SECRETS & set(cm.get("data", {})), cm["metadata"]["name"]


def test_k8s_manifests_structure(help_vars):
    check_k8s(raw_k8s_docs(), help_vars)


def test_k8s_kustomize_renders(help_vars, request):
    docs = kubectl_render()
    if docs is None:
        msg = "kubectl not installed (scripts/bootstrap.sh installs kubernetes-client): " \
              "`kubectl kustomize deploy/k8s` not checked"
        report(request, "deploy", msg)
        pytest.skip(msg)
    assert {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"} == \
        {"marquee"}
    check_k8s(docs, help_vars)


def test_k8s_secret_example_has_placeholders_only():
    ex = yaml.safe_load((K8S / "secret.example.yaml").read_text())
    assert ex["kind"] == "Secret" and ex["metadata"]["name"] == "marquee-secrets"
    data = ex["stringData"]
    for k, v in data.items():
        assert "CHANGE-ME" in v, "%s in secret.example.yaml is not a placeholder" % k
    # every key a manifest asks for is in the example
    wanted = set()
    for d in raw_k8s_docs():
        if d["kind"] in ("Deployment", "StatefulSet"):
            for c in containers(d):
                for e in c.get("env", []):
                    ref = e.get("valueFrom", {}).get("secretKeyRef")
                    if ref:
                        assert ref["name"] == "marquee-secrets", ref
                        wanted.add(ref["key"])
    assert wanted and wanted <= set(data), wanted - set(data)
