/*
 * Every kind of bad input through the C ABI gives a clear status and text, never a crash:
 * NULL pointers, invalid UTF-8, empty and oversized names, bad JSON, a closed connector,
 * Redis down. Run under valgrind by run.sh, so a wild read or leak shows up too.
 */
#include "test_common.h"

#define BAD_UTF8 "bad\xff\xfename"

static char oversized[2000];

static void status_names_and_version(void) {
    CHECK_STR(gr_status_name(GR_OK), "GR_OK");
    CHECK_STR(gr_status_name(GR_LOCK_NOT_HELD), "GR_LOCK_NOT_HELD");
    CHECK_STR(gr_status_name(GR_PANIC), "GR_PANIC");
    CHECK_STR(gr_status_name(GR_LEASE_IN_DOUBT), "GR_LEASE_IN_DOUBT");
    CHECK_STR(gr_status_name(-1), "GR_UNKNOWN_STATUS");
    CHECK_STR(gr_status_name(9999), "GR_UNKNOWN_STATUS");
    /* The header's macros and the loaded library agree (both come from the crate version). */
    CHECK_STR(gr_version(), GROUP_REDIS_VERSION);
    {
        char from_parts[32];
        snprintf(from_parts, sizeof from_parts, "%d.%d.%d", GROUP_REDIS_VERSION_MAJOR,
                 GROUP_REDIS_VERSION_MINOR, GROUP_REDIS_VERSION_PATCH);
        CHECK_STR(from_parts, GROUP_REDIS_VERSION);
    }
#if GROUP_REDIS_VERSION_MAJOR == 0
    CHECK(GROUP_REDIS_VERSION_MINOR >= 1);
#endif
    /* Free functions accept NULL. */
    gr_string_free(NULL);
    gr_options_free(NULL);
    gr_connector_free(NULL);
    gr_subscription_free(NULL);
}

static void connect_refuses_bad_arguments(void) {
    gr_connector *conn = (gr_connector *)&conn; /* must be reset to NULL on error */
    CHECK_STATUS(gr_connect(NULL, NULL, &conn), GR_NULL_ARGUMENT);
    CHECK(conn == NULL);
    CHECK_CONTAINS(gr_last_error(), "url is NULL");
    CHECK_STATUS(gr_connect(redis_url(), NULL, NULL), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_connect("not a url", NULL, &conn), GR_INVALID_ARGUMENT);
    CHECK_CONTAINS(gr_last_error(), "URL");
    CHECK_STATUS(gr_connect("redis://" BAD_UTF8, NULL, &conn), GR_INVALID_ARGUMENT);
    CHECK_CONTAINS(gr_last_error(), "UTF-8");

    /* The error text is per thread and cleared by the next success. */
    CHECK_STR(gr_status_name(GR_OK), "GR_OK"); /* not a status-returning call */
    CHECK(strlen(gr_last_error()) > 0);
    gr_options *options = NULL;
    CHECK_OK(gr_options_new(&options));
    CHECK_STR(gr_last_error(), "");

    CHECK_STATUS(gr_options_new(NULL), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_options_set_group(NULL, "g"), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_options_set_group(options, NULL), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_options_set_member_id(options, BAD_UTF8), GR_INVALID_ARGUMENT);
    CHECK_STATUS(gr_options_set_payload(options, "{\"unclosed\": "), GR_INVALID_JSON);
    CHECK_CONTAINS(gr_last_error(), "payload_json is not valid JSON");
    CHECK_STATUS(gr_options_set_tls_root_cert(options, NULL), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_options_set_sub_groups(options, NULL, 2), GR_NULL_ARGUMENT);
    const char *with_null[] = {"ok", NULL};
    CHECK_STATUS(gr_options_set_sub_groups(options, with_null, 2), GR_NULL_ARGUMENT);
    CHECK_CONTAINS(gr_last_error(), "sub_groups[1]");

    /* Values are checked when connecting. */
    CHECK_OK(gr_options_set_group(options, "has{brace}"));
    CHECK_STATUS(gr_connect(redis_url(), options, &conn), GR_INVALID_ARGUMENT);
    CHECK_CONTAINS(gr_last_error(), "group");
    CHECK_OK(gr_options_set_group(options, ""));
    CHECK_STATUS(gr_connect(redis_url(), options, &conn), GR_INVALID_ARGUMENT);
    CHECK_OK(gr_options_set_group(options, "fine"));
    CHECK_OK(gr_options_set_session_timeout_ms(options, 10));
    CHECK_STATUS(gr_connect(redis_url(), options, &conn), GR_INVALID_ARGUMENT);
    CHECK_CONTAINS(gr_last_error(), "session timeout");
    CHECK_OK(gr_options_set_session_timeout_ms(options, 1000));
    CHECK_OK(gr_options_set_heartbeat_ms(options, 5000));
    CHECK_STATUS(gr_connect(redis_url(), options, &conn), GR_INVALID_ARGUMENT);
    CHECK_CONTAINS(gr_last_error(), "heartbeat");
    CHECK_OK(gr_options_set_heartbeat_ms(options, 300));
    CHECK_OK(gr_options_set_command_timeout_ms(options, 0));
    CHECK_STATUS(gr_connect(redis_url(), options, &conn), GR_INVALID_ARGUMENT);
    const char *empty_sub_group[] = {""};
    CHECK_OK(gr_options_set_command_timeout_ms(options, 2000));
    CHECK_OK(gr_options_set_sub_groups(options, empty_sub_group, 1));
    CHECK_STATUS(gr_connect(redis_url(), options, &conn), GR_INVALID_ARGUMENT);
    CHECK(conn == NULL);
    gr_options_free(options);

    /* A CA certificate that is not one: an error at connect, not a crash. */
    CHECK_OK(gr_options_new(&options));
    CHECK_OK(gr_options_set_tls_root_cert(options, "not a certificate"));
    CHECK(gr_connect("rediss://127.0.0.1:1", options, &conn) != GR_OK);
    CHECK(conn == NULL && strlen(gr_last_error()) > 0);
    gr_options_free(options);
}

