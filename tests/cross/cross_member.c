/*
 * The C member of the cross-language test (test_cross.py compiles it with gcc against the
 * committed header and drives it over stdin/stdout, one command per line; the protocol and
 * the lock round are described in test_cross.py and are the same in CrossMember.java).
 *
 *   cross_member <redis-url> <group> <my-member-id> [session-timeout-ms]
 *
 * Every command is answered by one line starting with "OK " or "FAIL "; GRANT lines come
 * before the answer to LOCK. Every call into the library is in the "library calls" section,
 * so an API change is adapted in one place.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "group_redis.h"

#define PATIENCE_MS 20000
#define LOCK_NAME "cross-lock"

static gr_connector *conn;
static gr_subscription *events;
static gr_subscription *inbox; /* LISTEN: this member's messages, pulled by RECEIVE */
static gr_subscription *server; /* SERVE: this member's requests, answered by a callback */
static gr_leadership *leadership; /* CAMPAIGN */
static gr_assignment *assignment; /* ASSIGN */
static uint64_t session_timeout_ms; /* 0: the default */
static const char *me;
static char failure[512]; /* the first failure of the running command, "" if none */

/* Keeps the first failure of the command; `detail` may be NULL (a value that was absent). */
static void fail(const char *format, const char *detail) {
    if (failure[0] == '\0') snprintf(failure, sizeof failure, format, detail != NULL ? detail : "(absent)");
}

static bool ok(gr_status status, const char *what) {
    if (status == GR_OK) return true;
    char text[400];
    snprintf(text, sizeof text, "%s: %s %s", what, gr_status_name(status), gr_last_error());
    fail("%s", text);
    return false;
}

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ------------------------------------------------------------------ library calls */

static bool connect_as(const char *url, const char *group) {
    gr_options *options = NULL;
    bool done = ok(gr_options_new(&options), "options") && ok(gr_options_set_group(options, group), "group") &&
                ok(gr_options_set_member_id(options, me), "member") &&
                (session_timeout_ms == 0 || ok(gr_options_set_session_timeout_ms(options, session_timeout_ms), "timeout")) &&
                ok(gr_connect(url, options, &conn), "connect");
    gr_options_free(options);
    return done && ok(gr_subscribe_members(conn, &events), "subscribe");
}

static bool join(void) { return ok(gr_join(conn, NULL, "{\"language\":\"c\"}", NULL), "join"); }

static bool leave(void) {
    bool left = false;
    return ok(gr_leave(conn, NULL, &left), "leave") && left;
}

/* The next membership event's JSON (NULL when none came in `wait_ms`); free it. */
static char *next_event(int64_t wait_ms) {
    char *event = NULL;
    ok(gr_subscription_next(events, wait_ms, &event), "next event");
    return event;
}

/* The lock's fencing token, 0 when the wait ran out. */
static uint64_t lock(uint64_t wait_ms) {
    uint64_t token = 0;
    ok(gr_try_lock(conn, LOCK_NAME, wait_ms, &token), "try_lock");
    return token;
}

static void release(void) { ok(gr_release(conn, LOCK_NAME), "release"); }

/* The persistent value's JSON (NULL when absent; free it with free()) and its version (0: absent).
 * gr_persistent_get writes {"value":<value>,"version":<n>} in that order (the library's
 * own canonical text), so the value is what lies between the two fields. */
static char *persistent_get(const char *path, uint64_t *version) {
    char *versioned = NULL;
    *version = 0;
    ok(gr_persistent_get(conn, path, &versioned), "persistent get");
    if (versioned == NULL) {
        return NULL;
    }
    const char *head = "{\"value\":";
    const char *tail = strrchr(versioned, ',');
    if (strncmp(versioned, head, strlen(head)) != 0 || tail == NULL ||
        sscanf(tail, ",\"version\":%" SCNu64 "}", version) != 1) {
        fprintf(stderr, "unexpected versioned JSON: %s\n", versioned);
        exit(1);
    }
    size_t length = (size_t)(tail - versioned) - strlen(head);
    char *value = malloc(length + 1);
    memcpy(value, versioned + strlen(head), length);
    value[length] = '\0';
    gr_string_free(versioned);
    return value;
}

