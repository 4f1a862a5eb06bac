-- sensorhub 0.4.0 checks. Every row's first column must be 1.
SELECT NOT EXISTS (SELECT 1 FROM sensors
                    WHERE unit NOT IN ('°C', '%', 'hPa', 'lx', 'ppm', 'W')
                       OR name IS NULL OR trim(name) = '') AS ok,
       'every sensor has a name and a known unit' AS description
UNION ALL
SELECT NOT EXISTS (SELECT 1 FROM sensor_history AS h
                     LEFT JOIN sensors AS s ON s.id = h.sensor_id
                    WHERE s.id IS NULL),
       'every history row still has its sensor'
UNION ALL
SELECT NOT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'sensors_new'),
       'sensors_new was renamed'
UNION ALL
SELECT (SELECT count(*) FROM sqlite_master
         WHERE name IN ('sensors_device_id', 'latest_readings',
                        'sensor_history_touch_device')) = 3,
       'index, view and trigger were recreated';