static void redis_down_is_a_connection_error(void) {
    /* Port 1 on loopback: nothing listens there. */
    gr_options *options = NULL;
    gr_connector *conn = NULL;
    CHECK_OK(gr_options_new(&options));
    CHECK_OK(gr_options_set_command_timeout_ms(options, 1000));
    gr_status status = gr_connect("redis://127.0.0.1:1", options, &conn);
    CHECK(status == GR_CONNECTION || status == GR_TIMEOUT);
    CHECK(conn == NULL);
    CHECK(strlen(gr_last_error()) > 0);
    /* The password never shows in the error text. */
    status = gr_connect("redis://user:hunter2secret@127.0.0.1:1", options, &conn);
    CHECK(status == GR_CONNECTION || status == GR_TIMEOUT);
    CHECK(strstr(gr_last_error(), "hunter2secret") == NULL);
    gr_options_free(options);
}

static void operations_refuse_bad_arguments(void) {
    char group[128];
    unique_group(group, sizeof group, "bad");
    gr_connector *c = connect_as(group, "me");
    char *text = (char *)"sentinel";
    uint64_t token = 42;
    bool flag = true;

    /* NULL connector everywhere. */
    CHECK_STATUS(gr_join(NULL, NULL, NULL, NULL), GR_NULL_ARGUMENT);
    CHECK_CONTAINS(gr_last_error(), "connector is NULL");
    CHECK_STATUS(gr_members(NULL, &text), GR_NULL_ARGUMENT);
    CHECK(text == NULL);
    CHECK_STATUS(gr_lock(NULL, "x", &token), GR_NULL_ARGUMENT);
    CHECK(token == 0);
    CHECK_STATUS(gr_release(NULL, "x"), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_connector_close(NULL), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_connector_state(NULL, NULL), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_ephemeral_set(NULL, "k", "1"), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_persistent_get(NULL, "k", &text), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_subscribe_state(NULL, NULL), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_watch(NULL, "p", 0, NULL), GR_NULL_ARGUMENT);
    /* A NULL subscription handle, for every generic operation. */
    CHECK_STATUS(gr_subscription_next(NULL, 0, &text), GR_NULL_ARGUMENT);
    CHECK(text == NULL);
    CHECK_STATUS(gr_subscription_snapshot(NULL, &text), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_subscription_listen(NULL, NULL, NULL, NULL), GR_NULL_ARGUMENT);

    /* NULL required arguments and out-parameters. */
    CHECK_STATUS(gr_lock(c, NULL, &token), GR_NULL_ARGUMENT);
    CHECK_CONTAINS(gr_last_error(), "name is NULL");
    CHECK_STATUS(gr_lock(c, "x", NULL), GR_NULL_ARGUMENT);
    /* Local answers check names as every call does (the core checks them once). */
    CHECK_STATUS(gr_held_token(c, "", &token), GR_INVALID_ARGUMENT);
    CHECK(token == 0);
    CHECK_STATUS(gr_is_held(c, "", &flag), GR_INVALID_ARGUMENT);
    CHECK(!flag);
    CHECK_STATUS(gr_lock_holder(c, NULL, &text), GR_NULL_ARGUMENT);
    CHECK(text == NULL);
    CHECK_STATUS(gr_lock_as(c, NULL, "x", &token), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_release_as(c, NULL, NULL), GR_NULL_ARGUMENT);
    /* A NULL member is the configured one (the seed API's release(conn, member, name)). */
    CHECK_STATUS(gr_release_as(c, NULL, "x"), GR_LOCK_NOT_HELD);
    CHECK_STATUS(gr_reentrant_lock_as(c, NULL, "x", &token), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_members(c, NULL), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_take_restore_failures(c, NULL), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_take_restore_failures(NULL, &text), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_take_restore_failures(c, &text), GR_OK);
    CHECK(strcmp(text, "[]") == 0); /* nothing was lost, nothing to restore */
    gr_string_free(text);
    text = NULL;
    CHECK_STATUS(gr_is_held(c, "x", NULL), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_ephemeral_get(c, "k", NULL), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_ephemeral_set(c, "k", NULL), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_persistent_set(c, NULL, "1", NULL), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_persistent_cas(c, "p", 0, "1", NULL), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_update_payload(c, NULL, NULL), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_add_sub_group(c, NULL), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_subscribe_members(c, NULL), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_watch_ephemeral(c, "p", 0, NULL), GR_NULL_ARGUMENT);
    {
        /* The generic operations' NULL out-parameters, on a live subscription. */
        gr_subscription *sub = NULL;
        CHECK_OK(gr_subscribe_state(c, &sub));
        CHECK_STATUS(gr_subscription_next(sub, 0, NULL), GR_NULL_ARGUMENT);
        CHECK_STATUS(gr_subscription_snapshot(sub, NULL), GR_NULL_ARGUMENT);
        gr_subscription_free(sub);
    }

    /* Empty, oversized and non-UTF-8 names. */
    CHECK_STATUS(gr_lock(c, "", &token), GR_INVALID_ARGUMENT);
    CHECK_CONTAINS(gr_last_error(), "must not be empty");
    CHECK_STATUS(gr_lock(c, oversized, &token), GR_INVALID_ARGUMENT);
    CHECK_CONTAINS(gr_last_error(), "more than 1024");
    CHECK_STATUS(gr_lock(c, BAD_UTF8, &token), GR_INVALID_ARGUMENT);
    CHECK_CONTAINS(gr_last_error(), "not valid UTF-8");
    CHECK_STATUS(gr_join(c, "", NULL, NULL), GR_INVALID_ARGUMENT);
    CHECK_STATUS(gr_join(c, oversized, NULL, NULL), GR_INVALID_ARGUMENT);
    CHECK_STATUS(gr_join(c, BAD_UTF8, NULL, NULL), GR_INVALID_ARGUMENT);
    CHECK_STATUS(gr_leave(c, "", &flag), GR_INVALID_ARGUMENT);
    CHECK(!flag);
    CHECK_STATUS(gr_add_sub_group(c, ""), GR_INVALID_ARGUMENT);
    CHECK_STATUS(gr_ephemeral_set(c, "", "1"), GR_INVALID_ARGUMENT);
    CHECK_STATUS(gr_ephemeral_get(c, oversized, &text), GR_INVALID_ARGUMENT);
    CHECK_STATUS(gr_persistent_set(c, BAD_UTF8, "1", NULL), GR_INVALID_ARGUMENT);
    {
        gr_subscription *sub = (gr_subscription *)&sub; /* must be reset to NULL */
        CHECK_STATUS(gr_watch(c, BAD_UTF8, 0, &sub), GR_INVALID_ARGUMENT);
        CHECK_CONTAINS(gr_last_error(), "prefix is not valid UTF-8");
        CHECK(sub == NULL);
        CHECK_STATUS(gr_watch_ephemeral(c, BAD_UTF8, 0, &sub), GR_INVALID_ARGUMENT);
        CHECK(sub == NULL);
    }
    CHECK_STATUS(gr_persistent_delete(c, "", &flag), GR_INVALID_ARGUMENT);
    CHECK_STATUS(gr_persistent_list(c, BAD_UTF8, &text), GR_INVALID_ARGUMENT);
    CHECK_STATUS(gr_acquire(c, "", "x", false, 0, &token), GR_INVALID_ARGUMENT);
    CHECK_STATUS(gr_is_held(c, BAD_UTF8, &flag), GR_INVALID_ARGUMENT);

    /* Bad JSON. */
    const char *bad_json[] = {"", "{", "{\"a\":}", "[1,2", "NaN", "1 2", "'single'", "undefined",
                              "{\"a\":1}}", "\"unterminated", "\xff"};
    for (size_t i = 0; i < sizeof bad_json / sizeof *bad_json; i++) {
        gr_status status = gr_persistent_set(c, "p", bad_json[i], NULL);
        /* Invalid UTF-8 is caught before parsing; everything else by the parser. */
        CHECK(status == (i == sizeof bad_json / sizeof *bad_json - 1 ? GR_INVALID_ARGUMENT
                                                                       : GR_INVALID_JSON));
    }
    CHECK_STATUS(gr_ephemeral_set(c, "k", "{"), GR_INVALID_JSON);
    CHECK_STATUS(gr_join(c, NULL, "[", NULL), GR_INVALID_JSON);
    CHECK_STATUS(gr_update_payload(c, NULL, "}"), GR_INVALID_JSON);
    CHECK_STATUS(gr_persistent_cas(c, "p", 0, "nope", &token), GR_INVALID_JSON);
    CHECK(token == 0);

    /* Oversized payload (the limit is 64 KiB of JSON). */
    size_t size = 70 * 1024;
    char *big = malloc(size + 3);
    big[0] = '"';
    memset(big + 1, 'x', size);
    big[size + 1] = '"';
    big[size + 2] = '\0';
    CHECK_STATUS(gr_join(c, NULL, big, NULL), GR_INVALID_ARGUMENT);
    CHECK_CONTAINS(gr_last_error(), "payload");
    free(big);

    /* set_many is all or nothing: a bad value at index 1 writes nothing. */
    CHECK_STATUS(gr_persistent_set_many(c, "[[\"many/a\", 1], [\"many/b\", {oops]]", &text),
                 GR_INVALID_JSON);
    CHECK(text == NULL);
    CHECK_STATUS(gr_persistent_set_many(c, "[[\"many/a\", 1], [\"\", 2]]", &text),
                 GR_INVALID_ARGUMENT);
    CHECK_STATUS(gr_persistent_set_many(c, "[[\"many/a\", 1], [\"many/b\"]]", NULL),
                 GR_INVALID_ARGUMENT);
    CHECK_CONTAINS(gr_last_error(), "[path, value] pairs");
    CHECK_OK(gr_persistent_get(c, "many/a", &text));
    CHECK(text == NULL);
    CHECK_STATUS(gr_persistent_set_many(c, NULL, &text), GR_NULL_ARGUMENT);
    CHECK_OK(gr_persistent_set_many(c, "[]", NULL)); /* nothing to do */

    /* update_payload of a member this connector did not join. */
    CHECK_STATUS(gr_update_payload(c, "stranger", "1"), GR_INVALID_ARGUMENT);

    /* Another session's member id. */
    CHECK_OK(gr_join(c, NULL, NULL, NULL));
    gr_connector *thief = connect_as(group, "thief");
    CHECK_STATUS(gr_join(thief, "me", NULL, NULL), GR_MEMBER_EXISTS);
    gr_connector_free(thief);

    /* The connector still works after all that. */
    CHECK_OK(gr_lock(c, "x", &token));
    CHECK(token >= 1);
    gr_connector_free(c);
}

