/*
 * conf.c - read the bootstrap file with libconfig.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "conf.h"
#include "seterr.h"

/* The settings the file may hold; all are strings. */
enum setting {
	S_METABASE,
	S_PID_FILE,
	S_ERROR_LOG,
	S_USER,
	S_GROUP,
	S_NSETTINGS
};

static const struct {
	const char	*name;
	int		 abspath;	/* must be an absolute path */
} settings[S_NSETTINGS] = {
	[S_METABASE] =	{ "metabase", 1 },
	[S_PID_FILE] =	{ "pid_file", 1 },
	[S_ERROR_LOG] = { "error_log", 1 },
	[S_USER] =	{ "user", 0 },
	[S_GROUP] =	{ "group", 0 },
};

void
conf_init(struct conf *cf)
{
	memset(cf, 0, sizeof(*cf));
	cf->uid = (uid_t)-1;
	cf->gid = (gid_t)-1;
}

static void
release_file_fields(struct conf *cf)
{
	free(cf->metabase);
	free(cf->pid_file);
	free(cf->error_log);
	free(cf->user);
	free(cf->group);
	cf->metabase = cf->pid_file = cf->error_log = NULL;
	cf->user = cf->group = NULL;
	cf->file_found = 0;
	cf->drop = 0;
	cf->uid = (uid_t)-1;
	cf->gid = (gid_t)-1;
}

void
conf_release(struct conf *cf)
{
	release_file_fields(cf);
	free(cf->file);
	free(cf->mb_arg);
	conf_init(cf);
}

int
conf_copy_args(struct conf *dst, const struct conf *src)
{
	conf_init(dst);
	if ((dst->file = strdup(src->file)) == NULL)
		return -1;
	if (src->mb_arg != NULL && (dst->mb_arg = strdup(src->mb_arg)) == NULL) {
		free(dst->file);
		dst->file = NULL;
		return -1;
	}
	dst->file_given = src->file_given;
	dst->foreground = src->foreground;
	dst->test = src->test;
	dst->verbose = src->verbose;
	return 0;
}

char *
conf_abspath(const char *path)
{
	char	 cwd[4096];
	char	*p;
	size_t	 len;

	if (path[0] == '/')
		return strdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	len = strlen(cwd) + 1 + strlen(path) + 1;
	if ((p = malloc(len)) == NULL)
		return NULL;
	snprintf(p, len, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", path);
	return p;
}

/* The default pid file of a daemon: somewhere this user can write. */
static char *
default_pid_file(void)
{
	const char	*run;
	char		 buf[4096];

	if (geteuid() == 0)
		return strdup(CONF_PIDFILE);
	run = getenv("XDG_RUNTIME_DIR");
	if (run != NULL && run[0] == '/' &&
	    access(run, W_OK | X_OK) == 0)
		snprintf(buf, sizeof(buf), "%s/mbhttpd.pid", run);
	else
		snprintf(buf, sizeof(buf), "/tmp/mbhttpd-%ld.pid",
		    (long)getuid());
	return strdup(buf);
}

/*
 * Read the settings of the file into vals[] (allocated strings), and set
 * *found when it exists; a missing file is an error only if given.  On
 * failure vals[] may hold strings already read: the caller frees them.
 */
static int
read_file(const char *path, int given, int *found, char *vals[S_NSETTINGS],
    int lines[S_NSETTINGS], char *err, size_t errlen)
{
	config_t		 cfg;
	config_setting_t	*root, *s;
	struct stat		 st;
	const char		*name, *file, *v;
	FILE			*fp;
	int			 i, n, k, line, rc = -1;

	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !given)
			return 0;
		return seterr(err, errlen, "cannot open '%s': %s", path,
		    strerror(errno));
	}
	*found = 1;
	/* libconfig would say only "input in flex scanner failed". */
	if (fstat(fileno(fp), &st) == 0 && !S_ISREG(st.st_mode)) {
		fclose(fp);
		return seterr(err, errlen, "cannot read '%s': %s", path,
		    S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a file");
	}
	config_init(&cfg);
	if (config_read(&cfg, fp) == CONFIG_FALSE) {
		file = config_error_file(&cfg);
		seterr(err, errlen, "%s:%d: %s", file ? file : path,
		    config_error_line(&cfg), config_error_text(&cfg));
		goto destroy;
	}
	root = config_root_setting(&cfg);
	n = config_setting_length(root);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(root, (unsigned)i);
		name = config_setting_name(s);
		file = config_setting_source_file(s);
		if (file == NULL)
			file = path;
		line = config_setting_source_line(s);
		for (k = 0; k < S_NSETTINGS; k++)
			if (name != NULL && strcmp(name, settings[k].name) == 0)
				break;
		if (k == S_NSETTINGS) {
			seterr(err, errlen, "%s:%d: unknown setting '%s'",
			    file, line, name ? name : "");
			goto destroy;
		}
		if (config_setting_type(s) != CONFIG_TYPE_STRING) {
			seterr(err, errlen, "%s:%d: %s must be a string", file,
			    line, name);
			goto destroy;
		}
		v = config_setting_get_string(s);
		if (v == NULL || v[0] == '\0') {
			seterr(err, errlen, "%s:%d: %s must not be empty",
			    file, line, name);
			goto destroy;
		}
		if (settings[k].abspath && v[0] != '/') {
			seterr(err, errlen,
			    "%s:%d: %s must be an absolute path", file, line,
			    name);
			goto destroy;
		}
		free(vals[k]);
		if ((vals[k] = strdup(v)) == NULL) {
			seterr(err, errlen, "out of memory");
			goto destroy;
		}
		lines[k] = line;
	}
	rc = 0;

 destroy:
	config_destroy(&cfg);
	fclose(fp);
	return rc;
}

