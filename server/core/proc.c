/*
 * proc.c - signal dispositions, privileges, the parent watch.
 */
/* initgroups() and prctl(PR_SET_PDEATHSIG) are beyond POSIX. */
#define _DEFAULT_SOURCE

#include <sys/types.h>
#include <sys/prctl.h>

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "server/core/proc.h"

volatile sig_atomic_t	 proc_graceful;
volatile sig_atomic_t	 proc_reopen;

static void
worker_sig(int sig)
{
	if (sig == SIGQUIT)
		proc_graceful = 1;
	else if (sig == SIGUSR1)
		proc_reopen = 1;
}

void
proc_handle(int sig, void (*fn)(int))
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: blocking calls must return EINTR. */
	sa.sa_flags = 0;
	sigaction(sig, &sa, NULL);
}

void
proc_worker_signals(void)
{
	sigset_t	 none;

	proc_handle(SIGQUIT, worker_sig);
	proc_handle(SIGUSR1, worker_sig);
	proc_handle(SIGTERM, SIG_DFL);
	proc_handle(SIGINT, SIG_DFL);
	proc_handle(SIGCHLD, SIG_DFL);
	proc_handle(SIGHUP, SIG_IGN);
	proc_handle(SIGPIPE, SIG_IGN);
	/* A terminal resize reaches the workers too when run with -F. */
	proc_handle(SIGWINCH, SIG_IGN);
	/* SIGUSR2 only interrupts a wait. */
	proc_handle(SIGUSR2, worker_sig);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void
proc_watch_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGQUIT) == -1 || getppid() != parent)
		proc_graceful = 1;
}

int
proc_drop_privileges(const char *user, uid_t uid, gid_t gid, pid_t parent)
{
	if (initgroups(user, gid) == -1 || setgid(gid) == -1 ||
	    setuid(uid) == -1)
		return -1;
	/* Make sure there is no way back, as OpenBSD daemons check. */
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		errno = EPERM;
		return -1;
	}
	proc_watch_parent(parent);
	return 0;
}
