#ifndef FERRY_SQLITE_SETTINGS_H
#define FERRY_SQLITE_SETTINGS_H

/// SQLite's settings for the whole process, made before SQLite is first used
/// in it. `sqlite3_config` takes variable arguments, which Swift cannot pass:
/// this is the whole reason for this C target.
///
/// Each returns 0 when the setting took effect; SQLite's error code otherwise
/// (SQLITE_MISUSE once SQLite is in use: then nothing changed).

/// Turns SQLite's memory statistics off (no process-wide mutex around each
/// of its allocations).
int ferry_sqlite_turn_off_memory_statistics(void);

#endif
