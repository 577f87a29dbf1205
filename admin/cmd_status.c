/*
 * cmd_status.c - mbctl status: what the server running on this metabase
 * is doing now, from its scoreboard (status/status.h), read-only.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/mbctl.h"
#include "status/status.h"

enum format { FMT_TEXT, FMT_JSON, FMT_PROM };

/* One worker, copied out. */
struct wrow {
	int		 slot;
	long		 pid;
	int		 state;
	uint32_t	 site;
	uint64_t	 requests;
	uint64_t	 since_ms;	/* in that state for */
	char		 client[SB_ADDRLEN];
	char		 line[SB_LINE];
};

/* One site's totals, copied out. */
struct srow {
	uint32_t	 site;		/* 0: no site, or the table was full */
	unsigned	 conns;
	uint64_t	 requests, bytes, status[5];
	char		 unbound[SB_BINDLEN + 128];	/* why not served */
};

static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
srow_cmp(const void *a, const void *b)
{
	const struct srow *x = a, *y = b;

	return x->site < y->site ? -1 : x->site > y->site;
}

/* A connection's worker: reading, writing, kept alive or giving way. */
static int
holds_connection(int st)
{
	return st == SB_READ || st == SB_WRITE || st == SB_KEEPALIVE ||
	    st == SB_GIVEWAY;
}

/* Copy the workers and the sites out of sb; counts in *nw and *ns. */
static int
snapshot(const struct scoreboard *sb, struct wrow **wp, size_t *nw,
    struct srow **sp, size_t *ns)
{
	struct wrow	*w;
	struct srow	*s;
	const struct sb_slot *sl;
	const struct sb_site *e;
	uint64_t	 now = now_ms(), t;
	size_t		 i, j, n = 0, m = 0;
	int		 nslots = atomic_load(&sb->nslots);

	if (nslots < 0 || nslots > SB_SLOTS)
		nslots = SB_SLOTS;
	w = calloc((size_t)nslots + 1, sizeof(*w));
	s = calloc(SB_SITES + (size_t)nslots, sizeof(*s));
	if (w == NULL || s == NULL) {
		free(w);
		free(s);
		return ctl_errx("out of memory");
	}
	for (i = 0; i < (size_t)nslots; i++) {
		sl = &sb->slot[i];
		if (atomic_load(&sl->pid) <= 0 ||
		    atomic_load(&sl->state) == SB_EMPTY)
			continue;
		w[n].slot = (int)i;
		w[n].pid = atomic_load(&sl->pid);
		w[n].state = atomic_load(&sl->state);
		w[n].site = atomic_load(&sl->site);
		w[n].requests = atomic_load(&sl->requests);
		t = atomic_load(&sl->since);
		w[n].since_ms = now > t ? now - t : 0;
		status_slot_text(sl, w[n].client, w[n].line);
		if (w[n].state == SB_IDLE || w[n].state == SB_STARTING)
			w[n].client[0] = w[n].line[0] = '\0';
		n++;
	}
	for (i = 0; i < SB_SITES; i++) {
		e = &sb->site[i];
		s[m].site = atomic_load(&e->id);
		s[m].requests = atomic_load(&e->requests);
		if (i > 0 && s[m].site == 0)
			continue;
		s[m].unbound[0] = '\0';
		status_site_unbound(sb, s[m].site, s[m].unbound,
		    sizeof(s[m].unbound));
		if (s[m].requests == 0 && s[m].unbound[0] == '\0')
			continue;
		s[m].bytes = atomic_load(&e->bytes);
		for (j = 0; j < 5; j++)
			s[m].status[j] = atomic_load(&e->status[j]);
		m++;
	}
	qsort(s, m, sizeof(*s), srow_cmp);
	/* Open connections, from the workers that hold them. */
	for (i = 0; i < n; i++) {
		if (!holds_connection(w[i].state) || w[i].site == 0)
			continue;
		for (j = 0; j < m && s[j].site != w[i].site; j++)
			;
		if (j == m) {
			memset(&s[m], 0, sizeof(s[m]));
			s[m].site = w[i].site;
			m++;
			qsort(s, m, sizeof(*s), srow_cmp);
			for (j = 0; s[j].site != w[i].site; j++)
				;
		}
		s[j].conns++;
	}
	*wp = w;
	*nw = n;
	*sp = s;
	*ns = m;
	return CTL_OK;
}

/* A text field for a terminal: anything not printable ASCII as '?'. */
static void
print_text(const char *s)
{
	for (; *s != '\0'; s++)
		putchar(*s >= 0x20 && *s < 0x7f ? *s : '?');
}

