/*
 * Messages and the topic log through the C bridge: topic batch send, read from an index,
 * a waiting read, info; messages to a listening member in order (pull), an unknown member
 * refused, a request answered by a callback listener (gr_reply from the dispatcher
 * thread); a consumer group's consume and fenced ack.
 */
#include "test_common.h"

static void topic_send_read_info(void) {
    char group[128];
    unique_group(group, sizeof group, "topic");
    gr_connector *conn = connect_as(group, "writer");
    char *indexes = NULL;
    CHECK_OK(gr_topic_send(conn, "orders", "[{\"id\":1},\"two\",3]", &indexes));
    CHECK(indexes != NULL && indexes[0] == '[');
    unsigned long long first = indexes ? strtoull(indexes + 1, NULL, 10) : 0;
    CHECK(first > 0);
    gr_string_free(indexes);

    char *batch = NULL;
    CHECK_OK(gr_topic_read(conn, "orders", first, 2, 0, &batch));
    CHECK_CONTAINS(batch, "\"payload\":{\"id\":1}");
    CHECK_CONTAINS(batch, "\"payload\":\"two\"");
    char expected[64];
    snprintf(expected, sizeof expected, "\"next_index\":%llu", first + 2);
    CHECK_CONTAINS(batch, expected);
    gr_string_free(batch);

    /* Nothing after the last: a waiting read gives up empty when its time runs out. */
    CHECK_OK(gr_topic_read(conn, "orders", first + 3, 10, 200, &batch));
    CHECK_CONTAINS(batch, "\"messages\":[]");
    gr_string_free(batch);

    char *info = NULL;
    CHECK_OK(gr_topic_info(conn, "orders", &info));
    CHECK_CONTAINS(info, "\"length\":3");
    gr_string_free(info);
    CHECK_STATUS(gr_topic_send(conn, "orders", "{\"not\":\"an array\"}", &indexes),
                 GR_INVALID_ARGUMENT);
    gr_connector_free(conn);
}

static void messages_in_order_and_unknown_member_refused(void) {
    char group[128];
    unique_group(group, sizeof group, "messages");
    gr_connector *receiver = connect_as(group, "receiver");
    gr_connector *sender = connect_as(group, "sender");
    char *member = NULL;
    CHECK_OK(gr_join(receiver, NULL, NULL, &member));
    gr_string_free(member);
    gr_subscription *inbox = NULL;
    CHECK_OK(gr_listen(receiver, NULL, &inbox));
    char *text = NULL;
    CHECK_OK(gr_subscription_snapshot(inbox, &text));
    CHECK_STR(text, "{\"member_id\":\"receiver\"}");
    gr_string_free(text);
    for (int i = 0; i < 20; i++) {
        char payload[16];
        snprintf(payload, sizeof payload, "%d", i);
        CHECK_OK(gr_send(sender, "receiver", payload));
    }
    uint64_t recipients = 0;
    CHECK_OK(gr_broadcast(sender, "\"all\"", NULL, &recipients));
    CHECK(recipients == 1);
    for (int i = 0; i < 20; i++) {
        char expected[32];
        snprintf(expected, sizeof expected, "\"payload\":%d,", i);
        CHECK_OK(gr_subscription_next(inbox, PATIENCE_MS, &text));
        CHECK_CONTAINS(text, expected);
        CHECK_CONTAINS(text, "\"kind\":\"send\"");
        CHECK_CONTAINS(text, "\"from\":\"sender\"");
        gr_string_free(text);
    }
    CHECK_OK(gr_subscription_next(inbox, PATIENCE_MS, &text));
    CHECK_CONTAINS(text, "\"kind\":\"broadcast\"");
    gr_string_free(text);

    CHECK_STATUS(gr_send(sender, "nobody", "1"), GR_INVALID_ARGUMENT);
    CHECK_CONTAINS(gr_last_error(), "nobody");
    gr_subscription_free(inbox);
    gr_connector_free(receiver);
    gr_connector_free(sender);
}

struct responder {
    const gr_connector *conn;
    int answered;
};

static void answer(const char *event_json, void *user_data) {
    struct responder *r = user_data;
    if (strstr(event_json, "\"kind\":\"request\"") != NULL &&
        gr_reply(r->conn, event_json, "{\"answer\":42}") == GR_OK) {
        r->answered++;
    }
}

static void a_callback_answers_a_request(void) {
    char group[128];
    unique_group(group, sizeof group, "request");
    gr_connector *server = connect_as(group, "server");
    gr_connector *client = connect_as(group, "client");
    char *member = NULL;
    CHECK_OK(gr_join(server, NULL, NULL, &member));
    gr_string_free(member);
    struct responder r = {server, 0};
    gr_subscription *inbox = NULL;
    CHECK_OK(gr_listen(server, NULL, &inbox));
    CHECK_OK(gr_subscription_listen(inbox, answer, &r, NULL));
    char *reply = NULL;
    CHECK_OK(gr_request(client, "server", "\"question\"", PATIENCE_MS, &reply));
    CHECK_STR(reply, "{\"answer\":42}");
    gr_string_free(reply);
    gr_subscription_free(inbox);
    CHECK(r.answered == 1);
    CHECK_STATUS(gr_request(client, "server", "\"nobody listens\"", 200, &reply), GR_TIMEOUT);
    gr_connector_free(server);
    gr_connector_free(client);
}

static void consumer_group_consume_and_ack(void) {
    char group[128];
    unique_group(group, sizeof group, "consumers");
    gr_connector *conn = connect_as(group, "worker");
    char *indexes = NULL;
    CHECK_OK(gr_topic_send(conn, "jobs", "[\"a\",\"b\"]", &indexes));
    gr_string_free(indexes);
    char *messages = NULL;
    CHECK_OK(gr_topic_consume(conn, "jobs", "workers", 10, 0, &messages));
    CHECK_CONTAINS(messages, "\"payload\":\"a\"");
    CHECK_CONTAINS(messages, "\"payload\":\"b\"");
    unsigned long long first = 0;
    const char *at = messages ? strstr(messages, "\"index\":") : NULL;
    if (at != NULL) first = strtoull(at + 8, NULL, 10);
    gr_string_free(messages);
    char list[64];
    snprintf(list, sizeof list, "[%llu,%llu]", first, first + 1);
    char *acked = NULL;
    CHECK_OK(gr_topic_ack(conn, "jobs", "workers", list, &acked));
    CHECK_STR(acked, "[true,true]");
    gr_string_free(acked);
    CHECK_OK(gr_topic_ack(conn, "jobs", "workers", list, &acked));
    CHECK_STR(acked, "[false,false]");
    gr_string_free(acked);
    CHECK_OK(gr_topic_consume(conn, "jobs", "workers", 10, 0, &messages));
    CHECK_STR(messages, "[]");
    gr_string_free(messages);
    gr_connector_free(conn);
}

int main(void) {
    RUN(topic_send_read_info);
    RUN(messages_in_order_and_unknown_member_refused);
    RUN(a_callback_answers_a_request);
    RUN(consumer_group_consume_and_ack);
    return finish("test_messages");
}
