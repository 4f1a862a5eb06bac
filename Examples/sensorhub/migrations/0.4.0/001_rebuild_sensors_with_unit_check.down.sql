/*
 * Reverts 001_rebuild_sensors_with_unit_check.sql: sensors goes back to the
 * lax 0.3.0 definition. The data is NOT un-normalized: units stay '°C',
 * 'lx', ... and generated names stay; both are valid under 0.3.0 too.
 *
 * The rows go through a temporary copy instead of sensors_old + RENAME so
 * that the schema reads exactly as 0.3.0 left it (ALTER TABLE ... RENAME
 * would store CREATE TABLE "sensors", quoted). The odd line break before
 * ", precision" is how ALTER TABLE ... ADD COLUMN in 0.2.0 stored it.
 */
DROP VIEW latest_readings;
DROP TRIGGER sensor_history_touch_device;

CREATE TEMP TABLE sensors_backup AS SELECT * FROM sensors;

DROP TABLE sensors;

CREATE TABLE sensors (
  id        INTEGER PRIMARY KEY,
  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  name      TEXT,
  unit      TEXT    NOT NULL
, precision INTEGER NOT NULL DEFAULT 1);

INSERT INTO sensors (id, device_id, name, unit, precision)
SELECT id, device_id, name, unit, precision FROM temp.sensors_backup ORDER BY id;

DROP TABLE temp.sensors_backup;

CREATE INDEX sensors_device_id ON sensors(device_id);

CREATE VIEW latest_readings AS
SELECT s.id       AS sensor_id,
       d.name     AS device,
       s.name     AS sensor,
       s.unit     AS unit,
       h.taken_at AS taken_at,
       h.value    AS value,
       h.quality  AS quality
  FROM sensor_history AS h
  JOIN sensors        AS s ON s.id = h.sensor_id
  JOIN devices        AS d ON d.id = s.device_id
 WHERE h.taken_at = (SELECT max(h2.taken_at)
                       FROM sensor_history AS h2
                      WHERE h2.sensor_id = h.sensor_id);

CREATE TRIGGER sensor_history_touch_device
AFTER INSERT ON sensor_history
BEGIN
  -- Only ever move last_seen_at forward; a buffered, older row must not
  -- move it back. (CASE ... END inside BEGIN ... END on purpose.)
  UPDATE devices
     SET last_seen_at = CASE
                          WHEN last_seen_at IS NULL OR last_seen_at < NEW.taken_at
                          THEN NEW.taken_at
                          ELSE last_seen_at
                        END
   WHERE id = (SELECT device_id FROM sensors WHERE id = NEW.sensor_id);

  /* A row without a value is 'missing', whatever the writer said; */
  UPDATE sensor_history
     SET quality = 'missing'
   WHERE id = NEW.id AND NEW.value IS NULL AND quality <> 'missing';
END;
