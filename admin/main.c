/*
 * main.c - mbctl(8), the metabase administration tool: parse the global
 * options, find and open the metabase, run one command.
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metabase.h"
#include "mbctl.h"

/* How a command wants the metabase. */
enum ctl_open {
	OPEN_NONE,		/* not at all */
	OPEN_CREATE,		/* created if missing: init */
	OPEN_RW,		/* an existing metabase, to change it */
	OPEN_RO,		/* an existing metabase, to read it */
	OPEN_SITE,		/* OPEN_RO for site list, else OPEN_RW */
	OPEN_HIST,		/* OPEN_RW for history --prune, else OPEN_RO */
	OPEN_DIR		/* only its directory: status */
};

static const struct cmd {
	const char	*name;
	enum ctl_open	 open;
	int		(*fn)(struct ctl *, int, char **);
} cmds[] = {
	{ "init",	OPEN_CREATE,	cmd_init },
	{ "get",	OPEN_RO,	cmd_get },
	{ "set",	OPEN_RW,	cmd_set },
	{ "delete",	OPEN_RW,	cmd_delete },
	{ "enum",	OPEN_RO,	cmd_enum },
	{ "tree",	OPEN_RO,	cmd_tree },
	{ "create",	OPEN_RW,	cmd_create },
	{ "site",	OPEN_SITE,	cmd_site },
	{ "export",	OPEN_RO,	cmd_export },
	{ "import",	OPEN_RW,	cmd_import },
	{ "backup",	OPEN_RO,	cmd_backup },
	{ "restore",	OPEN_RW,	cmd_restore },
	{ "history",	OPEN_HIST,	cmd_history },
	{ "diff",	OPEN_RO,	cmd_diff },
	{ "rollback",	OPEN_RW,	cmd_rollback },
	{ "schema",	OPEN_NONE,	cmd_schema },
	{ "status",	OPEN_DIR,	cmd_status },
	{ "user",	OPEN_SITE,	cmd_user },
};

static void	usage(const char *);
static int	set_actor(struct mb *, int, char **, const char *);
static void	on_fault(int);
static int	catch_faults(const char *);

/* The line on_fault() writes, made before the metabase is opened. */
static char	*fault_msg;
static size_t	 fault_len;

/* stderr's buffer: see main(). */
static char	 errbuf[BUFSIZ];

/* One line a form of a command, each after "mbctl [-m dir] ". */
static const char *const usages[] = {
	"init",
	"get key/property [--explain] [--secrets]",
	"set key/property [value ...]",
	"delete key[/property]",
	"enum key",
	"tree [key]",
	"create key",
	"site create --name name --binding ip:port:host [--binding ...] --path dir [--secure-binding ip:port:host ...] [--cert file --key file] [--id id] [--force]",
	"site list",
	"site start | stop | delete id",
	"export [key] [file] [--secrets] [--history]",
	"import file [--replace]",
	"backup file",
	"restore file",
	"history [key] [-n count] [--since time] [--json]",
	"history show seq",
	"history --prune count",
	"diff seq [seq2] [--export]",
	"rollback seq [--dry-run]",
	"status [--json | --prometheus]",
	"user add site[/path] name [--stdin]",
	"user delete site[/path] name",
	"user list site[/path]",
	"schema",
};

/* The forms of command cmd, or of every command if cmd is NULL. */
static void
usage(const char *cmd)
{
	const char	*lead = "usage:";
	size_t		 i, n = cmd != NULL ? strlen(cmd) : 0;

	for (i = 0; i < sizeof(usages) / sizeof(usages[0]); i++) {
		if (cmd != NULL && (strncmp(usages[i], cmd, n) != 0 ||
		    (usages[i][n] != ' ' && usages[i][n] != '\0')))
			continue;
		fprintf(stderr, "%s mbctl %s%s\n", lead,
		    strcmp(usages[i], "schema") == 0 ? "" :
		    "[-m dir] [-c message] ", usages[i]);
		lead = "      ";
	}
}

/*
 * A damaged data.mdb can make LMDB fault: a page past the end of a
 * truncated file is SIGBUS, a wild offset or length read from a page is
 * SIGSEGV, and a broken invariant fails one of its assertions (abort(3),
 * SIGABRT).  Die with one line instead of a core.  The line was made in
 * advance: write(2) and _exit(2) are async-signal-safe, and stdio is
 * not.  _exit() also drops what LMDB printed into stderr's buffer.
 */
static void
on_fault(int sig)
{
	ssize_t	n;

	(void)sig;
	n = write(STDERR_FILENO, fault_msg, fault_len);
	(void)n;
	_exit(CTL_FAIL);
}

static int
catch_faults(const char *dir)
{
	static const int	 sigs[] = { SIGBUS, SIGSEGV, SIGABRT };
	struct sigaction	 sa;
	size_t			 i;

	if ((fault_msg = ctl_msg("metabase '%s' is damaged", dir)) == NULL) {
		ctl_errx("out of memory");
		return -1;
	}
	fault_len = strlen(fault_msg);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	return 0;
}

