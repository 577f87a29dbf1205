/*
 * test_metabase.c - tests for metabase/, suite metabase.
 *
 * Each test runs in its own process (Criterion) with a fresh metabase,
 * created by tm_init() in a mkdtemp(3) directory and removed by tm_fini().
 * One process must never open the same environment twice, so the tests
 * that need a second handle on it (a concurrent writer, a read-only
 * worker) fork(2) and open it in the child; the child reports through its
 * exit status and never returns into Criterion.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "mbt.h"

#include "admin/mbctl.h"
#include "metabase.h"

static struct mb	*mb;
static char		 tmp[1024];		/* the test's directory */
static char		 mbdir[PATH_MAX];	/* the metabase in it */

static void
tm_init(void)
{
	const char	*t = getenv("TMPDIR");
	int		 rc;

	snprintf(tmp, sizeof(tmp), "%s/test_metabase.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	cr_assert_not_null(mkdtemp(tmp), "mkdtemp: %s", strerror(errno));
	snprintf(mbdir, sizeof(mbdir), "%s/mb", tmp);
	rc = mb_open(&mb, mbdir, MB_CREATE);
	cr_assert_eq(rc, 0, "mb_open: %s", mb_errdetail(NULL));
	rc = mb_init(mb);
	cr_assert_eq(rc, 0, "mb_init: %s", mb_errdetail(mb));
}

static void
tm_fini(void)
{
	mb_close(mb);
	mb = NULL;
	mbt_rmtree(tmp);
}

TestSuite(metabase, .init = tm_init, .fini = tm_fini);

/* Helpers. */

static const struct mb_prop *
prop(const char *name)
{
	const struct mb_prop *p = mb_prop_find(name);

	cr_assert_not_null(p, "no property %s", name);
	return p;
}

static void
begin(void)
{
	cr_assert_eq(mb_begin(mb), 0);
}

/* Set a property from text, as mbctl does: one argument. */
static int
set(const char *path, const char *name, const char *text)
{
	char	 buf[1024];
	char	*argv[1] = { buf };

	snprintf(buf, sizeof(buf), "%s", text);
	return mb_prop_set_text(mb, path, prop(name), 1, argv);
}

static void
set_ok(const char *path, const char *name, const char *text)
{
	int	 rc = set(path, name, text);

	cr_assert_eq(rc, 0, "set %s %s=%s: %s (%s)", path, name, text,
	    mb_strerror(rc), mb_errdetail(mb));
}

static int
set_dword(const char *path, const char *name, uint32_t n)
{
	struct mb_value	 v = { n, NULL, 0, 0 };

	return mb_prop_set(mb, path, prop(name), &v);
}

/* The value set at path itself; asserts that it is set. */
static struct mb_value
get(const char *path, const char *name)
{
	struct mb_value	 v;
	int		 rc = mb_prop_get(mb, path, prop(name), &v);

	cr_assert_eq(rc, 0, "get %s %s: %s", path, name, mb_strerror(rc));
	return v;
}

static struct mb_value
eff(const char *path, const char *name)
{
	struct mb_value	 v;
	int		 rc = mb_prop_effective(mb, path, prop(name), &v);

	cr_assert_eq(rc, 0, "effective %s %s: %s", path, name,
	    mb_strerror(rc));
	return v;
}

/* A MULTISZ value of the NULL-terminated list, built in buf. */
static struct mb_value
list(char *buf, size_t len, const char *const *items)
{
	struct mb_value	 v = { 0, buf, 0, 0 };
	size_t		 n;

	for (; *items != NULL; items++) {
		n = strlen(*items) + 1;
		cr_assert_leq(v.len + n, len);
		memcpy(buf + v.len, *items, n);
		v.len += n;
	}
	return v;
}

/* Create site id (0: the lowest free) answering on the given bindings. */
static uint32_t
site(uint32_t id, const char *path, const char *const *bindings)
{
	char		 buf[1024], name[32];
	struct mb_value	 v = list(buf, sizeof(buf), bindings);
	int		 rc;

	snprintf(name, sizeof(name), "site %u", (unsigned)id);
	rc = mb_site_create(mb, &id, name, &v, path);
	cr_assert_eq(rc, 0, "mb_site_create: %s (%s)", mb_strerror(rc),
	    mb_errdetail(mb));
	return id;
}

static int
check(const char *name, uint32_t dword, const char *str)
{
	struct mb_value	 v = { dword, str, str ? strlen(str) : 0, 0 };
	char		 err[256];

	err[0] = '\0';
	return mb_value_check(prop(name), &v, err, sizeof(err));
}

/* mb_value_check() of a one-string MULTISZ list. */
static int
check1(const char *name, const char *s)
{
	char		 buf[1024];
	struct mb_value	 v = list(buf, sizeof(buf),
	    (const char *[]){ s, NULL });
	char		 err[256];
	int		 rc;

	err[0] = '\0';
	mb_set_check(ctl_check_value);	/* as mbctl does */
	rc = mb_value_check(prop(name), &v, err, sizeof(err));
	if (rc != 0)
		cr_assert_neq(err[0], '\0', "%s '%s' refused without a reason",
		    name, s);
	return rc;
}

static uint32_t
find_site(const char *ip, unsigned port, const char *host, int *rcp)
{
	uint32_t	 id = 0;

	*rcp = mb_site_find(mb, 0, ip, port, host, host ? strlen(host) : 0, &id);
	return id;
}

static void
assert_site(const char *ip, unsigned port, const char *host, uint32_t want)
{
	int		 rc;
	uint32_t	 id = find_site(ip, port, host, &rc);

	cr_assert_eq(rc, 0, "no site for %s:%u:%s (%s)", ip, port,
	    host ? host : "", mb_strerror(rc));
	cr_assert_eq(id, want, "%s:%u:%s gave site %u, not %u", ip, port,
	    host ? host : "", (unsigned)id, (unsigned)want);
}

static void
assert_nosite(const char *ip, unsigned port, const char *host)
{
	int		 rc;
	uint32_t	 id = find_site(ip, port, host, &rc);

	cr_assert_eq(rc, MB_NOTFOUND, "%s:%u:%s gave site %u", ip, port,
	    host ? host : "", (unsigned)id);
}

/* Paths collected by mb_key_children() and mb_key_walk(). */
struct paths {
	char	 p[64][MB_MAXPATH + 1];
	int	 n;
	int	 stop;		/* if not 0, return 7 after this many */
};

static int
collect(void *arg, const char *path)
{
	struct paths	*ps = arg;

	cr_assert_lt(ps->n, 64);
	snprintf(ps->p[ps->n++], sizeof(ps->p[0]), "%s", path);
	return ps->stop != 0 && ps->n == ps->stop ? 7 : 0;
}

static void
assert_paths(const struct paths *ps, const char *const *want)
{
	int	 i;

	for (i = 0; want[i] != NULL; i++) {
		cr_assert_lt(i, ps->n, "missing '%s'", want[i]);
		cr_assert_str_eq(ps->p[i], want[i], "path %d", i);
	}
	cr_assert_eq(ps->n, i, "%d paths, expected %d", ps->n, i);
}

static int
count_prop(void *arg, const struct mb_prop *p, const struct mb_value *v)
{
	(void)p;
	(void)v;
	(*(int *)arg)++;
	return 0;
}

struct bindlist {
	char	 s[16][320];
	int	 n;
};

static int
collect_binding(void *arg, const struct mb_binding *b, uint32_t id)
{
	struct bindlist	*bl = arg;

	cr_assert_lt(bl->n, 16);
	snprintf(bl->s[bl->n++], sizeof(bl->s[0]), "%s|%u|%s=%u", b->ip,
	    b->port, b->host, (unsigned)id);
	return 0;
}

static void
write_file(const char *path, const void *data, size_t len)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_neq(fd, -1, "open %s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	cr_assert_eq(close(fd), 0);
}

/* The whole file, malloc'd; *len set. */
static char *
read_file(const char *path, size_t *len)
{
	struct stat	 st;
	char		*buf;
	int		 fd;

	fd = open(path, O_RDONLY);
	cr_assert_neq(fd, -1, "open %s: %s", path, strerror(errno));
	cr_assert_eq(fstat(fd, &st), 0);
	buf = malloc(st.st_size + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(read(fd, buf, st.st_size), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	*len = st.st_size;
	return buf;
}

/* Wait for child pid; asserts that it exited 0. */
static void
reap(pid_t pid, const char *what)
{
	int	 status;

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "%s: killed by signal %d", what,
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	cr_assert_eq(WEXITSTATUS(status), 0, "%s: child failed at step %d",
	    what, WEXITSTATUS(status));
}

/* Schema. */

Test(metabase, schema_ids_and_names_are_unique)
{
	const struct mb_flagname *f, *g;
	int	 i, j;

	for (i = 0; i < MB_NPROPS; i++) {
		const struct mb_prop *p = &mb_schema[i];

		cr_assert_not_null(p->name, "entry %d has no name", i);
		cr_assert_not_null(p->desc, "%s has no description", p->name);
		cr_assert(p->type >= MB_BOOL && p->type <= MB_MULTISZ,
		    "%s: bad type", p->name);
		cr_assert(p->kinds != 0 && (p->kinds & ~0x1fu) == 0,
		    "%s: bad kinds", p->name);
		cr_assert_eq(p->syntax == MB_SYN_FLAGS, p->flags != NULL,
		    "%s: flags table and syntax disagree", p->name);
		cr_assert_leq(p->min, p->max, "%s", p->name);
		for (j = i + 1; j < MB_NPROPS; j++) {
			const struct mb_prop *q = &mb_schema[j];

			cr_assert_neq(p->id, q->id, "%s and %s share id %u",
			    p->name, q->name, (unsigned)p->id);
			cr_assert_neq(strcasecmp(p->name, q->name), 0,
			    "name %s twice", p->name);
			if (p->alias != NULL)
				cr_assert_neq(strcasecmp(p->alias, q->name), 0);
			if (q->alias != NULL)
				cr_assert_neq(strcasecmp(q->alias, p->name), 0);
		}
		for (f = p->flags; f != NULL && f->name != NULL; f++) {
			cr_assert_neq(f->bit, 0, "%s: flag %s has no bit",
			    p->name, f->name);
			for (g = f + 1; g->name != NULL; g++) {
				cr_assert_neq(strcasecmp(f->name, g->name), 0);
				cr_assert_eq(f->bit & g->bit, 0,
				    "%s: %s and %s overlap", p->name, f->name,
				    g->name);
			}
		}
		/* mb_pid_of() and the enum agree: ids find their entries. */
		cr_assert_eq(mb_prop_find(p->name), p);
	}
}

Test(metabase, schema_defaults_pass_the_checks)
{
	struct mb_value	 v;
	char		 err[256];
	int		 i, rc;

	for (i = 0; i < MB_NPROPS; i++) {
		const struct mb_prop *p = &mb_schema[i];

		memset(&v, 0, sizeof(v));
		v.dword = p->dflt;
		if (p->type == MB_STRING) {
			/* No default string means "not set": nothing to check. */
			if (p->dflt_str == NULL)
				continue;
			v.str = p->dflt_str;
			v.len = strlen(p->dflt_str);
		}
		err[0] = '\0';
		rc = mb_value_check(p, &v, err, sizeof(err));
		cr_assert_eq(rc, 0, "default of %s refused: %s", p->name, err);
	}
}

Test(metabase, prop_find_takes_aliases_and_any_case)
{
	char	 name[64];
	size_t	 i, k;

	cr_assert_eq(mb_prop_find("AllowKeepAlive"),
	    &mb_schema[MB_P_ALLOWKEEPALIVES]);
	cr_assert_eq(mb_prop_find("allowkeepalive"),
	    &mb_schema[MB_P_ALLOWKEEPALIVES]);
	cr_assert_eq(mb_prop_find("ALLOWKEEPALIVES"),
	    &mb_schema[MB_P_ALLOWKEEPALIVES]);
	for (i = 0; i < MB_NPROPS; i++) {
		snprintf(name, sizeof(name), "%s", mb_schema[i].name);
		for (k = 0; name[k] != '\0'; k++)
			name[k] = k % 2 ? name[k] | 0x20 : name[k] & ~0x20;
		cr_assert_eq(mb_prop_find(name), &mb_schema[i], "%s", name);
	}
	cr_assert_null(mb_prop_find("NoSuchProperty"));
	cr_assert_null(mb_prop_find(""));
	cr_assert_null(mb_prop_find("AllowKeepAlivesX"));
	cr_assert_null(mb_prop_find("AllowKeepAlive "));
	cr_assert_null(mb_prop_find("Path2"));
}

/* Values. */

Test(metabase, bool_is_0_or_1)
{
	cr_assert_eq(check("AllowKeepAlives", 0, NULL), 0);
	cr_assert_eq(check("AllowKeepAlives", 1, NULL), 0);
	cr_assert_eq(check("AllowKeepAlives", 2, NULL), MB_BADVALUE);
	cr_assert_eq(check("ServerAutoStart", UINT32_MAX, NULL), MB_BADVALUE);
}

Test(metabase, dword_ranges)
{
	cr_assert_eq(check("ConnectionTimeout", 0, NULL), MB_BADVALUE);
	cr_assert_eq(check("ConnectionTimeout", 86401, NULL), MB_BADVALUE);
	cr_assert_eq(check("ConnectionTimeout", 1, NULL), 0);
	cr_assert_eq(check("ConnectionTimeout", 86400, NULL), 0);
	cr_assert_eq(check("MaxWorkers", MB_MAXWORKERS, NULL), 0);
	cr_assert_eq(check("MaxWorkers", MB_MAXWORKERS + 1, NULL),
	    MB_BADVALUE);
	cr_assert_eq(check("MinSpareWorkers", 0, NULL), MB_BADVALUE);
	cr_assert_eq(check("LogType", 2, NULL), MB_BADVALUE);
	cr_assert_eq(check("MaxKeepAliveRequests", UINT32_MAX, NULL), 0);
}

Test(metabase, server_state_is_2_or_4)
{
	cr_assert_eq(check("ServerState", 2, NULL), 0);
	cr_assert_eq(check("ServerState", 4, NULL), 0);
	cr_assert_eq(check("ServerState", 0, NULL), MB_BADVALUE);
	cr_assert_eq(check("ServerState", 3, NULL), MB_BADVALUE);
	cr_assert_eq(check("ServerState", 5, NULL), MB_BADVALUE);
}

Test(metabase, refused_value_leaves_old_value_and_says_why)
{
	cr_assert_eq(set_dword("/LM/W3SVC", "ConnectionTimeout", 86401),
	    MB_BADVALUE);
	cr_assert(strstr(mb_errdetail(mb), "ConnectionTimeout") != NULL,
	    "detail: %s", mb_errdetail(mb));
	begin();
	cr_assert_eq(get("/LM/W3SVC", "ConnectionTimeout").dword, 120);
}

Test(metabase, bindings_parse)
{
	static const char *const bad[] = { ":99999:", "nonsense", ":0:",
	    "1.2.3:80:", "[::1:80:", ":80:bad host", "::80:", "", ":80",
	    ":", "::", "1.2.3.4::", "[1.2.3.4]:80:", "[]:80:", ":80:a..b",
	    ":80:-x:", ":65536:", ":8a:", "1.2.3.4.5:80:", NULL };
	struct mb_binding b;
	int	 i;

	cr_assert_eq(mb_binding_parse("127.0.0.1:80:", &b), 0);
	cr_assert_str_eq(b.ip, "127.0.0.1");
	cr_assert_eq(b.port, 80);
	cr_assert_str_eq(b.host, "");
	cr_assert_eq(mb_binding_parse(":8080:example.test", &b), 0);
	cr_assert_str_eq(b.ip, "");
	cr_assert_eq(b.port, 8080);
	cr_assert_str_eq(b.host, "example.test");
	cr_assert_eq(mb_binding_parse("[::1]:443:h", &b), 0);
	cr_assert_str_eq(b.ip, "::1");
	cr_assert_eq(b.port, 443);
	cr_assert_str_eq(b.host, "h");
	cr_assert_eq(mb_binding_parse("[0:0::1]:65535:Www.Example.TEST", &b),
	    0);
	cr_assert_str_eq(b.ip, "::1", "IPv6 is kept as inet_ntop writes it");
	cr_assert_eq(b.port, 65535);
	cr_assert_str_eq(b.host, "www.example.test");
	for (i = 0; bad[i] != NULL; i++) {
		cr_assert_eq(mb_binding_parse(bad[i], &b), MB_BADVALUE,
		    "'%s' parsed", bad[i]);
		cr_assert_eq(check1("ServerBindings", bad[i]), MB_BADVALUE,
		    "'%s' accepted", bad[i]);
	}
	cr_assert_eq(check1("ServerBindings", "127.0.0.1:80:"), 0);
	cr_assert_eq(check1("ServerBindings", ":8080:example.test"), 0);
	cr_assert_eq(check1("ServerBindings", "[::1]:443:h"), 0);
}

Test(metabase, binding_listed_twice_is_refused)
{
	char		 buf[256], err[256];
	struct mb_value	 v = list(buf, sizeof(buf),
	    (const char *[]){ ":80:a.test", ":80:A.TEST", NULL });

	cr_assert_eq(mb_value_check(prop("ServerBindings"), &v, err,
	    sizeof(err)), MB_BADVALUE);
}

Test(metabase, custom_headers)
{
	cr_assert_eq(check1("HttpCustomHeaders", "X-A: b"), 0);
	cr_assert_eq(check1("HttpCustomHeaders", "X-Empty:"), 0);
	cr_assert_eq(check1("HttpCustomHeaders", "Bad Header: x"),
	    MB_BADVALUE);
	cr_assert_eq(check1("HttpCustomHeaders", "Content-Length: 5"),
	    MB_BADVALUE);
	cr_assert_eq(check1("HttpCustomHeaders", "connection: close"),
	    MB_BADVALUE);
	cr_assert_eq(check1("HttpCustomHeaders", "Transfer-Encoding: x"),
	    MB_BADVALUE);
	cr_assert_eq(check1("HttpCustomHeaders", "NoColon"), MB_BADVALUE);
	cr_assert_eq(check1("HttpCustomHeaders", ": x"), MB_BADVALUE);
	cr_assert_eq(check1("HttpCustomHeaders", "X-A: a\r\nX-B: b"),
	    MB_BADVALUE);
}

Test(metabase, mime_map_entries)
{
	cr_assert_eq(check1("MimeMap", ".html,text/html"), 0);
	cr_assert_eq(check1("MimeMap", ".svg,image/svg+xml"), 0);
	cr_assert_eq(check1("MimeMap", "*,application/octet-stream"), 0);
	cr_assert_eq(check1("MimeMap", ".txt,text/plain; charset=utf-8"), 0);
	cr_assert_eq(check1("MimeMap", "html,text/html"), MB_BADVALUE);
	cr_assert_eq(check1("MimeMap", ".x,nonsense"), MB_BADVALUE);
	cr_assert_eq(check1("MimeMap", ".,text/plain"), MB_BADVALUE);
	cr_assert_eq(check1("MimeMap", ".a/b,text/plain"), MB_BADVALUE);
	cr_assert_eq(check1("MimeMap", ".x,text/"), MB_BADVALUE);
	cr_assert_eq(check1("MimeMap", ".x"), MB_BADVALUE);
}

Test(metabase, default_doc_list)
{
	cr_assert_eq(check("DefaultDoc", 0, "a.html,b.htm"), 0);
	cr_assert_eq(check("DefaultDoc", 0, "index.html"), 0);
	cr_assert_eq(check("DefaultDoc", 0, "a/b"), MB_BADVALUE);
	cr_assert_eq(check("DefaultDoc", 0, "a,,b"), MB_BADVALUE);
	cr_assert_eq(check("DefaultDoc", 0, ",a"), MB_BADVALUE);
	cr_assert_eq(check("DefaultDoc", 0, "a,"), MB_BADVALUE);
	cr_assert_eq(check("DefaultDoc", 0, "a b"), MB_BADVALUE);
	cr_assert_eq(check("DefaultDoc", 0, ""), MB_BADVALUE);
}

Test(metabase, paths_must_be_absolute)
{
	cr_assert_eq(check("Path", 0, "/srv/www"), 0);
	cr_assert_eq(check("Path", 0, "srv/www"), MB_BADVALUE);
	cr_assert_eq(check("Path", 0, ""), MB_BADVALUE);
	cr_assert_eq(check("LogFileDirectory", 0, "logs"), MB_BADVALUE);
	cr_assert_eq(check("LogFileDirectory", 0, "/var/log/x"), 0);
	/* A string must match its length, and a list must end in a NUL. */
	{
		struct mb_value	 v = { 0, "/srv", 2, 0 };
		char		 err[128];

		cr_assert_eq(mb_value_check(prop("Path"), &v, err,
		    sizeof(err)), MB_BADVALUE);
		v.str = "a\0b";
		v.len = 3;
		cr_assert_eq(mb_value_check(prop("MimeMap"), &v, err,
		    sizeof(err)), MB_BADVALUE);
		v.str = ".a,text/a\0\0";
		v.len = 11;
		cr_assert_eq(mb_value_check(prop("MimeMap"), &v, err,
		    sizeof(err)), MB_BADVALUE, "empty string in a list");
	}
}

Test(metabase, value_format)
{
	struct mb_value	 v = { 1, NULL, 0, 0 };
	char		 buf[64], ml[64];

	cr_assert_eq(mb_value_format(prop("AllowKeepAlives"), &v, buf,
	    sizeof(buf)), 4);
	cr_assert_str_eq(buf, "TRUE");
	v.dword = 0;
	mb_value_format(prop("AllowKeepAlives"), &v, buf, sizeof(buf));
	cr_assert_str_eq(buf, "FALSE");
	v.dword = 4294967295u;
	mb_value_format(prop("MaxConnections"), &v, buf, sizeof(buf));
	cr_assert_str_eq(buf, "4294967295");
	v = list(ml, sizeof(ml), (const char *[]){ ":80:a", ":81:", NULL });
	cr_assert_eq(mb_value_format(prop("ServerBindings"), &v, buf,
	    sizeof(buf)), 10);
	cr_assert_str_eq(buf, ":80:a\n:81:");
	/* Like snprintf: the length it needed, the text cut and ended. */
	cr_assert_eq(mb_value_format(prop("ServerBindings"), &v, buf, 4), 10);
	cr_assert_str_eq(buf, ":80");
	/* Found by fuzz_schema: asking the length with no buffer, as with
	 * snprintf(NULL, 0, ...), did arithmetic on a null pointer. */
	cr_assert_eq(mb_value_format(prop("ServerBindings"), &v, NULL, 0),
	    10);
	cr_assert_eq(mb_value_format(prop("MaxConnections"), &v, NULL, 0), 1);
}

/* Parsing text as mbctl takes it. */

Test(metabase, set_text_bool)
{
	static const char *const t[] = { "TRUE", "true", "1" };
	static const char *const f[] = { "FALSE", "false", "0" };
	int	 i;

	for (i = 0; i < 3; i++) {
		set_ok("/LM/W3SVC", "AllowKeepAlives", f[i]);
		begin();
		cr_assert_eq(get("/LM/W3SVC", "AllowKeepAlives").dword, 0);
		set_ok("/LM/W3SVC", "AllowKeepAlive", t[i]);
		begin();
		cr_assert_eq(get("/LM/W3SVC", "AllowKeepAlives").dword, 1);
	}
	cr_assert_eq(set("/LM/W3SVC", "AllowKeepAlives", "yes"), MB_BADVALUE);
	cr_assert(strstr(mb_errdetail(mb), "'yes'") != NULL, "%s",
	    mb_errdetail(mb));
	cr_assert_eq(set("/LM/W3SVC", "AllowKeepAlives", "2"), MB_BADVALUE);
	cr_assert_eq(set("/LM/W3SVC", "AllowKeepAlives", ""), MB_BADVALUE);
	cr_assert_eq(mb_prop_set_text(mb, "/LM/W3SVC",
	    prop("AllowKeepAlives"), 0, NULL), MB_BADVALUE);
}

Test(metabase, set_text_dword)
{
	begin();
	set_ok("/LM/W3SVC", "ConnectionTimeout", "300");
	begin();
	cr_assert_eq(get("/LM/W3SVC", "ConnectionTimeout").dword, 300);
	set_ok("/LM/W3SVC", "ConnectionTimeout", "0x12D");
	begin();
	cr_assert_eq(get("/LM/W3SVC", "ConnectionTimeout").dword, 301);
	set_ok("/LM/W3SVC", "ConnectionTimeout", "0Xff");
	begin();
	cr_assert_eq(get("/LM/W3SVC", "ConnectionTimeout").dword, 255);
	/* Decimal, not C's octal. */
	set_ok("/LM/W3SVC", "ConnectionTimeout", "010");
	begin();
	cr_assert_eq(get("/LM/W3SVC", "ConnectionTimeout").dword, 10);
	set_ok("/LM/W3SVC", "MaxKeepAliveRequests", "4294967295");
	cr_assert_eq(set("/LM/W3SVC", "MaxKeepAliveRequests", "4294967296"),
	    MB_BADVALUE);
	cr_assert_eq(set("/LM/W3SVC", "ConnectionTimeout", "86401"),
	    MB_BADVALUE);
	cr_assert_eq(set("/LM/W3SVC", "ConnectionTimeout", "0"), MB_BADVALUE);
	cr_assert_eq(set("/LM/W3SVC", "ConnectionTimeout", "-1"),
	    MB_BADVALUE);
	cr_assert_eq(set("/LM/W3SVC", "ConnectionTimeout", "12abc"),
	    MB_BADVALUE);
	cr_assert_eq(set("/LM/W3SVC", "ConnectionTimeout", "0x"),
	    MB_BADVALUE);
	cr_assert_eq(set("/LM/W3SVC", "ConnectionTimeout", "0x-1"),
	    MB_BADVALUE);
	cr_assert_eq(set("/LM/W3SVC", "ConnectionTimeout", " 5"),
	    MB_BADVALUE);
	cr_assert_eq(set("/LM/W3SVC", "ConnectionTimeout", "AccessRead"),
	    MB_BADVALUE, "flag names only for flag properties");
	begin();
	cr_assert_eq(get("/LM/W3SVC", "ConnectionTimeout").dword, 10);
}

Test(metabase, set_text_flags)
{
	set_ok("/LM/W3SVC", "DirBrowseFlags",
	    "EnableDefaultDoc|EnableDirBrowsing");
	begin();
	cr_assert_eq(get("/LM/W3SVC", "DirBrowseFlags").dword,
	    MB_DIRBROW_LOADDEFAULT | MB_DIRBROW_ENABLED);
	set_ok("/LM/W3SVC", "DirBrowseFlags", "enabledefaultdoc");
	begin();
	cr_assert_eq(get("/LM/W3SVC", "DirBrowseFlags").dword,
	    MB_DIRBROW_LOADDEFAULT);
	set_ok("/LM/W3SVC", "AccessFlags", "AccessRead|AccessScript");
	set_ok("/LM/W3SVC", "LogExtFileFlags", "LogExtFileDate|LogExtFileTime");
	begin();
	cr_assert_eq(get("/LM/W3SVC", "AccessFlags").dword,
	    MB_ACCESS_READ | MB_ACCESS_SCRIPT);
	cr_assert_eq(get("/LM/W3SVC", "LogExtFileFlags").dword,
	    MB_LOG_DATE | MB_LOG_TIME);
	set_ok("/LM/W3SVC", "AccessFlags", "0x201");
	begin();
	cr_assert_eq(get("/LM/W3SVC", "AccessFlags").dword, 0x201);
	cr_assert_eq(set("/LM/W3SVC", "AccessFlags", "AccessRead|Bogus"),
	    MB_BADVALUE);
	cr_assert_eq(set("/LM/W3SVC", "AccessFlags", "AccessRead||AccessWrite"),
	    MB_BADVALUE);
	cr_assert_eq(set("/LM/W3SVC", "AccessFlags", "EnableDirBrowsing"),
	    MB_BADVALUE, "another property's flag");
	begin();
	cr_assert_eq(get("/LM/W3SVC", "AccessFlags").dword, 0x201);
}

Test(metabase, set_text_server_state)
{
	uint32_t	 id = site(0, "/srv/a", (const char *[]){ ":80:", NULL });
	char		 path[64];

	snprintf(path, sizeof(path), "/LM/W3SVC/%u", (unsigned)id);
	set_ok(path, "ServerState", "stopped");
	begin();
	cr_assert_eq(get(path, "ServerState").dword, MB_STATE_STOPPED);
	set_ok(path, "ServerState", "STARTED");
	begin();
	cr_assert_eq(get(path, "ServerState").dword, MB_STATE_STARTED);
	set_ok(path, "ServerState", "4");
	cr_assert_eq(set(path, "ServerState", "3"), MB_BADVALUE);
	cr_assert_eq(set(path, "ServerState", "paused"), MB_BADVALUE);
	begin();
	cr_assert_eq(get(path, "ServerState").dword, MB_STATE_STOPPED);
}

Test(metabase, set_text_strings_and_lists)
{
	char	*two[2] = { ".a,text/a", ".b,text/b" };
	struct mb_value	 v;

	site(1, "/srv/one", (const char *[]){ ":80:", NULL });
	set_ok("/LM/W3SVC/1", "ServerComment", "My Site");
	cr_assert_eq(mb_prop_set_text(mb, "/LM/W3SVC/1",
	    prop("ServerComment"), 2, two), MB_BADVALUE);
	cr_assert_eq(mb_prop_set_text(mb, "/LM/W3SVC/1/ROOT", prop("MimeMap"),
	    2, two), 0);
	begin();
	cr_assert_str_eq(get("/LM/W3SVC/1", "ServerComment").str, "My Site");
	v = get("/LM/W3SVC/1/ROOT", "MimeMap");
	cr_assert_eq(v.len, 20);
	cr_assert_eq(memcmp(v.str, ".a,text/a\0.b,text/b\0", 20), 0);
	/* No argument: an empty list, which is set, not absent. */
	cr_assert_eq(mb_prop_set_text(mb, "/LM/W3SVC/1/ROOT", prop("MimeMap"),
	    0, NULL), 0);
	begin();
	v = get("/LM/W3SVC/1/ROOT", "MimeMap");
	cr_assert_eq(v.len, 0);
	v = eff("/LM/W3SVC/1/ROOT", "MimeMap");
	cr_assert_eq(v.origin, (int)strlen("/LM/W3SVC/1/ROOT"));
	cr_assert_eq(v.len, 0);
	cr_assert_eq(set("/LM/W3SVC/1/ROOT", "HttpCustomHeaders", "Bad: x\n"),
	    MB_BADVALUE);
	cr_assert_eq(set("/LM/W3SVC/1/ROOT", "Path", "relative"), MB_BADVALUE);
}

/* Keys. */

Test(metabase, path_canon_and_kinds)
{
	static const char *const bad[] = { "/", "/XX", "/LMX", "/LM/Foo",
	    "/LM/W3SVC/abc", "/LM/W3SVC/0", "/LM/W3SVC/01",
	    "/LM/W3SVC/4294967296", "/LM/W3SVC/1/Foo", "/LM/MimeMap/x",
	    "/LM//W3SVC", "/LM/W3SVC/1/ROOT/../x", "/LM/W3SVC/1/ROOT/./x",
	    "/LM/W3SVC/1/ROOT/a\tb", "Foo", "W3SVC//1", NULL };
	char	 out[MB_MAXPATH + 1], big[MB_MAXPATH + 64];
	int	 i;

	cr_assert_eq(mb_path_canon("W3SVC/1/ROOT", out), MB_KIND_VDIR);
	cr_assert_str_eq(out, "/LM/W3SVC/1/ROOT");
	cr_assert_eq(mb_path_canon("/lm/w3svc", out), MB_KIND_SERVICE);
	cr_assert_str_eq(out, "/LM/w3svc");
	cr_assert_eq(mb_path_canon("/LM", out), MB_KIND_ROOT);
	cr_assert_str_eq(out, "/LM");
	cr_assert_eq(mb_path_canon("/LM/", out), MB_KIND_ROOT);
	cr_assert_str_eq(out, "/LM");
	cr_assert_eq(mb_path_canon("", out), MB_KIND_ROOT);
	cr_assert_str_eq(out, "/LM");
	cr_assert_eq(mb_path_canon("mimemap", out), MB_KIND_MIMEMAP);
	cr_assert_str_eq(out, "/LM/mimemap");
	cr_assert_eq(mb_path_canon("/LM/W3SVC/4294967295", out),
	    MB_KIND_SITE);
	cr_assert_eq(mb_path_canon("/LM/W3SVC/1/ROOT/a b/C/", out),
	    MB_KIND_VDIR);
	cr_assert_str_eq(out, "/LM/W3SVC/1/ROOT/a b/C");
	for (i = 0; bad[i] != NULL; i++)
		cr_assert_eq(mb_path_canon(bad[i], out), MB_BADKEY,
		    "'%s' taken", bad[i]);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "/LM/W3SVC/1/ROOT/", 17);
	for (i = 40; i < (int)sizeof(big) - 1; i += 40)
		big[i] = '/';
	cr_assert_eq(mb_path_canon(big, out), MB_BADKEY, "too long");
	cr_assert_eq(mb_key_create(mb, big), MB_BADKEY);
}

Test(metabase, keys_relative_absolute_and_case)
{
	struct paths	 ps = { .n = 0 };

	cr_assert_eq(mb_key_create(mb, "W3SVC/1/ROOT/Images"), 0);
	cr_assert_eq(mb_key_create(mb, "/lm/w3svc/1/root/IMAGES"), MB_EXISTS);
	/* The child of an existing key keeps its parents' stored case. */
	cr_assert_eq(mb_key_create(mb, "/lm/w3svc/1/root/images/Logos"), 0);
	begin();
	cr_assert_eq(mb_key_exists(mb, "/LM/W3SVC/1/ROOT/images"), 0);
	cr_assert_eq(mb_key_exists(mb, "w3svc/1/Root/IMAGES/logos"), 0);
	cr_assert_eq(mb_key_exists(mb, "/LM/W3SVC/1/ROOT/Image"), MB_NOTFOUND);
	cr_assert_eq(mb_key_walk(mb, "/LM/W3SVC/1/ROOT", collect, &ps), 0);
	assert_paths(&ps, (const char *[]){ "/LM/W3SVC/1/ROOT",
	    "/LM/W3SVC/1/ROOT/Images", "/LM/W3SVC/1/ROOT/Images/Logos",
	    NULL });
}

Test(metabase, key_errors)
{
	struct mb_value	 v = { 0, "x", 1, 0 };

	cr_assert_eq(mb_key_create(mb, "/XY/W3SVC"), MB_BADKEY);
	cr_assert_eq(mb_key_create(mb, "/LM/Foo"), MB_BADKEY);
	cr_assert_eq(mb_key_create(mb, "/LM/W3SVC/abc"), MB_BADKEY);
	cr_assert_neq(mb_errdetail(mb)[0], '\0');
	cr_assert_eq(mb_key_create(mb, "/LM/W3SVC"), MB_EXISTS);
	site(1, "/srv/one", (const char *[]){ ":80:", NULL });
	/* Properties on the wrong kind of key. */
	cr_assert_eq(mb_prop_set(mb, "/LM/W3SVC/1/ROOT",
	    prop("ServerComment"), &v), MB_BADKIND);
	cr_assert(strstr(mb_errdetail(mb), "ServerComment") != NULL);
	cr_assert_eq(set("/LM/W3SVC/1", "Path", "/srv"), MB_BADKIND);
	cr_assert_eq(set("/LM/W3SVC/1", "MaxWorkers", "5"), MB_BADKIND);
	cr_assert_eq(set("/LM/W3SVC/1/ROOT", "ConnectionTimeout", "5"),
	    MB_BADKIND);
	cr_assert_eq(set("/LM", "AllowKeepAlives", "1"), MB_BADKIND);
	cr_assert_eq(set("/LM", "MimeMap", ".a,text/a"), MB_BADKIND);
	cr_assert_eq(set("/LM/MimeMap", "AllowKeepAlives", "1"), MB_BADKIND);
	cr_assert_eq(set("/LM/W3SVC", "ServerBindings", ":80:"), MB_BADKIND);
	set_ok("/LM/MimeMap", "MimeMap", ".a,text/a");
	/* Missing keys. */
	cr_assert_eq(set("/LM/W3SVC/99", "ServerComment", "x"), MB_NOTFOUND);
	cr_assert_eq(set("/LM/W3SVC/1/ROOT/nope", "Path", "/x"), MB_NOTFOUND);
	cr_assert_eq(mb_key_delete(mb, "/LM/W3SVC/99"), MB_NOTFOUND);
	cr_assert_eq(mb_prop_delete(mb, "/LM/W3SVC/1", prop("ServerAutoStart")),
	    MB_NOTFOUND);
	/* Reads need a transaction. */
	cr_assert_eq(mb_key_exists(mb, "/LM"), MB_NOTXN);
	begin();
	cr_assert_eq(mb_key_exists(mb, "/LM/W3SVC/99"), MB_NOTFOUND);
	cr_assert_eq(mb_prop_get(mb, "/LM/W3SVC/99", prop("ServerComment"),
	    &v), MB_NOTFOUND);
	cr_assert_eq(mb_prop_effective(mb, "/LM/W3SVC/99",
	    prop("ServerComment"), &v), MB_NOTFOUND);
	cr_assert_eq(mb_prop_get(mb, "/LM/W3SVC/1", prop("ServerAutoStart"),
	    &v), MB_NOTFOUND);
	cr_assert_eq(mb_key_children(mb, "/LM/W3SVC/99", collect, NULL),
	    MB_NOTFOUND);
	mb_end(mb);
	cr_assert_eq(mb_prop_get(mb, "/LM/W3SVC/1", prop("ServerComment"),
	    &v), MB_NOTXN);
	cr_assert_eq(mb_txnid(mb), 0);
}

Test(metabase, create_makes_parents)
{
	cr_assert_eq(mb_key_create(mb, "/LM/W3SVC/7/ROOT/a/b/c"), 0);
	begin();
	cr_assert_eq(mb_key_exists(mb, "/LM/W3SVC/7"), 0);
	cr_assert_eq(mb_key_exists(mb, "/LM/W3SVC/7/ROOT"), 0);
	cr_assert_eq(mb_key_exists(mb, "/LM/W3SVC/7/ROOT/a"), 0);
	cr_assert_eq(mb_key_exists(mb, "/LM/W3SVC/7/ROOT/a/b"), 0);
	cr_assert_eq(mb_key_exists(mb, "/LM/W3SVC/7/ROOT/a/b/c"), 0);
	cr_assert_eq(mb_key_exists(mb, "/LM/W3SVC/7/ROOT/a/b/c/d"),
	    MB_NOTFOUND);
}

Test(metabase, delete_removes_subtree_properties_and_bindings)
{
	struct mb_value	 v;
	struct paths	 ps = { .n = 0 };
	int		 n = 0;

	site(1, "/srv/one", (const char *[]){ ":80:one.test", NULL });
	site(10, "/srv/ten", (const char *[]){ ":80:ten.test", NULL });
	cr_assert_eq(mb_key_create(mb, "/LM/W3SVC/1/ROOT/a/b"), 0);
	set_ok("/LM/W3SVC/1/ROOT/a/b", "DefaultDoc", "x.html");
	set_ok("/LM/W3SVC/1/ROOT/a", "DefaultDoc", "y.html");
	cr_assert_eq(mb_key_delete(mb, "/LM/W3SVC/1"), 0);
	begin();
	cr_assert_eq(mb_key_exists(mb, "/LM/W3SVC/1"), MB_NOTFOUND);
	cr_assert_eq(mb_key_exists(mb, "/LM/W3SVC/1/ROOT/a/b"), MB_NOTFOUND);
	assert_nosite("127.0.0.1", 80, "one.test");
	/* Site 10 sorts right after 1 and its subtree: it must survive. */
	cr_assert_eq(mb_key_exists(mb, "/LM/W3SVC/10/ROOT"), 0);
	assert_site("127.0.0.1", 80, "ten.test", 10);
	cr_assert_str_eq(get("/LM/W3SVC/10/ROOT", "Path").str, "/srv/ten");
	cr_assert_eq(mb_key_children(mb, "/LM/W3SVC", collect, &ps), 0);
	assert_paths(&ps, (const char *[]){ "/LM/W3SVC/10", NULL });
	/* A key made again where one was deleted starts empty. */
	cr_assert_eq(mb_key_create(mb, "/LM/W3SVC/1/ROOT/a/b"), 0);
	begin();
	cr_assert_eq(mb_prop_each(mb, "/LM/W3SVC/1", count_prop, &n), 0);
	cr_assert_eq(mb_prop_each(mb, "/LM/W3SVC/1/ROOT/a/b", count_prop,
	    &n), 0);
	cr_assert_eq(n, 0, "%d properties survived the delete", n);
	cr_assert_eq(mb_prop_get(mb, "/LM/W3SVC/1/ROOT/a", prop("DefaultDoc"),
	    &v), MB_NOTFOUND);
	/* Its bindings are free for another site. */
	site(2, "/srv/two", (const char *[]){ ":80:one.test", NULL });
	begin();
	assert_site("127.0.0.1", 80, "one.test", 2);
}

Test(metabase, lm_cannot_vanish)
{
	struct paths	 ps = { .n = 0 };
	int		 n = 0;

	set_ok("/LM/MimeMap", "MimeMap", ".a,text/a");
	site(1, "/srv/one", (const char *[]){ ":80:", NULL });
	cr_assert_eq(mb_key_delete(mb, "/LM"), 0);
	begin();
	cr_assert_eq(mb_key_exists(mb, "/LM"), 0);
	cr_assert_eq(mb_key_exists(mb, "/LM/W3SVC"), MB_NOTFOUND);
	cr_assert_eq(mb_key_exists(mb, "/LM/MimeMap"), MB_NOTFOUND);
	cr_assert_eq(mb_key_walk(mb, "/LM", collect, &ps), 0);
	assert_paths(&ps, (const char *[]){ "/LM", NULL });
	cr_assert_eq(mb_prop_each(mb, "/LM", count_prop, &n), 0);
	cr_assert_eq(n, 0);
	assert_nosite("127.0.0.1", 80, NULL);
	/* And mb_init() builds it again. */
	cr_assert_eq(mb_init(mb), 0);
	begin();
	cr_assert_eq(get("/LM/W3SVC", "ConnectionTimeout").dword, 120);
}

/* Enumeration. */

static void
make_tree(void)
{
	static const char *const keys[] = { "beta", "Alpha", "gamma",
	    "alpha-2", "Beta2", "Alpha/x", "beta/Y", "beta/y/z", NULL };
	char	 path[128];
	int	 i;

	site(1, "/srv/one", (const char *[]){ ":80:", NULL });
	for (i = 0; keys[i] != NULL; i++) {
		snprintf(path, sizeof(path), "/LM/W3SVC/1/ROOT/%s", keys[i]);
		cr_assert_eq(mb_key_create(mb, path), 0, "%s", path);
	}
}

Test(metabase, children_in_stable_sorted_order)
{
	struct paths	 ps = { .n = 0 }, again = { .n = 0 };
	struct paths	 stop = { .n = 0, .stop = 2 };

	make_tree();
	begin();
	cr_assert_eq(mb_key_children(mb, "/LM/W3SVC/1/ROOT", collect, &ps), 0);
	assert_paths(&ps, (const char *[]){ "/LM/W3SVC/1/ROOT/Alpha",
	    "/LM/W3SVC/1/ROOT/alpha-2", "/LM/W3SVC/1/ROOT/beta",
	    "/LM/W3SVC/1/ROOT/Beta2", "/LM/W3SVC/1/ROOT/gamma", NULL });
	cr_assert_eq(mb_key_children(mb, "/lm/w3svc/1/root", collect, &again),
	    0);
	cr_assert_eq(again.n, ps.n);
	cr_assert_eq(memcmp(again.p, ps.p, sizeof(ps.p)), 0);
	/* A non-zero return stops the walk and comes back. */
	cr_assert_eq(mb_key_children(mb, "/LM/W3SVC/1/ROOT", collect, &stop),
	    7);
	cr_assert_eq(stop.n, 2);
	memset(&ps, 0, sizeof(ps));
	cr_assert_eq(mb_key_children(mb, "/LM/W3SVC/1/ROOT/gamma", collect,
	    &ps), 0);
	cr_assert_eq(ps.n, 0);
}

Test(metabase, walk_puts_parents_before_children)
{
	struct paths	 ps = { .n = 0 };

	make_tree();
	begin();
	cr_assert_eq(mb_key_walk(mb, "/LM/W3SVC/1", collect, &ps), 0);
	assert_paths(&ps, (const char *[]){ "/LM/W3SVC/1",
	    "/LM/W3SVC/1/ROOT", "/LM/W3SVC/1/ROOT/Alpha",
	    "/LM/W3SVC/1/ROOT/Alpha/x", "/LM/W3SVC/1/ROOT/alpha-2",
	    "/LM/W3SVC/1/ROOT/beta", "/LM/W3SVC/1/ROOT/beta/Y",
	    "/LM/W3SVC/1/ROOT/beta/Y/z", "/LM/W3SVC/1/ROOT/Beta2",
	    "/LM/W3SVC/1/ROOT/gamma", NULL });
	memset(&ps, 0, sizeof(ps));
	cr_assert_eq(mb_key_walk(mb, "/LM", collect, &ps), 0);
	cr_assert_eq(ps.n, 13, "walk of /LM gave %d keys", ps.n);
	cr_assert_str_eq(ps.p[0], "/LM");
	cr_assert_str_eq(ps.p[1], "/LM/MimeMap");
	cr_assert_str_eq(ps.p[2], "/LM/W3SVC");
}

/* Inheritance. */

Test(metabase, own_value_and_inherited_value)
{
	struct mb_value	 v;

	site(1, "/srv/one", (const char *[]){ ":80:", NULL });
	set_ok("/LM/W3SVC/1", "ConnectionTimeout", "300");
	begin();
	v = eff("/LM/W3SVC/1", "ConnectionTimeout");
	cr_assert_eq(v.dword, 300);
	cr_assert_eq(v.origin, (int)strlen("/LM/W3SVC/1"));
	v = eff("/LM/W3SVC/1/ROOT", "ConnectionTimeout");
	cr_assert_eq(v.dword, 300);
	cr_assert_eq(v.origin, (int)strlen("/LM/W3SVC/1"));
	v = eff("/LM/W3SVC/1/ROOT", "AllowKeepAlives");
	cr_assert_eq(v.dword, 1);
	cr_assert_eq(v.origin, (int)strlen("/LM/W3SVC"));
	cr_assert_eq(mb_prop_get(mb, "/LM/W3SVC/1/ROOT",
	    prop("AllowKeepAlives"), &v), MB_NOTFOUND);
	/* Origins are prefix lengths of the path given, even relative. */
	v = eff("W3SVC/1/ROOT", "AllowKeepAlives");
	cr_assert_eq(v.origin, (int)strlen("W3SVC"));
	v = eff("w3svc/1/", "ConnectionTimeout");
	cr_assert_eq(v.origin, (int)strlen("w3svc/1"));
	v = get("W3SVC/1", "ConnectionTimeout");
	cr_assert_eq(v.origin, (int)strlen("W3SVC/1"));
}

Test(metabase, non_inherited_property_stays_put)
{
	struct mb_value	 v;

	site(1, "/srv/one", (const char *[]){ ":80:", NULL });
	set_ok("/LM/W3SVC/1", "ServerComment", "Site One");
	set_ok("/LM/W3SVC/1", "ServerState", "stopped");
	begin();
	v = eff("/LM/W3SVC/1", "ServerComment");
	cr_assert_str_eq(v.str, "Site One");
	v = eff("/LM/W3SVC/1/ROOT", "ServerComment");
	cr_assert_eq(v.origin, MB_ORIGIN_DEFAULT);
	cr_assert_str_eq(v.str, "");
	cr_assert_eq(v.len, 0);
	v = eff("/LM/W3SVC/1/ROOT", "ServerState");
	cr_assert_eq(v.origin, MB_ORIGIN_DEFAULT);
	cr_assert_eq(v.dword, MB_STATE_STARTED);
	/* Set on the service, MaxWorkers is not inherited by sites. */
	v = eff("/LM/W3SVC/1", "MaxWorkers");
	cr_assert_eq(v.origin, MB_ORIGIN_DEFAULT);
	v = eff("/LM/W3SVC", "MaxWorkers");
	cr_assert_eq(v.origin, (int)strlen("/LM/W3SVC"));
}

Test(metabase, mime_map_falls_back_to_lm_mimemap)
{
	struct mb_value	 v;
	const char	*s;
	int		 html = 0;

	site(1, "/srv/one", (const char *[]){ ":80:", NULL });
	begin();
	v = eff("/LM/W3SVC/1/ROOT", "MimeMap");
	cr_assert_eq(v.origin, MB_ORIGIN_MIMEMAP);
	MB_MULTISZ_FOREACH(s, &v)
		html += strcmp(s, ".html,text/html") == 0;
	cr_assert_eq(html, 1);
	set_ok("/LM/W3SVC/1", "MimeMap", ".x,text/x");
	begin();
	v = eff("/LM/W3SVC/1/ROOT", "MimeMap");
	cr_assert_eq(v.origin, (int)strlen("/LM/W3SVC/1"));
	cr_assert_str_eq(v.str, ".x,text/x");
	cr_assert_eq(mb_prop_delete(mb, "/LM/W3SVC/1", prop("MimeMap")), 0);
	cr_assert_eq(mb_prop_delete(mb, "/LM/MimeMap", prop("MimeMap")), 0);
	begin();
	v = eff("/LM/W3SVC/1/ROOT", "MimeMap");
	cr_assert_eq(v.origin, MB_ORIGIN_DEFAULT);
	cr_assert_eq(v.len, 0);
}

Test(metabase, schema_default_when_set_nowhere)
{
	struct mb_value	 v;

	site(1, "/srv/one", (const char *[]){ ":80:", NULL });
	begin();
	v = eff("/LM/W3SVC/1/ROOT", "HttpCustomHeaders");
	cr_assert_eq(v.origin, MB_ORIGIN_DEFAULT);
	cr_assert_eq(v.len, 0);
	cr_assert_eq(mb_prop_delete(mb, "/LM/W3SVC", prop("DefaultDoc")), 0);
	cr_assert_eq(mb_prop_delete(mb, "/LM/W3SVC",
	    prop("MaxKeepAliveRequests")), 0);
	begin();
	v = eff("/LM/W3SVC/1/ROOT", "DefaultDoc");
	cr_assert_eq(v.origin, MB_ORIGIN_DEFAULT);
	cr_assert_str_eq(v.str, mb_schema[MB_P_DEFAULTDOC].dflt_str);
	v = eff("/LM/W3SVC/1/ROOT", "MaxKeepAliveRequests");
	cr_assert_eq(v.origin, MB_ORIGIN_DEFAULT);
	cr_assert_eq(v.dword, 0);
}

Test(metabase, init_writes_service_defaults_and_is_idempotent)
{
	struct mb_value	 v;
	int		 i, n = 0;

	set_ok("/LM/W3SVC", "ConnectionTimeout", "300");
	cr_assert_eq(mb_init(mb), 0);
	begin();
	cr_assert_eq(get("/LM/W3SVC", "ConnectionTimeout").dword, 300,
	    "mb_init() overwrote a setting");
	for (i = 0; i < MB_NPROPS; i++) {
		const struct mb_prop *p = &mb_schema[i];

		if (!(p->kinds & MB_KIND_SERVICE) || p->type == MB_MULTISZ ||
		    (p->type == MB_STRING && p->dflt_str == NULL) ||
		    i == MB_P_CONNECTIONTIMEOUT)
			continue;
		v = get("/LM/W3SVC", p->name);
		if (p->type == MB_STRING)
			cr_assert_str_eq(v.str, p->dflt_str);
		else
			cr_assert_eq(v.dword, p->dflt, "%s", p->name);
		n++;
	}
	cr_assert_gt(n, 10);
}

/* mb_resolve(). */

static void
make_sites(void)
{
	site(1, "/srv/one", (const char *[]){ ":80:one.test", NULL });
	site(2, "/srv/two", (const char *[]){ ":80:two.test", NULL });
	cr_assert_eq(mb_key_create(mb, "/LM/W3SVC/1/ROOT/images"), 0);
	set_ok("/LM/W3SVC/1/ROOT/images", "AccessFlags", "AccessRead|AccessScript");
	set_ok("/LM/W3SVC/1/ROOT/images", "HttpCustomHeaders", "X-Img: 1");
	set_ok("/LM/W3SVC/1", "ConnectionTimeout", "30");
	set_ok("/LM/W3SVC/1", "ServerState", "stopped");
	set_ok("/LM/W3SVC/1/ROOT", "DefaultDoc", "home.html");
	cr_assert_eq(mb_key_create(mb, "/LM/W3SVC/1/ROOT/images/big"), 0);
	set_ok("/LM/W3SVC/1/ROOT/images/big", "Path", "/data/big");
}

Test(metabase, resolve_finds_deepest_key)
{
	const char	*url = "/LM/W3SVC/1/ROOT/images/logo.png";
	struct mb_props	 pr;
	size_t		 keylen = 0;

	make_sites();
	begin();
	cr_assert_eq(mb_resolve(mb, url, strlen(url), &pr, &keylen), 0);
	cr_assert_eq(keylen, strlen("/LM/W3SVC/1/ROOT/images"));
	cr_assert_str_eq(pr.v[MB_P_PATH].str, "/srv/one");
	cr_assert_eq(pr.v[MB_P_PATH].origin, (int)strlen("/LM/W3SVC/1/ROOT"));
	cr_assert_eq(pr.v[MB_P_ACCESSFLAGS].dword, 0x201);
	cr_assert_eq(pr.v[MB_P_ACCESSFLAGS].origin, (int)keylen);
	cr_assert_eq(pr.v[MB_P_CONNECTIONTIMEOUT].dword, 30);
	cr_assert_eq(pr.v[MB_P_CONNECTIONTIMEOUT].origin,
	    (int)strlen("/LM/W3SVC/1"));
	cr_assert_eq(pr.v[MB_P_ALLOWKEEPALIVES].origin,
	    (int)strlen("/LM/W3SVC"));
	cr_assert_str_eq(pr.v[MB_P_DEFAULTDOC].str, "home.html");
	cr_assert_eq(pr.v[MB_P_MIMEMAP].origin, MB_ORIGIN_MIMEMAP);
	/* ServerState is not inherited: at ROOT/images it is the default. */
	cr_assert_eq(pr.v[MB_P_SERVERSTATE].origin, MB_ORIGIN_DEFAULT);
	cr_assert_eq(pr.v[MB_P_SERVERSTATE].dword, MB_STATE_STARTED);
	/* A deeper vdir with its own Path. */
	url = "/LM/W3SVC/1/ROOT/images/big/a/b.bin";
	cr_assert_eq(mb_resolve(mb, url, strlen(url), &pr, &keylen), 0);
	cr_assert_eq(keylen, strlen("/LM/W3SVC/1/ROOT/images/big"));
	cr_assert_str_eq(pr.v[MB_P_PATH].str, "/data/big");
	cr_assert_eq(pr.v[MB_P_PATH].origin, (int)keylen);
	cr_assert_eq(pr.v[MB_P_HTTPCUSTOMHEADERS].origin,
	    (int)strlen("/LM/W3SVC/1/ROOT/images"));
	/* Only pathlen bytes count; case does not. */
	url = "/lm/w3svc/1/root/IMAGES/big";
	cr_assert_eq(mb_resolve(mb, url, strlen("/lm/w3svc/1/root/IMAGES"),
	    &pr, &keylen), 0);
	cr_assert_eq(keylen, strlen("/lm/w3svc/1/root/IMAGES"));
	/* The site itself: ServerState is its own. */
	url = "/LM/W3SVC/1";
	cr_assert_eq(mb_resolve(mb, url, strlen(url), &pr, &keylen), 0);
	cr_assert_eq(keylen, strlen(url));
	cr_assert_eq(pr.v[MB_P_SERVERSTATE].dword, MB_STATE_STOPPED);
	cr_assert_eq(pr.v[MB_P_SERVERSTATE].origin, (int)keylen);
}

Test(metabase, resolve_stops_where_keys_end)
{
	struct mb_props	 pr;
	size_t		 keylen = 0;
	const char	*url;

	make_sites();
	begin();
	url = "/LM/W3SVC/99/ROOT/x";
	cr_assert_eq(mb_resolve(mb, url, strlen(url), &pr, &keylen), 0);
	cr_assert_eq(keylen, strlen("/LM/W3SVC"));
	url = "/LM/W3SVC/1/ROOT/";
	cr_assert_eq(mb_resolve(mb, url, strlen(url), &pr, &keylen), 0);
	cr_assert_eq(keylen, strlen("/LM/W3SVC/1/ROOT"));
	url = "/LM/W3SVC/1/ROOT//images";
	cr_assert_eq(mb_resolve(mb, url, strlen(url), &pr, &keylen), 0);
	cr_assert_eq(keylen, strlen("/LM/W3SVC/1/ROOT"));
	/* A control byte is in no key name; '\1' must not act as '/'. */
	url = "/LM/W3SVC/1/ROOT/images\001big";
	cr_assert_eq(mb_resolve(mb, url, strlen(url), &pr, &keylen), 0);
	cr_assert_eq(keylen, strlen("/LM/W3SVC/1/ROOT"));
	url = "/XX/W3SVC";
	cr_assert_eq(mb_resolve(mb, url, strlen(url), &pr, &keylen),
	    MB_NOTFOUND);
	url = "/LMX";
	cr_assert_eq(mb_resolve(mb, url, strlen(url), &pr, &keylen),
	    MB_NOTFOUND);
	mb_end(mb);
	url = "/LM/W3SVC";
	cr_assert_eq(mb_resolve(mb, url, strlen(url), &pr, &keylen),
	    MB_NOTXN);
}

static void
assert_same_value(int pid, const struct mb_value *a, const struct mb_value *b,
    const char *path)
{
	const char	*name = mb_schema[pid].name;

	cr_assert_eq(a->origin, b->origin, "%s at %s: origin %d vs %d", name,
	    path, a->origin, b->origin);
	cr_assert_eq(a->len, b->len, "%s at %s: len", name, path);
	switch (mb_schema[pid].type) {
	case MB_BOOL:
	case MB_DWORD:
		cr_assert_eq(a->dword, b->dword, "%s at %s", name, path);
		break;
	case MB_STRING:
		cr_assert_str_eq(a->str, b->str, "%s at %s", name, path);
		break;
	case MB_MULTISZ:
		if (a->len > 0)
			cr_assert_eq(memcmp(a->str, b->str, a->len), 0,
			    "%s at %s", name, path);
		break;
	}
}

Test(metabase, resolve_equals_effective_for_every_property)
{
	static const char *const urls[] = { "/LM", "/LM/W3SVC",
	    "/LM/W3SVC/1", "/LM/W3SVC/1/ROOT", "/LM/W3SVC/1/ROOT/index.html",
	    "/LM/W3SVC/1/ROOT/images/a/b/c.png", "/LM/W3SVC/1/ROOT/images/big",
	    "/LM/W3SVC/2/ROOT/x", "/LM/MimeMap", "/LM/W3SVC/3/ROOT", NULL };
	struct mb_props	 pr;
	struct mb_value	 v;
	char		 key[MB_MAXPATH + 1];
	size_t		 keylen;
	int		 i, pid, pass;

	make_sites();
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			/* The same inside a write transaction. */
			cr_assert_eq(mb_write_begin(mb), 0);
			set_ok("/LM/W3SVC/2/ROOT", "AccessFlags", "0");
		} else
			begin();
		for (i = 0; urls[i] != NULL; i++) {
			cr_assert_eq(mb_resolve(mb, urls[i], strlen(urls[i]),
			    &pr, &keylen), 0, "%s", urls[i]);
			snprintf(key, sizeof(key), "%.*s", (int)keylen, urls[i]);
			for (pid = 0; pid < MB_NPROPS; pid++) {
				cr_assert_eq(mb_prop_effective(mb, key,
				    &mb_schema[pid], &v), 0);
				assert_same_value(pid, &pr.v[pid], &v, key);
			}
		}
	}
	mb_write_abort(mb);
}

