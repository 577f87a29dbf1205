/*
 * util.c - what the mbctl commands share: error messages, path and id
 * parsing, value formatting, key lists, finding the metabase directory.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "server/http/fields.h"
#include "metabase.h"
#include "mbctl.h"

static char	*vmsg(const char *, va_list) CTL_PRINTF(1, 0);

/*
 * Format "mbctl: <message>\n" into a buffer the caller frees, with every
 * control character of the message escaped, so that a value or a path
 * holding a newline still gives one line.  NULL when out of memory.
 */
static char *
vmsg(const char *fmt, va_list ap)
{
	static const char	 pre[] = "mbctl: ";
	va_list			 ap2;
	char			*raw, *out, *o;
	const unsigned char	*s;
	int			 n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || (raw = malloc((size_t)n + 1)) == NULL)
		return NULL;
	vsnprintf(raw, (size_t)n + 1, fmt, ap);
	/* Each byte becomes at most 4 ("\x1b"). */
	if ((out = malloc(sizeof(pre) + 4 * (size_t)n + 1)) == NULL) {
		free(raw);
		return NULL;
	}
	memcpy(out, pre, sizeof(pre) - 1);
	o = out + sizeof(pre) - 1;
	for (s = (const unsigned char *)raw; *s != '\0'; s++) {
		if (*s == '\n')
			o += sprintf(o, "\\n");
		else if (*s == '\t')
			o += sprintf(o, "\\t");
		else if (*s == '\r')
			o += sprintf(o, "\\r");
		else if (*s < 0x20 || *s == 0x7f)
			o += sprintf(o, "\\x%02x", *s);
		else
			*o++ = (char)*s;
	}
	*o++ = '\n';
	*o = '\0';
	free(raw);
	return out;
}

char *
ctl_msg(const char *fmt, ...)
{
	va_list	 ap;
	char	*m;

	va_start(ap, fmt);
	m = vmsg(fmt, ap);
	va_end(ap);
	return m;
}

/*
 * stderr is fully buffered (see main()): flush each message at once, as
 * one write.
 */
int
ctl_errx(const char *fmt, ...)
{
	va_list	 ap;
	char	*m;

	va_start(ap, fmt);
	m = vmsg(fmt, ap);
	va_end(ap);
	fputs(m != NULL ? m : "mbctl: out of memory\n", stderr);
	fflush(stderr);
	free(m);
	return CTL_FAIL;
}

int
ctl_mberr(struct ctl *ctl, int rc, const char *fmt, ...)
{
	const char	*detail = "";
	va_list		 ap;
	char		*m;
	int		 n;

	if (ctl->mb != NULL)
		detail = mb_errdetail(ctl->mb);
	if (detail != NULL && detail[0] != '\0')
		return ctl_errx("%s", detail);
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (m = malloc((size_t)n + 1)) == NULL)
		return ctl_errx("out of memory");
	va_start(ap, fmt);
	vsnprintf(m, (size_t)n + 1, fmt, ap);
	va_end(ap);
	ctl_errx("%s: %s", m, mb_strerror(rc));
	free(m);
	return CTL_FAIL;
}

int
ctl_canon(const char *arg, char out[MB_MAXPATH + 1])
{
	int	kind;

	if (arg[0] == '\0')
		arg = "/LM";
	if ((kind = mb_path_canon(arg, out)) < 0) {
		ctl_errx("invalid key '%s': expected a path such as /LM/W3SVC/1/ROOT or W3SVC/1/ROOT",
		    arg);
		return -1;
	}
	return kind;
}

int
ctl_split(const char *arg, char key[MB_MAXPATH + 1],
    const struct mb_prop **pp)
{
	const char	*slash, *name;
	char		*k;
	int		 rc;

	if ((slash = strrchr(arg, '/')) == NULL) {
		name = arg;
		k = strdup("");
	} else {
		name = slash + 1;
		k = strndup(arg, (size_t)(slash - arg));
	}
	if (k == NULL) {
		ctl_errx("out of memory");
		return -1;
	}
	if (name[0] == '\0') {
		ctl_errx("no property named in '%s'", arg);
		free(k);
		return -1;
	}
	if ((*pp = mb_prop_find(name)) == NULL) {
		ctl_errx("unknown property '%s'", name);
		free(k);
		return -1;
	}
	rc = ctl_canon(k, key);
	free(k);
	return rc < 0 ? -1 : 0;
}

const char *
ctl_typename(enum mb_type t)
{
	switch (t) {
	case MB_BOOL:
		return "BOOL";
	case MB_DWORD:
		return "DWORD";
	case MB_STRING:
		return "STRING";
	case MB_MULTISZ:
		return "MULTISZ";
	}
	return "?";
}

