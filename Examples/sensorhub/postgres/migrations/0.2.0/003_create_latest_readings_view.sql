-- sensorhub 0.2.0: the dashboard shows the newest reading of every sensor.
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
