/*
 * metabase.h - the mbhttpd configuration store, on LMDB.
 *
 * The metabase is a tree of keys (/LM, /LM/W3SVC, /LM/W3SVC/1,
 * /LM/W3SVC/1/ROOT, ...) holding typed properties with IIS names.  A
 * property set on a key is inherited by the keys below it when its schema
 * entry says so.  This is the library's only public header; it knows
 * nothing of HTTP.
 *
 * Paths given to the library are absolute ("/LM/W3SVC/1/ROOT") or relative
 * to /LM ("W3SVC/1/ROOT"), as adsutil takes them.  Key names compare
 * without regard to case and keep the case they were created with.
 *
 * Errors: every function returning int returns 0 on success, one of the
 * MB_* codes below, an LMDB code (passed through unchanged) or an errno
 * value.  mb_strerror() turns any of them into text; mb_errdetail() gives
 * the specific sentence about the last failure on a handle ("invalid value
 * 'maybe' for AllowKeepAlives: expected TRUE, FALSE, 1 or 0").
 *
 * Lifetimes: values returned by lookups point into the memory map and stay
 * valid until mb_end(), mb_write_commit() or mb_write_abort(); copy what
 * must outlive them.
 */
#ifndef METABASE_H
#define METABASE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* Our error codes; LMDB's are -30800 .. -30780, errno values positive. */
#define MB_NOTFOUND	(-30700)	/* no such key or property */
#define MB_NOPROP	(-30701)	/* property name not in the schema */
#define MB_BADVALUE	(-30702)	/* wrong type, out of range, bad syntax */
#define MB_BADKEY	(-30703)	/* malformed path, or outside /LM */
#define MB_BADKIND	(-30704)	/* property not allowed on this key */
#define MB_EXISTS	(-30705)	/* key or site id already exists */
#define MB_NOMETABASE	(-30706)	/* directory holds no metabase */
#define MB_DAMAGED	(-30707)	/* not an mbhttpd metabase, or damaged */
#define MB_CONFLICT	(-30708)	/* binding already used by another site */
#define MB_NOTXN	(-30709)	/* read called outside a transaction */
#define MB_REFUSED	(-30710)	/* the commit hook refused the change */

/*
 * Reader slots in the lock file: above the largest pool (MB_MAXWORKERS)
 * plus room for mbctl and a restarting generation of workers.  LMDB's
 * default of 126 is too few, and the first process to open the lock file
 * fixes the size for everyone.
 */
#define MB_MAXREADERS	2048
/* The largest MaxWorkers the schema accepts. */
#define MB_MAXWORKERS	1000
/*
 * Map size of a new metabase: sparse, so it costs nothing until used; a
 * million properties of a few hundred bytes fit several times over.  An
 * existing metabase keeps the size data.mdb records, which mb_grow()
 * doubles when a writer finds the map full.
 */
#define MB_MAPSIZE	((size_t)1 << 30)
/*
 * The largest map mb_grow() makes: 1 TiB of address space, a small part
 * of a 64-bit process's; a 32-bit process has no room to grow into.
 */
#if SIZE_MAX > 0xffffffffu
#define MB_MAXMAPSIZE	((size_t)1 << 40)
#else
#define MB_MAXMAPSIZE	MB_MAPSIZE
#endif
/* LMDB's key size limit is 511 bytes; property keys add 5 to the path. */
#define MB_MAXPATH	480
/* One key name: as long as a file name. */
#define MB_MAXNAME	255
/*
 * HttpCustomHeaders, all its strings together: 16 KiB, a generous head
 * for any response.
 */
#define MB_MAXCUSTOMHEADERS	16384
/* Largest STRING or MULTISZ value: ample for a MimeMap of every type. */
#define MB_MAXVALUE	(256 * 1024)

/* Property types, as IIS has them. */
enum mb_type {
	MB_BOOL = 1,
	MB_DWORD,
	MB_STRING,
	MB_MULTISZ
};

/* The kinds of key, as a bit each so a property can list where it goes. */
#define MB_KIND_ROOT	0x01	/* /LM */
#define MB_KIND_SERVICE	0x02	/* /LM/W3SVC: service-wide defaults */
#define MB_KIND_SITE	0x04	/* /LM/W3SVC/<id>, id 1 .. 4294967295 */
#define MB_KIND_VDIR	0x08	/* /LM/W3SVC/<id>/ROOT and every key below */
#define MB_KIND_MIMEMAP	0x10	/* /LM/MimeMap */

