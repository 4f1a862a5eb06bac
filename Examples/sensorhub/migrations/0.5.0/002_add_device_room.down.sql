-- Reverts 002_add_device_room.sql (needs SQLite >= 3.35).
DROP INDEX devices_room_id;
ALTER TABLE devices DROP COLUMN room_id;
