-- sensorhub 0.1.0: every physical thing the hub talks to.
-- `location` is free text typed in by the user ("Kitchen", "Bob's room", ...);
-- release 0.5.0 turns it into a proper `rooms` table.
CREATE TABLE devices (
  id         INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL UNIQUE,
  kind       TEXT    NOT NULL,
  location   TEXT,
  created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
