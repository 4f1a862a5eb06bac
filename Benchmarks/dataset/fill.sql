-- Fills the benchmark data set deterministically (no random()): run.py sets
-- the parameters @devices and @rows with the sqlite3 shell's .parameter.
BEGIN;

WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @devices)
INSERT INTO devices (id, name, location, firmware)
SELECT i, 'device-' || i, 'room-' || (i % 37), '1.' || (i % 5) || '.' || (i % 11) FROM n;

WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @rows)
INSERT INTO sensor_history (id, device_id, recorded_at, value, unit, quality)
SELECT i, (i % @devices) + 1, 1700000000000 + i * 7000, ((i * 7919) % 100003) / 100.0 - 20.0,
       CASE i % 3 WHEN 0 THEN 'C' WHEN 1 THEN '%' ELSE 'hPa' END, (i * 13) % 101
FROM n;

COMMIT;
