#!/usr/bin/env python3
"""Seeds a running controller for scripts/fuzz.sh and writes a schemathesis.toml.

Usage: seed.py OUT_TOML   (reads PUREBOOT_URL and PUREBOOT_TOKEN)

Creates nodes, storage backends, clone sessions, a disk scan and a queued
partition operation, then writes a config that makes schemathesis use their
ids for path parameters about half of the time (random ids the other half) and
for the ids in clone session bodies, so the fuzzer reaches real resources and
not only 404s. Node callback endpoints
get the matching node token (pbn_ / pbk_) instead of the admin token. DELETE
operations get "victim" resources of their own, so the other operations keep
theirs. Only the standard library: it runs with any python3.
"""
import json
import os
import sys
import urllib.error
import urllib.request
import uuid

URL = os.environ["PUREBOOT_URL"].rstrip("/") + "/api/v1"
ADMIN = os.environ.get("PUREBOOT_TOKEN", "")
RUN = uuid.uuid4().hex[:8]  # lets the script seed the same database twice
P = 0.5  # how often a path parameter takes a seeded id


def call(method, path, body=None, token=ADMIN):
    req = urllib.request.Request(URL + path, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, data, timeout=30) as resp:
            return json.load(resp)["data"]
    except urllib.error.HTTPError as err:
        sys.exit(f"seed: {method} {path} -> {err.code}: {err.read().decode(errors='replace')}")


def mac(n):
    h = uuid.uuid4().hex
    return f"02:{h[0:2]}:{h[2:4]}:{h[4:6]}:{h[6:8]}:{n:02x}"


def node(n):
    return call("POST", "/nodes", {"mac_address": mac(n), "hostname": f"fuzz-{RUN}-n{n}"})


n1, n2, n3_victim, n4 = (node(i) for i in range(1, 5))
b1 = call("POST", "/storage/backends", {"name": f"fuzz-{RUN}-nfs", "type": "nfs",
                                        "config": {"server": "10.0.0.1", "export": "/srv/images"}})
b2_victim = call("POST", "/storage/backends", {"name": f"fuzz-{RUN}-victim", "type": "http",
                                               "config": {"url": "http://10.0.0.2/"}})
s1 = call("POST", "/clone-sessions", {"name": "fuzz direct", "clone_mode": "direct",
                                      "source_node_id": n1["id"], "target_node_id": n2["id"]})
s2 = call("POST", "/clone-sessions", {"name": "fuzz staged", "source_node_id": n1["id"],
                                      "staging_backend_id": b1["id"]})
s3_victim = call("POST", "/clone-sessions", {"name": "fuzz victim", "clone_mode": "direct",
                                             "source_node_id": n2["id"], "target_node_id": n4["id"]})
GIB = 1 << 30
disk = {"device": "/dev/sda", "size_bytes": 100 * GIB, "model": "QEMU HARDDISK", "serial": "QM00001",
        "partition_table": "gpt", "partitions": [
            {"number": 1, "start_bytes": 1 << 20, "end_bytes": (1 << 20) + 512 * (1 << 20) - 1,
             "size_bytes": 512 * (1 << 20), "type": "efi", "filesystem": "fat32", "flags": ["boot", "esp"],
             "used_bytes": 6 << 20, "mountpoint": "/boot/efi"},
            {"number": 2, "start_bytes": 513 << 20, "end_bytes": (513 << 20) + 40 * GIB - 1,
             "size_bytes": 40 * GIB, "type": "linux", "filesystem": "ext4", "label": "root",
             "flags": [], "used_bytes": 10 * GIB, "mountpoint": "/"}]}
call("POST", f"/nodes/{n1['id']}/disks/report", {"disks": [disk]}, token=n1["node_token"])
op1 = call("POST", f"/nodes/{n1['id']}/disks/sda/operations",
           {"operation": "create", "params": {"start_bytes": 50 * GIB, "size_bytes": 10 * GIB,
                                              "type": "linux", "filesystem": "ext4", "label": "data"}})
op2_victim = call("POST", f"/nodes/{n1['id']}/disks/sda/operations",
                  {"operation": "create", "params": {"start_bytes": 70 * GIB, "size_bytes": GIB, "type": "swap"}})


