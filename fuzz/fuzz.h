/*
 * fuzz.h - what the libFuzzer harnesses under fuzz/ share.
 *
 * Each fuzz_<target>.c defines LLVMFuzzerTestOneInput() and, when it needs
 * set-up done once per process (a metabase, a tree of files), does it on
 * its first input through the helpers here.  A harness aborts (through
 * FUZZ_ASSERT) when an invariant fails, so that libFuzzer keeps the input.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry points, declared for -Wmissing-prototypes. */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort with the condition and where, so that libFuzzer saves the input. */
#define FUZZ_ASSERT(c) do {						\
	if (!(c))							\
		fuzz_fail(__FILE__, __LINE__, #c);			\
} while (0)

void	fuzz_fail(const char *file, int line, const char *what)
	    __attribute__((noreturn));

/*
 * A directory of this process, made once under /dev/shm (else $TMPDIR or
 * /tmp) and removed with all it holds at exit.  Never NULL: aborts if it
 * cannot be made.
 */
const char *fuzz_tmpdir(void);

/* Write data[0..size) to path, replacing it; aborts on failure. */
void	fuzz_write_file(const char *path, const void *data, size_t size);

/*
 * data[0..size) as a NUL-terminated string in a buffer the caller frees,
 * or NULL if it holds a NUL (the parsers take C strings).
 */
char	*fuzz_cstring(const uint8_t *data, size_t size);

/* A 64-bit hash of data, to draw repeatable choices from an input. */
uint64_t fuzz_hash(const uint8_t *data, size_t size);

#endif /* FUZZ_H */
