#include "bus_proc.h"

#include "bus_log.h"

#include <czmq.h>
#include <malloc.h>
#include <signal.h>

/* A list answer or a snapshot is megabytes, passed through several buffers (msgpack, CURVE,
 * JSON, TLS) on each of three processes. Above glibc's mmap threshold each such buffer is a fresh
 * mapping whose every page faults on first touch, and a freed heap is trimmed back: a LIST of
 * 3 000 pods cost the broker three times its CURVE work in page faults. Kept below these bounds,
 * a buffer is reused from the heap; what a process once needed, it keeps. */
#define S_MMAP_THRESHOLD (32 << 20)
#define S_TRIM_THRESHOLD (128 << 20)

void bus_proc_init(const char *service, int log_level)
{
    bus_log_init(service);
    bus_log_set_level(log_level);
    signal(SIGPIPE, SIG_IGN);
    mallopt(M_MMAP_THRESHOLD, S_MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, S_TRIM_THRESHOLD);
    zsys_init();
}
