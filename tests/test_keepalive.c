/*
 * test_keepalive.c - tests for server/keepalive.c, suite keepalive.
 *
 * The rows of the keep-alive issue's table as named tests, then every
 * combination of inputs against an oracle written out plainly here.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "server/http/keepalive.h"

/* A request that would keep the connection if nothing said otherwise. */
static struct ka_input
base(int minor, int close, int keepalive, int allow)
{
	struct ka_input	in;

	memset(&in, 0, sizeof(in));
	in.minor = minor;
	in.req_close = close;
	in.req_keepalive = keepalive;
	in.allow = allow;
	in.legacy = 0;
	in.max_requests = 0;
	in.nrequests = 1;
	in.delimited = 1;
	in.body_read = 1;
	in.stopping = 0;
	in.pool_busy = 0;
	return in;
}

static void
expect(const struct ka_input *in, int keep, enum ka_token token)
{
	enum ka_token	t = (enum ka_token)-1;

	cr_assert_eq(ka_decide(in, &t) == KA_KEEP, keep);
	cr_assert_eq(t, token);
}

Test(keepalive, allow_http11_stays_open)
{
	struct ka_input	in = base(1, 0, 0, 1);

	expect(&in, 1, KA_TOKEN_NONE);
}

Test(keepalive, allow_http11_close_is_closed)
{
	struct ka_input	in = base(1, 1, 0, 1);

	expect(&in, 0, KA_TOKEN_CLOSE);
}

Test(keepalive, allow_http10_keepalive_stays_open)
{
	struct ka_input	in = base(0, 0, 1, 1);

	expect(&in, 1, KA_TOKEN_KEEPALIVE);
}

Test(keepalive, allow_http10_plain_is_closed_silently)
{
	struct ka_input	in = base(0, 0, 0, 1);

	expect(&in, 0, KA_TOKEN_NONE);
}

Test(keepalive, disallow_http11_is_closed)
{
	struct ka_input	in = base(1, 0, 0, 0);

	expect(&in, 0, KA_TOKEN_CLOSE);
}

Test(keepalive, disallow_http10_keepalive_is_closed)
{
	struct ka_input	in = base(0, 0, 1, 0);

	expect(&in, 0, KA_TOKEN_CLOSE);
}

Test(keepalive, legacy_http11_stays_open)
{
	struct ka_input	in = base(1, 0, 0, 0);

	in.legacy = 1;
	expect(&in, 1, KA_TOKEN_NONE);
}

Test(keepalive, legacy_http10_keepalive_is_closed)
{
	struct ka_input	in = base(0, 0, 1, 0);

	in.legacy = 1;
	expect(&in, 0, KA_TOKEN_CLOSE);
}

Test(keepalive, max_requests_closes_the_nth)
{
	struct ka_input	in = base(1, 0, 0, 1);

	in.max_requests = 3;
	in.nrequests = 2;
	expect(&in, 1, KA_TOKEN_NONE);
	in.nrequests = 3;
	expect(&in, 0, KA_TOKEN_CLOSE);
	in = base(0, 0, 1, 1);
	in.max_requests = 3;
	in.nrequests = 3;
	expect(&in, 0, KA_TOKEN_CLOSE);
	/* MaxKeepAliveRequests 1: the first request is the last */
	in = base(1, 0, 0, 1);
	in.max_requests = 1;
	expect(&in, 0, KA_TOKEN_CLOSE);
	/* 0 is no limit */
	in.max_requests = 0;
	in.nrequests = 4000000000u;
	expect(&in, 1, KA_TOKEN_NONE);
}

Test(keepalive, close_wins_over_keepalive)
{
	struct ka_input	in = base(1, 1, 1, 1);

	expect(&in, 0, KA_TOKEN_CLOSE);
	in = base(0, 1, 1, 1);
	expect(&in, 0, KA_TOKEN_CLOSE);
}

