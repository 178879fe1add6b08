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
// SQLite's process-wide settings (sqlite3_config is variadic, which Swift
// cannot call). They take effect only before the first connection opens;
// later they change nothing and return SQLITE_MISUSE (21).
extern int sqlite3_config(int, ...);
// SQLITE_CONFIG_MULTITHREAD (2): connections opened without a mutex flag get
// no per-connection mutex (GRDB uses each connection from one queue only).
static inline int rtml_sqlite_config_multithread(void) { return sqlite3_config(2); }
// SQLITE_CONFIG_MEMSTATUS (9): whether every allocation updates usage
// counters under a global mutex.
static inline int rtml_sqlite_config_memstatus(int on) { return sqlite3_config(9, on); }
#endif
