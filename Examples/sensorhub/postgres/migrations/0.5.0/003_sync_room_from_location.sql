/*
 * sensorhub 0.5.0: while devices.location still exists, app builds older than
 * 0.5.0 may still write it. These triggers keep room_id in step: a device
 * written with a location but no room gets (and if needed creates) the room
 * of that name; changing the location moves the device to that room.
 * PostgreSQL sets the new row's room_id before it is written.
 */
CREATE FUNCTION devices_room_from_location() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rooms (name) VALUES (trim(NEW.location)) ON CONFLICT (name) DO NOTHING;
  NEW.room_id := (SELECT id FROM rooms WHERE name = trim(NEW.location));
  RETURN NEW;
END;
$$;

CREATE TRIGGER devices_room_from_location_on_insert
BEFORE INSERT ON devices
FOR EACH ROW
WHEN (NEW.room_id IS NULL AND trim(NEW.location) <> '')
EXECUTE FUNCTION devices_room_from_location();

CREATE TRIGGER devices_room_from_location_on_update
BEFORE UPDATE OF location ON devices
FOR EACH ROW
WHEN (trim(NEW.location) <> '' AND NEW.location IS DISTINCT FROM OLD.location)
EXECUTE FUNCTION devices_room_from_location();
