package group_redis;

/**
 * A subscription to the connector's connection states ({@link GroupConnector#subscribeState()},
 * {@link GroupConnector#addConnectionStateListener}): SUSPENDED, LOST, RECONNECTED, and CLOSED
 * as the last event when the connector closes (a listener has received it when
 * {@link GroupConnector#close()} returns, unless it called close() itself). See
 * {@link Subscription} for the pull and push forms.
 */
public final class StateSubscription extends NativeSubscription<ConnectionState, ConnectionState> {
    StateSubscription(NativeHandle connector) {
        super(connector, NativeLib::subscribeState, StateSubscription::decode, StateSubscription::decode);
    }

    /** A state as the native side sends it: a JSON string, e.g. {@code "SUSPENDED"}. */
    private static ConnectionState decode(String json) {
        return ConnectionState.valueOf((String) Json.decode(json));
    }

    /**
     * The connection state when the subscription started (CONNECTED, SUSPENDED or LOST).
     *
     * @return the state
     */
    @Override
    public ConnectionState snapshot() {
        return super.snapshot();
    }
}
