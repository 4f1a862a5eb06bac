-- Reverts 002_add_history_quality_and_source.sql.
ALTER TABLE sensor_history DROP COLUMN source, DROP COLUMN quality;