static void a_closed_connector_refuses_everything(void) {
    char group[128];
    unique_group(group, sizeof group, "closed");
    gr_connector *c = connect_as(group, "me");
    CHECK_OK(gr_join(c, NULL, NULL, NULL));
    CHECK_OK(gr_connector_close(c));
    char *text = NULL;
    uint64_t token = 0;
    bool flag = false;
    gr_subscription *pull = NULL;
    gr_subscription *state_pull = NULL;
    gr_subscription *sub = NULL;
    CHECK_STATUS(gr_join(c, NULL, NULL, NULL), GR_CLOSED);
    CHECK_CONTAINS(gr_last_error(), "closed");
    CHECK_STATUS(gr_leave(c, NULL, &flag), GR_CLOSED);
    CHECK_STATUS(gr_members(c, &text), GR_CLOSED);
    CHECK_STATUS(gr_take_restore_failures(c, &text), GR_CLOSED);
    CHECK_STATUS(gr_update_payload(c, NULL, "1"), GR_CLOSED);
    CHECK_STATUS(gr_add_sub_group(c, "s"), GR_CLOSED);
    CHECK_STATUS(gr_remove_sub_group(c, "s"), GR_CLOSED);
    CHECK_STATUS(gr_sub_groups(c, &text), GR_CLOSED);
    CHECK_STATUS(gr_connector_session_id(c, &text), GR_CLOSED);
    CHECK_STATUS(gr_connector_member_id(c, &text), GR_CLOSED);
    CHECK_STATUS(gr_lock(c, "x", &token), GR_CLOSED);
    CHECK_STATUS(gr_try_lock(c, "x", 1000, &token), GR_CLOSED);
    CHECK_STATUS(gr_reentrant_lock(c, "x", &token), GR_CLOSED);
    CHECK_STATUS(gr_release(c, "x"), GR_CLOSED);
    CHECK_STATUS(gr_is_held(c, "x", &flag), GR_CLOSED);
    CHECK_STATUS(gr_held_token(c, "x", &token), GR_CLOSED);
    CHECK_STATUS(gr_ephemeral_set(c, "k", "1"), GR_CLOSED);
    CHECK_STATUS(gr_ephemeral_get(c, "k", &text), GR_CLOSED);
    CHECK_STATUS(gr_ephemeral_delete(c, "k", &flag), GR_CLOSED);
    CHECK_STATUS(gr_ephemeral_list(c, NULL, &text), GR_CLOSED);
    CHECK_STATUS(gr_persistent_set(c, "p", "1", &token), GR_CLOSED);
    CHECK_STATUS(gr_persistent_get(c, "p", &text), GR_CLOSED);
    CHECK_STATUS(gr_persistent_delete(c, "p", &flag), GR_CLOSED);
    CHECK_STATUS(gr_persistent_list(c, "", &text), GR_CLOSED);
    CHECK_STATUS(gr_persistent_set_many(c, "[[\"p\", 1]]", NULL), GR_CLOSED);
    CHECK_STATUS(gr_persistent_cas(c, "p", 0, "1", &token), GR_CLOSED);
    CHECK_STATUS(gr_subscribe_members(c, &pull), GR_CLOSED);
    CHECK_STATUS(gr_subscribe_state(c, &state_pull), GR_CLOSED);
    CHECK_STATUS(gr_watch(c, "p", 0, &sub), GR_CLOSED);
    CHECK_STATUS(gr_watch_ephemeral(c, NULL, 0, &sub), GR_CLOSED);
    CHECK(text == NULL && pull == NULL && state_pull == NULL && sub == NULL);
    CHECK_OK(gr_connector_close(c));
    gr_connection_state state = GR_STATE_NONE;
    CHECK_OK(gr_connector_state(c, &state));
    CHECK(state == GR_STATE_CLOSED);
    gr_connector_free(c);
}