static void
print_json_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	for (; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void
out_text(const struct scoreboard *sb, const char *dir, const struct wrow *w,
    size_t nw, const struct srow *s, size_t ns)
{
	unsigned	 count[SB_NSTATES] = { 0 };
	long long	 up = (long long)time(NULL) -
			    (long long)atomic_load(&sb->started);
	size_t		 i;
	int		 st, first = 1;

	if (up < 0)
		up = 0;
	for (i = 0; i < nw; i++)
		if (w[i].state >= 0 && w[i].state < SB_NSTATES)
			count[w[i].state]++;
	printf("mbhttpd pid %ld on %s: up %lldd %02lld:%02lld:%02lld, "
	    "generation %u\n", (long)atomic_load(&sb->master_pid), dir,
	    up / 86400, up / 3600 % 24, up / 60 % 60, up % 60,
	    (unsigned)atomic_load(&sb->generation));
	printf("pool: %u to %u idle, at most %u workers; %zu now (",
	    (unsigned)atomic_load(&sb->min_spare),
	    (unsigned)atomic_load(&sb->max_spare),
	    (unsigned)atomic_load(&sb->max_workers), nw);
	for (st = SB_STARTING; st < SB_NSTATES; st++) {
		if (count[st] == 0)
			continue;
		printf("%s%u %s", first ? "" : ", ", count[st],
		    status_state_name(st));
		first = 0;
	}
	printf(")\n\n%5s %8s %-10s %6s %-15s %9s %7s  %s\n", "SLOT", "PID",
	    "STATE", "SITE", "CLIENT", "REQUESTS", "SECONDS", "REQUEST");
	for (i = 0; i < nw; i++) {
		printf("%5d %8ld %-10s ", w[i].slot, w[i].pid,
		    status_state_name(w[i].state));
		if (w[i].site != 0)
			printf("%6lu ", (unsigned long)w[i].site);
		else
			printf("%6s ", "-");
		printf("%-15s ", w[i].client[0] ? w[i].client : "-");
		printf("%9llu %7.1f  ", (unsigned long long)w[i].requests,
		    (double)w[i].since_ms / 1000);
		print_text(w[i].line[0] ? w[i].line : "-");
		putchar('\n');
	}
	printf("\n%6s %11s %10s %14s %8s %8s %8s %8s %8s\n", "SITE",
	    "CONNECTIONS", "REQUESTS", "BYTES", "1XX", "2XX", "3XX", "4XX",
	    "5XX");
	for (i = 0; i < ns; i++) {
		if (s[i].site != 0)
			printf("%6lu ", (unsigned long)s[i].site);
		else
			printf("%6s ", "-");
		printf("%11u %10llu %14llu %8llu %8llu %8llu %8llu %8llu\n",
		    s[i].conns, (unsigned long long)s[i].requests,
		    (unsigned long long)s[i].bytes,
		    (unsigned long long)s[i].status[0],
		    (unsigned long long)s[i].status[1],
		    (unsigned long long)s[i].status[2],
		    (unsigned long long)s[i].status[3],
		    (unsigned long long)s[i].status[4]);
	}
	for (i = 0; i < ns; i++)
		if (s[i].unbound[0] != '\0')
			printf("site %lu is not served on one of its bindings: "
			    "%s\n", (unsigned long)s[i].site, s[i].unbound);
}

static void
out_json(const struct scoreboard *sb, const char *dir, const struct wrow *w,
    size_t nw, const struct srow *s, size_t ns)
{
	size_t	 i, j;

	printf("{\"master\":{\"pid\":%ld,\"metabase\":",
	    (long)atomic_load(&sb->master_pid));
	print_json_str(dir);
	printf(",\"started\":%lld,\"generation\":%u},",
	    (long long)atomic_load(&sb->started),
	    (unsigned)atomic_load(&sb->generation));
	printf("\"pool\":{\"min_spare\":%u,\"max_spare\":%u,"
	    "\"max_workers\":%u,\"max_requests\":%u},",
	    (unsigned)atomic_load(&sb->min_spare),
	    (unsigned)atomic_load(&sb->max_spare),
	    (unsigned)atomic_load(&sb->max_workers),
	    (unsigned)atomic_load(&sb->max_requests));
	printf("\"workers\":[");
	for (i = 0; i < nw; i++) {
		printf("%s{\"slot\":%d,\"pid\":%ld,\"state\":\"%s\","
		    "\"site\":%lu,\"client\":", i ? "," : "", w[i].slot,
		    w[i].pid, status_state_name(w[i].state),
		    (unsigned long)w[i].site);
		print_json_str(w[i].client);
		printf(",\"requests\":%llu,\"seconds\":%.3f,\"request\":",
		    (unsigned long long)w[i].requests,
		    (double)w[i].since_ms / 1000);
		print_json_str(w[i].line);
		putchar('}');
	}
	printf("],\"sites\":[");
	for (i = 0; i < ns; i++) {
		printf("%s{\"site\":%lu,\"connections\":%u,\"requests\":%llu,"
		    "\"bytes\":%llu,\"status\":{", i ? "," : "",
		    (unsigned long)s[i].site, s[i].conns,
		    (unsigned long long)s[i].requests,
		    (unsigned long long)s[i].bytes);
		for (j = 0; j < 5; j++)
			printf("%s\"%zuxx\":%llu", j ? "," : "", j + 1,
			    (unsigned long long)s[i].status[j]);
		printf("},\"not_served\":");
		if (s[i].unbound[0] != '\0')
			print_json_str(s[i].unbound);
		else
			printf("null");
		printf("}");
	}
	printf("]}\n");
}

/* The Prometheus text exposition format (version 0.0.4). */
static void
out_prom(const struct scoreboard *sb, const struct wrow *w, size_t nw,
    const struct srow *s, size_t ns)
{
	unsigned	 count[SB_NSTATES] = { 0 };
	size_t		 i, j;
	int		 st;

	for (i = 0; i < nw; i++)
		if (w[i].state >= 0 && w[i].state < SB_NSTATES)
			count[w[i].state]++;
	printf("# HELP mbhttpd_start_time_seconds When the master started.\n"
	    "# TYPE mbhttpd_start_time_seconds gauge\n"
	    "mbhttpd_start_time_seconds %lld\n",
	    (long long)atomic_load(&sb->started));
	printf("# HELP mbhttpd_generation Graceful restarts since the start."
	    "\n# TYPE mbhttpd_generation gauge\n"
	    "mbhttpd_generation %u\n", (unsigned)atomic_load(&sb->generation));
	printf("# HELP mbhttpd_max_workers MaxWorkers.\n"
	    "# TYPE mbhttpd_max_workers gauge\nmbhttpd_max_workers %u\n",
	    (unsigned)atomic_load(&sb->max_workers));
	printf("# HELP mbhttpd_workers Worker processes by state.\n"
	    "# TYPE mbhttpd_workers gauge\n");
	for (st = SB_STARTING; st < SB_NSTATES; st++)
		printf("mbhttpd_workers{state=\"%s\"} %u\n",
		    status_state_name(st), count[st]);
	printf("# HELP mbhttpd_connections Open connections by site.\n"
	    "# TYPE mbhttpd_connections gauge\n");
	for (i = 0; i < ns; i++)
		if (s[i].site != 0)
			printf("mbhttpd_connections{site=\"%lu\"} %u\n",
			    (unsigned long)s[i].site, s[i].conns);
	printf("# HELP mbhttpd_site_bind_failed Whether a binding of the site "
	    "cannot be bound.\n# TYPE mbhttpd_site_bind_failed gauge\n");
	for (i = 0; i < ns; i++)
		if (s[i].site != 0)
			printf("mbhttpd_site_bind_failed{site=\"%lu\"} %d\n",
			    (unsigned long)s[i].site, s[i].unbound[0] != '\0');
	printf("# HELP mbhttpd_requests_total Requests answered, by site "
	    "(\"\" for none).\n# TYPE mbhttpd_requests_total counter\n");
	for (i = 0; i < ns; i++)
		printf("mbhttpd_requests_total{site=\"%.0lu\"} %llu\n",
		    (unsigned long)s[i].site,
		    (unsigned long long)s[i].requests);
	printf("# HELP mbhttpd_sent_bytes_total Bytes sent, by site.\n"
	    "# TYPE mbhttpd_sent_bytes_total counter\n");
	for (i = 0; i < ns; i++)
		printf("mbhttpd_sent_bytes_total{site=\"%.0lu\"} %llu\n",
		    (unsigned long)s[i].site, (unsigned long long)s[i].bytes);
	printf("# HELP mbhttpd_responses_total Responses by site and status "
	    "class.\n# TYPE mbhttpd_responses_total counter\n");
	for (i = 0; i < ns; i++)
		for (j = 0; j < 5; j++)
			printf("mbhttpd_responses_total{site=\"%.0lu\","
			    "code=\"%zuxx\"} %llu\n", (unsigned long)s[i].site,
			    j + 1, (unsigned long long)s[i].status[j]);
}

int
cmd_status(struct ctl *ctl, int argc, char **argv)
{
	const struct scoreboard *sb;
	enum format	 fmt = FMT_TEXT;
	struct wrow	*w = NULL;
	struct srow	*s = NULL;
	size_t		 nw = 0, ns = 0;
	char		 err[4200];
	int		 i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			fmt = FMT_JSON;
		else if (strcmp(argv[i], "--prometheus") == 0)
			fmt = FMT_PROM;
		else {
			ctl_errx("status: unknown option '%s'", argv[i]);
			return CTL_USAGE;
		}
	}
	if ((sb = status_open(ctl->dir, err, sizeof(err))) == NULL)
		return ctl_errx("%s", err);
	if ((rc = snapshot(sb, &w, &nw, &s, &ns)) != CTL_OK) {
		status_close(sb);
		return rc;
	}
	if (fmt == FMT_JSON)
		out_json(sb, ctl->dir, w, nw, s, ns);
	else if (fmt == FMT_PROM)
		out_prom(sb, w, nw, s, ns);
	else
		out_text(sb, ctl->dir, w, nw, s, ns);
	free(w);
	free(s);
	status_close(sb);
	return CTL_OK;
}
