#ifndef FERRY_SPAWN_H
#define FERRY_SPAWN_H

#include <sys/types.h>

/// Starts the program at `path` with `posix_spawn`: `argv` and `envp` end
/// with NULL; `input`, `output` and `error` become the child's descriptors
/// 0, 1 and 2 (any of them may be below 3), and every other descriptor is
/// closed in the child. The child starts with no signal blocked, every
/// signal at its default action, in a process group of its own. Returns 0
/// and sets `*pid`, or an errno value.
int ferry_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                int input, int output, int error);

#endif
