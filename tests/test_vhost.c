/*
 * test_vhost.c - server/vhost.c through its API, on a real metabase in a
 * fresh mkdtemp(3) directory per test: IIS's binding precedence, the
 * deepest key and the Path that apply to a URL, and opening files so
 * that nothing outside the site's folder is reached.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "metabase.h"
#include "mbt.h"
#include "server/worker/vhost.h"

static struct mbt_env	 env;	/* only dir: removed by mbt_teardown() */
static struct mb	*mb;
static char		 root[PATH_MAX];	/* dir/root: a site's folder */

static void
check_len(int n, size_t len)
{
	cr_assert(n >= 0 && (size_t)n < len, "string too long for %zu", len);
}

#define xsnprintf(buf, len, ...)					\
	check_len(snprintf((buf), (len), __VA_ARGS__), (len))

static void
setup(void)
{
	char	 tmpl[] = "/tmp/mbt.XXXXXX";
	char	 path[PATH_MAX];
	int	 rc;

	memset(&env, 0, sizeof(env));
	cr_assert_not_null(mkdtemp(tmpl), "mkdtemp: %s", strerror(errno));
	xsnprintf(env.dir, sizeof(env.dir), "%s", tmpl);
	xsnprintf(path, sizeof(path), "%s/metabase", env.dir);
	rc = mb_open(&mb, path, MB_CREATE);
	cr_assert_eq(rc, 0, "mb_open: %s", mb_strerror(rc));
	rc = mb_init(mb);
	cr_assert_eq(rc, 0, "mb_init: %s", mb_strerror(rc));
	xsnprintf(root, sizeof(root), "%s/root", env.dir);
	cr_assert_eq(mkdir(root, 0755), 0);
}

static void
teardown(void)
{
	vhost_flush();
	if (mb != NULL)
		mb_close(mb);
	mb = NULL;
	mbt_teardown(&env);
}

/*
 * No .timeout: Criterion 2.4 leaks its timeout record when a test ends
 * as fast as these do, which LeakSanitizer reports (make check).  The
 * one test that could hang sets an alarm of its own.
 */
TestSuite(vhost, .init = setup, .fini = teardown);

/* Create site id with one binding and ROOT's Path path. */
static void
site(uint32_t id, const char *binding, const char *path)
{
	struct mb_value	 v;
	char		 name[32];
	int		 rc;

	memset(&v, 0, sizeof(v));
	v.str = binding;
	v.len = strlen(binding) + 1;
	xsnprintf(name, sizeof(name), "site%u", (unsigned)id);
	rc = mb_site_create(mb, &id, name, &v, path);
	cr_assert_eq(rc, 0, "site %u (%s): %s", (unsigned)id, binding,
	    mb_strerror(rc));
}

/* Set a property as mbctl would. */
static void
set(const char *key, const char *prop, const char *value)
{
	char	*argv[1];
	int	 rc;

	argv[0] = (char *)value;
	rc = mb_prop_set_text(mb, key, mb_prop_find(prop), 1, argv);
	cr_assert_eq(rc, 0, "set %s/%s %s: %s", key, prop, value,
	    mb_strerror(rc));
}

static void
create(const char *key)
{
	int	 rc = mb_key_create(mb, key);

	cr_assert_eq(rc, 0, "create %s: %s", key, mb_strerror(rc));
}

/* The site vhost_match() finds, 0 for MB_NOTFOUND. */
static uint32_t
match(const char *ip, unsigned port, const char *host)
{
	static struct vhost	 vh;
	int			 rc;

	cr_assert_eq(mb_begin(mb), 0);
	rc = vhost_match(mb, 0, ip, port, host, host ? strlen(host) : 0, &vh);
	mb_end(mb);
	if (rc == MB_NOTFOUND)
		return 0;
	cr_assert_eq(rc, 0, "vhost_match: %s", mb_strerror(rc));
	return vh.site;
}

