/*
 * cmd_history.c - mbctl history, diff and rollback: the entries the
 * library writes with every change, read back, compared, and undone.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "metabase.h"
#include "mbctl.h"

/* A STRING or MULTISZ string for one line: quoted, control bytes escaped. */
static void
put_quoted(FILE *fp, const char *s)
{
	unsigned char	 c;

	putc('"', fp);
	for (; (c = (unsigned char)*s) != '\0'; s++) {
		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", fp);
		else if (c == '\t')
			fputs("\\t", fp);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\x%02x", c);
		else
			putc(c, fp);
	}
	putc('"', fp);
}

static void
put_value(FILE *fp, const struct mb_prop *p, int has, const struct mb_value *v)
{
	const char	*s, *sep = "";

	if (!has) {
		fputs("(not set)", fp);
		return;
	}
	switch (p->type) {
	case MB_BOOL:
		fputs(v->dword ? "TRUE" : "FALSE", fp);
		break;
	case MB_DWORD:
		fprintf(fp, "%u", (unsigned)v->dword);
		break;
	case MB_STRING:
		put_quoted(fp, v->str != NULL ? v->str : "");
		break;
	case MB_MULTISZ:
		putc('[', fp);
		MB_MULTISZ_FOREACH(s, v) {
			fputs(sep, fp);
			put_quoted(fp, s);
			sep = ", ";
		}
		putc(']', fp);
		break;
	}
}

void
ctl_print_change(FILE *fp, const char *lead, const struct mb_hchange *c)
{
	fputs(lead, fp);
	if (c->id == 0) {
		fprintf(fp, "%s: key %s\n", c->path,
		    c->has_new ? "created" : "deleted");
		return;
	}
	if (c->prop == NULL) {
		fprintf(fp, "%s/#%u: changed\n", c->path, (unsigned)c->id);
		return;
	}
	fprintf(fp, "%s/%s: ", c->path, c->prop->name);
	if (c->prop->pflags & MB_PF_SECRET)
		fputs(c->has_old && c->has_new ? "(secret changed)" :
		    c->has_new ? "(secret set)" : "(secret removed)", fp);
	else {
		put_value(fp, c->prop, c->has_old, &c->old);
		fputs(" -> ", fp);
		put_value(fp, c->prop, c->has_new, &c->new);
	}
	putc('\n', fp);
}

static void
fmt_time(int64_t t, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "@%lld", (long long)t);
}

static void
fmt_user(const struct mb_hentry *e, char *buf, size_t len)
{
	const char	*u = e->user[0] != '\0' ? e->user : "?";

	if (e->sudo_user != NULL)
		snprintf(buf, len, "%s (sudo %s)", u, e->sudo_user);
	else
		snprintf(buf, len, "%s", u);
}

/* One line an entry, for history and export --history. */
static void
print_line(FILE *fp, const char *lead, const struct mb_hentry *e)
{
	char	 when[32], who[2 * MB_HIST_MAXTEXT + 16];

	fmt_time(e->time, when, sizeof(when));
	fmt_user(e, who, sizeof(who));
	fprintf(fp, "%s%" PRIu64 "\t%s\t%s\t%s", lead, e->seq, when, who,
	    e->command[0] != '\0' ? e->command : "?");
	if (e->message != NULL)
		fprintf(fp, "\t%s", e->message);
	putc('\n', fp);
}

static void
json_str(FILE *fp, const char *s)
{
	unsigned char	 c;

	if (s == NULL) {
		fputs("null", fp);
		return;
	}
	putc('"', fp);
	for (; (c = (unsigned char)*s) != '\0'; s++) {
		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\u%04x", c);
		else
			putc(c, fp);
	}
	putc('"', fp);
}

static void
json_value(FILE *fp, const struct mb_prop *p, int has,
    const struct mb_value *v)
{
	const char	*s, *sep = "";

	if (!has) {
		fputs("null", fp);
		return;
	}
	switch (p->type) {
	case MB_BOOL:
		fputs(v->dword ? "true" : "false", fp);
		break;
	case MB_DWORD:
		fprintf(fp, "%u", (unsigned)v->dword);
		break;
	case MB_STRING:
		json_str(fp, v->str != NULL ? v->str : "");
		break;
	case MB_MULTISZ:
		putc('[', fp);
		MB_MULTISZ_FOREACH(s, v) {
			fputs(sep, fp);
			json_str(fp, s);
			sep = ",";
		}
		putc(']', fp);
		break;
	}
}

