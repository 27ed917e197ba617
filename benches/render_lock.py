"""How long other writers wait while a final report is typeset (standard library only).

Serves the demo on a fresh SQLite database (one writer at a time: the worst case), walks 瑞宝街
to its approval — the approve typesets the final report's HTML, Word and PDF — and meanwhile
has an administrator save another user's name in a loop: each save needs the write lock. Prints
the approval's duration and the saves' latencies during it and without it.

    python3 benches/render_lock.py [path/to/pinggu]    (default target/debug/pinggu)
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/debug/pinggu")
PASSWORD = "Bench-pass-2026"


def call(base, method, path, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def login(base, user, password=PASSWORD):
    status, body = call(base, "POST", "/api/v1/auth/login", body={"username": user, "password": password})
    assert status == 200, (user, status, body)
    return body["access_token"]


def saves(base, token, user_id, stop, latencies):
    n = 0
    while not stop.is_set():
        started = time.monotonic()
        status, _ = call(base, "PATCH", f"/api/v1/users/{user_id}", token, {"display_name": f"名{n}"})
        latencies.append(time.monotonic() - started)
        assert status == 200, status
        n += 1


def summary(name, latencies):
    ms = sorted(x * 1000 for x in latencies)
    print(f"{name}: {len(ms)} saves, median {statistics.median(ms):.1f} ms, "
          f"p99 {ms[int(len(ms) * 0.99) - 1]:.1f} ms, max {ms[-1]:.1f} ms")


def main():
    work = tempfile.mkdtemp(prefix="pinggu-render-lock-")
    env = dict(os.environ, PINGGU__MAIL__TRANSPORT="log", PINGGU__NOTIFY__WORKER="false",
               PINGGU__LOG__LEVEL="error")
    env.pop("DATABASE_URL", None)
    subprocess.run([BIN, "demo", "--password", PASSWORD], cwd=work, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([BIN, "admin", "create", "--username", "admin", "--password-stdin"], cwd=work,
                   env=env, input=b"Bench-admin-2026\n", check=True, stdout=subprocess.DEVNULL)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([BIN, "serve", "--bind", f"127.0.0.1:{port}"], cwd=work, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if call(base, "GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        admin = login(base, "admin", "Bench-admin-2026")
        status, users = call(base, "GET", "/api/v1/users?per_page=100", admin)
        target = next(u["id"] for u in users["items"] if u["username"] == "xicun-station-staff")
        street, agency, bureau = login(base, "ruibao-street"), login(base, "npo"), login(base, "haizhu-bureau")
        evaluation = 2
        status, reports = call(base, "GET", f"/api/v1/evaluations/{evaluation}/reports", street)
        draft = reports["items"][-1]["id"]
        status, _ = call(base, "POST", f"/api/v1/evaluations/{evaluation}/feedback", street,
                         {"report_id": draft, "no_objection": True, "remarks": ""})
        assert status == 201, status
        status, _ = call(base, "POST", f"/api/v1/evaluations/{evaluation}/transitions", agency,
                         {"event": "submit_for_review"})
        assert status == 200, status

        baseline = []
        stop = threading.Event()
        thread = threading.Thread(target=saves, args=(base, admin, target, stop, baseline))
        thread.start()
        time.sleep(3)
        stop.set()
        thread.join()

        during = []
        stop = threading.Event()
        thread = threading.Thread(target=saves, args=(base, admin, target, stop, during))
        thread.start()
        time.sleep(0.5)
        started = time.monotonic()
        status, body = call(base, "POST", f"/api/v1/evaluations/{evaluation}/transitions", bureau,
                            {"event": "approve"})
        approval = time.monotonic() - started
        stop.set()
        thread.join()
        assert status == 200, (status, body)
        print(f"approve (final report typeset: HTML, Word, PDF): {approval * 1000:.0f} ms")
        summary("another writer without an approval", baseline)
        summary("another writer during the approval", during)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
