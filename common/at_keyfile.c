/* at_keyfile: load or create a hex key file (see the header); libsodium
 * makes the random bytes and wipes copies. */
#include "at_keyfile.h"
#include "at_log.h"
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_MAX 64

static int s_err(char **error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int s_err(char **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(error, fmt, ap) < 0)
        *error = NULL;
    va_end(ap);
    return -1;
}

/* mkdir -p of path's folder, mode 0700 for what it creates. */
static int s_mkdirs(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        abort();
    char *slash = strrchr(dir, '/');
    int rc = 0;
    if (slash && slash != dir) {
        *slash = 0;
        for (char *p = dir + 1; *p && rc == 0; p++) {
            if (*p != '/')
                continue;
            *p = 0;
            if (mkdir(dir, 0700) != 0 && errno != EEXIST)
                rc = -1;
            *p = '/';
        }
        if (rc == 0 && mkdir(dir, 0700) != 0 && errno != EEXIST)
            rc = -1;
    }
    free(dir);
    return rc;
}

static int s_create(const char *path, size_t len, char **error)
{
    if (s_mkdirs(path) != 0)
        return s_err(error, "cannot create the folder of %s: %s", path, strerror(errno));
    unsigned char key[S_MAX];
    randombytes_buf(key, len);
    char text[2 * S_MAX + 2];
    sodium_bin2hex(text, sizeof text, key, len);
    sodium_memzero(key, sizeof key);
    size_t tlen = strlen(text);
    text[tlen++] = '\n';
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long) getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        sodium_memzero(text, sizeof text);
        return s_err(error, "cannot create %s: %s", tmp, strerror(errno));
    }
    bool ok = write(fd, text, tlen) == (ssize_t) tlen && fsync(fd) == 0;
    sodium_memzero(text, sizeof text);
    close(fd);
    /* link() never replaces: if another instance won the race, its key
     * stays and we read it. */
    if (ok && link(tmp, path) != 0 && errno != EEXIST)
        ok = false;
    int saved = errno;
    unlink(tmp);
    if (!ok)
        return s_err(error, "cannot write %s: %s", path, strerror(saved));
    return 0;
}

int at_keyfile_load(const char *path, unsigned char *key, size_t len, char **error)
{
    *error = NULL;
    if (sodium_init() < 0)
        return s_err(error, "libsodium cannot start");
    if (!path || !*path)
        return s_err(error, "no key file given");
    if (len == 0 || len > S_MAX)
        return s_err(error, "a key of %zu bytes is not supported", len);
    if (access(path, F_OK) != 0 && s_create(path, len, error) != 0)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return s_err(error, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && (st.st_mode & 077))
        at_warn("%s is readable by others; chmod 600 it", path);
    char text[2 * S_MAX + 8] = {0};
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    size_t klen = 0;
    const char *end = NULL;
    int rc = 0;
    if (n < (ssize_t) (2 * len) ||
        sodium_hex2bin(key, len, text, (size_t) n, NULL, &klen, &end) != 0 || klen != len ||
        (*end && strcmp(end, "\n") != 0)) {
        sodium_memzero(key, len);
        rc = s_err(error, "%s does not hold a key of %zu bytes as %zu hex digits", path, len,
                   2 * len);
    }
    sodium_memzero(text, sizeof text);
    return rc;
}
