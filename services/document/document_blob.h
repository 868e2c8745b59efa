/* document_blob: the shared blob folder (ATRIUM_BLOB_DIR) that every document
 * instance sees. Finished files are content-addressed,
 * <dir>/sha256/ab/cd/<64 hex>, written once and never changed; an upload in
 * progress is <dir>/tmp/<upload id>. Thumbnails are
 * <dir>/previews/ab/cd/<64 hex of the source blob>.png. No path is ever made from a client's
 * file name: only from a UUID and a digest, both checked here.
 *
 * It does not know uploads or documents (the server and store do) and keeps
 * no descriptors open between calls, so any thread or process can take the
 * next call.
 */
#ifndef DOCUMENT_BLOB_H
#define DOCUMENT_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Room for any path this module makes under a blob dir of up to 3000 bytes. */
#define DOC_PATH_MAX 4096

/* Creates dir, dir/tmp, dir/sha256 and dir/previews as needed (mode 0750). Returns 0, or
 * -1 with errno set. */
int doc_blob_init(const char *dir);

/* Writes dir/sha256/<h[0..1]>/<h[2..3]>/<h> into out (cap bytes) for the
 * lower-case hex digest hex. Returns 0, or -1 when hex is not 64 lower-case
 * hex digits or the path does not fit. */
int doc_blob_path(char *out, size_t cap, const char *dir, const char *hex);

/* Writes dir/tmp/<upload_id> into out. Returns 0, or -1 when upload_id is not
 * a UUID or the path does not fit. */
int doc_blob_tmp_path(char *out, size_t cap, const char *dir, const char *upload_id);

/* Creates the empty temporary file of a new upload (mode 0640, refusing to
 * reuse an existing one). Returns 0 or -1 with errno. */
int doc_blob_tmp_create(const char *dir, const char *upload_id);

/* Writes len bytes of data at offset of the upload's temporary file (pwrite,
 * retried on short writes and EINTR). Not synced: doc_blob_commit does that
 * once. Returns 0 or -1 with errno (ENOENT: the temporary file is gone). */
int doc_blob_tmp_write(const char *dir, const char *upload_id, int64_t offset, const void *data,
                       size_t len);

/* Removes the upload's temporary file; a missing file is not an error.
 * Returns 0 or -1 with errno. */
int doc_blob_tmp_remove(const char *dir, const char *upload_id);

/* Makes the upload's temporary file, holding size bytes with digest hex, the
 * blob of that digest: truncates it to size (bytes past it are from a chunk
 * whose commit failed), fsyncs it, moves it to its content address without
 * replacing an existing blob (then the temporary file is dropped and
 * *dedup is set: the same bytes are stored already), and fsyncs the
 * directories involved so the name survives a crash.
 * A failed fsync is final (the kernel may have dropped the dirty pages and
 * a second fsync on the same file would report success): the temporary file
 * is removed and -1 returned with errno EIO; the upload must fail.
 * Returns 0, or -1 with errno (ENOENT: no temporary file). */
int doc_blob_commit(const char *dir, const char *upload_id, int64_t size, const char *hex,
                    bool *dedup);

/* Removes the blob of digest hex and fsyncs its folder, so the removal
 * survives a crash. The caller holds the blob's lock and has seen that no
 * version uses it (document_gc.c). A missing blob is not an error.
 * Returns 0 or -1 with errno. */
int doc_blob_remove(const char *dir, const char *hex);

/* True when the blob of digest hex exists. */
bool doc_blob_exists(const char *dir, const char *hex);

/* Reads up to len bytes at offset of the blob of digest hex into buf
 * (pread, retried on short reads). Returns the bytes read (less than len only
 * at the end of the file), or -1 with errno. */
ssize_t doc_blob_read(const char *dir, const char *hex, int64_t offset, void *buf, size_t len);

/* Calls fn(hex, size, arg) for every regular file under dir/sha256 whose
 * name is a 64-hex digest in its right place (sha256/<h[0..1]>/<h[2..3]>/);
 * anything else there (a stray name, a misplaced file, a symlink) is counted
 * in *strays (may be NULL) and not followed. fn returning non-zero stops the
 * walk. Returns 0, fn's non-zero value, or -1 with errno when a folder
 * cannot be read. */
int doc_blob_walk(const char *dir, int (*fn)(const char *hex, int64_t size, void *arg), void *arg,
                  int64_t *strays);

/* -- thumbnails ------------------------------------------------------------ */

/* Writes dir/previews/<h[0..1]>/<h[2..3]>/<h>.png into out for the source
 * blob's digest hex. Returns 0, or -1 (EINVAL, ENAMETOOLONG). */
int doc_blob_preview_path(char *out, size_t cap, const char *dir, const char *hex);

/* Stores len bytes of png as the thumbnail of the blob of digest hex: a new
 * temporary file under dir/tmp (a random UUID name, so the upload reaper
 * clears one a crash leaves behind), written, fsynced, renamed over its
 * place (a thumbnail of the same source may be replaced: it is a pure
 * function of the bytes), and the directories fsynced. Returns 0 or -1 with
 * errno; the temporary file never outlives a failure. */
int doc_blob_preview_store(const char *dir, const char *hex, const void *png, size_t len);

/* Reads the whole thumbnail of the blob of digest hex into buf (cap bytes).
 * Returns its size, or -1 with errno (ENOENT: none; EFBIG: larger than cap). */
ssize_t doc_blob_preview_read(const char *dir, const char *hex, void *buf, size_t cap);

/* doc_blob_walk over dir/previews: fn(hex, size, arg) for every regular file
 * named <64 hex>.png in its right place; anything else counts in *strays. */
int doc_blob_preview_walk(const char *dir, int (*fn)(const char *hex, int64_t size, void *arg),
                          void *arg, int64_t *strays);

#endif
