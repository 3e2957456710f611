package group_redis;

import java.util.Map;

/**
 * One message of a topic ({@link Messages#topicRead}, {@link Messages#topicConsume}): its
 * index (larger than every index before it in the topic), payload and the server time it was
 * appended. Immutable.
 */
public final class TopicMessage {
    private final long index;
    private final Object payload;
    private final long time;

    private TopicMessage(long index, Object payload, long time) {
        this.index = index;
        this.payload = payload;
        this.time = time;
    }

    static TopicMessage fromMap(Map<String, Object> map) {
        return new TopicMessage(Json.asLong(map.get("index")), map.get("payload"), Json.asLong(map.get("time")));
    }

    /** @return its index */
    public long index() {
        return index;
    }

    /** @return the payload */
    public Object payload() {
        return payload;
    }

    /** @return when Redis appended it (server ms since the Unix epoch) */
    public long time() {
        return time;
    }

    @Override
    public String toString() {
        return "TopicMessage{index=" + index + ", payload=" + payload + "}";
    }
}
