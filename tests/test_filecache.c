/*
 * test_filecache.c - tests for server/worker/filecache.c, suite filecache.
 *
 * Real files in a fresh mkdtemp(3) directory, opened as the worker opens
 * them (vhost_open()), changed the ways an editor, rsync or a deploy
 * changes them: a cached entry must never outlive the file it was read
 * from, nor reach past the site's folder.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "mbt.h"
#include "server/limits.h"
#include "server/worker/filecache.h"
#include "server/worker/vhost.h"

static char	 dir[PATH_MAX];		/* the mkdtemp(3) directory */
static char	 root[PATH_MAX + 8];	/* dir/root: the site's folder */

static void
setup(void)
{
	char	 tmpl[] = "/tmp/mbt.XXXXXX";

	cr_assert_not_null(mkdtemp(tmpl), "mkdtemp: %s", strerror(errno));
	snprintf(dir, sizeof(dir), "%s", tmpl);
	snprintf(root, sizeof(root), "%s/root", dir);
	cr_assert_eq(mkdir(root, 0755), 0);
}

static void
teardown(void)
{
	fc_flush();
	vhost_flush();
	if (dir[0] != '\0')
		mbt_rmtree(dir);
}

/* root/rel, made from the parts. */
static const char *
path(const char *base, const char *rel)
{
	static char	 buf[2][PATH_MAX + 64];
	static int	 i;

	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "%s%s", base, rel);
	return buf[i];
}

