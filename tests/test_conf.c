/*
 * test_conf.c - tests for conf/conf.c, suite conf.
 *
 * Real bootstrap files in a fresh mkdtemp(3) directory, read with
 * conf_load().  Who the test runs as decides what the file means (only
 * root looks up user and group), so the expectations are worked out here
 * from geteuid(2), getpwnam(3) and getgrnam(3).
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "conf/conf.h"
#include "mbt.h"

static char		 dir[PATH_MAX];
static char		 file[PATH_MAX + 32];	/* dir/mbhttpd.conf */
static struct conf	 cf;
static char		 err[1024];

static void
setup(void)
{
	char	 tmpl[] = "/tmp/mbt.XXXXXX";

	cr_assert_not_null(mkdtemp(tmpl), "mkdtemp: %s", strerror(errno));
	snprintf(dir, sizeof(dir), "%s", tmpl);
	snprintf(file, sizeof(file), "%s/mbhttpd.conf", dir);
	conf_init(&cf);
	cr_assert_not_null(cf.file = strdup(file));
	cf.file_given = 1;
	cf.foreground = 1;
	err[0] = '\0';
}

static void
teardown(void)
{
	conf_release(&cf);
	if (dir[0] != '\0')
		mbt_rmtree(dir);
}

TestSuite(conf, .init = setup, .fini = teardown);

static void
write_conf(const char *text)
{
	cr_assert_eq(mbt_write_file(file, text), 0, "%s: %s", file,
	    strerror(errno));
}

static void
load_ok(void)
{
	cr_assert_eq(conf_load(&cf, err, sizeof(err)), 0, "conf_load: %s",
	    err);
}

/* conf_load() fails with err "<file>:<line>: <what>". */
static void
load_fails_at(int line, const char *what)
{
	char	 want[2 * PATH_MAX];

	cr_assert_eq(conf_load(&cf, err, sizeof(err)), -1, "loaded");
	if (line > 0)
		snprintf(want, sizeof(want), "%s:%d: %s", file, line, what);
	else
		snprintf(want, sizeof(want), "%s", what);
	cr_assert_str_eq(err, want);
	/* "on failure cf keeps only its command-line fields" */
	cr_assert_str_eq(cf.file, file);
	cr_assert_null(cf.metabase);
	cr_assert_null(cf.pid_file);
	cr_assert_null(cf.error_log);
	cr_assert_null(cf.user);
	cr_assert_null(cf.group);
	cr_assert_eq(cf.drop, 0);
}

/* The name of the primary group of user, or NULL. */
static const char *
primary_group(const char *user)
{
	static char	 name[256];
	struct passwd	*pw;
	struct group	*gr;

	if ((pw = getpwnam(user)) == NULL || (gr = getgrgid(pw->pw_gid)) ==
	    NULL)
		return NULL;
	snprintf(name, sizeof(name), "%s", gr->gr_name);
	return name;
}

Test(conf, every_setting)
{
	struct passwd	*pw;
	struct group	*gr;
	char		 text[1024], user[256], group[256];

	/* Names that exist here: whoever runs the test. */
	cr_assert_not_null(pw = getpwuid(geteuid()));
	snprintf(user, sizeof(user), "%s", pw->pw_name);
	cr_assert_not_null(gr = getgrgid(getegid()));
	snprintf(group, sizeof(group), "%s", gr->gr_name);
	snprintf(text, sizeof(text),
	    "# mbhttpd.conf\n"
	    "metabase = \"/srv/mb\";\n"
	    "pid_file = \"/run/x.pid\";\n"
	    "error_log = \"/var/log/mbhttpd/error.log\";\n"
	    "user = \"%s\";\n"
	    "group = \"%s\";\n", user, group);
	write_conf(text);
	load_ok();
	cr_assert_eq(cf.file_found, 1);
	cr_assert_str_eq(cf.metabase, "/srv/mb");
	cr_assert_str_eq(cf.pid_file, "/run/x.pid");
	cr_assert_str_eq(cf.error_log, "/var/log/mbhttpd/error.log");
	cr_assert_str_eq(cf.user, user);
	cr_assert_str_eq(cf.group, group);
	if (geteuid() == 0) {
		cr_assert_eq(cf.drop, 1);
		cr_assert_eq(cf.uid, getpwnam(user)->pw_uid);
		cr_assert_eq(cf.gid, getgrnam(group)->gr_gid);
	} else {
		cr_assert_eq(cf.drop, 0);
		cr_assert_eq(cf.uid, (uid_t)-1);
		cr_assert_eq(cf.gid, (gid_t)-1);
	}
}