/* Value syntax checked beyond the type. */
enum mb_syntax {
	MB_SYN_NONE,
	MB_SYN_BINDING,		/* IP:Port:HostHeader */
	MB_SYN_HEADER,		/* "Name: value" */
	MB_SYN_MIME,		/* ".ext,type/subtype" */
	MB_SYN_ABSPATH,		/* an absolute file system path */
	MB_SYN_DOCLIST,		/* "a.html,b.htm": file names, comma separated */
	MB_SYN_STATE,		/* ServerState: 2 started or 4 stopped */
	MB_SYN_FLAGS,		/* DWORD of named bits (flags[]) */
	MB_SYN_REDIRECT,	/* HttpRedirect: mb_redirect_parse() */
	MB_SYN_EXPIRES,		/* HttpExpires: mb_expires_parse() */
	MB_SYN_HTTPERROR,	/* HttpErrors: mb_httperror_parse() */
	MB_SYN_IPSEC,		/* IPSecurity: mb_ipsec_check() */
	MB_SYN_AUTHUSER,	/* "name:$crypt-hash" */
	MB_SYN_EXT		/* a file name extension, without its dot */
};

struct mb_flagname {
	const char	*name;
	uint32_t	 bit;
};

/* One schema entry: the single truth about a property. */
struct mb_prop {
	const char	*name;		/* IIS name */
	const char	*alias;		/* another accepted spelling, or NULL */
	uint32_t	 id;		/* IIS numeric id, or ours from 57344 */
	enum mb_type	 type;
	int		 inherit;	/* inherited by keys below */
	unsigned	 kinds;		/* MB_KIND_* where it may be set */
	enum mb_syntax	 syntax;
	uint32_t	 min, max;	/* DWORD range, inclusive */
	uint32_t	 dflt;		/* default of a BOOL or DWORD */
	const char	*dflt_str;	/* default of a STRING, or NULL (empty) */
	const struct mb_flagname *flags;	/* for MB_SYN_FLAGS */
	const char	*desc;		/* one line, for mbctl schema */
	unsigned	 pflags;	/* MB_PF_* */
};

/*
 * A secret property (a password hash, a key): its history entries say
 * that it changed, and mbctl never shows the old or new value (unless
 * asked with --secrets, for get and export): AuthUsers.
 */
#define MB_PF_SECRET	0x1
/*
 * A property of one host, not of the farm: a farm's mirror (mb_mirror_*)
 * neither carries nor touches it.  The pool sizes, MaxHistoryEntries.
 */
#define MB_PF_HOSTLOCAL	0x2

/* Index of every property in mb_schema[], for direct access. */
enum mb_pid {
	MB_P_ALLOWKEEPALIVES,
	MB_P_LEGACYKEEPALIVES,
	MB_P_CONNECTIONTIMEOUT,
	MB_P_HEADERWAITTIMEOUT,
	MB_P_MAXKEEPALIVEREQUESTS,
	MB_P_MAXCONNECTIONS,
	MB_P_MAXREQUESTENTITY,
	MB_P_SERVERCOMMENT,
	MB_P_SERVERBINDINGS,
	MB_P_SERVERSTATE,
	MB_P_SERVERAUTOSTART,
	MB_P_PATH,
	MB_P_DEFAULTDOC,
	MB_P_DIRBROWSEFLAGS,
	MB_P_ACCESSFLAGS,
	MB_P_HTTPCUSTOMHEADERS,
	MB_P_MIMEMAP,
	MB_P_LOGTYPE,
	MB_P_LOGFILEDIRECTORY,
	MB_P_LOGEXTFILEFLAGS,
	MB_P_MINSPAREWORKERS,
	MB_P_MAXSPAREWORKERS,
	MB_P_MAXWORKERS,
	MB_P_MAXREQUESTSPERWORKER,
	MB_P_MAXCONNECTIONSPERCLIENT,
	MB_P_SECUREBINDINGS,
	MB_P_SSLCERTFILE,
	MB_P_SSLKEYFILE,
	MB_P_HTTPREDIRECT,
	MB_P_HTTPEXPIRES,
	MB_P_HTTPERRORS,
	MB_P_IPSECURITY,
	MB_P_AUTHFLAGS,
	MB_P_REALM,
	MB_P_AUTHUSERS,
	MB_P_AUTHBASICOVERHTTP,
	MB_P_DOSTATICCOMPRESSION,
	MB_P_HCFILEEXTENSIONS,
	MB_P_MAXHISTORYENTRIES,
	MB_NPROPS
};

