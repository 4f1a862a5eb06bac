-- sensorhub 0.1.0: the measurements. `value` is NULL when the device reported
-- a reading but no usable number (sensor error, timeout).
-- Timestamps are ISO-8601 UTC text, e.g. '2024-03-01T12:00:00Z', so that
-- text order is time order.
CREATE TABLE readings (
  id        INTEGER PRIMARY KEY,
  sensor_id INTEGER NOT NULL REFERENCES sensors(id),
  taken_at  TEXT    NOT NULL,
  value     REAL
);

CREATE INDEX readings_sensor_taken_at ON readings(sensor_id, taken_at);
