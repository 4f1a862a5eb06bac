/*
 * Reverts 001_rename_readings_to_sensor_history.sql: "readings" again, with
 * the 0.2.0 view, trigger and index.
 */
ALTER TABLE sensor_history RENAME CONSTRAINT sensor_history_sensor_id_fkey TO readings_sensor_id_fkey;
ALTER TABLE sensor_history RENAME CONSTRAINT sensor_history_pkey TO readings_pkey;
ALTER INDEX sensor_history_sensor_taken_at RENAME TO readings_sensor_taken_at;
ALTER TABLE sensor_history RENAME TO readings;

CREATE VIEW latest_readings AS
SELECT s.id       AS sensor_id,
       d.name     AS device,
       s.name     AS sensor,
       s.unit     AS unit,
       r.taken_at AS taken_at,
       r.value    AS value
  FROM readings AS r
  JOIN sensors  AS s ON s.id = r.sensor_id
  JOIN devices  AS d ON d.id = s.device_id
 WHERE r.taken_at = (SELECT max(r2.taken_at)
                       FROM readings AS r2
                      WHERE r2.sensor_id = r.sensor_id);

CREATE FUNCTION readings_touch_device() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Readings can arrive out of order (devices buffer while offline); only
  -- ever move last_seen_at forward; an older reading must not move it back.
  UPDATE devices
     SET last_seen_at = NEW.taken_at
   WHERE id = (SELECT device_id FROM sensors WHERE id = NEW.sensor_id)
     AND (last_seen_at IS NULL OR last_seen_at < NEW.taken_at);
  RETURN NEW;
END;
$$;

CREATE TRIGGER readings_touch_device
AFTER INSERT ON readings
FOR EACH ROW EXECUTE FUNCTION readings_touch_device();
