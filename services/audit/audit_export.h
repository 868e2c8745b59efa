/* audit_export: the two export formats of the trail, one event at a time.
 *
 * CSV (RFC 4180): a header line, then one record per event, CRLF line ends,
 * a cell quoted ("...", inner quotes doubled) when it holds a comma, quote,
 * CR or LF. A cell whose text begins with '=', '+', '-', '@', TAB or CR
 * is written with a single quote (') before it, so that a spreadsheet
 * shows it as text and never runs it as a formula (OWASP "CSV injection").
 * The CSV is for reading; it is not meant to re-verify the chain.
 *
 * JSON Lines: one JSON object per line (LF), exactly the fields the chain
 * encoding covers (audit_chain.h) plus seq and hash, under the names of
 * audit_chain_event_t: firm_id, seq, event_id, at, actor_id, actor_name,
 * actor_kind, action, resource_type, resource_id, client_id, ip,
 * user_agent, request_id, source, details (the JSON object), hash; an
 * absent field is null. From a whole export (seq 1 to n) anyone can
 * recompute the chain (atriumctl audit verify).
 *
 * Pure: it formats and parses text, no I/O.
 */
#ifndef AUDIT_EXPORT_H
#define AUDIT_EXPORT_H

#include "audit_chain.h"
#include <jansson.h>
#include <stddef.h>

/* A growing text buffer (malloc; out of memory aborts). */
typedef struct {
    char *data;
    size_t len, cap;
} audit_buf_t;

/* Frees the buffer's memory and empties it. */
void audit_buf_free(audit_buf_t *b);

/* Appends the CSV header line. */
void audit_export_csv_header(audit_buf_t *b);

/* Appends one CSV cell's text (s may be NULL: an empty cell), neutralised
 * and quoted as described above, without separator. */
void audit_export_csv_cell(audit_buf_t *b, const char *s);

/* Appends ev (with its stored hash) as one CSV record. */
void audit_export_csv_row(audit_buf_t *b, const audit_chain_event_t *ev, const char *hash);

/* Appends ev (with its stored hash) as one JSON line. */
void audit_export_jsonl_row(audit_buf_t *b, const audit_chain_event_t *ev, const char *hash);

/* Reads one JSON line of an export into ev and *hash. The strings are
 * borrowed from *hold (a parsed object the caller json_decref's) and from
 * *details (the canonical details text, malloc'd, the caller frees).
 * Returns 0, or -1 with *why set (static text) when the line is not an
 * export line. */
int audit_export_jsonl_parse(const char *line, audit_chain_event_t *ev, const char **hash,
                             json_t **hold, char **details, const char **why);

#endif
