/* document_blob: files of the blob folder; POSIX I/O only, no SQL. */
#include "document_blob.h"
#include "document_digest.h"
#include "document_names.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int s_fit(char *out, size_t cap, int n)
{
    if (n < 0 || (size_t) n >= cap) {
        if (cap)
            out[0] = 0;
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

static int s_mkdir(const char *path, bool *created)
{
    if (mkdir(path, 0750) == 0) {
        if (created)
            *created = true;
        return 0;
    }
    return errno == EEXIST ? 0 : -1;
}

/* fsync of a directory makes the entries made or removed in it durable. */
static int s_sync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int doc_blob_init(const char *dir)
{
    char p[DOC_PATH_MAX];
    if (!dir || !*dir) {
        errno = EINVAL;
        return -1;
    }
    /* mkdir -p of dir itself, then the two subfolders */
    if (s_fit(p, sizeof p, snprintf(p, sizeof p, "%s", dir)) != 0)
        return -1;
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            if (s_mkdir(p, NULL) != 0)
                return -1;
            *s = '/';
        }
    if (s_mkdir(p, NULL) != 0)
        return -1;
    const char *subs[] = {"tmp", "sha256", "previews"};
    for (int i = 0; i < 3; i++) {
        if (s_fit(p, sizeof p, snprintf(p, sizeof p, "%s/%s", dir, subs[i])) != 0 ||
            s_mkdir(p, NULL) != 0)
            return -1;
    }
    return 0;
}

int doc_blob_path(char *out, size_t cap, const char *dir, const char *hex)
{
    if (!doc_digest_hex_valid(hex)) {
        if (cap)
            out[0] = 0;
        errno = EINVAL;
        return -1;
    }
    return s_fit(out, cap, snprintf(out, cap, "%s/sha256/%.2s/%.2s/%s", dir, hex, hex + 2, hex));
}

int doc_blob_tmp_path(char *out, size_t cap, const char *dir, const char *upload_id)
{
    if (!doc_is_uuid(upload_id)) {
        if (cap)
            out[0] = 0;
        errno = EINVAL;
        return -1;
    }
    return s_fit(out, cap, snprintf(out, cap, "%s/tmp/%s", dir, upload_id));
}

int doc_blob_tmp_create(const char *dir, const char *upload_id)
{
    char p[DOC_PATH_MAX];
    if (doc_blob_tmp_path(p, sizeof p, dir, upload_id) != 0)
        return -1;
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    return close(fd);
}

int doc_blob_tmp_write(const char *dir, const char *upload_id, int64_t offset, const void *data,
                       size_t len)
{
    char p[DOC_PATH_MAX];
    if (offset < 0) {
        errno = EINVAL;
        return -1;
    }
    if (doc_blob_tmp_path(p, sizeof p, dir, upload_id) != 0)
        return -1;
    int fd = open(p, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    const unsigned char *d = data;
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(fd, d + done, len - done, (off_t) offset + (off_t) done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            close(fd);
            errno = e;
            return -1;
        }
        done += (size_t) n;
    }
    /* close() may report a deferred write error (NFS): it counts */
    return close(fd);
}

int doc_blob_tmp_remove(const char *dir, const char *upload_id)
{
    char p[DOC_PATH_MAX];
    if (doc_blob_tmp_path(p, sizeof p, dir, upload_id) != 0)
        return -1;
    if (unlink(p) != 0 && errno != ENOENT)
        return -1;
    return 0;
}

int doc_blob_remove(const char *dir, const char *hex)
{
    char p[DOC_PATH_MAX];
    if (doc_blob_path(p, sizeof p, dir, hex) != 0)
        return -1;
    if (unlink(p) != 0)
        return errno == ENOENT ? 0 : -1;
    char *slash = strrchr(p, '/');
    *slash = '\0';
    int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

/* Moves src to dst unless dst exists: renameat2(RENAME_NOREPLACE) where the
 * file system has it, else link + unlink (also atomic against a racing
 * twin). Returns 0 moved, 1 dst existed (src left), -1 error. */
static int s_move_noreplace(const char *src, const char *dst)
{
    if (renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno == EEXIST)
        return 1;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    if (link(src, dst) != 0)
        return errno == EEXIST ? 1 : -1;
    unlink(src);
    return 0;
}

int doc_blob_commit(const char *dir, const char *upload_id, int64_t size, const char *hex,
                    bool *dedup)
{
    char tmp[DOC_PATH_MAX], dst[DOC_PATH_MAX], d1[DOC_PATH_MAX], d2[DOC_PATH_MAX];
    char tmpdir[DOC_PATH_MAX], shadir[DOC_PATH_MAX];
    *dedup = false;
    if (size < 0 || doc_blob_tmp_path(tmp, sizeof tmp, dir, upload_id) != 0 ||
        doc_blob_path(dst, sizeof dst, dir, hex) != 0 ||
        s_fit(d1, sizeof d1, snprintf(d1, sizeof d1, "%s/sha256/%.2s", dir, hex)) != 0 ||
        s_fit(d2, sizeof d2, snprintf(d2, sizeof d2, "%s/sha256/%.2s/%.2s", dir, hex, hex + 2)) !=
            0 ||
        s_fit(tmpdir, sizeof tmpdir, snprintf(tmpdir, sizeof tmpdir, "%s/tmp", dir)) != 0 ||
        s_fit(shadir, sizeof shadir, snprintf(shadir, sizeof shadir, "%s/sha256", dir)) != 0)
        return -1;
    int fd = open(tmp, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    int e = 0;
    if (fstat(fd, &st) != 0)
        e = errno;
    else if (st.st_size < size)
        e = EIO; /* bytes the database counts are missing */
    else if (st.st_size > size && ftruncate(fd, (off_t) size) != 0)
        e = errno;
    if (e) {
        close(fd);
        errno = e;
        return -1;
    }
    if (fsync(fd) != 0) {
        /* Never fsync this fd again and call it done: the error may have
         * cost us the pages. The upload fails; its file goes. */
        close(fd);
        unlink(tmp);
        errno = EIO;
        return -1;
    }
    if (close(fd) != 0) {
        unlink(tmp);
        errno = EIO;
        return -1;
    }
    bool made1 = false, made2 = false;
    if (s_mkdir(d1, &made1) != 0 || s_mkdir(d2, &made2) != 0)
        return -1;
    if ((made1 && s_sync_dir(shadir) != 0) || (made2 && s_sync_dir(d1) != 0))
        return -1;
    int mv = s_move_noreplace(tmp, dst);
    if (mv < 0)
        return -1;
    if (mv == 1) {
        *dedup = true;
        unlink(tmp);
    }
    if (s_sync_dir(d2) != 0 || s_sync_dir(tmpdir) != 0)
        return -1;
    return 0;
}

bool doc_blob_exists(const char *dir, const char *hex)
{
    char p[DOC_PATH_MAX];
    struct stat st;
    return doc_blob_path(p, sizeof p, dir, hex) == 0 && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

ssize_t doc_blob_read(const char *dir, const char *hex, int64_t offset, void *buf, size_t len)
{
    char p[DOC_PATH_MAX];
    if (offset < 0) {
        errno = EINVAL;
        return -1;
    }
    if (doc_blob_path(p, sizeof p, dir, hex) != 0)
        return -1;
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    unsigned char *b = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, b + done, len - done, (off_t) offset + (off_t) done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (n == 0)
            break;
        done += (size_t) n;
    }
    close(fd);
    return (ssize_t) done;
}

static bool s_hex2(const char *s)
{
    for (int i = 0; i < 2; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return s[2] == 0;
}

/* Opens name under the folder fd as a folder, not following symlinks. */
static DIR *s_opendir_at(int fd, const char *name)
{
    int d = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (d < 0)
        return NULL;
    DIR *out = fdopendir(d);
    if (!out)
        close(d);
    return out;
}

static bool s_dot(const char *n)
{
    return strcmp(n, ".") == 0 || strcmp(n, "..") == 0;
}

/* A file name under sub/<h[0..1]>/<h[2..3]>/: the 64-hex digest followed by
 * suffix; the digest is copied to hex. */
static bool s_walk_name(const char *name, const char *suffix, char hex[65])
{
    size_t n = strlen(name), sl = strlen(suffix);
    if (n != 64 + sl || strcmp(name + 64, suffix) != 0)
        return false;
    memcpy(hex, name, 64);
    hex[64] = 0;
    return doc_digest_hex_valid(hex);
}

static int s_walk(const char *dir, const char *sub, const char *suffix,
                  int (*fn)(const char *hex, int64_t size, void *arg), void *arg, int64_t *strays)
{
    char p[DOC_PATH_MAX];
    int64_t stray = 0;
    int rc = 0;
    if (s_fit(p, sizeof p, snprintf(p, sizeof p, "%s/%s", dir, sub)) != 0)
        return -1;
    DIR *top = opendir(p);
    if (!top)
        return -1;
    struct dirent *e1, *e2, *e3;
    while (rc == 0 && (e1 = readdir(top))) {
        if (s_dot(e1->d_name))
            continue;
        DIR *d1 = s_hex2(e1->d_name) ? s_opendir_at(dirfd(top), e1->d_name) : NULL;
        if (!d1) {
            stray++;
            continue;
        }
        while (rc == 0 && (e2 = readdir(d1))) {
            if (s_dot(e2->d_name))
                continue;
            DIR *d2 = s_hex2(e2->d_name) ? s_opendir_at(dirfd(d1), e2->d_name) : NULL;
            if (!d2) {
                stray++;
                continue;
            }
            while (rc == 0 && (e3 = readdir(d2))) {
                if (s_dot(e3->d_name))
                    continue;
                char h[65];
                struct stat st;
                if (!s_walk_name(e3->d_name, suffix, h) || strncmp(h, e1->d_name, 2) != 0 ||
                    strncmp(h + 2, e2->d_name, 2) != 0 ||
                    fstatat(dirfd(d2), e3->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
                    !S_ISREG(st.st_mode)) {
                    stray++;
                    continue;
                }
                rc = fn(h, (int64_t) st.st_size, arg);
            }
            closedir(d2);
        }
        closedir(d1);
    }
    closedir(top);
    if (strays)
        *strays = stray;
    return rc;
}

int doc_blob_walk(const char *dir, int (*fn)(const char *hex, int64_t size, void *arg), void *arg,
                  int64_t *strays)
{
    return s_walk(dir, "sha256", "", fn, arg, strays);
}

/* -- thumbnails ------------------------------------------------------------ */

int doc_blob_preview_path(char *out, size_t cap, const char *dir, const char *hex)
{
    if (!doc_digest_hex_valid(hex)) {
        if (cap)
            out[0] = 0;
        errno = EINVAL;
        return -1;
    }
    return s_fit(out, cap,
                 snprintf(out, cap, "%s/previews/%.2s/%.2s/%s.png", dir, hex, hex + 2, hex));
}

/* Writes all of len bytes to fd (retrying short writes and EINTR). */
static int s_write_all(int fd, const void *data, size_t len)
{
    const unsigned char *d = data;
    while (len) {
        ssize_t n = write(fd, d, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        d += n;
        len -= (size_t) n;
    }
    return 0;
}

int doc_blob_preview_store(const char *dir, const char *hex, const void *png, size_t len)
{
    char dst[DOC_PATH_MAX], tmp[DOC_PATH_MAX], top[DOC_PATH_MAX], d1[DOC_PATH_MAX],
        d2[DOC_PATH_MAX], tmpdir[DOC_PATH_MAX], id[37];
    unsigned char r[16];
    randombytes_buf(r, sizeof r);
    r[6] = (unsigned char) ((r[6] & 0x0f) | 0x40); /* version 4 */
    r[8] = (unsigned char) ((r[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(id, sizeof id, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13],
             r[14], r[15]);
    if (doc_blob_preview_path(dst, sizeof dst, dir, hex) != 0 ||
        doc_blob_tmp_path(tmp, sizeof tmp, dir, id) != 0 ||
        s_fit(top, sizeof top, snprintf(top, sizeof top, "%s/previews", dir)) != 0 ||
        s_fit(d1, sizeof d1, snprintf(d1, sizeof d1, "%s/previews/%.2s", dir, hex)) != 0 ||
        s_fit(d2, sizeof d2, snprintf(d2, sizeof d2, "%s/previews/%.2s/%.2s", dir, hex, hex + 2)) !=
            0 ||
        s_fit(tmpdir, sizeof tmpdir, snprintf(tmpdir, sizeof tmpdir, "%s/tmp", dir)) != 0)
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    int e = 0;
    if (s_write_all(fd, png, len) != 0 || fsync(fd) != 0)
        e = errno ? errno : EIO;
    if (close(fd) != 0 && !e)
        e = EIO;
    bool made1 = false, made2 = false;
    if (!e && (s_mkdir(top, NULL) != 0 || s_mkdir(d1, &made1) != 0 || s_mkdir(d2, &made2) != 0))
        e = errno;
    if (!e && ((made1 && s_sync_dir(top) != 0) || (made2 && s_sync_dir(d1) != 0)))
        e = errno;
    if (!e && rename(tmp, dst) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        errno = e;
        return -1;
    }
    if (s_sync_dir(d2) != 0 || s_sync_dir(tmpdir) != 0)
        return -1;
    return 0;
}

ssize_t doc_blob_preview_read(const char *dir, const char *hex, void *buf, size_t cap)
{
    char p[DOC_PATH_MAX];
    if (doc_blob_preview_path(p, sizeof p, dir, hex) != 0)
        return -1;
    int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    struct stat st;
    int e = 0;
    if (fstat(fd, &st) != 0)
        e = errno;
    else if (!S_ISREG(st.st_mode) || st.st_size < 0)
        e = EINVAL;
    else if ((uint64_t) st.st_size > cap)
        e = EFBIG;
    if (e) {
        close(fd);
        errno = e;
        return -1;
    }
    unsigned char *b = buf;
    size_t done = 0, want = (size_t) st.st_size;
    while (done < want) {
        ssize_t n = pread(fd, b + done, want - done, (off_t) done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO; /* shorter than it said: changed under us */
            close(fd);
            errno = e;
            return -1;
        }
        done += (size_t) n;
    }
    close(fd);
    return (ssize_t) done;
}

int doc_blob_preview_walk(const char *dir, int (*fn)(const char *hex, int64_t size, void *arg),
                          void *arg, int64_t *strays)
{
    return s_walk(dir, "previews", ".png", fn, arg, strays);
}