extern const struct mb_prop mb_schema[MB_NPROPS];

/* ServerState values, as IIS has them. */
#define MB_STATE_STARTED	2
#define MB_STATE_STOPPED	4

/* DirBrowseFlags bits (IIS values). */
#define MB_DIRBROW_SHOW_DATE	0x00000002u
#define MB_DIRBROW_SHOW_TIME	0x00000004u
#define MB_DIRBROW_SHOW_SIZE	0x00000008u
#define MB_DIRBROW_SHOW_EXT	0x00000010u
#define MB_DIRBROW_LONG_DATE	0x00000020u
#define MB_DIRBROW_LOADDEFAULT	0x40000000u	/* EnableDefaultDoc */
#define MB_DIRBROW_ENABLED	0x80000000u	/* EnableDirBrowsing */

/* AccessFlags bits (IIS values). */
#define MB_ACCESS_READ		0x00000001u
#define MB_ACCESS_WRITE		0x00000002u
#define MB_ACCESS_EXECUTE	0x00000004u
#define MB_ACCESS_SSL		0x00000008u	/* plain HTTP gets 301 to https */
#define MB_ACCESS_SOURCE	0x00000010u
#define MB_ACCESS_SCRIPT	0x00000200u
#define MB_ACCESS_NO_REMOTE_READ 0x00001000u

/* AuthFlags bits (IIS values). */
#define MB_AUTH_ANONYMOUS	0x00000001u
#define MB_AUTH_BASIC		0x00000002u

/* LogExtFileFlags bits (IIS values). */
#define MB_LOG_DATE		0x00000001u
#define MB_LOG_TIME		0x00000002u
#define MB_LOG_CLIENT_IP	0x00000004u
#define MB_LOG_USERNAME		0x00000008u
#define MB_LOG_SITENAME		0x00000010u
#define MB_LOG_COMPUTERNAME	0x00000020u
#define MB_LOG_SERVER_IP	0x00000040u
#define MB_LOG_METHOD		0x00000080u
#define MB_LOG_URI_STEM		0x00000100u
#define MB_LOG_URI_QUERY	0x00000200u
#define MB_LOG_HTTP_STATUS	0x00000400u
#define MB_LOG_WIN32_STATUS	0x00000800u
#define MB_LOG_BYTES_SENT	0x00001000u
#define MB_LOG_BYTES_RECV	0x00002000u
#define MB_LOG_TIME_TAKEN	0x00004000u
#define MB_LOG_SERVER_PORT	0x00008000u
#define MB_LOG_USER_AGENT	0x00010000u
#define MB_LOG_COOKIE		0x00020000u
#define MB_LOG_REFERER		0x00040000u
#define MB_LOG_PROTOCOL_VERSION	0x00080000u
#define MB_LOG_HOST		0x00100000u
#define MB_LOG_HTTP_SUB_STATUS	0x00200000u

/*
 * Find a property by name or alias, without regard to case.  Returns NULL
 * when the name is not in the schema.
 */
const struct mb_prop *mb_prop_find(const char *name);

/* Where a value came from. */
#define MB_ORIGIN_DEFAULT	(-1)	/* the schema default */
#define MB_ORIGIN_MIMEMAP	(-2)	/* /LM/MimeMap, for MimeMap */

/*
 * A value.  BOOL and DWORD use dword.  STRING: str is NUL-terminated, len
 * does not count the NUL.  MULTISZ: str holds the strings back to back,
 * each NUL-terminated, and len counts every byte including the NULs (an
 * empty list has len 0).  origin, filled in by the effective-value
 * lookups, is the length of the prefix of the looked-up path that names
 * the key holding the value (so path[0 .. origin) is that key), or one of
 * the MB_ORIGIN_* codes.
 */
struct mb_value {
	uint32_t	 dword;
	const char	*str;
	size_t		 len;
	int		 origin;
};

/* Every property's effective value at one key. */
struct mb_props {
	struct mb_value	 v[MB_NPROPS];
};

