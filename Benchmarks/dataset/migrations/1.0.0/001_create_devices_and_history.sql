-- The benchmark data set's schema: devices and their sensor history, as in
-- the sensorhub example, indexed by device and time.
CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    location TEXT NOT NULL,
    firmware TEXT NOT NULL
);

CREATE TABLE sensor_history (
    id INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices (id),
    recorded_at INTEGER NOT NULL,
    value REAL NOT NULL,
    unit TEXT NOT NULL,
    quality INTEGER NOT NULL
);

CREATE INDEX sensor_history_by_device_time ON sensor_history (device_id, recorded_at);