static void
print_json(FILE *fp, const struct mb_hentry *e, int first)
{
	char	 when[32];
	size_t	 i;

	fmt_time(e->time, when, sizeof(when));
	fprintf(fp, "%s{\"seq\":%" PRIu64 ",\"time\":\"%s\",\"user\":",
	    first ? "" : ",\n", e->seq, when);
	json_str(fp, e->user);
	fputs(",\"sudo_user\":", fp);
	json_str(fp, e->sudo_user);
	fputs(",\"command\":", fp);
	json_str(fp, e->command);
	fputs(",\"message\":", fp);
	json_str(fp, e->message);
	fprintf(fp, ",\"rollback\":%s", e->flags & MB_HIST_ROLLBACK ?
	    "true" : "false");
	if (e->flags & MB_HIST_ROLLBACK)
		fprintf(fp, ",\"rollback_to\":%" PRIu64, e->target);
	fprintf(fp, ",\"restore\":%s,\"changes\":[", e->flags &
	    MB_HIST_RESTORE ? "true" : "false");
	for (i = 0; i < e->nchanges; i++) {
		const struct mb_hchange *c = &e->changes[i];

		fprintf(fp, "%s{\"key\":", i ? "," : "");
		json_str(fp, c->path);
		if (c->id == 0) {
			fprintf(fp, ",\"property\":null,\"%s\":true}",
			    c->has_new ? "created" : "deleted");
			continue;
		}
		fputs(",\"property\":", fp);
		if (c->prop != NULL)
			json_str(fp, c->prop->name);
		else
			fprintf(fp, "\"#%u\"", (unsigned)c->id);
		if (c->prop == NULL || (c->prop->pflags & MB_PF_SECRET)) {
			fputs(",\"secret\":true}", fp);
			continue;
		}
		fputs(",\"old\":", fp);
		json_value(fp, c->prop, c->has_old, &c->old);
		fputs(",\"new\":", fp);
		json_value(fp, c->prop, c->has_new, &c->new);
		putc('}', fp);
	}
	fputs("]}", fp);
}

