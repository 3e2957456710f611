/*
 * Membership and connection-state events through the one subscription handle
 * (gr_subscription): pull style from several threads at once (each event to exactly one),
 * callback style (gr_subscription_listen) on the library's dispatcher thread (destroy after
 * the last callback, free from inside a callback), and the end of every subscription when
 * the connector closes. Data watches use the same handle: test_watch.c.
 */
#include "test_common.h"

#define JOINERS 8
#define PULLERS 4

/* ---- pull style, several threads on one subscription ---- */

struct pull_state {
    gr_subscription *subscription;
    pthread_mutex_t mutex;
    int seen[JOINERS];   /* times each joiner's join event was taken */
    int events;          /* join events taken, all threads */
    int errors;
};

static void *pull_events(void *arg) {
    struct pull_state *s = arg;
    uint64_t give_up = now_ms() + PATIENCE_MS;
    for (;;) {
        pthread_mutex_lock(&s->mutex);
        int done = s->events >= JOINERS;
        pthread_mutex_unlock(&s->mutex);
        if (done || now_ms() > give_up) return NULL;
        char *event = NULL;
        /* A short timeout so a thread notices when the others took the last event. */
        if (gr_subscription_next(s->subscription, 100, &event) != GR_OK) {
            pthread_mutex_lock(&s->mutex);
            s->errors++;
            pthread_mutex_unlock(&s->mutex);
            return NULL;
        }
        if (event == NULL) continue; /* timed out */
        pthread_mutex_lock(&s->mutex);
        for (int i = 0; i < JOINERS; i++) {
            char needle[64];
            snprintf(needle, sizeof needle, "\"id\":\"joiner-%d\"", i);
            const char *left = strstr(event, "\"left_members\"");
            const char *found = strstr(event, needle);
            if (found != NULL && (left == NULL || found < left)) {
                s->seen[i]++;
                s->events++;
            }
        }
        pthread_mutex_unlock(&s->mutex);
        gr_string_free(event);
    }
}

static void pull_from_several_threads(void) {
    char group[128];
    unique_group(group, sizeof group, "pull");
    gr_connector *watcher = connect_as(group, "watcher");
    gr_connector *joiner = connect_as(group, "joiner");
    struct pull_state s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.mutex, NULL);
    char *snapshot = NULL;
    CHECK_OK(gr_subscribe_members(watcher, &s.subscription));
    CHECK_OK(gr_subscription_snapshot(s.subscription, &snapshot));
    CHECK_STR(snapshot, "[]");
    gr_string_free(snapshot);

    pthread_t threads[PULLERS];
    for (int i = 0; i < PULLERS; i++) pthread_create(&threads[i], NULL, pull_events, &s);
    for (int i = 0; i < JOINERS; i++) {
        char id[32];
        snprintf(id, sizeof id, "joiner-%d", i);
        CHECK_OK(gr_join(joiner, id, NULL, NULL));
    }
    for (int i = 0; i < PULLERS; i++) pthread_join(threads[i], NULL);
    CHECK(s.errors == 0);
    CHECK(s.events == JOINERS);
    for (int i = 0; i < JOINERS; i++) CHECK(s.seen[i] == 1);

    /* A leave arrives with its reason. */
    CHECK_OK(gr_leave(joiner, "joiner-3", NULL));
    char *event = NULL;
    CHECK_OK(gr_subscription_next(s.subscription, PATIENCE_MS, &event));
    CHECK_CONTAINS(event, "\"left_members\":[{\"id\":\"joiner-3\"");
    CHECK_CONTAINS(event, "\"reason\":\"left\"");
    gr_string_free(event);

    /* Nothing pending: a zero timeout returns at once with no event. */
    CHECK_OK(gr_subscription_next(s.subscription, 0, &event));
    CHECK(event == NULL);

    /* Closing the watcher ends the subscription: GR_CLOSED, also for a waiter without limit. */
    CHECK_OK(gr_connector_close(watcher));
    CHECK_STATUS(gr_subscription_next(s.subscription, -1, &event), GR_CLOSED);
    CHECK(event == NULL);
    /* The snapshot stays readable after the end. */
    CHECK_OK(gr_subscription_snapshot(s.subscription, &snapshot));
    CHECK_STR(snapshot, "[]");
    gr_string_free(snapshot);
    gr_subscription_free(s.subscription);
    pthread_mutex_destroy(&s.mutex);
    gr_connector_free(watcher);
    gr_connector_free(joiner);
}

