/*
 * auth.h - the Basic authentication scheme (RFC 7617): the credentials
 * of an Authorization field value.  Pure: no I/O, no allocation.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>

/* The longest user name and password taken, in bytes. */
#define AUTH_MAXUSER	256
#define AUTH_MAXPASS	1024

/*
 * From "Basic <base64 of user:password>" (the scheme in any case): the
 * user into user[AUTH_MAXUSER + 1] and the password into
 * pass[AUTH_MAXPASS + 1], NUL-terminated.  Returns 0, or -1 for another
 * scheme, bad base64, no ':', a NUL byte, or a part too long.
 */
int	auth_basic_parse(const char *v, size_t len, char *user, char *pass);

#endif /* AUTH_H */
