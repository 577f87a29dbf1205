/*
 * mbt.c - the shared test harness: a temporary metabase, the real mbctl
 * and mbhttpd binaries, and raw HTTP over sockets to 127.0.0.1.
 *
 * Criterion runs each test in its own process, so the little state kept
 * here (bytes read past a response, per descriptor) is per test.
 */
/* nftw(3) is XSI, not plain POSIX.1-2008; MAP_ANONYMOUS (mbt_guard())
 * is in neither. */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "mbt.h"

/* An mbctl run never takes this long, even on a loaded machine. */
#define MBT_MBCTL_TIMEOUT_MS	60000
/* The server listens well within this after it starts. */
#define MBT_START_TIMEOUT_MS	15000
/* After SIGTERM the master stops well within this (STOP_TIMEOUT_MS is 5). */
#define MBT_STOP_TIMEOUT_MS	10000
/* Socket timeouts, and the longest silence while reading a response. */
#define MBT_IO_TIMEOUT_MS	10000
/* The longest a whole response may take to read. */
#define MBT_RESP_TIMEOUT_MS	60000
#define MBT_MAXARGS		64
/* Descriptors holding bytes read past a response (pipelining). */
#define MBT_NKEPT		64

/*
 * Small helpers.
 */

long long
mbt_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
mbt_sleep_ms(long ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* snprintf(3) that reports truncation as failure. */
static int
fmt(char *buf, size_t len, const char *f, ...)
    __attribute__((format(printf, 3, 4)));

static int
fmt(char *buf, size_t len, const char *f, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, f);
	n = vsnprintf(buf, len, f, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

const char *
mbt_build(void)
{
	const char	*b = getenv("MBT_BUILD");

	return b != NULL && b[0] != '\0' ? b : "build";
}

const char *
mbt_srcdir(void)
{
	const char	*s = getenv("MBT_SRCDIR");

	return s != NULL && s[0] != '\0' ? s : ".";
}

/* Close every descriptor above stderr, in a child about to exec. */
static void
close_from(int lowfd)
{
	long	 max = sysconf(_SC_OPEN_MAX);
	int	 fd;

	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = lowfd; fd < max; fd++)
		close(fd);
}

/* Reap pid within ms milliseconds; 0 and *status, or -1. */
static int
wait_bounded(pid_t pid, int *status, long ms)
{
	long long	 deadline = mbt_now_ms() + ms;
	pid_t		 r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r == -1 && errno != EINTR)
			return -1;
		if (mbt_now_ms() >= deadline)
			return -1;
		mbt_sleep_ms(20);
	}
}

/*
 * Ports.
 */

/* Bind port 0 on 127.0.0.1 and keep the socket: the port stays ours. */
static int
bound_socket(unsigned *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 s;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) == -1) {
		close(s);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return s;
}

/* Two distinct free ports: both sockets are held while picking. */
static int
free_ports(unsigned *p1, unsigned *p2)
{
	int	 s1, s2;

	if ((s1 = bound_socket(p1)) == -1)
		return -1;
	if ((s2 = bound_socket(p2)) == -1) {
		close(s1);
		return -1;
	}
	close(s1);
	close(s2);
	return *p1 != *p2 ? 0 : -1;
}

/*
 * Files.
 */

