-- Reverts 003_sync_room_from_location.sql.
DROP TRIGGER devices_room_from_location_on_update;
DROP TRIGGER devices_room_from_location_on_insert;