/* Iterate over the strings of a MULTISZ value. */
#define MB_MULTISZ_FOREACH(s, val)					\
	for ((s) = (val)->str; (s) && (s) < (val)->str + (val)->len;	\
	    (s) += strlen(s) + 1)

/*
 * Append the string s to the MULTISZ value v.  v->str is NULL (an empty
 * list) or a buffer from an earlier call, which the caller frees with
 * free((char *)v->str).  0, or ENOMEM with v unchanged.
 */
int	mb_multisz_add(struct mb_value *v, const char *s);

struct mb;

/* Flags for mb_open(). */
#define MB_RDONLY	0x1	/* no writes; for the server's workers */
#define MB_CREATE	0x2	/* create the directory and the environment */

/*
 * Open the metabase in directory dir.  Without MB_CREATE, a directory that
 * does not exist or holds no metabase gives MB_NOMETABASE, and a file that
 * is not an mbhttpd metabase gives MB_DAMAGED.  Sets the reader table to
 * MB_MAXREADERS, takes the map size data.mdb records (MB_MAPSIZE for a
 * new one), reserves the disk blocks of the lock file (so that taking a
 * reader slot on a full disk cannot fault: ENOSPC if they cannot be
 * had), clears reader slots left by dead processes (mdb_reader_check)
 * and keeps one reset read transaction for mb_begin().
 * On failure *mbp is NULL and nothing stays open.  Never call it twice for
 * the same directory in one process, and never use the handle across
 * fork().
 */
int	mb_open(struct mb **mbp, const char *dir, unsigned flags);
void	mb_close(struct mb *mb);

/*
 * What the metabase's data file looked like, for mb_stamp_changed(); all
 * zeros before the first look.
 */
struct mb_stamp {
	uint64_t	 dev, ino, size;
	int64_t		 sec, nsec;	/* modification time */
};
/*
 * Whether the metabase in dir may have changed since *st (which it then
 * updates): one stat(2) of its data file, no environment opened, so a
 * process may ask it often and across fork().  It says 1 when the file
 * changed, and also while the last change is under two seconds old (two
 * commits inside one tick of the file system's clock look alike) or the
 * file cannot be looked at; 0 means nothing was committed since.
 */
int	mb_stamp_changed(const char *dir, struct mb_stamp *st);

/*
 * The sentence about the last failure on mb, or "".  With mb NULL, the
 * sentence about the last mb_open() that failed.
 */
const char *mb_errdetail(const struct mb *mb);
const char *mb_strerror(int rc);

/*
 * Create /LM, /LM/W3SVC (with every service-wide default written out) and
 * /LM/MimeMap (with a list of common types) where they are missing.  One
 * transaction.
 */
int	mb_init(struct mb *mb);

/*
 * Read snapshot: mb_begin() renews the handle's read transaction,
 * mb_end() resets it.  No allocation.  Every read function below needs
 * either a read snapshot or a write transaction open on the handle; a
 * read inside a write transaction sees the writes made so far.
 */
int	mb_begin(struct mb *mb);
void	mb_end(struct mb *mb);
/*
 * The id of the open transaction's snapshot: it changes with each commit.
 * 0 when no transaction is open.
 */
uint64_t mb_txnid(const struct mb *mb);

/*
 * Write transaction: every change between mb_write_begin() and
 * mb_write_commit() applies whole or not at all.  mb_write_begin() ends
 * the handle's read snapshot, if one is open (mb_end()).  A change function
 * called with no write transaction open runs in one of its own, committed
 * at once.  After a failed change inside a batch, abort the batch.
 */
int	mb_write_begin(struct mb *mb);
int	mb_write_commit(struct mb *mb);
void	mb_write_abort(struct mb *mb);
/*
 * After a change or a commit failed with MDB_MAP_FULL (the transaction
 * aborted, none open): double the map, up to MB_MAXMAPSIZE, so that the
 * batch can be tried again; the new size is kept in data.mdb by the next
 * commit, and readers adopt it at their next mb_begin().  The map is
 * sparse: growing it takes no disk.  Returns 0, MDB_MAP_FULL when the
 * map is already MB_MAXMAPSIZE, or an errno value (the handle can then
 * only be closed).  mb_write_begin() also grows the map by itself when
 * less than a quarter of it is left, so a small change does not fail.
 */
int	mb_grow(struct mb *mb);
/* Whether rc says the map is full (LMDB's MDB_MAP_FULL). */
int	mb_full(int rc);

