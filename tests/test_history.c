/*
 * test_history.c - the change history end to end: the real mbctl on a
 * real metabase (history, history show, diff, rollback, pruning, backup
 * and restore, a killed import, two writers at once), the bindings index
 * after a rollback through the library, and the running server serving a
 * rolled-back value on a connection already open.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <lmdb.h>

#include "admin/mbctl.h"
#include "metabase.h"
#include "mbt.h"

#define OUTLEN		(256 * 1024)
/* Sites in the import a test kills: long enough to be caught midway. */
#define KILL_SITES	3000
/* Writes each of the two concurrent writers makes. */
#define RACE_WRITES	12

static struct mbt_env	 env;
static char		*out, err[4096];

static void
h_init(void)
{
	cr_assert_eq(mbt_setup(&env), 0, "mbt_setup failed");
	cr_assert_not_null(out = malloc(OUTLEN));
}

static void
h_fini(void)
{
	mbt_teardown(&env);
	free(out);
}

TestSuite(history, .init = h_init, .fini = h_fini, .timeout = 120);

static void
check_len(int n, size_t len)
{
	cr_assert(n >= 0 && (size_t)n < len, "string too long for %zu", len);
}

#define xsnprintf(buf, len, ...)					\
	check_len(snprintf((buf), (len), __VA_ARGS__), (len))

/* mbctl args... (NULL-terminated): its exit status; out and err filled. */
static int
run(const char *first, ...)
{
	const char	*argv[64];
	va_list		 ap;
	int		 n = 0;

	argv[n++] = first;
	va_start(ap, first);
	while ((argv[n] = va_arg(ap, const char *)) != NULL)
		cr_assert_lt(++n, 63);
	va_end(ap);
	return mbt_mbctlv(&env, argv, out, OUTLEN, err, sizeof(err));
}

#define ok(...) do {							\
	int st_ = run(__VA_ARGS__, (const char *)NULL);			\
	cr_assert_eq(st_, 0, "mbctl %s: exit %d: %s", #__VA_ARGS__, st_,	\
	    err);							\
} while (0)

/* The run failed with exit 1 and one line "mbctl: ..." holding needle. */
static void
one_error(int st, const char *needle)
{
	const char	*nl = strchr(err, '\n');

	cr_assert(st == 1 || st == 2, "exit %d, stderr '%s'", st, err);
	cr_assert(strncmp(err, "mbctl: ", 7) == 0, "stderr '%s'", err);
	/* A usage error (2) adds the command's usage, as everywhere. */
	cr_assert(nl != NULL && (nl[1] == '\0' || (st == 2 &&
	    strncmp(nl + 1, "usage: mbctl", 12) == 0)), "not one line: '%s'",
	    err);
	cr_assert_not_null(strstr(err, needle), "'%s' not in '%s'", needle,
	    err);
}

/* The newest entry's number, 0 for none. */
static unsigned long
last_seq(void)
{
	ok("history", "-n", "1");
	return strtoul(out, NULL, 10);
}

/* How many entries history prints. */
static int
count_entries(void)
{
	const char	*p;
	int		 n = 0;

	ok("history");
	for (p = out; *p != '\0'; p++)
		n += *p == '\n';
	return n;
}

/* history show seq, into out. */
static void
show(unsigned long seq)
{
	char	 s[32];

	xsnprintf(s, sizeof(s), "%lu", seq);
	ok("history", "show", s);
}

/*
 * Running the command made exactly one entry, whose change lines include
 * each of the NULL-terminated want lines.
 */
static void
one_entry(unsigned long before, const char *what, ...)
{
	const char	*w;
	va_list		 ap;
	unsigned long	 now = last_seq();

	cr_assert_eq(now, before + 1, "%s: %lu entries, not one", what,
	    now - before);
	show(now);
	va_start(ap, what);
	while ((w = va_arg(ap, const char *)) != NULL)
		cr_assert_not_null(strstr(out, w), "%s: no '%s' in\n%s", what,
		    w, out);
	va_end(ap);
}

static void
site(unsigned id, const char *name, unsigned port, const char *host)
{
	char	 b[128];

	xsnprintf(b, sizeof(b), "127.0.0.1:%u:%s", port, host);
	cr_assert_eq(mbt_site(&env, id, name, b), 0, "cannot create site %u",
	    id);
}

