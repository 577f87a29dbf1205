/*
 * test_scoreboard.c - tests for server/core/scoreboard.c, suite
 * scoreboard: the busy hint, and counting a client's connections.
 *
 * The scoreboard is mapped in memory only, as when the master has no
 * directory for its file; the slots are filled by hand, and the start of
 * each connection set outright, so that the order is the test's.
 */
#include <stdint.h>

#include <criterion/criterion.h>

#include "server/core/scoreboard.h"

#define CLIENT_A	"192.0.2.1"
#define CLIENT_B	"2001:db8::1"
/* Slots the tests fill, and the times their connections began. */
#define NSLOTS		5
#define T_EARLY		1000
#define T_LATE		2000

static struct scoreboard *sb;

static void
sb_init(void)
{
	int	 shared, i;

	sb = sb_create(NULL, &shared);
	cr_assert_not_null(sb);
	for (i = 0; i < NSLOTS; i++) {
		sb_slot_start(sb, i);
		sb_set_state(sb, i, SB_IDLE, 0);
	}
}

static void
sb_fini(void)
{
	sb_destroy(sb, NULL);
}

TestSuite(scoreboard, .init = sb_init, .fini = sb_fini);

/* Slot holds a connection of ip, begun at t. */
static void
conn(int slot, const char *ip, uint64_t t)
{
	sb_set_state(sb, slot, SB_READ, 0);
	sb_set_client(sb, slot, ip);
	atomic_store(&sb->slot[slot].conn_start, t);
}

Test(scoreboard, hint_set_by_the_last_idle_place_cleared_by_idle)
{
	cr_assert_eq(sb_maybe_none_idle(sb), 0);
	sb_note_none_idle(sb);
	cr_assert_neq(sb_maybe_none_idle(sb), 0);
	/* Other states leave it. */
	sb_set_state(sb, 0, SB_READ, 0);
	sb_set_state(sb, 0, SB_KEEPALIVE, 1);
	cr_assert_neq(sb_maybe_none_idle(sb), 0);
	sb_set_state(sb, 0, SB_IDLE, 0);
	cr_assert_eq(sb_maybe_none_idle(sb), 0);
}

Test(scoreboard, client_counts_its_earlier_connections_only)
{
	conn(0, CLIENT_A, T_EARLY);
	conn(1, CLIENT_B, T_EARLY);
	conn(2, CLIENT_A, T_LATE);
	conn(3, CLIENT_A, T_LATE + 1);
	/* Slot 3 comes after two of A's. */
	cr_assert(sb_client_full(sb, 3, CLIENT_A, 1));
	cr_assert(sb_client_full(sb, 3, CLIENT_A, 2));
	cr_assert_not(sb_client_full(sb, 3, CLIENT_A, 3));
	/* Slot 0 came first: the later ones do not count against it. */
	cr_assert_not(sb_client_full(sb, 0, CLIENT_A, 1));
	/* B has none other. */
	cr_assert_not(sb_client_full(sb, 1, CLIENT_B, 1));
	/* 0 is no limit. */
	cr_assert_not(sb_client_full(sb, 3, CLIENT_A, 0));
}

Test(scoreboard, client_ties_go_to_the_lower_slot)
{
	conn(1, CLIENT_A, T_EARLY);
	conn(4, CLIENT_A, T_EARLY);
	cr_assert_not(sb_client_full(sb, 1, CLIENT_A, 1));
	cr_assert(sb_client_full(sb, 4, CLIENT_A, 1));
}

Test(scoreboard, client_refused_and_ended_count_for_none)
{
	conn(0, CLIENT_A, T_EARLY);
	conn(1, CLIENT_A, T_LATE);
	conn(2, CLIENT_A, T_LATE + 1);
	cr_assert(sb_client_full(sb, 2, CLIENT_A, 2));
	sb_client_refused(sb, 1);
	cr_assert_not(sb_client_full(sb, 2, CLIENT_A, 2));
	cr_assert(sb_client_full(sb, 2, CLIENT_A, 1));
	/* The connection of slot 0 ends. */
	sb_set_client(sb, 0, "");
	sb_set_state(sb, 0, SB_IDLE, 0);
	cr_assert_not(sb_client_full(sb, 2, CLIENT_A, 1));
}
