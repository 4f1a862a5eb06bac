-- Reverts 003_sync_room_from_location.sql.
DROP TRIGGER devices_room_from_location_on_update ON devices;
DROP TRIGGER devices_room_from_location_on_insert ON devices;
DROP FUNCTION devices_room_from_location();
