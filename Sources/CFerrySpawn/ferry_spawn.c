// posix_spawn_file_actions_addclosefrom_np (glibc 2.34) is a GNU extension.
#define _GNU_SOURCE
#include "ferry_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

int ferry_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                int input, int output, int error) {
    // A descriptor below 3 (a process started with its standard input closed opens its next
    // file as 0) could be replaced by an earlier dup2 before its own: each is copied above 2.
    int standard[3] = {input, output, error};
    int moved[3] = {-1, -1, -1};
    int status = 0;
    for (int target = 0; target < 3 && status == 0; target++) {
        if (standard[target] < 3) {
            moved[target] = fcntl(standard[target], F_DUPFD_CLOEXEC, 3);
            if (moved[target] < 0) status = errno;
            else standard[target] = moved[target];
        }
    }
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int madeActions = 0, madeAttributes = 0;
    if (status == 0) status = posix_spawn_file_actions_init(&actions);
    if (status == 0) madeActions = 1;
    if (status == 0) status = posix_spawnattr_init(&attributes);
    if (status == 0) madeAttributes = 1;
    for (int target = 0; target < 3 && status == 0; target++) {
        status = posix_spawn_file_actions_adddup2(&actions, standard[target], target);
    }
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP;
#ifdef __APPLE__
    flags |= POSIX_SPAWN_CLOEXEC_DEFAULT;
#else
    // The child closes the rest itself: nothing lists the parent's descriptors.
    if (status == 0) status = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    if (status == 0) status = posix_spawnattr_setsigmask(&attributes, &none);
    if (status == 0) status = posix_spawnattr_setsigdefault(&attributes, &all);
    if (status == 0) status = posix_spawnattr_setpgroup(&attributes, 0);
    if (status == 0) status = posix_spawnattr_setflags(&attributes, flags);
    if (status == 0) status = posix_spawn(pid, path, &actions, &attributes, argv, envp);
    if (madeAttributes) posix_spawnattr_destroy(&attributes);
    if (madeActions) posix_spawn_file_actions_destroy(&actions);
    for (int target = 0; target < 3; target++) {
        if (moved[target] >= 0) close(moved[target]);
    }
    return status;
}
