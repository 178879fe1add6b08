#ifndef RTML_SUPPORT_H
#define RTML_SUPPORT_H
// Small pieces of C that Swift cannot express.

// Asks the CPU to start loading the cache line at `address` (no fault if it is
// not mapped). Ingest looks a message id up in a table far bigger than the
// caches; starting the load early hides most of the miss behind validation.
static inline void rtml_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}
// glibc's memmem (a GNU extension, so Swift's Glibc module does not show
// it; declared here as glibc does). A replay stamp's key is looked up in
// every job line: memchr for its first byte stopped at every quote.
#include <stddef.h>
extern void *memmem(const void *haystack, size_t haystack_len, const void *needle, size_t needle_len);
static inline const void *rtml_memmem(const void *haystack, size_t haystack_len, const void *needle, size_t needle_len) {
    return memmem(haystack, haystack_len, needle, needle_len);
}
#endif