/* Transactions. */

Test(metabase, abort_leaves_nothing)
{
	uint32_t	 id = 0;
	char		 buf[64];
	struct mb_value	 b = list(buf, sizeof(buf),
	    (const char *[]){ ":80:batch.test", NULL });

	cr_assert_eq(mb_write_begin(mb), 0);
	cr_assert_eq(mb_write_begin(mb), EBUSY);
	cr_assert_eq(mb_site_create(mb, &id, "batch", &b, "/srv/b"), 0);
	cr_assert_eq(mb_key_create(mb, "/LM/W3SVC/1/ROOT/x"), 0);
	set_ok("/LM/W3SVC/1/ROOT/x", "DefaultDoc", "x.html");
	set_ok("/LM/W3SVC", "ConnectionTimeout", "999");
	set_ok("/LM/W3SVC", "AllowKeepAlives", "FALSE");
	/* Reads inside the batch see its writes. */
	cr_assert_eq(get("/LM/W3SVC", "ConnectionTimeout").dword, 999);
	assert_site("10.0.0.1", 80, "batch.test", id);
	mb_write_abort(mb);
	cr_assert_eq(mb_write_commit(mb), MB_NOTXN);
	begin();
	cr_assert_eq(mb_key_exists(mb, "/LM/W3SVC/1"), MB_NOTFOUND);
	cr_assert_eq(get("/LM/W3SVC", "ConnectionTimeout").dword, 120);
	cr_assert_eq(get("/LM/W3SVC", "AllowKeepAlives").dword, 1);
	assert_nosite("10.0.0.1", 80, "batch.test");
}

