-- sensorhub 0.3.0: every history row says how trustworthy it is and where it
-- came from ('zigbee', 'wifi', 'manual', 'import', ...).
-- source stays NULL for rows recorded before 0.3.0: we don't know it.
ALTER TABLE sensor_history
  ADD COLUMN quality text NOT NULL DEFAULT 'ok'
    CHECK (quality IN ('ok', 'suspect', 'missing')),
  ADD COLUMN source text;

-- A reading without a value was never 'ok'.
UPDATE sensor_history SET quality = 'missing' WHERE value IS NULL;
