/*
 * Data watches through the one subscription handle: gr_watch's snapshot, put and delete
 * events in the order of the changes (a delete and a re-create are two events), next from
 * two threads (each event to exactly one), the callback form with a free from inside the
 * callback, and gr_watch_ephemeral.
 */
#include "test_common.h"

#define WRITES 40

/* The next event of `sub` (waiting up to PATIENCE_MS), or NULL after a failed CHECK. */
static char *next_event(gr_subscription *sub) {
    char *event = NULL;
    CHECK_OK(gr_subscription_next(sub, PATIENCE_MS, &event));
    CHECK(event != NULL);
    return event;
}

static void snapshot_then_changes_in_order(void) {
    char group[128];
    unique_group(group, sizeof group, "watch");
    gr_connector *writer = connect_as(group, "writer");
    gr_connector *watcher = connect_as(group, "watcher");
    CHECK_OK(gr_persistent_set(writer, "cfg/a", "{\"size\":1}", NULL));
    CHECK_OK(gr_persistent_set(writer, "other/x", "1", NULL));

    gr_subscription *sub = NULL;
    CHECK_OK(gr_watch(watcher, "cfg/", 0, &sub));
    char *snapshot = NULL;
    CHECK_OK(gr_subscription_snapshot(sub, &snapshot));
    CHECK_CONTAINS(snapshot, "\"entries\":[{\"path\":\"cfg/a\",\"value\":{\"size\":1},\"version\":1}]");
    CHECK_CONTAINS(snapshot, "\"revision\":");
    gr_string_free(snapshot);

    CHECK_OK(gr_persistent_set(writer, "cfg/a", "2", NULL));
    CHECK_OK(gr_persistent_set(writer, "other/x", "2", NULL)); /* outside the prefix */
    CHECK_OK(gr_persistent_delete(writer, "cfg/a", NULL));
    CHECK_OK(gr_persistent_set(writer, "cfg/a", "3", NULL));

    char *event = next_event(sub);
    CHECK_CONTAINS(event, "\"path\":\"cfg/a\"");
    CHECK_CONTAINS(event, "\"kind\":\"put\"");
    CHECK_CONTAINS(event, "\"value\":2");
    CHECK_CONTAINS(event, "\"version\":2");
    CHECK_CONTAINS(event, "\"resync\":false");
    gr_string_free(event);
    event = next_event(sub);
    CHECK_CONTAINS(event, "\"kind\":\"delete\"");
    CHECK_CONTAINS(event, "\"value\":null");
    gr_string_free(event);
    event = next_event(sub); /* the re-create is an event of its own */
    CHECK_CONTAINS(event, "\"kind\":\"put\"");
    CHECK_CONTAINS(event, "\"value\":3");
    gr_string_free(event);
    CHECK_OK(gr_subscription_next(sub, 200, &event));
    CHECK(event == NULL); /* nothing from other/ */

    CHECK_OK(gr_connector_close(watcher));
    CHECK_STATUS(gr_subscription_next(sub, PATIENCE_MS, &event), GR_CLOSED);
    gr_subscription_free(sub);
    gr_connector_free(watcher);
    gr_connector_free(writer);
}

struct pullers {
    gr_subscription *sub;
    pthread_mutex_t mutex;
    int seen[WRITES];
    int taken;
    int errors;
};

static void *pull(void *arg) {
    struct pullers *p = arg;
    uint64_t give_up = now_ms() + PATIENCE_MS;
    for (;;) {
        pthread_mutex_lock(&p->mutex);
        int done = p->taken >= WRITES;
        pthread_mutex_unlock(&p->mutex);
        if (done || now_ms() > give_up) return NULL;
        char *event = NULL;
        if (gr_subscription_next(p->sub, 50, &event) != GR_OK) {
            pthread_mutex_lock(&p->mutex);
            p->errors++;
            pthread_mutex_unlock(&p->mutex);
            return NULL;
        }
        if (event == NULL) continue;
        int key = -1;
        const char *path = strstr(event, "\"path\":\"k/");
        if (path != NULL) key = atoi(path + strlen("\"path\":\"k/"));
        pthread_mutex_lock(&p->mutex);
        if (key >= 0 && key < WRITES) p->seen[key]++;
        p->taken++;
        pthread_mutex_unlock(&p->mutex);
        gr_string_free(event);
    }
}

static void next_from_two_threads_each_event_once(void) {
    char group[128];
    unique_group(group, sizeof group, "watch-pull");
    gr_connector *conn = connect_as(group, "me");
    struct pullers p;
    memset(&p, 0, sizeof p);
    pthread_mutex_init(&p.mutex, NULL);
    CHECK_OK(gr_watch(conn, "k/", 0, &p.sub));
    pthread_t threads[2];
    for (int i = 0; i < 2; i++) pthread_create(&threads[i], NULL, pull, &p);
    for (int i = 0; i < WRITES; i++) {
        char path[32];
        snprintf(path, sizeof path, "k/%d", i);
        CHECK_OK(gr_persistent_set(conn, path, "true", NULL));
    }
    for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
    CHECK(p.errors == 0);
    CHECK(p.taken == WRITES);
    for (int i = 0; i < WRITES; i++) CHECK(p.seen[i] == 1);
    gr_subscription_free(p.sub);
    pthread_mutex_destroy(&p.mutex);
    gr_connector_free(conn);
}

