/*
 * fields.h - the response header fields the server writes itself.  An
 * administrator's custom header (HttpCustomHeaders) may not be one of
 * them: a second Content-Length or Transfer-Encoding would break the
 * framing, a second Date or Server would contradict the first.  Pure:
 * mbctl refuses such a header through mb_set_check(), with this list.
 */
#ifndef FIELDS_H
#define FIELDS_H

#include <stddef.h>

/* Whether the field name (len bytes, any case) is one the server owns. */
int	http_field_owned(const char *name, size_t len);

#endif
