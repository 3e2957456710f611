package group_redis;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One successful acquisition of a lock, for try-with-resources:
 *
 * <pre>{@code
 * try (LockHandle lock = connector.tryLock("reindex", Duration.ofSeconds(5)).orElseThrow()) {
 *     storage.write(data, lock.token()); // the fencing token guards the resource
 * }
 * }</pre>
 *
 * {@link #close()} releases this acquisition once (a re-entrant hold drops by one).
 */
public final class LockHandle implements AutoCloseable {
    private final ConnectorBase connector;
    private final String name;
    private final String member;
    private final long token;
    private final AtomicBoolean released = new AtomicBoolean();

    LockHandle(ConnectorBase connector, String name, String member, long token) {
        this.connector = connector;
        this.name = name;
        this.member = member;
        this.token = token;
    }

    /**
     * The lock name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The member id it was taken for, or null for the connector's own member id.
     *
     * @return the member id
     */
    public String member() {
        return member;
    }

    /**
     * The fencing token: strictly increasing per lock name across the group's lifetime. Pass
     * it to the resource you protect so it can refuse a stale holder.
     *
     * @return the token
     */
    public long token() {
        return token;
    }

    /**
     * Whether this connector still holds the lock with a valid lease (no I/O).
     *
     * @return false once released or once the lease may have run out (LOST)
     */
    public boolean isHeld() {
        return !released.get() && connector.heldToken(name).orElse(NativeLib.NO_TOKEN) == token;
    }

    /**
     * Releases this acquisition (once; later calls do nothing). A connector closed in the
     * meantime has released it already.
     *
     * @return true when Redis released a hold now
     */
    public boolean release() {
        if (!released.compareAndSet(false, true) || connector.isClosed()) {
            return false;
        }
        try {
            return member == null ? connector.release(name) : connector.releaseAs(member, name);
        } catch (ConnectorClosedException closedMeanwhile) {
            return false; // closing the connector released every lock it held
        }
    }

    /** Same as {@link #release()}. */
    @Override
    public void close() {
        release();
    }

    @Override
    public String toString() {
        return "LockHandle{name=" + name + ", token=" + token + "}";
    }
}