/* ---- callback style ---- */

struct recorder {
    pthread_mutex_t mutex;
    pthread_cond_t changed;
    int events;
    int joins_of_target;
    int destroyed;
    int callbacks_after_destroy;
    pthread_t dispatcher;
    int dispatcher_known;
    int on_caller_thread;
    pthread_t caller;
    gr_subscription *self; /* for free-from-inside */
    int free_inside;
};

static void recorder_init(struct recorder *r) {
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mutex, NULL);
    pthread_cond_init(&r->changed, NULL);
    r->caller = pthread_self();
}

static void recorder_destroy_sync(struct recorder *r) {
    pthread_mutex_destroy(&r->mutex);
    pthread_cond_destroy(&r->changed);
}

static void on_member(const char *event_json, void *user_data) {
    struct recorder *r = user_data;
    pthread_mutex_lock(&r->mutex);
    if (r->destroyed) r->callbacks_after_destroy++;
    r->events++;
    if (strstr(event_json, "\"joined_members\":[{\"id\":\"target\"")) r->joins_of_target++;
    if (pthread_equal(pthread_self(), r->caller)) r->on_caller_thread++;
    r->dispatcher = pthread_self();
    r->dispatcher_known = 1;
    gr_subscription *self = r->free_inside ? r->self : NULL;
    r->self = NULL;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->mutex);
    if (self != NULL) gr_subscription_free(self); /* from inside its own callback */
}

static void on_destroy(void *user_data) {
    struct recorder *r = user_data;
    pthread_mutex_lock(&r->mutex);
    r->destroyed++;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->mutex);
}

/* Waits until *field >= target or PATIENCE_MS passed; returns the value seen. */
static int wait_for(struct recorder *r, int *field, int target) {
    struct timespec deadline = deadline_in(PATIENCE_MS);
    pthread_mutex_lock(&r->mutex);
    while (*field < target) {
        if (pthread_cond_timedwait(&r->changed, &r->mutex, &deadline) == ETIMEDOUT) break;
    }
    int value = *field;
    pthread_mutex_unlock(&r->mutex);
    return value;
}

static void callbacks_on_a_dispatcher_thread(void) {
    char group[128];
    unique_group(group, sizeof group, "callback");
    gr_connector *watcher = connect_as(group, "watcher");
    gr_connector *target = connect_as(group, "target");
    struct recorder first, second;
    recorder_init(&first);
    recorder_init(&second);
    gr_subscription *sub1 = NULL, *sub2 = NULL;
    char *snapshot = NULL;
    CHECK_OK(gr_subscribe_members(watcher, &sub1));
    CHECK_OK(gr_subscription_snapshot(sub1, &snapshot));
    CHECK_STR(snapshot, "[]");
    gr_string_free(snapshot);
    CHECK_OK(gr_subscription_listen(sub1, on_member, &first, on_destroy));
    CHECK_OK(gr_subscribe_members(watcher, &sub2));
    CHECK_OK(gr_subscription_listen(sub2, on_member, &second, on_destroy));
    /* Events now go to the callback: pulling is refused. */
    char *event = NULL;
    CHECK_STATUS(gr_subscription_next(sub2, 0, &event), GR_INVALID_ARGUMENT);

    CHECK_OK(gr_join(target, NULL, NULL, NULL));
    CHECK(wait_for(&first, &first.joins_of_target, 1) == 1);
    CHECK(wait_for(&second, &second.joins_of_target, 1) == 1);
    CHECK(first.on_caller_thread == 0);
    CHECK(first.dispatcher_known && !pthread_equal(first.dispatcher, second.dispatcher));

    /* Free returns after the last callback ran and destroy was called. */
    gr_subscription_free(sub1);
    pthread_mutex_lock(&first.mutex);
    CHECK(first.destroyed == 1);
    pthread_mutex_unlock(&first.mutex);

    /* The other subscription keeps going. */
    CHECK_OK(gr_leave(target, NULL, NULL));
    CHECK(wait_for(&second, &second.events, 2) == 2);
    gr_subscription_free(sub2);
    CHECK(second.destroyed == 1);
    CHECK(first.callbacks_after_destroy == 0 && second.callbacks_after_destroy == 0);
    CHECK(first.events == 1);

    recorder_destroy_sync(&first);
    recorder_destroy_sync(&second);
    gr_connector_free(watcher);
    gr_connector_free(target);
}

