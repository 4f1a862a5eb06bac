-- Reverts 003_create_latest_readings_view.sql.
DROP VIEW latest_readings;