Test(metabase, commit_makes_the_whole_batch_visible)
{
	uint64_t	 before;

	begin();
	before = mb_txnid(mb);
	cr_assert_eq(mb_write_begin(mb), 0);
	site(1, "/srv/one", (const char *[]){ ":80:one.test", NULL });
	set_ok("/LM/W3SVC", "ConnectionTimeout", "999");
	set_ok("/LM/W3SVC/1", "ServerComment", "one");
	cr_assert_eq(mb_write_commit(mb), 0);
	begin();
	cr_assert_gt(mb_txnid(mb), before);
	cr_assert_eq(get("/LM/W3SVC", "ConnectionTimeout").dword, 999);
	cr_assert_str_eq(get("/LM/W3SVC/1", "ServerComment").str, "one");
	cr_assert_str_eq(get("/LM/W3SVC/1/ROOT", "Path").str, "/srv/one");
	assert_site("10.0.0.1", 80, "one.test", 1);
}

Test(metabase, failed_change_alone_changes_nothing)
{
	char		 buf[64];
	struct mb_value	 v = list(buf, sizeof(buf),
	    (const char *[]){ ":80:b.test", ":80:a.test", NULL });

	site(1, "/srv/one", (const char *[]){ ":80:a.test", NULL });
	site(2, "/srv/two", (const char *[]){ ":80:c.test", NULL });
	/* Refused half way: after dropping c.test and adding b.test. */
	cr_assert_eq(mb_prop_set(mb, "/LM/W3SVC/2", prop("ServerBindings"),
	    &v), MB_CONFLICT);
	begin();
	assert_site("10.0.0.1", 80, "c.test", 2);
	assert_nosite("10.0.0.1", 80, "b.test");
	assert_site("10.0.0.1", 80, "a.test", 1);
}

