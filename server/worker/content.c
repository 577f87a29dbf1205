/*
 * content.c - files, folders, listings and redirects, as replies.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "metabase.h"
#include "server/http/http_parse.h"
#include "server/http/response.h"
#include "server/http/uri.h"
#include "server/limits.h"
#include "server/worker/content.h"
#include "server/worker/filecache.h"
#include "server/worker/gzcache.h"
#include "server/worker/reply.h"
#include "server/worker/vhost.h"

/* Append a string literal to a response head. */
#define RAW_LIT(r, lit)	resp_raw((r), (lit), sizeof(lit) - 1)

#define HTML_TYPE	"text/html; charset=utf-8"

static const struct mb_value *
custom(const struct content_req *cr)
{
	return &cr->vh->props.v[MB_P_HTTPCUSTOMHEADERS];
}

/*
 * A file: preconditions, range, then the head, and the body from data
 * (the file cache) or from fd: read into the head's buffer when small,
 * else sent by sendfile(2).  Takes fd (-1 for none).
 */
static void
file_reply(struct reply *rp, const struct content_req *cr, int fd,
    const struct stat *st, const char *data, const char *tag, size_t taglen,
    const char *name, size_t namelen, const char *extra)
{
	const struct mb_value *mm = &cr->vh->props.v[MB_P_MIMEMAP];
	struct resp	*r = &rp->r;
	char		 etag[64], cr_line[96], type[160];
	const char	*ctype;
	size_t		 etaglen, ctlen, room;
	off_t		 first = 0, last = st->st_size - 1, count;
	time_t		 now = time(NULL);
	int		 status, n;

	if (tag != NULL) {
		memcpy(etag, tag, taglen);
		etaglen = taglen;
	} else
		etaglen = resp_etag(st, etag, sizeof(etag));
	if ((status = resp_preconditions(cr->ctx->req, cr->cond, etag,
	    etaglen, st->st_mtime, now)) == 0)
		status = resp_range(cr->ctx->req, cr->cond, st->st_size, etag,
		    etaglen, st->st_mtime, &first, &last);
	if (status == 412) {
		reply_error(rp, cr->ctx, 412, NULL, custom(cr));
		goto close_fd;
	}
	if (status == 416) {
		n = snprintf(cr_line, sizeof(cr_line),
		    "Content-Range: bytes */%lld\r\n", (long long)st->st_size);
		reply_mem(rp, cr->ctx, 416, HTML_TYPE, rp->x->buf,
		    reply_error_page(rp, 416, NULL), cr_line, (size_t)n,
		    custom(cr));
		goto close_fd;
	}
	count = status == 304 ? 0 : last - first + 1;
	reply_head(rp, status);
	if (status != 304) {
		ctype = resp_mime(mm->str, mm->len, name, namelen, &ctlen);
		ctlen = resp_content_type(ctype, ctlen, type, sizeof(type));
		resp_header(r, "Content-Type", type, ctlen);
		resp_header_num(r, "Content-Length", (long long)count);
	}
	/* RFC 9110 8.8.2.1: never later than Date. */
	resp_header(r, "Last-Modified",
	    resp_date(st->st_mtime < now ? st->st_mtime : now), 29);
	resp_header(r, "ETag", etag, etaglen);
	if (status != 304)
		RAW_LIT(r, "Accept-Ranges: bytes\r\n");
	if (cr->ctx->expires != NULL)
		resp_raw(r, cr->ctx->expires, cr->ctx->expireslen);
	if (extra != NULL)
		resp_raw(r, extra, strlen(extra));
	if (status == 206) {
		n = snprintf(cr_line, sizeof(cr_line), "bytes %lld-%lld/%lld",
		    (long long)first, (long long)last, (long long)st->st_size);
		resp_header(r, "Content-Range", cr_line, (size_t)n);
	}
	if (custom(cr)->len > 0)
		resp_custom_headers(r, custom(cr)->str, custom(cr)->len);
	if (reply_end_head(rp, cr->ctx) == -1)
		goto close_fd;
	if (cr->ctx->req->meth == HP_M_HEAD || count == 0)
		goto close_fd;
	room = r->cap - r->len;
	if (count <= (off_t)room) {
		/* Small: the body rides in the head's write. */
		if (data != NULL)
			memcpy(r->buf + r->len, data + first, (size_t)count);
		else if (pread(fd, r->buf + r->len, (size_t)count, first) !=
		    count) {
			/* The file shrank under us: close, as the length
			 * sent cannot be kept. */
			reply_head(rp, 500);
			RAW_LIT(r, "Content-Length: 0\r\n"
			    "Connection: close\r\n\r\n");
			rp->next = KA_LINGER;
			goto close_fd;
		}
		r->len += (size_t)count;
		goto close_fd;
	}
	if (data != NULL) {
		rp->body = data + first;
		rp->blen = (size_t)count;
		goto close_fd;
	}
	rp->fd = fd;
	rp->off = first;
	rp->count = count;
	return;

 close_fd:
	if (fd != -1)
		close(fd);
}

