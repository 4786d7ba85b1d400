#ifndef CUBBY_CZLIB_SHIM_H
#define CUBBY_CZLIB_SHIM_H
#include <zlib.h>

/* zlib's init macros pass sizeof(z_stream) and the version; Swift cannot call macros. */
static inline int cubby_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
static inline int cubby_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 16);
}
#endif
