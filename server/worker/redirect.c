/*
 * redirect.c - HttpRedirect.
 */
#include <string.h>

#include "server/http/uri.h"
#include "server/worker/redirect.h"

struct out {
	char	*buf;
	size_t	 len, cap;
	int	 full;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

/* A decoded path, percent-encoded again. */
static void
put_path(struct out *o, const char *p, size_t n)
{
	size_t	 m;

	if (o->full || uri_escape(p, n, o->buf + o->len, o->cap - o->len,
	    &m) != 0) {
		o->full = 1;
		return;
	}
	o->len += m;
}

size_t
redirect_location(const struct mb_value *v, size_t pre, const char *path,
    size_t plen, const char *q, size_t qlen, char *buf, size_t len,
    int *status)
{
	struct mb_redirect r;
	struct out	 o = { buf, 0, len > 2 ? len - 2 : 0, 0 };
	const char	*suffix = path, *d, *end;
	size_t		 slen = plen, skip;
	char		 err[8];

	if (v->len == 0 || v->str == NULL ||
	    mb_redirect_parse(v->str, &r, err, sizeof(err)) != 0)
		return 0;
	/* Below the folder that set it; above ROOT, the whole path. */
	if (v->origin > 0 && (size_t)v->origin > pre) {
		skip = (size_t)v->origin - pre;
		suffix = path + (skip < plen ? skip : plen);
		slen = skip < plen ? plen - skip : 0;
	}
	if ((r.flags & MB_REDIR_CHILD_ONLY) &&
	    (slen == 0 || (slen == 1 && suffix[0] == '/')))
		return 0;
	put(&o, "Location: ", 10);
	end = r.dest + r.destlen;
	if (!(r.flags & MB_REDIR_EXACT)) {
		/* The destination, then what was below the folder. */
		put(&o, r.dest, r.destlen);
		if (slen > 0 && r.destlen > 0 && end[-1] == '/' &&
		    suffix[0] == '/') {
			suffix++;
			slen--;
		}
		put_path(&o, suffix, slen);
		if (qlen > 0) {
			put(&o, "?", 1);
			put(&o, q, qlen);
		}
	} else {
		for (d = r.dest; d < end; d++) {
			if (*d != '$' || d + 1 == end) {
				put(&o, d, 1);
				continue;
			}
			switch (d[1]) {
			case 'S':
				put_path(&o, suffix, slen);
				break;
			case 'V':
				put_path(&o, path, plen);
				break;
			case 'Q':
				if (qlen > 0) {
					put(&o, "?", 1);
					put(&o, q, qlen);
				}
				break;
			case 'P':
				put(&o, q, qlen);
				break;
			default:
				put(&o, d, 2);
			}
			d++;
		}
	}
	if (o.full)
		return 0;
	buf[o.len++] = '\r';
	buf[o.len++] = '\n';
	*status = r.status;
	return o.len;
}
