/*
 * The library's log records through gr_set_log_callback: a member record that is not JSON,
 * written straight into Redis as a foreign client would, is skipped with a GR_LOG_WARN
 * record naming the operation and group, delivered on the caller's thread (gr_members) and
 * on a library thread (the snapshot of gr_subscribe_members); the level filters; NULL
 * turns it off; bad levels and a change from inside the callback are refused.
 */
#include "test_common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define MAX_RECORDS 64

struct record {
    gr_log_level level;
    char target[128];
    char message[1024];
    pthread_t thread;
};

/* What the callback saw; guarded by `mutex` (it may run on any thread). */
static struct {
    pthread_mutex_t mutex;
    struct record records[MAX_RECORDS];
    int count;
    int reentry_status; /* what gr_set_log_callback returned from inside the callback */
} seen = {PTHREAD_MUTEX_INITIALIZER, {{0}}, 0, -1};

static void collect(gr_log_level level, const char *target, const char *message,
                    void *user_data) {
    (void)user_data;
    int reentry = gr_set_log_callback(NULL, NULL, GR_LOG_WARN);
    pthread_mutex_lock(&seen.mutex);
    seen.reentry_status = reentry;
    if (seen.count < MAX_RECORDS) {
        struct record *r = &seen.records[seen.count++];
        r->level = level;
        snprintf(r->target, sizeof r->target, "%s", target);
        snprintf(r->message, sizeof r->message, "%s", message);
        r->thread = pthread_self();
    }
    pthread_mutex_unlock(&seen.mutex);
}

static void forget_records(void) {
    pthread_mutex_lock(&seen.mutex);
    seen.count = 0;
    seen.reentry_status = -1;
    pthread_mutex_unlock(&seen.mutex);
}

/* The first record whose message contains `needle`, copied out; 0 when there is none. */
static int find_record(const char *needle, struct record *out) {
    int found = 0;
    pthread_mutex_lock(&seen.mutex);
    for (int i = 0; i < seen.count && !found; i++) {
        if (strstr(seen.records[i].message, needle) != NULL) {
            *out = seen.records[i];
            found = 1;
        }
    }
    pthread_mutex_unlock(&seen.mutex);
    return found;
}

/* Sends one command to the test server over a plain socket (RESP), as a foreign client
 * would, and returns the first byte of the reply ('\0' on failure). */
static char raw_command(int argc, const char **argv) {
    const char *url = redis_url();
    const char *port_text = strrchr(url, ':');
    if (port_text == NULL || strncmp(url, "redis://127.0.0.1:", 18) != 0) return '\0';
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return '\0';
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)atoi(port_text + 1));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char reply = '\0';
    if (connect(fd, (struct sockaddr *)&address, sizeof address) == 0) {
        char command[2048];
        int length = snprintf(command, sizeof command, "*%d\r\n", argc);
        for (int i = 0; i < argc; i++) {
            length += snprintf(command + length, sizeof command - (size_t)length,
                               "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
        }
        if (write(fd, command, (size_t)length) == length && read(fd, &reply, 1) != 1) {
            reply = '\0';
        }
    }
    close(fd);
    return reply;
}

static void write_garbage_member(const char *group) {
    char key[256];
    snprintf(key, sizeof key, "gr:{%s}:members", group);
    const char *argv[] = {"HSET", key, "garbage", "{not json"};
    CHECK(raw_command(4, argv) == ':');
}

static void unreadable_record_is_a_warning_on_any_thread(void) {
    forget_records();
    /* At INFO the operation's span is recorded too: the warning names it. */
    CHECK_OK(gr_set_log_callback(collect, NULL, GR_LOG_INFO));
    char group[128];
    unique_group(group, sizeof group, "logs");
    gr_connector *conn = connect_as(group, "good");
    if (conn == NULL) return;
    CHECK_OK(gr_join(conn, NULL, NULL, NULL));
    write_garbage_member(group);

    /* On the caller's thread, inside gr_members. */
    char *members = NULL;
    CHECK_OK(gr_members(conn, &members));
    CHECK_CONTAINS(members, "\"id\":\"good\"");
    CHECK(members == NULL || strstr(members, "garbage") == NULL);
    gr_string_free(members);
    struct record r;
    char expected[256];
    snprintf(expected, sizeof expected, "members{group=%s}: skipping a member record", group);
    CHECK(find_record(expected, &r));
    if (find_record(expected, &r)) {
        CHECK(r.level == GR_LOG_WARN);
        CHECK_STR(gr_log_level_name((int)r.level), "WARN");
        CHECK_STR(r.target, "group_redis::membership::member");
        CHECK_CONTAINS(r.message, "{not json");
        CHECK(pthread_equal(r.thread, pthread_self()));
    }
    /* The callback's own attempt to change the callback was refused. */
    pthread_mutex_lock(&seen.mutex);
    CHECK(seen.reentry_status == GR_INVALID_ARGUMENT);
    pthread_mutex_unlock(&seen.mutex);

    /* On a library thread: the subscription's snapshot is read there, and is complete
     * when gr_subscribe_members returns. */
    gr_subscription *subscription = NULL;
    CHECK_OK(gr_subscribe_members(conn, &subscription));
    gr_subscription_free(subscription);
    snprintf(expected, sizeof expected, "subscribe{group=%s}: skipping a member record", group);
    CHECK(find_record(expected, &r));
    if (find_record(expected, &r)) {
        CHECK(r.level == GR_LOG_WARN);
        CHECK(!pthread_equal(r.thread, pthread_self()));
    }

    /* At WARN the warning comes without the span (INFO), as tracing's level filter does. */
    forget_records();
    CHECK_OK(gr_set_log_callback(collect, NULL, GR_LOG_WARN));
    CHECK_OK(gr_members(conn, &members));
    gr_string_free(members);
    CHECK(find_record("skipping a member record", &r));
    if (find_record("skipping a member record", &r)) {
        CHECK(r.level == GR_LOG_WARN);
        CHECK(strncmp(r.message, "skipping a member record", 24) == 0);
    }

    /* Below the level: an ERROR-only callback gets no warning. */
    forget_records();
    CHECK_OK(gr_set_log_callback(collect, NULL, GR_LOG_ERROR));
    CHECK_OK(gr_members(conn, &members));
    gr_string_free(members);
    CHECK(!find_record("skipping a member record", &r));

    /* Off. */
    CHECK_OK(gr_set_log_callback(NULL, NULL, GR_LOG_TRACE));
    CHECK_OK(gr_members(conn, &members));
    gr_string_free(members);
    CHECK(!find_record("skipping a member record", &r));

    CHECK_OK(gr_connector_close(conn));
    gr_connector_free(conn);
}

static void bad_levels_are_refused(void) {
    CHECK_STATUS(gr_set_log_callback(collect, NULL, 0), GR_INVALID_ARGUMENT);
    CHECK_CONTAINS(gr_last_error(), "min_level 0");
    CHECK_STATUS(gr_set_log_callback(NULL, NULL, 6), GR_INVALID_ARGUMENT);
    CHECK_STATUS(gr_set_log_callback(collect, NULL, -1), GR_INVALID_ARGUMENT);
    CHECK_STR(gr_log_level_name(GR_LOG_TRACE), "TRACE");
    CHECK_STR(gr_log_level_name(42), "UNKNOWN");
}

int main(void) {
    RUN(unreadable_record_is_a_warning_on_any_thread);
    RUN(bad_levels_are_refused);
    return finish("test_logs");
}