Test(history, every_write_makes_one_entry_with_old_and_new)
{
	char		 file[PATH_MAX], bak[PATH_MAX], www[PATH_MAX];
	unsigned long	 s;

	xsnprintf(www, sizeof(www), "%s/www", env.dir);
	s = last_seq();
	cr_assert_geq(s, 1, "init left no entry");
	show(1);
	cr_assert_not_null(strstr(out, "command mbctl init"), "%s", out);

	ok("set", "W3SVC/ConnectionTimeout", "60");
	one_entry(s++, "set", "/LM/W3SVC/ConnectionTimeout: 120 -> 60", NULL);
	ok("set", "W3SVC/ConnectionTimeout", "60");
	cr_assert_eq(last_seq(), s, "a set that changes nothing made an entry");

	ok("site", "create", "--name", "shop", "--binding", ":8080:shop.test",
	    "--path", www);
	one_entry(s++, "site create", "/LM/W3SVC/1: key created",
	    "/LM/W3SVC/1/ServerBindings: (not set) -> [\":8080:shop.test\"]",
	    "/LM/W3SVC/1/ROOT: key created", "/LM/W3SVC/1/ServerComment: "
	    "(not set) -> \"shop\"", NULL);
	ok("site", "stop", "1");
	one_entry(s++, "site stop", "/LM/W3SVC/1/ServerState: 2 -> 4", NULL);
	ok("site", "start", "1");
	one_entry(s++, "site start", "/LM/W3SVC/1/ServerState: 4 -> 2", NULL);
	ok("create", "W3SVC/1/ROOT/img");
	one_entry(s++, "create", "/LM/W3SVC/1/ROOT/img: key created", NULL);
	ok("set", "W3SVC/1/ROOT/img/DefaultDoc", "a.html");
	one_entry(s++, "set", "/LM/W3SVC/1/ROOT/img/DefaultDoc: (not set) -> "
	    "\"a.html\"", NULL);
	ok("delete", "W3SVC/1/ROOT/img/DefaultDoc");
	one_entry(s++, "delete property", "/LM/W3SVC/1/ROOT/img/DefaultDoc: "
	    "\"a.html\" -> (not set)", NULL);
	ok("set", "W3SVC/1/HttpCustomHeaders", "X-A: 1", NULL);
	one_entry(s++, "set multisz", "/LM/W3SVC/1/HttpCustomHeaders: (not set) -> "
	    "[\"X-A: 1\"]", NULL);
	ok("delete", "W3SVC/1/ROOT/img");
	one_entry(s++, "delete key", "/LM/W3SVC/1/ROOT/img: key deleted",
	    NULL);

	xsnprintf(file, sizeof(file), "%s/in.conf", env.dir);
	cr_assert_eq(mbt_write_file(file, "keys = ( { key = \"/LM/W3SVC/1\"; "
	    "properties = { ServerComment = \"imported\"; "
	    "MaxConnections = 7; }; } );\n"), 0);
	ok("import", file);
	one_entry(s++, "import", "/LM/W3SVC/1/ServerComment: \"shop\" -> "
	    "\"imported\"", "/LM/W3SVC/1/MaxConnections: (not set) -> 7",
	    NULL);

	xsnprintf(bak, sizeof(bak), "%s/b.mdb", env.dir);
	ok("backup", bak);
	cr_assert_eq(last_seq(), s, "backup made an entry");
	ok("set", "W3SVC/1/ServerComment", "later");
	one_entry(s++, "set", "\"imported\" -> \"later\"", NULL);
	ok("restore", bak);
	one_entry(s++, "restore", "restore\n",
	    "/LM/W3SVC/1/ServerComment: \"later\" -> \"imported\"", NULL);
	/* The history survived the restore, and the copy carried its own. */
	show(s - 1);
	cr_assert_not_null(strstr(out, "mbctl set W3SVC/1/ServerComment "
	    "later"), "%s", out);

	ok("site", "delete", "1");
	one_entry(s++, "site delete", "/LM/W3SVC/1: key deleted",
	    "/LM/W3SVC/1/ROOT: key deleted", "/LM/W3SVC/1/ServerBindings: "
	    "[\":8080:shop.test\"] -> (not set)", NULL);

	/* Back to just after the restore. */
	xsnprintf(file, sizeof(file), "%lu", s - 1);
	ok("rollback", file);
	one_entry(s++, "rollback", "rollback to ", "/LM/W3SVC/1: key created",
	    "/LM/W3SVC/1/ServerComment: (not set) -> \"imported\"", NULL);

	ok("history", "--prune", "3");
	cr_assert_eq(count_entries(), 3);
	cr_assert_eq(last_seq(), s, "prune made an entry");
}