#define VARY_LINE	"Vary: Accept-Encoding\r\n"
#define GZIP_LINES	"Content-Encoding: gzip\r\n" VARY_LINE
#define BR_LINES	"Content-Encoding: br\r\n" VARY_LINE

/* Whether name's extension is one of HcFileExtensions (or ours). */
static int
compressible(const struct mb_value *exts, const char *name, size_t n)
{
	static const char dflt[] = "htm\0html\0txt\0css\0js\0mjs\0json\0"
	    "xml\0svg\0";
	const struct mb_value d = { 0, dflt, sizeof(dflt) - 1, 0 };
	const char	*s, *ext = NULL;
	size_t		 i;

	for (i = n; i > 0 && name[i - 1] != '/'; i--)
		if (name[i - 1] == '.') {
			ext = name + i;
			break;
		}
	if (ext == NULL)
		return 0;
	MB_MULTISZ_FOREACH(s, exts->len > 0 ? exts : &d)
		if (strlen(s) == (size_t)(name + n - ext) &&
		    strncasecmp(s, ext, strlen(s)) == 0)
			return 1;
	return 0;
}

/*
 * file.gz (or .br) beside the file, as new as it: served in its place,
 * with its own ETag.  Takes fd when it does.
 */
static int
precompressed(struct reply *rp, const struct content_req *cr, int fd,
    const struct stat *st, const char *file, size_t filelen,
    const char *name, size_t namelen, const char *suffix, const char *lines)
{
	struct vhost	*vh = cr->vh;
	struct stat	 zst;
	char		 rel[PATH_MAX + 4];
	int		 zfd;

	if (filelen + 4 > sizeof(rel))
		return 0;
	memcpy(rel, file, filelen);
	memcpy(rel + filelen, suffix, 4);
	if ((zfd = vhost_open(vh->root, rel, filelen + 3, &zst)) == -1)
		return 0;
	if (!S_ISREG(zst.st_mode) || zst.st_mtime < st->st_mtime) {
		close(zfd);
		return 0;
	}
	if (fd != -1)
		close(fd);
	file_reply(rp, cr, zfd, &zst, NULL, NULL, 0, name, namelen, lines);
	return 1;
}

/*
 * The file file[0 .. filelen) beneath the root (named name for its
 * type), compressed when its folder says so (DoStaticCompression) and
 * the client accepts it: file.br or file.gz beside it, else compressed
 * once and kept (gzcache.h).  Otherwise as it is.  Takes fd.
 */
