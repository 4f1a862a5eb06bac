-- sensorhub 0.3.0 checks. Every row's first column must be 1.
SELECT NOT EXISTS (SELECT 1 FROM sqlite_master
                    WHERE name IN ('readings', 'readings_touch_device',
                                   'readings_sensor_taken_at')) AS ok,
       'the old readings table, trigger and index are gone' AS description
UNION ALL
SELECT NOT EXISTS (SELECT 1 FROM sqlite_master
                    WHERE type IN ('view', 'trigger')
                      AND replace(sql, 'latest_readings', '') LIKE '%readings%'),
       'no view or trigger still mentions readings'
UNION ALL
SELECT EXISTS (SELECT 1 FROM sqlite_master
                WHERE type = 'trigger' AND name = 'sensor_history_touch_device'
                  AND tbl_name = 'sensor_history'),
       'the last-seen trigger is on sensor_history'
UNION ALL
SELECT NOT EXISTS (SELECT 1 FROM sensor_history
                    WHERE value IS NULL AND quality <> 'missing'),
       'every row without a value is flagged missing';
