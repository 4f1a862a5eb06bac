-- Reverts 001_add_device_firmware_and_last_seen.sql.
ALTER TABLE devices DROP COLUMN last_seen_at, DROP COLUMN firmware;
