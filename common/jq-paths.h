/* SPDX-License-Identifier: MIT */
/*
 * Where things are: the config file, paths relative to it, and the socket.
 * The client needs the socket path from the INI but must not depend on
 * config/ (which validates the whole file with inih): it reads the one
 * key it needs with jq_ini_read_socket().
 */
#ifndef JQ_PATHS_H
#define JQ_PATHS_H

#include <stdbool.h>

#define JQ_DEFAULT_CONFIG    "/etc/jobq/jobq.ini"
#define JQ_DEFAULT_SOCKET    "/run/jobq/jobq.sock"
#define JQ_DEFAULT_DATABASE  "/var/lib/jobq/jobq.db"
#define JQ_DEFAULT_STATE_DIR "/var/lib/jobq"
/* sizeof(sockaddr_un.sun_path) - 1 */
#define JQ_SOCKET_PATH_MAX 107

/* The config path to use: explicit (if not NULL), else $JOBQ_CONFIG, else JQ_DEFAULT_CONFIG. */
const char *jq_config_path(const char *explicit_path);

/*
 * Resolves p against the directory of the file config_path when p is
 * relative, and normalizes the result (jq_path_normalize); returns a new
 * string (NULL on allocation failure). "~" is not expanded.
 */
char *jq_path_resolve(const char *config_path, const char *p);

/*
 * Lexically normalizes an absolute path: no ".", "..", empty or trailing
 * components ("/a/./b/../c//" -> "/a/c"). Symlinks are not resolved, so
 * ".." is exact only below a canonical directory. NULL (errno EINVAL) for a
 * relative path, or on allocation failure.
 */
char *jq_path_normalize(const char *path);

/*
 * True if path is absolute and canonical in form: "/" itself, or "/" and
 * components separated by single slashes, none of them empty, "." or "..",
 * no trailing "/". Such a path names one place without a lookup: resolved
 * without following symlinks it cannot end anywhere else.
 */
bool jq_path_canonical(const char *path);

/* True if path is dir or below it (both canonical): "/a/b" is under "/a", "/ab" is not. */
bool jq_path_under(const char *path, const char *dir);

/*
 * The kernel's own tree path lies in ("/proc", "/sys" or "/dev"), or NULL.
 * A job's working directory may not be there (docs/sandbox.md).
 */
const char *jq_path_kernel_dir(const char *path);

/*
 * Reads `socket = ...` from the [daemon] section of the INI file at
 * config_path and resolves it like jq_path_resolve(). If the file has no
 * such key, returns JQ_DEFAULT_SOCKET. -errno if the file cannot be read.
 */
int jq_ini_read_socket(const char *config_path, char **ret_socket);

#endif
