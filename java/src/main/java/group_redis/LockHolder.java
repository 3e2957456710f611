package group_redis;

import java.util.Map;
import java.util.Objects;

/**
 * Who holds a lock, as Redis recorded it when asked ({@link GroupConnector#lockHolder}):
 * the member id the hold was taken as, that holder's session and the fencing token of the
 * hold. Immutable; two are equal when all three are.
 */
public final class LockHolder {
    private final String member;
    private final String session;
    private final long token;

    LockHolder(String member, String session, long token) {
        this.member = member;
        this.session = session;
        this.token = token;
    }

    /** The holder as the native layer reports it: {@code {"member":..,"session":..,"token":..}}. */
    static LockHolder fromJson(Object decoded) {
        Map<String, Object> map = Json.asMap(decoded);
        return new LockHolder((String) map.get("member"), (String) map.get("session"), Json.asLong(map.get("token")));
    }

    /**
     * The member id the lock was taken as (the holder's own, or one it took it for).
     *
     * @return the member id
     */
    public String member() {
        return member;
    }

    /**
     * The holder's session id ({@link GroupConnector#sessionId()} of the holding connector):
     * the lock goes when that session ends.
     *
     * @return the session id
     */
    public String session() {
        return session;
    }

    /**
     * The fencing token of the hold ({@link LockHandle#token()} of the holder).
     *
     * @return the token
     */
    public long token() {
        return token;
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof LockHolder)) {
            return false;
        }
        LockHolder that = (LockHolder) other;
        return member.equals(that.member) && session.equals(that.session) && token == that.token;
    }

    @Override
    public int hashCode() {
        return Objects.hash(member, session, token);
    }

    @Override
    public String toString() {
        return "LockHolder{member=" + member + ", session=" + session + ", token=" + token + "}";
    }
}
