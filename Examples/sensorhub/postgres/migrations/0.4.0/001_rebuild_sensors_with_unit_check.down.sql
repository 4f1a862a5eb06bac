-- Reverts 001_rebuild_sensors_with_unit_check.sql: sensors goes back to the
-- lax 0.3.0 definition. The data is NOT un-normalized: units stay '°C', 'lx',
-- ... and generated names stay; both are valid under 0.3.0 too.
ALTER TABLE sensors
  DROP CONSTRAINT sensors_precision_range,
  DROP CONSTRAINT sensors_unit_known,
  DROP CONSTRAINT sensors_name_not_blank,
  ALTER COLUMN name DROP NOT NULL;
