/*
 * cmd_export.c - mbctl export: a subtree of the metabase as libconfig
 * text, which cmd_import.c reads back.
 *
 * The export format is libconfig text, written here by hand so that the
 * same metabase always gives the same bytes:
 *
 *	# mbhttpd metabase export
 *	root = "/LM/W3SVC";
 *	keys = (
 *		{
 *			key = "/LM/W3SVC";
 *			properties = {
 *				AllowKeepAlives = true;
 *				ConnectionTimeout = 120;
 *				DefaultDoc = "index.html";
 *			};
 *		},
 *		{
 *			key = "/LM/W3SVC/1";
 *			properties = {
 *				ServerBindings = [
 *					"127.0.0.1:8080:localhost"
 *				];
 *			};
 *		}
 *	);
 *
 * Keys come in mb_key_walk() order, properties in mb_prop_each() order.
 * BOOL is true or false, DWORD an integer (with libconfig's L suffix
 * above INT32_MAX, which a plain libconfig integer cannot hold), STRING a
 * string, MULTISZ an array of strings.  The properties sit in a group of
 * their own so that no property name can clash with "key".
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metabase.h"
#include "mbctl.h"

/*
 * Where export writes: a temporary file next to the target, renamed over
 * it once the whole text is out, so that a failure leaves what was there;
 * or, for a target that is no regular file (a device, a pipe, a symbolic
 * link such as /dev/stdout), the target itself, opened as it is.  A path
 * we did not create is never removed.
 */
struct out {
	const char	*file;		/* the target */
	char		 tmp[PATH_MAX];	/* the temporary file, or "" */
	FILE		*fp;
};

static void	put_string(FILE *, const char *);
static int	export_prop(void *, const struct mb_prop *,
		    const struct mb_value *);
static int	export_to(struct ctl *, const char *, FILE *);
static int	out_open(struct out *, const char *);
static int	out_close(struct out *, int);