/*
 * Fork a child that opens its own handle on the metabase, runs fn and
 * exits with its result.  The parent's handle is never touched there.
 */
static pid_t
child(int (*fn)(struct mb *, int), int arg, unsigned flags)
{
	struct mb	*cmb;
	pid_t		 pid;
	int		 rc;

	fflush(NULL);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid != 0)
		return pid;
	if (mb_open(&cmb, mbdir, flags) != 0)
		_exit(100);
	rc = fn(cmb, arg);
	mb_close(cmb);
	_exit(rc);
}

static int
write_timeout(struct mb *cmb, int n)
{
	struct mb_value	 v = { (uint32_t)n, NULL, 0, 0 };

	return mb_prop_set(cmb, "/LM/W3SVC", &mb_schema[MB_P_CONNECTIONTIMEOUT],
	    &v) != 0;
}

Test(metabase, snapshot_holds_until_next_begin)
{
	uint64_t	 id;

	begin();
	id = mb_txnid(mb);
	cr_assert_eq(get("/LM/W3SVC", "ConnectionTimeout").dword, 120);
	reap(child(write_timeout, 300, 0), "writer");
	/* The other process committed; this snapshot must not move. */
	cr_assert_eq(get("/LM/W3SVC", "ConnectionTimeout").dword, 120);
	cr_assert_eq(mb_begin(mb), 0);
	cr_assert_eq(get("/LM/W3SVC", "ConnectionTimeout").dword, 120,
	    "mb_begin() inside a snapshot must keep it");
	cr_assert_eq(mb_txnid(mb), id);
	mb_end(mb);
	begin();
	cr_assert_eq(get("/LM/W3SVC", "ConnectionTimeout").dword, 300);
	cr_assert_gt(mb_txnid(mb), id);
}

