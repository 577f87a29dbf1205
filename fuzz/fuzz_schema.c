/*
 * fuzz_schema.c - every typed value parser of the schema (mb_schema.c).
 *
 * The input's first byte picks a property, its second the key it is set
 * on (among the kinds the property allows), and the rest, split at each
 * newline, is what an administrator types after "mbctl set KEY/PROP".
 * mb_prop_set_text() runs in a write transaction that is always aborted,
 * on a metabase made once per process.  A value it accepts must read
 * back, pass mb_value_check(), and, formatted, parse back to itself.
 * The raw bytes also go to mb_value_check() as a value of the property's
 * type, to mb_path_canon() and to mb_prop_find().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "metabase.h"
#include "fuzz/fuzz.h"

#define MAXARGS	32

static struct mb	*mb;

static const struct {
	unsigned	 kind;
	const char	*key;
} keys[] = {
	{ MB_KIND_ROOT, "/LM" },
	{ MB_KIND_SERVICE, "/LM/W3SVC" },
	{ MB_KIND_SITE, "/LM/W3SVC/1" },
	{ MB_KIND_VDIR, "/LM/W3SVC/1/ROOT" },
	{ MB_KIND_VDIR, "/LM/W3SVC/1/ROOT/a/b" },
	{ MB_KIND_MIMEMAP, "/LM/MimeMap" },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

static void
setup(void)
{
	struct mb_value	 b;
	uint32_t	 id;
	char		 dir[4096];

	snprintf(dir, sizeof(dir), "%s/mb", fuzz_tmpdir());
	if (mb_open(&mb, dir, MB_CREATE) != 0 || mb_init(mb) != 0)
		abort();
	memset(&b, 0, sizeof(b));
	b.str = "127.0.0.1:80:";
	b.len = strlen(b.str) + 1;
	id = 1;
	if (mb_site_create(mb, &id, "one", &b, "/srv/one") != 0)
		abort();
	/* Another site's binding, for MB_CONFLICT. */
	b.str = ":81:two.test";
	b.len = strlen(b.str) + 1;
	id = 2;
	if (mb_site_create(mb, &id, "two", &b, "/srv/two") != 0 ||
	    mb_key_create(mb, "/LM/W3SVC/1/ROOT/a/b") != 0)
		abort();
}

/* The n-th key (wrapping) of a kind p allows. */
static const char *
key_for(const struct mb_prop *p, unsigned n)
{
	size_t	i, m = 0;

	for (i = 0; i < NKEYS; i++)
		if (p->kinds & keys[i].kind)
			m++;
	FUZZ_ASSERT(m > 0);
	n %= m;
	for (i = 0; i < NKEYS; i++)
		if ((p->kinds & keys[i].kind) && n-- == 0)
			return keys[i].key;
	return NULL;
}

/* A value accepted must read back as given and survive formatting. */
static void
check_set(const struct mb_prop *p, const char *key, int argc, char **argv)
{
	struct mb_value	 v, w;
	char		 err[512], *text, *args[1];
	const char	*s;
	size_t		 n;
	int		 i, len;

	FUZZ_ASSERT(mb_prop_get(mb, key, p, &v) == 0);
	FUZZ_ASSERT(mb_value_check(p, &v, err, sizeof(err)) == 0);
	len = mb_value_format(p, &v, NULL, 0);
	FUZZ_ASSERT(len >= 0);
	text = malloc((size_t)len + 1);
	FUZZ_ASSERT(text != NULL);
	FUZZ_ASSERT(mb_value_format(p, &v, text, (size_t)len + 1) == len);
	switch (p->type) {
	case MB_BOOL:
	case MB_DWORD:
		args[0] = text;
		FUZZ_ASSERT(mb_prop_set_text(mb, key, p, 1, args) == 0);
		FUZZ_ASSERT(mb_prop_get(mb, key, p, &w) == 0);
		FUZZ_ASSERT(w.dword == v.dword);
		break;
	case MB_STRING:
		FUZZ_ASSERT(argc == 1 && strcmp(v.str, argv[0]) == 0);
		FUZZ_ASSERT(strcmp(text, argv[0]) == 0);
		break;
	case MB_MULTISZ:
		i = 0;
		n = 0;
		MB_MULTISZ_FOREACH(s, &v) {
			FUZZ_ASSERT(i < argc && strcmp(s, argv[i]) == 0);
			n += strlen(s) + 1;
			i++;
		}
		FUZZ_ASSERT(i == argc && n == v.len);
		break;
	}
	free(text);
}

