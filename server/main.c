/*
 * main.c - mbhttpd: parse the options, load the bootstrap file, run the
 * master.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "server/master/master.h"

/*
 * Close every descriptor above stderr that whoever started us left open:
 * a daemon keeps none it did not open itself.
 */
static void
close_inherited(void)
{
	struct dirent	*d;
	DIR		*dir;
	long		 fd, max;
	char		*end;

	if ((dir = opendir("/proc/self/fd")) == NULL) {
		max = sysconf(_SC_OPEN_MAX);
		for (fd = 3; fd < (max > 0 && max < 65536 ? max : 1024); fd++)
			close((int)fd);
		return;
	}
	while ((d = readdir(dir)) != NULL) {
		fd = strtol(d->d_name, &end, 10);
		if (*end == '\0' && end != d->d_name && fd > 2 &&
		    fd != dirfd(dir))
			close((int)fd);
	}
	closedir(dir);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: mbhttpd [-FtVv] [-f file] [-m metabase]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct conf	 cf;
	char		 err[4200];
	const char	*file = NULL, *mbdir = NULL, *env;
	int		 ch;

	close_inherited();
	/* Files we make (pid file, logs, the scoreboard) are 0644 at most. */
	umask(022);
	conf_init(&cf);
	while ((ch = getopt(argc, argv, "Ff:m:tVv")) != -1) {
		switch (ch) {
		case 'F':
			cf.foreground = 1;
			break;
		case 'f':
			file = optarg;
			break;
		case 'm':
			mbdir = optarg;
			break;
		case 't':
			cf.test = 1;
			break;
		case 'V':
			printf("mbhttpd %s\n", MBHTTPD_VERSION);
			conf_release(&cf);
			return 0;
		case 'v':
			cf.verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	/* As mbctl: -f, else $MBHTTPD_CONF; either must exist. */
	if (file == NULL && (env = getenv("MBHTTPD_CONF")) != NULL &&
	    env[0] != '\0')
		file = env;
	cf.file_given = file != NULL;
	/* $MBHTTPD_METABASE as -m, made absolute once: a daemon's reload
	 * runs in "/". */
	if (mbdir == NULL && (env = getenv("MBHTTPD_METABASE")) != NULL &&
	    env[0] != '\0')
		mbdir = env;
	if ((cf.file = conf_abspath(file ? file : CONF_FILE)) == NULL ||
	    (mbdir != NULL && (cf.mb_arg = conf_abspath(mbdir)) == NULL)) {
		fprintf(stderr, "mbhttpd: out of memory\n");
		conf_release(&cf);
		return 1;
	}
	if (conf_load(&cf, err, sizeof(err)) == -1) {
		fprintf(stderr, "mbhttpd: %s\n", err);
		conf_release(&cf);
		return 1;
	}
	ch = master_run(&cf);
	conf_release(&cf);
	return ch;
}
