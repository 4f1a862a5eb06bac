-- Reverts 002_add_device_room.sql (the index goes with the column).
ALTER TABLE devices DROP COLUMN room_id;