static void
serve_file(struct reply *rp, const struct content_req *cr, int fd,
    const struct stat *st, const char *data, const char *tag, size_t taglen,
    const char *file, size_t filelen, const char *name, size_t namelen)
{
	const struct mb_props *p = &cr->vh->props;
	const struct gz_entry *ge;
	struct stat	 zst;
	char		 etag[64];
	unsigned	 ae;

	if (!p->v[MB_P_DOSTATICCOMPRESSION].dword ||
	    !compressible(&p->v[MB_P_HCFILEEXTENSIONS], name, namelen)) {
		file_reply(rp, cr, fd, st, data, tag, taglen, name, namelen,
		    NULL);
		return;
	}
	ae = resp_accept_encoding(cr->ctx->req);
	if (((ae & RESP_AE_BR) && precompressed(rp, cr, fd, st, file,
	    filelen, name, namelen, ".br", BR_LINES)) ||
	    ((ae & RESP_AE_GZIP) && precompressed(rp, cr, fd, st, file,
	    filelen, name, namelen, ".gz", GZIP_LINES)))
		return;
	if (ae & RESP_AE_GZIP) {
		if (tag == NULL) {
			taglen = resp_etag(st, etag, sizeof(etag));
			tag = etag;
		}
		if ((ge = gz_get(st, fd, data, tag, taglen)) != NULL) {
			if (fd != -1)
				close(fd);
			zst = *st;
			zst.st_size = (off_t)ge->len;
			file_reply(rp, cr, -1, &zst, ge->data, ge->etag,
			    ge->etaglen, name, namelen, GZIP_LINES);
			return;
		}
	}
	file_reply(rp, cr, fd, st, data, tag, taglen, name, namelen,
	    VARY_LINE);
}

/* A file from the cache, or opened (fd, st) and maybe cached now. */
static void
cached_file_reply(struct reply *rp, const struct content_req *cr, int fd,
    const struct stat *st, const char *name, size_t namelen)
{
	const struct fc_entry *fe;
	struct vhost	*vh = cr->vh;

	if ((fe = fc_store(vh->root, vh->rel, vh->rellen, fd, st)) != NULL) {
		close(fd);
		serve_file(rp, cr, -1, &fe->st, fe->data, fe->etag,
		    fe->etaglen, vh->rel, vh->rellen, name, namelen);
		return;
	}
	serve_file(rp, cr, fd, st, NULL, NULL, 0, vh->rel, vh->rellen, name,
	    namelen);
}

/*
 * Folder listings.
 */

struct entry {
	char		*name;
	int		 dir;
	off_t		 size;
	time_t		 mtime;
};

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->dir != y->dir)
		return y->dir - x->dir;
	return strcmp(x->name, y->name);
}

/* A listing's text, built in the reply's scratch memory. */
struct page {
	struct scratch	*x;
	size_t		 len;
	int		 full;		/* memory ran out: the page is cut */
};

#define PAGE_LIT(pg, lit)	page_add((pg), (lit), sizeof(lit) - 1)

static void
page_add(struct page *pg, const char *s, size_t len)
{
	if (pg->full || scratch_reserve(pg->x, pg->len + len + 1) <
	    pg->len + len + 1) {
		pg->full = 1;
		return;
	}
	memcpy(pg->x->buf + pg->len, s, len);
	pg->len += len;
}

/* stat(2) of a link's target, only if it is inside the root. */
static int
listed_link(struct vhost *vh, const char *name, struct stat *st)
{
	char	 rel[PATH_MAX];
	size_t	 n = strlen(name);
	int	 fd;

	if (vh->rellen + 1 + n >= sizeof(rel))
		return -1;
	memcpy(rel, vh->rel, vh->rellen);
	rel[vh->rellen] = '/';
	memcpy(rel + vh->rellen + 1, name, n);
	if ((fd = vhost_open(vh->root, rel, vh->rellen + 1 + n, st)) == -1)
		return -1;
	close(fd);
	return 0;
}

/*
 * The folder's entries, sorted folders first: *n of them in *out, to be
 * freed by the caller.  Returns -1 when the folder cannot be read.
 */
static int
read_entries(struct vhost *vh, int dfd, struct entry **out, size_t *n)
{
	struct entry	*ents = NULL, *p;
	struct dirent	*d;
	struct stat	 st;
	DIR		*dir;
	size_t		 ne = 0, cap = 0;
	int		 fd2;

	*out = NULL;
	*n = 0;
	if ((fd2 = dup(dfd)) == -1)
		return -1;
	if ((dir = fdopendir(fd2)) == NULL) {
		close(fd2);
		return -1;
	}
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		/* A link is listed as what it leads to, if that is inside
		 * the root; one leading out is not listed at all. */
		if (S_ISLNK(st.st_mode) &&
		    listed_link(vh, d->d_name, &st) == -1)
			continue;
		if (ne == cap) {
			cap = cap ? cap * 2 : 64;
			if ((p = realloc(ents, cap * sizeof(*ents))) == NULL)
				break;
			ents = p;
		}
		if ((ents[ne].name = strdup(d->d_name)) == NULL)
			break;
		ents[ne].dir = S_ISDIR(st.st_mode);
		ents[ne].size = st.st_size;
		ents[ne].mtime = st.st_mtime;
		ne++;
	}
	closedir(dir);
	if (ne > 0)
		qsort(ents, ne, sizeof(*ents), entry_cmp);
	*out = ents;
	*n = ne;
	return 0;
}