/*
 * vhost_match(): IIS's precedence.
 */

Test(vhost, match_follows_iis_precedence)
{
	site(1, "10.0.0.1:80:www.example.org", "/srv/1");
	site(2, ":80:www.example.org", "/srv/2");
	site(3, "10.0.0.1:80:", "/srv/3");
	site(4, ":80:", "/srv/4");

	/* ip+port+host */
	cr_assert_eq(match("10.0.0.1", 80, "www.example.org"), 1);
	cr_assert_eq(match("10.0.0.1", 80, "WWW.Example.ORG"), 1);
	/* *+port+host */
	cr_assert_eq(match("10.0.0.2", 80, "www.example.org"), 2);
	/* ip+port */
	cr_assert_eq(match("10.0.0.1", 80, "other.example.org"), 3);
	cr_assert_eq(match("10.0.0.1", 80, NULL), 3);
	/* *+port */
	cr_assert_eq(match("10.0.0.2", 80, "other.example.org"), 4);
	cr_assert_eq(match("10.0.0.2", 80, NULL), 4);
	/* Nothing on that port. */
	cr_assert_eq(match("10.0.0.1", 81, "www.example.org"), 0);
}

Test(vhost, match_without_fallback_is_notfound)
{
	site(1, "10.0.0.1:80:www.example.org", "/srv/1");
	site(2, ":80:www.example.net", "/srv/2");

	cr_assert_eq(match("10.0.0.1", 80, "www.example.org"), 1);
	cr_assert_eq(match("10.0.0.9", 80, "www.example.net"), 2);
	/* The host of site 1 on another address: no match (IIS's 400). */
	cr_assert_eq(match("10.0.0.2", 80, "www.example.org"), 0);
	cr_assert_eq(match("10.0.0.1", 80, "unknown.example.org"), 0);
	cr_assert_eq(match("10.0.0.1", 80, NULL), 0);
	/* A host name is not a prefix or a suffix match. */
	cr_assert_eq(match("10.0.0.1", 80, "www.example.org.evil"), 0);
	cr_assert_eq(match("10.0.0.1", 80, "example.org"), 0);
}

Test(vhost, match_reports_server_state)
{
	struct vhost	 vh;

	site(1, ":80:a.test", "/srv/1");
	site(2, ":80:b.test", "/srv/2");
	set("/LM/W3SVC/2", "ServerState", "stopped");

	cr_assert_eq(mb_begin(mb), 0);
	cr_assert_eq(vhost_match(mb, 0, "127.0.0.1", 80, "a.test", 6, &vh), 0);
	cr_assert_eq(vh.site, 1);
	cr_assert_eq(vh.state, MB_STATE_STARTED);
	/* A stopped site is still matched: the caller answers 503. */
	cr_assert_eq(vhost_match(mb, 0, "127.0.0.1", 80, "b.test", 6, &vh), 0);
	cr_assert_eq(vh.site, 2);
	cr_assert_eq(vh.state, MB_STATE_STOPPED);
	mb_end(mb);

	set("/LM/W3SVC/2", "ServerState", "started");
	cr_assert_eq(mb_begin(mb), 0);
	cr_assert_eq(vhost_match(mb, 0, "127.0.0.1", 80, "b.test", 6, &vh), 0);
	cr_assert_eq(vh.state, MB_STATE_STARTED);
	mb_end(mb);
}

/*
 * vhost_resolve(): the deepest key, the Path that applies, and the rest.
 */

static struct vhost	 rvh;

static int
resolve(uint32_t id, const char *path)
{
	int	 rc;

	memset(&rvh, 0, sizeof(rvh));
	rvh.site = id;
	cr_assert_eq(mb_begin(mb), 0);
	rc = vhost_resolve(mb, &rvh, path, strlen(path));
	/* The snapshot stays open: the strings point into it. */
	return rc;
}

