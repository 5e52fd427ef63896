/* SPDX-License-Identifier: MIT */
/*
 * Private to config/: the parser state shared by the loader
 * (jq-config.c), the value parsers (jq-config-value.c) and the tenant
 * section (jq-config-tenant.c).
 */
#ifndef JQ_CONFIG_INTERNAL_H
#define JQ_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jq-config.h"
#include "jq-util.h"

/* Entries of one list key (users, groups, admins) of one tenant, all lines together. */
#define JQ_CONFIG_MAX_LIST 10000
/* Most keys a section can have (the tenant section has 15). */
#define JQ_CONFIG_MAX_KEYS 32

/* Units for the sanity ranges of the key tables. */
#define KIB  (INT64_C(1) << 10)
#define MIB  (INT64_C(1) << 20)
#define TIB  (INT64_C(1) << 40)
#define SEC  INT64_C(1000000)
#define HOUR (3600 * SEC)
#define DAY  (86400 * SEC)

enum jq_config_section {
	JQ_CONFIG_SECTION_NONE = 0,
	JQ_CONFIG_SECTION_DAEMON,
	JQ_CONFIG_SECTION_TENANT,
};

struct jq_config_parser {
	const char *file; /* as the caller named it: errors quote it like this */
	struct jq_config *config;

	/* The line inih is looking at: inih's handler does not get it. */
	int line;
	/* That line (without its newline) and its key as written, to notice a name inih cut short.
	 */
	char text[JQ_CONFIG_MAX_LINE + 1];
	char key[JQ_CONFIG_MAX_LINE + 1];

	enum jq_config_section section;
	int daemon_line;
	size_t tenants_allocated;
	/* Line on which each key of the current section was set, 0 if not. */
	int key_line[JQ_CONFIG_MAX_KEYS];

	/* The first error wins; everything after it is not looked at. */
	int r;
	char *err;

	/* What the inih reader has not handed out yet. */
	const char *pos;
	const char *end;
};

struct jq_config_key;
typedef int (*jq_config_parse_fn)(struct jq_config_parser *p, const struct jq_config_key *k,
				  void *obj, const char *value);

/*
 * One key of a section: how to parse it, into which field of obj
 * (offset), and its sanity range (min..max as people write it in range,
 * for messages). For paths, max is the longest accepted path.
 */
struct jq_config_key {
	const char *name;
	jq_config_parse_fn parse;
	size_t offset;
	int64_t min;
	int64_t max;
	const char *range;
	bool repeatable;
};

/*
 * Records the first error as "<file>:<line>: <key>: <what> '<value>'"
 * (without key or value if they are NULL) and returns r. Later errors
 * are dropped: the first one is the one to fix.
 */
int jq_config_fail(struct jq_config_parser *p, int line, int r, const char *key, const char *value,
		   const char *fmt, ...) _printf_(6, 7);

/*
 * Finds name in keys (n entries), refuses unknown, repeated (unless
 * repeatable) and empty values, parses the value into obj and records the
 * line in p->key_line. in names the section for messages.
 */
int jq_config_set_key(struct jq_config_parser *p, const struct jq_config_key *keys, size_t n,
		      void *obj, const char *in, const char *name, const char *value);

/* Value parsers for struct jq_config_key.parse; each writes one field of obj. */
int jq_config_parse_int(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			const char *value);
int jq_config_parse_size(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			 const char *value);
int jq_config_parse_duration(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			     const char *value);
int jq_config_parse_cpus(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			 const char *value);
/* A comma-separated list appended to the NULL-terminated vector at offset. */
int jq_config_parse_list(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			 const char *value);
/* A path resolved against the directory of the file; k->max is its longest length. */
int jq_config_parse_path(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			 const char *value);
/* A name usable as one path component ([A-Za-z0-9_-], like a tenant name). */
int jq_config_parse_name(struct jq_config_parser *p, const struct jq_config_key *k, void *obj,
			 const char *value);
/* One of names[0..n); the index goes to *ret. */
int jq_config_parse_choice(struct jq_config_parser *p, const struct jq_config_key *k,
			   const char *value, const char *const *names, size_t n, int *ret);

/* Starts [tenant.NAME] at p->line: checks the name, duplicates and the count. */
int jq_config_tenant_add(struct jq_config_parser *p, const char *name);
/* One key=value line of the current (last) tenant. */
int jq_config_tenant_set(struct jq_config_parser *p, const char *name, const char *value);
/* Cross-checks between the keys of the current tenant, when its section ends. */
int jq_config_tenant_finish(struct jq_config_parser *p);
/* Frees what a tenant owns (not the tenant itself). */
void jq_config_tenant_release(struct jq_tenant_config *t);

#endif
