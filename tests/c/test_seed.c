/*
 * The seed library's documented scenarios through the C ABI, plus every other data and
 * lock capability, against the real redis-server run.sh started.
 */
#include "test_common.h"

#include <inttypes.h>

static void join_two_and_get_members(void) {
    char group[128];
    unique_group(group, sizeof group, "join");
    gr_connector *a = connect_as(group, "member-a");
    gr_connector *b = connect_as(group, "member-b");
    char *member = NULL;
    CHECK_OK(gr_join(a, NULL, NULL, &member));
    CHECK_CONTAINS(member, "\"id\":\"member-a\"");
    CHECK_CONTAINS(member, "\"sub_groups\":[\"default\"]");
    gr_string_free(member);
    CHECK_OK(gr_join(b, NULL, "{\"port\":7001}", NULL));

    char *members = NULL;
    CHECK_OK(gr_members(a, &members));
    CHECK_CONTAINS(members, "\"id\":\"member-a\"");
    CHECK_CONTAINS(members, "\"payload\":{\"port\":7001}");
    /* Sorted by id: a before b. */
    CHECK(members && strstr(members, "member-a") < strstr(members, "member-b"));
    gr_string_free(members);

    bool left = false;
    CHECK_OK(gr_leave(b, NULL, &left));
    CHECK(left);
    CHECK_OK(gr_leave(b, NULL, &left));
    CHECK(!left);
    CHECK_OK(gr_members(a, &members));
    CHECK(members && strstr(members, "member-b") == NULL);
    gr_string_free(members);

    CHECK_OK(gr_connector_close(a));
    CHECK_OK(gr_connector_close(b));
    gr_connector_free(a);
    gr_connector_free(b);
}

static void identity_and_state(void) {
    char group[128];
    unique_group(group, sizeof group, "identity");
    gr_connector *conn = connect_as(group, "me");
    char *text = NULL;
    CHECK_OK(gr_connector_member_id(conn, &text));
    CHECK_STR(text, "me");
    gr_string_free(text);
    CHECK_OK(gr_connector_session_id(conn, &text));
    CHECK(text != NULL && strlen(text) == 32);
    gr_string_free(text);
    gr_connection_state state = GR_STATE_NONE;
    CHECK_OK(gr_connector_state(conn, &state));
    CHECK(state == GR_STATE_CONNECTED);
    CHECK_OK(gr_connector_close(conn));
    CHECK_OK(gr_connector_state(conn, &state));
    CHECK(state == GR_STATE_CLOSED);
    CHECK_OK(gr_connector_close(conn)); /* idempotent */
    gr_connector_free(conn);

    /* Without options: the default member id is <hostname>-<pid>. */
    CHECK_OK(gr_connect(redis_url(), NULL, &conn));
    CHECK_OK(gr_connector_member_id(conn, &text));
    char suffix[32];
    snprintf(suffix, sizeof suffix, "-%ld", (long)getpid());
    CHECK(text && strlen(text) > strlen(suffix) &&
          strcmp(text + strlen(text) - strlen(suffix), suffix) == 0);
    gr_string_free(text);
    gr_connector_free(conn); /* closes it */
}

static void sub_groups_and_payload(void) {
    char group[128];
    unique_group(group, sizeof group, "subgroups");
    gr_options *options = NULL;
    gr_connector *conn = NULL;
    const char *initial[] = {"readers", "writers"};
    CHECK_OK(gr_options_new(&options));
    CHECK_OK(gr_options_set_group(options, group));
    CHECK_OK(gr_options_set_member_id(options, "worker"));
    CHECK_OK(gr_options_set_sub_groups(options, initial, 2));
    CHECK_OK(gr_options_set_payload(options, "{\"role\":\"primary\"}"));
    CHECK_OK(gr_connect(redis_url(), options, &conn));
    gr_options_free(options);

    CHECK_OK(gr_join(conn, NULL, NULL, NULL));
    char *members = NULL;
    CHECK_OK(gr_members(conn, &members));
    CHECK_CONTAINS(members, "\"sub_groups\":[\"readers\",\"writers\"]");
    CHECK_CONTAINS(members, "\"payload\":{\"role\":\"primary\"}");
    gr_string_free(members);

    CHECK_OK(gr_add_sub_group(conn, "admins"));
    CHECK_OK(gr_remove_sub_group(conn, "readers"));
    char *sub_groups = NULL;
    CHECK_OK(gr_sub_groups(conn, &sub_groups));
    CHECK_STR(sub_groups, "[\"writers\",\"admins\"]");
    gr_string_free(sub_groups);
    CHECK_OK(gr_update_payload(conn, NULL, "{\"role\":\"standby\"}"));
    CHECK_OK(gr_members(conn, &members));
    CHECK_CONTAINS(members, "\"sub_groups\":[\"writers\",\"admins\"]");
    CHECK_CONTAINS(members, "\"payload\":{\"role\":\"standby\"}");
    gr_string_free(members);
    gr_connector_free(conn);
}

