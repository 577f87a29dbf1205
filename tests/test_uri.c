/*
 * test_uri.c - tests for server/uri.c, suite uri.
 *
 * Inputs end at a page boundary followed by a PROT_NONE page, so that
 * reading past them crashes.
 */

#include <sys/mman.h>

#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "mbt.h"

#include "server/http/uri.h"

static char		 out[MBT_GUARD_MAX];
static size_t		 outlen;
static const char	*query;
static size_t		 querylen;

static int
norm(const char *s)
{
	size_t	len = strlen(s);

	return uri_normalize(mbt_guard(s, len), len, out, sizeof(out), &outlen,
	    &query, &querylen);
}

#define OK(in, want) do {						\
	int rc_ = norm(in);						\
	cr_assert_eq(rc_, 0, "%s: %s", (in), uri_strerror(rc_));	\
	cr_assert_str_eq(out, (want), "%s", (in));			\
	cr_assert_eq(outlen, strlen(want), "%s", (in));			\
} while (0)

#define ERR(in, code) do {						\
	int rc_ = norm(in);						\
	cr_assert_eq(rc_, (code), "%s: got %d (%s)", (in), rc_,	\
	    uri_strerror(rc_));						\
} while (0)

Test(uri, plain_paths)
{
	OK("/", "/");
	OK("/index.html", "/index.html");
	OK("/a/b/c.txt", "/a/b/c.txt");
	OK("/dir/", "/dir/");
	OK("/a%20b/%41", "/a b/A");
	OK("/caf%C3%A9", "/caf\xc3\xa9");
	OK("/...", "/...");
	OK("/.a/..b/a..", "/.a/..b/a..");
	OK("/a-._~!$&'()*+,;=:@", "/a-._~!$&'()*+,;=:@");
}

Test(uri, empty_and_query_only)
{
	/* what an absolute-form target without a path leaves */
	OK("", "/");
	cr_assert_eq(query, NULL);
	cr_assert_eq(querylen, 0);
	OK("?x=1", "/");
	cr_assert_eq(querylen, 3);
	cr_assert_eq(memcmp(query, "x=1", 3), 0);
	ERR("a/b", URI_EPATH);
	ERR("*", URI_EPATH);
}

Test(uri, query_split)
{
	OK("/a/b?c=d&e=%2F..%00", "/a/b");
	cr_assert_eq(querylen, strlen("c=d&e=%2F..%00"));
	cr_assert_eq(memcmp(query, "c=d&e=%2F..%00", querylen), 0);
	OK("/a?", "/a");
	cr_assert_neq(query, NULL);
	cr_assert_eq(querylen, 0);
	OK("/a/..?x", "/");
	cr_assert_eq(querylen, 1);
	OK("/d/?/", "/d/");
	OK("/x", "/x");
	cr_assert_eq(query, NULL);
	/* the query is not decoded, so "%zz" there is the caller's to judge */
	OK("/a?%zz", "/a");
}

Test(uri, dot_segments)
{
	OK("/./a/./b/", "/a/b/");
	OK("/a/b/..", "/a/");
	OK("/a/b/.", "/a/b/");
	OK("/a/b/../", "/a/");
	OK("/a/b/../c", "/a/c");
	OK("/a/../b", "/b");
	OK("/a/..", "/");
	OK("/.", "/");
	OK("/./", "/");
	OK("/a/b/c/../../d", "/a/d");
	OK("/a/./../b/./c/..", "/b/");
	/* decoded dots are dots */
	OK("/a/%2e%2E/b", "/b");
	OK("/a/%2e/b", "/a/b");
	OK("/a/.%2e", "/");
}