/* Many threads hammer one connector with good and bad calls while another closes it: each
 * call either works or fails with a status; nothing crashes. */
struct hammer {
    gr_connector *conn;
    int unexpected;
    pthread_mutex_t mutex;
};

static void *hammer_thread(void *arg) {
    struct hammer *h = arg;
    for (int i = 0; i < 200; i++) {
        uint64_t token = 0;
        gr_status s1 = gr_lock(h->conn, i % 2 ? "ham" : "", &token);
        gr_status s2 = gr_persistent_set(h->conn, "ham/p", i % 3 ? "1" : "{", NULL);
        if (s1 == GR_OK && token) gr_release(h->conn, "ham");
        int bad = !(s1 == GR_OK || s1 == GR_INVALID_ARGUMENT || s1 == GR_CLOSED) ||
                  !(s2 == GR_OK || s2 == GR_INVALID_JSON || s2 == GR_CLOSED);
        if (bad) {
            fprintf(stderr, "  unexpected: lock %s, persistent_set %s: %s\n", gr_status_name(s1),
                    gr_status_name(s2), gr_last_error());
            pthread_mutex_lock(&h->mutex);
            h->unexpected++;
            pthread_mutex_unlock(&h->mutex);
        }
    }
    return NULL;
}

static void many_threads_and_a_close(void) {
    char group[128];
    unique_group(group, sizeof group, "hammer");
    struct hammer h;
    memset(&h, 0, sizeof h);
    pthread_mutex_init(&h.mutex, NULL);
    h.conn = connect_as(group, "me");
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) pthread_create(&threads[i], NULL, hammer_thread, &h);
    CHECK_OK(gr_connector_close(h.conn));
    for (int i = 0; i < 4; i++) pthread_join(threads[i], NULL);
    CHECK(h.unexpected == 0);
    pthread_mutex_destroy(&h.mutex);
    gr_connector_free(h.conn);
}

int main(void) {
    memset(oversized, 'n', sizeof oversized - 1);
    oversized[sizeof oversized - 1] = '\0';
    RUN(status_names_and_version);
    RUN(connect_refuses_bad_arguments);
    RUN(redis_down_is_a_connection_error);
    RUN(operations_refuse_bad_arguments);
    RUN(a_closed_connector_refuses_everything);
    RUN(many_threads_and_a_close);
    return finish("test_bad_input");
}