static void lock_sequence_from_the_seed_docs(void) {
    char group[128];
    unique_group(group, sizeof group, "lock");
    gr_connector *c = connect_as(group, "me");
    uint64_t token = 0, second = 0;
    CHECK_OK(gr_lock(c, "my-lock", &token));
    CHECK(token >= 1);
    bool held = false;
    CHECK_OK(gr_is_held(c, "my-lock", &held));
    CHECK(held);
    uint64_t held_token = 0;
    CHECK_OK(gr_held_token(c, "my-lock", &held_token));
    CHECK(held_token == token);
    CHECK_OK(gr_lock(c, "my-lock", &second));
    CHECK(second == 0); /* not re-entrant */
    CHECK_STATUS(gr_release_as(c, "another-member", "my-lock"), GR_LOCK_NOT_HELD);
    CHECK_CONTAINS(gr_last_error(), "not held");
    CHECK_OK(gr_release(c, "my-lock"));
    CHECK_STATUS(gr_release(c, "my-lock"), GR_LOCK_NOT_HELD);
    CHECK_OK(gr_is_held(c, "my-lock", &held));
    CHECK(!held);
    CHECK_OK(gr_held_token(c, "my-lock", &held_token));
    CHECK(held_token == 0);

    /* Fencing tokens only grow. */
    CHECK_OK(gr_lock(c, "my-lock", &second));
    CHECK(second > token);
    CHECK_OK(gr_release(c, "my-lock"));
    gr_connector_free(c);
}

static void reentrant_lock_sequence_from_the_seed_docs(void) {
    char group[128];
    unique_group(group, sizeof group, "reentrant");
    gr_connector *c = connect_as(group, "me");
    uint64_t first = 0, second = 0, other = 7;
    CHECK_OK(gr_reentrant_lock(c, "r", &first));
    CHECK_OK(gr_reentrant_lock(c, "r", &second));
    CHECK(first >= 1 && first == second);
    CHECK_OK(gr_reentrant_lock_as(c, "another-member", "r", &other));
    CHECK(other == 0);
    CHECK_STATUS(gr_release_as(c, "another-member", "r"), GR_LOCK_NOT_HELD);
    CHECK_OK(gr_release(c, "r"));
    bool held = false;
    CHECK_OK(gr_is_held(c, "r", &held));
    CHECK(held); /* one hold remains */
    CHECK_OK(gr_release(c, "r"));
    CHECK_OK(gr_is_held(c, "r", &held));
    CHECK(!held);
    CHECK_STATUS(gr_release(c, "r"), GR_LOCK_NOT_HELD);
    gr_connector_free(c);
}

static void lock_on_behalf_of_another_member(void) {
    char group[128];
    unique_group(group, sizeof group, "behalf");
    gr_connector *c = connect_as(group, "me");
    uint64_t token = 0;
    CHECK_OK(gr_lock_as(c, "worker-7", "job", &token));
    CHECK(token >= 1);
    CHECK_OK(gr_lock(c, "job", &token));
    CHECK(token == 0);
    CHECK_STATUS(gr_release(c, "job"), GR_LOCK_NOT_HELD);
    CHECK_OK(gr_release_as(c, "worker-7", "job"));
    /* The general form, on behalf of a member, re-entrant. */
    CHECK_OK(gr_acquire(c, "worker-8", "job", true, 0, &token));
    CHECK(token >= 1);
    CHECK_OK(gr_release_as(c, "worker-8", "job"));
    gr_connector_free(c);
}

