-- sensorhub 0.4.0 checks. Every row's first column must be true.
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
SELECT (SELECT count(*) FROM pg_constraint
         WHERE conrelid = 'sensors'::regclass
           AND conname IN ('sensors_name_not_blank', 'sensors_unit_known',
                           'sensors_precision_range')) = 3,
       'the three constraints are in place';