def q(s):
    return json.dumps(s)


def section(select, params, headers=None):
    lines = ["[[operations]]", select]
    if headers:
        lines.append("headers = { " + ", ".join(f"{q(k)} = {q(v)}" for k, v in headers.items()) + " }")
    bindings = []
    for key, dictionary in params.items():
        # A body field gets a seeded id more often: a body often needs two at once.
        probability = 0.8 if key.startswith("body.") else P
        bindings.append(f"{q(key)} = {{ dictionary = {q(dictionary)}, probability = {probability} }}")
    lines.append("parameters = { " + ", ".join(bindings) + " }")
    return "\n".join(lines)


dictionaries = {
    "nodes": [n1["id"], n2["id"]],
    "token_node": [n2["id"]],  # token rotation: never n1, whose pbk_ token the callbacks use
    "callback_node": [n1["id"]],
    "sessions": [s1["id"], s2["id"]],
    "callback_session": [s1["id"]],
    "backends": [b1["id"]],
    "devices": ["sda"],
    "ops": [op1["id"]],
    "victim_node": [n3_victim["id"]],
    "victim_session": [s3_victim["id"]],
    "victim_backend": [b2_victim["id"]],
    "victim_op": [op2_victim["id"]],
}
source_token = {"Authorization": f"Bearer {s1['node_tokens']['source']}"}
node_token = {"Authorization": f"Bearer {n1['node_token']}"}
sections = [
    # Node callbacks, each with the token of the resource in its path.
    section('include-operation-id = ["clone_sessions_certs", "clone_sessions_csr", '
            '"clone_sessions_progress", "clone_sessions_source_ready"]',
            {"path.id": "callback_session"}, source_token),
    section('include-operation-id = ["report_disks", "poll_partition_operations", '
            '"report_partition_operation_status"]',
            {"path.id": "callback_node", "path.op_id": "ops"}, node_token),
    # DELETEs get victims of their own. (Criteria in one [[operations]] entry are ORed,
    # and the first matching entry wins: select by operation id, most specific first.)
    section('include-operation-id = "nodes_delete"', {"path.id": "victim_node"}),
    section('include-operation-id = "clone_sessions_delete"', {"path.id": "victim_session"}),
    section('include-operation-id = "storage_backends_delete"', {"path.id": "victim_backend"}),
    section('include-operation-id = "remove_partition_operation"',
            {"path.id": "callback_node", "path.device": "devices", "path.op_id": "victim_op"}),
    section('include-operation-id = "nodes_rotate_token"', {"path.id": "token_node"}),
    # Bodies that refer to other resources.
    section('include-operation-id = "clone_sessions_create"',
            {"body.source_node_id": "nodes", "body.target_node_id": "nodes", "body.staging_backend_id": "backends"}),
    section('include-operation-id = "clone_sessions_update"', {"path.id": "sessions", "body.target_node_id": "nodes"}),
    # Disk endpoints: the node that has a scanned /dev/sda.
    section("include-path-regex = " + q(r"^/api/v1/nodes/\{id\}/disks/"),
            {"path.id": "callback_node", "path.device": "devices", "path.op_id": "ops"}),
    # Everything else under each collection.
    section('include-path-regex = "^/api/v1/clone-sessions/"', {"path.id": "sessions"}),
    section('include-path-regex = "^/api/v1/nodes/"',
            {"path.id": "nodes", "path.device": "devices", "path.op_id": "ops"}),
    section('include-path-regex = "^/api/v1/storage/backends/"', {"path.id": "backends"}),
]
with open(sys.argv[1], "w") as out:
    out.write("# Written by fuzz/seed.py for one run; ids and tokens of the seeded database.\n")
    for name, values in dictionaries.items():
        out.write(f"[dictionaries.{name}]\nvalues = {json.dumps(values)}\n")
    out.write("\n" + "\n\n".join(sections) + "\n")
print(f"seed: nodes {n1['id']} {n2['id']}, sessions {s1['id']} {s2['id']}, backend {b1['id']}, "
      f"operation {op1['id']} (+ victims for DELETE)")