static int
readonly_worker(struct mb *cmb, int arg)
{
	struct mb_value	 v = { 1, NULL, 0, 0 };
	uint32_t	 id;

	(void)arg;
	if (mb_write_begin(cmb) != EACCES)
		return 1;
	if (mb_prop_set(cmb, "/LM/W3SVC", &mb_schema[MB_P_ALLOWKEEPALIVES],
	    &v) != EACCES)
		return 2;
	if (mb_begin(cmb) != 0)
		return 3;
	if (mb_site_find(cmb, 0, "10.1.1.1", 80, "one.test", 8, &id) != 0 ||
	    id != 1)
		return 4;
	if (mb_prop_get(cmb, "/LM/W3SVC", &mb_schema[MB_P_ALLOWKEEPALIVES],
	    &v) != 0 || v.dword != 0)
		return 5;
	mb_end(cmb);
	return 0;
}

Test(metabase, readonly_handle_reads_and_never_writes)
{
	site(1, "/srv/one", (const char *[]){ ":80:one.test", NULL });
	set_ok("/LM/W3SVC", "AllowKeepAlives", "FALSE");
	reap(child(readonly_worker, 0, MB_RDONLY), "read-only worker");
}

static int
writer_100(struct mb *cmb, int c)
{
	char		 path[64], doc[32];
	struct mb_value	 v;
	int		 i;

	for (i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), "/LM/W3SVC/1/ROOT/c%d/k%d", c, i);
		snprintf(doc, sizeof(doc), "c%di%d.html", c, i);
		v.dword = 0;
		v.str = doc;
		v.len = strlen(doc);
		v.origin = 0;
		if (mb_prop_set(cmb, path, &mb_schema[MB_P_DEFAULTDOC],
		    &v) != 0)
			return 1;
	}
	return 0;
}