Test(uri, traversal)
{
	ERR("/..", URI_EDOTDOT);
	ERR("/../", URI_EDOTDOT);
	ERR("/../etc/passwd", URI_EDOTDOT);
	ERR("/a/../../b", URI_EDOTDOT);
	ERR("/a/b/../../../etc", URI_EDOTDOT);
	ERR("/./../x", URI_EDOTDOT);
	ERR("/%2e%2e/x", URI_EDOTDOT);
	ERR("/%2E%2e", URI_EDOTDOT);
	ERR("/.%2E/x", URI_EDOTDOT);
	ERR("/%2E%2e%2fetc", URI_ESLASH);
	ERR("/..%2f..%2f", URI_ESLASH);
	ERR("/a%2fb", URI_ESLASH);
	ERR("/a%2Fb", URI_ESLASH);
	ERR("/a/%00b", URI_ENUL);
	ERR("/a%00", URI_ENUL);
	ERR("/a%5c..%5cb", URI_EBACKSLASH);
	ERR("/a\\..\\b", URI_EBACKSLASH);
	ERR("/..\\x", URI_EBACKSLASH);
	/* "//" is one slash, so this stays under the root */
	OK("//etc/passwd", "/etc/passwd");
	OK("///a//b///", "/a/b/");
	/* as the file system reads "a//..": the parent of a */
	OK("/a//..", "/");
	OK("/a//../b", "/b");
	ERR("//..", URI_EDOTDOT);
	ERR("/a//..//..", URI_EDOTDOT);
}

Test(uri, overlong_utf8_is_not_a_dot)
{
	/* bytes, not characters: a name of four bytes, under the root */
	OK("/%c0%ae%c0%ae", "/\xc0\xae\xc0\xae");
	OK("/%c0%ae%c0%ae/x", "/\xc0\xae\xc0\xae/x");
	OK("/%e0%80%ae", "/\xe0\x80\xae");
	OK("/%c0%af", "/\xc0\xaf");
}

Test(uri, bad_percent)
{
	ERR("%", URI_EPATH);
	ERR("/%", URI_EBADPCT);
	ERR("/%2", URI_EBADPCT);
	ERR("/%zz", URI_EBADPCT);
	ERR("/%2g", URI_EBADPCT);
	ERR("/%g2", URI_EBADPCT);
	ERR("/a%", URI_EBADPCT);
	ERR("/%%32%65", URI_EBADPCT);
	ERR("/% 1", URI_EBADPCT);
	/* decoded once only */
	OK("/%252e%252e", "/%2e%2e");
}

Test(uri, control_and_odd_characters)
{
	ERR("/a%0ab", URI_ECTL);
	ERR("/a%0D%0AX-Injected:1", URI_ECTL);
	ERR("/a%7f", URI_ECTL);
	ERR("/a%1f", URI_ECTL);
	ERR("/a b", URI_ECTL);
	ERR("/a\tb", URI_ECTL);
	ERR("/a\x7f", URI_ECTL);
	ERR("/caf\xc3\xa9", URI_ECTL);
	ERR("/a#b", URI_EFRAGMENT);
	ERR("/a?b#c", URI_EFRAGMENT);
	ERR("#", URI_EFRAGMENT);
}

Test(uri, nul_in_raw_input)
{
	static const char	 s[] = "/a\0b";
	size_t			 len = sizeof(s) - 1;

	cr_assert_eq(uri_normalize(mbt_guard(s, len), len, out, sizeof(out),
	    &outlen, &query, &querylen), URI_ECTL);
}

Test(uri, long_path)
{
	static char	 in[4097], want[4097];
	size_t		 i;
	char		 small[4097];

	/* 4 KiB of "/abcdefg" segments, with traps in the middle */
	for (i = 0; i < 4096; i += 8)
		memcpy(in + i, "/abcdefg", 8);
	in[4096] = '\0';
	memcpy(want, in, sizeof(want));
	OK(in, want);
	cr_assert_eq(outlen, 4096);
	/* out may be exactly len + 1 */
	cr_assert_eq(uri_normalize(mbt_guard(in, 4096), 4096, small, 4097,
	    &outlen, &query, &querylen), 0);
	cr_assert_eq(uri_normalize(mbt_guard(in, 4096), 4096, small, 4096,
	    &outlen, &query, &querylen), URI_ETOOLONG);
	memcpy(in + 2048, "/../../", 7);
	cr_assert_eq(norm(in), 0);
	for (i = 0; i < 2048 / 8 - 2; i++)
		cr_assert_eq(memcmp(out + 8 * i, "/abcdefg", 8), 0);
	/* a climb out from deep below still fails */
	for (i = 0; i < 4096; i += 4)
		memcpy(in + i, "/../", 4);
	ERR(in, URI_EDOTDOT);
}