/* A libconfig string literal; bytes above 0x7f pass as they are. */
static void
put_string(FILE *fp, const char *s)
{
	unsigned char	c;

	putc('"', fp);
	for (; (c = (unsigned char)*s) != '\0'; s++) {
		switch (c) {
		case '"':
		case '\\':
			putc('\\', fp);
			putc(c, fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		case '\r':
			fputs("\\r", fp);
			break;
		case '\f':
			fputs("\\f", fp);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(fp, "\\x%02x", c);
			else
				putc(c, fp);
		}
	}
	putc('"', fp);
}

/* --secrets: write the properties that hold password hashes too. */
static int	 export_secrets;

static int
export_prop(void *arg, const struct mb_prop *p, const struct mb_value *v)
{
	FILE		*fp = arg;
	const char	*s, *sep = "";

	if ((p->pflags & MB_PF_SECRET) && !export_secrets) {
		fprintf(fp, "\t\t\t# %s left out: export --secrets writes "
		    "it\n", p->name);
		return 0;
	}
	fprintf(fp, "\t\t\t%s = ", p->name);
	switch (p->type) {
	case MB_BOOL:
		fputs(v->dword ? "true" : "false", fp);
		break;
	case MB_DWORD:
		fprintf(fp, "%u%s", (unsigned)v->dword,
		    v->dword > INT32_MAX ? "L" : "");
		break;
	case MB_STRING:
		put_string(fp, v->str != NULL ? v->str : "");
		break;
	case MB_MULTISZ:
		if (v->len == 0) {
			fputs("[ ]", fp);
			break;
		}
		fputs("[\n", fp);
		MB_MULTISZ_FOREACH(s, v) {
			fprintf(fp, "%s\t\t\t\t", sep);
			put_string(fp, s);
			sep = ",\n";
		}
		fputs("\n\t\t\t]", fp);
		break;
	}
	fputs(";\n", fp);
	return 0;
}

void
ctl_put_string(FILE *fp, const char *s)
{
	put_string(fp, s);
}

void
ctl_export_prop(FILE *fp, const struct mb_prop *p, const struct mb_value *v)
{
	export_prop(fp, p, v);
}

/* Set by --history: the history follows, as comments import skips. */
static int	with_history;

/*
 * Write the subtree at key, which exists, to fp, in the read snapshot the
 * caller holds.
 */
static int
export_to(struct ctl *ctl, const char *key, FILE *fp)
{
	struct ctl_keys	 l;
	size_t		 i;
	int		 rc, status = CTL_OK;

	ctl_keys_init(&l);
	/* Collect first: no walk stays open while the properties are read. */
	if ((rc = mb_key_walk(ctl->mb, key, ctl_keys_add, &l)) != 0) {
		status = ctl_mberr(ctl, rc, "cannot export '%s'", key);
		goto release_keys;
	}
	fputs("# mbhttpd metabase export\nroot = ", fp);
	put_string(fp, key);
	fputs(";\nkeys = (", fp);
	for (i = 0; i < l.n; i++) {
		fprintf(fp, "%s\n\t{\n\t\tkey = ", i ? "," : "");
		put_string(fp, l.v[i]);
		fputs(";\n\t\tproperties = {\n", fp);
		if ((rc = mb_prop_each(ctl->mb, l.v[i], export_prop, fp)) != 0) {
			status = ctl_mberr(ctl, rc, "cannot export '%s'",
			    l.v[i]);
			goto release_keys;
		}
		fputs("\t\t};\n\t}", fp);
	}
	fputs(l.n ? "\n);\n" : " );\n", fp);
	if (with_history)
		status = ctl_history_comments(ctl, fp);

 release_keys:
	ctl_keys_release(&l);
	return status;
}

static int
out_open(struct out *o, const char *file)
{
	struct stat	 st;
	const char	*slash;
	mode_t		 mode, mask;
	int		 fd, dlen;

	o->file = file;
	o->tmp[0] = '\0';
	/*
	 * The new file gets the old one's mode, else what fopen() gives; a
	 * file we could not open for writing stays as it is.
	 */
	if (lstat(file, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			if ((o->fp = fopen(file, "w")) == NULL)
				return ctl_errx("cannot open '%s': %s", file,
				    strerror(errno));
			return CTL_OK;
		}
		if (access(file, W_OK) == -1)
			return ctl_errx("cannot open '%s': %s", file,
			    strerror(errno));
		mode = st.st_mode & 07777;
	} else {
		mask = umask(0);
		umask(mask);
		mode = 0666 & ~mask;
	}
	slash = strrchr(file, '/');
	dlen = slash != NULL ? (int)(slash - file) + 1 : 0;
	if ((size_t)snprintf(o->tmp, sizeof(o->tmp), "%.*s.mbctl-export.XXXXXX",
	    dlen, file) >= sizeof(o->tmp)) {
		o->tmp[0] = '\0';
		return ctl_errx("cannot write '%s': %s", file,
		    strerror(ENAMETOOLONG));
	}
	if ((fd = mkstemp(o->tmp)) == -1) {
		o->tmp[0] = '\0';
		return ctl_errx("cannot create a temporary file beside '%s': %s",
		    file, strerror(errno));
	}
	if (fchmod(fd, mode) == -1 || (o->fp = fdopen(fd, "w")) == NULL) {
		ctl_errx("cannot write '%s': %s", file, strerror(errno));
		close(fd);
		unlink(o->tmp);
		return CTL_FAIL;
	}
	return CTL_OK;
}

/* Finish the file: rename into place on success, else drop what we made. */
static int
out_close(struct out *o, int status)
{
	int	err = 0;

	if (fflush(o->fp) == EOF || ferror(o->fp))
		err = errno != 0 ? errno : EIO;
	else if (o->tmp[0] != '\0' && fsync(fileno(o->fp)) == -1)
		err = errno;
	if (fclose(o->fp) == EOF && err == 0)
		err = errno;
	if (status == CTL_OK && err != 0)
		status = ctl_errx("cannot write '%s': %s", o->file,
		    strerror(err));
	if (o->tmp[0] == '\0')
		return status;
	if (status == CTL_OK && rename(o->tmp, o->file) == -1)
		status = ctl_errx("cannot rename a temporary file to '%s': %s",
		    o->file, strerror(errno));
	if (status != CTL_OK)
		unlink(o->tmp);
	return status;
}

/*
 * export [KEY] [FILE]: a lone argument is the key when it is a valid key
 * path, else the file; "-" is the standard output.  The key is checked
 * before the file is touched.
 */
int
cmd_export(struct ctl *ctl, int argc, char **argv)
{
	struct out	 o;
	const char	*karg = "/LM", *file = "-";
	char		 key[MB_MAXPATH + 1];
	int		 i, j, rc, status;

	for (i = j = 1; i < argc; i++)
		if (strcmp(argv[i], "--history") == 0)
			with_history = 1;
		else if (strcmp(argv[i], "--secrets") == 0)
			export_secrets = 1;
		else
			argv[j++] = argv[i];
	argc = j;
	if (argc > 3)
		return CTL_USAGE;
	if (argc == 3) {
		karg = argv[1];
		file = argv[2];
	} else if (argc == 2) {
		if (strcmp(argv[1], "-") != 0 &&
		    mb_path_canon(argv[1], key) < 0)
			file = argv[1];
		else if (strcmp(argv[1], "-") != 0)
			karg = argv[1];
	}
	if (ctl_canon(karg, key) < 0)
		return CTL_FAIL;

	if ((rc = mb_begin(ctl->mb)) != 0)
		return ctl_mberr(ctl, rc, "cannot read metabase '%s'", ctl->dir);
	if ((rc = mb_key_exists(ctl->mb, key)) != 0) {
		if (rc == MB_NOTFOUND)
			status = ctl_errx("no key '%s'", key);
		else
			status = ctl_mberr(ctl, rc, "cannot export '%s'", key);
	} else if (strcmp(file, "-") == 0)
		status = export_to(ctl, key, stdout);
	else if ((status = out_open(&o, file)) == CTL_OK)
		status = out_close(&o, export_to(ctl, key, o.fp));
	mb_end(ctl->mb);
	return status;
}
