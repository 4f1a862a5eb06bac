/*
 * sensorhub 0.2.0: devices report their firmware version, and the hub
 * remembers when it last heard from each device.
 *
 * last_seen_at is back-filled from the readings already stored; from now
 * on the trigger created in 004 keeps it current.
 */
ALTER TABLE devices
  ADD COLUMN firmware text,
  ADD COLUMN last_seen_at timestamptz;

UPDATE devices
   SET last_seen_at = (SELECT max(r.taken_at)
                         FROM readings AS r
                         JOIN sensors  AS s ON s.id = r.sensor_id
                        WHERE s.device_id = devices.id);
