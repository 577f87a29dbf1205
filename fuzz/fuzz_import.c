/*
 * fuzz_import.c - mbctl import's reader of libconfig text (admin/).
 *
 * The input is an import file.  It is imported with --replace, through
 * cmd_import() alone, into a metabase made once per process, so that each
 * input starts from much the same tree.  What an import accepts must
 * export, import again and export to the same bytes: export writes only
 * what import reads back.  mbctl's messages go to stderr; run with
 * -close_fd_mask=2 to keep them out of the log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metabase.h"
#include "admin/mbctl.h"
#include "fuzz/fuzz.h"

static struct ctl	 ctl;
static char		 dir[4096], in[4096], out1[4096], out2[4096];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "%s/mb", fuzz_tmpdir());
	snprintf(in, sizeof(in), "%s/in.conf", fuzz_tmpdir());
	snprintf(out1, sizeof(out1), "%s/out1.conf", fuzz_tmpdir());
	snprintf(out2, sizeof(out2), "%s/out2.conf", fuzz_tmpdir());
	if (mb_open(&ctl.mb, dir, MB_CREATE) != 0 || mb_init(ctl.mb) != 0)
		abort();
	ctl.dir = dir;
	mb_set_check(ctl_check_value);	/* as mbctl does */
}

static int
run(int (*cmd)(struct ctl *, int, char **), const char *a0, const char *a1,
    const char *a2)
{
	char	*argv[4];

	argv[0] = (char *)a0;
	argv[1] = (char *)a1;
	argv[2] = (char *)a2;
	argv[3] = NULL;
	return cmd(&ctl, 3, argv);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*fp;
	char	*buf;
	long	 n;

	if ((fp = fopen(path, "r")) == NULL || fseek(fp, 0, SEEK_END) != 0 ||
	    (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, fp) != (size_t)n)
		abort();
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*a, *b;
	size_t	 alen, blen;
	int	 rc;

	if (ctl.mb == NULL)
		setup();
	fuzz_write_file(in, data, size);
	rc = run(cmd_import, "import", in, "--replace");
	FUZZ_ASSERT(rc == CTL_OK || rc == CTL_FAIL);
	/* A failed import is one transaction aborted: nothing to check
	 * here that the next input would not see. */
	if (rc != CTL_OK)
		return 0;
	FUZZ_ASSERT(run(cmd_export, "export", "/LM", out1) == CTL_OK);
	FUZZ_ASSERT(run(cmd_import, "import", out1, "--replace") == CTL_OK);
	FUZZ_ASSERT(run(cmd_export, "export", "/LM", out2) == CTL_OK);
	a = slurp(out1, &alen);
	b = slurp(out2, &blen);
	FUZZ_ASSERT(alen == blen && memcmp(a, b, alen) == 0);
	free(a);
	free(b);
	return 0;
}
