#ifndef ESTFCGI_CSPAWN_SHIM_H
#define ESTFCGI_CSPAWN_SHIM_H
/* glibc (>= 2.34) functions that Swift's Glibc module hides behind _GNU_SOURCE, for running
   the authorization hook's command. Declared here again, as glibc declares them. */
#include <spawn.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <signal.h>

extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *, int);
extern int pipe2(int pipefd[2], int flags);

/* The child gets only the descriptors it was given (0, 1, 2): not the FastCGI socket, the
   store's files or another request's connection. */
static inline int estfcgi_spawn_closefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
static inline int estfcgi_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
static inline int estfcgi_exited(int status) { return WIFEXITED(status); }
static inline int estfcgi_exit_code(int status) { return WEXITSTATUS(status); }
static inline int estfcgi_signalled(int status) { return WIFSIGNALED(status); }
static inline int estfcgi_term_signal(int status) { return WTERMSIG(status); }
/* si_pid is a macro into a union, which Swift does not see. */
static inline pid_t estfcgi_siginfo_pid(const siginfo_t *info) { return info->si_pid; }
#endif
