-- sensorhub 0.5.0 checks. Every row's first column must be true.
SELECT NOT EXISTS (SELECT 1
                     FROM devices AS d
                     LEFT JOIN rooms AS r ON r.id = d.room_id
                    WHERE trim(d.location) <> ''
                      AND (r.id IS NULL OR r.name <> trim(d.location))) AS ok,
       'every device that had a location is in the room of that name' AS description
UNION ALL
SELECT (SELECT count(*) FROM rooms)
       >= (SELECT count(DISTINCT trim(location)) FROM devices WHERE trim(location) <> ''),
       'there is a room for every distinct location'
UNION ALL
SELECT NOT EXISTS (SELECT 1 FROM devices AS d
                    WHERE d.room_id IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM rooms AS r WHERE r.id = d.room_id)),
       'no device points at a room that does not exist';
