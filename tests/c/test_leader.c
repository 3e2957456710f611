/*
 * Leader election through its handle: gr_elect, gr_leadership_is_leader / _token (local),
 * the leadership's states through the one subscription handle, gr_leader and
 * gr_observe_leader, resign and free handing over at once, bad arguments refused.
 */
#include "test_common.h"

/* Waits until `l` leads and returns its token (0 after a failed CHECK). */
static uint64_t wait_leading(gr_leadership *l) {
    uint64_t give_up = now_ms() + PATIENCE_MS;
    for (;;) {
        bool leading = false;
        CHECK_OK(gr_leadership_is_leader(l, &leading));
        if (leading) {
            uint64_t token = 0;
            CHECK_OK(gr_leadership_token(l, &token));
            CHECK(token > 0);
            return token;
        }
        if (now_ms() > give_up) {
            CHECK(!"elected within PATIENCE_MS");
            return 0;
        }
        struct timespec pause = {0, 2000000L};
        nanosleep(&pause, NULL);
    }
}

static char *next_event(gr_subscription *sub) {
    char *event = NULL;
    CHECK_OK(gr_subscription_next(sub, PATIENCE_MS, &event));
    CHECK(event != NULL);
    return event;
}

static void one_leader_then_the_next_on_resign_and_free(void) {
    char group[128];
    unique_group(group, sizeof group, "leader");
    gr_connector *a = connect_as(group, "a");
    gr_connector *b = connect_as(group, "b");
    gr_connector *observer = connect_as(group, "observer");

    gr_subscription *views = NULL;
    CHECK_OK(gr_observe_leader(observer, "job", &views));
    char *text = NULL;
    CHECK_OK(gr_subscription_snapshot(views, &text));
    CHECK_STR(text, "{\"leader\":null,\"token\":null}");
    gr_string_free(text);

    gr_leadership *first = NULL;
    CHECK_OK(gr_elect(a, "job", &first));
    uint64_t token = wait_leading(first);
    char expected[128];
    snprintf(expected, sizeof expected, "{\"leader\":\"a\",\"token\":%llu}",
             (unsigned long long)token);
    CHECK_OK(gr_leader(b, "job", &text));
    CHECK_STR(text, expected);
    gr_string_free(text);
    text = next_event(views);
    CHECK_STR(text, expected);
    gr_string_free(text);

    gr_leadership *second = NULL;
    CHECK_OK(gr_elect(b, "job", &second));
    gr_subscription *states = NULL;
    CHECK_OK(gr_leadership_subscribe(second, &states));
    CHECK_OK(gr_subscription_snapshot(states, &text));
    CHECK_STR(text, "{\"state\":\"FOLLOWER\"}");
    gr_string_free(text);
    bool leading = true;
    CHECK_OK(gr_leadership_is_leader(second, &leading));
    CHECK(!leading);

    uint64_t resigned = now_ms();
    CHECK_OK(gr_leadership_resign(first));
    CHECK_OK(gr_leadership_is_leader(first, &leading));
    CHECK(!leading);
    text = next_event(states);
    CHECK_CONTAINS(text, "{\"state\":\"LEADER\",\"token\":");
    gr_string_free(text);
    uint64_t next = wait_leading(second);
    CHECK(next > token);
    printf("  resigned: next leader %llu ms later\n", (unsigned long long)(now_ms() - resigned));
    /* The observer reports the latest leader, so a term it has not seen yet may be skipped
     * if it ends first: b's term is observed before b resigns ("no leader" may come first). */
    text = next_event(views);
    if (strcmp(text, "{\"leader\":null,\"token\":null}") == 0) {
        gr_string_free(text);
        text = next_event(views);
    }
    CHECK_CONTAINS(text, "\"leader\":\"b\"");
    gr_string_free(text);
    gr_leadership_free(first);

    /* Free resigns: the state subscription ends with FOLLOWER, nobody leads. */
    gr_leadership_free(second);
    text = next_event(states);
    CHECK_STR(text, "{\"state\":\"FOLLOWER\"}");
    gr_string_free(text);
    CHECK_STATUS(gr_subscription_next(states, PATIENCE_MS, &text), GR_CLOSED);
    gr_subscription_free(states);
    CHECK_OK(gr_leader(observer, "job", &text));
    CHECK_STR(text, "{\"leader\":null,\"token\":null}");
    gr_string_free(text);
    /* After b, nobody. */
    text = next_event(views);
    CHECK_STR(text, "{\"leader\":null,\"token\":null}");
    gr_string_free(text);
    gr_subscription_free(views);
    gr_connector_free(observer);
    gr_connector_free(b);
    gr_connector_free(a);
}

static void bad_arguments_are_refused(void) {
    char group[128];
    unique_group(group, sizeof group, "leader-bad");
    gr_connector *a = connect_as(group, "a");
    gr_leadership *l = NULL;
    CHECK_STATUS(gr_elect(a, "", &l), GR_INVALID_ARGUMENT);
    CHECK(l == NULL);
    CHECK_STATUS(gr_elect(a, NULL, &l), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_elect(NULL, "job", &l), GR_NULL_ARGUMENT);
    bool leading = true;
    CHECK_STATUS(gr_leadership_is_leader(NULL, &leading), GR_NULL_ARGUMENT);
    CHECK_STATUS(gr_leadership_resign(NULL), GR_NULL_ARGUMENT);
    gr_leadership_free(NULL);
    /* A leadership outlives its connector's close: not leader, resign still fine. */
    CHECK_OK(gr_elect(a, "job", &l));
    wait_leading(l);
    CHECK_OK(gr_connector_close(a));
    CHECK_OK(gr_leadership_is_leader(l, &leading));
    CHECK(!leading);
    CHECK_OK(gr_leadership_resign(l));
    gr_leadership *late = NULL;
    CHECK_STATUS(gr_elect(a, "job", &late), GR_CLOSED);
    CHECK(late == NULL);
    gr_leadership_free(l);
    gr_connector_free(a);
}

int main(void) {
    RUN(one_leader_then_the_next_on_resign_and_free);
    RUN(bad_arguments_are_refused);
    return finish("test_leader");
}