static void free_from_inside_the_callback(void) {
    char group[128];
    unique_group(group, sizeof group, "free-inside");
    gr_connector *watcher = connect_as(group, "watcher");
    gr_connector *target = connect_as(group, "target");
    struct recorder r;
    recorder_init(&r);
    r.free_inside = 1;
    gr_subscription *sub = NULL;
    CHECK_OK(gr_subscribe_members(watcher, &sub));
    r.self = sub;
    CHECK_OK(gr_subscription_listen(sub, on_member, &r, on_destroy));
    CHECK_OK(gr_join(target, NULL, NULL, NULL));
    CHECK_OK(gr_join(target, "target-2", NULL, NULL));
    /* Destroy follows the callback that freed; no further callback comes. */
    CHECK(wait_for(&r, &r.destroyed, 1) == 1);
    CHECK(r.events == 1);
    recorder_destroy_sync(&r);
    gr_connector_free(watcher);
    gr_connector_free(target);
}

static int destroy_calls;
static void count_destroy(void *user_data) {
    (void)user_data;
    destroy_calls++;
}

static void destroy_runs_when_listening_fails(void) {
    char group[128];
    unique_group(group, sizeof group, "destroy-on-error");
    gr_connector *conn = connect_as(group, "me");
    gr_subscription *sub = NULL;
    destroy_calls = 0;
    CHECK_OK(gr_subscribe_members(conn, &sub));
    CHECK_STATUS(gr_subscription_listen(sub, NULL, NULL, count_destroy), GR_NULL_ARGUMENT);
    CHECK(destroy_calls == 1);
    CHECK_STATUS(gr_subscription_listen(NULL, on_member, NULL, count_destroy), GR_NULL_ARGUMENT);
    CHECK(destroy_calls == 2);
    CHECK_OK(gr_subscription_listen(sub, on_member, NULL, count_destroy));
    /* A second listener is refused, and its user data destroyed at once. */
    CHECK_STATUS(gr_subscription_listen(sub, on_member, NULL, count_destroy), GR_INVALID_ARGUMENT);
    CHECK(destroy_calls == 3);
    gr_subscription_free(sub);
    CHECK(destroy_calls == 4);
    /* Once pulled from, a subscription does not switch to a callback. */
    char *event = NULL;
    CHECK_OK(gr_subscribe_members(conn, &sub));
    CHECK_OK(gr_subscription_next(sub, 0, &event));
    CHECK(event == NULL);
    CHECK_STATUS(gr_subscription_listen(sub, on_member, NULL, count_destroy), GR_INVALID_ARGUMENT);
    CHECK(destroy_calls == 5);
    gr_subscription_free(sub);
    CHECK_OK(gr_connector_close(conn));
    sub = NULL;
    CHECK_STATUS(gr_subscribe_members(conn, &sub), GR_CLOSED);
    CHECK(sub == NULL);
    gr_connector_free(conn);
}

/* ---- connection state ---- */

struct state_log {
    pthread_mutex_t mutex;
    pthread_cond_t changed;
    int closed_seen;
    int destroyed;
};

static void on_state(const char *state_json, void *user_data) {
    struct state_log *log = user_data;
    pthread_mutex_lock(&log->mutex);
    if (strcmp(state_json, "\"CLOSED\"") == 0) log->closed_seen++;
    pthread_cond_broadcast(&log->changed);
    pthread_mutex_unlock(&log->mutex);
}