Test(metabase, concurrent_writers_lose_nothing, .timeout = 120)
{
	char		 path[64], doc[32];
	pid_t		 pids[8];
	struct mb_value	 v;
	int		 c, i;

	site(1, "/srv/one", (const char *[]){ ":80:", NULL });
	cr_assert_eq(mb_write_begin(mb), 0);
	for (c = 0; c < 8; c++)
		for (i = 0; i < 100; i++) {
			snprintf(path, sizeof(path),
			    "/LM/W3SVC/1/ROOT/c%d/k%d", c, i);
			cr_assert_eq(mb_key_create(mb, path), 0);
		}
	cr_assert_eq(mb_write_commit(mb), 0);
	for (c = 0; c < 8; c++)
		pids[c] = child(writer_100, c, 0);
	for (c = 0; c < 8; c++)
		reap(pids[c], "writer");
	begin();
	for (c = 0; c < 8; c++)
		for (i = 0; i < 100; i++) {
			snprintf(path, sizeof(path),
			    "/LM/W3SVC/1/ROOT/c%d/k%d", c, i);
			snprintf(doc, sizeof(doc), "c%di%d.html", c, i);
			v = get(path, "DefaultDoc");
			cr_assert_str_eq(v.str, doc);
		}
}

/* Sites and bindings. */

