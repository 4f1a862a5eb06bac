-- The benchmark data set's schema on PostgreSQL: the same devices and sensor
-- history as migrations/1.0.0 (SQLite), indexed by device and time.
CREATE TABLE devices (
    id integer PRIMARY KEY,
    name text NOT NULL UNIQUE,
    location text NOT NULL,
    firmware text NOT NULL
);

CREATE TABLE sensor_history (
    id bigint PRIMARY KEY,
    device_id integer NOT NULL REFERENCES devices (id),
    recorded_at bigint NOT NULL,
    value double precision NOT NULL,
    unit text NOT NULL,
    quality integer NOT NULL
);

CREATE INDEX sensor_history_by_device_time ON sensor_history (device_id, recorded_at);