Test(uri, output_room)
{
	char	 o[8];

	/* "" needs "/" and a NUL */
	cr_assert_eq(uri_normalize(mbt_guard("", 0), 0, o, 2, &outlen, &query,
	    &querylen), 0);
	cr_assert_str_eq(o, "/");
	cr_assert_eq(uri_normalize(mbt_guard("", 0), 0, o, 1, &outlen, &query,
	    &querylen), URI_ETOOLONG);
	cr_assert_eq(uri_normalize(mbt_guard("/abcdef", 7), 7, o, 8, &outlen,
	    &query, &querylen), 0);
	cr_assert_str_eq(o, "/abcdef");
	cr_assert_eq(uri_normalize(mbt_guard("/abcdefg", 8), 8, o, 8, &outlen,
	    &query, &querylen), URI_ETOOLONG);
}

Test(uri, strerror)
{
	int	c;

	for (c = URI_ETOOLONG; c <= URI_EBADPCT; c++)
		cr_assert_str_neq(uri_strerror(c), "unknown error");
	cr_assert_str_eq(uri_strerror(-100), "unknown error");
}

Test(uri, escape)
{
	char	 o[256];
	size_t	 n;

	cr_assert_eq(uri_escape("a b/c%d", 7, o, sizeof(o), &n), 0);
	cr_assert_str_eq(o, "a%20b/c%25d");
	cr_assert_eq(n, strlen(o));
	cr_assert_eq(uri_escape("javascript:x", 12, o, sizeof(o), &n), 0);
	cr_assert_str_eq(o, "javascript%3Ax");
	cr_assert_eq(uri_escape("<\"'&>?#\\\x7f\x01\xc3\xa9", 12, o,
	    sizeof(o), &n), 0);
	cr_assert_str_eq(o, "%3C%22%27%26%3E%3F%23%5C%7F%01%C3%A9");
	cr_assert_eq(uri_escape("a\0b", 3, o, sizeof(o), &n), 0);
	cr_assert_str_eq(o, "a%00b");
	cr_assert_eq(uri_escape("AZaz09-._~!$()*+,;=@/", 21, o, sizeof(o),
	    &n), 0);
	cr_assert_str_eq(o, "AZaz09-._~!$()*+,;=@/");
	/* room: 3 * len + 1 is enough, one less is not */
	cr_assert_eq(uri_escape(mbt_guard("  ", 2), 2, o, 7, &n), 0);
	cr_assert_eq(uri_escape(mbt_guard("  ", 2), 2, o, 6, &n), -1);
	cr_assert_eq(uri_escape(mbt_guard("ab", 2), 2, o, 3, &n), 0);
	cr_assert_eq(uri_escape(mbt_guard("ab", 2), 2, o, 2, &n), -1);
	cr_assert_eq(uri_escape("", 0, o, 1, &n), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(uri_escape("", 0, o, 0, &n), -1);
}

Test(uri, escape_round_trips_through_normalize)
{
	static const char	 name[] = "x y%z?#;&\xc3\xa9";
	char			 o[256], path[300];
	size_t			 n;

	cr_assert_eq(uri_escape(name, sizeof(name) - 1, o, sizeof(o), &n), 0);
	path[0] = '/';
	memcpy(path + 1, o, n + 1);
	OK(path, "/x y%z?#;&\xc3\xa9");
}

Test(uri, html_escape)
{
	char	 o[256];
	size_t	 n;

	cr_assert_eq(uri_html_escape("<a href=\"x\">'&'</a>", 19, o,
	    sizeof(o), &n), 0);
	cr_assert_str_eq(o,
	    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
	cr_assert_eq(n, strlen(o));
	cr_assert_eq(uri_html_escape("a\x01\x7f\xc3\xa9", 5, o, sizeof(o),
	    &n), 0);
	cr_assert_str_eq(o, "a&#xFFFD;&#xFFFD;\xc3\xa9");
	cr_assert_eq(uri_html_escape(mbt_guard("&", 1), 1, o, 6, &n), 0);
	cr_assert_str_eq(o, "&amp;");
	cr_assert_eq(uri_html_escape(mbt_guard("&", 1), 1, o, 5, &n), -1);
	cr_assert_eq(uri_html_escape(mbt_guard("\x01", 1), 1, o, 9, &n), 0);
	cr_assert_eq(uri_html_escape(mbt_guard("\x01", 1), 1, o, 8, &n), -1);
	cr_assert_eq(uri_html_escape(mbt_guard("ab", 2), 2, o, 3, &n), 0);
	cr_assert_eq(uri_html_escape(mbt_guard("ab", 2), 2, o, 2, &n), -1);
}
