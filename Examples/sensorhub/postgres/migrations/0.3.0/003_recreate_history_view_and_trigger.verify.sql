-- sensorhub 0.3.0 checks. Every row's first column must be true.
SELECT to_regclass('readings') IS NULL
       AND to_regclass('readings_sensor_taken_at') IS NULL
       AND NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'readings_touch_device') AS ok,
       'the old readings table, trigger and index are gone' AS description
UNION ALL
SELECT NOT EXISTS (SELECT 1 FROM pg_views
                    WHERE schemaname = current_schema()
                      AND definition ~ '\mreadings\M'),
       'no view still reads readings'
UNION ALL
SELECT EXISTS (SELECT 1 FROM pg_trigger
                WHERE tgname = 'sensor_history_touch_device'
                  AND tgrelid = 'sensor_history'::regclass),
       'the last-seen trigger is on sensor_history'
UNION ALL
SELECT NOT EXISTS (SELECT 1 FROM sensor_history
                    WHERE value IS NULL AND quality <> 'missing'),
       'every row without a value is flagged missing';
