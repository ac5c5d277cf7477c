"""A worker-like writer for the load test (reliability/load.js).

Commits task status changes the way the AI PM Python backend does: the stdlib
`sqlite3` module, `timeout=30`, no journal mode of its own (it inherits the
database's: WAL inside the app, the rollback journal for a database the app never
opened); read the old status, then in one transaction update the task and
append a `change_history` row. Paced at
`--rate` commits per second from `--start-at` for `--duration` seconds.

Writes a JSON report to `--out`: every commit it made (history row id, task,
new status), each commit's latency in ms, and any error. The runner checks
that every reported commit is in the database afterwards.
"""

import argparse
import json
import sqlite3
import time

STATUSES = ["IN_PROGRESS", "DONE", "REWORK", "IN_PROGRESS", "ESCALATED", "QUEUED"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--worker", required=True, help="name used in changed_by and change_reason")
    parser.add_argument("--tasks", required=True, help="comma-separated task ids only this writer touches")
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--start-at", type=float, required=True, help="epoch seconds to start at")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    tasks = args.tasks.split(",")
    conn = sqlite3.connect(args.db, timeout=30)  # as the backend: the database's journal mode, 30 s busy timeout
    commits, latencies_ms, errors = [], [], []

    time.sleep(max(0.0, args.start_at - time.time()))
    started = time.monotonic()
    total = int(args.rate * args.duration)
    for seq in range(total):
        # Paced on a fixed schedule: a slow commit is not hidden by a later sleep.
        due = started + seq / args.rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        task = tasks[seq % len(tasks)]
        status = STATUSES[(seq // len(tasks)) % len(STATUSES)]
        reason = f"{args.worker}#{seq}"
        t0 = time.perf_counter()
        try:
            row = conn.execute(
                "SELECT status FROM tasks WHERE id = ? AND project_id = ?", (task, args.project)
            ).fetchone()
            old = row[0] if row else None
            conn.execute(
                "UPDATE tasks SET status = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now', 'localtime')"
                " WHERE id = ? AND project_id = ?",
                (status, task, args.project),
            )
            cur = conn.execute(
                "INSERT INTO change_history (entity_type, entity_id, project_id, field_name, old_value, new_value,"
                " changed_by, change_reason) VALUES ('task', ?, NULL, 'status', ?, ?, ?, ?)",
                (task, old, status, args.worker, reason),
            )
            conn.commit()
            latencies_ms.append((time.perf_counter() - t0) * 1000.0)
            commits.append([cur.lastrowid, task, status, reason])
        except Exception as e:  # reported, never hidden: the runner fails on any
            errors.append(f"{type(e).__name__}: {e}")
            try:
                conn.rollback()
            except Exception:
                pass
    conn.close()
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"worker": args.worker, "commits": commits, "latencies_ms": latencies_ms, "errors": errors}, f)


if __name__ == "__main__":
    main()