/*
 * Put the canonical form of path in out (absolute, "/LM" spelled so, no
 * trailing slash, the case of the given path kept) and return its kind
 * (MB_KIND_*).  Returns MB_BADKEY for a malformed path or one outside /LM,
 * or a path naming no kind of key (such as /LM/W3SVC/abc).
 */
int	mb_path_canon(const char *path, char out[MB_MAXPATH + 1]);

/* Keys. */
int	mb_key_exists(struct mb *mb, const char *path);	/* 0 or MB_NOTFOUND */
/* Create the key and any missing parent; MB_EXISTS if it is there. */
int	mb_key_create(struct mb *mb, const char *path);
/*
 * Delete the key, its properties and its whole subtree.  Given /LM, it
 * deletes everything below /LM and /LM's own properties; /LM stays.
 */
int	mb_key_delete(struct mb *mb, const char *path);
/*
 * Call fn for each direct child of path in a stable order (by name,
 * without regard to case), with the child's full path in its stored case.
 * A non-zero return from fn stops the walk and is returned.
 */
int	mb_key_children(struct mb *mb, const char *path,
	    int (*fn)(void *arg, const char *path), void *arg);
/* Same, for path itself and every key below it, parents before children. */
int	mb_key_walk(struct mb *mb, const char *path,
	    int (*fn)(void *arg, const char *path), void *arg);

/* Properties. */
/* The value set at this key itself; MB_NOTFOUND if none. */
int	mb_prop_get(struct mb *mb, const char *path, const struct mb_prop *p,
	    struct mb_value *out);
/*
 * The effective value: the key's own, else the nearest ancestor's if the
 * property is inherited, else (for MimeMap) /LM/MimeMap's, else the
 * default; out->origin tells which.  The key must exist.
 */
int	mb_prop_effective(struct mb *mb, const char *path,
	    const struct mb_prop *p, struct mb_value *out);
/* Call fn for each property set at this key, by id. */
int	mb_prop_each(struct mb *mb, const char *path,
	    int (*fn)(void *arg, const struct mb_prop *p,
	    const struct mb_value *v), void *arg);
/*
 * Validate and set.  The key must exist (MB_NOTFOUND), the property must
 * be allowed on its kind (MB_BADKIND), the value must fit the type, range
 * and syntax (MB_BADVALUE).  Setting ServerBindings updates the index
 * mb_site_find() uses and fails with MB_CONFLICT when another site has
 * one of the bindings.
 */
int	mb_prop_set(struct mb *mb, const char *path, const struct mb_prop *p,
	    const struct mb_value *v);
/*
 * Parse text as an administrator types it, then mb_prop_set().  BOOL:
 * TRUE, FALSE, 1, 0 in any case.  DWORD: decimal or 0x hex; a flags
 * property also takes its bit names joined by '|' ("EnableDefaultDoc|
 * EnableDirBrowsing"); ServerState also takes "started" and "stopped".
 * STRING: exactly one argument.  MULTISZ: one argument a string; none
 * makes an empty list.
 */
int	mb_prop_set_text(struct mb *mb, const char *path,
	    const struct mb_prop *p, int argc, char *const argv[]);
/* Delete the property from this key; MB_NOTFOUND if it is not set here. */
int	mb_prop_delete(struct mb *mb, const char *path, const struct mb_prop *p);
/*
 * Check a value against a property's type, range and syntax without
 * writing: 0 or MB_BADVALUE with the reason in errbuf.
 */
int	mb_value_check(const struct mb_prop *p, const struct mb_value *v,
	    char *errbuf, size_t errlen);
/*
 * A program's own rule for each string of a value, applied by
 * mb_value_check() after the schema's syntax: the store knows what is
 * true of the data (a header is "Name: value", its name a token), the
 * program what it owns (mbctl: the fields the server writes itself).
 * Returns 0, or -1 with a sentence in err.  One for the process; NULL,
 * the default, adds nothing.
 */
typedef int mb_check_fn(const struct mb_prop *p, const char *s, char *err,
	    size_t errlen);
void	mb_set_check(mb_check_fn *fn);
/*
 * Format a value for people: BOOL as TRUE/FALSE, DWORD in decimal, STRING
 * as is, MULTISZ one string a line.  Returns the length it needed, as
 * snprintf does.
 */