struct listener {
    pthread_mutex_t mutex;
    pthread_cond_t changed;
    gr_subscription *self;
    int events;
    int destroyed;
    char first[256];
};

static void on_data(const char *event_json, void *user_data) {
    struct listener *l = user_data;
    pthread_mutex_lock(&l->mutex);
    if (l->events++ == 0) snprintf(l->first, sizeof l->first, "%s", event_json);
    gr_subscription *self = l->self;
    l->self = NULL;
    pthread_cond_broadcast(&l->changed);
    pthread_mutex_unlock(&l->mutex);
    if (self != NULL) gr_subscription_free(self); /* from inside its own callback */
}

static void on_listener_destroy(void *user_data) {
    struct listener *l = user_data;
    pthread_mutex_lock(&l->mutex);
    l->destroyed++;
    pthread_cond_broadcast(&l->changed);
    pthread_mutex_unlock(&l->mutex);
}

static void callback_then_free_inside_it(void) {
    char group[128];
    unique_group(group, sizeof group, "watch-callback");
    gr_connector *conn = connect_as(group, "me");
    struct listener l;
    memset(&l, 0, sizeof l);
    pthread_mutex_init(&l.mutex, NULL);
    pthread_cond_init(&l.changed, NULL);
    gr_subscription *sub = NULL;
    CHECK_OK(gr_watch_ephemeral(conn, "eph/", 0, &sub));
    l.self = sub;
    CHECK_OK(gr_subscription_listen(sub, on_data, &l, on_listener_destroy));
    CHECK_OK(gr_ephemeral_set(conn, "eph/a", "\"here\""));
    CHECK_OK(gr_ephemeral_set(conn, "eph/b", "\"there\""));
    struct timespec deadline = deadline_in(PATIENCE_MS);
    pthread_mutex_lock(&l.mutex);
    while (l.destroyed == 0 &&
           pthread_cond_timedwait(&l.changed, &l.mutex, &deadline) != ETIMEDOUT) {
    }
    CHECK(l.destroyed == 1);
    CHECK(l.events == 1); /* the callback that freed was the last one */
    CHECK_CONTAINS(l.first, "\"path\":\"eph/a\"");
    CHECK_CONTAINS(l.first, "\"kind\":\"put\"");
    pthread_mutex_unlock(&l.mutex);
    pthread_mutex_destroy(&l.mutex);
    pthread_cond_destroy(&l.changed);
    gr_connector_free(conn);
}

static void ephemeral_delete_and_close_are_deletes(void) {
    char group[128];
    unique_group(group, sizeof group, "watch-eph");
    gr_connector *owner = connect_as(group, "owner");
    gr_connector *watcher = connect_as(group, "watcher");
    CHECK_OK(gr_ephemeral_set(owner, "svc/one", "1"));
    gr_subscription *sub = NULL;
    CHECK_OK(gr_watch_ephemeral(watcher, "svc/", 0, &sub));
    char *text = NULL;
    CHECK_OK(gr_subscription_snapshot(sub, &text));
    CHECK_CONTAINS(text, "\"path\":\"svc/one\"");
    gr_string_free(text);
    CHECK_OK(gr_ephemeral_set(owner, "svc/two", "2"));
    CHECK_OK(gr_ephemeral_delete(owner, "svc/one", NULL));
    CHECK_OK(gr_connector_close(owner)); /* svc/two goes with the session: a delete */
    text = next_event(sub);
    CHECK_CONTAINS(text, "\"path\":\"svc/two\"");
    CHECK_CONTAINS(text, "\"kind\":\"put\"");
    gr_string_free(text);
    text = next_event(sub);
    CHECK_CONTAINS(text, "\"path\":\"svc/one\"");
    CHECK_CONTAINS(text, "\"kind\":\"delete\"");
    gr_string_free(text);
    text = next_event(sub);
    CHECK_CONTAINS(text, "\"path\":\"svc/two\"");
    CHECK_CONTAINS(text, "\"kind\":\"delete\"");
    gr_string_free(text);
    gr_subscription_free(sub);
    gr_connector_free(owner);
    gr_connector_free(watcher);
}

int main(void) {
    RUN(snapshot_then_changes_in_order);
    RUN(next_from_two_threads_each_event_once);
    RUN(callback_then_free_inside_it);
    RUN(ephemeral_delete_and_close_are_deletes);
    return finish("test_watch");
}