Test(keepalive, server_reasons_close)
{
	struct ka_input	in;

	in = base(1, 0, 0, 1);
	in.delimited = 0;
	expect(&in, 0, KA_TOKEN_CLOSE);
	in = base(1, 0, 0, 1);
	in.body_read = 0;
	expect(&in, 0, KA_TOKEN_CLOSE);
	in = base(0, 0, 1, 1);
	in.stopping = 1;
	expect(&in, 0, KA_TOKEN_CLOSE);
	in = base(0, 0, 0, 1);
	in.stopping = 1;
	expect(&in, 0, KA_TOKEN_NONE);
}

/*
 * A busy pool (clients queued, no worker idle): what would stay open
 * closes, saying so, and lingers, as the client meant to send more; what
 * closes anyway is unchanged.
 */
Test(keepalive, busy_pool_closes_what_would_stay_open)
{
	struct ka_input	in;
	enum ka_token	t;

	in = base(1, 0, 0, 1);
	in.pool_busy = 1;
	expect(&in, 0, KA_TOKEN_CLOSE);
	cr_assert_eq(ka_decide(&in, &t), KA_LINGER);
	in = base(0, 0, 1, 1);
	in.pool_busy = 1;
	expect(&in, 0, KA_TOKEN_CLOSE);
	cr_assert_eq(ka_decide(&in, &t), KA_LINGER);
	/* LegacyKeepAlives keeps HTTP/1.1 whatever AllowKeepAlives says,
	 * not whatever the pool says. */
	in = base(1, 0, 0, 0);
	in.legacy = 1;
	in.pool_busy = 1;
	expect(&in, 0, KA_TOKEN_CLOSE);
	/* Closed anyway: as without a busy pool. */
	in = base(0, 0, 0, 1);
	in.pool_busy = 1;
	expect(&in, 0, KA_TOKEN_NONE);
	cr_assert_eq(ka_decide(&in, &t), KA_CLOSE);
	in = base(1, 1, 0, 1);
	in.pool_busy = 1;
	expect(&in, 0, KA_TOKEN_CLOSE);
	cr_assert_eq(ka_decide(&in, &t), KA_CLOSE);
	/* Not busy: kept. */
	in = base(1, 0, 0, 1);
	expect(&in, 1, KA_TOKEN_NONE);
}

Test(keepalive, token_lines)
{
	cr_assert_str_eq(ka_token_line(KA_TOKEN_NONE), "");
	cr_assert_str_eq(ka_token_line(KA_TOKEN_CLOSE),
	    "Connection: close\r\n");
	cr_assert_str_eq(ka_token_line(KA_TOKEN_KEEPALIVE),
	    "Connection: keep-alive\r\n");
}

/*
 * The oracle: the rules, one at a time.  Does the client want to
 * keep the connection?  Does anything on our side forbid it?  Then which
 * token tells the client what happened, if its default would mislead it.
 */
static int
oracle(const struct ka_input *in, enum ka_token *token)
{
	int	client_wants, server_refuses = 0, keep;

	if (in->minor == 1)
		client_wants = in->req_close == 0;	/* persistent default */
	else
		client_wants = in->req_keepalive == 1 && in->req_close == 0;

	if (in->allow == 0) {
		if (in->legacy == 1 && in->minor == 1)
			;	/* IIS 4.0 kept HTTP/1.1 open anyway */
		else
			server_refuses = 1;
	}
	if (in->max_requests > 0 && in->nrequests >= in->max_requests)
		server_refuses = 1;
	if (in->delimited == 0)
		server_refuses = 1;
	if (in->body_read == 0)
		server_refuses = 1;
	if (in->stopping == 1)
		server_refuses = 1;
	if (in->pool_busy == 1)
		server_refuses = 1;

	keep = client_wants && !server_refuses;

	if (keep && in->minor == 1)
		*token = KA_TOKEN_NONE;
	else if (keep && in->minor == 0)
		*token = KA_TOKEN_KEEPALIVE;
	else if (in->minor == 1)
		*token = KA_TOKEN_CLOSE;
	else if (in->req_keepalive == 1)
		*token = KA_TOKEN_CLOSE;
	else
		*token = KA_TOKEN_NONE;
	return keep;
}

