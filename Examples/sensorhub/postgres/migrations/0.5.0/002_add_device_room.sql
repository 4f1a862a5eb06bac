/*
 * sensorhub 0.5.0: devices point at their room.
 *
 * devices.location is KEPT (expand/contract): 0.5.0 still writes it, older
 * app builds reading the database keep working, and a downgrade loses
 * nothing. A later release can drop it once nothing reads it.
 */
ALTER TABLE devices ADD COLUMN room_id bigint REFERENCES rooms(id) ON DELETE SET NULL;

UPDATE devices
   SET room_id = (SELECT r.id FROM rooms AS r WHERE r.name = trim(devices.location))
 WHERE trim(location) <> '';

CREATE INDEX devices_room_id ON devices(room_id);
