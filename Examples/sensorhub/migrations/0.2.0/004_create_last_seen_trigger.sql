-- sensorhub 0.2.0: keep devices.last_seen_at current on every new reading.
CREATE TRIGGER readings_touch_device
AFTER INSERT ON readings
BEGIN
  -- Readings can arrive out of order (devices buffer while offline); only
  -- ever move last_seen_at forward; an older reading must not move it back.
  UPDATE devices
     SET last_seen_at = NEW.taken_at
   WHERE id = (SELECT device_id FROM sensors WHERE id = NEW.sensor_id)
     AND (last_seen_at IS NULL OR last_seen_at < NEW.taken_at);
END;
