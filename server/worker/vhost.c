/*
 * vhost.c - site, settings and file for a request.
 */
/*
 * openat2(2) has no libc wrapper: syscall(2) needs _DEFAULT_SOURCE, and
 * vhost_stat()'s O_PATH _GNU_SOURCE, which includes it.
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/limits.h"
#include "server/worker/vhost.h"

/*
 * Open root folders kept per worker, so that a request costs no open(2)
 * of its folder.  A folder replaced under the same name (a deploy by
 * rename) is seen within VHOST_ROOT_TTL seconds.
 */
#define VHOST_ROOTS	16
#define VHOST_ROOT_TTL	2

struct rootfd {
	char	*path;
	int	 fd;
	time_t	 opened;
	time_t	 used;
};

static struct rootfd	 roots[VHOST_ROOTS];
static int		 have_openat2 = 1;

/* "/LM/W3SVC/<site>" into buf (40 bytes); returns its length.  By hand:
 * this runs for every request. */
static size_t
site_key(char *buf, uint32_t site)
{
	char	 digits[10];
	size_t	 n = 0, len = 10;

	memcpy(buf, "/LM/W3SVC/", 10);
	do {
		digits[n++] = '0' + site % 10;
		site /= 10;
	} while (site != 0);
	while (n > 0)
		buf[len++] = digits[--n];
	buf[len] = '\0';
	return len;
}

int
vhost_match(struct mb *mb, int secure, const char *ip, unsigned port,
    const char *host, size_t hostlen, struct vhost *vh)
{
	struct mb_value	 v;
	char		 key[40];
	int		 rc;

	if ((rc = mb_site_find(mb, secure, ip, port, host, hostlen,
	    &vh->site)) != 0)
		return rc;
	site_key(key, vh->site);
	rc = mb_prop_get(mb, key, &mb_schema[MB_P_SERVERSTATE], &v);
	if (rc == MB_NOTFOUND) {
		vh->state = mb_schema[MB_P_SERVERSTATE].dflt;
		return 0;
	}
	if (rc != 0)
		return rc;
	vh->state = v.dword;
	return 0;
}

int
vhost_resolve(struct mb *mb, struct vhost *vh, const char *path, size_t len)
{
	const struct mb_value *p;
	size_t		 pre, keylen, plen = len;
	int		 rc;

	pre = site_key(vh->key, vh->site);
	memcpy(vh->key + pre, "/ROOT", 6);
	pre += 5;
	if (len > sizeof(vh->key) - pre - 1)
		len = sizeof(vh->key) - pre - 1;
	/* "/" adds nothing: the folder is ROOT itself. */
	if (len > 1) {
		memcpy(vh->key + pre, path, len);
		/* A trailing slash would end the walk on an empty name. */
		if (vh->key[pre + len - 1] == '/')
			len--;
	} else
		len = 0;
	vh->key[pre + len] = '\0';
	if ((rc = mb_resolve(mb, vh->key, pre + len, &vh->props,
	    &keylen)) != 0)
		return rc;
	if (keylen < pre)
		return MB_NOTFOUND;	/* the site has no ROOT */
	p = &vh->props.v[MB_P_PATH];
	if (p->origin < (int)pre || p->len == 0)
		return MB_NOTFOUND;
	/* The URL below the key that set Path maps below that Path. */
	vh->root = p->str;
	vh->rel = path + (p->origin - pre);
	vh->rellen = plen - (size_t)(p->origin - pre);
	if (vh->rellen == 0) {
		vh->rel = "/";
		vh->rellen = 1;
	}
	return 0;
}

static int
root_fd(const char *root)
{
	struct rootfd	*r, *victim = &roots[0];
	time_t		 now = time(NULL);
	int		 i, fd;

	for (i = 0; i < VHOST_ROOTS; i++) {
		r = &roots[i];
		if (r->path != NULL && strcmp(r->path, root) == 0) {
			if (now - r->opened < VHOST_ROOT_TTL) {
				r->used = now;
				return r->fd;
			}
			victim = r;
			break;
		}
		if (r->path == NULL || r->used < victim->used)
			victim = r;
	}
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (victim->path != NULL)
		close(victim->fd);
	/* The same folder looked at again keeps its name: no allocation. */
	if (victim->path == NULL || strcmp(victim->path, root) != 0) {
		free(victim->path);
		if ((victim->path = strdup(root)) == NULL) {
			close(fd);
			errno = ENOMEM;
			return -1;
		}
	}
	victim->fd = fd;
	victim->opened = victim->used = now;
	return fd;
}

