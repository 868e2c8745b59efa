/* at_embed: files compiled into a binary by cmake/embed.cmake (migrations,
 * data lists). A table ends with an entry whose name is NULL. */
#ifndef AT_EMBED_H
#define AT_EMBED_H
#include <stddef.h>

typedef struct {
    const char *name;          /* file name without directory */
    const unsigned char *data; /* bytes, followed by one NUL */
    size_t len;                /* length without the NUL */
} at_embedded_t;

#endif