/* Who holds a lock, asked from another connector: member, session and token, then none. */
static void lock_holder_from_another_connector(void) {
    char group[128];
    unique_group(group, sizeof group, "holder");
    gr_connector *holder = connect_as(group, "holder");
    gr_connector *asker = connect_as(group, "asker");
    char *text = (char *)"sentinel";
    CHECK_OK(gr_lock_holder(asker, "job", &text));
    CHECK(text == NULL);
    uint64_t token = 0;
    CHECK_OK(gr_lock_as(holder, "worker-9", "job", &token));
    CHECK(token >= 1);
    char *session = NULL;
    CHECK_OK(gr_connector_session_id(holder, &session));
    char expected[256];
    snprintf(expected, sizeof expected,
             "{\"member\":\"worker-9\",\"session\":\"%s\",\"token\":%" PRIu64 "}", session,
             token);
    CHECK_OK(gr_lock_holder(asker, "job", &text));
    CHECK_STR(text, expected);
    gr_string_free(text);
    gr_string_free(session);
    CHECK_OK(gr_release_as(holder, "worker-9", "job"));
    CHECK_OK(gr_lock_holder(asker, "job", &text));
    CHECK(text == NULL);
    CHECK_STATUS(gr_lock_holder(asker, "", &text), GR_INVALID_ARGUMENT);
    gr_connector_free(holder);
    gr_connector_free(asker);
}

static void try_lock_waits_for_the_release(void) {
    char group[128];
    unique_group(group, sizeof group, "trylock");
    gr_connector *holder = connect_as(group, "holder");
    gr_connector *waiter = connect_as(group, "waiter");
    uint64_t token = 0, waited = 0;
    CHECK_OK(gr_lock(holder, "shared", &token));
    /* Busy: a short wait runs out. */
    CHECK_OK(gr_try_lock(waiter, "shared", 50, &waited));
    CHECK(waited == 0);
    /* Closing the holder frees the lock; the waiter gets it with a larger token. */
    CHECK_OK(gr_connector_close(holder));
    CHECK_OK(gr_try_lock(waiter, "shared", PATIENCE_MS, &waited));
    CHECK(waited > token);
    gr_connector_free(holder);
    gr_connector_free(waiter);
}

static void ephemeral_and_persistent_round_trips(void) {
    char group[128];
    unique_group(group, sizeof group, "data");
    gr_connector *c = connect_as(group, "me");
    gr_connector *other = connect_as(group, "other");
    char *text = NULL;

    CHECK_OK(gr_ephemeral_set(c, "mykey1", "1"));
    CHECK_OK(gr_ephemeral_get(c, "mykey1", &text));
    CHECK_STR(text, "1");
    gr_string_free(text);
    CHECK_OK(gr_ephemeral_set(c, "mykey1", "{\"replaced\":true}"));
    CHECK_OK(gr_ephemeral_set(c, "mykey2", "[1,2]"));
    CHECK_OK(gr_ephemeral_get(other, "mykey1", &text));
    CHECK_STR(text, "{\"replaced\":true}");
    gr_string_free(text);
    CHECK_OK(gr_ephemeral_list(other, "mykey", &text));
    CHECK_STR(text, "{\"mykey1\":{\"replaced\":true},\"mykey2\":[1,2]}");
    gr_string_free(text);
    CHECK_STATUS(gr_ephemeral_set(other, "mykey1", "2"), GR_KEY_OWNED);
    bool deleted = false;
    CHECK_OK(gr_ephemeral_delete(c, "mykey2", &deleted));
    CHECK(deleted);
    CHECK_OK(gr_ephemeral_get(c, "mykey2", &text));
    CHECK(text == NULL);

    const char *doc = "{\"a\":[1,2.5,\"x\",null,true],\"b\":{\"c\":-3},\"u\":\"\\u00e9\\u4e2d\"}";
    uint64_t version = 0;
    CHECK_OK(gr_persistent_set(c, "config/x", doc, &version));
    CHECK(version == 1);
    CHECK_OK(gr_persistent_get(other, "config/x", &text));
    CHECK_STR(text, "{\"value\":{\"a\":[1,2.5,\"x\",null,true],\"b\":{\"c\":-3},"
                    "\"u\":\"\xc3\xa9\xe4\xb8\xad\"},\"version\":1}");
    gr_string_free(text);
    CHECK_OK(gr_persistent_get(c, "missing", &text));
    CHECK(text == NULL);

    /* Compare-and-set by version. */
    uint64_t new_version = 0;
    CHECK_OK(gr_persistent_cas(c, "config/x", 1, "\"v2\"", &new_version));
    CHECK(new_version == 2);
    CHECK_OK(gr_persistent_cas(other, "config/x", 1, "\"stale\"", &new_version));
    CHECK(new_version == 0);
    CHECK_OK(gr_persistent_cas(c, "config/new", 0, "true", &new_version));
    CHECK(new_version == 1);
    CHECK_OK(gr_persistent_get(c, "config/x", &text));
    CHECK_STR(text, "{\"value\":\"v2\",\"version\":2}");
    gr_string_free(text);

    /* Atomic set_many, then a prefix list. */
    CHECK_OK(gr_persistent_set_many(c, "[[\"config/y\", 10], [\"config/z\", {\"k\": \"v\"}]]",
                                    &text));
    CHECK_STR(text, "[1,1]");
    gr_string_free(text);
    CHECK_OK(gr_persistent_list(other, "config/", &text));
    CHECK_STR(text, "[{\"path\":\"config/new\",\"value\":true,\"version\":1},"
                    "{\"path\":\"config/x\",\"value\":\"v2\",\"version\":2},"
                    "{\"path\":\"config/y\",\"value\":10,\"version\":1},"
                    "{\"path\":\"config/z\",\"value\":{\"k\":\"v\"},\"version\":1}]");
    gr_string_free(text);
    CHECK_OK(gr_persistent_delete(c, "config/y", &deleted));
    CHECK(deleted);
    CHECK_OK(gr_persistent_delete(c, "config/y", &deleted));
    CHECK(!deleted);

    /* Ephemeral data dies with its session; persistent data stays. */
    CHECK_OK(gr_connector_close(c));
    CHECK_OK(gr_ephemeral_get(other, "mykey1", &text));
    CHECK(text == NULL);
    CHECK_OK(gr_persistent_get(other, "config/z", &text));
    CHECK_STR(text, "{\"value\":{\"k\":\"v\"},\"version\":1}");
    gr_string_free(text);
    gr_connector_free(c);
    gr_connector_free(other);
}