static int
mkdir_p(const char *path, mode_t mode)
{
	char	 buf[PATH_MAX];
	char	*p;

	if (fmt(buf, sizeof(buf), "%s", path) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

int
mbt_write_file(const char *path, const char *content)
{
	char	 dir[PATH_MAX];
	char	*slash;
	size_t	 len = strlen(content), off = 0;
	ssize_t	 n;
	int	 fd;

	if (fmt(dir, sizeof(dir), "%s", path) == -1)
		return -1;
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir_p(dir, 0755) == -1)
			return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return -1;
	while (off < len) {
		n = write(fd, content + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	return close(fd);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

const char *
mbt_guard(const char *s, size_t len)
{
	static char	*end;
	char		*base;
	size_t		 pg = (size_t)sysconf(_SC_PAGESIZE);

	if (end == NULL) {
		base = mmap(NULL, MBT_GUARD_MAX + pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (base == MAP_FAILED ||
		    mprotect(base + MBT_GUARD_MAX, pg, PROT_NONE) == -1)
			abort();
		end = base + MBT_GUARD_MAX;
	}
	if (len > MBT_GUARD_MAX)
		abort();
	memmove(end - len, s, len);
	return end - len;
}

long long
mbt_used_size(const char *file)
{
	static const char zero[4096];
	char		 blk[4096];
	long long	 off = 0, used = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((n = read(fd, blk, sizeof(blk))) > 0) {
		off += n;
		if (memcmp(blk, zero, (size_t)n) != 0)
			used = off;
	}
	close(fd);
	return n == 0 ? used : -1;
}

char *
mbt_slurp(const char *path)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || (buf = malloc((size_t)st.st_size + 1)) ==
	    NULL) {
		close(fd);
		return NULL;
	}
	n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

int
mbt_log_entries(const char *s)
{
	int	 n = 0;

	for (; *s != '\0'; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : "")
		if (*s != '#' && *s != '\n')
			n++;
	return n;
}

void
mbt_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	rmdir(path);
}

/* Copy the file at path to our stderr: why a server did not start. */
static void
show_file(const char *what, const char *path)
{
	char	 buf[4096];
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	fprintf(stderr, "--- %s (%s):\n", what, path);
	fflush(stderr);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(STDERR_FILENO, buf, (size_t)n) != n)
			break;
	fprintf(stderr, "---\n");
	close(fd);
}

/*
 * mbctl.
 */

/* Append what fd has to buf[*n .. len-1), dropping what does not fit. */
static int
drain(int fd, char *buf, size_t len, size_t *n)
{
	char	 tmp[4096];
	ssize_t	 got;
	size_t	 take;

	got = read(fd, tmp, sizeof(tmp));
	if (got == -1 && errno == EINTR)
		return 1;
	if (got <= 0)
		return 0;
	if (buf != NULL && len > 0 && *n < len - 1) {
		take = (size_t)got;
		if (take > len - 1 - *n)
			take = len - 1 - *n;
		memcpy(buf + *n, tmp, take);
		*n += take;
		buf[*n] = '\0';
	}
	return 1;
}

int
mbt_mbctlv(struct mbt_env *e, const char *const argv[], char *out,
    size_t outlen, char *err, size_t errlen)
{
	const char	*av[MBT_MAXARGS + 4];
	char		 bin[PATH_MAX], ebuf[4096];
	struct pollfd	 p[2];
	long long	 deadline;
	size_t		 i, nout = 0, nerr = 0;
	pid_t		 pid;
	int		 po[2], pe[2], status, open_fds, r;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (err == NULL) {
		err = ebuf;
		errlen = sizeof(ebuf);
	}
	if (errlen > 0)
		err[0] = '\0';
	if (fmt(bin, sizeof(bin), "%s/mbctl", mbt_build()) == -1)
		return -1;
	av[0] = bin;
	av[1] = "-m";
	av[2] = e->metabase;
	for (i = 0; argv[i] != NULL; i++) {
		if (i == MBT_MAXARGS)
			return -1;
		av[3 + i] = argv[i];
	}
	av[3 + i] = NULL;

	if (pipe(po) == -1)
		return -1;
	if (pipe(pe) == -1) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) == -1) {
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		return -1;
	}
	if (pid == 0) {
		int	 null = open("/dev/null", O_RDONLY);

		if (null != -1)
			dup2(null, STDIN_FILENO);
		dup2(po[1], STDOUT_FILENO);
		dup2(pe[1], STDERR_FILENO);
		close_from(3);
		unsetenv("MBHTTPD_METABASE");
		unsetenv("MBHTTPD_CONF");
		execv(bin, (char *const *)av);
		fprintf(stderr, "cannot run '%s': %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	deadline = mbt_now_ms() + MBT_MBCTL_TIMEOUT_MS;
	open_fds = 2;
	p[0].fd = po[0];
	p[1].fd = pe[0];
	while (open_fds > 0) {
		long long left = deadline - mbt_now_ms();

		if (left <= 0)
			break;
		p[0].events = p[1].events = POLLIN;
		p[0].revents = p[1].revents = 0;
		r = poll(p, 2, (int)left);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (p[0].fd != -1 && p[0].revents &&
		    !drain(po[0], out, outlen, &nout)) {
			p[0].fd = -1;
			open_fds--;
		}
		if (p[1].fd != -1 && p[1].revents &&
		    !drain(pe[0], err, errlen, &nerr)) {
			p[1].fd = -1;
			open_fds--;
		}
	}
	close(po[0]);
	close(pe[0]);
	if (wait_bounded(pid, &status, open_fds > 0 ? 0 :
	    deadline - mbt_now_ms() > 0 ? deadline - mbt_now_ms() : 0) == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fprintf(stderr, "mbt: mbctl %s: did not finish in time\n",
		    argv[0] ? argv[0] : "");
		return -1;
	}
	if (!WIFEXITED(status))
		return -1;
	if (WEXITSTATUS(status) != 0 && err == ebuf && ebuf[0] != '\0')
		fprintf(stderr, "mbt: mbctl %s: %s", argv[0] ? argv[0] : "",
		    ebuf);
	return WEXITSTATUS(status);
}

int
mbt_mbctl(struct mbt_env *e, char *out, size_t outlen, ...)
{
	const char	*argv[MBT_MAXARGS + 1];
	const char	*a;
	va_list		 ap;
	size_t		 n = 0;

	va_start(ap, outlen);
	while ((a = va_arg(ap, const char *)) != NULL) {
		if (n == MBT_MAXARGS) {
			va_end(ap);
			return -1;
		}
		argv[n++] = a;
	}
	va_end(ap);
	argv[n] = NULL;
	return mbt_mbctlv(e, argv, out, outlen, NULL, 0);
}

/*
 * Other programs.
 */

int
mbt_run(const char *const argv[], char *out, size_t outlen, char *err,
    size_t errlen, long timeout_ms)
{
	struct pollfd	 p[2];
	char		*bufs[2] = { out, err };
	size_t		 lens[2] = { outlen, errlen }, got[2] = { 0, 0 };
	long long	 deadline = mbt_now_ms() + timeout_ms, left;
	pid_t		 pid;
	int		 po[2], pe[2], status, i, nopen = 2;

	for (i = 0; i < 2; i++)
		if (bufs[i] != NULL && lens[i] > 0)
			bufs[i][0] = '\0';
	if (pipe(po) == -1)
		return -1;
	if (pipe(pe) == -1) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) == -1) {
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		return -1;
	}
	if (pid == 0) {
		int	 null = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		if (null != -1)
			dup2(null, STDIN_FILENO);
		dup2(po[1], STDOUT_FILENO);
		dup2(pe[1], STDERR_FILENO);
		close_from(3);
		unsetenv("MBHTTPD_METABASE");
		unsetenv("MBHTTPD_CONF");
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	setpgid(pid, pid);
	close(po[1]);
	close(pe[1]);
	p[0].fd = po[0];
	p[1].fd = pe[0];
	while (nopen > 0 && (left = deadline - mbt_now_ms()) > 0) {
		p[0].events = p[1].events = POLLIN;
		p[0].revents = p[1].revents = 0;
		if (poll(p, 2, (int)left) <= 0)
			continue;
		for (i = 0; i < 2; i++) {
			if (p[i].fd == -1 || p[i].revents == 0)
				continue;
			if (!drain(p[i].fd, bufs[i], lens[i], &got[i])) {
				p[i].fd = -1;
				nopen--;
			}
		}
	}
	close(po[0]);
	close(pe[0]);
	left = deadline - mbt_now_ms();
	if (wait_bounded(pid, &status, left > 0 ? left : 0) == -1) {
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	kill(-pid, SIGKILL);	/* workers, should any be left */
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * Setup and teardown.
 */

int
mbt_setup(struct mbt_env *e)
{
	char	 tmpl[] = "/tmp/mbt.XXXXXX";

	memset(e, 0, sizeof(*e));
	/* These would override the files the tests name. */
	unsetenv("MBHTTPD_METABASE");
	unsetenv("MBHTTPD_CONF");
	if (mkdtemp(tmpl) == NULL) {
		fprintf(stderr, "mbt: mkdtemp: %s\n", strerror(errno));
		return -1;
	}
	/* The workers may run as another user: let them in. */
	chmod(tmpl, 0755);
	if (fmt(e->dir, sizeof(e->dir), "%s", tmpl) == -1 ||
	    fmt(e->metabase, sizeof(e->metabase), "%s/metabase", tmpl) == -1 ||
	    fmt(e->www, sizeof(e->www), "%s/www", tmpl) == -1 ||
	    fmt(e->logs, sizeof(e->logs), "%s/logs", tmpl) == -1 ||
	    fmt(e->conf, sizeof(e->conf), "%s/mbhttpd.conf", tmpl) == -1 ||
	    fmt(e->errlog, sizeof(e->errlog), "%s/error.log", tmpl) == -1)
		goto fail;
	if (mkdir(e->www, 0755) == -1 || mkdir(e->logs, 0755) == -1) {
		fprintf(stderr, "mbt: mkdir: %s\n", strerror(errno));
		goto fail;
	}
	if (mbt_mbctl(e, NULL, 0, "init", NULL) != 0 ||
	    mbt_mbctl(e, NULL, 0, "set", "W3SVC/LogFileDirectory", e->logs,
	    NULL) != 0) {
		fprintf(stderr, "mbt: mbctl init failed in %s\n", e->dir);
		goto fail;
	}
	if (free_ports(&e->port, &e->port2) == -1) {
		fprintf(stderr, "mbt: no free port: %s\n", strerror(errno));
		goto fail;
	}
	return 0;

 fail:
	if (e->dir[0] != '\0')
		mbt_rmtree(e->dir);
	else
		rmdir(tmpl);
	e->dir[0] = '\0';
	return -1;
}

/*
 * The sanitizers report into the server's output, which goes with the
 * directory: show it first.
 */
static void
show_sanitizer_reports(const struct mbt_env *e)
{
	static const char *const marks[] = { "ERROR: AddressSanitizer",
	    "ERROR: LeakSanitizer", "runtime error:" };
	char	 path[PATH_MAX], buf[65536];
	ssize_t	 n;
	size_t	 i;
	int	 fd;

	if (fmt(path, sizeof(path), "%s/stderr.log", e->dir) == -1 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (strstr(buf, marks[i]) != NULL) {
			show_file("sanitizer report from mbhttpd", path);
			return;
		}
}

void
mbt_teardown(struct mbt_env *e)
{
	if (e->server > 0)
		mbt_stop(e);
	if (e->dir[0] != '\0')
		show_sanitizer_reports(e);
	/* Only ever what mbt_setup() made. */
	if (strncmp(e->dir, "/tmp/mbt.", 9) == 0)
		mbt_rmtree(e->dir);
	e->dir[0] = '\0';
}

int
mbt_site(struct mbt_env *e, unsigned id, const char *name,
    const char *binding)
{
	char	 path[PATH_MAX], file[PATH_MAX], content[512], ids[16];

	if (fmt(path, sizeof(path), "%s/%s", e->www, name) == -1 ||
	    fmt(file, sizeof(file), "%s/index.html", path) == -1 ||
	    fmt(content, sizeof(content), "site %s\n", name) == -1 ||
	    fmt(ids, sizeof(ids), "%u", id) == -1)
		return -1;
	if (mbt_write_file(file, content) == -1)
		return -1;
	if (mbt_mbctl(e, NULL, 0, "site", "create", "--id", ids, "--name",
	    name, "--binding", binding, "--path", path, NULL) != 0)
		return -1;
	return 0;
}

/*
 * The server.
 */

static int
write_conf(struct mbt_env *e)
{
	char	 buf[4 * PATH_MAX + 256], who[128] = "";
	int	 n;

	/* As root the workers would become www-data: root's, unless told. */
	if (geteuid() == 0)
		snprintf(who, sizeof(who), "user = \"%s\";\ngroup = \"%s\";\n",
		    e->user[0] != '\0' ? e->user : "root",
		    e->group[0] != '\0' ? e->group : "root");
	n = snprintf(buf, sizeof(buf),
	    "# written by the tests (mbt.c)\n"
	    "metabase = \"%s\";\n"
	    "pid_file = \"%s/mbhttpd.pid\";\n"
	    "error_log = \"%s\";\n"
	    "%s",
	    e->metabase, e->dir, e->errlog, who);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return mbt_write_file(e->conf, buf);
}

static int
port_open(unsigned port)
{
	struct sockaddr_in	 sin;
	int			 s, r;

	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	r = connect(s, (struct sockaddr *)&sin, sizeof(sin));
	close(s);
	return r == 0;
}

int
mbt_start(struct mbt_env *e, ...)
{
	const char	*av[MBT_MAXARGS + 8];
	const char	*a;
	char		 bin[PATH_MAX], slog[PATH_MAX];
	long long	 deadline;
	va_list		 ap;
	size_t		 n = 0;
	pid_t		 pid;
	int		 status;

	if (e->server > 0) {
		fprintf(stderr, "mbt: the server already runs\n");
		return -1;
	}
	if (write_conf(e) == -1 ||
	    fmt(bin, sizeof(bin), "%s/mbhttpd", mbt_build()) == -1 ||
	    fmt(slog, sizeof(slog), "%s/stderr.log", e->dir) == -1)
		return -1;
	av[n++] = bin;
	av[n++] = "-F";
	av[n++] = "-f";
	av[n++] = e->conf;
	va_start(ap, e);
	while ((a = va_arg(ap, const char *)) != NULL) {
		if (n == MBT_MAXARGS + 4) {
			va_end(ap);
			return -1;
		}
		av[n++] = a;
	}
	va_end(ap);
	av[n] = NULL;

	fflush(NULL);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		int	 fd;

		/* Its own group, so that teardown can reach every worker. */
		setpgid(0, 0);
		/*
		 * Linux's prctl(2): should the test process die without its
		 * .fini, the server goes too.
		 */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if ((fd = open("/dev/null", O_RDONLY)) != -1)
			dup2(fd, STDIN_FILENO);
		fd = open(slog, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd != -1) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		close_from(3);
		unsetenv("MBHTTPD_METABASE");
		unsetenv("MBHTTPD_CONF");
		execv(bin, (char *const *)av);
		fprintf(stderr, "cannot run '%s': %s\n", bin, strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	e->server = pid;

	deadline = mbt_now_ms() + MBT_START_TIMEOUT_MS;
	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			e->server = 0;
			fprintf(stderr, "mbt: mbhttpd exited early (%s %d)\n",
			    WIFEXITED(status) ? "status" : "signal",
			    WIFEXITED(status) ? WEXITSTATUS(status) :
			    WTERMSIG(status));
			show_file("its output", slog);
			/* Workers it may have left behind. */
			kill(-pid, SIGKILL);
			return -1;
		}
		if (port_open(e->port))
			return 0;
		if (mbt_now_ms() >= deadline)
			break;
		mbt_sleep_ms(25);
	}
	fprintf(stderr, "mbt: mbhttpd does not listen on port %u\n", e->port);
	show_file("its output", slog);
	mbt_stop(e);
	return -1;
}

int
mbt_stop(struct mbt_env *e)
{
	pid_t	 pid = e->server;
	int	 status, rc = -1;

	if (pid <= 0)
		return -1;
	if (kill(pid, SIGTERM) == 0 &&
	    wait_bounded(pid, &status, MBT_STOP_TIMEOUT_MS) == 0)
		rc = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
	else {
		fprintf(stderr, "mbt: mbhttpd %ld ignored SIGTERM: killed\n",
		    (long)pid);
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	/* Anything of its group still about (none should be). */
	kill(-pid, SIGKILL);
	e->server = 0;
	return rc;
}

/* Parent pid and state of process pid, from /proc/<pid>/stat. */
static int
proc_stat(pid_t pid, pid_t *ppid, char *state)
{
	char	 path[64], buf[1024], *p;
	ssize_t	 n;
	long	 pp;
	int	 fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The command name may hold anything: skip to its last ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	if (sscanf(p + 1, " %c %ld", state, &pp) != 2)
		return -1;
	*ppid = (pid_t)pp;
	return 0;
}

size_t
mbt_workers(struct mbt_env *e, pid_t *pids, size_t max)
{
	struct dirent	*d;
	DIR		*dir;
	pid_t		 pid, ppid;
	size_t		 n = 0;
	char		 state, *end;
	long		 l;

	if (e->server <= 0 || (dir = opendir("/proc")) == NULL)
		return 0;
	while (n < max && (d = readdir(dir)) != NULL) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		l = strtol(d->d_name, &end, 10);
		if (*end != '\0')
			continue;
		pid = (pid_t)l;
		/* A zombie is gone already, just not yet reaped. */
		if (proc_stat(pid, &ppid, &state) == 0 &&
		    ppid == e->server && state != 'Z')
			pids[n++] = pid;
	}
	closedir(dir);
	return n;
}

/*
 * Sockets.
 */

int
mbt_connect_ip(const char *ip, unsigned port)
{
	struct sockaddr_in	 sin;
	struct timeval		 tv;
	int			 s, r, saved;

	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	tv.tv_sec = MBT_IO_TIMEOUT_MS / 1000;
	tv.tv_usec = 0;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1) {
		close(s);
		errno = EINVAL;
		return -1;
	}
	do
		r = connect(s, (struct sockaddr *)&sin, sizeof(sin));
	while (r == -1 && errno == EINTR);
	if (r == -1) {
		saved = errno;
		close(s);
		errno = saved;
		return -1;
	}
	return s;
}

int
mbt_connect(unsigned port)
{
	return mbt_connect_ip("127.0.0.1", port);
}

int
mbt_send(int fd, const char *s)
{
	size_t	 len = strlen(s);
	ssize_t	 n;

	while (len > 0) {
		n = send(fd, s, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Responses.  Bytes read past one response wait in kept[] for the next
 * call on the same descriptor.
 */

struct kept {
	int	 fd;		/* -1: free */
	char	*buf;
	size_t	 len;
};

static struct kept	 kept[MBT_NKEPT];
static int		 kept_init;

static struct kept *
kept_find(int fd, int create)
{
	size_t	 i;

	if (!kept_init) {
		for (i = 0; i < MBT_NKEPT; i++)
			kept[i].fd = -1;
		kept_init = 1;
	}
	for (i = 0; i < MBT_NKEPT; i++)
		if (kept[i].fd == fd)
			return &kept[i];
	if (!create)
		return NULL;
	for (i = 0; i < MBT_NKEPT; i++)
		if (kept[i].fd == -1) {
			kept[i].fd = fd;
			kept[i].buf = NULL;
			kept[i].len = 0;
			return &kept[i];
		}
	return NULL;
}

static void
kept_drop(int fd)
{
	struct kept	*k = kept_find(fd, 0);

	if (k == NULL)
		return;
	free(k->buf);
	k->buf = NULL;
	k->len = 0;
	k->fd = -1;
}

/* A growing buffer of what was read from fd. */
struct rbuf {
	char	*buf;
	size_t	 len, cap;
	int	 eof;
};

static int
rbuf_reserve(struct rbuf *b, size_t more)
{
	size_t	 cap;
	char	*p;

	if (b->len + more + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 16384;
	while (cap < b->len + more + 1)
		cap *= 2;
	if ((p = realloc(b->buf, cap)) == NULL)
		return -1;
	b->buf = p;
	b->cap = cap;
	return 0;
}

/*
 * Read more from fd into b, waiting at most MBT_IO_TIMEOUT_MS and not past
 * deadline.  1: bytes came; 0: end of file (or a reset); -1: timeout or
 * error.
 */
static int
rbuf_fill(int fd, struct rbuf *b, long long deadline)
{
	struct pollfd	 p;
	long long	 left;
	ssize_t		 n;
	int		 r;

	if (b->eof)
		return 0;
	if (rbuf_reserve(b, 16384) == -1)
		return -1;
	for (;;) {
		left = deadline - mbt_now_ms();
		if (left <= 0)
			return -1;
		if (left > MBT_IO_TIMEOUT_MS)
			left = MBT_IO_TIMEOUT_MS;
		p.fd = fd;
		p.events = POLLIN;
		p.revents = 0;
		r = poll(&p, 1, (int)left);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		n = recv(fd, b->buf + b->len, b->cap - b->len - 1, 0);
		if (n == -1 && (errno == EINTR || errno == EAGAIN ||
		    errno == EWOULDBLOCK))
			continue;
		if (n == 0 || (n == -1 && errno == ECONNRESET)) {
			b->eof = 1;
			return 0;
		}
		if (n < 0)
			return -1;
		b->len += (size_t)n;
		b->buf[b->len] = '\0';
		return 1;
	}
}

/* The end of the head in buf[0..len): the offset past its blank line. */
static size_t
head_end(const char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Value of header name in a raw head, into out; 0 or -1 if absent. */
static int
head_field(const char *head, size_t headlen, const char *name, char *out,
    size_t outlen)
{
	const char	*p, *end = head + headlen, *eol, *v;
	size_t		 nl = strlen(name), vl;

	/* Skip the status line. */
	if ((p = memchr(head, '\n', headlen)) == NULL)
		return -1;
	for (p++; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if ((size_t)(eol - p) > nl && p[nl] == ':' &&
		    strncasecmp(p, name, nl) == 0) {
			v = p + nl + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			vl = (size_t)(eol - v);
			while (vl > 0 && (v[vl - 1] == '\r' ||
			    v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			if (vl >= outlen)
				vl = outlen - 1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return 0;
		}
		if (eol == end)
			break;
	}
	return -1;
}

/*
 * Decode a chunked body starting at b->buf[*off], reading more as needed;
 * the decoded bytes go to *body.  Returns 0 with *off past the body and
 * its trailers, or -1.
 */
static int
read_chunked(int fd, struct rbuf *b, size_t *off, struct rbuf *body,
    long long deadline)
{
	unsigned long long	 size;
	char			*eol, *endp;
	size_t			 need;

	for (;;) {
		while ((eol = memchr(b->buf + *off, '\n', b->len - *off)) ==
		    NULL)
			if (rbuf_fill(fd, b, deadline) != 1)
				return -1;
		errno = 0;
		size = strtoull(b->buf + *off, &endp, 16);
		if (errno != 0 || endp == b->buf + *off)
			return -1;
		*off = (size_t)(eol - b->buf) + 1;
		if (size == 0)
			break;
		need = (size_t)size + 2;
		while (b->len - *off < need)
			if (rbuf_fill(fd, b, deadline) != 1)
				return -1;
		if (rbuf_reserve(body, (size_t)size) == -1)
			return -1;
		memcpy(body->buf + body->len, b->buf + *off, (size_t)size);
		body->len += (size_t)size;
		*off += need;
	}
	/* Trailers, up to the empty line. */
	for (;;) {
		while ((eol = memchr(b->buf + *off, '\n', b->len - *off)) ==
		    NULL)
			if (rbuf_fill(fd, b, deadline) != 1)
				return -1;
		need = (size_t)(eol - (b->buf + *off));
		*off = (size_t)(eol - b->buf) + 1;
		if (need == 0 || (need == 1 && eol[-1] == '\r'))
			return 0;
	}
}

int
mbt_read_response(int fd, struct mbt_resp *r, int head_only)
{
	struct rbuf	 b = { NULL, 0, 0, 0 }, body = { NULL, 0, 0, 0 };
	struct kept	*k;
	long long	 deadline = mbt_now_ms() + MBT_RESP_TIMEOUT_MS;
	char		 val[64], *endp;
	size_t		 hl, off;
	unsigned long long cl;
	int		 rc = -1, major, nobody;

	memset(r, 0, sizeof(*r));
	/* Bytes left over from the previous response come first. */
	if ((k = kept_find(fd, 0)) != NULL) {
		b.buf = k->buf;
		b.len = b.cap = k->len;
		k->buf = NULL;
		k->len = 0;
		kept_drop(fd);
		if (rbuf_reserve(&b, 0) == -1)
			goto out;
		b.buf[b.len] = '\0';
	}
	while ((hl = head_end(b.buf, b.len)) == 0) {
		if (b.len >= sizeof(r->head) - 1)
			goto out;
		if (rbuf_fill(fd, &b, deadline) != 1)
			goto out;
	}
	if (hl >= sizeof(r->head))
		goto out;
	memcpy(r->head, b.buf, hl);
	r->head[hl] = '\0';
	r->headlen = hl;
	if (sscanf(r->head, "HTTP/%d.%d %3d", &major, &r->minor,
	    &r->status) != 3 || major != 1) {
		r->status = 0;
		goto out;
	}
	off = hl;
	nobody = head_only || (r->status >= 100 && r->status < 200) ||
	    r->status == 204 || r->status == 304;
	if (nobody)
		;
	else if (head_field(r->head, hl, "Transfer-Encoding", val,
	    sizeof(val)) == 0 && strcasecmp(val, "identity") != 0) {
		if (read_chunked(fd, &b, &off, &body, deadline) == -1)
			goto out;
	} else if (head_field(r->head, hl, "Content-Length", val,
	    sizeof(val)) == 0) {
		errno = 0;
		cl = strtoull(val, &endp, 10);
		if (errno != 0 || endp == val || *endp != '\0' ||
		    cl > (unsigned long long)1 << 40)
			goto out;
		while (b.len - off < cl)
			if (rbuf_fill(fd, &b, deadline) != 1)
				goto out;
		if (rbuf_reserve(&body, (size_t)cl) == -1)
			goto out;
		memcpy(body.buf, b.buf + off, (size_t)cl);
		body.len = (size_t)cl;
		off += (size_t)cl;
	} else {
		/* Delimited by the end of the connection. */
		for (;;) {
			int	 f = rbuf_fill(fd, &b, deadline);

			if (f == 0)
				break;
			if (f == -1)
				goto out;
		}
		if (rbuf_reserve(&body, b.len - off) == -1)
			goto out;
		memcpy(body.buf, b.buf + off, b.len - off);
		body.len = b.len - off;
		off = b.len;
	}
	/* Keep what follows for the next response on fd. */
	if (off < b.len) {
		if ((k = kept_find(fd, 1)) == NULL)
			goto out;
		if ((k->buf = malloc(b.len - off)) == NULL) {
			kept_drop(fd);
			goto out;
		}
		memcpy(k->buf, b.buf + off, b.len - off);
		k->len = b.len - off;
	}
	rc = 0;

 out:
	free(b.buf);
	if (rbuf_reserve(&body, 0) == 0) {
		body.buf[body.len] = '\0';
		r->body = body.buf;
		r->bodylen = body.len;
	} else {
		free(body.buf);
		r->body = NULL;
		r->bodylen = 0;
	}
	if (rc == -1 && r->body != NULL) {
		r->body[0] = '\0';
		r->bodylen = 0;
	}
	return rc;
}

void
mbt_resp_free(struct mbt_resp *r)
{
	free(r->body);
	r->body = NULL;
	r->bodylen = 0;
}

const char *
mbt_header(const struct mbt_resp *r, const char *name)
{
	static char	 val[8192];

	if (head_field(r->head, r->headlen, name, val, sizeof(val)) == -1)
		return NULL;
	return val;
}

int
mbt_request(unsigned port, const char *raw, struct mbt_resp *r)
{
	int	 fd, rc;

	memset(r, 0, sizeof(*r));
	if ((fd = mbt_connect(port)) == -1)
		return -1;
	if (mbt_send(fd, raw) == -1) {
		/*
		 * The server may answer and close before taking all of a
		 * request it refuses (414, 431): read what it said.
		 */
		rc = mbt_read_response(fd, r, 0);
		mbt_close(fd);
		return rc;
	}
	rc = mbt_read_response(fd, r, strncmp(raw, "HEAD ", 5) == 0);
	mbt_close(fd);
	return rc;
}

int
mbt_closed(int fd, int timeout_ms)
{
	struct kept	*k = kept_find(fd, 0);
	struct pollfd	 p;
	long long	 deadline = mbt_now_ms() + timeout_ms;
	long long	 left;
	char		 c;
	ssize_t		 n;
	int		 r;

	if (k != NULL && k->len > 0)
		return -1;
	for (;;) {
		left = deadline - mbt_now_ms();
		if (left < 0)
			left = 0;
		p.fd = fd;
		p.events = POLLIN;
		p.revents = 0;
		r = poll(&p, 1, (int)left);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return 1;
		if (r == 0)
			return 0;
		n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n == 0 || (n == -1 && (errno == ECONNRESET ||
		    errno == EPIPE || errno == ENOTCONN)))
			return 1;
		if (n > 0)
			return -1;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR)) {
			if (left == 0)
				return 0;
			continue;
		}
		return 1;
	}
}

void
mbt_close(int fd)
{
	kept_drop(fd);
	if (fd >= 0)
		close(fd);
}
