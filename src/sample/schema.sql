-- The AI PM database as the app's Python backend creates it today: the tables
-- and columns this package reads, plus some it does not (real databases have
-- more). Written from docs/behaviour.md ("The database") for the sample database (the demo); tests and
-- the benchmark build their databases from it too.
CREATE TABLE projects (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    path        TEXT,
    status      TEXT DEFAULT 'ACTIVE',
    created_at  DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at  DATETIME DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE orders (
    id          TEXT NOT NULL,
    project_id  TEXT NOT NULL,
    title       TEXT NOT NULL,
    priority    TEXT DEFAULT 'P1',
    status      TEXT NOT NULL DEFAULT 'PLANNING',
    started_at  DATETIME,
    completed_at DATETIME,
    created_at  DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at  DATETIME DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id, project_id)
);

CREATE TABLE tasks (
    id                TEXT NOT NULL,
    project_id        TEXT NOT NULL,
    order_id          TEXT,
    title             TEXT NOT NULL,
    description       TEXT,
    status            TEXT NOT NULL DEFAULT 'QUEUED',
    assignee          TEXT,
    priority          TEXT DEFAULT 'P1',
    recommended_model TEXT,
    reject_count      INTEGER DEFAULT 0,
    started_at        DATETIME,
    completed_at      DATETIME,
    created_at        DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at        DATETIME DEFAULT CURRENT_TIMESTAMP,
    reviewed_at       DATETIME,
    target_files      TEXT,
    PRIMARY KEY (id, project_id)
);
CREATE INDEX idx_tasks_project_status ON tasks (project_id, status);
CREATE INDEX idx_tasks_order ON tasks (order_id, project_id);

CREATE TABLE change_history (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_type   TEXT NOT NULL,
    entity_id     TEXT NOT NULL,
    project_id    TEXT,
    field_name    TEXT NOT NULL,
    old_value     TEXT,
    new_value     TEXT,
    changed_by    TEXT,
    change_reason TEXT,
    changed_at    DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_change_history_entity ON change_history (entity_type, entity_id);

CREATE TABLE file_locks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  TEXT NOT NULL,
    task_id     TEXT NOT NULL,
    file_path   TEXT NOT NULL,
    locked_at   DATETIME DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (project_id, file_path)
);
