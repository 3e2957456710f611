package group_redis;

/**
 * A registered listener. Closing it stops delivery; closing the connector closes it too.
 */
public interface Subscription extends AutoCloseable {
    /**
     * Stops delivery and releases the listener. Returns once a callback that is running has
     * finished, except when called from inside that callback. Idempotent and thread-safe.
     */
    @Override
    void close();

    /**
     * Whether the listener is still registered.
     *
     * @return false after {@link #close()} (or the connector's close)
     */
    boolean isOpen();
}
