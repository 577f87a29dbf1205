/*
 * test_conf.c - conf/conf.c, the bootstrap file reader, suite conf.
 *
 * Each test writes its file in a fresh mkdtemp(3) directory.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "mbt.h"

#include "conf/conf.h"

static char	dir[PATH_MAX];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/mbt.XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

static void
teardown(void)
{
	mbt_rmtree(dir);
}

TestSuite(conf, .init = setup, .fini = teardown);

/* Load text from dir/name; the result of conf_load(), its message in err. */
static int
load(const char *name, const char *text, struct conf *cf, char *err,
    size_t errlen)
{
	char	path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_eq(mbt_write_file(path, text), 0);
	conf_init(cf);
	cr_assert_not_null(cf->file = strdup(path));
	cf->file_given = 1;
	cf->foreground = 1;
	return conf_load(cf, err, errlen);
}

Test(conf, example_loads)
{
	struct conf	cf;
	char		err[512];

	cr_assert_eq(load("mbhttpd.conf", "metabase = \"/srv/mb\";\n"
	    "error_log = \"/var/log/e.log\";\n", &cf, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_str_eq(cf.metabase, "/srv/mb");
	cr_assert_str_eq(cf.error_log, "/var/log/e.log");
	conf_release(&cf);
}

/*
 * Found by fuzz_conf: conf.h promises one line, but a value quoted in the
 * message (a user "a\nb", a file name with a newline) split it.
 */
Test(conf, error_is_one_line)
{
	struct conf	cf;
	char		err[512];

	cr_assert_eq(load("a\nb.conf", "metabase = ;\n", &cf, err,
	    sizeof(err)), -1);
	cr_assert_null(strchr(err, '\n'), "%s", err);
	cr_assert_not_null(strstr(err, "a?b.conf:1:"), "%s", err);
	conf_release(&cf);
	/* Only root looks users up. */
	if (geteuid() != 0)
		return;
	cr_assert_eq(load("user.conf", "user = \"no\\nbody\\t\";\n", &cf,
	    err, sizeof(err)), -1);
	cr_assert_null(strchr(err, '\n'), "%s", err);
	cr_assert_not_null(strstr(err, "unknown user 'no?body"), "%s", err);
	conf_release(&cf);
}