/* AuthUsers as people may see it: the names, each hash as "*". */
static char *
format_secret(const struct mb_value *v)
{
	const char	*s, *c;
	char		*buf, *q;

	if ((buf = malloc(v->len + 2 * (v->len / 2 + 1) + 1)) == NULL)
		return NULL;
	q = buf;
	MB_MULTISZ_FOREACH(s, v) {
		c = strchr(s, ':');
		if (c == NULL)
			c = s + strlen(s);
		if (q != buf)
			*q++ = '\n';
		memcpy(q, s, (size_t)(c - s));
		q += c - s;
		memcpy(q, ":*", 2);
		q += 2;
	}
	*q = '\0';
	return buf;
}

int	 ctl_show_secrets;

char *
ctl_format(const struct mb_prop *p, const struct mb_value *v)
{
	char	 tmp[256], *buf;
	int	 n;

	if ((p->pflags & MB_PF_SECRET) && !ctl_show_secrets && p->type == MB_MULTISZ)
		return format_secret(v);
	if ((n = mb_value_format(p, v, tmp, sizeof(tmp))) < 0)
		return strdup("");
	if ((size_t)n < sizeof(tmp))
		return strdup(tmp);
	if ((buf = malloc((size_t)n + 1)) == NULL)
		return NULL;
	if (mb_value_format(p, v, buf, (size_t)n + 1) != n)
		buf[0] = '\0';
	return buf;
}

void
ctl_print_flags(FILE *fp, const struct mb_prop *p, uint32_t v)
{
	const struct mb_flagname	*f;
	const char			*sep = "";

	if (v == 0) {
		fputs("0", fp);
		return;
	}
	for (f = p->flags; f != NULL && f->name != NULL; f++) {
		if (f->bit != 0 && (v & f->bit) == f->bit) {
			fprintf(fp, "%s%s", sep, f->name);
			sep = "|";
			v &= ~f->bit;
		}
	}
	if (v != 0)
		fprintf(fp, "%s0x%08x", sep, (unsigned)v);
}

int
ctl_parse_id(const char *arg, uint32_t *id)
{
	unsigned long long	 n;
	const char		*s;

	for (s = arg; *s >= '0' && *s <= '9'; s++)
		;
	if (s == arg || *s != '\0' || s - arg > 10) {
		ctl_errx("invalid site id '%s': expected a number from 1 to 4294967295",
		    arg);
		return -1;
	}
	n = strtoull(arg, NULL, 10);
	if (n < 1 || n > UINT32_MAX) {
		ctl_errx("invalid site id '%s': expected a number from 1 to 4294967295",
		    arg);
		return -1;
	}
	*id = (uint32_t)n;
	return 0;
}

void
ctl_keys_init(struct ctl_keys *l)
{
	memset(l, 0, sizeof(*l));
}

int
ctl_keys_add(void *keys, const char *path)
{
	struct ctl_keys	 *l = keys;
	char		**v;
	size_t		  cap;

	if (l->n == l->cap) {
		cap = l->cap ? 2 * l->cap : 64;
		if ((v = realloc(l->v, cap * sizeof(*v))) == NULL)
			return ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if ((l->v[l->n] = strdup(path)) == NULL)
		return ENOMEM;
	l->n++;
	return 0;
}

void
ctl_keys_release(struct ctl_keys *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	ctl_keys_init(l);
}

int
ctl_metabase_dir(const char *opt, char **dirp)
{
	const char	*s, *file;
	char		 err[4200];
	int		 given;

	if (opt != NULL)
		s = opt;
	else if ((s = getenv("MBHTTPD_METABASE")) != NULL && s[0] != '\0')
		;
	else {
		/* As mbhttpd: $MBHTTPD_CONF must exist, the default may not. */
		file = getenv("MBHTTPD_CONF");
		given = file != NULL && file[0] != '\0';
		*dirp = conf_metabase(given ? file : CONF_FILE, given, err,
		    sizeof(err));
		if (*dirp == NULL) {
			ctl_errx("%s", err);
			return -1;
		}
		return 0;
	}
	if ((*dirp = strdup(s)) == NULL) {
		ctl_errx("out of memory");
		return -1;
	}
	return 0;
}

int
ctl_check_value(const struct mb_prop *p, const char *s, char *err,
    size_t errlen)
{
	const char	*colon;

	if (p->syntax != MB_SYN_HEADER || (colon = strchr(s, ':')) == NULL ||
	    !http_field_owned(s, (size_t)(colon - s)))
		return 0;
	snprintf(err, errlen, "header '%.*s' is set by the server and cannot be a custom header", (int)(colon - s), s);
	return -1;
}
