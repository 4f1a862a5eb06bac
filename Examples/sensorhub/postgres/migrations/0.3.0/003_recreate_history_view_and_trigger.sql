-- sensorhub 0.3.0: the dashboard view and the last-seen trigger, now on
-- sensor_history. The view keeps its name: the app queries it by name.
CREATE VIEW latest_readings AS
SELECT s.id       AS sensor_id,
       d.name     AS device,
       s.name     AS sensor,
       s.unit     AS unit,
       h.taken_at AS taken_at,
       h.value    AS value,
       h.quality  AS quality
  FROM sensor_history AS h
  JOIN sensors        AS s ON s.id = h.sensor_id
  JOIN devices        AS d ON d.id = s.device_id
 WHERE h.taken_at = (SELECT max(h2.taken_at)
                       FROM sensor_history AS h2
                      WHERE h2.sensor_id = h.sensor_id);

-- A tagged dollar quote ($body$), a CASE … END and comments holding ';'
-- inside the body: none of them ends the statement.
CREATE FUNCTION sensor_history_touch_device() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
  -- Only ever move last_seen_at forward; a buffered, older row must not
  -- move it back. (CASE ... END inside BEGIN ... END on purpose.)
  UPDATE devices
     SET last_seen_at = CASE
                          WHEN last_seen_at IS NULL OR last_seen_at < NEW.taken_at
                          THEN NEW.taken_at
                          ELSE last_seen_at
                        END
   WHERE id = (SELECT device_id FROM sensors WHERE id = NEW.sensor_id);

  /* A row without a value is 'missing', whatever the writer said; */
  UPDATE sensor_history
     SET quality = 'missing'
   WHERE id = NEW.id AND NEW.value IS NULL AND quality <> 'missing';
  RETURN NEW;
END;
$body$;

CREATE TRIGGER sensor_history_touch_device
AFTER INSERT ON sensor_history
FOR EACH ROW EXECUTE FUNCTION sensor_history_touch_device();