/* Threads of one connector contend for one lock: at most one inside at a time, and the
 * fencing tokens seen inside only grow. */
#define LOCK_THREADS 4
#define LOCK_ROUNDS 25

struct contention {
    gr_connector *conn;
    int inside;         /* threads inside the critical section: must stay <= 1 */
    int overlaps;       /* times a thread found someone else inside */
    uint64_t last_token;
    int token_regressions;
    int acquired;
    int errors;
    pthread_mutex_t mutex; /* guards the counters, not the critical section */
};

static void *contend(void *arg) {
    struct contention *c = arg;
    for (int round = 0; round < LOCK_ROUNDS; round++) {
        uint64_t token = 0;
        if (gr_try_lock(c->conn, "contended", PATIENCE_MS, &token) != GR_OK || token == 0) {
            pthread_mutex_lock(&c->mutex);
            c->errors++;
            pthread_mutex_unlock(&c->mutex);
            continue;
        }
        pthread_mutex_lock(&c->mutex);
        if (c->inside++ != 0) c->overlaps++;
        if (token <= c->last_token) c->token_regressions++;
        c->last_token = token;
        c->acquired++;
        pthread_mutex_unlock(&c->mutex);
        sched_yield(); /* give another thread the chance to break in if it could */
        pthread_mutex_lock(&c->mutex);
        c->inside--;
        pthread_mutex_unlock(&c->mutex);
        if (gr_release(c->conn, "contended") != GR_OK) {
            pthread_mutex_lock(&c->mutex);
            c->errors++;
            pthread_mutex_unlock(&c->mutex);
        }
    }
    return NULL;
}

static void threads_contend_for_one_lock(void) {
    char group[128];
    unique_group(group, sizeof group, "contend");
    struct contention c;
    memset(&c, 0, sizeof c);
    pthread_mutex_init(&c.mutex, NULL);
    c.conn = connect_as(group, "threads");
    pthread_t threads[LOCK_THREADS];
    for (int i = 0; i < LOCK_THREADS; i++) pthread_create(&threads[i], NULL, contend, &c);
    for (int i = 0; i < LOCK_THREADS; i++) pthread_join(threads[i], NULL);
    CHECK(c.errors == 0);
    CHECK(c.overlaps == 0);
    CHECK(c.token_regressions == 0);
    CHECK(c.acquired == LOCK_THREADS * LOCK_ROUNDS);
    pthread_mutex_destroy(&c.mutex);
    gr_connector_free(c.conn);
}

int main(void) {
    printf("group_redis %s\n", gr_version());
    RUN(join_two_and_get_members);
    RUN(identity_and_state);
    RUN(sub_groups_and_payload);
    RUN(lock_sequence_from_the_seed_docs);
    RUN(reentrant_lock_sequence_from_the_seed_docs);
    RUN(lock_on_behalf_of_another_member);
    RUN(lock_holder_from_another_connector);
    RUN(try_lock_waits_for_the_release);
    RUN(ephemeral_and_persistent_round_trips);
    RUN(threads_contend_for_one_lock);
    return finish("test_seed");
}
