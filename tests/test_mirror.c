/*
 * test_mirror.c - the tree as a farm shares it (metabase/mb_mirror.c),
 * suite mirror: dumps, applying a dump as one transaction, the farm
 * state, and the commit hook.  Two metabases in two directories stand
 * for two hosts; one process opens each environment once.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "mbt.h"
#include "metabase.h"

static struct mb	*a, *b;
static char		 tmp[1024];

static struct mb *
open_one(const char *name)
{
	char		 dir[PATH_MAX];
	struct mb	*mb;
	int		 rc;

	snprintf(dir, sizeof(dir), "%s/%s", tmp, name);
	rc = mb_open(&mb, dir, MB_CREATE);
	cr_assert_eq(rc, 0, "mb_open: %s", mb_errdetail(NULL));
	cr_assert_eq(mb_init(mb), 0, "mb_init: %s", mb_errdetail(mb));
	return mb;
}

static void
tm_init(void)
{
	const char	*t = getenv("TMPDIR");

	snprintf(tmp, sizeof(tmp), "%s/test_mirror.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	cr_assert_not_null(mkdtemp(tmp), "mkdtemp: %s", strerror(errno));
	a = open_one("a");
	b = open_one("b");
}

static void
tm_fini(void)
{
	mb_close(a);
	mb_close(b);
	mbt_rmtree(tmp);
}

TestSuite(mirror, .init = tm_init, .fini = tm_fini);

static void
set(struct mb *mb, const char *path, const char *name, const char *text)
{
	char	*argv[] = { (char *)text, NULL };
	int	 rc;

	rc = mb_key_create(mb, path);
	cr_assert(rc == 0 || rc == MB_EXISTS, "create %s: %s", path,
	    mb_errdetail(mb));
	rc = mb_prop_set_text(mb, path, mb_prop_find(name), 1, argv);
	cr_assert_eq(rc, 0, "set %s/%s %s: %s", path, name, text,
	    mb_errdetail(mb));
}

static char *
dump(struct mb *mb, size_t *len)
{
	char	*d;
	int	 rc;

	cr_assert_eq(mb_begin(mb), 0);
	rc = mb_mirror_dump(mb, &d, len);
	mb_end(mb);
	cr_assert_eq(rc, 0, "dump: %s", mb_strerror(rc));
	return d;
}

static uint32_t
dword(struct mb *mb, const char *path, const char *name)
{
	struct mb_value	 v;

	cr_assert_eq(mb_begin(mb), 0);
	cr_assert_eq(mb_prop_effective(mb, path, mb_prop_find(name), &v), 0);
	mb_end(mb);
	return v.dword;
}

/* Apply a's dump to b; returns what changed. */
static size_t
sync_ab(void)
{
	size_t	 len, n;
	char	*d = dump(a, &len);
	int	 rc;

	rc = mb_mirror_apply(b, d, len, &n);
	cr_assert_eq(rc, 0, "apply: %s", mb_errdetail(b));
	free(d);
	return n;
}

Test(mirror, apply_makes_the_tree_equal_and_keeps_host_values)
{
	char	*da, *db;
	size_t	 la, lb;

	set(a, "/LM/W3SVC/1", "ServerBindings", ":80:www.example.com");
	set(a, "/LM/W3SVC/1/ROOT", "Path", "/srv/www");
	/* A tab, a backslash and a newline travel escaped. */
	set(a, "/LM/W3SVC/1/ROOT", "HttpCustomHeaders", "X-A: 1\t\\2");
	set(a, "/LM/W3SVC/1", "ServerComment", "line\nbreak");
	set(a, "/LM/W3SVC", "MaxWorkers", "9");
	set(b, "/LM/W3SVC", "MaxWorkers", "3");
	set(b, "/LM/W3SVC/7", "ServerBindings", ":81:gone.example");
	set(b, "/LM/W3SVC/7/ROOT", "Path", "/srv/gone");

	cr_assert_gt(sync_ab(), 0);
	da = dump(a, &la);
	db = dump(b, &lb);
	cr_assert_str_eq(db, da);
	cr_assert_null(strstr(da, "\t57349\t"), "MaxWorkers is a host's own");
	cr_assert_not_null(strstr(da, "X-A: 1\\x09\\x5c2\\x00"));
	/* Each host keeps its own pool size. */
	cr_assert_eq(dword(b, "/LM/W3SVC", "MaxWorkers"), 3);
	cr_assert_eq(dword(a, "/LM/W3SVC", "MaxWorkers"), 9);
	cr_assert_eq(mb_begin(b), 0);
	cr_assert_eq(mb_key_exists(b, "/LM/W3SVC/7"), MB_NOTFOUND);
	mb_end(b);
	/* Again: nothing to do. */
	cr_assert_eq(sync_ab(), 0);
	free(da);
	free(db);
}

