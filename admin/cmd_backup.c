/*
 * cmd_backup.c - mbctl backup and restore: a copy of the whole
 * environment, made and put back by mb_backup() and mb_restore().
 */
#include "metabase.h"
#include "mbctl.h"

int
cmd_backup(struct ctl *ctl, int argc, char **argv)
{
	int	rc;

	if (argc != 2)
		return CTL_USAGE;
	if ((rc = mb_backup(ctl->mb, argv[1])) != 0)
		return ctl_mberr(ctl, rc, "cannot back up to '%s'", argv[1]);
	return CTL_OK;
}

int
cmd_restore(struct ctl *ctl, int argc, char **argv)
{
	int	rc;

	if (argc != 2)
		return CTL_USAGE;
	/* A copy larger than the room left: grow the map, start over. */
	while (mb_full(rc = mb_restore(ctl->mb, argv[1])) &&
	    (rc = mb_grow(ctl->mb)) == 0)
		;
	if (rc != 0)
		return ctl_mberr(ctl, rc, "cannot restore from '%s'", argv[1]);
	return CTL_OK;
}