/* Compare-and-set: the new version, 0 when `expected` was not the current version. */
static uint64_t compare_and_set(const char *path, uint64_t expected, const char *value) {
    uint64_t version = 0;
    ok(gr_persistent_cas(conn, path, expected, value, &version), "persistent cas");
    return version;
}

static void persistent_set(const char *path, const char *value) {
    ok(gr_persistent_set(conn, path, value, NULL), "persistent set");
}

static void ephemeral_set(const char *key, const char *value) { ok(gr_ephemeral_set(conn, key, value), "ephemeral set"); }

static char *ephemeral_get(const char *key) {
    char *value = NULL;
    ok(gr_ephemeral_get(conn, key, &value), "ephemeral get");
    return value;
}

/* The recipes: one leadership, one assignment topic (ids as a JSON array). */
static bool campaign(const char *name) { return ok(gr_elect(conn, name, &leadership), "elect"); }

static bool assign(const char *topic, const char *ids_json) {
    return ok(gr_assignments(conn, topic, ids_json, NULL, &assignment), "assignments");
}

/* The term's token while this member leads (answered locally), else 0. */
static uint64_t leader_token(void) {
    uint64_t token = 0;
    ok(gr_leadership_token(leadership, &token), "leadership token");
    return token;
}

static char *share_json(void) {
    char *share = NULL;
    ok(gr_assignment_share(assignment, &share), "share");
    return share;
}

static char *members_json(void) {
    char *members = NULL;
    ok(gr_members(conn, &members), "members");
    return members;
}

static bool set_online(bool online) { return ok(gr_set_online(conn, NULL, online), "set online"); }

static void disconnect(void) {
    if (assignment != NULL) gr_assignment_free(assignment);
    if (leadership != NULL) gr_leadership_free(leadership);
    ok(gr_connector_close(conn), "close");
    gr_subscription_free(events);
    if (inbox != NULL) gr_subscription_free(inbox);
    if (server != NULL) gr_subscription_free(server);
    gr_connector_free(conn);
}

/* ------------------------------------------------------------------ membership events */

/* Ids seen joining and leaving (with how they left), in "|id|" form for strstr. */
static char joined[4096] = "|", left[4096] = "|";

/* Which of the event's member lists the text at `at` belongs to: the nearest list key
 * before it (the event is {"joined_members":[...],"left_members":[...],...}). */
static const char *section_of(const char *event, const char *at) {
    const char *keys[] = {"\"joined_members\"", "\"left_members\"", "\"updated_members\""};
    const char *best = NULL, *best_at = NULL;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        for (const char *p = strstr(event, keys[i]); p != NULL && p < at; p = strstr(p + 1, keys[i])) {
            if (best_at == NULL || p > best_at) {
                best_at = p;
                best = keys[i];
            }
        }
    }
    return best;
}

static void record(const char *event) {
    const char *reason = strstr(event, "\"reason\":\"left\"")      ? "left"
                         : strstr(event, "\"reason\":\"expired\"") ? "expired"
                                                                   : "other";
    for (const char *id = strstr(event, "\"id\":\""); id != NULL; id = strstr(id + 1, "\"id\":\"")) {
        const char *start = id + 6, *end = strchr(start, '"');
        if (end == NULL || end - start > 100) continue;
        const char *section = section_of(event, id);
        char entry[200];
        if (section != NULL && strcmp(section, "\"joined_members\"") == 0) {
            snprintf(entry, sizeof entry, "%.*s|", (int)(end - start), start);
            strncat(joined, entry, sizeof joined - strlen(joined) - 1);
        } else if (section != NULL && strcmp(section, "\"left_members\"") == 0) {
            snprintf(entry, sizeof entry, "%.*s=%s|", (int)(end - start), start, reason);
            strncat(left, entry, sizeof left - strlen(left) - 1);
        }
    }
}

