package group_redis;

import java.util.Map;
import java.util.Objects;

/**
 * A leadership's state ({@link Leadership#subscribe()}, {@link Leadership#addListener}):
 * {@link State#LEADER} with the term's fencing token, {@link State#UNSURE} (the lease is in
 * doubt: act as not leading) with the token it led with, or {@link State#FOLLOWER} (token 0).
 * Immutable.
 */
public final class LeaderEvent {
    /** Where a campaign stands. */
    public enum State {
        /** This connector leads; {@link LeaderEvent#token()} is the term's fencing token. */
        LEADER,
        /** It led, but the connection is SUSPENDED: not leading until LEADER comes back. */
        UNSURE,
        /** Not leading: campaigning, lost (LOST), resigned or closed. */
        FOLLOWER
    }

    private final State state;
    private final long token;

    LeaderEvent(State state, long token) {
        this.state = state;
        this.token = token;
    }

    /** {@code {"state":"LEADER","token":N}} and the like, as the native layer reports it. */
    static LeaderEvent fromJson(String json) {
        Map<String, Object> map = Json.asMap(Json.decode(json));
        Object token = map.get("token");
        return new LeaderEvent(State.valueOf((String) map.get("state")), token == null ? 0 : Json.asLong(token));
    }

    /**
     * The state.
     *
     * @return LEADER, UNSURE or FOLLOWER
     */
    public State state() {
        return state;
    }

    /**
     * Whether this is the LEADER state.
     *
     * @return true for LEADER
     */
    public boolean isLeader() {
        return state == State.LEADER;
    }

    /**
     * The term's fencing token (LEADER, UNSURE), 0 for FOLLOWER.
     *
     * @return the token
     */
    public long token() {
        return token;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof LeaderEvent && ((LeaderEvent) other).state == state
                && ((LeaderEvent) other).token == token;
    }

    @Override
    public int hashCode() {
        return Objects.hash(state, token);
    }

    @Override
    public String toString() {
        return state == State.FOLLOWER ? "FOLLOWER" : state + "(" + token + ")";
    }
}