/* A word as the shell would take it back: quoted when it needs to be. */
static size_t
quote_word(char *out, const char *w)
{
	const char	*s;
	size_t		 n = 0;

	if (w[0] != '\0' && strspn(w, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:,=@%+") == strlen(w)) {
		if (out != NULL)
			memcpy(out, w, strlen(w));
		return strlen(w);
	}
	if (out != NULL)
		out[n] = '\'';
	n++;
	for (s = w; *s != '\0'; s++) {
		if (*s == '\'') {
			if (out != NULL)
				memcpy(out + n, "'\\''", 4);
			n += 4;
		} else {
			if (out != NULL)
				out[n] = *s;
			n++;
		}
	}
	if (out != NULL)
		out[n] = '\'';
	return n + 1;
}

/*
 * Who and what the history records for the changes of this run: the
 * user running mbctl (and the one who ran sudo), and the command as
 * typed, without -m and -c.
 */
static int
set_actor(struct mb *mb, int argc, char **argv, const char *message)
{
	struct passwd	*pw;
	char		 uid[32], *cmd;
	const char	*user, *sudo;
	size_t		 n = 5;
	int		 i, rc;

	if ((pw = getpwuid(getuid())) != NULL)
		user = pw->pw_name;
	else {
		snprintf(uid, sizeof(uid), "%u", (unsigned)getuid());
		user = uid;
	}
	sudo = getenv("SUDO_USER");
	if (sudo != NULL && sudo[0] == '\0')
		sudo = NULL;
	for (i = 0; i < argc; i++)
		n += 1 + quote_word(NULL, argv[i]);
	if ((cmd = malloc(n + 1)) == NULL)
		return ENOMEM;
	memcpy(cmd, "mbctl", 5);
	n = 5;
	for (i = 0; i < argc; i++) {
		cmd[n++] = ' ';
		n += quote_word(cmd + n, argv[i]);
	}
	cmd[n] = '\0';
	rc = mb_set_actor(mb, user, sudo, cmd, message);
	free(cmd);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct ctl		 ctl;
	const struct cmd	*c = NULL;
	const char		*mopt = NULL, *copt = NULL, *detail;
	char			*dir = NULL;
	enum ctl_open		 how;
	size_t			 i;
	int			 ch, rc, status;

	/*
	 * Fully buffered, so that what LMDB prints before an assertion
	 * aborts it stays in the buffer and on_fault() drops it: every
	 * failure is one line.  ctl_errx() flushes each of our messages.
	 */
	setvbuf(stderr, errbuf, _IOFBF, sizeof(errbuf));
	mb_set_check(ctl_check_value);

	/*
	 * '+' (a GNU getopt extension; other getopts stop there anyway)
	 * ends the options at the command, so that "set K/P -5" and
	 * "get K/P --explain" reach the command untouched.
	 */
	while ((ch = getopt(argc, argv, "+m:c:")) != -1) {
		switch (ch) {
		case 'm':
			mopt = optarg;
			break;
		case 'c':
			copt = optarg;
			break;
		default:
			usage(NULL);
			return CTL_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(NULL);
		return CTL_USAGE;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			c = &cmds[i];
	if (c == NULL) {
		ctl_errx("unknown command '%s'", argv[0]);
		usage(NULL);
		return CTL_USAGE;
	}

	how = c->open;
	if (how == OPEN_SITE)
		how = argc >= 2 && strcmp(argv[1], "list") == 0 ?
		    OPEN_RO : OPEN_RW;
	if (how == OPEN_HIST) {
		how = OPEN_RO;
		for (i = 1; i < (size_t)argc; i++)
			if (strcmp(argv[i], "--prune") == 0)
				how = OPEN_RW;
	}

	ctl.dir = NULL;
	ctl.mb = NULL;
	if (how != OPEN_NONE) {
		if (ctl_metabase_dir(mopt, &dir) == -1)
			return CTL_FAIL;
		ctl.dir = dir;
	}
	if (how != OPEN_NONE && how != OPEN_DIR) {
		if (catch_faults(dir) == -1) {
			free(dir);
			return CTL_FAIL;
		}
		/*
		 * The commands that only read open the metabase read-only,
		 * so that whoever may read data.mdb (and write lock.mdb, as
		 * every LMDB reader must) can use them.
		 */
		rc = mb_open(&ctl.mb, dir, how == OPEN_CREATE ? MB_CREATE :
		    how == OPEN_RO ? MB_RDONLY : 0);
		if (rc != 0) {
			detail = mb_errdetail(NULL);
			if (rc == MB_NOMETABASE)
				ctl_errx("no metabase in '%s'; create one with 'mbctl init'",
				    dir);
			else if (detail != NULL && detail[0] != '\0')
				ctl_errx("%s", detail);
			else
				ctl_errx("cannot open metabase '%s': %s", dir,
				    mb_strerror(rc));
			free(dir);
			return CTL_FAIL;
		}
		if (how != OPEN_RO && set_actor(ctl.mb, argc, argv, copt) != 0) {
			ctl_errx("out of memory");
			mb_close(ctl.mb);
			free(dir);
			return CTL_FAIL;
		}
	}

	status = c->fn(&ctl, argc, argv);
	if (status == CTL_USAGE)
		usage(c->name);

	if (ctl.mb != NULL)
		mb_close(ctl.mb);
	free(dir);
	/* A failed command has said why already: one line, no more. */
	if ((fflush(stdout) == EOF || ferror(stdout)) && status == CTL_OK)
		status = ctl_errx("cannot write output: %s", strerror(errno));
	return status;
}
