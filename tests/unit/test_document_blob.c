/* Unit tests for document_digest (SHA-256 resumed from saved state) and
 * document_blob (temporary files, content-addressed commit with dedup,
 * reads), on a private folder under /tmp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "document_blob.h"
#include "document_digest.h"

static const char *UP1 = "11111111-2222-4333-8444-555555555555";
static const char *UP2 = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";

/* -- digest -- */

static void s_hex_of(const unsigned char *data, size_t len, char hex[65])
{
    unsigned char md[32];
    crypto_hash_sha256(md, data, len);
    sodium_bin2hex(hex, 65, md, 32);
}

static void t_digest_vectors(void **state)
{
    (void) state;
    unsigned char st[DOC_DIGEST_STATE_BYTES];
    char hex[65];
    doc_digest_init(st);
    assert_int_equal(doc_digest_final(st, hex), 0);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(doc_digest_update(st, "abc", 3), 0);
    assert_int_equal(doc_digest_final(st, hex), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* final does not consume the state: more data can follow */
    assert_int_equal(doc_digest_final(st, hex), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_true(doc_digest_hex_valid(hex));
    assert_false(
        doc_digest_hex_valid("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
    assert_false(doc_digest_hex_valid("abc"));
    assert_false(doc_digest_hex_valid(NULL));
}

/* Random data fed in uneven pieces through saved state (as chunks arriving
 * at different processes) hashes like one pass. */
static void t_digest_resume(void **state)
{
    (void) state;
    size_t len = 3 * 1024 * 1024 + 17;
    unsigned char *data = malloc(len);
    randombytes_buf(data, len);
    char want[65], got[65];
    s_hex_of(data, len, want);
    unsigned char saved[DOC_DIGEST_STATE_BYTES];
    doc_digest_init(saved);
    size_t off = 0, step = 1;
    while (off < len) {
        size_t n = step < len - off ? step : len - off;
        unsigned char copy[DOC_DIGEST_STATE_BYTES];
        memcpy(copy, saved, sizeof copy); /* as if stored in and loaded from the database */
        assert_int_equal(doc_digest_update(copy, data + off, n), 0);
        memcpy(saved, copy, sizeof copy);
        off += n;
        step = step < 1024 * 1024 ? step * 7 + 3 : 1024 * 1024;
    }
    assert_int_equal(doc_digest_final(saved, got), 0);
    assert_string_equal(got, want);
    free(data);
}

static void t_digest_bad_state(void **state)
{
    (void) state;
    unsigned char st[DOC_DIGEST_STATE_BYTES];
    char hex[65];
    doc_digest_init(st);
    st[0] ^= 0xff;
    unsigned char before[DOC_DIGEST_STATE_BYTES];
    memcpy(before, st, sizeof st);
    assert_int_equal(doc_digest_update(st, "x", 1), -1);
    assert_memory_equal(st, before, sizeof st);
    assert_int_equal(doc_digest_final(st, hex), -1);
}

/* -- blob -- */

typedef struct {
    char dir[256];
} fixture_t;

static int s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/doc-blob-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    strcat(f->dir, "/blobs/deeper"); /* init makes the missing parents */
    *state = f;
    return doc_blob_init(f->dir);
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[400];
    *strstr(f->dir, "/blobs") = 0;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static void t_paths(void **state)
{
    (void) state;
    char p[DOC_PATH_MAX];
    const char *h = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    assert_int_equal(doc_blob_path(p, sizeof p, "/srv/blobs", h), 0);
    assert_string_equal(p, "/srv/blobs/sha256/ba/78/"
                           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(doc_blob_path(p, sizeof p, "/srv/blobs", "../../etc/passwd"), -1);
    assert_string_equal(p, "");
    assert_int_equal(doc_blob_path(p, 20, "/srv/blobs", h), -1); /* does not fit */
    assert_int_equal(doc_blob_tmp_path(p, sizeof p, "/srv/blobs", UP1), 0);
    assert_string_equal(p, "/srv/blobs/tmp/11111111-2222-4333-8444-555555555555");
    assert_int_equal(doc_blob_tmp_path(p, sizeof p, "/srv/blobs", "../x"), -1);
    assert_int_equal(doc_blob_tmp_path(p, sizeof p, "/srv/blobs", "report.pdf"), -1);
}

static void s_upload(const char *dir, const char *id, const unsigned char *data, size_t len,
                     size_t chunk, char hex[65])
{
    unsigned char st[DOC_DIGEST_STATE_BYTES];
    doc_digest_init(st);
    assert_int_equal(doc_blob_tmp_create(dir, id), 0);
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = chunk < len - off ? chunk : len - off;
        assert_int_equal(doc_blob_tmp_write(dir, id, (int64_t) off, data + off, n), 0);
        doc_digest_update(st, data + off, n);
    }
    doc_digest_final(st, hex);
}

static void t_commit_and_read(void **state)
{
    fixture_t *f = *state;
    size_t len = 2 * 1024 * 1024 + 5;
    unsigned char *data = malloc(len), *back = malloc(len);
    randombytes_buf(data, len);
    char hex[65], want[65];
    s_upload(f->dir, UP1, data, len, 1024 * 1024, hex);
    s_hex_of(data, len, want);
    assert_string_equal(hex, want);
    /* creating the same temporary file twice is refused */
    assert_int_equal(doc_blob_tmp_create(f->dir, UP1), -1);
    assert_int_equal(errno, EEXIST);
    assert_false(doc_blob_exists(f->dir, hex));
    bool dedup = true;
    assert_int_equal(doc_blob_commit(f->dir, UP1, (int64_t) len, hex, &dedup), 0);
    assert_false(dedup);
    assert_true(doc_blob_exists(f->dir, hex));
    char tmp[DOC_PATH_MAX];
    struct stat st;
    doc_blob_tmp_path(tmp, sizeof tmp, f->dir, UP1);
    assert_int_equal(stat(tmp, &st), -1); /* moved, not copied */

    assert_int_equal(doc_blob_read(f->dir, hex, 0, back, len), (ssize_t) len);
    assert_memory_equal(back, data, len);
    assert_int_equal(doc_blob_read(f->dir, hex, 10, back, 10), 10);
    assert_memory_equal(back, data + 10, 10);
    /* at and past the end: what is there */
    assert_int_equal(doc_blob_read(f->dir, hex, (int64_t) len - 3, back, 100), 3);
    assert_int_equal(doc_blob_read(f->dir, hex, (int64_t) len, back, 100), 0);
    assert_int_equal(doc_blob_read(f->dir, hex, (int64_t) len + 100, back, 100), 0);
    assert_int_equal(doc_blob_read(f->dir, hex, -1, back, 1), -1);
    assert_int_equal(doc_blob_read(f->dir, "zz", 0, back, 1), -1);

    /* the same bytes again: the second temporary file is dropped (dedup) */
    char hex2[65];
    s_upload(f->dir, UP2, data, len, 300 * 1000, hex2);
    assert_string_equal(hex2, hex);
    assert_int_equal(doc_blob_commit(f->dir, UP2, (int64_t) len, hex2, &dedup), 0);
    assert_true(dedup);
    doc_blob_tmp_path(tmp, sizeof tmp, f->dir, UP2);
    assert_int_equal(stat(tmp, &st), -1);
    assert_int_equal(doc_blob_read(f->dir, hex, 0, back, len), (ssize_t) len);
    assert_memory_equal(back, data, len);

    /* committing an upload whose temporary file is gone says ENOENT */
    assert_int_equal(doc_blob_commit(f->dir, UP2, (int64_t) len, hex2, &dedup), -1);
    assert_int_equal(errno, ENOENT);
    free(data);
    free(back);
}

/* Bytes past the counted size (a chunk written whose commit failed) are cut
 * off; a file shorter than the count is an error. */
static void t_commit_truncates(void **state)
{
    fixture_t *f = *state;
    const unsigned char data[] = "0123456789abcdef";
    char hex[65], want[65];
    s_upload(f->dir, UP1, data, 16, 16, hex);
    s_hex_of(data, 10, want); /* only 10 bytes were counted */
    bool dedup;
    assert_int_equal(doc_blob_commit(f->dir, UP1, 10, want, &dedup), 0);
    unsigned char back[32];
    assert_int_equal(doc_blob_read(f->dir, want, 0, back, sizeof back), 10);
    assert_memory_equal(back, data, 10);

    s_upload(f->dir, UP2, data, 4, 4, hex);
    assert_int_equal(doc_blob_commit(f->dir, UP2, 8, hex, &dedup), -1);
    assert_int_equal(errno, EIO);
    assert_int_equal(doc_blob_tmp_remove(f->dir, UP2), 0);
    assert_int_equal(doc_blob_tmp_remove(f->dir, UP2), 0); /* gone already: fine */
    assert_int_equal(doc_blob_tmp_write(f->dir, UP2, 0, "x", 1), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(doc_blob_tmp_write(f->dir, UP1, -1, "x", 1), -1);
}

static void t_empty_file(void **state)
{
    fixture_t *f = *state;
    char hex[65];
    s_upload(f->dir, UP1, NULL, 0, 1, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    bool dedup;
    assert_int_equal(doc_blob_commit(f->dir, UP1, 0, hex, &dedup), 0);
    unsigned char b[4];
    assert_int_equal(doc_blob_read(f->dir, hex, 0, b, sizeof b), 0);
}

typedef struct {
    char seen[4][65];
    int64_t sizes[4];
    int n;
} s_walk_t;

static int s_walk_fn(const char *hex, int64_t size, void *arg)
{
    s_walk_t *w = arg;
    if (w->n < 4) {
        snprintf(w->seen[w->n], sizeof w->seen[0], "%s", hex);
        w->sizes[w->n] = size;
    }
    w->n++;
    return 0;
}

static void t_walk(void **state)
{
    fixture_t *f = *state;
    char hex[65], p[DOC_PATH_MAX], cmd[3 * DOC_PATH_MAX + 512];
    s_walk_t w = {0};
    int64_t strays = -1;
    assert_int_equal(doc_blob_walk(f->dir, s_walk_fn, &w, &strays), 0);
    assert_int_equal(w.n, 0);
    assert_int_equal(strays, 0);
    s_upload(f->dir, UP1, (const unsigned char *) "walk me", 7, 3, hex);
    bool dedup;
    assert_int_equal(doc_blob_commit(f->dir, UP1, 7, hex, &dedup), 0);
    /* strays: a file of another name, a digest in the wrong folder, a symlink */
    assert_int_equal(doc_blob_path(p, sizeof p, f->dir, hex), 0);
    *strrchr(p, '/') = 0;
    snprintf(cmd, sizeof cmd,
             "touch '%s/notes.txt' && mkdir -p '%s/sha256/zz' && "
             "ln -s /etc/passwd '%s/%064d'",
             p, f->dir, p, 0);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/sha256/00/00' && touch '%s/sha256/00/00/%s'", f->dir,
             f->dir, hex);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(doc_blob_walk(f->dir, s_walk_fn, &w, &strays), 0);
    assert_int_equal(w.n, 1);
    assert_string_equal(w.seen[0], hex);
    assert_int_equal(w.sizes[0], 7);
    assert_int_equal(strays, 4);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_digest_vectors),
        cmocka_unit_test(t_digest_resume),
        cmocka_unit_test(t_digest_bad_state),
        cmocka_unit_test(t_paths),
        cmocka_unit_test_setup_teardown(t_commit_and_read, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_commit_truncates, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_empty_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_walk, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