Test(mirror, two_sites_swapping_bindings)
{
	uint32_t	 id;

	set(a, "/LM/W3SVC/1", "ServerBindings", ":80:one.example");
	set(a, "/LM/W3SVC/2", "ServerBindings", ":80:two.example");
	sync_ab();
	cr_assert_eq(mb_write_begin(a), 0);
	set(a, "/LM/W3SVC/1", "ServerBindings", ":80:spare.example");
	set(a, "/LM/W3SVC/2", "ServerBindings", ":80:one.example");
	set(a, "/LM/W3SVC/1", "ServerBindings", ":80:two.example");
	cr_assert_eq(mb_write_commit(a), 0, "%s", mb_errdetail(a));
	sync_ab();
	cr_assert_eq(mb_begin(b), 0);
	cr_assert_eq(mb_site_find(b, 0, "10.0.0.1", 80, "one.example", 11,
	    &id), 0);
	cr_assert_eq(id, 2);
	mb_end(b);
}

Test(mirror, a_bad_dump_changes_nothing)
{
	static const char *const bad[] = {
		"not a dump\n",
		MB_MIRROR_MAGIC "K /LM\nK /LM/W3SVC\nP /LM/W3SVC\t999999\t1\n",
		MB_MIRROR_MAGIC "K /LM\nP /LM/W3SVC\t1014\t1\n",
		MB_MIRROR_MAGIC "K /LM\nK /LM/W3SVC\nP /LM/W3SVC\t1014\tx\n",
		MB_MIRROR_MAGIC "K /LM\nK /LM/W3SVC\nP /LM/W3SVC\t1014\t1",
		MB_MIRROR_MAGIC "K /LM/W3SVC\n",
		MB_MIRROR_MAGIC "K /LM\nK /LM/W3SVC/1\nP /LM/W3SVC/1\t1015\t\\x4\n",
	};
	char	*before, *after;
	size_t	 i, lb, la;
	int	 rc;

	set(b, "/LM/W3SVC/3", "ServerComment", "kept");
	before = dump(b, &lb);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = mb_mirror_apply(b, bad[i], strlen(bad[i]), NULL);
		cr_assert_eq(rc, MB_BADVALUE, "dump %zu: %d", i, rc);
		cr_assert_neq(mb_errdetail(b)[0], '\0');
	}
	after = dump(b, &la);
	cr_assert_str_eq(after, before);
	/* Unknown ids say what to do. */
	mb_mirror_apply(b, bad[1], strlen(bad[1]), NULL);
	cr_assert_not_null(strstr(mb_errdetail(b), "upgrade this host"));
	free(before);
	free(after);
}

Test(mirror, state_is_kept_with_the_transaction)
{
	struct mb_mirror_state	 st, got;

	cr_assert_eq(mb_begin(b), 0);
	cr_assert_eq(mb_mirror_state(b, &got), 0);
	mb_end(b);
	cr_assert_eq(got.rev, 0);
	memset(&st, 0, sizeof(st));
	st.rev = 1234567890123ull;
	st.time = 1765000000;
	snprintf(st.host, sizeof(st.host), "web2");
	cr_assert_eq(mb_write_begin(b), 0);
	cr_assert_eq(mb_mirror_set_state(b, &st), 0);
	mb_write_abort(b);
	cr_assert_eq(mb_begin(b), 0);
	cr_assert_eq(mb_mirror_state(b, &got), 0);
	mb_end(b);
	cr_assert_eq(got.rev, 0, "an aborted transaction keeps no state");
	cr_assert_eq(mb_write_begin(b), 0);
	cr_assert_eq(mb_mirror_set_state(b, &st), 0);
	cr_assert_eq(mb_write_commit(b), 0);
	cr_assert_eq(mb_begin(b), 0);
	cr_assert_eq(mb_mirror_state(b, &got), 0);
	mb_end(b);
	cr_assert_eq(got.rev, st.rev);
	cr_assert_eq(got.time, st.time);
	cr_assert_str_eq(got.host, "web2");
}

static int	hook_calls;

static int
refuse(void *arg, struct mb *mb, char *err, size_t errlen)
{
	(void)arg;
	(void)mb;
	hook_calls++;
	snprintf(err, errlen, "the farm said no");
	return -1;
}

Test(mirror, commit_hook_refuses_shared_changes_only)
{
	char	*refused[] = { "refused", NULL }, *twelve[] = { "12", NULL };
	int	 rc;

	set(a, "/LM/W3SVC/5", "ServerAutoStart", "TRUE");
	mb_set_commit_hook(a, refuse, NULL);
	rc = mb_prop_set_text(a, "/LM/W3SVC/5", mb_prop_find("ServerComment"),
	    1, refused);
	cr_assert_eq(rc, MB_REFUSED, "rc %d: %s", rc, mb_errdetail(a));
	cr_assert_str_eq(mb_errdetail(a), "the farm said no");
	cr_assert_eq(hook_calls, 1);
	cr_assert_eq(mb_begin(a), 0);
	{
		struct mb_value v;

		cr_assert_eq(mb_prop_get(a, "/LM/W3SVC/5",
		    mb_prop_find("ServerComment"), &v), MB_NOTFOUND);
	}
	mb_end(a);
	/* A host's own setting does not ask the farm. */
	cr_assert_eq(mb_prop_set_text(a, "/LM/W3SVC",
	    mb_prop_find("MaxWorkers"), 1, twelve), 0);
	cr_assert_eq(hook_calls, 1);
	cr_assert_eq(dword(a, "/LM/W3SVC", "MaxWorkers"), 12);
	mb_set_commit_hook(a, NULL, NULL);
}
