-- Reverts 001_add_device_firmware_and_last_seen.sql (needs SQLite >= 3.35).
ALTER TABLE devices DROP COLUMN last_seen_at;
ALTER TABLE devices DROP COLUMN firmware;