/* Whether change path is key or below it (key canonical). */
static int
under(const char *path, const char *key)
{
	size_t	 n = strlen(key);

	if (strcmp(key, "/LM") == 0)
		return 1;
	return strncasecmp(path, key, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

/* hist_one()'s way to stop the walk once -n entries are out. */
#define HIST_ENOUGH	(-1)

struct hist_arg {
	FILE		*fp;
	const char	*key;		/* only entries touching it, or NULL */
	int64_t		 since;
	long		 max;		/* entries to show, -1 all */
	long		 shown;
	int		 json;
	const char	*lead;		/* for export --history */
	int		 changes;	/* print each change too */
};

static int
hist_one(void *arg, const struct mb_hentry *e)
{
	struct hist_arg	*ha = arg;
	size_t		 i;

	if (ha->max >= 0 && ha->shown >= ha->max)
		return HIST_ENOUGH;
	if (e->time < ha->since)
		return 0;
	if (ha->key != NULL) {
		for (i = 0; i < e->nchanges; i++)
			if (under(e->changes[i].path, ha->key))
				break;
		if (i == e->nchanges)
			return 0;
	}
	if (ha->json)
		print_json(ha->fp, e, ha->shown == 0);
	else
		print_line(ha->fp, ha->lead, e);
	for (i = 0; ha->changes && i < e->nchanges; i++)
		ctl_print_change(ha->fp, "#\t", &e->changes[i]);
	ha->shown++;
	return 0;
}

int
ctl_history_comments(struct ctl *ctl, FILE *fp)
{
	struct hist_arg	 ha;
	int		 rc;

	memset(&ha, 0, sizeof(ha));
	ha.fp = fp;
	ha.since = INT64_MIN;
	ha.max = -1;
	ha.lead = "# ";
	ha.changes = 1;
	fputs("# history, oldest first: seq, time, user, command, message\n",
	    fp);
	if ((rc = mb_history_each(ctl->mb, 0, hist_one, &ha)) != 0)
		return ctl_mberr(ctl, rc, "cannot read the history");
	return CTL_OK;
}

static int
parse_seq(const char *s, uint64_t *seq)
{
	char		*end;
	unsigned long long v;

	errno = 0;
	if (!isdigit((unsigned char)s[0]) ||
	    (v = strtoull(s, &end, 10), errno != 0) || *end != '\0')
		return ctl_errx("invalid entry number '%s'", s), -1;
	*seq = v;
	return 0;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		 era;
	unsigned	 yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/*
 * --since: "@SECONDS", "YYYY-MM-DD", or "YYYY-MM-DDTHH:MM[:SS][Z]" (a
 * space for the T too), always UTC.
 */
static int
parse_time(const char *s, int64_t *t)
{
	int		 y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
	char		*end;
	long long	 v;

	if (s[0] == '@') {
		errno = 0;
		v = strtoll(s + 1, &end, 10);
		if (errno != 0 || end == s + 1 || *end != '\0')
			goto bad;
		*t = v;
		return 0;
	}
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		goto bad;
	s += n;
	if (*s == 'T' || *s == ' ') {
		n = 0;
		if (sscanf(s + 1, "%2d:%2d%n", &h, &mi, &n) != 2)
			goto bad;
		s += 1 + n;
		if (*s == ':') {
			n = 0;
			if (sscanf(s + 1, "%2d%n", &sec, &n) != 1)
				goto bad;
			s += 1 + n;
		}
		if (*s == 'Z')
			s++;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60 || h < 0 || mi < 0 || sec < 0)
		goto bad;
	*t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec;
	return 0;

 bad:
	return ctl_errx("invalid time '%s': expected YYYY-MM-DD[THH:MM[:SS]] (UTC) or @SECONDS", s), -1;
}

static int
hist_show(struct ctl *ctl, int argc, char **argv)
{
	struct mb_hentry e;
	char		 when[32], who[2 * MB_HIST_MAXTEXT + 16];
	uint64_t	 seq;
	size_t		 i;
	int		 rc;

	if (argc != 3)
		return CTL_USAGE;
	if (parse_seq(argv[2], &seq) == -1)
		return CTL_FAIL;
	if ((rc = mb_begin(ctl->mb)) != 0)
		return ctl_mberr(ctl, rc, "cannot read metabase '%s'", ctl->dir);
	if ((rc = mb_history_get(ctl->mb, seq, &e)) != 0) {
		mb_end(ctl->mb);
		return ctl_mberr(ctl, rc, "cannot read history entry %s",
		    argv[2]);
	}
	fmt_time(e.time, when, sizeof(when));
	fmt_user(&e, who, sizeof(who));
	printf("entry %" PRIu64 "\ntime %s\nuser %s\ncommand %s\n", e.seq,
	    when, who, e.command);
	if (e.message != NULL)
		printf("message %s\n", e.message);
	if (e.flags & MB_HIST_ROLLBACK)
		printf("rollback to %" PRIu64 "\n", e.target);
	if (e.flags & MB_HIST_RESTORE)
		printf("restore\n");
	printf("\n");
	for (i = 0; i < e.nchanges; i++)
		ctl_print_change(stdout, "", &e.changes[i]);
	mb_hentry_release(&e);
	mb_end(ctl->mb);
	return CTL_OK;
}

int
cmd_history(struct ctl *ctl, int argc, char **argv)
{
	struct hist_arg	 ha;
	const char	*karg = NULL;
	char		 key[MB_MAXPATH + 1];
	uint64_t	 keep, removed;
	char		*end;
	int		 i, rc, prune = 0;

	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return hist_show(ctl, argc, argv);
	memset(&ha, 0, sizeof(ha));
	ha.fp = stdout;
	ha.since = INT64_MIN;
	ha.max = -1;
	ha.lead = "";
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			ha.json = 1;
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			errno = 0;
			ha.max = strtol(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || ha.max < 0 ||
			    !isdigit((unsigned char)argv[i][0]))
				return ctl_errx("invalid count '%s'", argv[i]);
		} else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc) {
			if (parse_time(argv[++i], &ha.since) == -1)
				return CTL_FAIL;
		} else if (strcmp(argv[i], "--prune") == 0 && i + 1 < argc) {
			if (parse_seq(argv[++i], &keep) == -1)
				return CTL_FAIL;
			prune = 1;
		} else if (argv[i][0] == '-') {
			ctl_errx("history: unknown option '%s'", argv[i]);
			return CTL_USAGE;
		} else if (karg == NULL)
			karg = argv[i];
		else
			return CTL_USAGE;
	}
	if (prune) {
		if (karg != NULL || ha.json || ha.max >= 0 ||
		    ha.since != INT64_MIN)
			return CTL_USAGE;
		if ((rc = mb_history_prune(ctl->mb, keep, &removed)) != 0)
			return ctl_mberr(ctl, rc, "cannot prune the history");
		return CTL_OK;
	}
	if (karg != NULL) {
		if (ctl_canon(karg, key) < 0)
			return CTL_FAIL;
		ha.key = key;
	}
	if ((rc = mb_begin(ctl->mb)) != 0)
		return ctl_mberr(ctl, rc, "cannot read metabase '%s'", ctl->dir);
	if (ha.json)
		printf("[");
	if ((rc = mb_history_each(ctl->mb, 1, hist_one, &ha)) == HIST_ENOUGH)
		rc = 0;
	if (ha.json)
		printf("%s]\n", ha.shown ? "\n" : "");
	mb_end(ctl->mb);
	if (rc != 0)
		return ctl_mberr(ctl, rc, "cannot read the history");
	return CTL_OK;
}

