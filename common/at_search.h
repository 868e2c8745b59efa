/* at_search: the text side of full-text search, shared by the services that
 * answer <svc>.search: accent and case folding, the safe tsquery text of a
 * user's query, and snippets of the original text around a match.
 *
 * Folding (libunistring): each character is decomposed (NFKD), combining
 * marks are dropped, the rest is case-folded (and decomposed and stripped
 * once more), a few letters without a decomposition are spelled in ASCII
 * (ł, ø, đ, æ, œ, ...), and every character that is not a letter or digit
 * becomes one space. So "Müller", "MULLER" and "Mu\u0308ller" all fold to
 * "muller", and "O'Brien" to "o brien". Stored text is folded the same way
 * and indexed as to_tsvector('simple', folded), so PostgreSQL needs no
 * extension and both sides agree. Invalid UTF-8 folds to spaces.
 *
 * It does not touch the database or know any table: services pass the
 * folded text and the tsquery text as statement parameters. The last two
 * functions are the common part of every <svc>.search handler.
 */
#ifndef AT_SEARCH_H
#define AT_SEARCH_H

#include "at_service.h"
#include "search.pb-c.h"
#include <stdbool.h>
#include <stddef.h>

/* At most this many words of a query are used (the rest is ignored), and a
 * word longer than AT_SEARCH_WORD_MAX bytes is cut there and prefix-matched. */
#define AT_SEARCH_WORDS_MAX 32
#define AT_SEARCH_WORD_MAX 200

/* The longest query text accepted, in code points (services answer a longer
 * one with 400 validation_failed). */
#define AT_SEARCH_QUERY_MAX 1000

/* Folded text. text is NUL-terminated; map (when asked for) has len + 1
 * entries: map[i] is the byte offset in the original of the character that
 * produced folded byte i, map[len] the original's length. */
typedef struct {
    char *text;
    size_t len;
    size_t *map;
} at_fold_t;

/* Folds len bytes of s (see the file comment) into out (malloc'd; free with
 * at_fold_free). with_map also fills out->map. Returns 0. */
int at_search_fold(const char *s, size_t len, bool with_map, at_fold_t *out);

/* Frees what at_search_fold made; accepts a zeroed or freed struct. */
void at_fold_free(at_fold_t *f);

/* Folds the NUL-terminated s; returns a malloc'd string (the caller frees
 * it), "" for NULL. */
char *at_search_fold_str(const char *s);

/* A parsed query: the folded words in order (malloc'd). The last word, and
 * any word that was cut at AT_SEARCH_WORD_MAX, match as prefixes. */
typedef struct {
    char *words[AT_SEARCH_WORDS_MAX];
    bool prefix[AT_SEARCH_WORDS_MAX];
    size_t n;
} at_search_query_t;

/* Splits the user's query q (any bytes; NULL is empty) into folded words.
 * n is 0 when q has no letter or digit. Returns 0. Free with
 * at_search_query_free. */
int at_search_query_parse(const char *q, at_search_query_t *out);

/* Frees the words; accepts a zeroed struct. */
void at_search_query_free(at_search_query_t *q);

/* The tsquery text of q for to_tsquery('simple', $n): every word quoted
 * (quotes and backslashes escaped, though folded words hold neither),
 * joined with &, prefix words marked :*; e.g. 'o' & 'brien':*. Returns a
 * malloc'd string, or NULL when q has no words (nothing can match). */
char *at_search_tsquery(const at_search_query_t *q);

/* A short excerpt (at most about max_chars code points, plus an ellipsis at
 * a cut end) of the original text s (len bytes, UTF-8) around the first
 * place a word of q starts (whole words; prefix words by prefix), matched on
 * the folded text and mapped back, so "muller" finds "Müller". Without a
 * match, the start of s. Line breaks and runs of blanks become one space;
 * a UTF-8 sequence is never cut. Returns a malloc'd string ("" for empty
 * s). */
char *at_search_snippet(const char *s, size_t len, const at_search_query_t *q, size_t max_chars);

/* The byte offset in folded text f->text of the first word start where a
 * word of q matches, or -1; *match_len gets the matched word's length. */
long at_search_find(const at_fold_t *f, const at_search_query_t *q, size_t *match_len);

/* Search hits per service call: default and largest. */
#define AT_SEARCH_LIMIT_DEFAULT 20
#define AT_SEARCH_LIMIT_MAX 50

/* The start of every <svc>.search handler: refuses a blank q or one longer
 * than AT_SEARCH_QUERY_MAX code points (AT_VALIDATION_FAILED on field q,
 * recorded with at_fail), parses q into *pq (free it with
 * at_search_query_free whatever the status) and sets *tsquery (arena; NULL
 * when q has no letter or digit: answer no hits) and *limit (limit_in when
 * given, capped at AT_SEARCH_LIMIT_MAX, else AT_SEARCH_LIMIT_DEFAULT). */
at_status_t at_search_begin(at_ctx_t *ctx, const char *q, bool has_limit, int32_t limit_in,
                            at_search_query_t *pq, char **tsquery, int *limit);

/* A service's store search over its own schema: the hits of firm_id (in
 * the clients of clients_json, NULL: all) matching tsquery, at most limit,
 * into *out (arena). */
typedef at_status_t (*at_search_store_fn)(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                          const char *clients_json, const char *tsquery,
                                          const at_search_query_t *q, int limit,
                                          Atrium__Search__SearchResult *out);

/* A whole <svc>.search handler (request: Atrium__Search__SearchRequest;
 * *reply: a SearchResult in the arena) for a service whose store search is
 * fn: at_search_begin, then fn over the principal's firm and clients.
 * Returns AT_OK or the failing status (recorded with at_fail). */
at_status_t at_search_handle(at_ctx_t *ctx, const ProtobufCMessage *request,
                             ProtobufCMessage **reply, at_search_store_fn fn);

/* Appends the rows of res, columns (id, client_id, title, text, rank), to
 * out as hits of type (a static string), each with a snippet of at most
 * snippet_chars code points cut from text around q's first match. Strings
 * are copied into arena. out->items must hold PQntuples(res) more. */
void at_search_hits_add(at_arena_t *arena, const PGresult *res, const char *type,
                        const at_search_query_t *q, size_t snippet_chars,
                        Atrium__Search__SearchResult *out);

/* The client ids the principal may search, as JSON array text in the arena
 * (their grants), or NULL when they see every client of their firm (an
 * owner or admin). */
const char *at_search_clients(at_ctx_t *ctx);

#endif
