#ifndef RTML_CISAL_SHIM_H
#define RTML_CISAL_SHIM_H
// Intel ISA-L's inflate: a streaming gzip decoder several times faster than
// zlib's on x86-64 and arm64, the one part of reading logs that outweighs
// parsing them (Debian: libisal-dev).
#include <isa-l/igzip_lib.h>
#endif
