/*
 * The C side of the cross-language test (test_cross.py compiles it against the committed
 * header and runs it next to a Python member).
 *
 *   cross_member <redis-url> <group> <my-member-id> <peer-member-id> <rounds>
 *
 * Joins the group, waits until the peer is a member too, then takes the shared lock
 * `rounds` times. Inside the lock it checks that the last token written by any holder is
 * lower than its own (fencing tokens strictly increase across languages), writes its own,
 * and checks no one else wrote the holder key while it held the lock. Prints one line per
 * fact, "DONE" at the end; exits non-zero on any failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "group_redis.h"

static int failures;

static int ok(gr_status status, const char *what) {
    if (status != GR_OK) {
        printf("ERROR %s: %s %s\n", what, gr_status_name(status), gr_last_error());
        failures++;
        return 0;
    }
    return 1;
}

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s url group member peer rounds\n", argv[0]);
        return 2;
    }
    const char *url = argv[1], *group = argv[2], *me = argv[3], *peer = argv[4];
    int rounds = atoi(argv[5]);
    setvbuf(stdout, NULL, _IOLBF, 0);

    gr_options *options = NULL;
    gr_connector *conn = NULL;
    if (!ok(gr_options_new(&options), "options") || !ok(gr_options_set_group(options, group), "group") ||
        !ok(gr_options_set_member_id(options, me), "member") ||
        !ok(gr_connect(url, options, &conn), "connect")) {
        return 1;
    }
    gr_options_free(options);
    if (!ok(gr_join(conn, NULL, "{\"language\":\"c\"}", NULL), "join")) return 1;

    /* Wait (bounded) until the peer is a member. */
    char needle[256];
    snprintf(needle, sizeof needle, "\"id\":\"%s\"", peer);
    int seen = 0;
    for (uint64_t give_up = now_ms() + 20000; !seen && now_ms() < give_up;) {
        char *members = NULL;
        if (!ok(gr_members(conn, &members), "members")) break;
        seen = strstr(members, needle) != NULL;
        gr_string_free(members);
        if (!seen) {
            struct timespec pause = {0, 20 * 1000000L};
            nanosleep(&pause, NULL);
        }
    }
    if (!seen) {
        printf("ERROR peer %s never joined\n", peer);
        return 1;
    }
    printf("SEEN %s\n", peer);

    char mine[64];
    for (int round = 0; round < rounds; round++) {
        uint64_t token = 0;
        if (!ok(gr_try_lock(conn, "cross-lock", 20000, &token), "try_lock")) break;
        if (token == 0) {
            printf("ERROR lock not acquired within 20 s\n");
            failures++;
            break;
        }
        char *last = NULL;
        ok(gr_persistent_get(conn, "cross/last-token", &last, NULL), "get last");
        if (last != NULL && strtoull(last, NULL, 10) >= token) {
            printf("VIOLATION token %" PRIu64 " not above last %s\n", token, last);
            failures++;
        }
        gr_string_free(last);
        snprintf(mine, sizeof mine, "%" PRIu64, token);
        ok(gr_persistent_set(conn, "cross/last-token", mine, NULL), "set last");
        snprintf(mine, sizeof mine, "\"%s:%" PRIu64 "\"", me, token);
        ok(gr_persistent_set(conn, "cross/holder", mine, NULL), "set holder");
        char *holder = NULL;
        ok(gr_persistent_get(conn, "cross/holder", &holder, NULL), "get holder");
        if (holder == NULL || strcmp(holder, mine) != 0) {
            printf("VIOLATION holder is %s while %s holds the lock\n", holder ? holder : "(none)", mine);
            failures++;
        }
        gr_string_free(holder);
        printf("TOKEN %" PRIu64 "\n", token);
        ok(gr_release(conn, "cross-lock"), "release");
    }
    ok(gr_connector_close(conn), "close");
    gr_connector_free(conn);
    printf("DONE %d\n", failures);
    return failures == 0 ? 0 : 1;
}
