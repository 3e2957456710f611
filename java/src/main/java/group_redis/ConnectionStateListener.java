package group_redis;

/**
 * Receives connection-state changes on the subscription's dispatcher thread. What it throws
 * is logged and delivery goes on. The {@link EventListener} of connection states, under its
 * own name.
 */
@FunctionalInterface
public interface ConnectionStateListener extends EventListener<ConnectionState> {
    /**
     * Called for each change (SUSPENDED, LOST, RECONNECTED, CLOSED).
     *
     * @param state the new state
     */
    void onStateChange(ConnectionState state);

    /**
     * Hands the state to {@link #onStateChange}.
     *
     * @param state the new state
     */
    @Override
    default void onEvent(ConnectionState state) {
        onStateChange(state);
    }
}
