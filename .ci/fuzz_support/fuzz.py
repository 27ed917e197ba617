"""Helpers for .ci/fuzz (standard library only).

  fuzz.py freeport                       a free TCP port on 127.0.0.1
  fuzz.py pg-url BASE_URL DBNAME         BASE_URL with its database replaced by DBNAME
  fuzz.py wait URL SECONDS               wait until GET URL answers 200
  fuzz.py login API_BASE USER PASSWORD   print the access token
  fuzz.py whoami API_BASE TOKEN          whether the token still works (GET /me)
  fuzz.py mem PID                        VmRSS and VmHWM of a process
  fuzz.py alive PID                      exits 0 while the process runs
  fuzz.py fetch URL FILE                 save the body of GET URL
  fuzz.py summary RUN_DIR...             table of the runs and every failure, from their reports
"""

from __future__ import annotations

import base64
import json
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def freeport() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def pg_url(base: str, dbname: str) -> None:
    parts = urllib.parse.urlsplit(base)
    print(urllib.parse.urlunsplit(parts._replace(path="/" + dbname)))


def wait(url: str, seconds: str) -> None:
    deadline = time.monotonic() + float(seconds)
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
                last = f"status {r.status}"
        except Exception as e:  # noqa: BLE001 - any failure means "not yet"
            last = str(e)
        time.sleep(0.3)
    sys.exit(f"{url} did not answer 200 within {seconds} s ({last})")


