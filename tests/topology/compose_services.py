#!/usr/bin/env python3
"""compose_services.py - reads `docker-compose config` (the resolved compose
file, YAML) on stdin and prints, for tests/topology/run.sh, what each pingan
service runs, as shell-quoted assignments:

  <svc>_argv=(entrypoint... command...)    the process it starts
  <svc>_env=(NAME=value ...)               its environment
  <svc>_secrets=(source:target ...)        the secrets it sees under /run/secrets
  secret_file_<name>=basename              the file behind each top-level secret

It also refuses what would stop `--scale worker=3`: a container_name or a
published host port on the worker, and the worker's metrics and bind port
must be container ports only (expose)."""
import shlex
import sys

import yaml


def as_list(v):
    if v is None:
        return []
    if isinstance(v, str):
        return shlex.split(v)
    return [str(x) for x in v]


def main():
    doc = yaml.safe_load(sys.stdin)
    services = doc["services"]
    out = []
    problems = []
    for name in ("postgres", "migrate", "worker", "tests"):
        if name not in services:
            problems.append(f"no service {name}")
            continue
        svc = services[name]
        argv = as_list(svc.get("entrypoint")) + as_list(svc.get("command"))
        env = svc.get("environment") or {}
        if isinstance(env, list):
            env = dict(e.split("=", 1) for e in env)
        secrets = []
        for s in svc.get("secrets") or []:
            if isinstance(s, str):
                s = {"source": s}
            secrets.append(f"{s['source']}:{s.get('target', s['source'])}")
        key = name
        out.append(f"{key}_argv=({' '.join(shlex.quote(a) for a in argv)})")
        out.append(f"{key}_env=({' '.join(shlex.quote(f'{k}={v}') for k, v in sorted(env.items()))})")
        out.append(f"{key}_secrets=({' '.join(shlex.quote(s) for s in secrets)})")
    worker = services.get("worker", {})
    if "container_name" in worker:
        problems.append("worker has a container_name: --scale worker=3 would collide")
    if worker.get("ports"):
        problems.append("worker publishes host ports: --scale worker=3 would collide")
    for name, s in (doc.get("secrets") or {}).items():
        out.append(f"secret_file_{name}={shlex.quote(s['file'].rsplit('/', 1)[-1])}")
    if problems:
        for p in problems:
            print(f"compose_services: {p}", file=sys.stderr)
        sys.exit(1)
    print("\n".join(out))


if __name__ == "__main__":
    main()
