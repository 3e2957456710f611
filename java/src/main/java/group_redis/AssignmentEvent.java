package group_redis;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A participant's share of an assignment topic ({@link Assignment}): the ids it owns, the
 * leader's record epoch, and each id's fencing token (it grows with every assignment of the
 * id: pass it to the resource behind the id). Immutable.
 */
public final class AssignmentEvent {
    private final String member;
    private final long epoch;
    private final List<String> ids;
    private final Map<String, Long> tokens;

    AssignmentEvent(String member, long epoch, List<String> ids, Map<String, Long> tokens) {
        this.member = member;
        this.epoch = epoch;
        this.ids = Collections.unmodifiableList(ids);
        this.tokens = Collections.unmodifiableMap(tokens);
    }

    /** {@code {"member","epoch","ids":[...],"tokens":{...}}}, as the native layer reports it. */
    static AssignmentEvent fromJson(String json) {
        Map<String, Object> map = Json.asMap(Json.decode(json));
        List<String> ids = new ArrayList<>();
        for (Object id : (List<?>) map.get("ids")) {
            ids.add((String) id);
        }
        Map<String, Long> tokens = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : Json.asMap(map.get("tokens")).entrySet()) {
            tokens.put(e.getKey(), Json.asLong(e.getValue()));
        }
        return new AssignmentEvent((String) map.get("member"), Json.asLong(map.get("epoch")), ids, tokens);
    }

    /**
     * The participant's member id.
     *
     * @return the member id
     */
    public String member() {
        return member;
    }

    /**
     * The leader's record epoch this share comes from (0: none yet, or dropped on LOST).
     *
     * @return the epoch
     */
    public long epoch() {
        return epoch;
    }

    /**
     * The ids this participant owns, sorted.
     *
     * @return the ids
     */
    public List<String> ids() {
        return ids;
    }

    /**
     * Each owned id's fencing token.
     *
     * @return id to token
     */
    public Map<String, Long> tokens() {
        return tokens;
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof AssignmentEvent)) {
            return false;
        }
        AssignmentEvent o = (AssignmentEvent) other;
        return member.equals(o.member) && epoch == o.epoch && ids.equals(o.ids) && tokens.equals(o.tokens);
    }

    @Override
    public int hashCode() {
        return Objects.hash(member, epoch, ids, tokens);
    }

    @Override
    public String toString() {
        return member + "@" + epoch + ids;
    }
}
