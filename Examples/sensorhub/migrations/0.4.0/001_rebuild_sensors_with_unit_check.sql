/*
 * sensorhub 0.4.0: sensors get real constraints.
 *   - name is NOT NULL (and not blank);
 *   - unit must be one of '°C', '%', 'hPa', 'lx', 'ppm', 'W';
 *   - precision is between 0 and 6.
 *
 * SQLite cannot add a CHECK or NOT NULL to an existing column, so the table
 * is rebuilt following https://www.sqlite.org/lang_altertable.html#otheralter
 * ("making other kinds of table schema changes"): create sensors_new, copy,
 * drop sensors, rename sensors_new to sensors. Ferry runs this with
 * foreign_keys=OFF and runs PRAGMA foreign_key_check before COMMIT, so
 * sensor_history.sensor_id -> sensors(id) must still hold afterwards: every
 * sensor keeps its id.
 *
 * Order matters: renaming the NEW table (not the old one to sensors_old)
 * keeps sensor_history's REFERENCES sensors(id) pointing at the right table.
 * The view and the trigger that mention sensors are dropped first, because
 * ALTER TABLE ... RENAME refuses to run while a view or trigger refers to a
 * table that doesn't exist ("error in view latest_readings: no such table").
 */
DROP VIEW latest_readings;
DROP TRIGGER sensor_history_touch_device;

CREATE TABLE sensors_new (
  id        INTEGER PRIMARY KEY,
  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  name      TEXT    NOT NULL CHECK (trim(name) <> ''),
  unit      TEXT    NOT NULL CHECK (unit IN ('°C', '%', 'hPa', 'lx', 'ppm', 'W')),
  precision INTEGER NOT NULL DEFAULT 1 CHECK (precision BETWEEN 0 AND 6)
);

-- Normalize what 0.1.0-0.3.0 let devices report. lower() only folds ASCII,
-- so '°C' arrives here as '°c'. A unit that isn't listed is copied as is:
-- the CHECK then stops the upgrade (and Ferry rolls it back) instead of
-- silently turning e.g. Fahrenheit into Celsius.
INSERT INTO sensors_new (id, device_id, name, unit, precision)
SELECT id,
       device_id,
       coalesce(nullif(trim(name), ''), 'sensor #' || id || ' (name wasn''t set)'),
       CASE lower(trim(unit))
         WHEN '°c'       THEN '°C'
         WHEN 'c'        THEN '°C'
         WHEN 'celsius'  THEN '°C'
         WHEN 'degc'     THEN '°C'
         WHEN '%'        THEN '%'
         WHEN 'percent'  THEN '%'
         WHEN '%rh'      THEN '%'
         WHEN 'hpa'      THEN 'hPa'
         WHEN 'mbar'     THEN 'hPa'   -- 1 mbar = 1 hPa, values stay valid
         WHEN 'lx'       THEN 'lx'
         WHEN 'lux'      THEN 'lx'
         WHEN 'ppm'      THEN 'ppm'
         WHEN 'w'        THEN 'W'
         WHEN 'watt'     THEN 'W'
         WHEN 'watts'    THEN 'W'
         ELSE unit
       END,
       min(max(precision, 0), 6)
  FROM sensors
 ORDER BY id;

DROP TABLE sensors;

ALTER TABLE sensors_new RENAME TO sensors;

CREATE INDEX sensors_device_id ON sensors(device_id);

-- Same definitions as in 0.3.0.
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