/* One line of a listing: date, time, size as DirBrowseFlags ask, link. */
static void
listing_line(struct page *pg, const struct entry *e, uint32_t flags)
{
	char		 line[PATH_MAX * 9], esc[NAME_MAX * 3 + 2];
	char		 html[NAME_MAX * 8 + 2];
	struct tm	 tm;
	size_t		 el, hl, nl = strlen(e->name);
	int		 len = 0;

	if (uri_escape(e->name, nl, esc, sizeof(esc), &el) != 0 ||
	    uri_html_escape(e->name, nl, html, sizeof(html), &hl) != 0)
		return;
	gmtime_r(&e->mtime, &tm);
	if (flags & MB_DIRBROW_SHOW_DATE)
		len += snprintf(line + len, sizeof(line) - len,
		    "%04d-%02d-%02d ", tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday);
	if (flags & MB_DIRBROW_SHOW_TIME)
		len += snprintf(line + len, sizeof(line) - len, "%02d:%02d ",
		    tm.tm_hour, tm.tm_min);
	if ((flags & MB_DIRBROW_SHOW_SIZE) && e->dir)
		len += snprintf(line + len, sizeof(line) - len, "%12s ",
		    "&lt;dir&gt;");
	else if (flags & MB_DIRBROW_SHOW_SIZE)
		len += snprintf(line + len, sizeof(line) - len, "%12lld ",
		    (long long)e->size);
	len += snprintf(line + len, sizeof(line) - len,
	    "<a href=\"%s%s\">%s%s</a>\n", esc, e->dir ? "/" : "", html,
	    e->dir ? "/" : "");
	page_add(pg, line, (size_t)len);
}

static void
listing_reply(struct reply *rp, const struct content_req *cr, int dfd)
{
	struct vhost	*vh = cr->vh;
	struct entry	*ents;
	struct page	 pg = { rp->x, 0, 0 };
	char		 up[HP_MAXREQLINE * 8 + 2];
	size_t		 ne, ul, i;
	uint32_t	 flags = vh->props.v[MB_P_DIRBROWSEFLAGS].dword;

	if (read_entries(vh, dfd, &ents, &ne) == -1) {
		reply_error(rp, cr->ctx, 500, NULL, NULL);
		return;
	}
	if (uri_html_escape(cr->path, cr->plen, up, sizeof(up), &ul) != 0)
		ul = 0;
	PAGE_LIT(&pg, RESP_HTML_HEAD "<title>");
	page_add(&pg, up, ul);
	PAGE_LIT(&pg, "</title></head>\n<body><h1>");
	page_add(&pg, up, ul);
	PAGE_LIT(&pg, "</h1><hr>\n<pre>\n");
	if (cr->plen > 1)
		PAGE_LIT(&pg, "<a href=\"../\">[To Parent Directory]</a>\n");
	for (i = 0; i < ne; i++) {
		listing_line(&pg, &ents[i], flags);
		free(ents[i].name);
	}
	free(ents);
	PAGE_LIT(&pg, "</pre>" RESP_HTML_FOOT);
	if (pg.full) {
		reply_error(rp, cr->ctx, 500, NULL, NULL);
		return;
	}
	reply_mem(rp, cr->ctx, 200, HTML_TYPE, rp->x->buf, pg.len, NULL, 0,
	    custom(cr));
}