Test(history, who_what_and_why)
{
	struct passwd	*pw = getpwuid(getuid());
	char		 want[256];
	unsigned long	 s = last_seq();

	cr_assert_not_null(pw);
	setenv("SUDO_USER", "alice", 1);
	ok("-c", "INC-42: clients hang", "set", "W3SVC/AllowKeepAlives",
	    "FALSE");
	unsetenv("SUDO_USER");
	ok("set", "W3SVC/HttpCustomHeaders", "X-Why: it's so");
	ok("history", "-n", "2");
	xsnprintf(want, sizeof(want), "%lu\t", s + 1);
	cr_assert_not_null(strstr(out, want), "%s", out);
	xsnprintf(want, sizeof(want), "\t%s (sudo alice)\tmbctl set "
	    "W3SVC/AllowKeepAlives FALSE\tINC-42: clients hang\n",
	    pw->pw_name);
	cr_assert_not_null(strstr(out, want), "no '%s' in\n%s", want, out);
	xsnprintf(want, sizeof(want), "\t%s\tmbctl set W3SVC/HttpCustomHeaders"
	    " 'X-Why: it'\\''s so'\n", pw->pw_name);
	cr_assert_not_null(strstr(out, want), "no '%s' in\n%s", want, out);
	/* Newest first. */
	cr_assert_lt(strstr(out, "HttpCustomHeaders"), strstr(out, "INC-42"));

	ok("history", "--json", "-n", "2", "W3SVC");
	cr_assert_not_null(strstr(out, "\"sudo_user\":\"alice\""), "%s", out);
	cr_assert_not_null(strstr(out, "\"property\":\"AllowKeepAlives\","
	    "\"old\":true,\"new\":false"), "%s", out);
	cr_assert_not_null(strstr(out, "\"message\":\"INC-42: clients hang\""),
	    "%s", out);

	/* A key: only the entries that touched it or a key below. */
	ok("history", "/LM/MimeMap");
	cr_assert_null(strstr(out, "AllowKeepAlives"), "%s", out);
	cr_assert_not_null(strstr(out, "mbctl init"), "%s", out);
	ok("history", "--since", "2999-01-01");
	cr_assert_str_empty(out);
	ok("history", "--since", "2000-01-01T00:00:00Z", "-n", "1");
	cr_assert_neq(out[0], '\0');
}

Test(history, diff_and_export_fragment)
{
	char		 a[32], b[32], file[PATH_MAX];
	unsigned long	 s = last_seq();

	ok("set", "W3SVC/ConnectionTimeout", "30");
	ok("set", "W3SVC/ConnectionTimeout", "40");
	ok("set", "W3SVC/AllowKeepAlives", "FALSE");
	xsnprintf(a, sizeof(a), "%lu", s);
	xsnprintf(b, sizeof(b), "%lu", s + 3);
	ok("diff", a, b);
	/* By key, then by property id. */
	cr_assert_str_eq(out, "/LM/W3SVC/ConnectionTimeout: 120 -> 40\n"
	    "/LM/W3SVC/AllowKeepAlives: TRUE -> FALSE\n");
	xsnprintf(a, sizeof(a), "%lu", s + 2);
	ok("diff", a);
	cr_assert_str_eq(out, "/LM/W3SVC/ConnectionTimeout: 30 -> 40\n");
	xsnprintf(a, sizeof(a), "%lu", s);
	ok("diff", a, b, "--export");
	cr_assert_not_null(strstr(out, "AllowKeepAlives = false;"), "%s", out);
	cr_assert_not_null(strstr(out, "ConnectionTimeout = 40;"), "%s", out);
	/* The fragment is what import takes. */
	xsnprintf(file, sizeof(file), "%s/frag.conf", env.dir);
	cr_assert_eq(mbt_write_file(file, out), 0);
	ok("set", "W3SVC/ConnectionTimeout", "99");
	ok("import", file);
	ok("get", "W3SVC/ConnectionTimeout");
	cr_assert_str_eq(out, "40\n");
	/* Export leaves the history out unless asked. */
	ok("export");
	cr_assert_null(strstr(out, "# history"), "%s", out);
	ok("export", "--history");
	cr_assert_not_null(strstr(out, "# history"), "%s", out);
	cr_assert_not_null(strstr(out, "/LM/W3SVC/ConnectionTimeout: 30 -> 40"),
	    "%s", out);
}