/* diff: the changes of a range of entries, folded item by item. */

struct item {
	struct mb_hchange c;
	size_t		 order;		/* as recorded, oldest first */
};

struct fold {
	struct item	*v;
	size_t		 n, cap;
	uint64_t	 from, to;	/* entries from < seq <= to */
};

static int
fold_add(void *arg, const struct mb_hentry *e)
{
	struct fold	*f = arg;
	struct item	*nv;
	size_t		 i;

	if (e->seq <= f->from || e->seq > f->to)
		return 0;
	for (i = 0; i < e->nchanges; i++) {
		if (f->n == f->cap) {
			f->cap = f->cap ? 2 * f->cap : 64;
			if ((nv = realloc(f->v, f->cap * sizeof(*nv))) == NULL)
				return ENOMEM;
			f->v = nv;
		}
		f->v[f->n].c = e->changes[i];
		f->v[f->n].order = f->n;
		f->n++;
	}
	return 0;
}

/* By key, property, then as recorded. */
static int
cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int	 c;

	if ((c = strcasecmp(x->c.path, y->c.path)) != 0)
		return c;
	if (x->c.id != y->c.id)
		return x->c.id < y->c.id ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int
value_eq(const struct mb_prop *p, const struct mb_value *a,
    const struct mb_value *b)
{
	if (p->type == MB_BOOL || p->type == MB_DWORD)
		return a->dword == b->dword;
	return a->len == b->len && (a->len == 0 ||
	    memcmp(a->str, b->str, a->len) == 0);
}

/*
 * Fold f->v: the first old value and the last new one of each item,
 * dropping items that end as they began.
 */
static void
fold_run(struct fold *f)
{
	size_t	 i, j, out = 0;

	if (f->n > 1)
		qsort(f->v, f->n, sizeof(*f->v), cmp_item);
	for (i = 0; i < f->n; i = j) {
		struct mb_hchange c = f->v[i].c;

		for (j = i + 1; j < f->n &&
		    strcasecmp(f->v[j].c.path, c.path) == 0 &&
		    f->v[j].c.id == c.id; j++) {
			c.has_new = f->v[j].c.has_new;
			c.new = f->v[j].c.new;
			c.path = f->v[j].c.path;
		}
		if (c.has_old == c.has_new && (!c.has_old || c.id == 0 ||
		    (c.prop != NULL && value_eq(c.prop, &c.old, &c.new))))
			continue;
		f->v[out++].c = c;
	}
	f->n = out;
}