/* mb_value_check() on raw bytes as a value of p's type. */
static void
check_raw(const struct mb_prop *p, const uint8_t *data, size_t size)
{
	struct mb_value	 v;
	char		 err[512], *copy;
	int		 rc;

	memset(&v, 0, sizeof(v));
	if ((copy = malloc(size + 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(copy, data, size);
	copy[size] = '\0';
	switch (p->type) {
	case MB_BOOL:
	case MB_DWORD:
		memcpy(&v.dword, copy, size < 4 ? size : 4);
		rc = mb_value_check(p, &v, err, sizeof(err));
		if (p->type == MB_BOOL)
			FUZZ_ASSERT((rc == 0) == (v.dword <= 1));
		else if (p->syntax == MB_SYN_STATE)
			FUZZ_ASSERT((rc == 0) == (v.dword == MB_STATE_STARTED ||
			    v.dword == MB_STATE_STOPPED));
		else
			FUZZ_ASSERT((rc == 0) == (v.dword >= p->min &&
			    v.dword <= p->max));
		break;
	case MB_STRING:
		v.str = copy;
		v.len = strlen(copy);
		rc = mb_value_check(p, &v, err, sizeof(err));
		break;
	case MB_MULTISZ:
		v.str = copy;
		v.len = size;
		rc = mb_value_check(p, &v, err, sizeof(err));
		/* A list must end in NUL. */
		if (size > 0 && copy[size - 1] != '\0')
			FUZZ_ASSERT(rc == MB_BADVALUE);
		break;
	default:
		rc = 0;
	}
	FUZZ_ASSERT(rc == 0 || rc == MB_BADVALUE);
	free(copy);
}

static void
check_names(const uint8_t *data, size_t size)
{
	const struct mb_prop *p;
	char	*s, canon[MB_MAXPATH + 1], again[MB_MAXPATH + 1];
	int	 kind;

	if ((s = fuzz_cstring(data, size)) == NULL)
		return;
	if ((kind = mb_path_canon(s, canon)) >= 0) {
		FUZZ_ASSERT(kind == MB_BADKEY || (kind & (kind - 1)) == 0);
		FUZZ_ASSERT(strlen(canon) <= MB_MAXPATH);
		FUZZ_ASSERT(strncmp(canon, "/LM", 3) == 0);
		FUZZ_ASSERT(mb_path_canon(canon, again) == kind);
		FUZZ_ASSERT(strcmp(canon, again) == 0);
	} else
		FUZZ_ASSERT(kind == MB_BADKEY);
	if ((p = mb_prop_find(s)) != NULL)
		FUZZ_ASSERT(strcasecmp(s, p->name) == 0 ||
		    (p->alias != NULL && strcasecmp(s, p->alias) == 0));
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct mb_prop *p;
	const char	*key;
	char		*text, *argv[MAXARGS], *q;
	int		 argc = 0, rc;

	if (mb == NULL)
		setup();
	if (size < 2)
		return 0;
	p = &mb_schema[data[0] % MB_NPROPS];
	key = key_for(p, data[1]);
	check_raw(p, data + 2, size - 2);
	check_names(data + 2, size - 2);

	if ((text = fuzz_cstring(data + 2, size - 2)) == NULL)
		return 0;
	/* No text at all is no argument (an empty list); else each line. */
	if (size > 2)
		for (q = text; argc < MAXARGS; q++) {
			argv[argc++] = q;
			if ((q = strchr(q, '\n')) == NULL)
				break;
			*q = '\0';
		}
	FUZZ_ASSERT(mb_write_begin(mb) == 0);
	rc = mb_prop_set_text(mb, key, p, argc, argv);
	FUZZ_ASSERT(rc == 0 || rc == MB_BADVALUE || rc == MB_CONFLICT);
	if (rc != 0)
		FUZZ_ASSERT(mb_errdetail(mb)[0] != '\0');
	else
		check_set(p, key, argc, argv);
	mb_write_abort(mb);
	free(text);
	return 0;
}