def login(api: str, user: str, password: str) -> None:
    body = json.dumps({"username": user, "password": password}).encode()
    req = urllib.request.Request(
        api.rstrip("/") + "/auth/login", data=body, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            print(json.load(r)["access_token"])
    except urllib.error.HTTPError as e:
        sys.exit(f"login as {user} failed: {e.code} {e.read()[:300]!r}")


def whoami(api: str, token: str) -> None:
    req = urllib.request.Request(api.rstrip("/") + "/me", headers={"authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            me = json.load(r)
            print(f"token still valid (GET /me {r.status}: {me.get('username', '?')})")
    except urllib.error.HTTPError as e:
        print(f"token no longer valid (GET /me {e.code}: {_short(e.read().decode(errors='replace'), 200)})")


def mem(pid: str) -> None:
    values = {}
    try:
        f = open(f"/proc/{pid}/status")
    except FileNotFoundError:
        print("the server is gone")
        return
    with f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "State"):
                values[key] = value.strip()
    if values.get("State", "").startswith(("Z", "X")):
        print("the server is gone")
        return
    print(f"VmRSS={values.get('VmRSS', '?')} VmHWM={values.get('VmHWM', '?')}")


def alive(pid: str) -> None:
    """Exits non-zero unless the process runs (a zombie, dead but not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            state = next((line.split()[1] for line in f if line.startswith("State:")), "?")
    except FileNotFoundError:
        sys.exit(1)
    if state in ("Z", "X"):
        sys.exit(1)


def fetch(url: str, path: str) -> None:
    with urllib.request.urlopen(url, timeout=30) as r, open(path, "wb") as f:
        f.write(r.read())


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _body(response: dict) -> str:
    content = response.get("content")
    if isinstance(content, dict) and "$base64" in content:
        raw = base64.b64decode(content["$base64"])
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return f"<{len(raw)} bytes>"
    return "" if content is None else str(content)


def _scan_ndjson(path: str) -> tuple[int, dict[tuple[str, str], dict]]:
    """Requests sent, and (operation, check) -> {count, statuses, example} from the event stream."""
    requests = 0
    groups: dict[tuple[str, str], dict] = {}
    try:
        f = open(path, encoding="utf-8")
    except OSError:
        return requests, groups
    with f:
        for line in f:
            if not line.startswith('{"ScenarioFinished"'):
                continue
            recorder = json.loads(line)["ScenarioFinished"].get("recorder") or {}
            interactions = recorder.get("interactions") or {}
            requests += len(interactions)
            cases = recorder.get("cases") or {}
            for case_id, checks in (recorder.get("checks") or {}).items():
                for check in checks:
                    if check.get("status") != "failure":
                        continue
                    failure = (check.get("failure_info") or {}).get("failure") or {}
                    operation = failure.get("operation") or recorder.get("label") or "?"
                    key = (operation, f"{check.get('name')}: {failure.get('title', '?')}")
                    group = groups.setdefault(key, {"count": 0, "statuses": set(), "example": None})
                    group["count"] += 1
                    interaction = interactions.get(case_id) or {}
                    response = interaction.get("response") or {}
                    status = response.get("status_code")
                    if status is not None:
                        group["statuses"].add(status)
                    if group["example"] is None:
                        request = interaction.get("request") or {}
                        meta = ((cases.get(case_id) or {}).get("value") or {}).get("meta") or {}
                        phase = meta.get("phase") or {}
                        how = (phase.get("data") or {}).get("description") or ""
                        group["example"] = {
                            "status": status,
                            "body": _short(_body(response)),
                            "message": _short(str(failure.get("message") or ""), 400),
                            "request": f"{request.get('method', '')} {request.get('uri', '')}".strip(),
                            "how": f"{phase.get('name', '?')} phase{': ' + how if how else ''}",
                        }
    return requests, groups


def summary(*run_dirs: str) -> None:
    rows = []
    details = []
    seeds = []
    any_failure = False
    for run_dir in run_dirs:
        name = run_dir.rstrip("/").rsplit("/", 1)[-1]
        requests, groups = _scan_ndjson(f"{run_dir}/events.ndjson")
        details.append((name, groups))
        try:
            with open(f"{run_dir}/report.json", encoding="utf-8") as f:
                report = json.load(f)
        except (OSError, ValueError):
            rows.append((name, "no report", "", "", "", "", "", ""))
            any_failure = True
            continue
        seeds.append((name, report.get("seed")))
        ops = report.get("operations") or {}
        cases = report.get("test_cases") or {}
        errors = sum(g.get("count", 0) for g in report.get("errors") or [])
        any_failure |= report.get("exit_code", 1) != 0
        rows.append(
            (
                name,
                f"{ops.get('tested', '?')}/{ops.get('selected', '?')}",
                str(cases.get("generated", "?")),
                str(requests),
                str(cases.get("with_failures", "?")),
                str(len(groups)),
                str(errors),
                f"{report.get('running_time', 0):.0f}s, exit {report.get('exit_code')}",
            )
        )
    header = ("run", "operations", "test cases", "requests", "failing cases", "distinct failures",
              "errors", "time")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())

    for name, seed in seeds:
        print(f"seed of {name}: {seed} (reuse it with PINGGU_FUZZ_SEED)")

    merged: dict[tuple[str, str], dict] = {}
    for name, groups in details:
        for key, group in groups.items():
            entry = merged.setdefault(key, {"runs": [], "count": 0, "statuses": set(), "example": group["example"]})
            entry["runs"].append(name)
            entry["count"] += group["count"]
            entry["statuses"] |= group["statuses"]
    if merged:
        print(f"\n{len(merged)} distinct failures, by (operation, check), over all runs:")
    all_runs = [name for name, _ in details]
    for (operation, check), entry in sorted(merged.items()):
        ex = entry["example"]
        statuses = ",".join(str(s) for s in sorted(entry["statuses"]))
        runs = "all runs" if entry["runs"] == all_runs else ", ".join(entry["runs"])
        print(f"- {operation} | {check} | status {statuses} | {entry['count']} case(s) in {runs}")
        if ex["message"]:
            print(f"    {ex['message']}")
        print(f"    e.g. ({ex['how']}) {ex['request']} -> {ex['status']} {ex['body']}")
    print()
    print("fuzz: FAILED" if any_failure else "fuzz: passed")


def main() -> None:
    commands = {
        "freeport": freeport,
        "pg-url": pg_url,
        "wait": wait,
        "login": login,
        "mem": mem,
        "alive": alive,
        "whoami": whoami,
        "fetch": fetch,
        "summary": summary,
    }
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    main()
