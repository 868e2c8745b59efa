/* at_pbjson: the one generic mapping between JSON (jansson) and protobuf-c
 * messages, driven by protobuf-c's message descriptors, so no endpoint has
 * hand-written mapping code.
 *
 * It deliberately does not know any Atrium message: rules are per field type.
 *
 * Mapping rules (proto2 messages; field names are already snake_case):
 *  - string  <-> JSON string (UTF-8 checked on decode; invalid UTF-8 is refused)
 *  - bytes   <-> JSON string, standard base64 (OpenSSL EVP base64; never hand-rolled)
 *  - bool    <-> true/false
 *  - int32/sint32/sfixed32/uint32/fixed32 <-> JSON integer (range checked)
 *  - int64/uint64/... <-> JSON integer (jansson json_int_t is 64-bit)
 *  - float/double <-> JSON real or integer (Atrium uses none for money)
 *  - enum    <-> the enum value's name in lower case ("open"); decode accepts
 *             exactly the lower-cased names
 *  - message <-> JSON object (recursively)
 *  - repeated <-> JSON array
 *  - An absent optional field (has_x false, NULL string/message) is omitted on
 *    encode, except a field whose name is listed in the null_fields argument
 *    of at_pbjson_encode, which is written as JSON null.
 *  - On decode, unknown JSON members are ignored, JSON null leaves a field
 *    absent, and a member of the wrong type fails with the field's name.
 *  - A string given where an integer/bool field is expected is accepted only
 *    through at_pbjson_set_from_text (path and query parameters).
 *
 * Edge cases, decided here once:
 *  - Strings: decode refuses a string containing NUL (U+0000). Encode writes
 *    bytes of a stored string that are not UTF-8 as U+FFFD.
 *  - bytes: decode accepts only canonical padded base64 (RFC 4648 §4), no
 *    blanks or line breaks; "" is empty bytes (has_x true, len 0).
 *  - uint64/fixed64: decode refuses negatives; encode clamps values above
 *    INT64_MAX to INT64_MAX (JSON integers here are signed 64-bit).
 *  - float: decode refuses values beyond FLT_MAX; NaN and infinities are
 *    encoded as null (JSON has no such numbers). Integer fields refuse reals
 *    (1.0 is not an int32).
 *  - An optional string still pointing at its descriptor default counts as
 *    absent on encode, as protobuf-c's pack treats it.
 *  - enum: a value the descriptor does not name is encoded as its number.
 *  - repeated: always encoded, [] when empty; decode refuses null elements.
 *  - required (proto2) and LABEL_NONE (proto3) scalars are always encoded;
 *    decode does not check that required fields are present, since path
 *    parameters are set afterwards (use protobuf_c_message_check).
 *  - oneof: members are present when the case names them; decoding two
 *    members of one oneof fails on the second.
 */
#ifndef AT_PBJSON_H
#define AT_PBJSON_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>

/* Encodes msg as a new JSON object. Fields named in null_fields (NULL-ended
 * array of field names, may be NULL) are written as null when absent, at any
 * depth. Returns a new reference the caller owns, or NULL if msg is NULL. */
json_t *at_pbjson_encode(const ProtobufCMessage *msg, const char *const *null_fields);

/* Decodes the JSON object obj into a new message of type desc, allocated with
 * alloc (an arena; see at_arena.h; NULL means protobuf-c's default allocator,
 * then free with protobuf_c_message_free_unpacked). The message is initialised
 * with the descriptor's defaults first.
 * Returns 0 and sets *out on success. On a type error returns -1, sets *out to
 * NULL and, when err_field is not NULL, sets *err_field to a newly malloc'd
 * dotted path of the bad member ("labels[2]", "about.type") that the caller
 * frees. obj that is not a JSON object is an error with field "" (empty). */
int at_pbjson_decode(const ProtobufCMessageDescriptor *desc, json_t *obj, ProtobufCAllocator *alloc,
                     ProtobufCMessage **out, char **err_field);

/* Sets the field named name of msg from the text value (a path or query
 * parameter, already percent-decoded): strings are copied (UTF-8 checked),
 * integers parsed in base 10 with range checks (no blanks, '+' or hex),
 * bools accept true/false/1/0, enums their lower-case name, floats a finite
 * decimal, bytes base64 as in decode; a repeated field gets the value
 * appended. Memory comes from alloc (NULL: malloc), and a value it replaces
 * (string, bytes, the old array of a repeated field) is freed through alloc,
 * so msg must have been built with the same allocator (at_pbjson_decode,
 * protobuf-c unpack), never on the stack.
 * Returns 0 on success, 1 if msg has no field of that name (ignored by the
 * caller), -1 if the text does not parse as the field's type, text is NULL,
 * the field is a message (no text form), or another member of its oneof is
 * already set. On -1 msg is unchanged. */
int at_pbjson_set_from_text(ProtobufCMessage *msg, const char *name, const char *text,
                            ProtobufCAllocator *alloc);

#endif
