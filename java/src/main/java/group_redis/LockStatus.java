package group_redis;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * What Redis says of a lock ({@link GroupConnector#lockStatus}): its holder, and, when it is
 * free but no lock of the group is granted yet, until when grants are held back. That
 * happens after Redis lost or rolled back the group's state: holders from before may still
 * trust their leases, so {@code lock()} returns not-acquired until then.
 */
public final class LockStatus {
    private final LockHolder holder;
    private final Instant grantsHeldUntil;

    private LockStatus(LockHolder holder, Instant grantsHeldUntil) {
        this.holder = holder;
        this.grantsHeldUntil = grantsHeldUntil;
    }

    /** As the native layer reports it: {@code {"holder": {...} or null, "grants_held_until_ms": n or null}}. */
    static LockStatus fromJson(Object decoded) {
        Map<String, Object> map = Json.asMap(decoded);
        Object holder = map.get("holder");
        Object until = map.get("grants_held_until_ms");
        return new LockStatus(holder == null ? null : LockHolder.fromJson(holder),
                until == null ? null : Instant.ofEpochMilli(Json.asLong(until)));
    }

    /**
     * The holder, as {@link GroupConnector#lockHolder} reports it.
     *
     * @return the holder, or empty when the lock is free
     */
    public Optional<LockHolder> holder() {
        return Optional.ofNullable(holder);
    }

    /**
     * When the lock is free but grants are held back (a restart grace): the server time from
     * which they resume.
     *
     * @return the end of the grace, or empty when there is none
     */
    public Optional<Instant> grantsHeldUntil() {
        return Optional.ofNullable(grantsHeldUntil);
    }

    @Override
    public String toString() {
        return "LockStatus{holder=" + holder + ", grantsHeldUntil=" + grantsHeldUntil + "}";
    }
}
