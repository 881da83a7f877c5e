"""Generate the process table and the nginx front for a local cluster.

`oddsmith up` writes a supervisord configuration and an nginx configuration into
the data directory and runs supervisord in the foreground; nothing outside the
data directory is touched.
"""

from __future__ import annotations

import getpass
import os
import secrets
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from oddsmith.config import Settings

# Several gunicorns run side by side, so none may claim the shared control socket.
GUNICORN_FLAGS = "--graceful-timeout 5 --no-control-socket"
WEB_ROOT = Path(__file__).resolve().parent.parent / "web"


@dataclass(frozen=True)
class Ports:
    """Internal ports, counted up from ``internal_port_base``."""

    auth: list[int]
    game: list[int]
    relay: list[int]
    broker_ops: int
    worker_ops: list[int]
    relay_ops: list[int]


def ports(settings: Settings) -> Ports:
    base = settings.internal_port_base
    n = settings.api_instances
    return Ports(
        auth=[base + 1 + i for i in range(n)],
        game=[base + 11 + i for i in range(n)],
        relay=[base + 21 + i for i in range(settings.relay_instances)],
        broker_ops=base + 30,
        worker_ops=[base + 31 + i for i in range(settings.worker_count)],
        relay_ops=[base + 41 + i for i in range(settings.relay_instances)],
    )


def find_nginx() -> str:
    path = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if path is None:
        raise SystemExit(
            "nginx is not installed; run ./dev setup (it installs Debian's nginx)"
        )
    return path