/* libconfig's syntax: '=' or ':', optional ';', comments, concatenation. */
Test(conf, libconfig_syntax)
{
	write_conf("// a comment\n"
	    "metabase: \"/srv/\" \"mb\"\n"
	    "/* pid_file = \"/no\"; */\n"
	    "error_log = \"/var/log/e.log\" # the error log\n");
	load_ok();
	cr_assert_str_eq(cf.metabase, "/srv/mb");
	cr_assert_null(cf.pid_file);
	cr_assert_str_eq(cf.error_log, "/var/log/e.log");
}

/* An empty file, or none where none was asked for: the defaults. */
static void
check_defaults(void)
{
	const char	*g;

	cr_assert_str_eq(cf.metabase, CONF_METABASE);
	cr_assert_null(cf.error_log);
	if (cf.foreground)
		cr_assert_null(cf.pid_file);
	else if (geteuid() == 0)
		cr_assert_str_eq(cf.pid_file, CONF_PIDFILE);
	else
		cr_assert_not_null(cf.pid_file);
	if (geteuid() != 0) {
		cr_assert_null(cf.user);
		cr_assert_null(cf.group);
		cr_assert_eq(cf.drop, 0);
		return;
	}
	cr_assert_str_eq(cf.user, CONF_USER);
	cr_assert_not_null(g = primary_group(CONF_USER));
	cr_assert_str_eq(cf.group, g);
	cr_assert_eq(cf.uid, getpwnam(CONF_USER)->pw_uid);
	cr_assert_eq(cf.gid, getpwnam(CONF_USER)->pw_gid);
	cr_assert_eq(cf.drop, 1);
}

Test(conf, empty_file_gives_defaults)
{
	if (geteuid() == 0 && getpwnam(CONF_USER) == NULL)
		cr_skip_test("no user " CONF_USER " here");
	write_conf("");
	load_ok();
	cr_assert_eq(cf.file_found, 1);
	check_defaults();
}

Test(conf, missing_default_file_gives_defaults)
{
	if (geteuid() == 0 && getpwnam(CONF_USER) == NULL)
		cr_skip_test("no user " CONF_USER " here");
	cf.file_given = 0;
	load_ok();
	cr_assert_eq(cf.file_found, 0);
	check_defaults();
	/* A daemon always has a pid file. */
	cf.foreground = 0;
	load_ok();
	check_defaults();
}

/* Not root: the pid file goes where this user can write. */
Test(conf, daemon_pid_file_of_a_user)
{
	char	 want[PATH_MAX + 32];

	cf.foreground = 0;
	cr_assert_eq(setenv("XDG_RUNTIME_DIR", dir, 1), 0);
	write_conf("");
	if (geteuid() == 0) {
		load_ok();
		cr_assert_str_eq(cf.pid_file, CONF_PIDFILE);
		return;
	}
	load_ok();
	snprintf(want, sizeof(want), "%s/mbhttpd.pid", dir);
	cr_assert_str_eq(cf.pid_file, want);
	cr_assert_eq(setenv("XDG_RUNTIME_DIR", "relative", 1), 0);
	load_ok();
	snprintf(want, sizeof(want), "/tmp/mbhttpd-%ld.pid", (long)getuid());
	cr_assert_str_eq(cf.pid_file, want);
}