/* Site id's bindings as the server's lookup finds them. */
static int
find_site(unsigned port, const char *host, uint32_t *id)
{
	struct mb	*mb;
	int		 rc;

	cr_assert_eq(mb_open(&mb, env.metabase, MB_RDONLY), 0);
	cr_assert_eq(mb_begin(mb), 0);
	rc = mb_site_find(mb, 0, "127.0.0.1", port, host, strlen(host), id);
	mb_end(mb);
	mb_close(mb);
	return rc;
}

Test(history, rollback_across_site_deletion_and_back)
{
	char		 a[32], b[32];
	uint32_t	 id;
	unsigned long	 before, deleted;

	site(2, "two", 8082, "two.test");
	ok("set", "W3SVC/2/ROOT/DefaultDoc", "two.html");
	ok("create", "W3SVC/2/ROOT/sub");
	before = last_seq();
	ok("site", "delete", "2");
	deleted = last_seq();
	cr_assert_eq(find_site(8082, "two.test", &id), MB_NOTFOUND);
	/* Another site takes the binding meanwhile; it must give it back. */
	site(3, "three", 8082, "two.test");
	cr_assert_eq(find_site(8082, "two.test", &id), 0);
	cr_assert_eq(id, 3);

	xsnprintf(a, sizeof(a), "%lu", before);
	ok("rollback", a, "--dry-run");
	cr_assert_not_null(strstr(out, "/LM/W3SVC/2: key created"), "%s", out);
	cr_assert_not_null(strstr(out, "/LM/W3SVC/3: key deleted"), "%s", out);
	cr_assert_lt(strstr(out, "/LM/W3SVC/2: key created"),
	    strstr(out, "/LM/W3SVC/2/ServerBindings"), "%s", out);
	ok("site", "list");
	cr_assert_null(strstr(out, "2\ttwo"), "dry run changed: %s", out);

	ok("rollback", a);
	ok("site", "list");
	cr_assert_not_null(strstr(out, "2\ttwo\tstarted\t127.0.0.1:8082:two.test"),
	    "%s", out);
	cr_assert_null(strstr(out, "three"), "%s", out);
	ok("get", "W3SVC/2/ROOT/DefaultDoc");
	cr_assert_str_eq(out, "two.html\n");
	ok("tree", "W3SVC/2");
	cr_assert_not_null(strstr(out, "sub"), "%s", out);
	cr_assert_eq(find_site(8082, "two.test", &id), 0);
	cr_assert_eq(id, 2, "the bindings index says site %u", (unsigned)id);

	/* Roll the rollback back: site 2 gone again, site 3 back. */
	xsnprintf(b, sizeof(b), "%lu", last_seq() - 1);
	ok("rollback", b);
	cr_assert_eq(find_site(8082, "two.test", &id), 0);
	cr_assert_eq(id, 3);
	cr_assert_eq(run("get", "W3SVC/2/ServerComment", NULL), 1);
	ok("history", "show", b);
	(void)deleted;
}

Test(history, rollback_of_a_rollback)
{
	char		 a[32], b[32];
	unsigned long	 s, r;

	ok("set", "W3SVC/MaxConnections", "10");
	s = last_seq();
	ok("set", "W3SVC/MaxConnections", "20");
	ok("delete", "W3SVC/DefaultDoc");
	xsnprintf(a, sizeof(a), "%lu", s);
	ok("rollback", a);
	r = last_seq();
	cr_assert_eq(r, s + 3);
	show(r);
	cr_assert_not_null(strstr(out, "rollback to "), "%s", out);
	cr_assert_not_null(strstr(out, "/LM/W3SVC/MaxConnections: 20 -> 10"),
	    "%s", out);
	ok("get", "W3SVC/MaxConnections");
	cr_assert_str_eq(out, "10\n");
	ok("get", "W3SVC/DefaultDoc", "--explain");
	cr_assert_not_null(strstr(out, "set at /LM/W3SVC"), "%s", out);

	/* Back to just before the rollback: 20, DefaultDoc gone again. */
	xsnprintf(b, sizeof(b), "%lu", r - 1);
	ok("rollback", b);
	cr_assert_eq(last_seq(), r + 1);
	ok("get", "W3SVC/MaxConnections");
	cr_assert_str_eq(out, "20\n");
	ok("get", "W3SVC/DefaultDoc", "--explain");
	cr_assert_not_null(strstr(out, "schema default"), "%s", out);
	/* Nothing to do: no entry. */
	xsnprintf(b, sizeof(b), "%lu", r + 1);
	ok("rollback", b);
	cr_assert_eq(last_seq(), r + 1);
}

