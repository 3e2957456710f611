package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Messages and the topic log from Java: topics, ordered messages, requests, consumer groups. */
class MessagesTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    private static final Duration BOUND = Duration.ofMillis(Waits.BOUND_MS);

    @Test
    void topicBatchSendReadAndConsumerGroupAck() {
        try (GroupConnector c = GroupConnector.connect(REDIS.freshGroup().build())) {
            Messages messages = c.messages();
            List<Long> indexes = messages.topicSend("orders", List.of(Map.of("id", 1), "two", 3));
            assertEquals(3, indexes.size());
            assertEquals(indexes.get(0) + 2, (long) indexes.get(2));
            List<TopicMessage> read = messages.topicRead("orders", indexes.get(0), 10, Duration.ZERO);
            assertEquals(List.of(Map.of("id", 1), "two", 3),
                    List.of(read.get(0).payload(), read.get(1).payload(), read.get(2).payload()));
            assertTrue(messages.topicRead("orders", indexes.get(2) + 1, 10, Duration.ofMillis(100)).isEmpty());

            TopicInfo info = messages.topicInfo("orders");
            assertEquals(indexes.get(0), info.firstIndex().getAsLong());
            assertEquals(indexes.get(2), info.lastIndex().getAsLong());
            assertEquals(3, info.length());

            List<TopicMessage> taken = messages.topicConsume("orders", "workers", 10, Duration.ZERO);
            assertEquals(3, taken.size());
            List<Long> takenIndexes = new ArrayList<>();
            taken.forEach(m -> takenIndexes.add(m.index()));
            assertEquals(List.of(true, true, true), messages.topicAck("orders", "workers", takenIndexes));
            assertEquals(List.of(false, false, false), messages.topicAck("orders", "workers", takenIndexes));
            assertEquals(1, messages.topicSetRetention("orders", 2, Duration.ZERO));
            assertEquals(2, messages.topicInfo("orders").length());
        }
    }

    @Test
    void messagesArriveInOrderAndRequestsAreAnswered() throws Exception {
        GroupConfig.Builder group = REDIS.freshGroup();
        try (GroupConnector server = GroupConnector.connect(group.memberId("server").build());
                GroupConnector client = GroupConnector.connect(group.memberId("client").build())) {
            server.join();
            try (MessageSubscription inbox = server.messages().listen()) {
                assertEquals("server", inbox.snapshot());
                for (int i = 0; i < 20; i++) {
                    client.messages().send("server", i);
                }
                for (int i = 0; i < 20; i++) {
                    Message message = inbox.poll(BOUND);
                    assertNotNull(message, "message " + i);
                    assertEquals(i, message.payload());
                    assertEquals("client", message.from());
                    assertEquals(Message.Kind.SEND, message.kind());
                }
            }
            // A later listener of this connector starts after what the first was given.
            try (MessageSubscription requests = server.messages().listen()) {
                List<Object> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
                requests.listen(message -> {
                    seen.add(message.payload());
                    if (message.isRequest()) {
                        server.messages().reply(message, Map.of("echo", message.payload()));
                    }
                });
                assertEquals(Map.of("echo", "ping"), client.messages().request("server", "ping", BOUND));
                assertEquals(List.of("ping"), seen);
            }
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> client.messages().send("nobody", 1));
            assertTrue(e.getMessage().contains("nobody"), e.getMessage());
        }
    }
}
