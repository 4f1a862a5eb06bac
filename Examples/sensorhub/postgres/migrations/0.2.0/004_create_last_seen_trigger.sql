-- sensorhub 0.2.0: keep devices.last_seen_at current on every new reading.
-- A PostgreSQL trigger runs a function; its body is dollar-quoted, so the
-- semicolons inside it do not end the statement.
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
