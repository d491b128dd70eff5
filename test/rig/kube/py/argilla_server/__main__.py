"""`python -m argilla_server search-engine list|reindex` and `database ...` against the rig.

The container's database URL is built from secret main-db (POSTGRES_PASSWORD), exactly as the real
start script does; the scenario driver mirrors the secret's current value into a file because kwok
exec cannot inject secret values. So after main-db-password-regenerated this fails to authenticate,
as the real one does.
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import rigpg  # noqa: E402
import rigsearch  # noqa: E402

RIG_DIR = os.environ.get("RIG_DIR", "")


def container_password():
    try:
        with open(os.path.join(RIG_DIR, "kube", "state", "main-db-secret-password")) as f:
            return f.read().strip()
    except OSError:
        return os.environ.get("POSTGRES_PASSWORD", "")


def psql(sql):
    host, port = rigpg.target()
    env = dict(os.environ, PGPASSWORD=container_password(), PGCONNECT_TIMEOUT="5")
    env.pop("PGPASSFILE", None)
    p = subprocess.run(
        ["psql", "-X", "-q", "-tA", "-F", "\t", "-h", host, "-p", port, "-U", "postgres", "-d", "postgres",
         "-v", "ON_ERROR_STOP=1", "-c", sql],
        env=env, capture_output=True, text=True)
    if p.returncode != 0:
        msg = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "psql failed"
        print("sqlalchemy.exc.OperationalError: (asyncpg.exceptions.InvalidPasswordError) " + msg
              if "password authentication failed" in msg else "sqlalchemy.exc.OperationalError: " + msg,
              file=sys.stderr)
        sys.exit(1)
    return [line.split("\t") for line in p.stdout.splitlines() if line]


def cmd_list(_args):
    state = rigsearch.load()
    if state.get("health") == "red" and not state.get("indexes"):
        print("elasticsearch connection error: cluster is red", file=sys.stderr)
        sys.exit(1)
    print("Index name                                   | Docs")
    for ix in state.get("indexes", []):
        print(f"{ix['name']:<45}| {ix['docs']}")


def cmd_reindex(args):
    rows = psql(
        "SELECT d.id, d.name, w.name, count(r.id) FROM datasets d JOIN workspaces w ON w.id = d.workspace_id "
        "LEFT JOIN records r ON r.dataset_id = d.id GROUP BY d.id, d.name, w.name ORDER BY w.name, d.name")
    if args.feedback_dataset_id:
        rows = [r for r in rows if r[0] == args.feedback_dataset_id]
        if not rows:
            print(f"Feedback dataset with id={args.feedback_dataset_id} not found", file=sys.stderr)
            sys.exit(1)
    state = rigsearch.load()
    keep = {} if args.feedback_dataset_id is None else {ix["name"]: ix for ix in state.get("indexes", [])}
    print(f"Reindexing {len(rows)} feedback dataset(s) from PostgreSQL...")
    for ds_id, name, ws, count in rows:
        ix = {"name": f"rg.{ds_id}", "dataset": name, "workspace": ws, "docs": int(count),
              "replicas": 0, "health": "green"}
        print(f"  dataset {ws}/{name} ({ds_id}): {count} records ... ", end="", flush=True)
        time.sleep(0.2)
        keep[ix["name"]] = ix
        print("done")
    state["indexes"] = sorted(keep.values(), key=lambda i: i["name"])
    state["health"] = "green"
    state["reason"] = "reindexed from postgres"
    rigsearch.save(state)
    print(f"Reindexed {sum(int(r[3]) for r in rows)} records into {len(rows)} index(es); cluster health: green")


def cmd_db_check(_args):
    print(psql("SELECT version()")[0][0])


def main():
    ap = argparse.ArgumentParser(prog="python -m argilla_server")
    sub = ap.add_subparsers(dest="group", required=True)
    se = sub.add_parser("search-engine").add_subparsers(dest="cmd", required=True)
    se.add_parser("list").set_defaults(fn=cmd_list)
    ri = se.add_parser("reindex")
    ri.add_argument("--feedback-dataset-id", default=None)
    ri.set_defaults(fn=cmd_reindex)
    db = sub.add_parser("database").add_subparsers(dest="cmd", required=True)
    db.add_parser("check").set_defaults(fn=cmd_db_check)
    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
