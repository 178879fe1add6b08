#ifndef RTML_CZLIB_SHIM_H
#define RTML_CZLIB_SHIM_H
#include <zlib.h>

// zlib's init macros pass sizeof(z_stream) and the version string; Swift
// cannot call function-like macros, so expose them as inline functions.
static inline int rtml_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
static inline int rtml_deflateInit2(z_streamp strm, int level, int windowBits) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}
#endif