static void
expect_resolve(uint32_t id, const char *path, const char *wroot,
    const char *wrel)
{
	int	 rc = resolve(id, path);

	cr_assert_eq(rc, 0, "resolve %s: %s", path, mb_strerror(rc));
	cr_assert_not_null(rvh.root);
	cr_assert_str_eq(rvh.root, wroot, "resolve %s: root", path);
	cr_assert_eq(rvh.rellen, strlen(wrel), "resolve %s: rel %.*s", path,
	    (int)rvh.rellen, rvh.rel);
	cr_assert_eq(memcmp(rvh.rel, wrel, rvh.rellen), 0,
	    "resolve %s: rel %.*s, expected %s", path, (int)rvh.rellen,
	    rvh.rel, wrel);
	mb_end(mb);
}

Test(vhost, resolve_maps_under_root_and_vdir)
{
	site(1, ":80:a.test", "/srv/www");
	create("/LM/W3SVC/1/ROOT/images");
	set("/LM/W3SVC/1/ROOT/images", "Path", "/srv/img");

	expect_resolve(1, "/", "/srv/www", "/");
	expect_resolve(1, "/index.html", "/srv/www", "/index.html");
	expect_resolve(1, "/a/b/c.txt", "/srv/www", "/a/b/c.txt");
	expect_resolve(1, "/images/logo.png", "/srv/img", "/logo.png");
	expect_resolve(1, "/images/x/y.png", "/srv/img", "/x/y.png");
	expect_resolve(1, "/images/", "/srv/img", "/");
	expect_resolve(1, "/images", "/srv/img", "/");
	/* Key names compare without regard to case. */
	expect_resolve(1, "/IMAGES/logo.png", "/srv/img", "/logo.png");
	/* A name that only starts like the vdir is not in it. */
	expect_resolve(1, "/imagesx/a.png", "/srv/www", "/imagesx/a.png");
}

Test(vhost, resolve_takes_settings_of_the_deepest_key)
{
	const struct mb_value	*v;

	site(1, ":80:a.test", "/srv/www");
	create("/LM/W3SVC/1/ROOT/images");
	set("/LM/W3SVC/1/ROOT/images", "Path", "/srv/img");
	create("/LM/W3SVC/1/ROOT/images/private");
	set("/LM/W3SVC/1/ROOT/images/private", "AccessFlags", "0");
	set("/LM/W3SVC/1/ROOT/images", "DefaultDoc", "images.htm");
	create("/LM/W3SVC/1/ROOT/docs");
	set("/LM/W3SVC/1/ROOT/docs", "DefaultDoc", "docs.htm");

	cr_assert_eq(resolve(1, "/images/private/a.png"), 0);
	/* A key without Path inherits its parent's, with its own name. */
	cr_assert_str_eq(rvh.root, "/srv/img");
	cr_assert_eq(rvh.rellen, strlen("/private/a.png"));
	cr_assert_eq(memcmp(rvh.rel, "/private/a.png", rvh.rellen), 0);
	cr_assert_eq(rvh.props.v[MB_P_ACCESSFLAGS].dword, 0);
	v = &rvh.props.v[MB_P_DEFAULTDOC];
	cr_assert_str_eq(v->str, "images.htm");
	mb_end(mb);

	cr_assert_eq(resolve(1, "/images/public/a.png"), 0);
	cr_assert_eq(rvh.props.v[MB_P_ACCESSFLAGS].dword & MB_ACCESS_READ,
	    MB_ACCESS_READ);
	mb_end(mb);

	cr_assert_eq(resolve(1, "/docs/deep/er/x.html"), 0);
	cr_assert_str_eq(rvh.root, "/srv/www");
	cr_assert_str_eq(rvh.props.v[MB_P_DEFAULTDOC].str, "docs.htm");
	mb_end(mb);

	cr_assert_eq(resolve(1, "/other.html"), 0);
	cr_assert_str_eq(rvh.props.v[MB_P_DEFAULTDOC].str,
	    mb_schema[MB_P_DEFAULTDOC].dflt_str);
	mb_end(mb);
}

