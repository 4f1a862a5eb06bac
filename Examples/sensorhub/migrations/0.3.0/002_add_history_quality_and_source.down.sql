-- Reverts 002_add_history_quality_and_source.sql.
ALTER TABLE sensor_history DROP COLUMN source;
ALTER TABLE sensor_history DROP COLUMN quality;
