/*
 * fuzz_uri.c - URL normalisation and the path mapper with its guards.
 *
 * The input is the path of a request target.  Normalised, it must start
 * with '/' and hold no dot segment, "//", NUL, CTL or '\'; escaped again
 * with uri_escape() it must normalise to itself.  It is then mapped as
 * the worker maps it, through a metabase made once per process (site 1:
 * ROOT on www/, the virtual directory /v on www2/) onto a tree holding
 * links that lead inside, outside and in circles; whatever vhost_open()
 * opens must lie inside the folder it was asked to stay in.
 */
/* realpath(3) is an XSI function. */
#define _XOPEN_SOURCE 700
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metabase.h"
#include "fuzz/fuzz.h"
#include "server/http/uri.h"
#include "server/worker/vhost.h"

static struct mb	*mb;
static char		 www[PATH_MAX], www2[PATH_MAX];

/* name under this process's directory, into out. */
static void
mkpath(const char *name, char out[PATH_MAX])
{
	snprintf(out, PATH_MAX, "%s/%s", fuzz_tmpdir(), name);
}

static void
make_tree(void)
{
	static const char *const dirs[] = { "www", "www/sub", "www/sub/deep",
	    "www2", "www2/d", NULL };
	static const char *const files[] = { "secret", "www/index.html",
	    "www/sub/a.txt", "www/sub/deep/b", "www/%41", "www/a b",
	    "www2/index.html", "www2/d/c", NULL };
	/* name, target: inside, outside, absolute, up, looping. */
	static const char *const links[][2] = {
		{ "www/in", "sub" }, { "www/out", "../secret" },
		{ "www/abs", "/etc" }, { "www/dotdot", ".." },
		{ "www/loop", "loop" }, { "www/sub/up", "../index.html" },
		{ "www/sub/up2", "../../secret" }, { "www2/up", "../www" },
		{ "www2/d/root", "/" }, { NULL, NULL }
	};
	char	p[PATH_MAX], t[PATH_MAX];
	int	i;

	for (i = 0; dirs[i] != NULL; i++) {
		mkpath(dirs[i], p);
		if (mkdir(p, 0755) == -1)
			abort();
	}
	for (i = 0; files[i] != NULL; i++) {
		mkpath(files[i], p);
		fuzz_write_file(p, "x\n", 2);
	}
	for (i = 0; links[i][0] != NULL; i++) {
		mkpath(links[i][0], p);
		snprintf(t, sizeof(t), "%s", links[i][1]);
		if (symlink(t, p) == -1)
			abort();
	}
	mkpath("www/fifo", p);
	if (mkfifo(p, 0644) == -1)
		abort();
	mkpath("www", www);
	mkpath("www2", www2);
}

static void
setup(void)
{
	struct mb_value	 b;
	uint32_t	 id = 1;
	char		 dir[PATH_MAX], *argv[1];

	make_tree();
	mkpath("mb", dir);
	b.str = "127.0.0.1:80:";
	b.len = strlen(b.str) + 1;
	if (mb_open(&mb, dir, MB_CREATE) != 0 || mb_init(mb) != 0 ||
	    mb_site_create(mb, &id, "fuzz", &b, www) != 0 ||
	    mb_key_create(mb, "/LM/W3SVC/1/ROOT/v") != 0 ||
	    mb_key_create(mb, "/LM/W3SVC/1/ROOT/v/deep") != 0)
		abort();
	argv[0] = www2;
	if (mb_prop_set_text(mb, "/LM/W3SVC/1/ROOT/v",
	    &mb_schema[MB_P_PATH], 1, argv) != 0)
		abort();
}

static int
hexdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * uri.h's contract written the slow way, to hold uri_normalize() to:
 * split the path at each raw '/', decode each segment and judge it
 * whole, keep a stack.  Returns 0 with the path in out (which has room
 * for len + 2 bytes), or -1 for any error.
 */