Test(metabase, site_find_follows_iis_precedence)
{
	site(1, "/s", (const char *[]){ "127.0.0.1:80:a.test", NULL });
	site(2, "/s", (const char *[]){ ":80:a.test", NULL });
	site(3, "/s", (const char *[]){ "127.0.0.1:80:", NULL });
	site(4, "/s", (const char *[]){ ":80:", NULL });
	site(5, "/s", (const char *[]){ "[::1]:80:", "[::1]:80:v6.test",
	    NULL });
	begin();
	assert_site("127.0.0.1", 80, "a.test", 1);	/* ip+port+host */
	assert_site("10.0.0.1", 80, "a.test", 2);	/* *+port+host */
	assert_site("127.0.0.1", 80, "b.test", 3);	/* ip+port */
	assert_site("10.0.0.1", 80, "b.test", 4);	/* *+port */
	assert_site("127.0.0.1", 80, NULL, 3);
	assert_site("10.0.0.1", 80, NULL, 4);
	assert_site("127.0.0.1", 80, "A.Test", 1);
	assert_site("127.0.0.1", 80, "a.test.", 1);
	assert_site("10.0.0.1", 80, "A.TEST.", 2);
	assert_site("::1", 80, "a.test", 2);
	assert_site("::1", 80, "b.test", 5);
	assert_site("::1", 80, "V6.Test.", 5);
	assert_site("::2", 80, "v6.test", 4);
	assert_nosite("127.0.0.1", 81, "a.test");
	assert_nosite("127.0.0.1", 8080, NULL);
}

Test(metabase, site_find_exact_host_only)
{
	uint32_t	 id;

	site(1, "/s", (const char *[]){ ":8080:example.test", NULL });
	begin();
	assert_site("10.0.0.1", 8080, "example.test", 1);
	assert_nosite("10.0.0.1", 8080, "www.example.test");
	assert_nosite("10.0.0.1", 8080, "example.tes");
	assert_nosite("10.0.0.1", 8080, NULL);
	/* hostlen bytes only: the host need not end in a NUL. */
	cr_assert_eq(mb_site_find(mb, 0, "10.0.0.1", 8080, "example.test:8080",
	    12, &id), 0);
	cr_assert_eq(id, 1);
}

Test(metabase, binding_conflict_changes_nothing)
{
	struct bindlist	 before = { .n = 0 }, after = { .n = 0 };
	char		 buf[128];
	struct mb_value	 v;
	uint32_t	 id = 0;
	int		 i;

	site(1, "/s", (const char *[]){ ":80:a.test", "[::1]:80:", NULL });
	site(2, "/s", (const char *[]){ ":80:b.test", NULL });
	begin();
	cr_assert_eq(mb_binding_each(mb, collect_binding, &before), 0);
	/* A new site. */
	v = list(buf, sizeof(buf), (const char *[]){ ":81:", ":80:A.TEST",
	    NULL });
	cr_assert_eq(mb_site_create(mb, &id, "dup", &v, "/s"), MB_CONFLICT);
	cr_assert(strstr(mb_errdetail(mb), "site 1") != NULL, "%s",
	    mb_errdetail(mb));
	/* An existing one; the same binding spelled another way. */
	v = list(buf, sizeof(buf), (const char *[]){ ":82:",
	    "[0:0:0::1]:80:", NULL });
	cr_assert_eq(mb_prop_set(mb, "/LM/W3SVC/2", prop("ServerBindings"),
	    &v), MB_CONFLICT);
	begin();
	cr_assert_eq(mb_key_exists(mb, "/LM/W3SVC/3"), MB_NOTFOUND);
	v = get("/LM/W3SVC/2", "ServerBindings");
	cr_assert_str_eq(v.str, ":80:b.test");
	cr_assert_eq(mb_binding_each(mb, collect_binding, &after), 0);
	cr_assert_eq(after.n, before.n);
	for (i = 0; i < after.n; i++)
		cr_assert_str_eq(after.s[i], before.s[i]);
	assert_nosite("10.0.0.1", 81, NULL);
	assert_nosite("10.0.0.1", 82, NULL);
	assert_site("10.0.0.1", 80, "a.test", 1);
	assert_site("::1", 80, NULL, 1);
}

Test(metabase, new_bindings_free_the_old_ones)
{
	struct bindlist	 bl = { .n = 0 };

	site(1, "/s", (const char *[]){ ":80:a.test", "127.0.0.1:81:", NULL });
	site(2, "/s", (const char *[]){ ":80:b.test", NULL });
	set_ok("/LM/W3SVC/1", "ServerBindings", ":80:c.test");
	begin();
	assert_nosite("10.0.0.1", 80, "a.test");
	assert_nosite("127.0.0.1", 81, NULL);
	assert_site("10.0.0.1", 80, "c.test", 1);
	/* The freed binding is anyone's now. */
	set_ok("/LM/W3SVC/2", "ServerBindings", ":80:a.test");
	begin();
	assert_site("10.0.0.1", 80, "a.test", 2);
	assert_nosite("10.0.0.1", 80, "b.test");
	/* Deleting the property frees them too. */
	cr_assert_eq(mb_prop_delete(mb, "/LM/W3SVC/2", prop("ServerBindings")),
	    0);
	begin();
	assert_nosite("10.0.0.1", 80, "a.test");
	cr_assert_eq(mb_binding_each(mb, collect_binding, &bl), 0);
	cr_assert_eq(bl.n, 1);
	cr_assert_str_eq(bl.s[0], "|80|c.test=1");
}

Test(metabase, binding_each_in_stable_order)
{
	struct bindlist	 bl = { .n = 0 };

	site(2, "/s", (const char *[]){ ":80:B.test", "[::1]:443:", NULL });
	site(1, "/s", (const char *[]){ "10.0.0.1:80:", ":80:a.test", NULL });
	begin();
	cr_assert_eq(mb_binding_each(mb, collect_binding, &bl), 0);
	cr_assert_eq(bl.n, 4);
	/* By the canonical text: "10..." < ":80:..." < "[::1]...". */
	cr_assert_str_eq(bl.s[0], "10.0.0.1|80|=1");
	cr_assert_str_eq(bl.s[1], "|80|a.test=1");
	cr_assert_str_eq(bl.s[2], "|80|b.test=2");
	cr_assert_str_eq(bl.s[3], "::1|443|=2");
}

Test(metabase, site_create_ids)
{
	struct mb_value	 v;
	uint32_t	 id;
	char		 buf[64];
	struct mb_value	 b = list(buf, sizeof(buf),
	    (const char *[]){ NULL });

	cr_assert_eq(site(0, "/s1", (const char *[]){ ":80:1", NULL }), 1);
	cr_assert_eq(site(0, "/s2", (const char *[]){ ":80:2", NULL }), 2);
	cr_assert_eq(site(5, "/s5", (const char *[]){ ":80:5", NULL }), 5);
	cr_assert_eq(site(0, "/s3", (const char *[]){ ":80:3", NULL }), 3);
	cr_assert_eq(mb_key_delete(mb, "/LM/W3SVC/1"), 0);
	cr_assert_eq(site(0, "/s1b", (const char *[]){ ":80:1b", NULL }), 1);
	cr_assert_eq(site(0, "/s4", (const char *[]){ NULL }), 4);
	cr_assert_eq(site(0, "/s6", (const char *[]){ NULL }), 6);
	id = 5;
	cr_assert_eq(mb_site_create(mb, &id, "again", &b, "/s"), MB_EXISTS);
	id = 0;
	cr_assert_eq(mb_site_create(mb, &id, "bad", &b, "relative"),
	    MB_BADVALUE);
	begin();
	cr_assert_eq(mb_key_exists(mb, "/LM/W3SVC/7"), MB_NOTFOUND);
	cr_assert_str_eq(get("/LM/W3SVC/5", "ServerComment").str, "site 5");
	cr_assert_str_eq(get("/LM/W3SVC/5/ROOT", "Path").str, "/s5");
	cr_assert_eq(get("/LM/W3SVC/5", "ServerState").dword,
	    MB_STATE_STARTED);
	v = get("/LM/W3SVC/5", "ServerBindings");
	cr_assert_eq(v.len, strlen(":80:5") + 1);
	assert_site("10.0.0.1", 80, "5", 5);
	assert_site("10.0.0.1", 80, "1b", 1);
	assert_nosite("10.0.0.1", 80, "1");
}

/* Backup and restore. */

Test(metabase, backup_change_restore)
{
	char		 file[PATH_MAX + 16], junk[PATH_MAX + 16];
	char		 buf[20000];
	size_t		 len;
	char		*data;

	site(1, "/srv/one", (const char *[]){ ":80:one.test", NULL });
	set_ok("/LM/W3SVC", "ConnectionTimeout", "300");
	snprintf(file, sizeof(file), "%s/backup.mdb", tmp);
	cr_assert_eq(mb_backup(mb, file), 0, "%s", mb_errdetail(mb));
	/* Change everything. */
	cr_assert_eq(mb_key_delete(mb, "/LM/W3SVC/1"), 0);
	site(2, "/srv/two", (const char *[]){ ":80:two.test", NULL });
	set_ok("/LM/W3SVC", "ConnectionTimeout", "5");
	cr_assert_eq(mb_restore(mb, file), 0, "%s", mb_errdetail(mb));
	begin();
	cr_assert_eq(get("/LM/W3SVC", "ConnectionTimeout").dword, 300);
	cr_assert_str_eq(get("/LM/W3SVC/1/ROOT", "Path").str, "/srv/one");
	cr_assert_eq(mb_key_exists(mb, "/LM/W3SVC/2"), MB_NOTFOUND);
	assert_site("10.0.0.1", 80, "one.test", 1);
	assert_nosite("10.0.0.1", 80, "two.test");
	/* Neither junk nor a cut copy replaces anything. */
	memset(buf, 'j', sizeof(buf));
	snprintf(junk, sizeof(junk), "%s/junk.mdb", tmp);
	write_file(junk, buf, sizeof(buf));
	cr_assert_eq(mb_restore(mb, junk), MB_DAMAGED);
	data = read_file(file, &len);
	cr_assert_gt(len, 16384);
	write_file(junk, data, 12288);
	free(data);
	cr_assert_eq(mb_restore(mb, junk), MB_DAMAGED);
	snprintf(junk, sizeof(junk), "%s/missing.mdb", tmp);
	cr_assert_eq(mb_restore(mb, junk), ENOENT);
	begin();
	assert_site("10.0.0.1", 80, "one.test", 1);
	cr_assert_eq(get("/LM/W3SVC", "ConnectionTimeout").dword, 300);
}

/* Opening. */

Test(metabase, open_missing_says_mbctl_init)
{
	struct mb	*m = (struct mb *)1;
	char		 dir[PATH_MAX + 16];

	snprintf(dir, sizeof(dir), "%s/nope", tmp);
	cr_assert_eq(mb_open(&m, dir, 0), MB_NOMETABASE);
	cr_assert_null(m);
	cr_assert(strstr(mb_errdetail(NULL), "mbctl init") != NULL, "%s",
	    mb_errdetail(NULL));
	cr_assert(strstr(mb_strerror(MB_NOMETABASE), "mbctl init") != NULL);
	cr_assert_eq(mb_open(&m, dir, MB_RDONLY), MB_NOMETABASE);
	/* A directory without data.mdb holds no metabase either. */
	cr_assert_eq(mkdir(dir, 0755), 0);
	cr_assert_eq(mb_open(&m, dir, 0), MB_NOMETABASE);
	cr_assert_null(m);
}

static void
assert_damaged(const char *dir)
{
	struct mb	*m;
	int		 rc;

	rc = mb_open(&m, dir, 0);
	cr_assert_eq(rc, MB_DAMAGED, "%s: %s", mb_strerror(rc),
	    mb_errdetail(NULL));
	cr_assert_null(m);
	cr_assert_neq(mb_errdetail(NULL)[0], '\0');
	rc = mb_open(&m, dir, MB_RDONLY);
	cr_assert_eq(rc, MB_DAMAGED, "read-only: %s: %s", mb_strerror(rc),
	    mb_errdetail(NULL));
}

