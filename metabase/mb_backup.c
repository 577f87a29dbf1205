/*
 * mb_backup.c - hot backup of the whole metabase, and restore.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mb_int.h"

/* Backup and restore. */

/*
 * Write the copy next to its target and rename it over, so that a failed
 * backup leaves whatever was there; a target that is not a regular file
 * (a pipe, /dev/stdout) is written directly.  The metabase's own file is
 * refused: truncating it would destroy what is being copied.
 */
int
mb_backup(struct mb *mb, const char *file)
{
	char		 tmp[PATH_MAX];
	struct stat	 st, self;
	int		 fd, dfd, rc, direct;

	mb->err[0] = '\0';
	direct = stat(file, &st) == 0 && !S_ISREG(st.st_mode);
	if (!direct && mdb_env_get_fd(mb->env, &dfd) == 0 &&
	    fstat(dfd, &self) == 0 && stat(file, &st) == 0 &&
	    st.st_dev == self.st_dev && st.st_ino == self.st_ino)
		return mb_seterr(mb, EINVAL, "cannot back up into '%s': it is the metabase itself", file);
	if (direct) {
		if ((fd = open(file, O_WRONLY | O_CLOEXEC)) == -1)
			return mb_seterr(mb, errno, "cannot open '%s': %s", file, strerror(errno));
	} else {
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s.mbbackup.XXXXXX",
		    file) >= sizeof(tmp))
			return mb_seterr(mb, ENAMETOOLONG, "cannot create '%s': %s", file, strerror(ENAMETOOLONG));
		if ((fd = mkstemp(tmp)) == -1)
			return mb_seterr(mb, errno, "cannot create '%s': %s", file, strerror(errno));
	}
	rc = mdb_env_copyfd2(mb->env, fd, MDB_CP_COMPACT);
	if (rc == 0 && !direct && fsync(fd) == -1)
		rc = errno;
	if (close(fd) == -1 && rc == 0)
		rc = errno;
	if (rc == 0 && !direct && rename(tmp, file) == -1)
		rc = errno;
	if (rc != 0) {
		if (!direct)
			unlink(tmp);
		return mb_seterr(mb, rc, "cannot write backup '%s': %s", file, mb_strerror(rc));
	}
	return 0;
}

static int
copy_db(MDB_txn *from, MDB_dbi fdbi, MDB_txn *to, MDB_dbi tdbi)
{
	MDB_cursor	*c;
	MDB_val		 k, v;
	int		 rc;

	if ((rc = mdb_drop(to, tdbi, 0)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(from, fdbi, &c)) != 0)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		if ((rc = mdb_put(to, tdbi, &k, &v, MDB_APPEND)) != 0)
			break;
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
mb_restore(struct mb *mb, const char *file)
{
	struct mb	 src;
	struct stat	 st;
	MDB_txn		*txn = NULL;
	int		 rc, own;

	memset(&src, 0, sizeof(src));
	mb->err[0] = '\0';
	if (stat(file, &st) == -1)
		return mb_seterr(mb, errno, "cannot open '%s': %s", file, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size < MB_MINFILE)
		return mb_seterr(mb, MB_DAMAGED, "'%s' is not a metabase backup", file);
	/* The backup is another environment: opening it is safe. */
	if ((rc = mdb_env_create(&src.env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(src.env, 5)) != 0)
		goto close_copy;
	rc = mdb_env_open(src.env, file, MDB_NOSUBDIR | MDB_RDONLY |
	    MDB_NOLOCK, 0600);
	if (rc == 0)
		rc = mb_check_size(src.env);
	if (rc == 0)
		rc = mb_open_dbis(&src, 0);
	if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH ||
	    rc == MDB_CORRUPTED)
		rc = MB_DAMAGED;
	if (rc != 0)
		goto close_copy;
	if ((rc = mdb_txn_begin(src.env, NULL, MDB_RDONLY, &txn)) != 0)
		goto close_copy;
	if ((rc = mb_wbegin(mb, &own)) != 0)
		goto close_copy;
	/*
	 * The history first, while both trees are there to compare; the
	 * index is derived: rebuilt from the values, not trusted.
	 */
	if ((rc = mb_hist_restore(mb, &src, txn)) == 0 &&
	    (rc = copy_db(txn, src.keys, mb->wtxn, mb->keys)) == 0 &&
	    (rc = copy_db(txn, src.props, mb->wtxn, mb->props)) == 0)
		rc = mb_bindings_rebuild(mb, mb->wtxn);
	rc = mb_wend(mb, own, rc);
 close_copy:
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (src.env != NULL)
		mdb_env_close(src.env);
	if (rc == MB_DAMAGED)
		return mb_seterr(mb, rc, "'%s' is not a metabase backup, or it is damaged", file);
	if (rc != 0 && mb->err[0] == '\0')
		return mb_seterr(mb, rc, "cannot restore '%s': %s", file, mb_strerror(rc));
	return rc;
}
