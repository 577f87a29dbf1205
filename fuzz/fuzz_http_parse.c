/*
 * fuzz_http_parse.c - the request head parser and the chunked decoder.
 *
 * The input is what a client sends.  The head is parsed whole, then
 * prefixes of it are parsed as the worker does while a head arrives (all
 * of them for a short input, a repeatable sample for a long one), each in
 * a buffer of its own size so that ASan sees a read past its end: a
 * prefix gives HP_PARTIAL, or what the whole gave, and once it gives the
 * latter every longer prefix does too.  What follows a complete head (the
 * whole input when there is none) goes to the chunked decoder whole, one
 * byte at a time and in random pieces: all three must agree.
 */
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "server/http/http_parse.h"

/* Inputs up to this long have every prefix parsed; longer ones a sample. */
#define ALL_PREFIXES	128
#define SAMPLE		16

/* A small PRNG (splitmix64) seeded from the input, for repeatable runs. */
static uint64_t
next_rand(uint64_t *s)
{
	uint64_t	z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int
same_span(const char *a, size_t alen, const char *abase, const char *b,
    size_t blen, const char *bbase)
{
	if (a == NULL || b == NULL)
		return a == b && alen == blen;
	return alen == blen && a - abase == b - bbase;
}

/* Whether two parses of the same bytes (at abase, bbase) agree. */
static int
same_req(const struct hp_request *a, const char *abase,
    const struct hp_request *b, const char *bbase)
{
	size_t	i;

	if (a->meth != b->meth || a->form != b->form ||
	    a->minor != b->minor || a->nheaders != b->nheaders ||
	    a->host_port != b->host_port || a->has_host != b->has_host ||
	    a->content_length != b->content_length ||
	    a->chunked != b->chunked || a->conn_close != b->conn_close ||
	    a->conn_keepalive != b->conn_keepalive ||
	    a->expect_continue != b->expect_continue ||
	    a->expect_other != b->expect_other)
		return 0;
	if (!same_span(a->method, a->method_len, abase, b->method,
	    b->method_len, bbase) ||
	    !same_span(a->target, a->target_len, abase, b->target,
	    b->target_len, bbase) ||
	    !same_span(a->path, a->path_len, abase, b->path, b->path_len,
	    bbase) ||
	    !same_span(a->host, a->host_len, abase, b->host, b->host_len,
	    bbase))
		return 0;
	for (i = 0; i < a->nheaders; i++)
		if (!same_span(a->headers[i].name, a->headers[i].name_len,
		    abase, b->headers[i].name, b->headers[i].name_len, bbase) ||
		    !same_span(a->headers[i].value, a->headers[i].value_len,
		    abase, b->headers[i].value, b->headers[i].value_len, bbase))
			return 0;
	return 1;
}

/* What hp_parse_request.h promises of a complete head. */
static void
check_complete(const struct hp_request *r, const char *buf, int n)
{
	size_t	i;

	FUZZ_ASSERT(n >= 16 && (size_t)n <= HP_MAXHEAD);
	FUZZ_ASSERT(memcmp(buf + n - 4, "\r\n\r\n", 4) == 0);
	FUZZ_ASSERT(r->minor == 0 || r->minor == 1);
	FUZZ_ASSERT(r->target_len > 0 && r->target_len <= HP_MAXREQLINE);
	FUZZ_ASSERT(r->path >= r->target &&
	    r->path + r->path_len == r->target + r->target_len);
	FUZZ_ASSERT(r->nheaders <= HP_MAXHEADERS);
	/* Issue 11: an empty host is 400, so a host is never empty. */
	if (r->has_host) {
		FUZZ_ASSERT(r->host != NULL);
		FUZZ_ASSERT(r->host_len > 0 && r->host_len <= HP_MAXHOST);
	} else
		FUZZ_ASSERT(r->minor == 0 && r->host == NULL &&
		    r->host_len == 0);
	FUZZ_ASSERT(r->host_port >= -1 && r->host_port <= 65535);
	FUZZ_ASSERT(!(r->chunked && r->content_length != -1));
	for (i = 0; i < r->nheaders; i++) {
		const struct hp_header *h = &r->headers[i];

		FUZZ_ASSERT(h->name_len > 0);
		FUZZ_ASSERT(memchr(h->value, '\r', h->value_len) == NULL);
		FUZZ_ASSERT(memchr(h->value, '\n', h->value_len) == NULL);
		FUZZ_ASSERT(h->value_len == 0 || (h->value[0] != ' ' &&
		    h->value[h->value_len - 1] != ' '));
	}
}

/* Parse buf[0..len) in a buffer of exactly len bytes. */
static int
parse_copy(const char *buf, size_t len, struct hp_request *r, char **copy,
    int *status)
{
	*copy = malloc(len > 0 ? len : 1);
	FUZZ_ASSERT(*copy != NULL);
	if (len > 0)
		memcpy(*copy, buf, len);
	return hp_parse_request(*copy, len, r, status);
}

static int
cmp_size(const void *a, const void *b)
{
	size_t	x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Parse the prefix of plen bytes and hold it to the whole's answer (rc,
 * st, whole); *decided says whether a shorter prefix already had a
 * definite answer.  Returns whether this one had.
 */
static int
check_prefix(const char *buf, size_t plen, int rc, int st,
    const struct hp_request *whole, int decided)
{
	static struct hp_request part;
	char	*copy;
	int	 prc, pst;

	prc = parse_copy(buf, plen, &part, &copy, &pst);
	if (prc == HP_PARTIAL) {
		/* Partial after a definite answer: the parser took back
		 * what it said. */
		FUZZ_ASSERT(!decided);
		if (rc > 0)
			FUZZ_ASSERT(plen < (size_t)rc);
	} else {
		FUZZ_ASSERT(prc == rc);
		if (rc == HP_ERROR)
			FUZZ_ASSERT(pst == st);
		else
			FUZZ_ASSERT(same_req(whole, buf, &part, copy));
	}
	free(copy);
	return prc != HP_PARTIAL;
}

/* The head: returns its length when complete, else 0. */
static size_t
check_head(const char *buf, size_t len, uint64_t *seed)
{
	static struct hp_request whole;
	static struct hp_request part;
	size_t		 lens[SAMPLE + 3], n = 0, i, lo, hi, mid;
	char		*copy;
	int		 rc, st, pst, decided = 0;

	rc = hp_parse_request(buf, len, &whole, &st);
	FUZZ_ASSERT(rc == HP_PARTIAL || rc == HP_ERROR || rc > 0);
	if (rc > 0) {
		FUZZ_ASSERT(st == 0);
		check_complete(&whole, buf, rc);
	} else if (rc == HP_ERROR)
		FUZZ_ASSERT(st == 400 || st == 414 || st == 431 ||
		    st == 501 || st == 505);
	else
		FUZZ_ASSERT(len < HP_MAXHEAD);

	if (len <= ALL_PREFIXES) {
		for (i = 0; i < len; i++)
			decided = check_prefix(buf, i, rc, st, &whole,
			    decided);
		return rc > 0 ? (size_t)rc : 0;
	}
	/*
	 * A long input: the shortest prefix with a definite answer, by
	 * bisection (it exists when the whole has one), the prefixes on
	 * either side of it, and a sorted random sample.
	 */
	if (rc != HP_PARTIAL) {
		for (lo = 0, hi = len; lo < hi;) {
			mid = lo + (hi - lo) / 2;
			if (parse_copy(buf, mid, &part, &copy, &pst) ==
			    HP_PARTIAL)
				lo = mid + 1;
			else
				hi = mid;
			free(copy);
		}
		if (lo > 0)
			lens[n++] = lo - 1;
		lens[n++] = lo;
		if (lo + 1 < len)
			lens[n++] = lo + 1;
	}
	for (i = 0; i < SAMPLE; i++)
		lens[n++] = (size_t)(next_rand(seed) % len);
	qsort(lens, n, sizeof(lens[0]), cmp_size);
	for (i = 0; i < n; i++)
		decided = check_prefix(buf, lens[i], rc, st, &whole, decided);
	return rc > 0 ? (size_t)rc : 0;
}

static int
decode(struct hp_chunked *ck, const char *buf, size_t len, size_t *used,
    int *status)
{
	int	rc;

	*used = (size_t)-1;
	rc = hp_decode_chunked(ck, buf, len, used, status);
	FUZZ_ASSERT(rc == 0 || rc == HP_PARTIAL || rc == HP_ERROR);
	if (rc == 0)
		FUZZ_ASSERT(*used <= len && *status == 0);
	else if (rc == HP_PARTIAL)
		FUZZ_ASSERT(*used == len);
	else
		FUZZ_ASSERT(*status == 400 || *status == 413 ||
		    *status == 431);
	return rc;
}

/*
 * Feed buf[0..len) in pieces (of 1 byte, or random sizes when seed is
 * not NULL, each piece in a buffer of its own); *total is what a
 * successful end took.
 */
static int
decode_pieces(const char *buf, size_t len, uint64_t *seed,
    struct hp_chunked *ck, size_t *total, int *status)
{
	size_t	 off = 0, n, used;
	char	*piece;
	int	 rc = HP_PARTIAL;

	hp_chunked_init(ck);
	*total = 0;
	*status = 0;
	while (off < len) {
		n = seed == NULL ? 1 : 1 + (size_t)(next_rand(seed) %
		    (len - off < 64 ? len - off : 64));
		if ((piece = malloc(n)) == NULL)
			abort();
		memcpy(piece, buf + off, n);
		rc = decode(ck, piece, n, &used, status);
		free(piece);
		if (rc != HP_PARTIAL) {
			*total = off + used;
			return rc;
		}
		off += n;
	}
	*total = len;
	return rc;
}

static void
check_chunked(const char *buf, size_t len, uint64_t *seed)
{
	struct hp_chunked	 a, b, c;
	size_t			 used, bused, cused;
	int			 rc, st, brc, bst, crc, cst;

	hp_chunked_init(&a);
	rc = decode(&a, buf, len, &used, &st);
	brc = decode_pieces(buf, len, NULL, &b, &bused, &bst);
	crc = decode_pieces(buf, len, seed, &c, &cused, &cst);
	FUZZ_ASSERT(brc == rc && crc == rc);
	if (rc == HP_ERROR) {
		FUZZ_ASSERT(bst == st && cst == st);
		return;
	}
	FUZZ_ASSERT(a.body_len == b.body_len && a.body_len == c.body_len);
	FUZZ_ASSERT(a.body_len <= INT64_MAX);
	if (rc == 0) {
		FUZZ_ASSERT(bused == used && cused == used);
		FUZZ_ASSERT(used >= 5);
		/* Once done, it takes nothing more. */
		FUZZ_ASSERT(decode(&a, buf, len, &used, &st) == 0 &&
		    used == 0);
	} else
		FUZZ_ASSERT(a.state == b.state && a.state == c.state &&
		    a.left == b.left && a.left == c.left);
}

/*
 * The parser's IPv6address (RFC 3986 3.2.2) against inet_pton(3), which
 * reads the same grammar (RFC 4291 2.2): the input, if short and free of
 * what ends a field, as the literal of a Host.
 */
static void
check_ipv6(const uint8_t *data, size_t size)
{
	struct hp_request	 r;
	unsigned char		 addr[16];
	char			 lit[64], req[128];
	size_t			 i;
	int			 n, st, ours, theirs;

	if (size == 0 || size >= sizeof(lit) || data[0] == 'v' ||
	    data[0] == 'V')
		return;
	for (i = 0; i < size; i++)
		if (!(data[i] >= '0' && data[i] <= '9') &&
		    !(data[i] >= 'a' && data[i] <= 'f') &&
		    !(data[i] >= 'A' && data[i] <= 'F') &&
		    data[i] != ':' && data[i] != '.')
			return;
	memcpy(lit, data, size);
	lit[size] = '\0';
	n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: [%s]\r\n\r\n",
	    lit);
	ours = hp_parse_request(req, (size_t)n, &r, &st) == n;
	theirs = inet_pton(AF_INET6, lit, addr) == 1;
	FUZZ_ASSERT(ours == theirs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*buf = (const char *)data;
	uint64_t	 seed = fuzz_hash(data, size);
	size_t		 head;

	check_ipv6(data, size);
	head = check_head(buf, size, &seed);
	check_chunked(buf + head, size - head, &seed);
	return 0;
}