/* Waits (bounded) for `id` to join, or to leave; answers with how long it took. */
static void await_event(const char *id, bool leaving) {
    char needle[200];
    snprintf(needle, sizeof needle, leaving ? "|%s=" : "|%s|", id);
    uint64_t start = now_ms(), give_up = start + PATIENCE_MS;
    while (strstr(leaving ? left : joined, needle) == NULL && now_ms() < give_up && failure[0] == '\0') {
        uint64_t now = now_ms();
        /* Never a negative wait: that would mean "without limit". */
        char *event = next_event(now < give_up ? (int64_t)(give_up - now) : 0);
        if (event != NULL) record(event);
        gr_string_free(event);
    }
    const char *found = strstr(leaving ? left : joined, needle);
    if (found == NULL) {
        fail("no event for %s", id);
        return;
    }
    if (leaving) {
        const char *reason = found + strlen(needle);
        printf("OK SEEN_LEAVE %s %.*s %" PRIu64 "\n", id, (int)strcspn(reason, "|"), reason, now_ms() - start);
    } else {
        printf("OK SEEN_JOIN %s %" PRIu64 "\n", id, now_ms() - start);
    }
}

/* ------------------------------------------------------------------ the contended lock */

/* The token of the last grant in the log text [[token,"member"],...] (0: empty log). */
static uint64_t last_grant(const char *log) {
    const char *entry = log == NULL ? NULL : strrchr(log, '[');
    return entry == NULL || entry == log ? 0 : strtoull(entry + 1, NULL, 10);
}

/* One round inside the lock, as test_cross.py describes it. */
static void inside_the_lock(uint64_t token) {
    char text[64];
    uint64_t version = 0;
    char *holders = persistent_get("cross/holders", &version);
    if (holders != NULL && strcmp(holders, "0") != 0) fail("entered with holders=%s", holders);
    free(holders);
    uint64_t mine = compare_and_set("cross/holders", version, "1");
    if (mine == 0) {
        snprintf(text, sizeof text, "%" PRIu64, token);
        fail("holders changed between read and write at token %s", text);
        return;
    }

    char *log = persistent_get("cross/grants", &version);
    if (last_grant(log) >= token) fail("token not above the last grant in %s", log);
    size_t size = (log == NULL ? 2 : strlen(log)) + 200;
    char *grown = malloc(size);
    if (log == NULL || strcmp(log, "[]") == 0) {
        snprintf(grown, size, "[[%" PRIu64 ",\"%s\"]]", token, me);
    } else {
        snprintf(grown, size, "%.*s,[%" PRIu64 ",\"%s\"]]", (int)(strlen(log) - 1), log, token, me);
    }
    if (compare_and_set("cross/grants", version, grown) == 0) fail("grant log changed under %s", grown);
    free(grown);
    free(log);

    char *still = persistent_get("cross/holders", &version);
    if (still == NULL || strcmp(still, "1") != 0 || version != mine) fail("holders became %s while held", still);
    free(still);
    if (compare_and_set("cross/holders", mine, "0") == 0) fail("holders changed while %s held the lock", me);
}

static void lock_rounds(int rounds) {
    for (int round = 0; round < rounds && failure[0] == '\0'; round++) {
        uint64_t asked = now_ms();
        uint64_t token = lock(PATIENCE_MS);
        uint64_t waited = now_ms() - asked;
        if (token == 0) {
            fail("%s", "lock not acquired within the patience");
            return;
        }
        inside_the_lock(token);
        release();
        printf("GRANT %" PRIu64 " %" PRIu64 "\n", token, waited);
    }
    if (failure[0] == '\0') printf("OK LOCK %d\n", rounds);
}

/* ------------------------------------------------------------------ JSON values */

/* What this member writes: the test's document, spelled unlike serde_json would (spaces,
 * \u escapes and surrogate pairs, 1E300, 4.9406564584124654e-324 for 5e-324), so the
 * other languages prove it was parsed, not passed through. */
