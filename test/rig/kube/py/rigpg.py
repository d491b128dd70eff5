"""Where the rig's PostgreSQL listens, read from $RIG_DIR/postgres/env (written by the postgres component).

Shared by the scenario driver and the argilla_server exec program, which both connect as main-db.
"""
import os

RIG_DIR = os.environ.get("RIG_DIR", "")


def env():
    """The shell assignments of postgres/env as a dict; empty when the postgres component is not up."""
    out = {}
    try:
        with open(os.path.join(RIG_DIR, "postgres", "env")) as f:
            for line in f:
                k, sep, v = line.strip().partition("=")
                if sep:
                    out[k] = v
    except OSError:
        pass
    return out


def target(e=None):
    """(host, port) of the rig PostgreSQL."""
    e = env() if e is None else e
    return e.get("PGHOST", "127.0.0.1"), e.get("PGPORT", "55432")
