/*
 * sensorhub 0.3.0: "readings" is renamed "sensor_history"; it now also
 * stores imported and hand-entered values, not only live readings.
 *
 * SQLite >= 3.26 would rewrite the view and the trigger that mention
 * "readings" by itself, but only when legacy_alter_table is off; dropping
 * them and creating them again (in 003) does not depend on that setting,
 * and lets the trigger and the index carry the new name too.
 */
DROP TRIGGER readings_touch_device;
DROP VIEW latest_readings;
DROP INDEX readings_sensor_taken_at;

ALTER TABLE readings RENAME TO sensor_history;

CREATE INDEX sensor_history_sensor_taken_at ON sensor_history(sensor_id, taken_at);