int	mb_value_format(const struct mb_prop *p, const struct mb_value *v,
	    char *buf, size_t len);

/*
 * Every property's effective value at the deepest existing key along
 * path, a key path that may go on past the keys that exist (the server
 * appends the URL path to /LM/W3SVC/<id>/ROOT).  *keylen is set to the
 * length of the prefix of path naming that key; origins are prefix
 * lengths of path too.  No allocation.  MB_NOTFOUND if not even the first
 * key of path exists.
 */
int	mb_resolve(struct mb *mb, const char *path, size_t pathlen,
	    struct mb_props *out, size_t *keylen);

/* Sites and bindings. */
struct mb_binding {
	char		 ip[48];	/* "" (all unassigned), "1.2.3.4" or "::1" */
	unsigned	 port;		/* 1 .. 65535 */
	char		 host[256];	/* "" or a host name, lower case */
	int		 secure;	/* from SecureBindings: TLS */
};

/* Parse "IP:Port:HostHeader" ("[::1]:80:" for IPv6); 0 or MB_BADVALUE. */
int	mb_binding_parse(const char *s, struct mb_binding *b);
/*
 * The site answering a connection to local address ip (canonical text, as
 * inet_ntop writes it) and port, for a Host header host (hostlen bytes,
 * without the port, any case; hostlen 0 for none), with IIS's precedence:
 * ip+port+host, then *+port+host, then ip+port, then *+port.  secure
 * chooses SecureBindings (a TLS connection; host is then the SNI name or
 * the Host header) rather than ServerBindings.  0 and *site set, or
 * MB_NOTFOUND.  The site may be stopped: check ServerState.
 *
 * A port serves plain HTTP or TLS, never both: setting a binding of one
 * kind on a port that another binding uses for the other kind fails with
 * MB_CONFLICT.
 */
int	mb_site_find(struct mb *mb, int secure, const char *ip, unsigned port,
	    const char *host, size_t hostlen, uint32_t *site);
/* Call fn for every binding of every site (secure ones with b->secure
 * set), in a stable order. */
int	mb_binding_each(struct mb *mb,
	    int (*fn)(void *arg, const struct mb_binding *b, uint32_t site),
	    void *arg);
/*
 * Call fn for each site, by id from the lowest.  The ids are collected
 * before the first call, so fn may change the metabase.  A non-zero
 * return from fn stops the walk and is returned; MB_NOTFOUND if there is
 * no /LM/W3SVC, ENOMEM.
 */
int	mb_site_each(struct mb *mb, int (*fn)(void *arg, uint32_t id),
	    void *arg);
/*
 * Create site *id (0: the lowest free id, written back) with
 * ServerComment name, ServerBindings (a MULTISZ value), ServerState
 * started, and its ROOT key with Path path.  MB_EXISTS if the id is taken.
 */
int	mb_site_create(struct mb *mb, uint32_t *id, const char *name,
	    const struct mb_value *bindings, const char *path);
/*
 * Set site id's ServerState (MB_STATE_STARTED or _STOPPED), or delete the
 * site with all its keys; each in one transaction of its own unless one
 * is open.  MB_NOTFOUND ("no such site N") if there is no such site.
 */
int	mb_site_set_state(struct mb *mb, uint32_t id, uint32_t state);
int	mb_site_delete(struct mb *mb, uint32_t id);

/*
 * Hot, compacted copy of the whole metabase to the file at path (created,
 * mode 0600), history included.  Restore replaces the whole tree with the
 * copy's, in one transaction, while readers go on; MB_DAMAGED if the file
 * is no metabase.  The history stays, gains the copy's entries it lacks,
 * and records the restore as one entry (MB_HIST_RESTORE) of every
 * difference, so that the restore can be rolled back.
 */
int	mb_backup(struct mb *mb, const char *file);
int	mb_restore(struct mb *mb, const char *file);

/*
 * The value syntaxes the server acts on, parsed alike by the schema's
 * check and by mbhttpd.  Each returns 0, or MB_BADVALUE with a sentence
 * in err.  Pointers point into s.
 */