static void
print_export(const struct fold *f)
{
	const char	*key = NULL;
	size_t		 i;
	int		 nkeys = 0;

	fputs("# mbhttpd metabase export\nroot = \"/LM\";\nkeys = (", stdout);
	for (i = 0; i < f->n; i++) {
		const struct mb_hchange *c = &f->v[i].c;

		if (c->id == 0 || c->prop == NULL || !c->has_new ||
		    (c->prop->pflags & MB_PF_SECRET))
			continue;
		if (key == NULL || strcasecmp(key, c->path) != 0) {
			if (key != NULL)
				fputs("\t\t};\n\t}", stdout);
			fprintf(stdout, "%s\n\t{\n\t\tkey = ", nkeys++ ? "," :
			    "");
			ctl_put_string(stdout, c->path);
			fputs(";\n\t\tproperties = {\n", stdout);
			key = c->path;
		}
		ctl_export_prop(stdout, c->prop, &c->new);
	}
	if (key != NULL)
		fputs("\t\t};\n\t}", stdout);
	fputs(nkeys ? "\n);\n" : " );\n", stdout);
	for (i = 0; i < f->n; i++) {
		const struct mb_hchange *c = &f->v[i].c;

		if (c->id == 0 && !c->has_new)
			printf("# key deleted: %s\n", c->path);
		else if (c->id != 0 && !c->has_new && c->prop != NULL)
			printf("# deleted: %s/%s\n", c->path, c->prop->name);
		else if (c->prop != NULL && (c->prop->pflags & MB_PF_SECRET))
			printf("# secret changed: %s/%s\n", c->path,
			    c->prop->name);
	}
}

int
cmd_diff(struct ctl *ctl, int argc, char **argv)
{
	struct mb_hentry e;
	struct fold	 f;
	uint64_t	 a, b = 0, first, last;
	size_t		 i;
	int		 rc, exp = 0, nseq = 0, status = CTL_OK;

	for (i = 1; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--export") == 0)
			exp = 1;
		else if (argv[i][0] == '-') {
			ctl_errx("diff: unknown option '%s'", argv[i]);
			return CTL_USAGE;
		} else if (nseq < 2) {
			if (parse_seq(argv[i], nseq == 0 ? &a : &b) == -1)
				return CTL_FAIL;
			nseq++;
		} else
			return CTL_USAGE;
	}
	if (nseq == 0)
		return CTL_USAGE;
	memset(&f, 0, sizeof(f));
	if ((rc = mb_begin(ctl->mb)) != 0)
		return ctl_mberr(ctl, rc, "cannot read metabase '%s'", ctl->dir);
	if ((rc = mb_history_range(ctl->mb, &first, &last)) != 0) {
		status = ctl_mberr(ctl, rc, "cannot read the history");
		goto end;
	}
	if (nseq == 1) {
		/* What entry a did. */
		if ((rc = mb_history_get(ctl->mb, a, &e)) != 0) {
			status = ctl_mberr(ctl, rc, "cannot read history entry %" PRIu64, a);
			goto end;
		}
		mb_hentry_release(&e);
		f.from = a - 1;
		f.to = a;
	} else {
		/* From the metabase as of a to the metabase as of b. */
		if (a > b) {
			status = ctl_errx("diff: %" PRIu64 " comes after %" PRIu64 "; give the older entry first", a, b);
			goto end;
		}
		if (b > last || a + 1 < first) {
			status = ctl_errx("diff: the history holds entries %" PRIu64 " to %" PRIu64, first, last);
			goto end;
		}
		f.from = a;
		f.to = b;
	}
	if ((rc = mb_history_each(ctl->mb, 0, fold_add, &f)) != 0) {
		status = ctl_mberr(ctl, rc, "cannot read the history");
		goto end;
	}
	fold_run(&f);
	if (exp)
		print_export(&f);
	else
		for (i = 0; i < f.n; i++)
			ctl_print_change(stdout, "", &f.v[i].c);
 end:
	free(f.v);
	mb_end(ctl->mb);
	return status;
}

static int
print_planned(void *arg, const struct mb_hchange *c)
{
	(void)arg;
	ctl_print_change(stdout, "", c);
	return 0;
}

int
cmd_rollback(struct ctl *ctl, int argc, char **argv)
{
	uint64_t	 seq;
	const char	*sarg = NULL;
	int		 i, rc, dry = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0 ||
		    strcmp(argv[i], "-n") == 0)
			dry = 1;
		else if (argv[i][0] == '-') {
			ctl_errx("rollback: unknown option '%s'", argv[i]);
			return CTL_USAGE;
		} else if (sarg == NULL)
			sarg = argv[i];
		else
			return CTL_USAGE;
	}
	if (sarg == NULL)
		return CTL_USAGE;
	if (parse_seq(sarg, &seq) == -1)
		return CTL_FAIL;
	rc = mb_rollback(ctl->mb, seq, dry, dry ? print_planned : NULL, NULL);
	if (rc != 0)
		return ctl_mberr(ctl, rc, "cannot roll back to entry %s", sarg);
	return CTL_OK;
}
