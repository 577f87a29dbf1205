/*
 * test_mbctl.c - mbctl(8) end to end: the real binary ($MBT_BUILD/mbctl,
 * default build/mbctl) on a real metabase in a fresh mkdtemp(3)
 * directory per test.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "mbt.h"

/* No single mbctl run may take longer; the slowest takes well under 1s. */
#define RUN_TIMEOUT_MS	60000
#define MAXARGS		64

static char	 tdir[64];		/* the test's own directory */
static char	 mbdir[PATH_MAX];	/* its metabase */
static char	 mbctl_bin[PATH_MAX];
static char	*g_out, *g_err;		/* output of the last run() */
static unsigned	 nspawn;

/* Helpers. */

static void
check_len(int n, size_t len)
{
	cr_assert(n >= 0 && (size_t)n < len, "string too long for %zu", len);
}

/* snprintf(3) that must not truncate. */
#define xsnprintf(buf, len, ...)					\
	check_len(snprintf((buf), (len), __VA_ARGS__), (len))

static char *
slurp(const char *file)
{
	FILE	*fp;
	char	*buf;
	long	 n;

	if ((fp = fopen(file, "r")) == NULL)
		return strdup("");
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	n = (long)fread(buf, 1, (size_t)n, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void
spew(const char *file, const char *text)
{
	FILE	*fp;

	cr_assert_not_null(fp = fopen(file, "w"), "cannot write %s", file);
	fputs(text, fp);
	cr_assert_eq(fclose(fp), 0);
}

static void
tpath(char *buf, size_t len, const char *name)
{
	xsnprintf(buf, len, "%s/%s", tdir, name);
}

static long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void
sleep_ms(long ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* What a child does just before exec: drop privileges, set limits. */
typedef void	(*prep_fn)(void *);

/*
 * Start argv with stdout and stderr to files (NULL: /dev/null), after
 * prep(arg) in the child if prep is not NULL.
 */
static pid_t
spawn_with(char *const argv[], const char *outf, const char *errf,
    prep_fn prep, void *arg)
{
	pid_t	pid;
	int	fd;

	pid = fork();
	cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
	if (pid != 0)
		return pid;
	if ((fd = open("/dev/null", O_RDONLY)) != -1)
		dup2(fd, 0);
	fd = open(outf ? outf : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC,
	    0644);
	dup2(fd, 1);
	fd = open(errf ? errf : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC,
	    0644);
	dup2(fd, 2);
	if (prep != NULL)
		prep(arg);
	execv(argv[0], argv);
	_exit(127);
}

static pid_t
spawn(char *const argv[], const char *outf, const char *errf)
{
	return spawn_with(argv, outf, errf, NULL, NULL);
}

/*
 * Wait at most RUN_TIMEOUT_MS; the exit status, 128 + the signal for a
 * process killed by one, or -1 (after killing it) on a timeout.
 */
static int
wait_bounded_ms(pid_t pid, long ms)
{
	long	deadline = now_ms() + ms;
	int	status;
	pid_t	r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r == -1 && errno != EINTR)
			return -1;
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		sleep_ms(2);
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int
wait_bounded(pid_t pid)
{
	return wait_bounded_ms(pid, RUN_TIMEOUT_MS);
}

/* Run argv to the end, after prep(arg); its output in g_out and g_err. */
static int
run_with(char *const argv[], prep_fn prep, void *arg)
{
	char	outf[PATH_MAX], errf[PATH_MAX];
	int	st;

	xsnprintf(outf, sizeof(outf), "%s/out.%u", tdir, nspawn);
	xsnprintf(errf, sizeof(errf), "%s/err.%u", tdir, nspawn++);
	st = wait_bounded(spawn_with(argv, outf, errf, prep, arg));
	cr_assert_neq(st, -1, "%s %s timed out", argv[0], argv[1]);
	free(g_out);
	free(g_err);
	g_out = slurp(outf);
	g_err = slurp(errf);
	unlink(outf);
	unlink(errf);
	return st;
}

static int
run(char *const argv[])
{
	return run_with(argv, NULL, NULL);
}

/* Build "mbctl [-m dir] args..." from a NULL-terminated list. */
static void
build_argv(char *argv[MAXARGS], const char *dir, const char *first,
    va_list ap)
{
	const char	*a;
	int		 n = 0;

	argv[n++] = mbctl_bin;
	if (dir != NULL) {
		argv[n++] = (char *)"-m";
		argv[n++] = (char *)dir;
	}
	for (a = first; a != NULL; a = va_arg(ap, const char *)) {
		cr_assert_lt(n, MAXARGS - 1);
		argv[n++] = (char *)a;
	}
	argv[n] = NULL;
}

/* mbctl -m mbdir args...; NULL ends the list. */
static int
mbctl(const char *first, ...)
{
	char	*argv[MAXARGS];
	va_list	 ap;

	va_start(ap, first);
	build_argv(argv, mbdir, first, ap);
	va_end(ap);
	return run(argv);
}

/* mbctl with -m dir (NULL: no -m) args... */
static int
mbctl_in(const char *dir, const char *first, ...)
{
	char	*argv[MAXARGS];
	va_list	 ap;

	va_start(ap, first);
	build_argv(argv, dir, first, ap);
	va_end(ap);
	return run(argv);
}

/* mbctl -m mbdir args... must succeed. */
static void
ok(const char *first, ...)
{
	char	*argv[MAXARGS];
	va_list	 ap;
	int	 st;

	va_start(ap, first);
	build_argv(argv, mbdir, first, ap);
	va_end(ap);
	st = run(argv);
	cr_assert_eq(st, 0, "mbctl %s %s: exit %d: %s", first,
	    argv[4] ? argv[4] : "", st, g_err);
	cr_assert_str_empty(g_err, "mbctl %s: stderr: %s", first, g_err);
}

/* The text of "mbctl export" of the whole metabase in dir. */
static char *
export_of(const char *dir)
{
	int	st;

	st = mbctl_in(dir, "export", NULL);
	cr_assert_eq(st, 0, "export: exit %d: %s", st, g_err);
	return strdup(g_out);
}

/* The last run failed with one line "mbctl: ...", mentioning needle. */
static void
assert_one_error(int st, const char *needle)
{
	const char	*nl;

	cr_assert(st == 1 || st == 2, "exit %d, stderr '%s'", st, g_err);
	cr_assert(strncmp(g_err, "mbctl: ", 7) == 0, "stderr: '%s'", g_err);
	nl = strchr(g_err, '\n');
	cr_assert(nl != NULL && nl[1] == '\0', "not one line: '%s'", g_err);
	if (needle != NULL)
		cr_assert(strstr(g_err, needle) != NULL,
		    "'%s' not in stderr '%s'", needle, g_err);
}

/*
 * mbctl -m mbdir args... must fail with one line naming needle (exit
 * status 1) and leave the metabase exactly as it was.
 */
static void
bad(const char *needle, const char *first, ...)
{
	char	*argv[MAXARGS], *before, *after, *err;
	va_list	 ap;
	int	 st;

	before = export_of(mbdir);
	va_start(ap, first);
	build_argv(argv, mbdir, first, ap);
	va_end(ap);
	st = run(argv);
	cr_assert_eq(st, 1, "mbctl %s: exit %d, stderr '%s'", first, st,
	    g_err);
	assert_one_error(st, needle);
	err = g_err;
	g_err = NULL;
	after = export_of(mbdir);
	cr_assert_str_eq(before, after, "mbctl %s changed the metabase",
	    first);
	free(before);
	free(after);
	/* Leave the failure's message for the caller to look at. */
	free(g_err);
	g_err = err;
}

static int
count_lines(const char *s)
{
	int	n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

static void
setup(void)
{
	const char	*b = getenv("MBT_BUILD");
	char		 tmpl[] = "/tmp/test_mbctl.XXXXXX";

	xsnprintf(mbctl_bin, sizeof(mbctl_bin), "%s/mbctl",
	    b != NULL && b[0] != '\0' ? b : "build");
	cr_assert_eq(access(mbctl_bin, X_OK), 0, "no %s: build it first",
	    mbctl_bin);
	cr_assert_not_null(mkdtemp(tmpl), "mkdtemp: %s", strerror(errno));
	xsnprintf(tdir, sizeof(tdir), "%s", tmpl);
	tpath(mbdir, sizeof(mbdir), "mb");
	unsetenv("MBHTTPD_METABASE");
	unsetenv("MBHTTPD_CONF");
	ok("init", NULL);
}

static void
teardown(void)
{
	free(g_out);
	free(g_err);
	g_out = g_err = NULL;
	if (tdir[0] != '\0')
		mbt_rmtree(tdir);
}

TestSuite(mbctl, .init = setup, .fini = teardown, .timeout = 100);

/* init, tree, and the directory the metabase comes from. */

Test(mbctl, init_creates_tree)
{
	ok("tree", NULL);
	cr_assert_str_eq(g_out, "/LM\n  MimeMap\n  W3SVC\n");
	/* A second init changes nothing. */
	ok("init", NULL);
	ok("tree", NULL);
	cr_assert_str_eq(g_out, "/LM\n  MimeMap\n  W3SVC\n");
}

Test(mbctl, usage_errors)
{
	cr_assert_eq(mbctl_in(NULL, NULL), 2);
	cr_assert(strstr(g_err, "usage: mbctl") != NULL);
	cr_assert_eq(mbctl("frobnicate", NULL), 2);
	cr_assert(strstr(g_err, "mbctl: unknown command 'frobnicate'") !=
	    NULL);
	cr_assert_eq(mbctl("get", NULL), 2);
	cr_assert_eq(mbctl("set", NULL), 2);
	cr_assert_eq(mbctl("enum", NULL), 2);
	cr_assert_eq(mbctl("site", "create", "--force", "--name", "x", NULL), 2);
	cr_assert_eq(mbctl("site", "create", "--bogus", "x", NULL), 2);
	cr_assert_eq(mbctl("import", NULL), 2);
	cr_assert_eq(mbctl_in(NULL, "schema", "extra", NULL), 2);
}

/* A wrong argument to get: what was wrong, first, then get's usage. */
Test(mbctl, get_says_what_is_wrong_before_the_usage)
{
	static const struct {
		const char	*a1, *a2, *says;
	} cases[] = {
		{ NULL, NULL, "mbctl: get: which key/property?" },
		{ "W3SVC/ConnectionTimeout", "W3SVC/ServerComment",
		    "mbctl: get: one key/property at a time: "
		    "'W3SVC/ServerComment' is one too many" },
		{ "W3SVC/ConnectionTimeout", "--verbose",
		    "mbctl: get: unknown option '--verbose'" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(mbctl("get", cases[i].a1, cases[i].a2, NULL), 2);
		cr_assert_eq(strncmp(g_err, cases[i].says,
		    strlen(cases[i].says)), 0, "stderr: %s", g_err);
		cr_assert_not_null(strstr(g_err,
		    "\nusage: mbctl [-m dir] [-c message] get key/property"), "%s", g_err);
		/* get's usage alone, not every command's. */
		cr_assert_null(strstr(g_err, "site create"), "%s", g_err);
	}
}

/* A site's folder must exist and be a folder, unless --force. */
Test(mbctl, site_create_refuses_a_missing_folder)
{
	char	 file[PATH_MAX], missing[PATH_MAX], folder[PATH_MAX];
	FILE	*fp;

	tpath(file, sizeof(file), "a-file");
	tpath(missing, sizeof(missing), "missing");
	tpath(folder, sizeof(folder), "www");
	cr_assert_not_null(fp = fopen(file, "w"));
	fclose(fp);
	cr_assert_eq(mkdir(folder, 0755), 0);

	bad("No such file or directory (give --force", "site", "create",
	    "--name", "one", "--binding", ":8080:one", "--path", missing,
	    NULL);
	bad("is not a folder (give --force", "site", "create", "--name",
	    "one", "--binding", ":8080:one", "--path", file, NULL);
	bad("is not absolute", "site", "create", "--name", "one",
	    "--binding", ":8080:one", "--path", "www", NULL);
	ok("site", "create", "--name", "one", "--binding", ":8080:one",
	    "--path", folder, NULL);
	cr_assert_str_eq(g_out, "1\n");
	ok("site", "create", "--name", "two", "--binding", ":8080:two",
	    "--path", missing, "--force", NULL);
	cr_assert_str_eq(g_out, "2\n");
	ok("get", "W3SVC/2/ROOT/Path", NULL);
	cr_assert_eq(strncmp(g_out, missing, strlen(missing)), 0);
}

Test(mbctl, metabase_dir_sources)
{
	char	conf[PATH_MAX], other[PATH_MAX], text[PATH_MAX + 64];

	tpath(other, sizeof(other), "other");
	cr_assert_eq(mbctl_in(other, "init", NULL), 0, "%s", g_err);
	cr_assert_eq(mbctl_in(other, "set", "W3SVC/ConnectionTimeout", "77",
	    NULL), 0, "%s", g_err);

	/* $MBHTTPD_METABASE, and -m above it. */
	setenv("MBHTTPD_METABASE", other, 1);
	cr_assert_eq(mbctl_in(NULL, "get", "W3SVC/ConnectionTimeout", NULL),
	    0, "%s", g_err);
	cr_assert_str_eq(g_out, "77\n");
	cr_assert_eq(mbctl_in(mbdir, "get", "W3SVC/ConnectionTimeout", NULL),
	    0, "%s", g_err);
	cr_assert_str_eq(g_out, "120\n");
	unsetenv("MBHTTPD_METABASE");

	/* The bootstrap file's "metabase". */
	tpath(conf, sizeof(conf), "mbhttpd.conf");
	xsnprintf(text, sizeof(text), "# bootstrap\nmetabase = \"%s\";\n",
	    other);
	spew(conf, text);
	setenv("MBHTTPD_CONF", conf, 1);
	cr_assert_eq(mbctl_in(NULL, "get", "W3SVC/ConnectionTimeout", NULL),
	    0, "%s", g_err);
	cr_assert_str_eq(g_out, "77\n");

	/* A broken bootstrap file is named with its line. */
	spew(conf, "# bootstrap\n\nmetabase = ;\n");
	cr_assert_eq(mbctl_in(NULL, "get", "W3SVC/ConnectionTimeout", NULL),
	    1);
	assert_one_error(1, "mbhttpd.conf:3:");
}

/*
 * mbctl reads the bootstrap file through conf/, as mbhttpd does: what the
 * server would refuse, mbctl refuses too, in one line; what only the
 * server needs (the user, the pid file) is not looked at.
 */
Test(mbctl, bootstrap_file_read_as_mbhttpd_reads_it)
{
	char	conf[PATH_MAX], other[PATH_MAX], nope[PATH_MAX];
	char	text[PATH_MAX + 128];

	tpath(other, sizeof(other), "other");
	cr_assert_eq(mbctl_in(other, "init", NULL), 0, "%s", g_err);
	cr_assert_eq(mbctl_in(other, "set", "W3SVC/ConnectionTimeout", "77",
	    NULL), 0, "%s", g_err);
	tpath(conf, sizeof(conf), "mbhttpd.conf");
	setenv("MBHTTPD_CONF", conf, 1);

	/* An unknown user is the server's concern, not mbctl's. */
	xsnprintf(text, sizeof(text), "metabase = \"%s\";\n"
	    "user = \"no-such-user-mbctl\";\n"
	    "pid_file = \"/nonexistent/pid\";\n", other);
	spew(conf, text);
	cr_assert_eq(mbctl_in(NULL, "get", "W3SVC/ConnectionTimeout", NULL),
	    0, "%s", g_err);
	cr_assert_str_eq(g_out, "77\n");

	/* A file without "metabase": the default, unless this host has one. */
	if (access("/var/lib/mbhttpd/metabase", F_OK) == -1) {
		spew(conf, "# nothing\n");
		cr_assert_eq(mbctl_in(NULL, "get", "W3SVC/ConnectionTimeout",
		    NULL), 1);
		assert_one_error(1, "no metabase in '/var/lib/mbhttpd/metabase'");
	}

	/* The server's checks, with the file and line. */
	spew(conf, "# bootstrap\nmetabase = \"relative/mb\";\n");
	cr_assert_eq(mbctl_in(NULL, "get", "W3SVC/ConnectionTimeout", NULL),
	    1);
	assert_one_error(1, "mbhttpd.conf:2: metabase must be an absolute path");
	spew(conf, "metabase = 3;\n");
	cr_assert_eq(mbctl_in(NULL, "tree", NULL), 1);
	assert_one_error(1, "mbhttpd.conf:1: metabase must be a string");
	xsnprintf(text, sizeof(text), "metabase = \"%s\";\nbogus = \"x\";\n",
	    other);
	spew(conf, text);
	cr_assert_eq(mbctl_in(NULL, "site", "list", NULL), 1);
	assert_one_error(1, "mbhttpd.conf:2: unknown setting 'bogus'");

	/* $MBHTTPD_CONF must exist; -m needs no file at all. */
	tpath(nope, sizeof(nope), "nope.conf");
	setenv("MBHTTPD_CONF", nope, 1);
	cr_assert_eq(mbctl_in(NULL, "tree", NULL), 1);
	assert_one_error(1, "cannot open '");
	cr_assert(strstr(g_err, "nope.conf") != NULL, "%s", g_err);
	cr_assert_eq(mbctl_in(other, "get", "W3SVC/ConnectionTimeout", NULL),
	    0, "%s", g_err);
	unsetenv("MBHTTPD_CONF");
}

Test(mbctl, missing_metabase_suggests_init)
{
	char	nope[PATH_MAX];

	tpath(nope, sizeof(nope), "nope");
	cr_assert_eq(mbctl_in(nope, "get", "W3SVC/AllowKeepAlives", NULL), 1);
	assert_one_error(1, "mbctl init");
	cr_assert_eq(mbctl_in(nope, "site", "list", NULL), 1);
	assert_one_error(1, "mbctl init");
	cr_assert_eq(access(nope, F_OK), -1, "a failed command created %s",
	    nope);
}

/* Values. */

Test(mbctl, set_get_each_type)
{
	ok("site", "create", "--force", "--name", "one", "--binding", ":8080:",
	    "--path", "/srv/one", NULL);

	ok("set", "W3SVC/1/AllowKeepAlives", "FALSE", NULL);
	ok("get", "W3SVC/1/AllowKeepAlives", NULL);
	cr_assert_str_eq(g_out, "FALSE\n");

	ok("set", "W3SVC/1/ConnectionTimeout", "300", NULL);
	ok("get", "/LM/W3SVC/1/ConnectionTimeout", NULL);
	cr_assert_str_eq(g_out, "300\n");
	ok("set", "W3SVC/1/ConnectionTimeout", "0x20", NULL);
	ok("get", "W3SVC/1/ConnectionTimeout", NULL);
	cr_assert_str_eq(g_out, "32\n");
	ok("set", "W3SVC/MaxConnections", "4000000000", NULL);
	ok("get", "W3SVC/MaxConnections", NULL);
	cr_assert_str_eq(g_out, "4000000000\n");

	ok("set", "W3SVC/1/ServerComment", "Site \"one\" \\ caf\xc3\xa9",
	    NULL);
	ok("get", "W3SVC/1/ServerComment", NULL);
	cr_assert_str_eq(g_out, "Site \"one\" \\ caf\xc3\xa9\n");

	ok("set", "W3SVC/1/ROOT/HttpCustomHeaders", "X-A: 1", "X-B: two",
	    NULL);
	ok("get", "W3SVC/1/ROOT/HttpCustomHeaders", NULL);
	cr_assert_str_eq(g_out, "X-A: 1\nX-B: two\n");
	ok("set", "W3SVC/1/ROOT/HttpCustomHeaders", NULL);
	ok("get", "W3SVC/1/ROOT/HttpCustomHeaders", NULL);
	cr_assert_str_eq(g_out, "");

	ok("set", "W3SVC/1/ROOT/DirBrowseFlags",
	    "EnableDefaultDoc|EnableDirBrowsing", NULL);
	ok("get", "W3SVC/1/ROOT/DirBrowseFlags", NULL);
	cr_assert_str_eq(g_out, "3221225472\n");

	ok("set", "W3SVC/1/ServerState", "stopped", NULL);
	ok("get", "W3SVC/1/ServerState", NULL);
	cr_assert_str_eq(g_out, "4\n");
}

Test(mbctl, bool_forms)
{
	static const struct {
		const char	*in, *out;
	} t[] = {
		{ "TRUE", "TRUE\n" }, { "FALSE", "FALSE\n" },
		{ "1", "TRUE\n" }, { "0", "FALSE\n" },
		{ "true", "TRUE\n" }, { "false", "FALSE\n" },
		{ "tRuE", "TRUE\n" }, { "False", "FALSE\n" },
	};
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ok("set", "W3SVC/LegacyKeepAlives", t[i].in, NULL);
		ok("get", "W3SVC/LegacyKeepAlives", NULL);
		cr_assert_str_eq(g_out, t[i].out, "set %s", t[i].in);
	}
}

Test(mbctl, inheritance_and_explain)
{
	ok("site", "create", "--force", "--name", "one", "--binding", ":8080:",
	    "--path", "/srv/one", NULL);
	ok("set", "W3SVC/ConnectionTimeout", "300", NULL);

	ok("get", "W3SVC/1/ROOT/ConnectionTimeout", NULL);
	cr_assert_str_eq(g_out, "300\n");
	ok("get", "W3SVC/1/ConnectionTimeout", "--explain", NULL);
	cr_assert_str_eq(g_out, "300\ninherited from /LM/W3SVC\n");

	/* The site overrides the service; its ROOT inherits the site's. */
	ok("set", "/LM/W3SVC/1/ConnectionTimeout", "60", NULL);
	ok("get", "W3SVC/1/ConnectionTimeout", "--explain", NULL);
	cr_assert_str_eq(g_out, "60\nset at /LM/W3SVC/1\n");
	ok("get", "--explain", "W3SVC/1/ROOT/ConnectionTimeout", NULL);
	cr_assert_str_eq(g_out, "60\ninherited from /LM/W3SVC/1\n");
	ok("get", "W3SVC/ConnectionTimeout", NULL);
	cr_assert_str_eq(g_out, "300\n");

	ok("get", "W3SVC/1/ServerAutoStart", "--explain", NULL);
	cr_assert_str_eq(g_out, "TRUE\nschema default\n");

	ok("get", "W3SVC/1/ROOT/MimeMap", "--explain", NULL);
	cr_assert(strstr(g_out, ".html,text/html\n") != NULL, "%s", g_out);
	cr_assert(strstr(g_out, "\nfrom /LM/MimeMap\n") != NULL, "%s", g_out);

	ok("set", "W3SVC/1/ROOT/AccessFlags", "AccessRead|AccessScript",
	    NULL);
	ok("get", "W3SVC/1/ROOT/AccessFlags", "--explain", NULL);
	cr_assert_str_eq(g_out,
	    "513\nset at /LM/W3SVC/1/ROOT\nflags: AccessRead|AccessScript\n");
}

Test(mbctl, alias_allowkeepalive)
{
	ok("set", "W3SVC/AllowKeepAlive", "FALSE", NULL);
	ok("get", "W3SVC/AllowKeepAlives", NULL);
	cr_assert_str_eq(g_out, "FALSE\n");
	ok("get", "W3SVC/allowkeepalive", NULL);
	cr_assert_str_eq(g_out, "FALSE\n");
	ok("enum", "W3SVC", NULL);
	cr_assert(strstr(g_out, "AllowKeepAlives          (BOOL)    FALSE\n")
	    != NULL, "%s", g_out);
	ok("delete", "W3SVC/AllowKeepAlive", NULL);
	ok("get", "W3SVC/AllowKeepAlives", "--explain", NULL);
	cr_assert_str_eq(g_out, "TRUE\nschema default\n");
}

/* Keys. */

Test(mbctl, enum_and_tree)
{
	ok("site", "create", "--force", "--name", "one", "--binding",
	    "127.0.0.1:8080:localhost", "--binding", ":8081:", "--path",
	    "/srv/one", NULL);
	cr_assert_str_eq(g_out, "1\n");
	ok("create", "W3SVC/1/ROOT/img", NULL);
	ok("create", "/LM/W3SVC/1/ROOT/docs/old", NULL);

	ok("enum", "W3SVC/1", NULL);
	cr_assert_str_eq(g_out,
	    "ServerComment            (STRING)  \"one\"\n"
	    "ServerState              (DWORD)   2\n"
	    "ServerBindings           (MULTISZ) \"127.0.0.1:8080:localhost\"\n"
	    "                                   \":8081:\"\n"
	    "[/LM/W3SVC/1/ROOT]\n");
	ok("enum", "W3SVC/1/ROOT", NULL);
	cr_assert_str_eq(g_out,
	    "Path                     (STRING)  \"/srv/one\"\n"
	    "[/LM/W3SVC/1/ROOT/docs]\n"
	    "[/LM/W3SVC/1/ROOT/img]\n");

	ok("tree", NULL);
	cr_assert_str_eq(g_out,
	    "/LM\n"
	    "  MimeMap\n"
	    "  W3SVC\n"
	    "    1\n"
	    "      ROOT\n"
	    "        docs\n"
	    "          old\n"
	    "        img\n");
	ok("tree", "W3SVC/1/ROOT", NULL);
	cr_assert_str_eq(g_out, "/LM/W3SVC/1/ROOT\n  docs\n    old\n  img\n");
}

Test(mbctl, create_and_delete)
{
	ok("create", "W3SVC/5/ROOT/a/b", NULL);
	ok("tree", "W3SVC/5", NULL);
	cr_assert_str_eq(g_out, "/LM/W3SVC/5\n  ROOT\n    a\n      b\n");
	bad("/LM/W3SVC/5/ROOT/a", "create", "W3SVC/5/ROOT/a", NULL);

	/* A key named like a property: a trailing '/' makes it a key. */
	ok("create", "W3SVC/5/ROOT/Path", NULL);
	ok("set", "W3SVC/5/ROOT/Path", "/srv/five", NULL);
	ok("delete", "W3SVC/5/ROOT/Path/", NULL);
	ok("get", "W3SVC/5/ROOT/Path", NULL);
	cr_assert_str_eq(g_out, "/srv/five\n");
	ok("delete", "W3SVC/5/ROOT/Path", NULL);
	ok("get", "W3SVC/5/ROOT/Path", "--explain", NULL);
	cr_assert_str_eq(g_out, "\nschema default\n");

	ok("set", "W3SVC/ConnectionTimeout", "30", NULL);
	ok("delete", "W3SVC/ConnectionTimeout", NULL);
	ok("get", "W3SVC/5/ConnectionTimeout", "--explain", NULL);
	cr_assert_str_eq(g_out, "120\nschema default\n");

	ok("delete", "W3SVC/5/ROOT/a", NULL);
	ok("tree", "W3SVC/5", NULL);
	cr_assert_str_eq(g_out, "/LM/W3SVC/5\n  ROOT\n");
	ok("delete", "/LM/W3SVC/5", NULL);
	ok("tree", NULL);
	cr_assert_str_eq(g_out, "/LM\n  MimeMap\n  W3SVC\n");

	bad("/LM", "delete", "/LM", NULL);
	bad("W3SVC/5", "delete", "W3SVC/5", NULL);
	bad("ConnectionTimeout", "delete", "W3SVC/ConnectionTimeout", NULL);
}

/* Sites. */

Test(mbctl, sites)
{
	ok("site", "create", "--force", "--name", "one", "--binding", ":8080:one",
	    "--path", "/srv/one", NULL);
	cr_assert_str_eq(g_out, "1\n");
	ok("site", "create", "--force", "--name=two", "--binding=:8080:two",
	    "--binding=127.0.0.1:81:", "--path=/srv/two", NULL);
	cr_assert_str_eq(g_out, "2\n");
	ok("site", "create", "--force", "--name", "ten", "--binding", ":8080:ten",
	    "--path", "/srv/ten", "--id", "10", NULL);
	cr_assert_str_eq(g_out, "10\n");
	ok("site", "create", "--force", "--name", "three", "--binding", ":8080:three",
	    "--path", "/srv/three", NULL);
	cr_assert_str_eq(g_out, "3\n");

	/* The lowest free id. */
	ok("site", "delete", "2", NULL);
	ok("site", "create", "--force", "--name", "again", "--binding", ":8080:again",
	    "--path", "/srv/again", NULL);
	cr_assert_str_eq(g_out, "2\n");

	ok("site", "stop", "10", NULL);
	ok("get", "W3SVC/10/ServerState", NULL);
	cr_assert_str_eq(g_out, "4\n");
	ok("site", "list", NULL);
	cr_assert_str_eq(g_out,
	    "1\tone\tstarted\t:8080:one\t/srv/one\t-\t-\n"
	    "2\tagain\tstarted\t:8080:again\t/srv/again\t-\t-\n"
	    "3\tthree\tstarted\t:8080:three\t/srv/three\t-\t-\n"
	    "10\tten\tstopped\t:8080:ten\t/srv/ten\t-\t-\n");
	ok("site", "start", "10", NULL);
	ok("get", "W3SVC/10/ServerState", NULL);
	cr_assert_str_eq(g_out, "2\n");
	ok("site", "delete", "10", NULL);
	ok("site", "list", NULL);
	cr_assert_eq(count_lines(g_out), 3);

	bad("99", "site", "start", "99", NULL);
	bad("99", "site", "stop", "99", NULL);
	bad("99", "site", "delete", "99", NULL);
	bad("abc", "site", "start", "abc", NULL);
	bad("0", "site", "delete", "0", NULL);
}

/* Bad input: one line naming the problem, nothing changed. */

Test(mbctl, bad_values)
{
	ok("site", "create", "--force", "--name", "one", "--binding", ":8080:",
	    "--path", "/srv/one", NULL);
	bad("Frobnicate", "set", "W3SVC/Frobnicate", "1", NULL);
	bad("Frobnicate", "get", "W3SVC/Frobnicate", NULL);
	bad("maybe", "set", "W3SVC/AllowKeepAlives", "maybe", NULL);
	bad("-5", "set", "W3SVC/ConnectionTimeout", "-5", NULL);
	bad("99999999999", "set", "W3SVC/ConnectionTimeout", "99999999999",
	    NULL);
	bad("ConnectionTimeout", "set", "W3SVC/ConnectionTimeout", NULL);
	bad("ServerComment", "set", "W3SVC/1/ServerComment", "a", "b", NULL);
	bad("nonsense", "set", "W3SVC/1/ServerBindings", "nonsense", NULL);
	bad("NoSuchFlag", "set", "W3SVC/DirBrowseFlags", "NoSuchFlag", NULL);
	bad("relative", "set", "W3SVC/1/ROOT/Path", "relative/dir", NULL);
}

Test(mbctl, bad_bindings)
{
	ok("site", "create", "--force", "--name", "one", "--binding", ":8080:",
	    "--path", "/srv/one", NULL);
	bad(":99999:", "site", "create", "--force", "--name", "x", "--binding",
	    ":99999:", "--path", "/srv/x", NULL);
	bad("nonsense", "site", "create", "--force", "--name", "x", "--binding",
	    "nonsense", "--path", "/srv/x", NULL);
	bad(":99999:", "set", "W3SVC/1/ServerBindings", ":99999:", NULL);
	/* Taken by site 1. */
	bad(":8080:", "site", "create", "--force", "--name", "x", "--binding", ":8080:",
	    "--path", "/srv/x", NULL);
	bad("1", "site", "create", "--force", "--name", "dup", "--binding", ":8081:",
	    "--path", "/srv/dup", "--id", "1", NULL);
	bad("abc", "site", "create", "--force", "--name", "x", "--binding", ":8082:",
	    "--path", "/srv/x", "--id", "abc", NULL);
}

Test(mbctl, bad_keys)
{
	ok("site", "create", "--force", "--name", "one", "--binding", ":8080:",
	    "--path", "/srv/one", NULL);
	/* The wrong kind of key. */
	bad("AllowKeepAlives", "set", "W3SVC/1/ROOT/AllowKeepAlives",
	    "TRUE", NULL);
	bad("Path", "set", "W3SVC/Path", "/srv", NULL);
	bad("MaxWorkers", "set", "W3SVC/1/MaxWorkers", "10", NULL);
	/* Outside /LM, or naming no kind of key. */
	bad("/XX", "set", "/XX/AllowKeepAlives", "TRUE", NULL);
	bad("/foo", "create", "/foo", NULL);
	bad("/LMX", "enum", "/LMX", NULL);
	bad("abc", "create", "W3SVC/abc", NULL);
	/* Missing keys. */
	bad("/LM/W3SVC/77", "get", "W3SVC/77/ServerComment", NULL);
	bad("/LM/W3SVC/77", "set", "W3SVC/77/ServerComment", "x", NULL);
	bad("/LM/W3SVC/77", "delete", "W3SVC/77", NULL);
	bad("/LM/W3SVC/77", "enum", "W3SVC/77", NULL);
	bad("/LM/W3SVC/77", "tree", "W3SVC/77", NULL);
	bad("/LM/W3SVC/77", "export", "W3SVC/77", NULL);
}

/* A metabase whose data file was overwritten or cut short. */
Test(mbctl, damaged_data_file)
{
	char		 data[PATH_MAX], buf[8192];
	unsigned	 seed = 1;
	size_t		 i;
	int		 fd;

	tpath(data, sizeof(data), "mb/data.mdb");
	for (i = 0; i < sizeof(buf); i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (char)(seed >> 16);
	}
	cr_assert_neq(fd = open(data, O_WRONLY), -1);
	cr_assert_eq(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(fd);

	cr_assert_eq(mbctl("get", "W3SVC/AllowKeepAlives", NULL), 1, "%s",
	    g_err);
	assert_one_error(1, NULL);
	cr_assert_eq(mbctl("export", NULL), 1);
	assert_one_error(1, NULL);
	cr_assert_eq(mbctl("set", "W3SVC/AllowKeepAlives", "TRUE", NULL), 1);
	assert_one_error(1, NULL);
}

static void
truncated_case(off_t size)
{
	char		 data[PATH_MAX], file[PATH_MAX], text[256];
	struct stat	 st;
	FILE		*fp;
	int		 i;

	/* Enough keys to spread the tree over many pages. */
	tpath(file, sizeof(file), "many.cfg");
	cr_assert_not_null(fp = fopen(file, "w"));
	fputs("root = \"/LM/W3SVC\";\nkeys = (\n", fp);
	for (i = 1; i <= 300; i++) {
		xsnprintf(text, sizeof(text),
		    "%s{ key = \"/LM/W3SVC/%d\"; properties = { ServerComment = \"site %d with a longer name\"; }; }\n",
		    i > 1 ? "," : "", i, i);
		fputs(text, fp);
	}
	fputs(");\n", fp);
	cr_assert_eq(fclose(fp), 0);
	ok("import", file, NULL);

	tpath(data, sizeof(data), "mb/data.mdb");
	cr_assert_eq(stat(data, &st), 0);
	/* Half of what LMDB uses, not of the hole padded after it. */
	cr_assert_eq(truncate(data, size < 0 ?
	    mbt_used_size(data) / 2 / 4096 * 4096 : size), 0);

	cr_assert_eq(mbctl("export", NULL), 1, "stderr: %s", g_err);
	assert_one_error(1, NULL);
	cr_assert_eq(mbctl("site", "list", NULL), 1);
	assert_one_error(1, NULL);
	cr_assert_eq(mbctl("get", "W3SVC/250/ServerComment", NULL), 1);
	assert_one_error(1, NULL);
}

Test(mbctl, truncated_data_file_half)
{
	truncated_case(-1);
}

Test(mbctl, truncated_data_file_short)
{
	truncated_case(100);
}

/* Export and import. */

/* A metabase with some of everything in it. */
static void
populate(void)
{
	ok("site", "create", "--force", "--name", "Default \"Web\" Site \\ caf\xc3\xa9",
	    "--binding", "127.0.0.1:8080:localhost", "--binding",
	    "[::1]:8080:", "--path", "/srv/www", NULL);
	ok("site", "create", "--force", "--name", "two", "--binding", ":8080:two.example",
	    "--path", "/srv/two", "--id", "20", NULL);
	ok("set", "W3SVC/AllowKeepAlives", "FALSE", NULL);
	ok("set", "W3SVC/MaxConnections", "4294967295", NULL);
	ok("set", "W3SVC/20/MaxConnections", "2147483648", NULL);
	ok("set", "W3SVC/20/ROOT/HttpCustomHeaders", "X-A: \"q\"",
	    "X-B: back\\slash", NULL);
	ok("set", "W3SVC/20/ROOT/MimeMap", NULL);
	ok("create", "W3SVC/20/ROOT/img", NULL);
	ok("set", "W3SVC/20/ROOT/img/DirBrowseFlags",
	    "EnableDirBrowsing|DirBrowseShowDate", NULL);
	ok("site", "stop", "20", NULL);
}

Test(mbctl, export_import_roundtrip)
{
	char	 file[PATH_MAX], other[PATH_MAX], *a, *b;

	populate();
	a = export_of(mbdir);
	cr_assert(strstr(a, "MaxConnections = 4294967295L;") != NULL, "%s", a);
	cr_assert(strstr(a, "MimeMap = [ ];") != NULL, "%s", a);

	tpath(file, sizeof(file), "all.cfg");
	ok("export", file, NULL);
	cr_assert_str_empty(g_out);
	b = slurp(file);
	cr_assert_str_eq(a, b);
	free(b);

	/* Into a new metabase: the same text again. */
	tpath(other, sizeof(other), "other");
	cr_assert_eq(mbctl_in(other, "init", NULL), 0);
	cr_assert_eq(mbctl_in(other, "import", file, NULL), 0, "%s", g_err);
	b = export_of(other);
	cr_assert_str_eq(a, b);
	free(b);

	/* --replace makes it exactly the file again after changes. */
	cr_assert_eq(mbctl_in(other, "site", "create", "--force", "--name", "extra",
	    "--binding", ":9999:", "--path", "/srv/extra", NULL), 0);
	cr_assert_eq(mbctl_in(other, "set", "/LM/MimeMap/MimeMap",
	    ".x,text/x", NULL), 0);
	cr_assert_eq(mbctl_in(other, "create", "W3SVC/20/ROOT/zzz", NULL), 0);
	cr_assert_eq(mbctl_in(other, "import", file, "--replace", NULL), 0,
	    "%s", g_err);
	b = export_of(other);
	cr_assert_str_eq(a, b);
	free(b);
	free(a);
}

Test(mbctl, export_import_subtree)
{
	const char	*head =
	    "# mbhttpd metabase export\nroot = \"/LM/W3SVC/20\";\nkeys = (\n";
	char		 file[PATH_MAX], *all, *sub, *b;

	populate();
	all = export_of(mbdir);
	tpath(file, sizeof(file), "site20.cfg");
	ok("export", "W3SVC/20", file, NULL);
	sub = slurp(file);
	cr_assert(strncmp(sub, head, strlen(head)) == 0, "%s", sub);
	ok("export", "W3SVC/20", NULL);
	cr_assert_str_eq(g_out, sub);

	/* Change the site, then --replace puts it back and nothing else. */
	ok("create", "W3SVC/20/ROOT/new", NULL);
	ok("set", "W3SVC/20/ServerComment", "changed", NULL);
	ok("set", "W3SVC/ConnectionTimeout", "99", NULL);
	ok("import", file, "--replace", NULL);
	ok("export", "W3SVC/20", NULL);
	cr_assert_str_eq(g_out, sub);
	ok("get", "W3SVC/ConnectionTimeout", NULL);
	cr_assert_str_eq(g_out, "99\n");
	ok("set", "W3SVC/ConnectionTimeout", "120", NULL);
	b = export_of(mbdir);
	cr_assert_str_eq(b, all);
	free(b);

	/* A file exported from site 20 may not touch site 1. */
	spew(file, "root = \"/LM/W3SVC/20\";\nkeys = (\n"
	    "{ key = \"/LM/W3SVC/20\"; properties = { ServerComment = \"x\"; }; },\n"
	    "{ key = \"/LM/W3SVC/1\"; properties = { ServerComment = \"y\"; }; }\n"
	    ");\n");
	bad("outside", "import", file, NULL);
	free(sub);
	free(all);
}

Test(mbctl, import_syntax_error)
{
	char	file[PATH_MAX], want[PATH_MAX + 8];

	tpath(file, sizeof(file), "broken.cfg");
	spew(file, "# mbhttpd metabase export\nroot = \"/LM/W3SVC\";\n"
	    "keys = (\n\t{ key = \"/LM/W3SVC\"; properties = {\n"
	    "\t\tConnectionTimeout = = 30;\n\t}; }\n);\n");
	xsnprintf(want, sizeof(want), "%s:5:", file);
	bad(want, "import", file, NULL);

	tpath(file, sizeof(file), "missing.cfg");
	bad("missing.cfg", "import", file, NULL);
}

Test(mbctl, import_all_or_nothing)
{
	char	 file[PATH_MAX], line[256], want[PATH_MAX + 8];
	FILE	*fp;
	int	 i;

	/* 200 good keys with 3 properties each, one unknown property. */
	tpath(file, sizeof(file), "many.cfg");
	cr_assert_not_null(fp = fopen(file, "w"));
	fputs("root = \"/LM\";\nkeys = (\n", fp);
	for (i = 1; i <= 200; i++) {
		xsnprintf(line, sizeof(line),
		    "%s{ key = \"/LM/W3SVC/%d\"; properties = { ServerComment = \"s%d\"; ConnectionTimeout = %d; %s = true; }; }\n",
		    i > 1 ? "," : "", i, i, i,
		    i == 150 ? "AllowKeepAlivez" : "AllowKeepAlives");
		fputs(line, fp);
	}
	fputs(");\n", fp);
	cr_assert_eq(fclose(fp), 0);
	/* Key i is on line i + 2. */
	xsnprintf(want, sizeof(want), "%s:152:", file);
	bad(want, "import", file, NULL);
	cr_assert(strstr(g_err, "AllowKeepAlivez") != NULL, "%s", g_err);
	bad("AllowKeepAlivez", "import", file, "--replace", NULL);
	cr_assert_eq(mbctl("enum", "W3SVC/1", NULL), 1);

	/* Other bad files, each naming what is wrong. */
	spew(file, "keys = ( { key = \"/LM/W3SVC\"; properties = { AllowKeepAlives = \"maybe\"; }; } );\n");
	bad("maybe", "import", file, NULL);
	spew(file, "keys = ( { key = \"/LM/W3SVC\"; properties = { ConnectionTimeout = -5; }; } );\n");
	bad("ConnectionTimeout", "import", file, NULL);
	spew(file, "keys = ( { key = \"/LM/W3SVC/1/ROOT\"; properties = { AllowKeepAlives = true; }; } );\n");
	bad("AllowKeepAlives", "import", file, NULL);
	spew(file, "keys = ( { key = \"/etc\"; properties = { }; } );\n");
	bad("/etc", "import", file, NULL);
	spew(file, "keys = ( { key = \"/LM/W3SVC/3\"; properties = { ServerBindings = [ \":99999:\" ]; }; } );\n");
	bad("99999", "import", file, NULL);
	spew(file, "keys = ( { key = \"/LM/W3SVC/3\"; properties = { ServerComment = \"a\"; servercomment = \"b\"; }; } );\n");
	bad("twice", "import", file, NULL);
	spew(file, "root = \"/LM\";\n");
	bad("keys", "import", file, NULL);
}

/* Processes. */

/* Run mbctl -m mbdir args in a child of a child; 0 if it succeeded. */
static int
quiet(const char *first, ...)
{
	char	*argv[MAXARGS];
	va_list	 ap;

	va_start(ap, first);
	build_argv(argv, mbdir, first, ap);
	va_end(ap);
	return wait_bounded(spawn(argv, NULL, NULL));
}

#define NWRITERS	8
#define NKEYS		25	/* each: a key and a property */

Test(mbctl, concurrent_writers, .timeout = 900)
{
	char	key[64], name[64], want[64];
	pid_t	pid[NWRITERS];
	int	i, j, st, bad_runs = 0;

	for (i = 0; i < NWRITERS; i++) {
		pid[i] = fork();
		cr_assert_neq(pid[i], -1);
		if (pid[i] != 0)
			continue;
		for (j = 0; j < NKEYS; j++) {
			xsnprintf(key, sizeof(key), "W3SVC/%d", 100 * (i + 1) + j);
			xsnprintf(name, sizeof(name), "W3SVC/%d/ServerComment",
			    100 * (i + 1) + j);
			if (quiet("create", key, NULL) != 0 ||
			    quiet("set", name, key, NULL) != 0)
				_exit(1);
		}
		_exit(0);
	}
	/* Each runs 2 * NKEYS commands, each bounded on its own; under
	 * sanitizers on a loaded machine that takes minutes. */
	for (i = 0; i < NWRITERS; i++)
		if ((st = wait_bounded_ms(pid[i], 10 * RUN_TIMEOUT_MS)) != 0)
			bad_runs++;
	cr_assert_eq(bad_runs, 0, "%d writers failed", bad_runs);

	ok("enum", "W3SVC", NULL);
	for (i = 0; i < NWRITERS; i++) {
		for (j = 0; j < NKEYS; j++) {
			xsnprintf(want, sizeof(want), "[/LM/W3SVC/%d]\n",
			    100 * (i + 1) + j);
			cr_assert(strstr(g_out, want) != NULL, "no %s", want);
		}
	}
	ok("site", "list", NULL);
	cr_assert_eq(count_lines(g_out), NWRITERS * NKEYS);
	for (i = 0; i < NWRITERS; i++) {
		for (j = 0; j < NKEYS; j++) {
			xsnprintf(want, sizeof(want), "%d\tW3SVC/%d\t",
			    100 * (i + 1) + j, 100 * (i + 1) + j);
			cr_assert(strstr(g_out, want) != NULL, "no %s", want);
		}
	}
}

#define KILL_SITES	2500	/* 4 properties each: 10,000 */
#define KILL_ROUNDS	20

Test(mbctl, sigkill_during_import)
{
	char	 file[PATH_MAX], base[PATH_MAX], line[256];
	char	*before, *after, *now, *argv[MAXARGS];
	FILE	*fp;
	long	 t0, took;
	pid_t	 pid;
	int	 i, st, nbefore = 0, nafter = 0;

	tpath(file, sizeof(file), "big.cfg");
	cr_assert_not_null(fp = fopen(file, "w"));
	fputs("root = \"/LM/W3SVC\";\nkeys = (\n", fp);
	for (i = 1; i <= KILL_SITES; i++) {
		xsnprintf(line, sizeof(line),
		    "%s{ key = \"/LM/W3SVC/%d\"; properties = { ServerComment = \"site %d\"; ServerBindings = [ \":8080:s%d.example\" ]; ServerState = 4; ConnectionTimeout = %d; }; }\n",
		    i > 1 ? "," : "", i, i, i, 60 + i % 100);
		fputs(line, fp);
	}
	fputs(");\n", fp);
	cr_assert_eq(fclose(fp), 0);

	/* The before-state, to go back to with --replace. */
	ok("site", "create", "--force", "--name", "old", "--binding", ":80:", "--path",
	    "/srv/old", NULL);
	tpath(base, sizeof(base), "base.cfg");
	ok("export", "W3SVC", base, NULL);
	before = export_of(mbdir);

	/* How long a whole import takes, to kill within it. */
	t0 = now_ms();
	ok("import", file, NULL);
	took = now_ms() - t0;
	after = export_of(mbdir);
	cr_assert_str_neq(before, after);
	ok("import", base, "--replace", NULL);
	now = export_of(mbdir);
	cr_assert_str_eq(now, before);
	free(now);

	argv[0] = mbctl_bin;
	argv[1] = (char *)"-m";
	argv[2] = mbdir;
	argv[3] = (char *)"import";
	argv[4] = file;
	argv[5] = NULL;
	srand((unsigned)getpid());
	for (i = 0; i < KILL_ROUNDS; i++) {
		pid = spawn(argv, NULL, NULL);
		sleep_ms(rand() % (took + took / 4 + 2));
		kill(pid, SIGKILL);
		st = wait_bounded(pid);
		cr_assert(st == 128 + SIGKILL || st == 0, "exit %d", st);

		now = export_of(mbdir);
		if (strcmp(now, before) == 0)
			nbefore++;
		else if (strcmp(now, after) == 0) {
			nafter++;
			ok("import", base, "--replace", NULL);
		} else
			cr_assert_fail("round %d: neither before nor after", i);
		free(now);
	}
	cr_log_info("sigkill: import takes %ld ms; %d rounds before, %d after",
	    took, nbefore, nafter);

	/* Still works: writes and reads. */
	ok("import", file, NULL);
	now = export_of(mbdir);
	cr_assert_str_eq(now, after);
	free(now);
	ok("set", "W3SVC/7/ServerComment", "seven", NULL);
	ok("get", "W3SVC/7/ServerComment", NULL);
	cr_assert_str_eq(g_out, "seven\n");
	free(before);
	free(after);
}

#define BACKUP_STEPS	40

Test(mbctl, backup_while_writing)
{
	char	 bak[PATH_MAX], snap[PATH_MAX], key[64], *argv[MAXARGS];
	char	*now, *s;
	pid_t	 writer;
	int	 i, found = -1;

	populate();
	tpath(bak, sizeof(bak), "backup.mdb");

	/*
	 * The writer creates keys one at a time and exports after each:
	 * snap.i is the state after i of them, every state a backup taken
	 * meanwhile can hold.
	 */
	tpath(snap, sizeof(snap), "snap.0");
	now = export_of(mbdir);
	spew(snap, now);
	free(now);
	writer = fork();
	cr_assert_neq(writer, -1);
	if (writer == 0) {
		for (i = 1; i <= BACKUP_STEPS; i++) {
			xsnprintf(key, sizeof(key), "W3SVC/20/ROOT/k%d", i);
			if (quiet("create", key, NULL) != 0)
				_exit(1);
			tpath(snap, sizeof(snap), "snap.tmp");
			argv[0] = mbctl_bin;
			argv[1] = (char *)"-m";
			argv[2] = mbdir;
			argv[3] = (char *)"export";
			argv[4] = snap;
			argv[5] = NULL;
			if (wait_bounded(spawn(argv, NULL, NULL)) != 0)
				_exit(1);
			xsnprintf(key, sizeof(key), "%s/snap.%d", tdir, i);
			if (rename(snap, key) == -1)
				_exit(1);
		}
		_exit(0);
	}
	/* Back up in the middle of it. */
	tpath(snap, sizeof(snap), "snap.5");
	for (i = 0; i < 10000 && access(snap, F_OK) == -1; i++)
		sleep_ms(1);
	ok("backup", bak, NULL);
	cr_assert_eq(wait_bounded(writer), 0, "writer failed");

	ok("restore", bak, NULL);
	now = export_of(mbdir);
	for (i = 0; i <= BACKUP_STEPS && found == -1; i++) {
		xsnprintf(snap, sizeof(snap), "%s/snap.%d", tdir, i);
		s = slurp(snap);
		if (strcmp(s, now) == 0)
			found = i;
		free(s);
	}
	cr_assert_neq(found, -1, "restored state is no state the writer made");
	cr_log_info("backup holds the state after %d of %d writes", found,
	    BACKUP_STEPS);
	free(now);
	ok("get", "W3SVC/20/ServerComment", NULL);
	cr_assert_str_eq(g_out, "two\n");
}

Test(mbctl, backup_restore)
{
	char	 bak[PATH_MAX], junk[PATH_MAX], *a, *b;

	populate();
	a = export_of(mbdir);
	tpath(bak, sizeof(bak), "backup.mdb");
	ok("backup", bak, NULL);
	ok("site", "delete", "1", NULL);
	ok("set", "W3SVC/ConnectionTimeout", "5", NULL);
	ok("restore", bak, NULL);
	b = export_of(mbdir);
	cr_assert_str_eq(a, b);
	free(b);

	tpath(junk, sizeof(junk), "junk");
	spew(junk, "this is no metabase\n");
	bad("junk", "restore", junk, NULL);
	tpath(junk, sizeof(junk), "nothere");
	bad("nothere", "restore", junk, NULL);
	free(a);
}

Test(mbctl, schema)
{
	cr_assert_eq(mbctl_in(NULL, "schema", NULL), 0, "%s", g_err);
	cr_assert(strstr(g_out, "\nAllowKeepAlives ") != NULL);
	cr_assert(strstr(g_out, "(also AllowKeepAlive)") != NULL);
	cr_assert(strstr(g_out, "\nMaxRequestsPerWorker ") != NULL);
	cr_assert(strstr(g_out, "\nServerBindings ") != NULL);
}

/* Regressions from the review of mbctl. */

/* An import of n sites under /LM/W3SVC: keys and props span many pages. */
static void
import_sites(int n)
{
	char	 file[PATH_MAX], text[256];
	FILE	*fp;
	int	 i;

	tpath(file, sizeof(file), "sites.cfg");
	cr_assert_not_null(fp = fopen(file, "w"));
	fputs("root = \"/LM/W3SVC\";\nkeys = (\n", fp);
	for (i = 1; i <= n; i++) {
		xsnprintf(text, sizeof(text),
		    "%s{ key = \"/LM/W3SVC/%d\"; properties = { ServerComment = \"site %d with a longer name\"; }; }\n",
		    i > 1 ? "," : "", i, i);
		fputs(text, fp);
	}
	fputs(");\n", fp);
	cr_assert_eq(fclose(fp), 0);
	ok("import", file, NULL);
}

/*
 * data.mdb, whole in memory, to damage it the way LMDB does not expect.
 * LMDB's layout on a 64-bit host: each page starts with pgno (8 bytes),
 * pad, flags, lower, upper (2 each); a meta page then holds magic,
 * version, address, mapsize (4, 4, 8, 8), the free and main MDB_db (48
 * bytes each: pad (the page size in the free one), flags, depth, four
 * counts, root), last_pg and txnid.  A leaf node is lo, hi, flags, ksize
 * (2 each), the key, then the data; a named database's data is its
 * MDB_db.
 */
#define PG_HDRSZ	16
#define PG_FLAGS	10
#define PG_LOWER	12
#define P_BRANCH	0x01
#define P_LEAF		0x02
#define P_LEAF2		0x20
#define META_PSIZE	(PG_HDRSZ + 24)
#define META_MAINROOT	(PG_HDRSZ + 24 + 48 + 40)
#define META_TXNID	(PG_HDRSZ + 24 + 96 + 8)

struct mdbfile {
	char		 path[PATH_MAX];
	unsigned char	*b;
	size_t		 len, psize, npages;
};

static uint64_t
get_u64(const unsigned char *p)
{
	uint64_t	v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint16_t
get_u16(const unsigned char *p)
{
	uint16_t	v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void
put_u16(unsigned char *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void
mdb_load(struct mdbfile *f)
{
	struct stat	 st;
	uint32_t	 psize;
	int		 fd;

	tpath(f->path, sizeof(f->path), "mb/data.mdb");
	cr_assert_neq(fd = open(f->path, O_RDONLY), -1);
	cr_assert_eq(fstat(fd, &st), 0);
	f->len = (size_t)st.st_size;
	cr_assert_not_null(f->b = malloc(f->len));
	cr_assert_eq(read(fd, f->b, f->len), (ssize_t)f->len);
	close(fd);
	memcpy(&psize, f->b + META_PSIZE, sizeof(psize));
	cr_assert(psize >= 512 && psize <= 65536, "page size %u", psize);
	f->psize = psize;
	f->npages = f->len / psize;
}

static void
mdb_save(struct mdbfile *f)
{
	int	fd;

	cr_assert_neq(fd = open(f->path, O_WRONLY), -1);
	cr_assert_eq(write(fd, f->b, f->len), (ssize_t)f->len);
	close(fd);
	free(f->b);
	f->b = NULL;
}

/* Page pg if it holds a page of that number with exactly these flags. */
static unsigned char *
mdb_page(struct mdbfile *f, size_t pg, uint16_t flags)
{
	unsigned char	*p = f->b + pg * f->psize;

	if (get_u64(p) != pg || get_u16(p + PG_FLAGS) != flags)
		return NULL;
	return p;
}

/* Every failure of a damaged metabase: this one line, exit status 1. */
static void
assert_damaged(const char *cmd, const char *arg, const char *arg2)
{
	char	want[PATH_MAX + 64];
	int	st;

	xsnprintf(want, sizeof(want), "mbctl: metabase '%s' is damaged\n",
	    mbdir);
	st = mbctl(cmd, arg, arg2, NULL);
	cr_assert_eq(st, 1, "%s %s: exit %d (128 + signal?), stderr '%s'",
	    cmd, arg ? arg : "", st, g_err);
	cr_assert_str_eq(g_err, want, "%s: stderr '%s'", cmd, g_err);
}

/*
 * A branch page claiming one key fails an assertion in LMDB, which
 * prints it and calls abort(): SIGABRT, caught, and one line.
 */
Test(mbctl, damaged_page_fails_lmdb_assertion)
{
	struct mdbfile	 f;
	unsigned char	*p;
	size_t		 pg;
	int		 n = 0;

	import_sites(300);
	mdb_load(&f);
	for (pg = 2; pg < f.npages; pg++) {
		if ((p = mdb_page(&f, pg, P_BRANCH)) != NULL) {
			put_u16(p + PG_LOWER, PG_HDRSZ + 2);
			n++;
		}
	}
	cr_assert_gt(n, 0, "no branch page to damage");
	mdb_save(&f);

	assert_damaged("get", "W3SVC/250/ServerComment", NULL);
	assert_damaged("export", NULL, NULL);
	assert_damaged("site", "list", NULL);
	assert_damaged("set", "W3SVC/250/ServerComment", "x");
}

/*
 * Leaf pages turned into LEAF2 pages whose key size (the pad of each
 * named database's MDB_db) is 4 GiB: LMDB reads keys terabytes past its
 * map, SIGSEGV, caught, and one line.
 */
Test(mbctl, damaged_page_faults_in_lmdb)
{
	struct mdbfile	 f;
	unsigned char	*p, *node;
	uint64_t	 t0, t1, root;
	uint32_t	 huge = 0xffffffffu;
	size_t		 pg, nkeys, k;
	int		 n = 0;

	mdb_load(&f);
	t0 = get_u64(f.b + META_TXNID);
	t1 = get_u64(f.b + f.psize + META_TXNID);
	root = get_u64(f.b + (t1 > t0 ? f.psize : 0) + META_MAINROOT);
	cr_assert_lt(root, f.npages);
	cr_assert_not_null(p = mdb_page(&f, root, P_LEAF),
	    "main database root %zu is no leaf", (size_t)root);
	nkeys = (get_u16(p + PG_LOWER) - PG_HDRSZ) / 2;
	cr_assert_eq(nkeys, 5, "expected 5 named databases");
	for (k = 0; k < nkeys; k++) {
		node = p + get_u16(p + PG_HDRSZ + 2 * k);
		/* After lo, hi, flags, ksize and the name: MDB_db. */
		memcpy(node + 8 + get_u16(node + 6), &huge, sizeof(huge));
	}
	for (pg = 2; pg < f.npages; pg++) {
		if (pg != root && (p = mdb_page(&f, pg, P_LEAF)) != NULL) {
			put_u16(p + PG_FLAGS, P_LEAF | P_LEAF2);
			put_u16(p + PG_LOWER, 0xfff0);
			n++;
		}
	}
	cr_assert_gt(n, 0, "no leaf page to damage");
	mdb_save(&f);

	assert_damaged("get", "W3SVC/ConnectionTimeout", NULL);
	assert_damaged("export", NULL, NULL);
	assert_damaged("site", "list", NULL);
	assert_damaged("set", "W3SVC/ConnectionTimeout", "60");
}

/* libconfig 1.5 wraps plain integers to 32 bits: import must not. */
Test(mbctl, import_large_dword_literals)
{
	char	file[PATH_MAX], want[PATH_MAX + 16];

	ok("site", "create", "--force", "--name", "one", "--binding", ":8080:",
	    "--path", "/srv/one", NULL);
	ok("site", "create", "--force", "--name", "two", "--binding", ":8081:",
	    "--path", "/srv/two", NULL);
	tpath(file, sizeof(file), "big.cfg");
	spew(file, "keys = (\n"
	    "{ key = \"/LM/W3SVC\"; properties = {\n"
	    "\tMaxRequestEntityAllowed = 4294967295;\n"
	    "\tMaxConnections = 0xFFFFFFFF;\n"
	    "}; },\n"
	    /* The same name twice on a line, and in a string and a comment. */
	    "{ key = \"/LM/W3SVC/1\"; properties = { ServerComment = \"MaxConnections = 1;\"; /* MaxConnections = 2; */ MaxConnections = 2147483648; }; }, { key = \"/LM/W3SVC/2\"; properties = { MaxConnections = 7; }; }\n"
	    ");\n");
	ok("import", file, NULL);
	ok("get", "W3SVC/MaxRequestEntityAllowed", NULL);
	cr_assert_str_eq(g_out, "4294967295\n");
	ok("get", "W3SVC/MaxConnections", NULL);
	cr_assert_str_eq(g_out, "4294967295\n");
	ok("get", "W3SVC/1/MaxConnections", NULL);
	cr_assert_str_eq(g_out, "2147483648\n");
	ok("get", "W3SVC/2/MaxConnections", NULL);
	cr_assert_str_eq(g_out, "7\n");
	ok("get", "W3SVC/1/ServerComment", NULL);
	cr_assert_str_eq(g_out, "MaxConnections = 1;\n");

	/* Above 4294967295, in any spelling: refused, naming the line. */
	xsnprintf(want, sizeof(want), "%s:3:", file);
	spew(file, "keys = ( { key = \"/LM/W3SVC\"; properties = {\n"
	    "\tConnectionTimeout = 60;\n"
	    "\tMaxRequestEntityAllowed = 4294967296;\n"
	    "}; } );\n");
	bad(want, "import", file, NULL);
	cr_assert(strstr(g_err, "out of range") != NULL, "%s", g_err);
	spew(file, "keys = ( { key = \"/LM/W3SVC\"; properties = {\n\n"
	    "\tMaxConnections = 0x100000000;\n}; } );\n");
	bad(want, "import", file, NULL);
	cr_assert(strstr(g_err, "out of range") != NULL, "%s", g_err);
	spew(file, "keys = ( { key = \"/LM/W3SVC\"; properties = {\n\n"
	    "\tMaxConnections = 4294967296L;\n}; } );\n");
	bad(want, "import", file, NULL);
	cr_assert(strstr(g_err, "out of range") != NULL, "%s", g_err);
	/* Which libconfig wraps to 1. */
	spew(file, "keys = ( { key = \"/LM/W3SVC\"; properties = {\n\n"
	    "\tMaxConnections = -4294967295;\n}; } );\n");
	bad(want, "import", file, NULL);
	cr_assert(strstr(g_err, "out of range") != NULL, "%s", g_err);
}

/* Sites 1 and 2 trade bindings, or one moves, in a single import. */
Test(mbctl, import_moves_and_swaps_bindings)
{
	char	file[PATH_MAX];

	ok("site", "create", "--force", "--name", "a", "--binding", ":80:a.test",
	    "--path", "/srv/a", NULL);
	ok("site", "create", "--force", "--name", "b", "--binding", ":80:b.test",
	    "--path", "/srv/b", NULL);
	tpath(file, sizeof(file), "swap.cfg");
	spew(file, "root = \"/LM/W3SVC\";\nkeys = (\n"
	    "{ key = \"/LM/W3SVC/1\"; properties = { ServerBindings = [ \":80:b.test\" ]; }; },\n"
	    "{ key = \"/LM/W3SVC/2\"; properties = { ServerBindings = [ \":80:a.test\" ]; }; }\n"
	    ");\n");
	ok("import", file, NULL);
	ok("site", "list", NULL);
	cr_assert_str_eq(g_out,
	    "1\ta\tstarted\t:80:b.test\t/srv/a\t-\t-\n"
	    "2\tb\tstarted\t:80:a.test\t/srv/b\t-\t-\n");
	/* The index follows: each binding now belongs to the other site. */
	bad("site 2", "site", "create", "--force", "--name", "x", "--binding",
	    ":80:a.test", "--path", "/srv/x", NULL);
	bad("site 1", "site", "create", "--force", "--name", "x", "--binding",
	    ":80:b.test", "--path", "/srv/x", NULL);

	/* Moved to a site given first, from one given after it. */
	spew(file, "keys = (\n"
	    "{ key = \"/LM/W3SVC/3\"; properties = { ServerBindings = [ \":80:b.test\" ]; }; },\n"
	    "{ key = \"/LM/W3SVC/1\"; properties = { ServerBindings = [ \":80:c.test\" ]; }; }\n"
	    ");\n");
	ok("import", file, NULL);
	ok("get", "W3SVC/3/ServerBindings", NULL);
	cr_assert_str_eq(g_out, ":80:b.test\n");
	ok("get", "W3SVC/1/ServerBindings", NULL);
	cr_assert_str_eq(g_out, ":80:c.test\n");

	/* A conflict in the final state is still one. */
	spew(file, "keys = (\n"
	    "{ key = \"/LM/W3SVC/4\"; properties = { ServerBindings = [ \":80:a.test\" ]; }; },\n"
	    "{ key = \"/LM/W3SVC/1\"; properties = { ServerBindings = [ \":80:d.test\" ]; }; }\n"
	    ");\n");
	bad("site 2", "import", file, NULL);
	spew(file, "keys = (\n"
	    "{ key = \"/LM/W3SVC/1\"; properties = { ServerBindings = [ \":80:b.test\" ]; }; },\n"
	    "{ key = \"/LM/W3SVC/3\"; properties = { ServerComment = \"keeps b\"; }; }\n"
	    ");\n");
	bad("site 3", "import", file, NULL);
}

/* BOOL as the integers 0 and 1, as mbctl set takes them. */
Test(mbctl, import_bool_integers)
{
	char	file[PATH_MAX];

	ok("site", "create", "--force", "--name", "a", "--binding", ":80:",
	    "--path", "/srv/a", NULL);
	tpath(file, sizeof(file), "bool.cfg");
	spew(file, "keys = (\n"
	    "{ key = \"/LM/W3SVC\"; properties = { AllowKeepAlives = 0; LegacyKeepAlives = 1; }; },\n"
	    "{ key = \"/LM/W3SVC/1\"; properties = { AllowKeepAlives = 1; }; }\n"
	    ");\n");
	ok("import", file, NULL);
	ok("get", "W3SVC/AllowKeepAlives", NULL);
	cr_assert_str_eq(g_out, "FALSE\n");
	ok("get", "W3SVC/LegacyKeepAlives", NULL);
	cr_assert_str_eq(g_out, "TRUE\n");
	ok("get", "W3SVC/1/AllowKeepAlives", NULL);
	cr_assert_str_eq(g_out, "TRUE\n");

	spew(file, "keys = ( { key = \"/LM/W3SVC\"; properties = {\n"
	    "AllowKeepAlives = 2; }; } );\n");
	bad("true, false, 1 or 0", "import", file, NULL);
	cr_assert(strstr(g_err, ":2:") != NULL, "%s", g_err);
	/* Which libconfig wraps to 1. */
	spew(file, "keys = ( { key = \"/LM/W3SVC\"; properties = {\n"
	    "AllowKeepAlives = 4294967297; }; } );\n");
	bad("AllowKeepAlives", "import", file, NULL);
	spew(file, "keys = ( { key = \"/LM/W3SVC\"; properties = {\n"
	    "AllowKeepAlives = 1.0; }; } );\n");
	bad("AllowKeepAlives", "import", file, NULL);
}

/* export checks the key before it touches the file. */
Test(mbctl, export_bad_key_keeps_file)
{
	char	 file[PATH_MAX], *s;

	tpath(file, sizeof(file), "precious.cfg");
	spew(file, "precious\n");
	bad("/LM/W3SVC/77", "export", "W3SVC/77", file, NULL);
	s = slurp(file);
	cr_assert_str_eq(s, "precious\n");
	free(s);
	tpath(file, sizeof(file), "new.cfg");
	bad("/LM/W3SVC/77", "export", "W3SVC/77", file, NULL);
	cr_assert_eq(access(file, F_OK), -1);
}

static void
limit_fsize(void *arg)
{
	struct rlimit	rl;

	rl.rlim_cur = rl.rlim_max = *(rlim_t *)arg;
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &rl);
}

/* Names in tdir starting with prefix. */
static int
count_named(const char *prefix)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	cr_assert_not_null(d = opendir(tdir));
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

/* A write that fails halfway leaves the old file, and no other. */
Test(mbctl, export_failure_keeps_file)
{
	struct stat	 st;
	char		 file[PATH_MAX], *argv[MAXARGS], *s, *all;
	rlim_t		 lim = 1024;
	int		 st_;

	tpath(file, sizeof(file), "precious.cfg");
	spew(file, "precious\n");
	cr_assert_eq(chmod(file, 0640), 0);
	argv[0] = mbctl_bin;
	argv[1] = (char *)"-m";
	argv[2] = mbdir;
	argv[3] = (char *)"export";
	argv[4] = file;
	argv[5] = NULL;
	/* /LM with its MimeMap is several KiB: more than the limit. */
	st_ = run_with(argv, limit_fsize, &lim);
	assert_one_error(st_, "precious.cfg");
	cr_assert_eq(st_, 1);
	s = slurp(file);
	cr_assert_str_eq(s, "precious\n");
	free(s);
	cr_assert_eq(count_named(".mbctl"), 0, "a temporary file is left");

	/* Without the limit it is replaced, keeping its mode. */
	ok("export", file, NULL);
	all = export_of(mbdir);
	s = slurp(file);
	cr_assert_str_eq(s, all);
	free(s);
	free(all);
	cr_assert_eq(stat(file, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0640, "mode %o", st.st_mode & 07777);
	cr_assert_eq(count_named(".mbctl"), 0, "a temporary file is left");
}

/*
 * A path that is no regular file is written in place: a symbolic link is
 * never removed (before, a failed write unlinked the path it was given),
 * a FIFO stays a FIFO, and /dev/stdout reaches the standard output.
 */
Test(mbctl, export_to_non_regular_files)
{
	struct stat	 st;
	char		 lnk[PATH_MAX], fifo[PATH_MAX], got[PATH_MAX], buf[64];
	char		*s, *want;
	ssize_t		 n;
	pid_t		 reader;
	int		 fd, out, status;

	tpath(lnk, sizeof(lnk), "full.lnk");
	cr_assert_eq(symlink("/dev/full", lnk), 0);
	cr_assert_eq(mbctl("export", lnk, NULL), 1);
	assert_one_error(1, "full.lnk");
	cr_assert_eq(lstat(lnk, &st), 0, "%s is gone", lnk);
	cr_assert(S_ISLNK(st.st_mode));
	cr_assert_eq(stat("/dev/full", &st), 0);
	cr_assert(S_ISCHR(st.st_mode));

	want = export_of(mbdir);
	ok("export", "/dev/stdout", NULL);
	cr_assert_str_eq(g_out, want);

	tpath(fifo, sizeof(fifo), "fifo");
	tpath(got, sizeof(got), "fifo.out");
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	reader = fork();
	cr_assert_neq(reader, -1);
	if (reader == 0) {
		if ((fd = open(fifo, O_RDONLY)) == -1 ||
		    (out = open(got, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
			_exit(1);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n)
				_exit(1);
		_exit(n == 0 ? 0 : 1);
	}
	status = mbctl("export", fifo, NULL);
	if (status != 0)
		kill(reader, SIGKILL);
	cr_assert_eq(status, 0, "export to a FIFO: %s", g_err);
	cr_assert_eq(wait_bounded(reader), 0);
	s = slurp(got);
	cr_assert_str_eq(s, want);
	free(s);
	cr_assert_eq(lstat(fifo, &st), 0);
	cr_assert(S_ISFIFO(st.st_mode), "the FIFO was replaced");
	free(want);
}

static void
become(void *arg)
{
	const uid_t	*ids = arg;

	if (setgid((gid_t)ids[1]) == -1 || setuid(ids[0]) == -1)
		_exit(126);
}

/*
 * The reading commands open the metabase read-only: a user who may read
 * data.mdb (and write lock.mdb, as every LMDB reader must) can use them.
 * As root, the test runs them as nobody; otherwise data.mdb is made
 * read-only.
 */
Test(mbctl, readers_need_no_write_access)
{
	static const char *const reads[][3] = {
		{ "get", "W3SVC/1/ServerComment", NULL },
		{ "enum", "W3SVC/1", NULL },
		{ "tree", NULL, NULL },
		{ "site", "list", NULL },
		{ "export", NULL, NULL },
		{ "export", "W3SVC/1", NULL },
	};
	struct passwd	*pw;
	char		 path[PATH_MAX], pub[PATH_MAX], bak[PATH_MAX];
	char		*argv[MAXARGS], *before, *s;
	uid_t		 ids[2] = { 0, 0 };
	size_t		 i, j;
	int		 st, asroot = geteuid() == 0;

	ok("site", "create", "--force", "--name", "one", "--binding", ":8080:",
	    "--path", "/srv/one", NULL);
	before = export_of(mbdir);
	tpath(pub, sizeof(pub), "pub");
	cr_assert_eq(mkdir(pub, 0777), 0);
	cr_assert_eq(chmod(pub, 0777), 0);
	if (asroot) {
		pw = getpwnam("nobody");
		ids[0] = pw != NULL ? pw->pw_uid : 65534;
		ids[1] = pw != NULL ? (uid_t)pw->pw_gid : 65534;
		cr_assert_eq(chmod(tdir, 0755), 0);
		cr_assert_eq(chmod(mbdir, 0755), 0);
		tpath(path, sizeof(path), "mb/data.mdb");
		cr_assert_eq(chmod(path, 0644), 0);
		tpath(path, sizeof(path), "mb/lock.mdb");
		cr_assert_eq(chmod(path, 0666), 0);
	} else {
		tpath(path, sizeof(path), "mb/data.mdb");
		cr_assert_eq(chmod(path, 0444), 0);
	}

	for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		argv[0] = mbctl_bin;
		argv[1] = (char *)"-m";
		argv[2] = mbdir;
		for (j = 0; j < 3 && reads[i][j] != NULL; j++)
			argv[3 + j] = (char *)reads[i][j];
		argv[3 + j] = NULL;
		st = run_with(argv, asroot ? become : NULL, ids);
		cr_assert_eq(st, 0, "%s as a reader: exit %d: %s", reads[i][0],
		    st, g_err);
		cr_assert_str_empty(g_err);
		if (reads[i][1] == NULL && strcmp(reads[i][0], "export") == 0)
			cr_assert_str_eq(g_out, before);
	}
	xsnprintf(bak, sizeof(bak), "%s/backup.mdb", pub);
	argv[3] = (char *)"backup";
	argv[4] = bak;
	argv[5] = NULL;
	st = run_with(argv, asroot ? become : NULL, ids);
	cr_assert_eq(st, 0, "backup as a reader: exit %d: %s", st, g_err);
	xsnprintf(path, sizeof(path), "%s/site1.cfg", pub);
	argv[3] = (char *)"export";
	argv[4] = (char *)"W3SVC/1";
	argv[5] = path;
	argv[6] = NULL;
	st = run_with(argv, asroot ? become : NULL, ids);
	cr_assert_eq(st, 0, "export to a file as a reader: exit %d: %s", st,
	    g_err);

	/* Writing still needs write access, and says so in one line. */
	argv[3] = (char *)"set";
	argv[4] = (char *)"W3SVC/1/ServerComment";
	argv[5] = (char *)"changed";
	argv[6] = NULL;
	st = run_with(argv, asroot ? become : NULL, ids);
	assert_one_error(st, NULL);
	s = export_of(mbdir);
	cr_assert_str_eq(s, before);
	free(s);
	free(before);
}

/* Every runtime error is one line, whatever the values hold. */
Test(mbctl, errors_are_one_line)
{
	char	file[PATH_MAX];

	ok("site", "create", "--force", "--name", "one", "--binding", ":8080:",
	    "--path", "/srv/one", NULL);
	bad("x\\ny", "set", "W3SVC/1/ServerBindings", "x\ny", NULL);
	bad("Fo\\no", "get", "W3SVC/Fo\no", NULL);
	bad("unknown", "set", "W3SVC/1/ROOT/Fo\no", "1", NULL);
	bad("W3SVC/\\n1", "enum", "W3SVC/\n1", NULL);
	bad("no\\nkey", "export", "W3SVC/no\nkey", NULL);
	tpath(file, sizeof(file), "nl.cfg");
	spew(file, "keys = ( { key = \"/LM/W3SVC/1/ROOT/a\\nb\"; properties = { Path = \"rel\\native\"; }; } );\n");
	bad("nl.cfg:1:", "import", file, NULL);
}

/*
 * The library's part of the review: these pass once metabase/ has the
 * fixes (backup through a temporary file, canonical bindings, strict
 * DWORD syntax).
 */

Test(mbctl, backup_refuses_own_data_file)
{
	char	 data[PATH_MAX], *before, *after;

	populate();
	before = export_of(mbdir);
	tpath(data, sizeof(data), "mb/data.mdb");
	cr_assert_eq(mbctl("backup", data, NULL), 1);
	assert_one_error(1, NULL);
	after = export_of(mbdir);
	cr_assert_str_eq(before, after);
	ok("set", "W3SVC/ConnectionTimeout", "77", NULL);
	ok("get", "W3SVC/ConnectionTimeout", NULL);
	cr_assert_str_eq(g_out, "77\n");
	free(before);
	free(after);
}

Test(mbctl, backup_file_mode_and_failures)
{
	struct stat	 st;
	char		 bak[PATH_MAX], lnk[PATH_MAX], *a, *b;

	populate();
	a = export_of(mbdir);
	tpath(bak, sizeof(bak), "backup.mdb");
	spew(bak, "old\n");
	cr_assert_eq(chmod(bak, 0644), 0);
	ok("backup", bak, NULL);
	cr_assert_eq(stat(bak, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600, "mode %o", st.st_mode & 07777);
	cr_assert_eq(count_named("backup.mdb."), 0, "a temporary file is left");

	/* A failed backup leaves the path it was given alone. */
	tpath(lnk, sizeof(lnk), "full.lnk");
	cr_assert_eq(symlink("/dev/full", lnk), 0);
	cr_assert_eq(mbctl("backup", lnk, NULL), 1);
	assert_one_error(1, NULL);
	cr_assert_eq(lstat(lnk, &st), 0, "%s is gone", lnk);
	cr_assert(S_ISLNK(st.st_mode));

	ok("site", "delete", "1", NULL);
	ok("restore", bak, NULL);
	b = export_of(mbdir);
	cr_assert_str_eq(a, b);
	free(a);
	free(b);
}

Test(mbctl, bindings_compare_canonical)
{
	ok("site", "create", "--force", "--name", "one", "--binding", ":80:a.test",
	    "--path", "/srv/one", NULL);
	bad("X.TEST", "site", "create", "--force", "--name", "dup", "--binding",
	    ":80:x.test", "--binding", ":80:X.TEST", "--path", "/srv/dup",
	    NULL);
	bad("A.TEST", "site", "create", "--force", "--name", "two", "--binding",
	    ":80:A.TEST", "--path", "/srv/two", NULL);
	bad("080", "site", "create", "--force", "--name", "two", "--binding",
	    ":080:b.test", "--path", "/srv/two", NULL);
	bad("080", "set", "W3SVC/1/ServerBindings", ":080:", NULL);
}

Test(mbctl, dword_syntax_strict)
{
	ok("site", "create", "--force", "--name", "one", "--binding", ":80:",
	    "--path", "/srv/one", NULL);
	bad("0x0x10", "set", "W3SVC/ConnectionTimeout", "0x0x10", NULL);
	bad("AccessRead|", "set", "W3SVC/1/ROOT/AccessFlags", "AccessRead|",
	    NULL);
	ok("set", "W3SVC/1/ROOT/AccessFlags", "AccessRead|AccessScript",
	    NULL);
	ok("get", "W3SVC/1/ROOT/AccessFlags", NULL);
	cr_assert_str_eq(g_out, "513\n");
}
