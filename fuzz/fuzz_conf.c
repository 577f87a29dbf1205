/*
 * fuzz_conf.c - the bootstrap file reader (conf/conf.c).
 *
 * The input is an mbhttpd.conf.  conf_load() must take it or refuse it
 * with one line naming the file; what it takes has absolute paths, and
 * what it refuses leaves only the command-line fields.  Inputs holding
 * "@include" are skipped: an include reads a file the administrator
 * names, and a fuzzer naming /dev/stdin would only hang.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf/conf.h"
#include "fuzz/fuzz.h"

static char	file[4096];

/* Whether s[0..n) holds needle, compared without regard to case. */
static int
has(const uint8_t *s, size_t n, const char *needle)
{
	size_t	i, k = strlen(needle);

	for (i = 0; i + k <= n; i++)
		if (strncasecmp((const char *)s + i, needle, k) == 0)
			return 1;
	return 0;
}

static void
load(int foreground, const uint8_t *data, size_t size)
{
	struct conf	cf;
	char		err[1024];
	int		rc;

	conf_init(&cf);
	if ((cf.file = strdup(file)) == NULL)
		abort();
	cf.file_given = 1;
	cf.foreground = foreground;
	err[0] = '\0';
	rc = conf_load(&cf, err, sizeof(err));
	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc == 0) {
		FUZZ_ASSERT(cf.file_found);
		FUZZ_ASSERT(cf.metabase != NULL && cf.metabase[0] == '/');
		FUZZ_ASSERT(cf.pid_file != NULL ? cf.pid_file[0] == '/' :
		    foreground);
		FUZZ_ASSERT(cf.error_log == NULL || cf.error_log[0] == '/');
		FUZZ_ASSERT(geteuid() != 0 || (cf.user != NULL && cf.drop));
		if (!has(data, size, "metabase"))
			FUZZ_ASSERT(strcmp(cf.metabase, CONF_METABASE) == 0);
	} else {
		FUZZ_ASSERT(err[0] != '\0');
		FUZZ_ASSERT(strchr(err, '\n') == NULL);
		FUZZ_ASSERT(cf.metabase == NULL && cf.pid_file == NULL &&
		    cf.error_log == NULL && cf.user == NULL &&
		    cf.group == NULL);
		FUZZ_ASSERT(cf.file != NULL && strcmp(cf.file, file) == 0);
	}
	conf_release(&cf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (has(data, size, "@include"))
		return 0;
	if (file[0] == '\0')
		snprintf(file, sizeof(file), "%s/mbhttpd.conf", fuzz_tmpdir());
	fuzz_write_file(file, data, size);
	load(0, data, size);
	load(1, data, size);
	return 0;
}
