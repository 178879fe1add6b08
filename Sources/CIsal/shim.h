#ifndef RTML_CISAL_SHIM_H
#define RTML_CISAL_SHIM_H
// Intel ISA-L's igzip: streaming gzip inflate and fast-level deflate several
// times faster than zlib's on x86-64 and arm64; reading and writing gzip logs
// would otherwise cost more than parsing them (Debian: libisal-dev).
#include <isa-l/igzip_lib.h>

// The level buffer sizes are macro expressions Swift cannot import.
static inline unsigned int rtml_isal_level_buf_size(int level) {
    switch (level) {
    case 1: return ISAL_DEF_LVL1_DEFAULT;
    case 2: return ISAL_DEF_LVL2_DEFAULT;
    case 3: return ISAL_DEF_LVL3_DEFAULT;
    default: return ISAL_DEF_LVL0_DEFAULT;
    }
}
#endif