Test(conf, missing_given_file_fails)
{
	char	 want[2 * PATH_MAX];

	cr_assert_not_null(cf.mb_arg = strdup("/m"));
	cr_assert_eq(conf_load(&cf, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "cannot open '%s': %s", file,
	    strerror(ENOENT));
	cr_assert_str_eq(err, want);
	cr_assert_str_eq(cf.mb_arg, "/m");
	cr_assert_null(cf.metabase);
}

/* A folder where the file should be: said so, not a scanner's error. */
Test(conf, folder_for_a_file_says_so)
{
	char	 want[2 * PATH_MAX];

	cr_assert_eq(mkdir(file, 0755), 0, "mkdir: %s", strerror(errno));
	cr_assert_eq(conf_load(&cf, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "cannot read '%s': %s", file,
	    strerror(EISDIR));
	cr_assert_str_eq(err, want);
	cr_assert_null(cf.metabase);
}

/* -m (or $MBHTTPD_METABASE) beats the file. */
Test(conf, metabase_argument_wins)
{
	write_conf("metabase = \"/from/file\";\n");
	cr_assert_not_null(cf.mb_arg = strdup("/from/argv"));
	load_ok();
	cr_assert_str_eq(cf.metabase, "/from/argv");
	cr_assert_str_eq(cf.mb_arg, "/from/argv");
}

Test(conf, syntax_error_names_the_line)
{
	write_conf("metabase = \"/a\";\n\nerror_log = ;\n");
	load_fails_at(3, "syntax error");
}

Test(conf, unknown_setting)
{
	write_conf("metabase = \"/a\";\nlisten = \"0.0.0.0:80\";\n");
	load_fails_at(2, "unknown setting 'listen'");
}

Test(conf, groups_are_unknown_settings)
{
	write_conf("metabase = \"/a\";\nserver = { user = \"x\"; };\n");
	load_fails_at(2, "unknown setting 'server'");
}

Test(conf, values_are_strings)
{
	write_conf("\nmetabase = 5;\n");
	load_fails_at(2, "metabase must be a string");
	write_conf("user = [\"a\", \"b\"];\n");
	load_fails_at(1, "user must be a string");
	write_conf("error_log = true;\n");
	load_fails_at(1, "error_log must be a string");
}

Test(conf, values_are_not_empty)
{
	write_conf("pid_file = \"/p\";\ngroup = \"\";\n");
	load_fails_at(2, "group must not be empty");
}

Test(conf, paths_are_absolute)
{
	write_conf("metabase = \"var/mb\";\n");
	load_fails_at(1, "metabase must be an absolute path");
	write_conf("pid_file = \"./x.pid\";\n");
	load_fails_at(1, "pid_file must be an absolute path");
	write_conf("error_log = \"error.log\";\n");
	load_fails_at(1, "error_log must be an absolute path");
}

/* A later setting of the same name is an error, not a silent override. */
Test(conf, setting_twice)
{
	write_conf("metabase = \"/a\";\nmetabase = \"/b\";\n");
	cr_assert_eq(conf_load(&cf, err, sizeof(err)), -1);
	cr_assert_eq(strncmp(err, file, strlen(file)), 0, "%s", err);
	cr_assert_eq(strncmp(err + strlen(file), ":2: ", 4), 0, "%s", err);
}

/* An included file's error names that file. */
Test(conf, error_in_an_included_file)
{
	char	 inc[PATH_MAX + 32], text[PATH_MAX + 64], want[2 * PATH_MAX];

	snprintf(inc, sizeof(inc), "%s/more.conf", dir);
	cr_assert_eq(mbt_write_file(inc, "\n\nbogus = \"x\";\n"), 0);
	snprintf(text, sizeof(text), "metabase = \"/a\";\n@include \"%s\"\n",
	    inc);
	write_conf(text);
	cr_assert_eq(conf_load(&cf, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:3: unknown setting 'bogus'", inc);
	cr_assert_str_eq(err, want);
}

/* Only root changes users: then a name must exist. */
Test(conf, unknown_user_and_group)
{
	char	 text[512];

	write_conf("metabase = \"/a\";\nuser = \"no-such-user-mbt\";\n");
	if (geteuid() != 0) {
		load_ok();
		cr_assert_str_eq(cf.user, "no-such-user-mbt");
		cr_assert_eq(cf.drop, 0);
		return;
	}
	cr_assert_null(getpwnam("no-such-user-mbt"));
	load_fails_at(2, "unknown user 'no-such-user-mbt'");
	snprintf(text, sizeof(text), "user = \"%s\";\n\n"
	    "group = \"no-such-group-mbt\";\n", getpwuid(0)->pw_name);
	write_conf(text);
	load_fails_at(3, "unknown group 'no-such-group-mbt'");
}

/* A user without a group runs with the user's primary group. */
Test(conf, group_defaults_to_the_users)
{
	struct passwd	*pw;
	char		 text[512], user[256];

	cr_assert_not_null(pw = getpwuid(geteuid()));
	snprintf(user, sizeof(user), "%s", pw->pw_name);
	snprintf(text, sizeof(text), "user = \"%s\";\n", user);
	write_conf(text);
	load_ok();
	if (geteuid() != 0) {
		cr_assert_null(cf.group);
		return;
	}
	cr_assert_str_eq(cf.group, primary_group(user));
	cr_assert_eq(cf.gid, getpwnam(user)->pw_gid);
}

/* SIGHUP: the same struct loaded again, from a changed file. */
Test(conf, reload)
{
	write_conf("metabase = \"/one\";\nerror_log = \"/e1\";\n");
	load_ok();
	cr_assert_str_eq(cf.metabase, "/one");
	write_conf("metabase = \"/two\";\npid_file = \"/p2\";\n");
	load_ok();
	cr_assert_str_eq(cf.metabase, "/two");
	cr_assert_str_eq(cf.pid_file, "/p2");
	cr_assert_null(cf.error_log);
	cr_assert_str_eq(cf.file, file);
	/* A broken file leaves nothing of the last one. */
	write_conf("metabase = \"two\";\n");
	load_fails_at(1, "metabase must be an absolute path");
	write_conf("metabase = \"/three\";\n");
	load_ok();
	cr_assert_str_eq(cf.metabase, "/three");
}

Test(conf, copy_args)
{
	struct conf	 dst;

	cr_assert_not_null(cf.mb_arg = strdup("/m"));
	cf.test = 1;
	cf.verbose = 2;
	write_conf("metabase = \"/a\";\n");
	load_ok();
	cr_assert_eq(conf_copy_args(&dst, &cf), 0);
	cr_assert_str_eq(dst.file, cf.file);
	cr_assert_neq(dst.file, cf.file);
	cr_assert_str_eq(dst.mb_arg, "/m");
	cr_assert_neq(dst.mb_arg, cf.mb_arg);
	cr_assert_eq(dst.file_given, 1);
	cr_assert_eq(dst.foreground, 1);
	cr_assert_eq(dst.test, 1);
	cr_assert_eq(dst.verbose, 2);
	/* Only the command line: the file's fields are for the reload. */
	cr_assert_null(dst.metabase);
	cr_assert_eq(dst.file_found, 0);
	cr_assert_eq(dst.uid, (uid_t)-1);
	conf_release(&dst);
	free(cf.mb_arg);
	cf.mb_arg = NULL;
	cr_assert_eq(conf_copy_args(&dst, &cf), 0);
	cr_assert_null(dst.mb_arg);
	conf_release(&dst);
	cr_assert_null(dst.file);
}

Test(conf, abspath)
{
	char	 cwd[PATH_MAX], want[PATH_MAX + 32];
	char	*p;

	cr_assert_not_null(p = conf_abspath("/etc/x.conf"));
	cr_assert_str_eq(p, "/etc/x.conf");
	free(p);
	cr_assert_eq(chdir(dir), 0);
	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	cr_assert_not_null(p = conf_abspath("x.conf"));
	snprintf(want, sizeof(want), "%s/x.conf", cwd);
	cr_assert_str_eq(p, want);
	free(p);
	cr_assert_not_null(p = conf_abspath("a/../b"));
	snprintf(want, sizeof(want), "%s/a/../b", cwd);
	cr_assert_str_eq(p, want);
	free(p);
	cr_assert_eq(chdir("/"), 0);
	cr_assert_not_null(p = conf_abspath("x.conf"));
	cr_assert_str_eq(p, "/x.conf");
	free(p);
}

/* An error is one line even when it quotes a file name or a value holding
 * control characters (found by fuzzing). */
Test(conf, error_is_one_line)
{
	char	 odd[PATH_MAX + 32];

	snprintf(odd, sizeof(odd), "%s/a\nb.conf", dir);
	cr_assert_eq(mbt_write_file(odd, "metabase = ;\n"), 0);
	free(cf.file);
	cr_assert_not_null(cf.file = strdup(odd));
	cr_assert_eq(conf_load(&cf, err, sizeof(err)), -1);
	cr_assert_null(strchr(err, '\n'), "%s", err);
	cr_assert_not_null(strstr(err, "a?b.conf:1:"), "%s", err);
	if (geteuid() != 0)
		return;		/* only root looks users up */
	free(cf.file);
	cr_assert_not_null(cf.file = strdup(file));
	write_conf("user = \"no\\nbody\\t\";\n");
	cr_assert_eq(conf_load(&cf, err, sizeof(err)), -1);
	cr_assert_null(strchr(err, '\n'), "%s", err);
	cr_assert_not_null(strstr(err, "unknown user 'no?body"), "%s", err);
}