static int
ref_normalize(const char *in, size_t len, char *out, size_t *outlen)
{
	const char	*end, *p, *s;
	size_t		*stack, depth = 0, o = 1, n;
	char		*seg;
	int		 hi, lo, trailing, last_dot = 0;
	unsigned char	 c;

	if (len > 0 && memchr(in, '#', len) != NULL)
		return -1;
	if (len > 0 && in[0] != '/' && in[0] != '?')
		return -1;
	if ((end = memchr(in, '?', len)) == NULL)
		end = in + len;
	/* The stack holds where each kept segment starts in out. */
	if ((stack = malloc((len + 1) * sizeof(*stack))) == NULL ||
	    (seg = malloc(len + 1)) == NULL)
		abort();
	out[0] = '/';
	for (p = in < end ? in + 1 : in; p <= end; p = s + 1) {
		for (s = p; s < end && *s != '/'; s++)
			;
		/* Decode p..s into seg. */
		for (n = 0; p < s; ) {
			c = (unsigned char)*p;
			if (c == '%') {
				if (s - p < 3 || (hi = hexdigit(p[1])) == -1 ||
				    (lo = hexdigit(p[2])) == -1)
					goto bad;
				c = (unsigned char)(hi << 4 | lo);
				p += 3;
				if (c == '\0' || c == '/' || c < 0x20 ||
				    c == 0x7f)
					goto bad;
			} else {
				if (c <= 0x20 || c >= 0x7f)
					goto bad;
				p++;
			}
			if (c == '\\')
				goto bad;
			seg[n++] = (char)c;
		}
		last_dot = (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.');
		if (n == 2 && last_dot) {
			if (depth == 0)
				goto bad;
			o = stack[--depth];
		} else if (n > 0 && !last_dot) {
			stack[depth++] = o;
			if (o > 1)
				out[o++] = '/';
			memcpy(out + o, seg, n);
			o += n;
		}
		if (s == end)
			break;
	}
	/* "/a/" and "/a/." end in '/'; so does "/a/b/..", once popped. */
	trailing = (end > in && end[-1] == '/') || last_dot;
	if (trailing && o > 1)
		out[o++] = '/';
	out[o] = '\0';
	*outlen = o;
	free(stack);
	free(seg);
	return 0;

 bad:
	free(stack);
	free(seg);
	return -1;
}

/* What uri.h promises of a normalised path. */
static void
check_normal(const char *out, size_t outlen, size_t inlen)
{
	size_t	i;

	FUZZ_ASSERT(outlen >= 1 && out[0] == '/');
	FUZZ_ASSERT(outlen <= inlen + 1);
	FUZZ_ASSERT(strlen(out) == outlen);
	FUZZ_ASSERT(strstr(out, "//") == NULL);
	FUZZ_ASSERT(strstr(out, "/./") == NULL);
	FUZZ_ASSERT(strstr(out, "/../") == NULL);
	FUZZ_ASSERT(strcmp(out + outlen - (outlen >= 2 ? 2 : 1),
	    "/.") != 0);
	FUZZ_ASSERT(outlen < 3 || strcmp(out + outlen - 3, "/..") != 0);
	for (i = 0; i < outlen; i++)
		FUZZ_ASSERT((unsigned char)out[i] >= 0x20 && out[i] != 0x7f &&
		    out[i] != '\\');
}

/* Escaped for a listing, the path must come back as itself. */
static void
check_roundtrip(const char *out, size_t outlen)
{
	char		*esc, *again, *h;
	const char	*q;
	size_t		 elen, alen, hlen, ql, i;

	esc = malloc(3 * outlen + 1);
	FUZZ_ASSERT(esc != NULL);
	FUZZ_ASSERT(uri_escape(out, outlen, esc, 3 * outlen + 1, &elen) == 0);
	FUZZ_ASSERT(strchr(esc, ':') == NULL && strchr(esc, '?') == NULL);
	again = malloc(elen + 2);
	FUZZ_ASSERT(again != NULL);
	FUZZ_ASSERT(uri_normalize(esc, elen, again, elen + 2, &alen, &q,
	    &ql) == 0);
	FUZZ_ASSERT(alen == outlen && memcmp(again, out, outlen) == 0);
	FUZZ_ASSERT(q == NULL);
	free(again);
	free(esc);

	h = malloc(8 * outlen + 1);
	FUZZ_ASSERT(h != NULL);
	FUZZ_ASSERT(uri_html_escape(out, outlen, h, 8 * outlen + 1,
	    &hlen) == 0);
	for (i = 0; i < hlen; i++)
		FUZZ_ASSERT(strchr("<>\"'", h[i]) == NULL &&
		    (unsigned char)h[i] >= 0x20 && h[i] != 0x7f);
	free(h);
}

/* Whatever fd is open on lies in root or below it. */
static void
check_inside(int fd, const char *root)
{
	char	proc[64], got[PATH_MAX], real[PATH_MAX];
	ssize_t	n;
	size_t	rl;

	FUZZ_ASSERT(realpath(root, real) != NULL);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, got, sizeof(got) - 1);
	FUZZ_ASSERT(n > 0);
	got[n] = '\0';
	rl = strlen(real);
	FUZZ_ASSERT(strncmp(got, real, rl) == 0 &&
	    (got[rl] == '\0' || got[rl] == '/'));
}

