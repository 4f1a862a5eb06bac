-- Reverts 004_create_last_seen_trigger.sql.
DROP TRIGGER readings_touch_device ON readings;
DROP FUNCTION readings_touch_device();
