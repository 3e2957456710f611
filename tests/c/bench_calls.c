/*
 * Per-call cost through the C ABI, for python/bench.py (which compiles and runs it on the
 * same redis-server): lock+release pairs per second on one thread, and the cost of a call
 * that does no I/O (gr_is_held, gr_held_token), i.e. the C boundary itself: argument
 * checks, catch_unwind, the per-thread error text.
 *
 *   bench_calls <redis-url> <group> <seconds> [pairs]
 *
 * Prints "name value unit" lines; with "pairs", only the lock+release rate.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "group_redis.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: %s url group seconds [pairs]\n", argv[0]);
        return 2;
    }
    int pairs_only = argc == 5 && strcmp(argv[4], "pairs") == 0;
    double seconds = atof(argv[3]);
    gr_options *options = NULL;
    gr_connector *conn = NULL;
    gr_options_new(&options);
    gr_options_set_group(options, argv[2]);
    gr_options_set_member_id(options, "c-bench");
    if (gr_connect(argv[1], options, &conn) != GR_OK) {
        fprintf(stderr, "connect: %s\n", gr_last_error());
        return 1;
    }
    gr_options_free(options);

    uint64_t token = 0;
    for (int i = 0; i < 1000; i++) { /* warm up */
        gr_lock(conn, "c-bench-lock", &token);
        gr_release(conn, "c-bench-lock");
    }
    long pairs = 0;
    double start = now_s(), elapsed = 0;
    while ((elapsed = now_s() - start) < seconds) {
        for (int i = 0; i < 100; i++) {
            if (gr_lock(conn, "c-bench-lock", &token) != GR_OK || token == 0 ||
                gr_release(conn, "c-bench-lock") != GR_OK) {
                fprintf(stderr, "lock/release failed: %s\n", gr_last_error());
                return 1;
            }
        }
        pairs += 100;
    }
    printf("c_lock_release_pairs_per_s %.0f pairs/s\n", (double)pairs / elapsed);
    if (pairs_only) {
        gr_connector_free(conn);
        return 0;
    }

    gr_lock(conn, "c-bench-held", &token);
    bool held = false;
    long calls = 0;
    start = now_s();
    while ((elapsed = now_s() - start) < seconds / 2) {
        for (int i = 0; i < 10000; i++) gr_is_held(conn, "c-bench-held", &held);
        calls += 10000;
    }
    printf("c_is_held_ns_per_call %.0f ns\n", elapsed * 1e9 / (double)calls);
    calls = 0;
    start = now_s();
    while ((elapsed = now_s() - start) < seconds / 2) {
        for (int i = 0; i < 10000; i++) gr_status_name(i & 15);
        calls += 10000;
    }
    printf("c_trivial_export_ns_per_call %.1f ns\n", elapsed * 1e9 / (double)calls);
    gr_connector_free(conn);
    return 0;
}
