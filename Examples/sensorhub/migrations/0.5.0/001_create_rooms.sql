/*
 * sensorhub 0.5.0: rooms become a table of their own, filled from the free
 * text in devices.location. Surrounding blanks are trimmed ('Living room '
 * and 'Living room' are one room); blank locations make no room.
 * Rooms are numbered in name order (binary collation), so the ids are the
 * same on every install with the same locations.
 */
CREATE TABLE rooms (
  id   INTEGER PRIMARY KEY,
  name TEXT    NOT NULL UNIQUE CHECK (trim(name) = name AND name <> '')
);

INSERT INTO rooms (name)
SELECT DISTINCT trim(location)
  FROM devices
 WHERE trim(location) <> ''
 ORDER BY trim(location);