static void on_state_destroy(void *user_data) {
    struct state_log *log = user_data;
    pthread_mutex_lock(&log->mutex);
    log->destroyed++;
    pthread_cond_broadcast(&log->changed);
    pthread_mutex_unlock(&log->mutex);
}

static void state_events_both_styles(void) {
    char group[128];
    unique_group(group, sizeof group, "state");
    gr_connector *conn = connect_as(group, "me");
    struct state_log log;
    memset(&log, 0, sizeof log);
    pthread_mutex_init(&log.mutex, NULL);
    pthread_cond_init(&log.changed, NULL);
    gr_subscription *callback_sub = NULL;
    gr_subscription *pull_sub = NULL;
    CHECK_OK(gr_subscribe_state(conn, &callback_sub));
    CHECK_OK(gr_subscription_listen(callback_sub, on_state, &log, on_state_destroy));
    CHECK_OK(gr_subscribe_state(conn, &pull_sub));

    char *text = NULL;
    CHECK_OK(gr_subscription_snapshot(pull_sub, &text));
    CHECK_STR(text, "\"CONNECTED\""); /* the state when it subscribed */
    gr_string_free(text);
    CHECK_OK(gr_subscription_next(pull_sub, 0, &text));
    CHECK(text == NULL); /* nothing happened yet */

    CHECK_OK(gr_connector_close(conn));
    CHECK_OK(gr_subscription_next(pull_sub, PATIENCE_MS, &text));
    CHECK_STR(text, "\"CLOSED\"");
    gr_string_free(text);
    CHECK_STATUS(gr_subscription_next(pull_sub, PATIENCE_MS, &text), GR_CLOSED);

    /* The callback saw CLOSED, then its stream ended, which ran destroy. */
    struct timespec deadline = deadline_in(PATIENCE_MS);
    pthread_mutex_lock(&log.mutex);
    while (log.destroyed == 0 &&
           pthread_cond_timedwait(&log.changed, &log.mutex, &deadline) != ETIMEDOUT) {
    }
    CHECK(log.closed_seen == 1);
    CHECK(log.destroyed == 1);
    pthread_mutex_unlock(&log.mutex);
    gr_subscription_free(callback_sub);
    CHECK(log.destroyed == 1); /* never twice */
    gr_subscription_free(pull_sub);
    pthread_mutex_destroy(&log.mutex);
    pthread_cond_destroy(&log.changed);
    gr_connector_free(conn);
}

/* ---- the online flag: set without leaving, seen by members and in an update event ---- */

static void online_flag_without_leaving(void) {
    char group[128];
    unique_group(group, sizeof group, "online");
    gr_connector *watcher = connect_as(group, "watcher");
    gr_connector *svc = connect_as(group, "svc");
    CHECK_OK(gr_join(svc, NULL, "{\"port\":80}", NULL));
    gr_subscription *events = NULL;
    CHECK_OK(gr_subscribe_members(watcher, &events));
    CHECK_OK(gr_set_online(svc, NULL, false));
    char *members = NULL;
    CHECK_OK(gr_members(watcher, &members));
    CHECK_CONTAINS(members, "\"online\":false");
    CHECK_CONTAINS(members, "\"payload\":{\"port\":80}");
    gr_string_free(members);
    char *event = NULL;
    CHECK_OK(gr_subscription_next(events, PATIENCE_MS, &event));
    CHECK(event != NULL);
    if (event != NULL) {
        CHECK_CONTAINS(event, "\"updated_members\":[{");
        CHECK_CONTAINS(event, "\"online\":false");
        gr_string_free(event);
    }
    CHECK_STATUS(gr_set_online(watcher, "svc", true), GR_INVALID_ARGUMENT);
    gr_subscription_free(events);
    gr_connector_free(watcher);
    gr_connector_free(svc);
}

int main(void) {
    RUN(pull_from_several_threads);
    RUN(callbacks_on_a_dispatcher_thread);
    RUN(free_from_inside_the_callback);
    RUN(destroy_runs_when_listening_fails);
    RUN(state_events_both_styles);
    RUN(online_flag_without_leaving);
    return finish("test_events");
}
