/*
 * main.c - mbctl(8), the metabase administration tool: parse the global
 * options, find and open the metabase, run one command.
 */
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
	OPEN_RW			/* an existing metabase */
};

static const struct cmd {
	const char	*name;
	enum ctl_open	 open;
	int		(*fn)(struct ctl *, int, char **);
} cmds[] = {
	{ "init",	OPEN_CREATE,	cmd_init },
	{ "get",	OPEN_RW,	cmd_get },
	{ "set",	OPEN_RW,	cmd_set },
	{ "delete",	OPEN_RW,	cmd_delete },
	{ "enum",	OPEN_RW,	cmd_enum },
	{ "tree",	OPEN_RW,	cmd_tree },
	{ "create",	OPEN_RW,	cmd_create },
	{ "site",	OPEN_RW,	cmd_site },
	{ "export",	OPEN_RW,	cmd_export },
	{ "import",	OPEN_RW,	cmd_import },
	{ "backup",	OPEN_RW,	cmd_backup },
	{ "restore",	OPEN_RW,	cmd_restore },
	{ "schema",	OPEN_NONE,	cmd_schema },
};

static void	usage(void);
static void	on_sigbus(int);

static void
usage(void)
{
	fprintf(stderr,
	    "usage: mbctl [-m dir] init\n"
	    "       mbctl [-m dir] get key/property [--explain]\n"
	    "       mbctl [-m dir] set key/property [value ...]\n"
	    "       mbctl [-m dir] delete key[/property]\n"
	    "       mbctl [-m dir] enum key\n"
	    "       mbctl [-m dir] tree [key]\n"
	    "       mbctl [-m dir] create key\n"
	    "       mbctl [-m dir] site create --name name --binding ip:port:host"
	    " [--binding ...] --path dir [--id id]\n"
	    "       mbctl [-m dir] site list\n"
	    "       mbctl [-m dir] site start | stop | delete id\n"
	    "       mbctl [-m dir] export [key] [file]\n"
	    "       mbctl [-m dir] import file [--replace]\n"
	    "       mbctl [-m dir] backup file\n"
	    "       mbctl [-m dir] restore file\n"
	    "       mbctl schema\n");
}

/*
 * LMDB maps the whole file: a data.mdb truncated behind its back raises
 * SIGBUS at the first touch of a page past the end.  Die with a message
 * instead of a core; write(2) and _exit(2) are async-signal-safe.
 */
static void
on_sigbus(int sig)
{
	static const char msg[] =
	    "mbctl: metabase is damaged: data file shorter than its pages\n";
	ssize_t	n;

	(void)sig;
	n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)n;
	_exit(CTL_FAIL);
}

int
main(int argc, char *argv[])
{
	struct sigaction	 sa;
	struct ctl		 ctl;
	const struct cmd	*c = NULL;
	const char		*mopt = NULL;
	char			*dir = NULL;
	size_t			 i;
	int			 ch, rc, status;

	/*
	 * '+' (a GNU getopt extension; other getopts stop there anyway)
	 * ends the options at the command, so that "set K/P -5" and
	 * "get K/P --explain" reach the command untouched.
	 */
	while ((ch = getopt(argc, argv, "+m:")) != -1) {
		switch (ch) {
		case 'm':
			mopt = optarg;
			break;
		default:
			usage();
			return CTL_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage();
		return CTL_USAGE;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			c = &cmds[i];
	if (c == NULL) {
		ctl_errx("unknown command '%s'", argv[0]);
		usage();
		return CTL_USAGE;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);

	ctl.dir = NULL;
	ctl.mb = NULL;
	if (c->open != OPEN_NONE) {
		if (ctl_metabase_dir(mopt, &dir) == -1)
			return CTL_FAIL;
		ctl.dir = dir;
		rc = mb_open(&ctl.mb, dir,
		    c->open == OPEN_CREATE ? MB_CREATE : 0);
		if (rc == MB_NOMETABASE) {
			ctl_errx("no metabase in '%s'; create one with 'mbctl init'",
			    dir);
			free(dir);
			return CTL_FAIL;
		}
		if (rc != 0) {
			ctl_errx("cannot open metabase '%s': %s", dir,
			    mb_strerror(rc));
			free(dir);
			return CTL_FAIL;
		}
	}

	status = c->fn(&ctl, argc, argv);
	if (status == CTL_USAGE)
		usage();

	if (ctl.mb != NULL)
		mb_close(ctl.mb);
	free(dir);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		ctl_errx("cannot write output");
		if (status == CTL_OK)
			status = CTL_FAIL;
	}
	return status;
}