Test(metabase, open_garbage_is_damaged)
{
	char		 dir[PATH_MAX], file[PATH_MAX + 16];
	static char	 junk[65536];
	unsigned	 x = 12345;
	size_t		 i;

	for (i = 0; i < sizeof(junk); i++) {
		x = x * 1103515245 + 12345;
		junk[i] = (char)(x >> 16);
	}
	snprintf(dir, sizeof(dir), "%s/junk", tmp);
	cr_assert_eq(mkdir(dir, 0755), 0);
	snprintf(file, sizeof(file), "%s/data.mdb", dir);
	write_file(file, junk, sizeof(junk));
	assert_damaged(dir);
	write_file(file, junk, 100);
	assert_damaged(dir);
	write_file(file, "", 0);
	assert_damaged(dir);
}

/* Make a metabase in tmp/<name> with n sites and close it. */
static void
make_other(const char *name, char *dir, size_t dirlen, int n)
{
	struct mb	*m;
	char		 buf[64], b[64];
	struct mb_value	 v;
	uint32_t	 id;
	int		 i;

	snprintf(dir, dirlen, "%s/%s", tmp, name);
	cr_assert_eq(mb_open(&m, dir, MB_CREATE), 0);
	if (n > 0) {
		cr_assert_eq(mb_init(m), 0);
		cr_assert_eq(mb_write_begin(m), 0);
	}
	for (i = 0; i < n; i++) {
		snprintf(b, sizeof(b), ":80:s%d.test", i);
		v = list(buf, sizeof(buf), (const char *[]){ b, NULL });
		id = i + 1;
		cr_assert_eq(mb_site_create(m, &id, "x", &v, "/srv/x"), 0);
	}
	if (n > 0)
		cr_assert_eq(mb_write_commit(m), 0);
	mb_close(m);
}

Test(metabase, open_truncated_is_damaged)
{
	char		 dir[PATH_MAX], file[PATH_MAX + 16];
	char		*data;
	size_t		 len;
	struct mb	*m;

	make_other("cut", dir, sizeof(dir), 300);
	snprintf(file, sizeof(file), "%s/data.mdb", dir);
	data = read_file(file, &len);
	cr_assert_gt(len, 65536);
	/* Whole pages, past the meta pages: LMDB's own checks pass. */
	/* Half of what LMDB uses, not of the hole padded after it. */
	write_file(file, data, (size_t)mbt_used_size(file) / 2 / 4096 * 4096);
	assert_damaged(dir);
	write_file(file, data, 16384 + 100);
	assert_damaged(dir);
	write_file(file, data, 5000);
	assert_damaged(dir);
	/* Given back its pages, it opens again: the test cut, not chance. */
	write_file(file, data, len);
	free(data);
	cr_assert_eq(mb_open(&m, dir, MB_RDONLY), 0, "%s", mb_errdetail(NULL));
	cr_assert_eq(mb_begin(m), 0);
	cr_assert_eq(mb_key_exists(m, "/LM/W3SVC/300/ROOT"), 0);
	mb_close(m);
}

/* Replace every from in the file by to, as long; returns how many. */
static int
patch_file(const char *file, const char *from, const char *to,
    const char *unless_next)
{
	char	*data, *p;
	size_t	 len, n = strlen(from);
	int	 count = 0;

	data = read_file(file, &len);
	for (p = data; p + n <= data + len; p++) {
		if (memcmp(p, from, n) != 0)
			continue;
		if (unless_next != NULL && p + n + strlen(unless_next) <=
		    data + len && memcmp(p + n, unless_next,
		    strlen(unless_next)) == 0)
			continue;
		memcpy(p, to, n);
		count++;
	}
	write_file(file, data, len);
	free(data);
	return count;
}

Test(metabase, open_other_lmdb_is_damaged)
{
	char		 dir[PATH_MAX], file[PATH_MAX + 16];

	/*
	 * An LMDB environment without the "meta" database: a metabase's
	 * with that database renamed, since only metabase/ may use LMDB.
	 */
	make_other("other", dir, sizeof(dir), 0);
	snprintf(file, sizeof(file), "%s/data.mdb", dir);
	cr_assert_gt(patch_file(file, "meta", "mxta", "base"), 0);
	assert_damaged(dir);
	/* A metabase of another format. */
	make_other("format", dir, sizeof(dir), 0);
	snprintf(file, sizeof(file), "%s/data.mdb", dir);
	cr_assert_gt(patch_file(file, "mbhttpd-metabase-1",
	    "mbhttpd-metabase-9", NULL), 0);
	assert_damaged(dir);
}

Test(metabase, reopen_keeps_everything)
{
	site(1, "/srv/one", (const char *[]){ ":80:one.test", NULL });
	set_ok("/LM/W3SVC/1/ROOT", "DefaultDoc", "a.html");
	mb_close(mb);
	cr_assert_eq(mb_open(&mb, mbdir, MB_RDONLY), 0);
	begin();
	cr_assert_str_eq(get("/LM/W3SVC/1/ROOT", "DefaultDoc").str, "a.html");
	assert_site("10.0.0.1", 80, "one.test", 1);
}

Test(metabase, strerror_covers_every_code)
{
	int	 rc;

	for (rc = MB_NOTXN; rc <= MB_NOTFOUND; rc++) {
		cr_assert_not_null(mb_strerror(rc));
		cr_assert_neq(mb_strerror(rc)[0], '\0');
		cr_assert_null(strstr(mb_strerror(rc), "Unknown"), "%d", rc);
	}
	cr_assert_neq(mb_strerror(ENOENT)[0], '\0');
}

/* The manual. */

Test(metabase, man_page_documents_every_property)
{
	const char		*src = getenv("MBT_SRCDIR");
	const struct mb_flagname *f;
	char			 file[PATH_MAX], entry[128];
	char			*man, *p;
	size_t			 len, n;
	int			 i;

	snprintf(file, sizeof(file), "%s/man/metabase.5",
	    src != NULL && *src != '\0' ? src : ".");
	man = read_file(file, &len);
	for (i = 0; i < MB_NPROPS; i++) {
		/* ".It Cm Name" alone on its line, or before more macros. */
		n = (size_t)snprintf(entry, sizeof(entry), "\n.It Cm %s",
		    mb_schema[i].name);
		for (p = strstr(man, entry); p != NULL;
		    p = strstr(p + 1, entry))
			if (p[n] == '\n' || p[n] == ' ')
				break;
		cr_assert_not_null(p, "%s has no '.It Cm %s' entry in %s",
		    mb_schema[i].name, mb_schema[i].name, file);
		if (mb_schema[i].alias != NULL) {
			n = (size_t)snprintf(entry, sizeof(entry), "Cm %s",
			    mb_schema[i].alias);
			for (p = strstr(man, entry); p != NULL;
			    p = strstr(p + 1, entry))
				if (!isalnum((unsigned char)p[n]))
					break;
			cr_assert_not_null(p, "alias %s undocumented",
			    mb_schema[i].alias);
		}
		snprintf(entry, sizeof(entry), "%u", (unsigned)mb_schema[i].id);
		cr_assert_not_null(strstr(man, entry), "id of %s",
		    mb_schema[i].name);
		for (f = mb_schema[i].flags; f != NULL && f->name != NULL;
		    f++) {
			snprintf(entry, sizeof(entry), "\n.It Cm %s",
			    f->name);
			cr_assert_not_null(strstr(man, entry),
			    "flag %s of %s undocumented", f->name,
			    mb_schema[i].name);
		}
	}
	free(man);
}

/* Found in review: a backup never harms what it writes over. */
Test(metabase, backup_never_destroys_its_target)
{
	char		 own[PATH_MAX + 16], file[PATH_MAX + 16];
	struct stat	 st;

	site(1, "/srv/one", (const char *[]){ ":80:one.test", NULL });
	/* The metabase's own data file is refused, and stays whole. */
	snprintf(own, sizeof(own), "%s/data.mdb", mbdir);
	cr_assert_neq(mb_backup(mb, own), 0);
	cr_assert_neq(mb_errdetail(mb)[0], '\0');
	begin();
	assert_site("10.0.0.1", 80, "one.test", 1);
	mb_end(mb);
	/* An existing file is replaced whole, with the backup's mode. */
	snprintf(file, sizeof(file), "%s/old.mdb", tmp);
	write_file(file, "precious", 8);
	cr_assert_eq(chmod(file, 0644), 0);
	cr_assert_eq(mb_backup(mb, file), 0, "%s", mb_errdetail(mb));
	cr_assert_eq(stat(file, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
	cr_assert_gt(st.st_size, 8);
	/* A target that cannot be written leaves the old file alone. */
	snprintf(file, sizeof(file), "%s/nodir/x.mdb", tmp);
	cr_assert_neq(mb_backup(mb, file), 0);
}

/* Found in review: one spelling for each value. */
Test(metabase, values_have_one_spelling)
{
	char	*two[2];
	int	 rc;

	cr_assert_eq(set("/LM/W3SVC", "ConnectionTimeout", "0x0x10"),
	    MB_BADVALUE);
	cr_assert_eq(set("/LM/W3SVC", "ConnectionTimeout", "0x"), MB_BADVALUE);
	set_ok("/LM/W3SVC", "ConnectionTimeout", "0x10");
	cr_assert_eq(set("/LM/W3SVC", "AccessFlags", "AccessRead|"),
	    MB_BADVALUE);
	cr_assert_eq(set("/LM/W3SVC", "AccessFlags", "AccessRead||AccessWrite"),
	    MB_BADVALUE);
	cr_assert_eq(mb_key_create(mb, "/LM/W3SVC/1"), 0);
	/* The same binding twice, spelt differently, is one binding. */
	two[0] = ":80:a.test";
	two[1] = ":80:A.TEST";
	rc = mb_prop_set_text(mb, "/LM/W3SVC/1", prop("ServerBindings"), 2,
	    two);
	cr_assert_eq(rc, MB_BADVALUE);
	two[0] = "[::1]:80:";
	two[1] = "[0::1]:80:";
	rc = mb_prop_set_text(mb, "/LM/W3SVC/1", prop("ServerBindings"), 2,
	    two);
	cr_assert_eq(rc, MB_BADVALUE);
	cr_assert_eq(set("/LM/W3SVC/1", "ServerBindings", ":080:a.test"),
	    MB_BADVALUE);
}

/*
 * mb_stamp_changed(): a commit shows, reads do not, and quiet settles to
 * "no change" once the last commit is two seconds old.
 */
Test(metabase, stamp_sees_commits_not_reads)
{
	struct mb_stamp	 st;
	struct mb_value	 v;

	memset(&st, 0, sizeof(st));
	cr_assert_eq(mb_stamp_changed(mbdir, &st), 1, "first look");
	/* Quiet: after the settling time, nothing changed. */
	mbt_sleep_ms(2200);
	cr_assert_eq(mb_stamp_changed(mbdir, &st), 0, "quiet");
	cr_assert_eq(mb_begin(mb), 0);
	cr_assert_eq(mb_prop_effective(mb, "/LM/W3SVC",
	    prop("AllowKeepAlives"), &v), 0);
	mb_end(mb);
	cr_assert_eq(mb_stamp_changed(mbdir, &st), 0, "a read is no change");
	set_ok("/LM/W3SVC", "AllowKeepAlives", "FALSE");
	cr_assert_eq(mb_stamp_changed(mbdir, &st), 1, "a commit");
	/* A second commit within the same tick still shows. */
	set_ok("/LM/W3SVC", "AllowKeepAlives", "TRUE");
	cr_assert_eq(mb_stamp_changed(mbdir, &st), 1, "a second commit");
	/* No metabase there: "maybe", so the reader says what is wrong. */
	memset(&st, 0, sizeof(st));
	cr_assert_eq(mb_stamp_changed("/nonexistent/mb", &st), 1);
}
