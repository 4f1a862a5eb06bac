-- Reverts 002_add_sensor_precision.sql.
ALTER TABLE sensors DROP COLUMN precision;