static void
check_map(const char *path, size_t len)
{
	struct vhost	*vh;
	struct stat	 st;
	char		 root[PATH_MAX];
	int		 fd;

	/* struct vhost holds a key as long as the longest URL. */
	if ((vh = calloc(1, sizeof(*vh))) == NULL)
		abort();
	FUZZ_ASSERT(mb_begin(mb) == 0);
	vh->site = 1;
	FUZZ_ASSERT(vhost_resolve(mb, vh, path, len) == 0);
	FUZZ_ASSERT(strcmp(vh->root, www) == 0 || strcmp(vh->root, www2) == 0);
	FUZZ_ASSERT(vh->rellen >= 1 && vh->rel[0] == '/');
	/* rel is the end of the path, or "/" for the folder itself. */
	if (!(vh->rellen == 1 && strcmp(vh->rel, "/") == 0))
		FUZZ_ASSERT(vh->rel >= path &&
		    vh->rel + vh->rellen == path + len);
	FUZZ_ASSERT(strstr(vh->rel, "/../") == NULL);
	snprintf(root, sizeof(root), "%s", vh->root);
	if ((fd = vhost_open(root, vh->rel, vh->rellen, &st)) != -1) {
		FUZZ_ASSERT(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode));
		check_inside(fd, root);
		close(fd);
	} else
		FUZZ_ASSERT(errno != 0);
	(void)vhost_stat(root, vh->rel, vh->rellen, &st);
	mb_end(mb);
	free(vh);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*in = (const char *)data, *q;
	char		*out, *ref;
	size_t		 outlen, ql, reflen;
	int		 rc, rrc;

	if (mb == NULL)
		setup();
	if ((out = malloc(size + 2)) == NULL)
		abort();
	rc = uri_normalize(in, size, out, size + 2, &outlen, &q, &ql);
	FUZZ_ASSERT(rc <= 0 && rc >= URI_ETOOLONG);
	if ((ref = malloc(size + 2)) == NULL)
		abort();
	rrc = ref_normalize(in, size, ref, &reflen);
	FUZZ_ASSERT((rc == 0) == (rrc == 0));
	if (rc == 0)
		FUZZ_ASSERT(reflen == outlen && memcmp(ref, out, outlen) == 0);
	free(ref);
	/* uri.h: len + 2 bytes are always enough. */
	FUZZ_ASSERT(rc != URI_ETOOLONG);
	FUZZ_ASSERT(strcmp(uri_strerror(rc), "unknown error") != 0);
	if (rc == 0) {
		check_normal(out, outlen, size);
		if (q != NULL)
			FUZZ_ASSERT(q > in && q[-1] == '?' &&
			    q + ql == in + size);
		check_roundtrip(out, outlen);
		check_map(out, outlen);
	}
	free(out);
	return 0;
}
