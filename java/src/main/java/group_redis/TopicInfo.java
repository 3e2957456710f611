package group_redis;

import java.util.Map;
import java.util.OptionalLong;

/** A topic's extent ({@link Messages#topicInfo}). Immutable. */
public final class TopicInfo {
    private final OptionalLong firstIndex;
    private final OptionalLong lastIndex;
    private final long length;

    private TopicInfo(OptionalLong firstIndex, OptionalLong lastIndex, long length) {
        this.firstIndex = firstIndex;
        this.lastIndex = lastIndex;
        this.length = length;
    }

    static TopicInfo fromJson(String text) {
        Map<String, Object> map = Json.asMap(Json.decode(text));
        return new TopicInfo(optional(map.get("first_index")), optional(map.get("last_index")),
                Json.asLong(map.get("length")));
    }

    private static OptionalLong optional(Object value) {
        return value == null ? OptionalLong.empty() : OptionalLong.of(Json.asLong(value));
    }

    /** @return the first index the topic still holds; empty when it holds none */
    public OptionalLong firstIndex() {
        return firstIndex;
    }

    /** @return the last index it ever gave; empty when none (or Redis lost it) */
    public OptionalLong lastIndex() {
        return lastIndex;
    }

    /** @return how many messages it holds */
    public long length() {
        return length;
    }

    @Override
    public String toString() {
        return "TopicInfo{first=" + firstIndex + ", last=" + lastIndex + ", length=" + length + "}";
    }
}
