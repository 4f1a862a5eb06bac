/*
 * sensorhub 0.3.0: "readings" is renamed "sensor_history"; it now also
 * stores imported and hand-entered values, not only live readings.
 *
 * PostgreSQL's views and triggers follow a renamed table by themselves, but
 * the view, the trigger and its function are dropped here and created again
 * in 003 (as on SQLite), so that they carry the new name too. The index and
 * the constraints are renamed with the table.
 */
DROP TRIGGER readings_touch_device ON readings;
DROP FUNCTION readings_touch_device();
DROP VIEW latest_readings;

ALTER TABLE readings RENAME TO sensor_history;
ALTER INDEX readings_sensor_taken_at RENAME TO sensor_history_sensor_taken_at;
ALTER TABLE sensor_history RENAME CONSTRAINT readings_pkey TO sensor_history_pkey;
ALTER TABLE sensor_history RENAME CONSTRAINT readings_sensor_id_fkey TO sensor_history_sensor_id_fkey;
