/* Measurement helpers shared by the Swift benchmark programs: a monotonic clock,
   this thread's cumulative malloc bytes (jemalloc's thread.allocated), peak RSS. */
#ifndef BENCH_SUPPORT_H
#define BENCH_SUPPORT_H
#include <stdint.h>

/* Monotonic nanoseconds. */
uint64_t bench_now_ns(void);
/* Bytes this thread has allocated through malloc since it started (jemalloc's
   thread.allocated counter); 0 if the process malloc is not jemalloc. */
uint64_t bench_thread_allocated_bytes(void);
/* Peak resident set size of the process so far, in KiB (getrusage). */
int64_t bench_peak_rss_kib(void);
#endif