/* HttpRedirect: "destination[, FLAG ...]" (IIS's flags). */
#define MB_REDIR_EXACT		0x01	/* EXACT_DESTINATION */
#define MB_REDIR_CHILD_ONLY	0x02	/* CHILD_ONLY */
#define MB_REDIR_PERMANENT	0x04	/* PERMANENT: 301 */
#define MB_REDIR_TEMPORARY	0x08	/* TEMPORARY: 302, the default */
#define MB_REDIR_308		0x10	/* 308 */
struct mb_redirect {
	const char	*dest;		/* http://, https:// or /path */
	size_t		 destlen;
	unsigned	 flags;
	int		 status;	/* 301, 302 or 308 */
};
int	mb_redirect_parse(const char *s, struct mb_redirect *r, char *err,
	    size_t errlen);
/* HttpExpires: "" none, "D, seconds" from now, "S, HTTP-date". */
struct mb_expires {
	int		 kind;		/* 0 none, 'D' or 'S' */
	uint32_t	 secs;		/* 'D' */
	time_t		 at;		/* 'S' */
};
int	mb_expires_parse(const char *s, struct mb_expires *x, char *err,
	    size_t errlen);
/* One HttpErrors entry: "status,substatus|*,FILE|URL,target". */
struct mb_httperror {
	unsigned	 status;	/* 400 .. 599 */
	int		 sub;		/* -1 for '*' */
	int		 url;		/* URL (a local path), else FILE */
	const char	*target;	/* absolute file path or local URL */
};
int	mb_httperror_parse(const char *s, struct mb_httperror *h, char *err,
	    size_t errlen);
/* One IPSecurity entry: GrantByDefault, DenyByDefault, ADDR[/LEN]. */
int	mb_ipsec_check(const char *s, char *err, size_t errlen);
/*
 * Whether client address ip (inet_ntop text) may be served under an
 * IPSecurity value v: granted by default unless listed, or, after
 * DenyByDefault, denied unless listed.  An empty value grants all.
 */
int	mb_ipsec_allows(const struct mb_value *v, const char *ip);

/*
 * History.  Every write transaction that changes something appends one
 * entry to the history, in the same transaction, so that neither the
 * change nor its entry exists without the other: a sequence number, the
 * time, who and what asked for it (mb_set_actor()), and every property
 * and key it changed with the value before and after.  Changes to one
 * property within a transaction are folded into one (the first old
 * value, the last new one); a transaction that changes nothing leaves no
 * entry.  The oldest entries beyond /LM's MaxHistoryEntries are pruned
 * in the same transaction.
 */
/* MaxHistoryEntries: its default (a year of ordinary use) and ceiling. */
#define MB_HIST_DEFAULT		10000
#define MB_HIST_MAXKEEP		10000000
/*
 * Whatever MaxHistoryEntries says, the oldest entries go while the
 * history takes more than a quarter of the map, so that big imports
 * cannot fill it.
 */
#define MB_HIST_MAXBYTES	(MB_MAPSIZE / 4)
/* Longest user, command or message an entry keeps; longer is cut. */
#define MB_HIST_MAXTEXT		4096

/*
 * Who and what the next entries are for: the operating system user, the
 * user sudo(8) ran as (SUDO_USER) or NULL, the command as typed, and the
 * administrator's message or NULL.  Copied; kept for every later
 * transaction on the handle.  0 or ENOMEM.
 */
int	mb_set_actor(struct mb *mb, const char *user, const char *sudo_user,
	    const char *command, const char *message);

/* One change of an entry. */
struct mb_hchange {
	const char		*path;	/* the key, canonical, its stored case */
	const struct mb_prop	*prop;	/* NULL: the key itself, or unknown id */
	uint32_t		 id;	/* property id; 0 for the key itself */
	int			 has_old, has_new;	/* set before, after */
	struct mb_value		 old, new;
};

/* Entry flags. */
#define MB_HIST_ROLLBACK	0x1	/* made by mb_rollback() */
#define MB_HIST_RESTORE		0x2	/* made by mb_restore() */

struct mb_hentry {
	uint64_t		 seq;
	int64_t			 time;	/* seconds since the epoch, UTC */
	const char		*user, *sudo_user, *command, *message;
	unsigned		 flags;	/* MB_HIST_* */
	uint64_t		 target; /* a rollback's: the entry rolled back to */
	size_t			 nchanges;
	struct mb_hchange	*changes; /* sorted by path, the key first */
};

/*
 * Entry seq into *e, in the open transaction (read or write); its
 * strings and values point into the map, as lookups do, and the changes
 * array is allocated: mb_hentry_release() frees it.  MB_NOTFOUND.
 */