static const char *const written =
    "{\"integers\": [0, -1, 9007199254740993, -9007199254740993, 9223372036854775807, -9223372036854775808, "
    "18446744073709551615],"
    " \"floats\": [0.1, 1E300, 4.9406564584124654e-324, 1.7976931348623157e308, 2.2250738585072014E-308, "
    "0.30000000000000004, 2.7715077941825975e-163, 1.5, -0.0, 1.0, -2.5e-10],"
    " \"text\": [\"\\ud83d\\ude00\", \"e\\u0301\", \"\\uD834\\uDD1E clef\", \"日本語\", "
    "\"quote \\\" backslash \\\\ newline \\n tab \\t\", \"\\u0000nul\", \"\\u007f\\u2028\\ufeff\", \"\"],"
    " \"keys\": {\"😀\": 1, \"e\\u0301\": 2, \"\": 3},"
    " \"nested\": {\"a\": [1, [2, [3, {\"b\": null}]], []], \"t\": true, \"f\": false, \"empty\": {}}}";

/* The same document as the library hands it back, byte for byte: keys sorted, no spaces,
 * shortest round-trip floats, UTF-8 (combining mark \314\201, U+007F U+2028 U+FEFF in
 * octal), only " \ and control characters escaped. A C reader sees JSON text, so equal
 * text is the exact comparison. */
static const char *const expected =
    "{\"floats\":[0.1,1e+300,5e-324,1.7976931348623157e+308,2.2250738585072014e-308,0.30000000000000004,"
    "2.7715077941825975e-163,1.5,-0.0,1.0,-2.5e-10],"
    "\"integers\":[0,-1,9007199254740993,-9007199254740993,9223372036854775807,-9223372036854775808,"
    "18446744073709551615],"
    "\"keys\":{\"\":3,\"e\314\201\":2,\"😀\":1},"
    "\"nested\":{\"a\":[1,[2,[3,{\"b\":null}]],[]],\"empty\":{},\"f\":false,\"t\":true},"
    "\"text\":[\"😀\",\"e\314\201\",\"𝄞 clef\",\"日本語\",\"quote \\\" backslash \\\\ newline \\n tab \\t\","
    "\"\\u0000nul\",\"\177\342\200\250\357\273\277\",\"\"]}";

static void check(const char *peer) {
    char key[200];
    snprintf(key, sizeof key, "json/%s", peer);
    uint64_t version = 0;
    char *ephemeral = ephemeral_get(key), *persistent = persistent_get(key, &version);
    if (ephemeral == NULL || strcmp(ephemeral, expected) != 0) fail("ephemeral value is %s", ephemeral);
    if (persistent == NULL || strcmp(persistent, expected) != 0) fail("persistent value is %s", persistent);
    if (failure[0] == '\0') printf("OK CHECK %s\n", peer);
    gr_string_free(ephemeral);
    free(persistent);
}

/* ------------------------------------------------------------------ messages */

static void listen_inbox(void) {
    if (ok(gr_listen(conn, NULL, &inbox), "listen")) printf("OK LISTEN\n");
}

/* Takes `count` messages of the inbox, printing "MSG <message JSON>" for each. */
static void receive(int count) {
    for (int i = 0; i < count && failure[0] == '\0'; i++) {
        char *message = NULL;
        if (!ok(gr_subscription_next(inbox, PATIENCE_MS, &message), "next message")) break;
        if (message == NULL) {
            fail("%s", "no message within the bound");
            break;
        }
        printf("MSG %s\n", message);
        gr_string_free(message);
    }
    if (failure[0] == '\0') printf("OK RECEIVE %d\n", count);
}

/* Answers every request with {"from":"c","echo":<its payload>}: the payload is cut out of
 * the message's JSON text, which puts "payload" right before "request_id". */
