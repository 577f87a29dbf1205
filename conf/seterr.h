/*
 * seterr.h - one line of error text into the caller's buffer, for the
 * functions whose contract is "-1 with one line in err" (conf.c,
 * listen.c).
 *
 * Header-only, so that using it ties a file to no other code.  It sits in
 * conf/ because conf/ is what both programs share besides the metabase,
 * not because it has to do with the bootstrap file; the metabase has
 * its own, mb_seterr(), which keeps the text in the handle.
 */
#ifndef SETERR_H
#define SETERR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* GCC and Clang check the format, as log.h's LOG_PRINTF does. */
#if defined(__GNUC__)
#define SETERR_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#else
#define SETERR_PRINTF(f, a)
#endif

static inline int	seterr(char *, size_t, const char *, ...)
			    SETERR_PRINTF(3, 4);

/*
 * Format into err[0 .. errlen), cut to fit, and made one line: a value
 * quoted in it (a user name written "a\nb" in a file) may hold control
 * characters, which become '?'.  Returns -1, for `return seterr(...)`.
 */
static inline int
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	for (p = err; errlen > 0 && *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -1;
}

#endif /* SETERR_H */