int	mb_history_get(struct mb *mb, uint64_t seq, struct mb_hentry *e);
void	mb_hentry_release(struct mb_hentry *e);
/*
 * Call fn for each entry, newest first (oldest first when !newest_first),
 * in the open transaction; the entry lives for the call.  A non-zero
 * return from fn stops the walk and is returned.
 */
int	mb_history_each(struct mb *mb, int newest_first,
	    int (*fn)(void *arg, const struct mb_hentry *e), void *arg);
/*
 * The oldest and newest sequence numbers held (0 and 0 when none), in
 * the open transaction.
 */
int	mb_history_range(struct mb *mb, uint64_t *first, uint64_t *last);
/*
 * Keep only the newest keep entries; *removed (may be NULL) counts the
 * others.  In the open write transaction or one of its own.
 */
int	mb_history_prune(struct mb *mb, uint64_t keep, uint64_t *removed);
/*
 * Return every key and property that the entries after seq changed to
 * what it was once entry seq was made, through the change functions
 * above (so the bindings index follows), as one entry flagged
 * MB_HIST_ROLLBACK.  fn, when not NULL, is called for each change first
 * (old: now, new: after the rollback; keys to create before their
 * properties, keys to delete after), and with dry_run nothing is
 * written.  MB_NOTFOUND when entry seq, or one after it, is no longer
 * held.  In the open write transaction or one of its own; a rollback that
 * changes nothing leaves no entry.
 */
int	mb_rollback(struct mb *mb, uint64_t seq, int dry_run,
	    int (*fn)(void *arg, const struct mb_hchange *c), void *arg);

/*
 * The mirror of a farm's shared metabase (mb_mirror.c).  A farm keeps
 * the tree, less the MB_PF_HOSTLOCAL properties, as one text (a dump) in
 * etcd; each host applies it to its own metabase in one transaction.
 * The library knows nothing of etcd: these functions only turn the tree
 * into a dump and back, and keep the farm revision a host has applied.
 *
 * A dump is "mbhttpd-mirror 1\n", then one line per key, parents first,
 * "K path\n", and one per property, "P path\tid\tvalue\n": a BOOL or
 * DWORD in decimal, a STRING or MULTISZ as its bytes, NULs included, with
 * every byte below 0x20, 0x7f and '\\' written as \xHH (also in paths).
 */
#define MB_MIRROR_MAGIC	"mbhttpd-mirror 1\n"

/*
 * The tree of the open transaction as a dump, in a newly allocated
 * buffer (*buf, *len) the caller frees.  0, ENOMEM or an LMDB error.
 */
int	mb_mirror_dump(struct mb *mb, char **buf, size_t *len);
/*
 * Make the tree equal to dump: keys missing from it deleted, others
 * created, properties set, changed and deleted through the change
 * functions (so the bindings index and the history follow), every
 * MB_PF_HOSTLOCAL property left as it is.  In the open write transaction
 * or one of its own.  MB_BADVALUE (with a sentence) for a dump that is
 * not one, or names a property id this build does not know: nothing is
 * changed then.  *nchanged (may be NULL) counts what changed.
 */
int	mb_mirror_apply(struct mb *mb, const char *dump, size_t len,
	    size_t *nchanged);

/* What a host last applied of its farm, kept in the metabase. */
struct mb_mirror_state {
	uint64_t	 rev;		/* etcd revision; 0: none yet */
	int64_t		 time;		/* when applied, seconds, UTC */
	char		 host[256];	/* the host the change was made on */
};
/* In the open transaction; rev 0 and "" when the metabase has none. */
int	mb_mirror_state(struct mb *mb, struct mb_mirror_state *st);
/* In the open write transaction. */
int	mb_mirror_set_state(struct mb *mb, const struct mb_mirror_state *st);

/*
 * A function mb_write_commit() calls before it commits a transaction
 * that changed a key or a property not MB_PF_HOSTLOCAL: it may read the
 * tree and call mb_mirror_set_state().  A non-zero return aborts the
 * transaction: mb_write_commit() returns MB_REFUSED, with the sentence
 * the hook put in err as mb_errdetail().  NULL: none (the default).
 */
typedef int mb_commit_hook(void *arg, struct mb *mb, char *err,
	    size_t errlen);
void	mb_set_commit_hook(struct mb *mb, mb_commit_hook *fn, void *arg);

#endif /* METABASE_H */
