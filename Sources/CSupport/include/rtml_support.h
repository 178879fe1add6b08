#ifndef RTML_SUPPORT_H
#define RTML_SUPPORT_H
// Small pieces of C that Swift cannot express.

// Asks the CPU to start loading the cache line at `address` (no fault if it is
// not mapped). Ingest looks a message id up in a table far bigger than the
// caches; starting the load early hides most of the miss behind validation.
static inline void rtml_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}
#endif
