-- Fills the benchmark data set on PostgreSQL with the same rows as
-- ../fill.sql (no random()): run.py sets the psql variables devices and rows.
BEGIN;

INSERT INTO devices (id, name, location, firmware)
SELECT i, 'device-' || i, 'room-' || (i % 37), '1.' || (i % 5) || '.' || (i % 11)
FROM generate_series(1, :devices) AS i;

INSERT INTO sensor_history (id, device_id, recorded_at, value, unit, quality)
SELECT i, (i % :devices) + 1, 1700000000000 + i * 7000, ((i * 7919) % 100003) / 100.0 - 20.0,
       CASE i % 3 WHEN 0 THEN 'C' WHEN 1 THEN '%' ELSE 'hPa' END, (i * 13) % 101
FROM generate_series(1::bigint, :rows) AS i;

COMMIT;

-- Set the hint bits and the statistics now, so that no measured run pays for them.
VACUUM (FREEZE, ANALYZE);
CHECKPOINT;
