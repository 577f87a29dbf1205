/*
 * proc.h - setting up a process: signal dispositions, the change of
 * user, and watching the parent.  Both the master and its workers use it;
 * it knows nothing of either.
 */
#ifndef PROC_H
#define PROC_H

#include <sys/types.h>

#include <signal.h>

/*
 * A worker's signal flags, set by the handlers proc_worker_signals()
 * installs (without SA_RESTART, so a blocking accept, poll or read
 * returns EINTR).  The worker clears proc_reopen when it has acted.
 *   proc_graceful: SIGQUIT (or the parent gone); finish the request in
 *                  hand, then exit 0.
 *   proc_reopen:   SIGUSR1; reopen the log files.
 */
extern volatile sig_atomic_t	 proc_graceful;
extern volatile sig_atomic_t	 proc_reopen;

/* Install fn for sig, without SA_RESTART and with an empty mask. */
void	proc_handle(int sig, void (*fn)(int));
/*
 * A worker's dispositions: SIGQUIT sets proc_graceful, SIGUSR1 sets
 * proc_reopen, SIGTERM and SIGINT keep their default (exit at once),
 * SIGUSR2 does nothing but interrupt a blocking call (the nudge of a
 * keep-alive worker, scoreboard.h), SIGHUP, SIGPIPE and SIGWINCH are
 * ignored, SIGCHLD is the default.  Then every signal is unblocked.
 */
void	proc_worker_signals(void);
/*
 * Ask for SIGQUIT when the parent dies (PR_SET_PDEATHSIG), and set
 * proc_graceful at once if it is already gone (the parent is no longer
 * parent).  A change of user clears the request: proc_drop_privileges()
 * makes it again.
 */
void	proc_watch_parent(pid_t parent);
/*
 * Become uid/gid with user's supplementary groups, make sure there is no
 * way back to root, then watch parent again.  Returns 0, or -1 with errno
 * set.
 */
int	proc_drop_privileges(const char *user, uid_t uid, gid_t gid,
	    pid_t parent);

#endif /* PROC_H */
