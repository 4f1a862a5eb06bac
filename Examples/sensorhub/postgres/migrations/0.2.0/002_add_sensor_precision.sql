-- sensorhub 0.2.0: how many decimals the UI shows for a sensor.
ALTER TABLE sensors ADD COLUMN precision integer NOT NULL DEFAULT 1;

-- Power and illuminance are shown as whole numbers. Units are still free
-- text here ('W', 'Watt', 'watts', 'lux', ...); 0.4.0 cleans them up.
UPDATE sensors
   SET precision = 0
 WHERE lower(trim(unit)) IN ('w', 'watt', 'watts', 'lx', 'lux');
