/*
 * mbt.h - what the tests share: a temporary metabase, the real mbctl and
 * mbhttpd binaries, and raw HTTP over sockets to 127.0.0.1.
 *
 * Every wait here is bounded (generously: the machines are shared and
 * slow), and every process a test starts is stopped by mbt_teardown().
 */
#ifndef MBT_H
#define MBT_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>

#ifndef PATH_MAX
#define PATH_MAX	4096
#endif

/* Milliseconds on the monotonic clock. */
long long mbt_now_ms(void);
/* Sleep ms milliseconds, through signals. */
void	mbt_sleep_ms(long ms);

/* Where the binaries are: $MBT_BUILD, else "build". */
const char	*mbt_build(void);
/* The source tree: $MBT_SRCDIR, else ".". */
const char	*mbt_srcdir(void);

struct mbt_env {
	char		 dir[PATH_MAX];		/* the mkdtemp(3) directory */
	char		 metabase[PATH_MAX];	/* dir/metabase */
	char		 www[PATH_MAX];		/* dir/www */
	char		 logs[PATH_MAX];	/* dir/logs */
	char		 conf[PATH_MAX];	/* dir/mbhttpd.conf */
	char		 errlog[PATH_MAX];	/* dir/error.log */
	unsigned	 port, port2;		/* two free ports on 127.0.0.1 */
	pid_t		 server;		/* mbhttpd master, or 0 */
	/* As root: the workers' user and group ("": root's, the default). */
	char		 user[32], group[32];
};

/*
 * Make the directory, run `mbctl init` on dir/metabase, set
 * W3SVC/LogFileDirectory to dir/logs, and pick two free ports.  Returns
 * 0 or -1 (the test should then fail).
 */
int	mbt_setup(struct mbt_env *e);
/*
 * Copy s[0..len) so that it ends right before a PROT_NONE page, as
 * picohttpparser's tests do, and return the copy: a parser that reads one
 * byte too far crashes.  len at most MBT_GUARD_MAX; the copy lives until
 * the next call.  Aborts if the pages cannot be mapped.
 */
#define MBT_GUARD_MAX	(64 * 1024)
const char *mbt_guard(const char *s, size_t len);
/* Remove path and everything below it, as rm -rf does; links are not
 * followed. */
void	mbt_rmtree(const char *path);
/* Stop the server if running (TERM, bounded wait, KILL), remove dir. */
void	mbt_teardown(struct mbt_env *e);

/*
 * Run build/mbctl -m <metabase> argv[0] argv[1] ... (argv NULL-terminated,
 * without "mbctl" and -m).  Its stdout and stderr go to out and err
 * (NUL-terminated, cut to fit; either may be NULL).  Returns the exit
 * status, or -1 if it did not exit normally within 60 seconds.
 */
int	mbt_mbctlv(struct mbt_env *e, const char *const argv[], char *out,
	    size_t outlen, char *err, size_t errlen);
/* The same with the arguments as a NULL-terminated list. */
int	mbt_mbctl(struct mbt_env *e, char *out, size_t outlen, ...);

/*
 * Run argv (argv[0] a path, NULL-terminated) in its own process group,
 * stdin from /dev/null, stdout and stderr into out and err (NUL-terminated,
 * cut to fit; either may be NULL).  Returns its exit status, or -1 if it
 * could not be started or did not exit normally within timeout_ms; its
 * group is killed either way.
 */
int	mbt_run(const char *const argv[], char *out, size_t outlen, char *err,
	    size_t errlen, long timeout_ms);

/*
 * The bytes of file up to the end of its last 4096-byte block that is not
 * all zeros: how much of a data.mdb LMDB uses, without the hole the
 * metabase keeps ahead of its commits.  -1 if it cannot be read.
 */
long long mbt_used_size(const char *file);
/* The whole file at path as a malloc'd, NUL-terminated string, or NULL. */
char	*mbt_slurp(const char *path);
/* The request lines in an access log's text s: not empty, not '#'. */
int	mbt_log_entries(const char *s);
/* Write content to path, creating its parent directories. */
int	mbt_write_file(const char *path, const char *content);

/*
 * Create site id with name, one binding and the folder dir/www/<name>
 * (created, holding index.html with "site <name>\n").  Returns 0 or -1.
 */
int	mbt_site(struct mbt_env *e, unsigned id, const char *name,
	    const char *binding);

/*
 * Write dir/mbhttpd.conf (metabase, pid_file, error_log under dir), start
 * build/mbhttpd -F -f it with extra arguments (NULL-terminated; may be
 * empty), and wait until 127.0.0.1:port accepts a connection (up to 15
 * s).  Returns 0, or -1 (the server's error log explains).
 */
int	mbt_start(struct mbt_env *e, ...);
/* Send SIGTERM to the master and wait for it (bounded); 0 if it exited 0. */
int	mbt_stop(struct mbt_env *e);
/* The worker pids the master has now (children of e->server), up to max. */
size_t	mbt_workers(struct mbt_env *e, pid_t *pids, size_t max);

/*
 * A TCP connection to ip:port (dotted IPv4), with 10-second socket
 * timeouts; -1 with errno if it cannot be made.
 */
int	mbt_connect_ip(const char *ip, unsigned port);
/* The same to 127.0.0.1:port. */
int	mbt_connect(unsigned port);
/* Send all of s. 0 or -1. */
int	mbt_send(int fd, const char *s);

struct mbt_resp {
	int		 status;	/* 0 if no status line came */
	int		 minor;		/* HTTP/1.<minor> */
	char		 head[16384];	/* status line and fields, raw */
	size_t		 headlen;
	char		*body;		/* malloc'd, NUL-terminated */
	size_t		 bodylen;
};

/*
 * Read one response from fd: the head, then the body by Content-Length
 * (none for 1xx, 204, 304, and when head_only: the answer to a HEAD),
 * else until end of file.  Bytes read past this response are kept for the
 * next call on the same fd (pipelining).  Returns 0, or -1 on timeout,
 * error or end of file before a whole response.
 */
int	mbt_read_response(int fd, struct mbt_resp *r, int head_only);
/* Free r->body. */
void	mbt_resp_free(struct mbt_resp *r);
/*
 * The value of the first header field named name (any case) in r, copied
 * into a static buffer, or NULL if absent.
 */
const char *mbt_header(const struct mbt_resp *r, const char *name);
/* Connect, send raw, read one response, close.  0 or -1. */
int	mbt_request(unsigned port, const char *raw, struct mbt_resp *r);

/*
 * Whether the peer has closed fd: 1 if a read gives end of file (or a
 * reset) within timeout_ms, 0 if nothing comes in that time, -1 if data
 * comes instead.  Buffered bytes kept by mbt_read_response() count as
 * data.
 */
int	mbt_closed(int fd, int timeout_ms);
/* Close fd and forget what mbt_read_response() kept for it. */
void	mbt_close(int fd);

#endif /* MBT_H */
