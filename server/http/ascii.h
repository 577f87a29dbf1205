/*
 * ascii.h - character helpers shared by the pure HTTP parts (http_parse.c,
 * uri.c).  Depends on nothing.
 */
#ifndef ASCII_H
#define ASCII_H

/* The value of the hex digit c, or -1 if c is not one. */
static inline int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif /* ASCII_H */
