/*
 * mb_stamp.c - has the metabase changed?  A stat(2) of its data file
 * instead of opening the environment.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "metabase.h"

/*
 * A commit rewrites pages of data.mdb with pwrite(2), which sets its
 * modification time; the size and the inode change with growth and with
 * a restore.  The clock the kernel stamps files with ticks coarsely, so
 * two commits inside one tick show as one: while the last change is
 * younger than this, every look says "maybe".
 */
#define STAMP_SETTLE_NS	(2LL * 1000000000)

int
mb_stamp_changed(const char *dir, struct mb_stamp *st)
{
	struct stat	 sb;
	struct timespec	 now;
	struct mb_stamp	 cur;
	char		 path[4096];
	long long	 age;
	int		 changed;

	if ((size_t)snprintf(path, sizeof(path), "%s/data.mdb", dir) >=
	    sizeof(path) || stat(path, &sb) == -1) {
		/* Let the reader that follows say what is wrong. */
		memset(st, 0, sizeof(*st));
		return 1;
	}
	memset(&cur, 0, sizeof(cur));
	cur.dev = (uint64_t)sb.st_dev;
	cur.ino = (uint64_t)sb.st_ino;
	cur.size = (uint64_t)sb.st_size;
	cur.sec = (int64_t)sb.st_mtim.tv_sec;
	cur.nsec = (int64_t)sb.st_mtim.tv_nsec;
	changed = memcmp(&cur, st, sizeof(cur)) != 0;
	*st = cur;
	if (changed)
		return 1;
	clock_gettime(CLOCK_REALTIME, &now);
	age = ((long long)now.tv_sec - cur.sec) * 1000000000 +
	    ((long long)now.tv_nsec - cur.nsec);
	return age < STAMP_SETTLE_NS;
}
