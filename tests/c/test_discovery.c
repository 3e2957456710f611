/*
 * Service discovery through its handle: gr_service_provider with each strategy (random,
 * round-robin, sticky, first, leader; "all" is gr_provider_instances), online members only,
 * a sub-group, gr_provider_note_error with its down-time, the added / removed / updated
 * changes through the one subscription handle (a payload update and the online flag
 * included), the payload and online flag a member last set restored after its session was
 * lost (a member in a child process frozen with SIGSTOP past its lease), bad input refused.
 */
#include "test_common.h"

#include <signal.h>
#include <sys/wait.h>

/* The "id" of a member record (JSON) into `out`; "" when there is none. */
static const char *member_id(const char *member, char *out, size_t size) {
    out[0] = '\0';
    const char *id = member ? strstr(member, "\"id\":\"") : NULL;
    if (id == NULL) return out;
    id += 6;
    size_t n = 0;
    while (id[n] && id[n] != '"' && n + 1 < size) n++;
    memcpy(out, id, n);
    out[n] = '\0';
    return out;
}

/* Picks one instance and returns its id in `out` ("" when none). */
static const char *pick(gr_provider *p, char *out, size_t size) {
    char *member = NULL;
    CHECK_OK(gr_provider_instance(p, &member));
    member_id(member, out, size);
    gr_string_free(member);
    return out;
}

