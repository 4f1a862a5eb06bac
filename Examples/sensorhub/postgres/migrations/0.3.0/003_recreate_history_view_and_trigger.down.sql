-- Reverts 003_recreate_history_view_and_trigger.sql.
DROP TRIGGER sensor_history_touch_device ON sensor_history;
DROP FUNCTION sensor_history_touch_device();
DROP VIEW latest_readings;