static void
put(const char *base, const char *rel, const void *data, size_t len)
{
	int	 fd;

	fd = open(path(base, rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_neq(fd, -1, "%s: %s", path(base, rel), strerror(errno));
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	cr_assert_eq(close(fd), 0);
}

/* Change the bytes in place: same inode, same size. */
static void
overwrite(const char *rel, const char *data)
{
	int	 fd;

	fd = open(path(root, rel), O_WRONLY);
	cr_assert_neq(fd, -1);
	cr_assert_eq(pwrite(fd, data, strlen(data), 0),
	    (ssize_t)strlen(data));
	cr_assert_eq(close(fd), 0);
}

/* Open rel under base as the worker does and cache it. */
static const struct fc_entry *
store(const char *base, const char *rel)
{
	const struct fc_entry	*e;
	struct stat		 st;
	int			 fd;

	fd = vhost_open(base, rel, strlen(rel), &st);
	cr_assert_neq(fd, -1, "vhost_open %s: %s", rel, strerror(errno));
	e = fc_store(base, rel, strlen(rel), fd, &st);
	cr_assert_eq(close(fd), 0);
	return e;
}

static const struct fc_entry *
lookup(const char *base, const char *rel)
{
	return fc_lookup(base, rel, strlen(rel));
}

/* e holds exactly data, and what stat(2) says of the file now. */
static void
check_entry(const struct fc_entry *e, const char *file, const char *data)
{
	struct stat	 st;
	char		 tag[64];

	cr_assert_not_null(e);
	cr_assert_eq(stat(file, &st), 0);
	cr_assert_eq(e->st.st_ino, st.st_ino);
	cr_assert_eq(e->st.st_size, (off_t)strlen(data));
	cr_assert_not_null(e->data);
	cr_assert_eq(memcmp(e->data, data, strlen(data)), 0);
	/* response.h's entity tag of the file. */
	snprintf(tag, sizeof(tag), "\"%llx.%lx-%llx\"",
	    (unsigned long long)st.st_mtim.tv_sec,
	    (unsigned long)st.st_mtim.tv_nsec,
	    (unsigned long long)st.st_size);
	cr_assert_eq(e->etaglen, strlen(tag));
	cr_assert_eq(memcmp(e->etag, tag, e->etaglen), 0, "%.*s, not %s",
	    (int)e->etaglen, e->etag, tag);
}

TestSuite(filecache, .init = setup, .fini = teardown);

Test(filecache, stored_file_is_found)
{
	cr_assert_null(lookup(root, "/a.txt"));
	put(root, "/a.txt", "hello, world\n", 13);
	check_entry(store(root, "/a.txt"), path(root, "/a.txt"),
	    "hello, world\n");
	check_entry(lookup(root, "/a.txt"), path(root, "/a.txt"),
	    "hello, world\n");
	check_entry(lookup(root, "/a.txt"), path(root, "/a.txt"),
	    "hello, world\n");
	cr_assert_null(lookup(root, "/b.txt"));
	cr_assert_null(lookup(root, "/a.tx"));
	cr_assert_null(lookup(root, "/a.txt/"));
	/* Only rellen bytes of rel count. */
	check_entry(fc_lookup(root, "/a.txt.gz", 6), path(root, "/a.txt"),
	    "hello, world\n");
}

Test(filecache, empty_file)
{
	const struct fc_entry	*e;

	put(root, "/empty", "", 0);
	cr_assert_not_null(e = store(root, "/empty"));
	cr_assert_eq(e->st.st_size, 0);
	cr_assert_not_null(e->data);
	cr_assert_not_null(lookup(root, "/empty"));
}

Test(filecache, grown_file_is_not_served)
{
	put(root, "/a.txt", "one", 3);
	cr_assert_not_null(store(root, "/a.txt"));
	put(root, "/a.txt", "one two", 7);
	cr_assert_null(lookup(root, "/a.txt"));
	check_entry(store(root, "/a.txt"), path(root, "/a.txt"), "one two");
	check_entry(lookup(root, "/a.txt"), path(root, "/a.txt"), "one two");
}

/* Same inode, same size, changed at once after it was cached. */
Test(filecache, rewritten_in_place_is_not_served)
{
	put(root, "/a.txt", "aaaa", 4);
	cr_assert_not_null(store(root, "/a.txt"));
	overwrite("/a.txt", "bbbb");
	cr_assert_null(lookup(root, "/a.txt"));
	check_entry(store(root, "/a.txt"), path(root, "/a.txt"), "bbbb");
}

/*
 * Rewritten with its old modification time put back (cp -p, rsync -t,
 * touch -r): only the change time tells.
 */
Test(filecache, mtime_put_back_is_not_served)
{
	struct timespec	 ts[2];
	struct stat	 st;

	put(root, "/a.txt", "aaaa", 4);
	cr_assert_eq(stat(path(root, "/a.txt"), &st), 0);
	cr_assert_not_null(store(root, "/a.txt"));
	overwrite("/a.txt", "bbbb");
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	cr_assert_eq(utimensat(AT_FDCWD, path(root, "/a.txt"), ts, 0), 0);
	cr_assert_null(lookup(root, "/a.txt"));
}

/* A deploy: a new file renamed over the old, same size and mtime. */
Test(filecache, renamed_over_is_not_served)
{
	struct timespec	 ts[2];
	struct stat	 st;

	put(root, "/a.txt", "aaaa", 4);
	cr_assert_eq(stat(path(root, "/a.txt"), &st), 0);
	cr_assert_not_null(store(root, "/a.txt"));
	put(root, "/.a.txt.new", "bbbb", 4);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	cr_assert_eq(utimensat(AT_FDCWD, path(root, "/.a.txt.new"), ts, 0),
	    0);
	cr_assert_eq(rename(path(root, "/.a.txt.new"), path(root, "/a.txt")),
	    0);
	cr_assert_null(lookup(root, "/a.txt"));
	check_entry(store(root, "/a.txt"), path(root, "/a.txt"), "bbbb");
}

Test(filecache, deleted_is_not_served)
{
	put(root, "/a.txt", "aaaa", 4);
	cr_assert_not_null(store(root, "/a.txt"));
	cr_assert_eq(unlink(path(root, "/a.txt")), 0);
	cr_assert_null(lookup(root, "/a.txt"));
	/* Back again: found only once cached again. */
	put(root, "/a.txt", "aaaa", 4);
	cr_assert_null(lookup(root, "/a.txt"));
	cr_assert_not_null(store(root, "/a.txt"));
	cr_assert_not_null(lookup(root, "/a.txt"));
}

/* The file swapped for a link to one outside the folder. */
Test(filecache, link_swapped_in_is_not_followed)
{
	put(root, "/a.txt", "aaaa", 4);
	put(dir, "/secret", "ssss", 4);
	cr_assert_not_null(store(root, "/a.txt"));
	cr_assert_eq(unlink(path(root, "/a.txt")), 0);
	cr_assert_eq(symlink(path(dir, "/secret"), path(root, "/a.txt")), 0);
	cr_assert_null(lookup(root, "/a.txt"));
}

/*
 * A folder of the site moved out of it, a link left in its place: the
 * file is outside now, and vhost_open() refuses it; the cache must too.
 */
Test(filecache, folder_moved_outside_is_not_served)
{
	struct stat	 st;
	int		 fd;

	cr_assert_eq(mkdir(path(root, "/d"), 0755), 0);
	put(root, "/d/a.txt", "aaaa", 4);
	cr_assert_not_null(store(root, "/d/a.txt"));
	cr_assert_eq(rename(path(root, "/d"), path(dir, "/d")), 0);
	cr_assert_eq(symlink(path(dir, "/d"), path(root, "/d")), 0);
	fd = vhost_open(root, "/d/a.txt", 8, &st);
	cr_assert_eq(fd, -1, "vhost_open reached outside the folder");
	cr_assert_null(lookup(root, "/d/a.txt"),
	    "the cache served a file outside the folder");
}

/* Through a link inside the folder: changes to the target are seen. */
Test(filecache, file_through_a_link_is_fresh)
{
	const struct fc_entry	*e;
	struct timespec		 ts[2];
	struct stat		 st;

	put(root, "/target", "aaaa", 4);
	cr_assert_eq(symlink("target", path(root, "/link")), 0);
	cr_assert_eq(stat(path(root, "/target"), &st), 0);
	e = store(root, "/link");
	if (e != NULL)
		cr_assert_eq(memcmp(e->data, "aaaa", 4), 0);
	overwrite("/target", "bbbb");
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	cr_assert_eq(utimensat(AT_FDCWD, path(root, "/target"), ts, 0), 0);
	e = lookup(root, "/link");
	cr_assert(e == NULL || memcmp(e->data, "bbbb", 4) == 0,
	    "stale bytes through a link");
}

/* The key is the folder and the path: two sites never share an entry. */
Test(filecache, roots_are_apart)
{
	const struct fc_entry	*e;
	char			 root2[PATH_MAX + 16];

	snprintf(root2, sizeof(root2), "%s/root2", dir);
	cr_assert_eq(mkdir(root2, 0755), 0);
	put(root, "/a.txt", "site one", 8);
	put(root2, "/a.txt", "site two", 8);
	cr_assert_not_null(store(root, "/a.txt"));
	cr_assert_null(lookup(root2, "/a.txt"));
	check_entry(store(root2, "/a.txt"), path(root2, "/a.txt"),
	    "site two");
	check_entry(lookup(root2, "/a.txt"), path(root2, "/a.txt"),
	    "site two");
	e = lookup(root, "/a.txt");
	if (e != NULL)
		check_entry(e, path(root, "/a.txt"), "site one");
}

Test(filecache, only_small_regular_files)
{
	struct stat	 st;
	char		*big;
	int		 fd;

	cr_assert_not_null(big = malloc(FC_MAXFILE + 1));
	memset(big, 'x', FC_MAXFILE + 1);
	put(root, "/max", big, FC_MAXFILE);
	put(root, "/over", big, FC_MAXFILE + 1);
	cr_assert_not_null(store(root, "/max"));
	cr_assert_not_null(lookup(root, "/max"));
	cr_assert_null(store(root, "/over"));
	cr_assert_null(lookup(root, "/over"));
	cr_assert_eq(mkdir(path(root, "/sub"), 0755), 0);
	fd = vhost_open(root, "/sub", 4, &st);
	cr_assert_neq(fd, -1);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_null(fc_store(root, "/sub", 4, fd, &st));
	close(fd);
	cr_assert_null(lookup(root, "/sub"));
	free(big);
}

/* fc_store() reads with pread(2): the caller's offset is left alone. */
Test(filecache, offset_is_kept)
{
	const struct fc_entry	*e;
	struct stat		 st;
	char			 buf[8];
	int			 fd;

	put(root, "/a.txt", "0123456789", 10);
	fd = vhost_open(root, "/a.txt", 6, &st);
	cr_assert_neq(fd, -1);
	cr_assert_eq(lseek(fd, 3, SEEK_SET), 3);
	e = fc_store(root, "/a.txt", 6, fd, &st);
	check_entry(e, path(root, "/a.txt"), "0123456789");
	cr_assert_eq(lseek(fd, 0, SEEK_CUR), 3);
	cr_assert_eq(read(fd, buf, 4), 4);
	cr_assert_eq(memcmp(buf, "3456", 4), 0);
	close(fd);
}

Test(filecache, flush_drops_all)
{
	put(root, "/a.txt", "aaaa", 4);
	put(root, "/b.txt", "bbbb", 4);
	cr_assert_not_null(store(root, "/a.txt"));
	cr_assert_not_null(store(root, "/b.txt"));
	fc_flush();
	cr_assert_null(lookup(root, "/a.txt"));
	cr_assert_null(lookup(root, "/b.txt"));
	cr_assert_not_null(store(root, "/a.txt"));
	cr_assert_not_null(lookup(root, "/a.txt"));
}

#define NFILES	(3 * FC_MAXBYTES / FC_MAXFILE)

/* How many of the first n files are cached now. */
static size_t
cached(size_t n)
{
	char	 rel[32];
	size_t	 i, c = 0;

	for (i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "/f%zu", i);
		if (lookup(root, rel) != NULL)
			c++;
	}
	return c;
}

/*
 * Never more than FC_MAXBYTES of file data held; a file is refused only
 * when it would go over.
 */
Test(filecache, memory_is_bounded, .timeout = 120)
{
	char	 rel[32], *big;
	size_t	 i, refused = 0, c;

	cr_assert_not_null(big = malloc(FC_MAXFILE));
	memset(big, 'x', FC_MAXFILE);
	for (i = 0; i < NFILES; i++) {
		snprintf(rel, sizeof(rel), "/f%zu", i);
		put(root, rel, big, FC_MAXFILE);
		if (store(root, rel) != NULL)
			continue;
		refused++;
		c = cached(i);
		cr_assert_leq(c * FC_MAXFILE, FC_MAXBYTES);
		cr_assert_gt((c + 1) * FC_MAXFILE, FC_MAXBYTES,
		    "file %zu refused with %zu cached", i, c);
	}
	cr_assert_gt(refused, 0);
	cr_assert_leq(cached(NFILES) * FC_MAXFILE, FC_MAXBYTES);
	/* Dropping entries gives the room back. */
	fc_flush();
	cr_assert_eq(cached(NFILES), 0);
	for (i = 0; i < FC_MAXBYTES / FC_MAXFILE; i++) {
		snprintf(rel, sizeof(rel), "/f%zu", i);
		cr_assert_not_null(store(root, rel), "file %zu", i);
	}
	free(big);
}
