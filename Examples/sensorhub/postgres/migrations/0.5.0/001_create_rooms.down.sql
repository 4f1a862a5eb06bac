-- Reverts 001_create_rooms.sql. devices.location was never changed, so no
-- room name is lost.
DROP TABLE rooms;
