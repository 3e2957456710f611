package group_redis;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Who leads a name ({@link GroupConnector#leader}, {@link GroupConnector#observeLeader}): the
 * leader's member id and its term's fencing token, or nobody. Immutable.
 */
public final class LeaderView {
    private final String leader;
    private final long token;

    LeaderView(String leader, long token) {
        this.leader = leader;
        this.token = token;
    }

    /** {@code {"leader":ID or null,"token":N or null}}, as the native layer reports it. */
    static LeaderView fromJson(String json) {
        Map<String, Object> map = Json.asMap(Json.decode(json));
        Object token = map.get("token");
        return new LeaderView((String) map.get("leader"), token == null ? 0 : Json.asLong(token));
    }

    /**
     * The leader's member id.
     *
     * @return the member id, or empty when nobody leads
     */
    public Optional<String> leader() {
        return Optional.ofNullable(leader);
    }

    /**
     * The leader's term (its fencing token).
     *
     * @return the token, 0 when nobody leads
     */
    public long token() {
        return token;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof LeaderView && Objects.equals(((LeaderView) other).leader, leader)
                && ((LeaderView) other).token == token;
    }

    @Override
    public int hashCode() {
        return Objects.hash(leader, token);
    }

    @Override
    public String toString() {
        return leader == null ? "no leader" : leader + "(" + token + ")";
    }
}
