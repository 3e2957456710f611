package group_redis;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** One live member of the group, as seen at some moment. Immutable. */
public final class Member {
    private final String id;
    private final List<String> subGroups;
    private final Object payload;
    private final long joinedAt;
    private final String session;
    private final boolean online;

    Member(String id, List<String> subGroups, Object payload, long joinedAt, String session, boolean online) {
        this.id = id;
        this.subGroups = Collections.unmodifiableList(new ArrayList<>(subGroups));
        this.payload = payload;
        this.joinedAt = joinedAt;
        this.session = session;
        this.online = online;
    }

    static Member fromJson(Object decoded) {
        Map<String, Object> map = Json.asMap(decoded);
        List<String> groups = new ArrayList<>();
        for (Object group : Json.asList(map.get("sub_groups"))) {
            groups.add((String) group);
        }
        return new Member((String) map.get("id"), groups, map.get("payload"),
                Json.asLong(map.get("joined_at")), (String) map.get("session"),
                !Boolean.FALSE.equals(map.get("online")));
    }

    static List<Member> listFromJson(Object decoded) {
        List<Member> members = new ArrayList<>();
        for (Object item : Json.asList(decoded)) {
            members.add(fromJson(item));
        }
        return Collections.unmodifiableList(members);
    }

    /**
     * The member id ({@code <hostname>-<pid>} by default).
     *
     * @return the id
     */
    public String id() {
        return id;
    }

    /**
     * The sub-groups it belongs to.
     *
     * @return an unmodifiable list
     */
    public List<String> subGroups() {
        return subGroups;
    }

    /**
     * Its payload (decoded JSON: Map, List, String, Integer/Long/BigInteger/Double, Boolean), or null.
     *
     * @return the payload
     */
    public Object payload() {
        return payload;
    }

    /**
     * When it joined: Redis server time in milliseconds since the Unix epoch.
     *
     * @return the join time
     */
    public long joinedAt() {
        return joinedAt;
    }

    /**
     * The session that holds it (changes when its connector had to start a new session).
     *
     * @return the session id
     */
    public String session() {
        return session;
    }

    /**
     * Whether it is online: a member sets itself offline without leaving
     * ({@link GroupConnector#setOnline}).
     *
     * @return the online flag
     */
    public boolean online() {
        return online;
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof Member)) {
            return false;
        }
        Member that = (Member) other;
        return id.equals(that.id) && subGroups.equals(that.subGroups) && Objects.equals(payload, that.payload)
                && joinedAt == that.joinedAt && session.equals(that.session)
                && online == that.online;
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, subGroups, payload, joinedAt, session, online);
    }

    @Override
    public String toString() {
        return "Member{id=" + id + ", subGroups=" + subGroups + ", payload=" + payload + ", joinedAt=" + joinedAt
                + ", session=" + session + ", online=" + online + "}";
    }
}