static void answer(const char *message, void *user_data) {
    (void)user_data;
    const char *start = strstr(message, "\"payload\":");
    const char *end = strstr(message, ",\"request_id\":");
    if (strstr(message, "\"kind\":\"request\"") == NULL || start == NULL || end == NULL || end < start) return;
    start += strlen("\"payload\":");
    char reply[1024];
    snprintf(reply, sizeof reply, "{\"from\":\"c\",\"echo\":%.*s}", (int)(end - start), start);
    gr_status status = gr_reply(conn, message, reply);
    if (status != GR_OK) fprintf(stderr, "reply failed: %s %s\n", gr_status_name(status), gr_last_error());
}

static void serve(void) {
    /* The pulled inbox goes first: a later listener starts after what it was given. */
    if (inbox != NULL) gr_subscription_free(inbox);
    inbox = NULL;
    if (ok(gr_listen(conn, NULL, &server), "listen") &&
        ok(gr_subscription_listen(server, answer, NULL, NULL), "subscription listen")) {
        printf("OK SERVE\n");
    }
}

/* Consumes `topic` in consumer group `group` until a wait of a second brings nothing:
 * "DONE <index>" for every message this member acknowledged, "LOST <index>" otherwise. */
static void consume(const char *topic, const char *group) {
    while (failure[0] == '\0') {
        char *taken = NULL;
        if (!ok(gr_topic_consume(conn, topic, group, 10, 1000, &taken), "consume")) break;
        bool any = false;
        for (const char *at = strstr(taken, "\"index\":"); at != NULL; at = strstr(at + 1, "\"index\":")) {
            any = true;
            unsigned long long index = strtoull(at + strlen("\"index\":"), NULL, 10);
            char list[64];
            snprintf(list, sizeof list, "[%llu]", index);
            char *acked = NULL;
            if (!ok(gr_topic_ack(conn, topic, group, list, &acked), "ack")) break;
            printf("%s %llu\n", strcmp(acked, "[true]") == 0 ? "DONE" : "LOST", index);
            gr_string_free(acked);
        }
        gr_string_free(taken);
        if (!any) break;
    }
    if (failure[0] == '\0') printf("OK CONSUME\n");
}

/* ------------------------------------------------------------------ leader, assignment, members */

/* "OK SHARE <epoch> <id,id,...>" ("-" for none) from {"member","epoch":N,"ids":[...],...}. */
static void print_share(void) {
    char *share = share_json();
    const char *epoch = share ? strstr(share, "\"epoch\":") : NULL, *ids = share ? strstr(share, "\"ids\":[") : NULL;
    if (epoch == NULL || ids == NULL) {
        fail("share is %s", share);
    } else {
        char list[2048] = "";
        for (const char *p = ids + 7; *p && *p != ']' && strlen(list) < sizeof list - 2; p++) {
            if (*p != '"') strncat(list, p, 1);
        }
        printf("OK SHARE %llu %s\n", strtoull(epoch + 8, NULL, 10), list[0] ? list : "-");
    }
    gr_string_free(share);
}

/* "OK MEMBERS id:online(1|0):language ..." from the member records (each record's fields
 * come in the order id, sub_groups, payload, joined_at, session, online). */
static void print_members(void) {
    char *members = members_json();
    char line[4096] = "OK MEMBERS";
    const char *key = "{\"id\":\"";
    for (const char *at = members ? strstr(members, key) : NULL; at != NULL;) {
        const char *next = strstr(at + 1, key), *name = at + strlen(key);
        const char *language = strstr(at, "\"language\":\""), *online = strstr(at, "\"online\":");
        if (language != NULL && next != NULL && language > next) language = NULL;
        char entry[256];
        snprintf(entry, sizeof entry, " %.*s:%d:%.*s", (int)strcspn(name, "\""), name,
                 online != NULL && strncmp(online + 9, "true", 4) == 0,
                 language ? (int)strcspn(language + 12, "\"") : 4, language ? language + 12 : "null");
        strncat(line, entry, sizeof line - strlen(line) - 1);
        at = next;
    }
    if (members != NULL) printf("%s\n", line);
    gr_string_free(members);
}