void
vhost_flush(void)
{
	int	 i;

	for (i = 0; i < VHOST_ROOTS; i++)
		if (roots[i].path != NULL) {
			close(roots[i].fd);
			free(roots[i].path);
			roots[i].path = NULL;
		}
}

/*
 * Without openat2 (Linux before 5.6): open by the full path, then make
 * sure the file's real path is still inside the folder's.
 */
static int
open_checked(int dirfd, const char *name)
{
	char	 dir[PATH_MAX], real[PATH_MAX], full[PATH_MAX + 8];
	char	 proc[64];
	size_t	 n;
	int	 fd;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", dirfd);
	if (realpath(proc, dir) == NULL)
		return -1;
	if ((size_t)snprintf(full, sizeof(full), "%s/%s", dir, name) >=
	    sizeof(full)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (realpath(full, real) == NULL)
		return -1;
	n = strlen(dir);
	if (strncmp(real, dir, n) != 0 || (real[n] != '/' && real[n] != '\0' &&
	    strcmp(dir, "/") != 0)) {
		errno = EXDEV;
		return -1;
	}
	fd = open(real, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	return fd;
}

static int
open_beneath(int dirfd, const char *name, struct stat *st)
{
	struct open_how	 how;
	int		 fd = -1, saved;

	if (have_openat2) {
		memset(&how, 0, sizeof(how));
		/* O_NONBLOCK: a FIFO must not hang the worker in open(2). */
		how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
		fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
		if (fd == -1 && errno == ENOSYS)
			have_openat2 = 0;
	}
	if (!have_openat2)
		fd = open_checked(dirfd, name);
	if (fd == -1)
		return -1;
	if (fstat(fd, st) == -1)
		goto close_fd;
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) {
		errno = EACCES;
		goto close_fd;
	}
	return fd;

 close_fd:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/*
 * The root's descriptor, and rel[0..rellen) as a name relative to it in
 * name ("." for the root itself).  Returns the descriptor, or -1.
 */
static int
beneath(const char *root, const char *rel, size_t rellen,
    char name[PATH_MAX])
{
	int	 dirfd;

	if ((dirfd = root_fd(root)) == -1)
		return -1;
	while (rellen > 0 && rel[0] == '/') {
		rel++;
		rellen--;
	}
	if (rellen >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (rellen == 0)
		name[rellen++] = '.';
	else
		memcpy(name, rel, rellen);
	name[rellen] = '\0';
	return dirfd;
}

int
vhost_open(const char *root, const char *rel, size_t rellen,
    struct stat *st)
{
	char	 name[PATH_MAX];
	int	 dirfd;

	if ((dirfd = beneath(root, rel, rellen, name)) == -1)
		return -1;
	return open_beneath(dirfd, name, st);
}

int
vhost_stat(const char *root, const char *rel, size_t rellen, struct stat *st)
{
	struct open_how	 how;
	char		 name[PATH_MAX], *p;
	int		 dirfd, fd, rc, saved;

	if ((dirfd = beneath(root, rel, rellen, name)) == -1)
		return -1;
	/* One name: no folder on the way that a link could replace. */
	if (strchr(name, '/') == NULL)
		return fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW);
	/*
	 * A folder on the way may have become a link leading out, which
	 * fstatat(2) would follow: resolve beneath the root, as
	 * vhost_open() does.  O_PATH opens nothing but the name.
	 */
	if (have_openat2) {
		memset(&how, 0, sizeof(how));
		how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
		fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
		if (fd != -1) {
			rc = fstat(fd, st);
			saved = errno;
			close(fd);
			errno = saved;
			return rc;
		}
		if (errno != ENOSYS)
			return -1;
		have_openat2 = 0;
	}
	/* Without openat2, a link on the way is a miss: vhost_open() decides. */
	for (p = strchr(name, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		rc = fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW);
		*p = '/';
		if (rc == -1)
			return -1;
		if (!S_ISDIR(st->st_mode)) {
			errno = ELOOP;
			return -1;
		}
	}
	return fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW);
}