/* Look up the user and group the workers change to. */
static int
resolve_ids(struct conf *cf, const int lines[S_NSETTINGS], char *err,
    size_t errlen)
{
	struct passwd	*pw;
	struct group	*gr;
	char		 where[4200];

	errno = 0;
	if ((pw = getpwnam(cf->user)) == NULL) {
		where[0] = '\0';
		if (lines[S_USER] > 0)
			snprintf(where, sizeof(where), "%s:%d: ", cf->file,
			    lines[S_USER]);
		if (errno != 0 && errno != ENOENT && errno != ESRCH)
			return seterr(err, errlen,
			    "%scannot look up user '%s': %s", where, cf->user,
			    strerror(errno));
		return seterr(err, errlen, "%sunknown user '%s'", where,
		    cf->user);
	}
	cf->uid = pw->pw_uid;
	cf->gid = pw->pw_gid;
	if (cf->group != NULL) {
		errno = 0;
		if ((gr = getgrnam(cf->group)) == NULL) {
			snprintf(where, sizeof(where), "%s:%d: ", cf->file,
			    lines[S_GROUP]);
			if (errno != 0 && errno != ENOENT && errno != ESRCH)
				return seterr(err, errlen,
				    "%scannot look up group '%s': %s", where,
				    cf->group, strerror(errno));
			return seterr(err, errlen, "%sunknown group '%s'",
			    where, cf->group);
		}
		cf->gid = gr->gr_gid;
	} else if ((gr = getgrgid(cf->gid)) != NULL &&
	    (cf->group = strdup(gr->gr_name)) == NULL)
		return seterr(err, errlen, "out of memory");
	cf->drop = 1;
	return 0;
}

int
conf_load(struct conf *cf, char *err, size_t errlen)
{
	char		*vals[S_NSETTINGS] = { NULL };
	int		 lines[S_NSETTINGS] = { 0 };
	int		 k;

	release_file_fields(cf);
	if (read_file(cf->file, cf->file_given, &cf->file_found, vals, lines,
	    err, errlen) == -1)
		goto free_vals;

	/* The metabase: -m or $MBHTTPD_METABASE (main.c), else the file. */
	if (cf->mb_arg != NULL)
		cf->metabase = strdup(cf->mb_arg);
	else if (vals[S_METABASE] != NULL) {
		cf->metabase = vals[S_METABASE];
		vals[S_METABASE] = NULL;
	} else
		cf->metabase = strdup(CONF_METABASE);

	/* A daemon always has a pid file; -F only when the file names one. */
	if (vals[S_PID_FILE] != NULL) {
		cf->pid_file = vals[S_PID_FILE];
		vals[S_PID_FILE] = NULL;
	} else if (!cf->foreground)
		cf->pid_file = default_pid_file();

	cf->error_log = vals[S_ERROR_LOG];
	vals[S_ERROR_LOG] = NULL;
	cf->user = vals[S_USER];
	vals[S_USER] = NULL;
	cf->group = vals[S_GROUP];
	vals[S_GROUP] = NULL;
	if (cf->user == NULL && geteuid() == 0)
		cf->user = strdup(CONF_USER);

	if (cf->metabase == NULL || (!cf->foreground && cf->pid_file == NULL) ||
	    (geteuid() == 0 && cf->user == NULL)) {
		seterr(err, errlen, "out of memory");
		goto free_vals;
	}
	/* Started by an ordinary user, there is no one else to become. */
	if (geteuid() == 0 && resolve_ids(cf, lines, err, errlen) == -1)
		goto free_vals;
	for (k = 0; k < S_NSETTINGS; k++)
		free(vals[k]);	/* what -m or a default overrode */
	return 0;

 free_vals:
	for (k = 0; k < S_NSETTINGS; k++)
		free(vals[k]);
	release_file_fields(cf);
	return -1;
}

char *
conf_metabase(const char *file, int file_given, char *err, size_t errlen)
{
	char	*vals[S_NSETTINGS] = { NULL };
	int	 lines[S_NSETTINGS] = { 0 };
	char	*dir = NULL;
	int	 found = 0, k;

	if (read_file(file, file_given, &found, vals, lines, err, errlen) == 0) {
		if (vals[S_METABASE] != NULL) {
			dir = vals[S_METABASE];
			vals[S_METABASE] = NULL;
		} else if ((dir = strdup(CONF_METABASE)) == NULL)
			seterr(err, errlen, "out of memory");
	}
	for (k = 0; k < S_NSETTINGS; k++)
		free(vals[k]);
	return dir;
}
