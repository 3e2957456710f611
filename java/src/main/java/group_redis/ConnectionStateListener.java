package group_redis;

/**
 * Receives connection-state changes on the subscription's dispatcher thread. What it throws
 * is logged and delivery goes on.
 */
@FunctionalInterface
public interface ConnectionStateListener {
    /**
     * Called for each change (SUSPENDED, LOST, RECONNECTED, CLOSED).
     *
     * @param state the new state
     */
    void onStateChange(ConnectionState state);
}
