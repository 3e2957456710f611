/*
 * Controlled assignments through their handle: gr_assignments, the share as JSON
 * (gr_assignment_share) and through the one subscription handle, a join that splits the
 * ids, free that hands them over, bad input refused.
 */
#include "test_common.h"

/* How many ids the share JSON lists (counts the quoted ids in "ids":[...]). */
static int count_ids(const char *share) {
    const char *ids = share ? strstr(share, "\"ids\":[") : NULL;
    if (ids == NULL) return -1;
    int quotes = 0;
    for (const char *p = ids + 7; *p && *p != ']'; p++) {
        if (*p == '"') quotes++;
    }
    return quotes / 2;
}

/* Waits until `a`'s share lists `n` ids; returns the last share (caller frees). */
static char *wait_share(gr_assignment *a, int n) {
    uint64_t give_up = now_ms() + PATIENCE_MS;
    for (;;) {
        char *share = NULL;
        CHECK_OK(gr_assignment_share(a, &share));
        if (count_ids(share) == n || now_ms() > give_up) {
            CHECK(count_ids(share) == n);
            return share;
        }
        gr_string_free(share);
        struct timespec pause = {0, 5000000L};
        nanosleep(&pause, NULL);
    }
}

static void a_join_splits_the_ids_and_free_hands_them_over(void) {
    char group[128];
    unique_group(group, sizeof group, "assign");
    gr_connector *one = connect_as(group, "one");
    gr_connector *two = connect_as(group, "two");
    const char *ids = "[\"a\",\"b\",\"c\",\"d\"]";

    gr_assignment *first = NULL;
    CHECK_OK(gr_assignments(one, "jobs", ids, NULL, &first));
    char *share = wait_share(first, 4);
    CHECK_CONTAINS(share, "\"member\":\"one\"");
    CHECK_CONTAINS(share, "\"tokens\":{\"a\":");
    gr_string_free(share);

    gr_subscription *changes = NULL;
    CHECK_OK(gr_assignment_subscribe(first, &changes));
    gr_assignment *second = NULL;
    CHECK_OK(gr_assignments(two, "jobs", ids, NULL, &second));
    char *event = NULL;
    CHECK_OK(gr_subscription_next(changes, PATIENCE_MS, &event));
    CHECK(count_ids(event) == 2); /* one let two ids go */
    gr_string_free(event);
    share = wait_share(second, 2);
    gr_string_free(share);

    uint64_t freed = now_ms();
    gr_assignment_free(first);
    share = wait_share(second, 4);
    printf("  freed: the other had all ids %llu ms later\n", (unsigned long long)(now_ms() - freed));
    gr_string_free(share);
    /* The freed participant's subscription ends after its last (empty) share. */
    for (;;) {
        gr_status status = gr_subscription_next(changes, PATIENCE_MS, &event);
        if (status != GR_OK) {
            CHECK(status == GR_CLOSED);
            break;
        }
        CHECK(event != NULL);
        if (event == NULL) break;
        gr_string_free(event);
    }
    gr_subscription_free(changes);
    gr_assignment_free(second);
    gr_connector_free(two);
    gr_connector_free(one);
}

static void bad_input_is_refused(void) {
    char group[128];
    unique_group(group, sizeof group, "assign-bad");
    gr_connector *c = connect_as(group, "c");
    gr_assignment *a = NULL;
    CHECK_STATUS(gr_assignments(c, "jobs", "{\"not\":\"a list\"}", NULL, &a), GR_INVALID_ARGUMENT);
    CHECK_STATUS(gr_assignments(c, "jobs", "[1,2]", NULL, &a), GR_INVALID_ARGUMENT);
    CHECK_STATUS(gr_assignments(c, "jobs", "[", NULL, &a), GR_INVALID_JSON);
    CHECK_STATUS(gr_assignments(c, "", "[]", NULL, &a), GR_INVALID_ARGUMENT);
    CHECK_STATUS(gr_assignments(c, "jobs", NULL, NULL, &a), GR_NULL_ARGUMENT);
    CHECK(a == NULL);
    char *share = NULL;
    CHECK_STATUS(gr_assignment_share(NULL, &share), GR_NULL_ARGUMENT);
    gr_assignment_free(NULL);
    gr_connector_free(c);
}

int main(void) {
    RUN(a_join_splits_the_ids_and_free_hands_them_over);
    RUN(bad_input_is_refused);
    return finish("test_assignments");
}