/* The Location of a folder asked for without its slash. */
static void
redirect_reply(struct reply *rp, const struct content_req *cr)
{
	char	 loc[HP_MAXREQLINE * 3 + 64];
	size_t	 n;

	if (uri_escape(cr->path, cr->plen, loc + 10, sizeof(loc) - 16,
	    &n) != 0) {
		reply_error(rp, cr->ctx, 414, NULL, NULL);
		return;
	}
	memcpy(loc, "Location: ", 10);
	n += 10;
	loc[n++] = '/';
	if (cr->qlen > 0 && n + cr->qlen + 4 < sizeof(loc)) {
		loc[n++] = '?';
		memcpy(loc + n, cr->query, cr->qlen);
		n += cr->qlen;
	}
	loc[n++] = '\r';
	loc[n++] = '\n';
	reply_mem(rp, cr->ctx, 301, HTML_TYPE, rp->x->buf,
	    reply_error_page(rp, 301, NULL), loc, n, custom(cr));
}

/* A folder: redirect to its slash, default document, listing, or 403. */
static void
dir_reply(struct reply *rp, const struct content_req *cr, int dfd)
{
	struct vhost	*vh = cr->vh;
	const struct mb_value *dd = &vh->props.v[MB_P_DEFAULTDOC];
	uint32_t	 flags = vh->props.v[MB_P_DIRBROWSEFLAGS].dword;
	struct stat	 st;
	char		 doc[PATH_MAX];
	const char	*p, *end, *comma;
	int		 fd;

	if (cr->path[cr->plen - 1] != '/') {
		redirect_reply(rp, cr);
		goto close_dir;
	}
	if ((flags & MB_DIRBROW_LOADDEFAULT) && dd->str != NULL) {
		for (p = dd->str, end = p + dd->len; p < end; p = comma + 1) {
			if ((comma = memchr(p, ',', end - p)) == NULL)
				comma = end;
			/* Beneath the root, not the folder: a link to a
			 * sibling folder is fine. */
			if (vh->rellen + (size_t)(comma - p) >= sizeof(doc))
				continue;
			memcpy(doc, vh->rel, vh->rellen);
			memcpy(doc + vh->rellen, p, comma - p);
			fd = vhost_open(vh->root, doc, vh->rellen + (comma - p),
			    &st);
			if (fd != -1 && S_ISREG(st.st_mode)) {
				serve_file(rp, cr, fd, &st, NULL, NULL, 0, doc,
				    vh->rellen + (comma - p), p, comma - p);
				goto close_dir;
			}
			if (fd != -1)
				close(fd);
		}
	}
	if (flags & MB_DIRBROW_ENABLED)
		listing_reply(rp, cr, dfd);
	else
		reply_error(rp, cr->ctx, 403,
		    "Directory listing is not allowed here.", custom(cr));
 close_dir:
	close(dfd);
}

void
content_serve(struct reply *rp, const struct content_req *cr)
{
	const struct fc_entry *fe;
	struct vhost	*vh = cr->vh;
	struct stat	 st;
	int		 fd, slash = cr->path[cr->plen - 1] == '/';
	int		 options = cr->ctx->req->meth == HP_M_OPTIONS;

	/* A file already cached costs one fstatat(2). */
	if (!slash && !options &&
	    (fe = fc_lookup(vh->root, vh->rel, vh->rellen)) != NULL) {
		serve_file(rp, cr, -1, &fe->st, fe->data, fe->etag,
		    fe->etaglen, vh->rel, vh->rellen, cr->path, cr->plen);
		return;
	}
	if ((fd = vhost_open(vh->root, vh->rel, vh->rellen, &st)) == -1) {
		reply_error(rp, cr->ctx, errno == EACCES ? 403 : 404, NULL,
		    custom(cr));
		return;
	}
	if (options) {
		/* What the resource allows, once we know it exists. */
		close(fd);
		reply_mem(rp, cr->ctx, 200, NULL, "", 0, REPLY_ALLOW_LINE,
		    sizeof(REPLY_ALLOW_LINE) - 1, custom(cr));
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		dir_reply(rp, cr, fd);
		return;
	}
	if (slash) {
		close(fd);
		reply_error(rp, cr->ctx, 404, NULL, custom(cr));
		return;
	}
	cached_file_reply(rp, cr, fd, &st, cr->path, cr->plen);
}
