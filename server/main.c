/*
 * main.c - mbhttpd: parse the options, load the bootstrap file, run the
 * master.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "server/master/master.h"

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
