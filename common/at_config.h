/* at_config: ATRIUM_* environment variables, read once at start-up from
 * tables of {key, default, type, required, secret, help}. A bad value stops
 * the process in main with one clear message; nothing below main calls getenv.
 *
 * Defaults may refer to keys read before them as ${ATRIUM_X}.
 */
#ifndef AT_CONFIG_H
#define AT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

typedef enum { AT_CFG_STRING = 0, AT_CFG_INT, AT_CFG_BOOL } at_cfg_type_t;

typedef struct {
    const char *key;  /* "ATRIUM_HTTP_PORT"; a NULL key ends a table */
    const char *dflt; /* default text, may hold ${ATRIUM_OTHER}; NULL = none */
    at_cfg_type_t type;
    int64_t min, max; /* bounds for AT_CFG_INT (inclusive) */
    bool required;    /* must end up non-empty */
    bool secret;      /* never printed by at_config_describe */
    const char *help; /* one line for README and --help */
} at_config_key_t;

typedef struct at_config_t at_config_t;

/* Keys every binary reads: ATRIUM_DATA_DIR, ATRIUM_BUS_ENDPOINT,
 * ATRIUM_LOG_LEVEL, ATRIUM_REDIS_URL. */
extern const at_config_key_t at_config_common[];

/* Keys every service (not the bus or gateway) reads: ATRIUM_PG_DSN,
 * ATRIUM_WORKERS. */
extern const at_config_key_t at_config_service[];

/* Reads the keys of tables (a NULL-ended array of tables) from the
 * environment. Returns the new config, or NULL with *error set to a malloc'd
 * message naming the key and the problem (caller frees). */
at_config_t *at_config_load(const at_config_key_t *const *tables, char **error);

/* Destroys; accepts NULL; nulls *self_p. */
void at_config_destroy(at_config_t **self_p);

/* The value of key (borrowed), "" for a key without value; NULL for a key
 * that no table declared (a programmer error, logged). */
const char *at_config_get(const at_config_t *self, const char *key);

/* The value of an AT_CFG_INT key; 0 when undeclared. */
int64_t at_config_int(const at_config_t *self, const char *key);

/* The value of an AT_CFG_BOOL key (true/false/1/0/yes/no/on/off). */
bool at_config_bool(const at_config_t *self, const char *key);

/* Prints "KEY=value" lines (secrets as ***) to stderr, for debugging start-up. */
void at_config_describe(const at_config_t *self);

#endif