Test(vhost, resolve_without_root_is_notfound)
{
	site(1, ":80:a.test", "/srv/www");
	cr_assert_eq(mb_key_delete(mb, "/LM/W3SVC/1/ROOT"), 0);
	cr_assert_eq(resolve(1, "/index.html"), MB_NOTFOUND);
	mb_end(mb);
	/* No such site at all. */
	cr_assert_eq(resolve(7, "/index.html"), MB_NOTFOUND);
	mb_end(mb);
}

/*
 * vhost_open(): inside the folder only.
 */

static void
file_at(const char *rel, const char *content)
{
	char	 path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/%s", root, rel);
	cr_assert_eq(mbt_write_file(path, content), 0, "write %s", path);
}

static void
link_at(const char *target, const char *rel)
{
	char	 path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/%s", root, rel);
	cr_assert_eq(symlink(target, path), 0, "symlink %s: %s", path,
	    strerror(errno));
}

/* vhost_open(root, rel) must give a regular file holding content. */
static void
expect_file(const char *rel, const char *content)
{
	struct stat	 st;
	char		 buf[256];
	ssize_t		 n;
	int		 fd;

	fd = vhost_open(root, rel, strlen(rel), &st);
	cr_assert_neq(fd, -1, "vhost_open %s: %s", rel, strerror(errno));
	cr_assert(S_ISREG(st.st_mode), "%s: not a regular file", rel);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	cr_assert_geq(n, 0);
	buf[n] = '\0';
	cr_assert_str_eq(buf, content, "%s: content", rel);
}

/* vhost_open(root, rel) must fail, with one of the errors of a link out. */
static void
expect_refused(const char *rel)
{
	struct stat	 st;
	int		 fd, e;

	errno = 0;
	fd = vhost_open(root, rel, strlen(rel), &st);
	e = errno;
	if (fd != -1)
		close(fd);
	cr_assert_eq(fd, -1, "vhost_open %s: opened a file outside", rel);
	cr_assert(e == EXDEV || e == ELOOP || e == ENOENT,
	    "vhost_open %s: errno %d (%s)", rel, e, strerror(e));
}

#define SECRET	"secret outside the root\n"

static void
outside(void)
{
	char	 path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/secret.txt", env.dir);
	cr_assert_eq(mbt_write_file(path, SECRET), 0);
}

Test(vhost, open_file_inside)
{
	file_at("a.txt", "a\n");
	file_at("sub/b.txt", "b\n");
	expect_file("/a.txt", "a\n");
	expect_file("/sub/b.txt", "b\n");
	expect_file("a.txt", "a\n");
}

Test(vhost, open_missing_is_enoent)
{
	struct stat	 st;

	file_at("a.txt", "a\n");
	errno = 0;
	cr_assert_eq(vhost_open(root, "/nope", 5, &st), -1);
	cr_assert_eq(errno, ENOENT);
	errno = 0;
	cr_assert_eq(vhost_open(root, "/a.txt/x", 8, &st), -1);
	cr_assert(errno == ENOTDIR || errno == ENOENT, "errno %d", errno);
}

Test(vhost, open_symlink_inside_works)
{
	file_at("a.txt", "a\n");
	file_at("sub/b.txt", "b\n");
	link_at("a.txt", "in-link");
	link_at("../a.txt", "sub/up-link");
	link_at("sub", "sub-link");
	expect_file("/in-link", "a\n");
	expect_file("/sub/up-link", "a\n");
	expect_file("/sub-link/b.txt", "b\n");
}