/* ASSIGN <topic> <id,id,...>: the ids as a JSON array. */
static void assign_csv(const char *topic, const char *csv) {
    char json[1024] = "[\"";
    size_t n = 2;
    for (const char *p = csv; *p && n < sizeof json - 4; p++) {
        if (*p == ',') {
            memcpy(json + n, "\",\"", 3);
            n += 3;
        } else {
            json[n++] = *p;
        }
    }
    memcpy(json + n, "\"]", 3);
    if (assign(topic, json)) printf("OK ASSIGN\n");
}

/* ------------------------------------------------------------------ commands */

int main(int argc, char **argv) {
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: %s url group member [session-timeout-ms]\n", argv[0]);
        return 2;
    }
    me = argv[3];
    if (argc == 5) session_timeout_ms = strtoull(argv[4], NULL, 10);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!connect_as(argv[1], argv[2])) {
        printf("FAIL READY %s\n", failure);
        return 1;
    }
    printf("OK READY\n");

    char line[256];
    while (fgets(line, sizeof line, stdin) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        char *argument = strchr(line, ' ');
        if (argument != NULL) *argument++ = '\0';
        failure[0] = '\0';
        if (strcmp(line, "QUIT") == 0) break;
        if (strcmp(line, "JOIN") == 0) {
            if (join()) printf("OK JOIN\n");
        } else if (strcmp(line, "SEEN_JOIN") == 0 && argument != NULL) {
            await_event(argument, false);
        } else if (strcmp(line, "SEEN_LEAVE") == 0 && argument != NULL) {
            await_event(argument, true);
        } else if (strcmp(line, "LOCK") == 0 && argument != NULL) {
            lock_rounds(atoi(argument));
        } else if (strcmp(line, "WRITE") == 0) {
            char key[200];
            snprintf(key, sizeof key, "json/%s", me);
            ephemeral_set(key, written);
            persistent_set(key, written);
            if (failure[0] == '\0') printf("OK WRITE\n");
        } else if (strcmp(line, "CHECK") == 0 && argument != NULL) {
            check(argument);
        } else if (strcmp(line, "LISTEN") == 0) {
            listen_inbox();
        } else if (strcmp(line, "RECEIVE") == 0 && argument != NULL) {
            receive(atoi(argument));
        } else if (strcmp(line, "SERVE") == 0) {
            serve();
        } else if (strcmp(line, "CONSUME") == 0 && argument != NULL && strchr(argument, ' ') != NULL) {
            char *group = strchr(argument, ' ');
            *group++ = '\0';
            consume(argument, group);
        } else if (strcmp(line, "CAMPAIGN") == 0 && argument != NULL) {
            if (campaign(argument)) printf("OK CAMPAIGN\n");
        } else if (strcmp(line, "ASSIGN") == 0 && argument != NULL && strchr(argument, ' ') != NULL) {
            char *ids = strchr(argument, ' ');
            *ids++ = '\0';
            assign_csv(argument, ids);
        } else if (strcmp(line, "LEADER") == 0 && leadership != NULL) {
            uint64_t token = leader_token();
            if (failure[0] == '\0') printf("OK LEADER %llu\n", (unsigned long long)token);
        } else if (strcmp(line, "SHARE") == 0 && assignment != NULL) {
            print_share();
        } else if (strcmp(line, "MEMBERS") == 0) {
            print_members();
        } else if (strcmp(line, "ONLINE") == 0 && argument != NULL) {
            if (set_online(strcmp(argument, "1") == 0)) printf("OK ONLINE\n");
        } else if (strcmp(line, "LEAVE") == 0) {
            if (leave()) printf("OK LEAVE\n");
            else fail("%s", "leave: was not a member");
        } else {
            fail("unknown command %s", line);
        }
        if (failure[0] != '\0') printf("FAIL %s %s\n", line, failure);
    }
    disconnect();
    return 0;
}
