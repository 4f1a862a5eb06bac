-- sensorhub 0.1.0: one device exposes several sensors (temperature, humidity, ...).
-- 0.1.0 was lax: `name` may be NULL and `unit` is whatever the device reported
-- ('C', 'celsius', 'lux', 'watts', ...). Release 0.4.0 tightens both.
CREATE TABLE sensors (
  id        INTEGER PRIMARY KEY,
  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  name      TEXT,
  unit      TEXT    NOT NULL
);

CREATE INDEX sensors_device_id ON sensors(device_id);