Test(vhost, open_symlink_outside_fails)
{
	char	 abs[PATH_MAX];

	outside();
	xsnprintf(abs, sizeof(abs), "%s/secret.txt", env.dir);
	file_at("sub/b.txt", "b\n");
	link_at("/etc/passwd", "passwd");
	link_at(abs, "abs-out");
	link_at("../secret.txt", "rel-out");
	link_at("../../secret.txt", "sub/rel-out");
	link_at(env.dir, "dir-out");
	link_at("..", "dotdot");
	expect_refused("/passwd");
	expect_refused("/abs-out");
	expect_refused("/rel-out");
	expect_refused("/sub/rel-out");
	expect_refused("/dir-out/secret.txt");
	expect_refused("/dotdot/secret.txt");
	/* Not a normalised path, but still nothing outside. */
	expect_refused("/../secret.txt");
	expect_refused("/sub/../../secret.txt");
}

Test(vhost, open_fifo_is_refused_without_hanging)
{
	struct stat	 st;
	char		 path[PATH_MAX];
	struct timespec	 t0, t1;
	int		 fd, e;

	xsnprintf(path, sizeof(path), "%s/fifo", root);
	cr_assert_eq(mkfifo(path, 0644), 0, "mkfifo: %s", strerror(errno));
	/* A hang in open(2) ends the test by SIGALRM: a crash, not a hang. */
	alarm(20);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	errno = 0;
	fd = vhost_open(root, "/fifo", 5, &st);
	e = errno;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (fd != -1)
		close(fd);
	cr_assert_eq(fd, -1, "a FIFO was opened");
	cr_assert(e == EACCES || e == ENOENT, "errno %d (%s)", e, strerror(e));
	cr_assert_lt(t1.tv_sec - t0.tv_sec, 5, "vhost_open hung on a FIFO");
	/* Nor through a link, nor as a default document. */
	link_at("fifo", "fifo-link");
	cr_assert_eq(vhost_open(root, "/fifo-link", 10, &st), -1);
	alarm(0);
}

Test(vhost, open_directory_as_directory)
{
	struct stat	 st;
	int		 fd, sub;

	file_at("sub/index.html", "index\n");
	fd = vhost_open(root, "/sub", 4, &st);
	cr_assert_neq(fd, -1, "vhost_open /sub: %s", strerror(errno));
	cr_assert(S_ISDIR(st.st_mode));
	/* Default documents are opened by their path below the root. */
	sub = vhost_open(root, "/sub/index.html", 15, &st);
	cr_assert_neq(sub, -1, "vhost_open: %s", strerror(errno));
	cr_assert(S_ISREG(st.st_mode));
	close(sub);
	close(fd);
	fd = vhost_open(root, "/", 1, &st);
	cr_assert_neq(fd, -1, "vhost_open /: %s", strerror(errno));
	cr_assert(S_ISDIR(st.st_mode));
	close(fd);
	fd = vhost_open(root, "/sub/", 5, &st);
	cr_assert_neq(fd, -1, "vhost_open /sub/: %s", strerror(errno));
	cr_assert(S_ISDIR(st.st_mode));
	close(fd);
}

Test(vhost, default_doc_paths_stay_inside)
{
	struct stat	 st;
	int		 fd;

	outside();
	file_at("sub/index.html", "index\n");
	file_at("common/page.html", "page\n");
	link_at("../../secret.txt", "sub/out.html");
	link_at("/etc/passwd", "sub/passwd.html");
	link_at("../common/page.html", "sub/in.html");
	errno = 0;
	cr_assert_eq(vhost_open(root, "/sub/out.html", 13, &st), -1,
	    "a link out of the root opened");
	cr_assert_eq(vhost_open(root, "/sub/passwd.html", 16, &st), -1,
	    "a link to /etc/passwd opened");
	/* A link to a sibling folder stays inside the root: it opens. */
	fd = vhost_open(root, "/sub/in.html", 12, &st);
	cr_assert_neq(fd, -1, "a link inside the root: %s", strerror(errno));
	cr_assert(S_ISREG(st.st_mode));
	close(fd);
}
