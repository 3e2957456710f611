package group_redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Messages to live members and the durable topic log of one connector
 * ({@link GroupConnector#messages()}); docs/MESSAGES.md says which to use when. Messages
 * ({@link #send}, {@link #broadcast}, {@link #request}, {@link #listen()}) go to live members
 * and die with them: sending to a member that is not there, or whose lease ran out, throws
 * {@link InvalidArgumentException} naming it. A topic ({@link #topicSend}, {@link #topicRead},
 * consumer groups with {@link #topicConsume} and {@link #topicAck}) is durable and read from
 * an index. Thread-safe; every call may block on Redis.
 */
public final class Messages {
    private final NativeHandle handle;

    Messages(NativeHandle handle) {
        this.handle = handle;
    }

    /**
     * Sends {@code payload} to the live member {@code memberId}.
     *
     * @param memberId the recipient
     * @param payload JSON-able payload
     */
    public void send(String memberId, Object payload) {
        String json = Json.encode(payload);
        handle.run(h -> NativeLib.send(h, memberId, json));
    }

    /**
     * Sends {@code payload} to every live member of the group, or of {@code subGroup}.
     *
     * @param payload JSON-able payload
     * @param subGroup a sub-group, or null for the whole group
     * @return how many members it went to
     */
    public long broadcast(Object payload, String subGroup) {
        String json = Json.encode(payload);
        return handle.callLong(h -> NativeLib.broadcast(h, json, subGroup));
    }

    /**
     * Sends a request to the live member {@code memberId} and waits for its reply.
     *
     * @param memberId the member that answers
     * @param payload JSON-able payload
     * @param timeout how long to wait for the reply
     * @return the reply
     * @throws RedisTimeoutException when no reply came in time
     */
    public Object request(String memberId, Object payload, Duration timeout) {
        String json = Json.encode(payload);
        long ms = timeout.toMillis();
        return Json.decode(handle.call(h -> NativeLib.request(h, memberId, json, ms)));
    }

    /**
     * Answers {@code request} (a message whose {@link Message#isRequest()}) with {@code payload}.
     *
     * @param request the request as received
     * @param payload JSON-able reply
     */
    public void reply(Message request, Object payload) {
        String json = Json.encode(payload);
        handle.run(h -> NativeLib.reply(h, request.json(), json));
    }

    /**
     * The messages of this connector's member id.
     *
     * @return the subscription; close it to stop
     */
    public MessageSubscription listen() {
        return listen(null);
    }

    /**
     * The messages of {@code memberId}, a member this connector joined.
     *
     * @param memberId the member, or null for the connector's member id
     * @return the subscription; close it to stop
     */
    public MessageSubscription listen(String memberId) {
        return new MessageSubscription(handle, memberId);
    }

    /**
     * Appends {@code messages} to {@code topic} in one round trip.
     *
     * @param topic the topic
     * @param messages JSON-able messages
     * @return their indexes, in order
     */
    public List<Long> topicSend(String topic, List<?> messages) {
        String json = Json.encode(messages);
        List<Long> indexes = new ArrayList<>();
        for (Object index : Json.decodeList(handle.call(h -> NativeLib.topicSend(h, topic, json)))) {
            indexes.add(Json.asLong(index));
        }
        return indexes;
    }

    /**
     * Reads up to {@code maxCount} messages of {@code topic} from {@code fromIndex} on (a
     * trimmed index reads from the first message held).
     *
     * @param topic the topic
     * @param fromIndex the first index wanted
     * @param maxCount at most this many (1..10000)
     * @param wait how long to wait for a first message when there is none (zero: no wait)
     * @return the messages in index order; the next index to read is the last one's + 1
     */
    public List<TopicMessage> topicRead(String topic, long fromIndex, int maxCount, Duration wait) {
        long ms = wait.toMillis();
        Map<String, Object> batch = Json.asMap(Json.decode(
                handle.call(h -> NativeLib.topicRead(h, topic, fromIndex, maxCount, ms))));
        return messages(Json.asList(batch.get("messages")));
    }

    /**
     * The first index {@code topic} still holds, the last it gave, and its length.
     *
     * @param topic the topic
     * @return its extent
     */
    public TopicInfo topicInfo(String topic) {
        return TopicInfo.fromJson(handle.call(h -> NativeLib.topicInfo(h, topic)));
    }

    /**
     * Keeps at most {@code maxLen} messages of {@code topic} (0: no limit) and none older than
     * {@code maxAge} (zero: no limit), applied now and every second by the connectors using
     * topics.
     *
     * @param topic the topic
     * @param maxLen the most messages kept, 0 for no limit
     * @param maxAge the oldest message kept, zero for no limit
     * @return how many messages were removed now
     */
    public long topicSetRetention(String topic, long maxLen, Duration maxAge) {
        long ms = maxAge.toMillis();
        return handle.callLong(h -> NativeLib.topicSetRetention(h, topic, maxLen, ms));
    }

    /**
     * Takes up to {@code maxCount} messages of {@code topic} for this connector's session in
     * the consumer group {@code group}: first those of consumers whose session ended, then
     * new ones. Acknowledge each with {@link #topicAck} once processed.
     *
     * @param topic the topic
     * @param group the consumer group
     * @param maxCount at most this many
     * @param wait how long to wait for one when there is none (zero: no wait)
     * @return the messages
     */
    public List<TopicMessage> topicConsume(String topic, String group, int maxCount, Duration wait) {
        long ms = wait.toMillis();
        return messages(Json.decodeList(handle.call(h -> NativeLib.topicConsume(h, topic, group, maxCount, ms))));
    }

    /**
     * Acknowledges messages of a consumer group.
     *
     * @param topic the topic
     * @param group the consumer group
     * @param indexes the messages' indexes
     * @return per index: true when this connector's live session held it and it is now
     *     acknowledged, false when another consumer has it (drop that work)
     */
    public List<Boolean> topicAck(String topic, String group, List<Long> indexes) {
        String json = Json.encode(indexes);
        List<Boolean> acked = new ArrayList<>();
        for (Object one : Json.decodeList(handle.call(h -> NativeLib.topicAck(h, topic, group, json)))) {
            acked.add(Boolean.TRUE.equals(one));
        }
        return acked;
    }

    private static List<TopicMessage> messages(List<Object> items) {
        List<TopicMessage> messages = new ArrayList<>();
        for (Object item : items) {
            messages.add(TopicMessage.fromMap(Json.asMap(item)));
        }
        return messages;
    }
}
