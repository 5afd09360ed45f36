/* See bench_support.h. */
#include "bench_support.h"
#include <jemalloc/jemalloc.h>
#include <sys/resource.h>
#include <time.h>

uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bench_thread_allocated_bytes(void) {
  /* thread.allocatedp gives a pointer to the live counter: one mallctl, then plain reads. */
  static __thread uint64_t *counter;
  if (!counter) {
    size_t size = sizeof(counter);
    if (mallctl("thread.allocatedp", &counter, &size, NULL, 0) != 0) return 0;
  }
  return *counter;
}

int64_t bench_peak_rss_kib(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}