Test(history, pruning_at_the_limit)
{
	char		 v[16], a[32];
	unsigned long	 s;
	int		 i;

	ok("set", "/LM/MaxHistoryEntries", "5");
	for (i = 0; i < 8; i++) {
		xsnprintf(v, sizeof(v), "%d", 100 + i);
		ok("set", "W3SVC/ConnectionTimeout", v);
	}
	cr_assert_eq(count_entries(), 5);
	s = last_seq();
	ok("history");
	xsnprintf(a, sizeof(a), "\n%lu\t", s - 4);
	cr_assert_not_null(strstr(out, a), "oldest kept is not %lu:\n%s",
	    s - 4, out);
	xsnprintf(a, sizeof(a), "\n%lu\t", s - 5);
	cr_assert_null(strstr(out, a), "%s", out);
	/* Entries after a pruned one are gone: no rollback to it. */
	xsnprintf(a, sizeof(a), "%lu", s - 6);
	one_error(run("rollback", a, NULL), "pruned");
	xsnprintf(a, sizeof(a), "%lu", s - 5);
	ok("rollback", a);
	ok("get", "W3SVC/ConnectionTimeout");
	cr_assert_str_eq(out, "102\n");
	ok("history", "--prune", "2");
	cr_assert_eq(count_entries(), 2);
	/* Numbers go on after a prune. */
	ok("set", "W3SVC/ConnectionTimeout", "7");
	cr_assert_eq(last_seq(), s + 2);
	one_error(run("set", "/LM/MaxHistoryEntries", "0", NULL),
	    "MaxHistoryEntries");
	one_error(run("set", "W3SVC/MaxHistoryEntries", "9", NULL),
	    "MaxHistoryEntries");
}

Test(history, errors_are_one_line)
{
	one_error(run("history", "show", "999", NULL), "no history entry 999");
	one_error(run("history", "show", "x", NULL), "invalid entry number");
	one_error(run("diff", "999", NULL), "no history entry 999");
	one_error(run("diff", "3", "1", NULL), "give the older entry first");
	one_error(run("diff", "1", "999", NULL), "the history holds entries");
	one_error(run("rollback", "999", NULL), "no history entry 999");
	one_error(run("rollback", "-5", NULL), "unknown option");
	one_error(run("history", "--since", "yesterday", NULL),
	    "invalid time 'yesterday'");
	one_error(run("history", "-n", "many", NULL), "invalid count");
	one_error(run("history", "W3SVC/abc", NULL), "W3SVC/abc");
	one_error(run("history", "--bogus", NULL), "unknown option");
	cr_assert_eq(run("rollback", NULL), 2);
	cr_assert_not_null(strstr(err, "usage: mbctl"), "%s", err);
}

/* Every entry after from changes key/prop; each one's old value is the
 * one before's new: entries in commit order, none lost. */
static void
chain(unsigned long from, unsigned long to, const char *key)
{
	char		 prev[64] = "", want[160];
	const char	*p, *arrow, *nl;
	unsigned long	 q;

	for (q = from + 1; q <= to; q++) {
		show(q);
		xsnprintf(want, sizeof(want), "%s: ", key);
		cr_assert_not_null(p = strstr(out, want), "entry %lu:\n%s", q,
		    out);
		p += strlen(want);
		cr_assert_not_null(arrow = strstr(p, " -> "));
		cr_assert_not_null(nl = strchr(arrow, '\n'));
		if (prev[0] != '\0')
			cr_assert(strncmp(p, prev, (size_t)(arrow - p)) == 0 &&
			    strlen(prev) == (size_t)(arrow - p),
			    "entry %lu starts from %.*s, the one before left %s",
			    q, (int)(arrow - p), p, prev);
		xsnprintf(prev, sizeof(prev), "%.*s", (int)(nl - arrow - 4),
		    arrow + 4);
	}
}

