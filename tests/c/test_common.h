/*
 * A tiny test framework for the C tests: CHECK macros that record failures and go on,
 * a runner that prints PASS/FAIL per test and a summary, and helpers to connect to the
 * redis-server whose URL run.sh passes in REDIS_URL.
 */
#ifndef GROUP_REDIS_TEST_COMMON_H
#define GROUP_REDIS_TEST_COMMON_H

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "group_redis.h"

/* How long a test waits for something that should happen (ends as soon as it does). */
#define PATIENCE_MS 20000

static int test_failures;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            test_failures++;                                                        \
        }                                                                           \
    } while (0)

#define CHECK_STATUS(call, expected)                                                \
    do {                                                                            \
        gr_status got_ = (call);                                                    \
        if (got_ != (expected)) {                                                   \
            fprintf(stderr, "  %s:%d: %s returned %s (%s), expected %s\n", __FILE__, \
                    __LINE__, #call, gr_status_name(got_), gr_last_error(),         \
                    gr_status_name(expected));                                      \
            test_failures++;                                                        \
        }                                                                           \
    } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, GR_OK)

#define CHECK_STR(actual, expected)                                                 \
    do {                                                                            \
        const char *a_ = (actual);                                                  \
        const char *e_ = (expected);                                                \
        if (a_ == NULL || e_ == NULL ? a_ != e_ : strcmp(a_, e_) != 0) {            \
            fprintf(stderr, "  %s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__,   \
                    __LINE__, #actual, a_ ? a_ : "(null)", e_ ? e_ : "(null)");     \
            test_failures++;                                                        \
        }                                                                           \
    } while (0)

#define CHECK_CONTAINS(haystack, needle)                                            \
    do {                                                                            \
        const char *h_ = (haystack);                                                \
        if (h_ == NULL || strstr(h_, (needle)) == NULL) {                           \
            fprintf(stderr, "  %s:%d: %s is \"%s\", which lacks \"%s\"\n", __FILE__, \
                    __LINE__, #haystack, h_ ? h_ : "(null)", (needle));             \
            test_failures++;                                                        \
        }                                                                           \
    } while (0)

static int tests_passed, tests_failed;

#define RUN(test)                                                                   \
    do {                                                                            \
        int before_ = test_failures;                                                \
        test();                                                                     \
        if (test_failures == before_) {                                             \
            printf("PASS %s\n", #test);                                             \
            tests_passed++;                                                         \
        } else {                                                                    \
            printf("FAIL %s\n", #test);                                             \
            tests_failed++;                                                         \
        }                                                                           \
        fflush(stdout);                                                             \
    } while (0)

static inline int finish(const char *suite) {
    printf("%s: %d passed, %d failed\n", suite, tests_passed, tests_failed);
    return tests_failed == 0 ? 0 : 1;
}

static inline const char *redis_url(void) {
    const char *url = getenv("REDIS_URL");
    if (url == NULL || *url == '\0') {
        fprintf(stderr, "REDIS_URL is not set (tests/c/run.sh sets it)\n");
        exit(2);
    }
    return url;
}

/* A group name no other test (or earlier run) uses. */
static inline void unique_group(char *buffer, size_t size, const char *tag) {
    static int counter;
    snprintf(buffer, size, "c-%s-%ld-%d-%d", tag, (long)getpid(), (int)time(NULL), ++counter);
}

/* Connects to the test server as `member` of `group`; NULL (after a failed CHECK) when
 * that is impossible. */
static inline gr_connector *connect_as(const char *group, const char *member) {
    gr_options *options = NULL;
    gr_connector *conn = NULL;
    CHECK_OK(gr_options_new(&options));
    CHECK_OK(gr_options_set_group(options, group));
    CHECK_OK(gr_options_set_member_id(options, member));
    CHECK_OK(gr_connect(redis_url(), options, &conn));
    gr_options_free(options);
    return conn;
}

static inline uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A deadline for pthread_cond_timedwait, `ms` from now on the realtime clock. */
static inline struct timespec deadline_in(uint64_t ms) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(ms / 1000u);
    ts.tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec += 1;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

#endif
