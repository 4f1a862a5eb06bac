/*
 * sensorhub 0.4.0: sensors get real constraints.
 *   - name is NOT NULL (and not blank);
 *   - unit must be one of '°C', '%', 'hPa', 'lx', 'ppm', 'W';
 *   - precision is between 0 and 6.
 *
 * SQLite has to rebuild the table for this; PostgreSQL adds constraints to
 * the table in place (same name as the SQLite file, so that both engines'
 * histories read alike). First the old values are normalized, then the
 * constraints are added; sensor_history.sensor_id -> sensors(id) is
 * untouched and every sensor keeps its id.
 *
 * A unit that isn't listed (say 'F') is kept as is: the CHECK then stops the
 * upgrade (and Ferry rolls it back) instead of silently turning Fahrenheit
 * into Celsius.
 */
UPDATE sensors
   SET name = coalesce(nullif(trim(name), ''), 'sensor #' || id || ' (name wasn''t set)'),
       unit = CASE lower(trim(unit))
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
       precision = least(greatest(precision, 0), 6);

ALTER TABLE sensors
  ALTER COLUMN name SET NOT NULL,
  ADD CONSTRAINT sensors_name_not_blank CHECK (trim(name) <> ''),
  ADD CONSTRAINT sensors_unit_known CHECK (unit IN ('°C', '%', 'hPa', 'lx', 'ppm', 'W')),
  ADD CONSTRAINT sensors_precision_range CHECK (precision BETWEEN 0 AND 6);