/* Whether the client may send more: it wanted the connection kept, or
 * its body is unread. */
static int
linger_oracle(const struct ka_input *in)
{
	int	 wants;

	if (in->minor == 1)
		wants = !in->req_close;
	else
		wants = in->req_keepalive && !in->req_close;
	return wants || !in->body_read;
}

Test(keepalive, closed_with_body_unread_lingers)
{
	struct ka_input	in = base(1, 1, 0, 1);
	enum ka_token	t;

	in.body_read = 0;
	cr_assert_eq(ka_decide(&in, &t), KA_LINGER);
	in.body_read = 1;
	cr_assert_eq(ka_decide(&in, &t), KA_CLOSE);
}

Test(keepalive, refused_keepalive_lingers)
{
	struct ka_input	in = base(1, 0, 0, 0);
	enum ka_token	t;

	/* The client expected to send more: do not reset it. */
	cr_assert_eq(ka_decide(&in, &t), KA_LINGER);
	in = base(0, 0, 0, 1);
	cr_assert_eq(ka_decide(&in, &t), KA_CLOSE);
}

Test(keepalive, truth_table)
{
	static const unsigned	 maxes[] = { 0, 1, 3 };
	static const unsigned	 counts[] = { 1, 2, 3 };
	struct ka_input		 in;
	enum ka_token		 got, want;
	enum ka_next		 next;
	int			 minor, conn, allow, legacy, mi, ci;
	int			 delim, body, stop, busy, n = 0, kept = 0;

	for (minor = 0; minor <= 1; minor++)
	for (conn = 0; conn < 4; conn++)	/* neither, close, ka, both */
	for (allow = 0; allow <= 1; allow++)
	for (legacy = 0; legacy <= 1; legacy++)
	for (mi = 0; mi < 3; mi++)
	for (ci = 0; ci < 3; ci++)
	for (delim = 0; delim <= 1; delim++)
	for (body = 0; body <= 1; body++)
	for (stop = 0; stop <= 1; stop++)
	for (busy = 0; busy <= 1; busy++) {
		in.minor = minor;
		in.req_close = conn & 1;
		in.req_keepalive = (conn & 2) != 0;
		in.allow = allow;
		in.legacy = legacy;
		in.max_requests = maxes[mi];
		in.nrequests = counts[ci];
		in.delimited = delim;
		in.body_read = body;
		in.stopping = stop;
		in.pool_busy = busy;
		got = want = (enum ka_token)-1;
		next = ka_decide(&in, &got);
		cr_assert_eq(next == KA_KEEP, oracle(&in, &want),
		    "keep: minor %d conn %d allow %d legacy %d max %u "
		    "count %u delim %d body %d stop %d busy %d", minor, conn,
		    allow, legacy, in.max_requests, in.nrequests, delim, body,
		    stop, busy);
		cr_assert_eq(got, want,
		    "token: minor %d conn %d allow %d legacy %d max %u "
		    "count %u delim %d body %d stop %d busy %d", minor, conn,
		    allow, legacy, in.max_requests, in.nrequests, delim, body,
		    stop, busy);
		/* Not kept: linger while the client may still send. */
		if (next != KA_KEEP)
			cr_assert_eq(next, linger_oracle(&in) ? KA_LINGER :
			    KA_CLOSE, "linger: minor %d conn %d body %d",
			    minor, conn, body);
		kept += oracle(&in, &want);
		n++;
	}
	cr_assert_eq(n, 2 * 4 * 2 * 2 * 3 * 3 * 2 * 2 * 2 * 2);
	/* a sanity check of the oracle: some combinations keep, most not */
	cr_assert_gt(kept, 0);
	cr_assert_lt(kept, n / 2);
}
