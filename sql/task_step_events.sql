-- Step events recorded by AI PM workers, read by aipm-execution-steps as its
-- strongest evidence (source "recorded"). Safe to run more than once.
-- recorded_at is UTC (RFC 3339 with "Z"); step is one of the seven pipeline
-- steps or a worker-log sub-step; event is one of the seven log events.
CREATE TABLE IF NOT EXISTS task_step_events (
    id          INTEGER PRIMARY KEY,
    project_id  TEXT NOT NULL,
    task_id     TEXT NOT NULL,
    step        TEXT NOT NULL,
    event       TEXT NOT NULL
                CHECK (event IN ('start', 'success', 'skip', 'info', 'warning', 'failed', 'complete')),
    detail      TEXT,
    recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    pid         INTEGER
);
CREATE INDEX IF NOT EXISTS idx_task_step_events_task
    ON task_step_events (project_id, task_id, id);