def nginx_conf(settings: Settings, run_dir: Path) -> str:
    p = ports(settings)
    mime = (
        "include /etc/nginx/mime.types;"
        if Path("/etc/nginx/mime.types").exists()
        else (
            "types { text/html html; text/css css; application/javascript js mjs; "
            "image/svg+xml svg; image/png png; application/json json; }"
        )
    )
    user = "user root root;" if os.geteuid() == 0 else ""

    def upstream(name: str, port_list: list[int], extra: str = "") -> str:
        servers = "\n".join(
            f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;"
            for port in port_list
        )
        return f"    upstream {name} {{\n{servers}\n{extra}    }}\n"

    csp = (
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
        "style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'"
    )
    proxy = """
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Request-Id $request_id;
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_connect_timeout 2s;
            proxy_read_timeout 30s;"""
    unavailable = (
        '{"type":"about:blank","title":"Service temporarily unavailable",'
        '"status":503,"code":"unavailable",'
        '"detail":"The service is starting or restarting; retry shortly."}'
    )
    upstreams = (
        upstream("oddsmith_auth", p.auth)
        + upstream("oddsmith_game", p.game, "        keepalive 32;\n")
        + upstream("oddsmith_relay", p.relay)
    )
    temp = "\n".join(
        f"    {kind}_temp_path {run_dir / 'nginx' / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}
worker_processes 1;
pid {run_dir / "nginx.pid"};
error_log {run_dir / "nginx-error.log"} warn;
events {{ worker_connections 16384; }}
http {{
    {mime}
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    server_tokens off;
{temp}
{upstreams}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        '' close;
    }}
    server {{
        listen {settings.host}:{settings.port};
        client_max_body_size 32k;
        add_header X-Content-Type-Options nosniff always;
        add_header X-Frame-Options DENY always;
        add_header Referrer-Policy no-referrer always;
        add_header Content-Security-Policy "{csp}" always;
        # While an API process starts or restarts, answer like the API would.
        error_page 502 504 = @unavailable;
        location @unavailable {{
            default_type application/problem+json;
            add_header Retry-After 1 always;
            return 503 '{unavailable}';
        }}
        location /api/auth/ {{
            proxy_pass http://oddsmith_auth;{proxy}
        }}
        location /api/ {{
            proxy_pass http://oddsmith_game;
            proxy_http_version 1.1;
            proxy_set_header Connection "";{proxy}
        }}
        location = /ws {{
            proxy_pass http://oddsmith_relay;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 120s;
            proxy_send_timeout 30s;
        }}
        location / {{
            root {WEB_ROOT};
            index index.html;
            try_files $uri $uri/ /index.html;
        }}
    }}
}}
"""


def supervisord_conf(
    settings: Settings, run_dir: Path, log_dir: Path, nginx_path: Path
) -> str:
    cli = f"{sys.executable} -m oddsmith.cli"
    # Threads let a process wait on many bets at once, so the worker has bets
    # to commit together; ZeroMQ and database handles are per thread.
    gunicorn = (
        f"{sys.executable} -m gunicorn {GUNICORN_FLAGS} "
        f"--worker-class gthread --threads {settings.gunicorn_threads}"
    )
    p = ports(settings)
    # (name, command, start priority, extra environment)
    programs: list[tuple[str, str, int, str]] = [
        ("broker", f"{cli} broker --ops-port {p.broker_ops}", 10, "")
    ]
    for i, ops in enumerate(p.worker_ops):
        name = f"w{i + 1}-{settings.port}"
        programs.append(
            (f"worker-{i + 1}", f"{cli} worker --name {name} --ops-port {ops}", 20, "")
        )
    for i, port in enumerate(p.auth):
        command = (
            f"{gunicorn} --bind 127.0.0.1:{port} --workers 1 'api.auth:make_app()'"
        )
        programs.append((f"auth-{i + 1}", command, 30, ""))
    for i, port in enumerate(p.game):
        # gunicorn's processes share their metrics through files in this folder.
        metrics_dir = run_dir / f"metrics-game-{i + 1}"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        command = (
            f"{gunicorn} --bind 127.0.0.1:{port} --workers {settings.gunicorn_workers} "
            "'api.game:make_app()'"
        )
        env = f'PROMETHEUS_MULTIPROC_DIR="{metrics_dir}"'
        programs.append((f"game-{i + 1}", command, 30, env))
    for i, (port, ops) in enumerate(zip(p.relay, p.relay_ops, strict=True)):
        command = f"{cli} relay --port {port} --ops-port {ops}"
        programs.append((f"relay-{i + 1}", command, 30, ""))
    nginx = (
        f"{find_nginx()} -e {run_dir / 'nginx-error.log'} -c {nginx_path} "
        "-g 'daemon off;'"
    )
    programs.append(("nginx", nginx, 40, ""))
    # The control socket is private to its owner already; the password only
    # keeps supervisord from warning about an open socket at every start.
    control_password = secrets.token_hex(16)
    sections = [
        f"""[supervisord]
nodaemon=true
logfile={run_dir / "supervisord.log"}
pidfile={run_dir / "supervisord.pid"}
childlogdir={log_dir}
loglevel=warn
user={getpass.getuser()}

[unix_http_server]
file={run_dir / "supervisor.sock"}
chmod=0700
username=oddsmith
password={control_password}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{run_dir / "supervisor.sock"}
username=oddsmith
password={control_password}
"""
    ]
    root = Path(__file__).resolve().parent.parent
    for name, command, priority, env in programs:
        sections.append(
            f"""[program:{name}]
command={command}
directory={root}
priority={priority}
autorestart=true
startsecs=1
stopsignal=TERM
stopwaitsecs=10
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile={log_dir / (name + ".log")}
stdout_logfile_maxbytes=20MB
"""
            + (f"environment={env}\n" if env else "")
        )
    return "\n".join(sections)


def write_configs(settings: Settings) -> Path:
    """Write both configurations into the data directory; return supervisord's."""
    run_dir = settings.data_path / "run"
    log_dir = settings.data_path / "logs"
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / "nginx" / kind).mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    nginx_path = run_dir / "nginx.conf"
    nginx_path.write_text(nginx_conf(settings, run_dir))
    conf = run_dir / "supervisord.conf"
    conf.write_text(supervisord_conf(settings, run_dir, log_dir, nginx_path))
    return conf
