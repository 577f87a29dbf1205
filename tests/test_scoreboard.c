/*
 * test_scoreboard.c - tests for server/core/scoreboard.c, suite
 * scoreboard: the busy hint.
 *
 * The scoreboard is mapped in memory only, as when the master has no
 * directory for its file; the slots are filled by hand.
 */
#include <stdint.h>

#include <criterion/criterion.h>

#include "server/core/scoreboard.h"

/* Slots the tests fill. */
#define NSLOTS		5

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