Test(history, two_writers_each_get_their_own_entries_in_commit_order)
{
	char		 v[16];
	unsigned long	 s = last_seq();
	pid_t		 pid[2];
	int		 w, i, st;

	for (w = 0; w < 2; w++) {
		cr_assert_neq(pid[w] = fork(), -1);
		if (pid[w] == 0) {
			for (i = 0; i < RACE_WRITES; i++) {
				const char *av[] = { "set",
				    "W3SVC/ConnectionTimeout", v, NULL };

				snprintf(v, sizeof(v), "%d", 1000 * (w + 1) + i);
				if (mbt_mbctlv(&env, av, NULL, 0, NULL, 0) != 0)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (w = 0; w < 2; w++) {
		cr_assert_eq(waitpid(pid[w], &st, 0), pid[w]);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "writer %d failed", w);
	}
	cr_assert_eq(last_seq(), s + 2 * RACE_WRITES);
	chain(s, s + 2 * RACE_WRITES, "/LM/W3SVC/ConnectionTimeout");
}

/* The import file of n sites on port 9000 + id, each with a binding. */
static void
big_import(const char *file, int n)
{
	FILE	*fp;
	int	 i;

	cr_assert_not_null(fp = fopen(file, "w"));
	fprintf(fp, "keys = (\n");
	for (i = 1; i <= n; i++)
		fprintf(fp, "%s{ key = \"/LM/W3SVC/%d\"; properties = { "
		    "ServerComment = \"s%d\"; ServerBindings = "
		    "[ \":%d:h%d.test\" ]; }; }\n", i > 1 ? "," : "", 100 + i,
		    i, 9000 + i % 500, i);
	fprintf(fp, ");\n");
	cr_assert_eq(fclose(fp), 0);
}

Test(history, killed_import_leaves_neither_change_nor_entry)
{
	char		 file[PATH_MAX], bin[PATH_MAX], key[64], seq[32];
	const char	*av[7];
	unsigned long	 s;
	long		 delay;
	int		 st, done = 0, killed = 0;

	xsnprintf(file, sizeof(file), "%s/big.conf", env.dir);
	xsnprintf(bin, sizeof(bin), "%s/mbctl", mbt_build());
	xsnprintf(key, sizeof(key), "W3SVC/%d/ServerComment", 100 + KILL_SITES);
	big_import(file, KILL_SITES);
	av[0] = bin;
	av[1] = "-m";
	av[2] = env.metabase;
	av[3] = "import";
	av[4] = file;
	av[5] = NULL;
	/* Kill it sooner and later, until it was killed midway and once
	 * it finished. */
	for (delay = 5; delay < 20000 && !(done && killed); delay *= 2) {
		s = last_seq();
		st = mbt_run(av, NULL, 0, NULL, 0, delay);
		if (st == 0) {
			done = 1;
			cr_assert_eq(last_seq(), s + 1, "import without entry");
			ok("get", key);
			/* Undo it for the next round. */
			xsnprintf(seq, sizeof(seq), "%lu", s);
			ok("rollback", seq);
			cr_assert_eq(run("get", key, NULL), 1);
			continue;
		}
		/* Killed after its commit, before it exited: both are there. */
		if (last_seq() == s + 1) {
			ok("get", key);
			xsnprintf(seq, sizeof(seq), "%lu", s);
			ok("rollback", seq);
			continue;
		}
		killed++;
		cr_assert_eq(last_seq(), s, "killed at %ld ms: entries %lu", delay,
		    last_seq());
		cr_assert_eq(run("get", "W3SVC/101/ServerComment", NULL), 1,
		    "killed at %ld ms: a change without entry", delay);
	}
	cr_assert(killed > 0 && done, "killed %d, done %d", killed, done);
}

/* GET / on fd, HTTP/1.1: the response, whose status must be 200. */
static void
get(int fd, struct mbt_resp *r)
{
	cr_assert_eq(mbt_send(fd, "GET / HTTP/1.1\r\nHost: one.test\r\n\r\n"),
	    0);
	cr_assert_eq(mbt_read_response(fd, r, 0), 0, "no response");
	cr_assert_eq(r->status, 200, "status %d", r->status);
}

Test(history, server_serves_the_rolled_back_value_on_an_open_connection)
{
	struct mbt_resp	 r;
	const char	*conn;
	char		 a[32];
	int		 fd;

	site(1, "one", env.port, "");
	ok("set", "W3SVC/1/AllowKeepAlives", "FALSE");
	xsnprintf(a, sizeof(a), "%lu", last_seq());
	ok("set", "W3SVC/1/AllowKeepAlives", "TRUE");
	cr_assert_eq(mbt_start(&env, (char *)NULL), 0, "mbhttpd did not start");

	cr_assert_geq(fd = mbt_connect(env.port), 0);
	get(fd, &r);
	conn = mbt_header(&r, "Connection");
	cr_assert(conn == NULL || strcasecmp(conn, "close") != 0,
	    "closed before the rollback");
	mbt_resp_free(&r);

	ok("rollback", a);
	/* The same connection: its next request sees the value rolled back. */
	get(fd, &r);
	conn = mbt_header(&r, "Connection");
	cr_assert(conn != NULL && strcasecmp(conn, "close") == 0,
	    "no Connection: close after the rollback: %s", r.head);
	mbt_resp_free(&r);
	cr_assert_eq(mbt_closed(fd, 10000), 1, "the connection stayed open");
	mbt_close(fd);
}

/*
 * A metabase made before the history (four databases, no "history"):
 * readers open it as it is, and the first write adds the history.
 */
Test(history, a_metabase_from_before_the_history_gains_one)
{
	char		 dir[PATH_MAX];
	MDB_env		*me;
	MDB_txn		*txn;
	MDB_dbi		 d;
	MDB_val		 k = { 6, "format" }, v = { 18, "mbhttpd-metabase-1" };
	struct mb	*mb;
	static const char *const dbs[] = { "meta", "keys", "props",
	    "bindings" };
	size_t		 i;

	xsnprintf(dir, sizeof(dir), "%s/old", env.dir);
	cr_assert_eq(mkdir(dir, 0755), 0);
	cr_assert_eq(mdb_env_create(&me), 0);
	cr_assert_eq(mdb_env_set_maxdbs(me, 4), 0);
	cr_assert_eq(mdb_env_open(me, dir, 0, 0644), 0);
	cr_assert_eq(mdb_txn_begin(me, NULL, 0, &txn), 0);
	for (i = 0; i < 4; i++) {
		cr_assert_eq(mdb_dbi_open(txn, dbs[i], MDB_CREATE, &d), 0);
		if (i == 0)
			cr_assert_eq(mdb_put(txn, d, &k, &v, 0), 0);
	}
	cr_assert_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(me);

	cr_assert_eq(mb_open(&mb, dir, MB_RDONLY), 0, "%s", mb_errdetail(NULL));
	cr_assert_eq(mb_begin(mb), 0);
	{
		uint64_t first, last;

		cr_assert_eq(mb_history_range(mb, &first, &last), 0);
		cr_assert_eq(last, 0);
	}
	mb_end(mb);
	mb_close(mb);

	cr_assert_eq(mb_open(&mb, dir, 0), 0, "%s", mb_errdetail(NULL));
	cr_assert_eq(mb_set_actor(mb, "tester", NULL, "test", "upgrade"), 0);
	cr_assert_eq(mb_init(mb), 0, "%s", mb_errdetail(mb));
	cr_assert_eq(mb_begin(mb), 0);
	{
		struct mb_hentry e;

		cr_assert_eq(mb_history_get(mb, 1, &e), 0);
		cr_assert_str_eq(e.user, "tester");
		cr_assert_str_eq(e.message, "upgrade");
		cr_assert_gt(e.nchanges, 3);
		mb_hentry_release(&e);
	}
	mb_end(mb);
	mb_close(mb);
}

/* A property the schema marks secret: recorded as changed, never shown. */
Test(history, secret_values_are_never_shown)
{
	struct mb_prop	 p = mb_schema[MB_P_SERVERCOMMENT];
	struct mb_hchange c;
	char		*buf = NULL;
	size_t		 len = 0;
	FILE		*fp;

	p.pflags |= MB_PF_SECRET;
	memset(&c, 0, sizeof(c));
	c.path = "/LM/W3SVC/1";
	c.prop = &p;
	c.id = p.id;
	c.has_old = c.has_new = 1;
	c.old.str = "hunter2";
	c.old.len = 7;
	c.new.str = "swordfish";
	c.new.len = 9;
	cr_assert_not_null(fp = open_memstream(&buf, &len));
	ctl_print_change(fp, "", &c);
	c.has_old = 0;
	ctl_print_change(fp, "", &c);
	cr_assert_eq(fclose(fp), 0);
	cr_assert_str_eq(buf, "/LM/W3SVC/1/ServerComment: (secret changed)\n"
	    "/LM/W3SVC/1/ServerComment: (secret set)\n");
	free(buf);
}
