-- Rebuilds sensor_history with a new column under a constraint (the same
-- statements that the sqlite3 peer runs, wrapped in the other steps of SQLite's
-- 12-step procedure: see Benchmarks/driver/workloads.py).
CREATE TABLE sensor_history_new (
    id INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices (id),
    recorded_at INTEGER NOT NULL,
    value REAL NOT NULL,
    unit TEXT NOT NULL CHECK (unit IN ('C', '%', 'hPa')),
    quality INTEGER NOT NULL CHECK (quality BETWEEN 0 AND 100),
    source TEXT NOT NULL DEFAULT 'sensor' CHECK (source IN ('sensor', 'manual', 'import'))
);

INSERT INTO sensor_history_new (id, device_id, recorded_at, value, unit, quality)
SELECT id, device_id, recorded_at, value, unit, quality FROM sensor_history;

DROP TABLE sensor_history;

ALTER TABLE sensor_history_new RENAME TO sensor_history;

CREATE INDEX sensor_history_by_device_time ON sensor_history (device_id, recorded_at);
