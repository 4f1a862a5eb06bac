/*
 * sensorhub 0.5.0: while devices.location still exists, app builds older than
 * 0.5.0 may still write it. These triggers keep room_id in step: a device
 * written with a location but no room gets (and if needed creates) the room
 * of that name; changing the location moves the device to that room.
 */
CREATE TRIGGER devices_room_from_location_on_insert
AFTER INSERT ON devices
WHEN NEW.room_id IS NULL AND trim(NEW.location) <> ''
BEGIN
  INSERT OR IGNORE INTO rooms (name) VALUES (trim(NEW.location));
  UPDATE devices
     SET room_id = (SELECT id FROM rooms WHERE name = trim(NEW.location))
   WHERE id = NEW.id;
END;

CREATE TRIGGER devices_room_from_location_on_update
AFTER UPDATE OF location ON devices
WHEN trim(NEW.location) <> '' AND NEW.location IS NOT OLD.location
BEGIN
  INSERT OR IGNORE INTO rooms (name) VALUES (trim(NEW.location));
  UPDATE devices
     SET room_id = (SELECT id FROM rooms WHERE name = trim(NEW.location))
   WHERE id = NEW.id;
END;
