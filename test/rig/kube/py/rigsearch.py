"""The rig's stand-in for the extralit Elasticsearch index: one JSON file with cluster health and indexes.

Shared by the scenario driver (readiness of elasticsearch-master-0, the fake HTTP API behind
`kubectl port-forward pod/elasticsearch-master-0 9200`) and by the argilla_server exec program.
"""
import json
import os
import tempfile
import time

RIG_DIR = os.environ.get("RIG_DIR", "")
STATE = os.path.join(RIG_DIR, "kube", "search", "state.json")


def load():
    try:
        with open(STATE) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {"health": "red", "indexes": [], "reason": "no search state"}


def save(state):
    state["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    os.makedirs(os.path.dirname(STATE), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(STATE))
    with os.fdopen(fd, "w") as f:
        json.dump(state, f, indent=1)
    os.replace(tmp, STATE)
