/*
 * status.c - reading a running server's scoreboard.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "status/status.h"

const struct scoreboard *
status_open(const char *dir, char *err, size_t errlen)
{
	struct stat	 st;
	char		 path[4096];
	void		*p;
	const struct scoreboard *sb;
	pid_t		 pid;
	int		 fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, SB_FILENAME) >=
	    sizeof(path)) {
		snprintf(err, errlen, "metabase path too long");
		return NULL;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			snprintf(err, errlen, "no server running on the metabase in '%s'", dir);
		else
			snprintf(err, errlen, "cannot open '%s': %s", path,
			    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || (size_t)st.st_size <
	    sizeof(struct scoreboard)) {
		close(fd);
		snprintf(err, errlen, "'%s' is not a scoreboard of this version of mbhttpd", path);
		return NULL;
	}
	p = mmap(NULL, sizeof(struct scoreboard), PROT_READ, MAP_SHARED, fd,
	    0);
	close(fd);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "cannot map '%s': %s", path,
		    strerror(errno));
		return NULL;
	}
	sb = p;
	if (memcmp(sb->magic, SB_MAGIC, sizeof(SB_MAGIC)) != 0 ||
	    sb->size != sizeof(struct scoreboard)) {
		status_close(sb);
		snprintf(err, errlen, "'%s' is not a scoreboard of this version of mbhttpd", path);
		return NULL;
	}
	pid = (pid_t)atomic_load(&sb->master_pid);
	if (pid <= 0 || (kill(pid, 0) == -1 && errno == ESRCH)) {
		status_close(sb);
		snprintf(err, errlen, "no server running on the metabase in '%s' (its last master, pid %ld, is gone)", dir, (long)pid);
		return NULL;
	}
	return sb;
}

void
status_close(const struct scoreboard *sb)
{
	if (sb != NULL)
		munmap((void *)(uintptr_t)sb, sizeof(*sb));
}

int
status_slot_text(const struct sb_slot *s, char client[SB_ADDRLEN],
    char line[SB_LINE])
{
	uint32_t	 a, b;
	int		 tries;

	for (tries = 0; tries < SB_TEXT_TRIES; tries++) {
		a = atomic_load_explicit(&s->seq, memory_order_acquire);
		if (a & 1)
			continue;
		memcpy(client, s->client, SB_ADDRLEN);
		memcpy(line, s->line, SB_LINE);
		atomic_thread_fence(memory_order_acquire);
		b = atomic_load_explicit(&s->seq, memory_order_relaxed);
		if (a == b) {
			client[SB_ADDRLEN - 1] = '\0';
			line[SB_LINE - 1] = '\0';
			return 0;
		}
	}
	client[0] = line[0] = '\0';
	return -1;
}

int
status_site_unbound(const struct scoreboard *sb, uint32_t site, char *buf,
    size_t len)
{
	const struct sb_site *e;
	char		 name[SB_BINDLEN];
	size_t		 i, n;
	int		 err;

	if (site == 0)
		return 0;
	for (i = sb_site_hash(site), n = 0; n < 8;
	    n++, i = i + 1 < SB_SITES ? i + 1 : 1) {
		e = &sb->site[i];
		if (atomic_load(&e->id) == 0)
			return 0;
		if (atomic_load(&e->id) != site)
			continue;
		if ((err = atomic_load(&e->bind_err)) == 0)
			return 0;
		memcpy(name, e->bind_name, sizeof(name));
		name[sizeof(name) - 1] = '\0';
		snprintf(buf, len, "cannot bind %s: %s", name, strerror(err));
		return 1;
	}
	return 0;
}

const char *
status_state_name(int state)
{
	static const char *const names[SB_NSTATES] = {
		"empty", "starting", "idle", "reading", "writing",
		"keep-alive", "giving-way", "finishing"
	};

	return state >= 0 && state < SB_NSTATES ? names[state] : "?";
}