static void pause_ms(long ms) {
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

/* Waits until the provider picks `want` ("" for none). */
static void wait_pick(gr_provider *p, const char *want) {
    uint64_t give_up = now_ms() + PATIENCE_MS;
    char id[64];
    while (strcmp(pick(p, id, sizeof id), want) != 0 && now_ms() < give_up) pause_ms(10);
    CHECK_STR(id, want);
}

static gr_provider *provider(gr_connector *c, const char *options_json) {
    gr_provider *p = NULL;
    CHECK_OK(gr_service_provider(c, options_json, &p));
    return p;
}

static void strategies_pick_among_online_members(void) {
    char group[128];
    unique_group(group, sizeof group, "disc");
    gr_connector *svc = connect_as(group, "svc");
    char *record = NULL;
    const char *ids[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        CHECK_OK(gr_join(svc, ids[i], "{\"port\":80}", &record));
        gr_string_free(record);
    }
    CHECK_OK(gr_set_online(svc, "c", false));
    gr_connector *client = connect_as(group, "client");
    char id[64];

    gr_provider *round = provider(client, "{\"strategy\":\"round-robin\"}");
    char *all = NULL;
    CHECK_OK(gr_provider_instances(round, &all));
    CHECK_CONTAINS(all, "\"id\":\"b\"");
    CHECK(strstr(all, "\"id\":\"c\"") == NULL); /* offline: not an instance */
    gr_string_free(all);
    CHECK_STR(pick(round, id, sizeof id), "a");
    CHECK_STR(pick(round, id, sizeof id), "b");
    CHECK_STR(pick(round, id, sizeof id), "a");

    gr_provider *first = provider(client, "{\"strategy\":\"first\"}");
    CHECK_STR(pick(first, id, sizeof id), "a");
    CHECK_STR(pick(first, id, sizeof id), "a");

    gr_provider *sticky = provider(client, "{\"strategy\":\"sticky\"}");
    char kept[64];
    pick(sticky, kept, sizeof kept);
    for (int i = 0; i < 5; i++) CHECK_STR(pick(sticky, id, sizeof id), kept);

    gr_provider *random = provider(client, "{\"strategy\":\"random\"}");
    int seen_a = 0, seen_b = 0;
    for (int i = 0; i < 200; i++) {
        pick(random, id, sizeof id);
        seen_a |= strcmp(id, "a") == 0;
        seen_b |= strcmp(id, "b") == 0;
        CHECK(strcmp(id, "c") != 0);
    }
    CHECK(seen_a && seen_b);

    /* note_error: one error at threshold 1 takes a out for down_for_ms. */
    gr_provider *careful =
        provider(client, "{\"strategy\":\"round-robin\",\"down_for_ms\":300,\"error_threshold\":1}");
    CHECK_OK(gr_provider_note_error(careful, "a"));
    uint64_t noted = now_ms();
    int only_b = 1;
    for (int i = 0; i < 4; i++) only_b &= strcmp(pick(careful, id, sizeof id), "a") != 0;
    if (now_ms() - noted < 300) CHECK(only_b);
    pause_ms(350);
    int back = 0;
    for (int i = 0; i < 4; i++) back |= strcmp(pick(careful, id, sizeof id), "a") == 0;
    CHECK(back); /* back after its down-time */

    gr_provider_free(careful);
    gr_provider_free(random);
    gr_provider_free(sticky);
    gr_provider_free(first);
    gr_provider_free(round);
    gr_connector_free(client);
    gr_connector_free(svc);
}

static void changes_tell_added_removed_and_updated(void) {
    char group[128];
    unique_group(group, sizeof group, "disc-changes");
    gr_connector *svc = connect_as(group, "svc");
    gr_connector *client = connect_as(group, "client");
    char *record = NULL;
    CHECK_OK(gr_join(svc, "a", NULL, &record));
    gr_string_free(record);
    gr_provider *p = provider(client, NULL);
    gr_subscription *changes = NULL;
    CHECK_OK(gr_provider_subscribe(p, &changes));
    char *snapshot = NULL;
    CHECK_OK(gr_subscription_snapshot(changes, &snapshot));
    CHECK_CONTAINS(snapshot, "\"id\":\"a\"");
    gr_string_free(snapshot);

    char *event = NULL;
    CHECK_OK(gr_join(svc, "b", NULL, &record));
    gr_string_free(record);
    CHECK_OK(gr_subscription_next(changes, PATIENCE_MS, &event));
    CHECK_CONTAINS(event, "\"added\":[{\"id\":\"b\"");
    CHECK_CONTAINS(event, "\"removed\":[]");
    gr_string_free(event);

    CHECK_OK(gr_update_payload(svc, "b", "{\"port\":9}"));
    CHECK_OK(gr_subscription_next(changes, PATIENCE_MS, &event));
    CHECK_CONTAINS(event, "\"updated\":[{\"id\":\"b\"");
    CHECK_CONTAINS(event, "\"payload\":{\"port\":9}");
    gr_string_free(event);

    CHECK_OK(gr_set_online(svc, "a", false));
    CHECK_OK(gr_subscription_next(changes, PATIENCE_MS, &event));
    CHECK_CONTAINS(event, "\"removed\":[{\"id\":\"a\"");
    gr_string_free(event);
    char *members = NULL;
    CHECK_OK(gr_members(client, &members));
    CHECK_CONTAINS(members, "\"online\":false"); /* still a member, shown offline */
    gr_string_free(members);

    CHECK_OK(gr_leave(svc, "b", NULL));
    CHECK_OK(gr_subscription_next(changes, PATIENCE_MS, &event));
    CHECK_CONTAINS(event, "\"removed\":[{\"id\":\"b\"");
    gr_string_free(event);

    /* Freeing the provider ends its subscriptions. */
    gr_provider_free(p);
    CHECK_STATUS(gr_subscription_next(changes, PATIENCE_MS, &event), GR_CLOSED);
    gr_subscription_free(changes);
    gr_connector_free(client);
    gr_connector_free(svc);
}

static void a_sub_group_and_the_leader_strategy(void) {
    char group[128];
    unique_group(group, sizeof group, "disc-leader");
    gr_options *options = NULL;
    gr_connector *web = NULL;
    const char *web_groups[] = {"web"};
    CHECK_OK(gr_options_new(&options));
    CHECK_OK(gr_options_set_group(options, group));
    CHECK_OK(gr_options_set_member_id(options, "web-1"));
    CHECK_OK(gr_options_set_sub_groups(options, web_groups, 1));
    CHECK_OK(gr_connect(redis_url(), options, &web));
    gr_options_free(options);
    gr_connector *db = connect_as(group, "db-1");
    char *record = NULL;
    CHECK_OK(gr_join(web, NULL, NULL, &record));
    gr_string_free(record);
    CHECK_OK(gr_join(db, NULL, NULL, &record));
    gr_string_free(record);
    gr_connector *client = connect_as(group, "client");
    char id[64];

    gr_provider *webs = provider(client, "{\"sub_group\":\"web\"}");
    for (int i = 0; i < 3; i++) CHECK_STR(pick(webs, id, sizeof id), "web-1");

    gr_leadership *db_leads = NULL;
    CHECK_OK(gr_elect(db, "svc", &db_leads));
    bool leading = false;
    uint64_t give_up = now_ms() + PATIENCE_MS;
    while (!leading && now_ms() < give_up) {
        CHECK_OK(gr_leadership_is_leader(db_leads, &leading));
        pause_ms(10);
    }
    CHECK(leading);
    gr_leadership *web_leads = NULL;
    CHECK_OK(gr_elect(web, "svc", &web_leads));
    gr_provider *leader = provider(client, "{\"strategy\":\"leader\",\"election\":\"svc\"}");
    CHECK_STR(pick(leader, id, sizeof id), "db-1");
    gr_leadership_free(db_leads); /* resigns: web-1 is elected */
    wait_pick(leader, "web-1");
    gr_leadership_free(web_leads);
    wait_pick(leader, ""); /* nobody leads */

    gr_provider_free(leader);
    gr_provider_free(webs);
    gr_connector_free(client);
    gr_connector_free(db);
    gr_connector_free(web);
}

/* This program, to run again as the child's member. */
static const char *self_path;

/* The child process's member (this program run as `test_discovery --member`): a 1 s lease,
 * a payload updated once and the flag set offline; says "ready", then stays until stdin
 * closes. */
static int run_member(void) {
    gr_options *options = NULL;
    gr_connector *svc = NULL;
    char *record = NULL;
    if (gr_options_new(&options) || gr_options_set_group(options, getenv("GR_TEST_GROUP")) ||
        gr_options_set_member_id(options, "svc") || gr_options_set_session_timeout_ms(options, 1000) ||
        gr_connect(redis_url(), options, &svc) || gr_join(svc, NULL, "{\"port\":1}", &record) ||
        gr_update_payload(svc, NULL, "{\"port\":2}") || gr_set_online(svc, NULL, false)) {
        fprintf(stderr, "member: %s\n", gr_last_error());
        return 1;
    }
    gr_string_free(record);
    gr_options_free(options);
    printf("ready\n");
    fflush(stdout);
    char rest[16];
    while (read(STDIN_FILENO, rest, sizeof rest) > 0) {
    }
    gr_connector_free(svc);
    return 0;
}

/* svc's member record in `members` (JSON) into `out`; "" when it is not a member. */
static void svc_record(const char *members, char *out, size_t size) {
    const char *at = members ? strstr(members, "{\"id\":\"svc\"") : NULL;
    size_t n = at ? strcspn(at, "}") : 0;
    /* The payload object closes first: take up to the record's own closing brace. */
    if (at && at[n] == '}') n += 1 + strcspn(at + n + 1, "}");
    snprintf(out, size, "%.*s", (int)n, at ? at : "");
}

static void payload_and_online_flag_are_restored_after_the_session_was_lost(void) {
    char group[128];
    unique_group(group, sizeof group, "disc-restore");
    setenv("GR_TEST_GROUP", group, 1);
    int to_child[2], from_child[2];
    CHECK(pipe(to_child) == 0 && pipe(from_child) == 0);
    pid_t child = fork();
    if (child == 0) {
        /* A fresh process image: the library's threads are not forked. */
        dup2(to_child[0], STDIN_FILENO);
        dup2(from_child[1], STDOUT_FILENO);
        close(to_child[1]);
        close(from_child[0]);
        execl(self_path, self_path, "--member", (char *)NULL);
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    char ready[16] = "";
    CHECK(read(from_child[0], ready, sizeof ready - 1) > 0 && strncmp(ready, "ready", 5) == 0);

    gr_connector *observer = connect_as(group, "observer");
    char *members = NULL, before[1024], now[1024];
    CHECK_OK(gr_members(observer, &members));
    svc_record(members, before, sizeof before);
    gr_string_free(members);
    CHECK_CONTAINS(before, "\"payload\":{\"port\":2}");
    const char *session = strstr(before, "\"session\":\"");
    CHECK(session != NULL);

    kill(child, SIGSTOP); /* past its 1 s lease: the observer's connector reaps it */
    pause_ms(1800);
    kill(child, SIGCONT); /* LOST, then a new session that writes the member again */
    uint64_t give_up = now_ms() + PATIENCE_MS;
    for (;;) {
        CHECK_OK(gr_members(observer, &members));
        svc_record(members, now, sizeof now);
        gr_string_free(members);
        bool back = now[0] != '\0' && session != NULL && strstr(now, session) == NULL;
        if (back || now_ms() > give_up) break;
        pause_ms(20);
    }
    CHECK(now[0] != '\0' && session != NULL && strstr(now, session) == NULL); /* a new session */
    CHECK_CONTAINS(now, "\"payload\":{\"port\":2}");                      /* the last payload */
    CHECK_CONTAINS(now, "\"online\":false");                                /* still offline */

    close(to_child[1]);
    close(from_child[0]);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    gr_connector_free(observer);
}

static void bad_input_is_refused(void) {
    char group[128];
    unique_group(group, sizeof group, "disc-bad");
    gr_connector *c = connect_as(group, "c");
    gr_provider *p = NULL;
    CHECK_STATUS(gr_service_provider(c, "{\"strategy\":\"nearest\"}", &p), GR_INVALID_ARGUMENT);
    CHECK_STATUS(gr_service_provider(c, "{\"strategy\":\"leader\"}", &p), GR_INVALID_ARGUMENT);
    CHECK_STATUS(gr_service_provider(c, "{\"election\":\"svc\"}", &p), GR_INVALID_ARGUMENT);
    CHECK_STATUS(gr_service_provider(c, "{\"strategi\":\"first\"}", &p), GR_INVALID_ARGUMENT);
    CHECK_STATUS(gr_service_provider(c, "{", &p), GR_INVALID_JSON);
    CHECK_STATUS(gr_service_provider(NULL, NULL, &p), GR_NULL_ARGUMENT);
    CHECK(p == NULL);
    char *member = NULL;
    CHECK_STATUS(gr_provider_instance(NULL, &member), GR_NULL_ARGUMENT);
    CHECK_OK(gr_service_provider(c, NULL, &p));
    CHECK_OK(gr_provider_instance(p, &member));
    CHECK(member == NULL); /* no member yet */
    CHECK_STATUS(gr_provider_note_error(p, NULL), GR_NULL_ARGUMENT);
    gr_provider_free(p);
    gr_provider_free(NULL);
    gr_connector_free(c);
}

int main(int argc, char **argv) {
    self_path = argv[0];
    if (argc > 1 && strcmp(argv[1], "--member") == 0) return run_member();
    RUN(strategies_pick_among_online_members);
    RUN(changes_tell_added_removed_and_updated);
    RUN(a_sub_group_and_the_leader_strategy);
    RUN(payload_and_online_flag_are_restored_after_the_session_was_lost);
    RUN(bad_input_is_refused);
    return finish("test_discovery");
}
