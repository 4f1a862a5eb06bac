/*
 * Reverts 001_rename_readings_to_sensor_history.sql: brings back "readings"
 * with its 0.1.0 definition and the 0.2.0 view, trigger and index.
 *
 * The rows are copied rather than renamed back: ALTER TABLE ... RENAME
 * would store the definition as CREATE TABLE "readings" (quoted), so the
 * schema would not read exactly as it did before the upgrade.
 */
DROP INDEX sensor_history_sensor_taken_at;

CREATE TABLE readings (
  id        INTEGER PRIMARY KEY,
  sensor_id INTEGER NOT NULL REFERENCES sensors(id),
  taken_at  TEXT    NOT NULL,
  value     REAL
);

INSERT INTO readings (id, sensor_id, taken_at, value)
SELECT id, sensor_id, taken_at, value FROM sensor_history ORDER BY id;

DROP TABLE sensor_history;

CREATE INDEX readings_sensor_taken_at ON readings(sensor_id, taken_at);

CREATE VIEW latest_readings AS
SELECT s.id       AS sensor_id,
       d.name     AS device,
       s.name     AS sensor,
       s.unit     AS unit,
       r.taken_at AS taken_at,
       r.value    AS value
  FROM readings AS r
  JOIN sensors  AS s ON s.id = r.sensor_id
  JOIN devices  AS d ON d.id = s.device_id
 WHERE r.taken_at = (SELECT max(r2.taken_at)
                       FROM readings AS r2
                      WHERE r2.sensor_id = r.sensor_id);

CREATE TRIGGER readings_touch_device
AFTER INSERT ON readings
BEGIN
  -- Readings can arrive out of order (devices buffer while offline); only
  -- ever move last_seen_at forward; an older reading must not move it back.
  UPDATE devices
     SET last_seen_at = NEW.taken_at
   WHERE id = (SELECT device_id FROM sensors WHERE id = NEW.sensor_id)
     AND (last_seen_at IS NULL OR last_seen_at < NEW.taken_at);
END;
