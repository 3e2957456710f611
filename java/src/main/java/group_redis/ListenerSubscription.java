package group_redis;

import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicLong;

/** A native subscription (member events or connection states) owned by a connector. */
final class ListenerSubscription implements Subscription {
    private static final System.Logger LOG = System.getLogger("group_redis");
    /** How long a connector's close waits for a listener to receive its last event. */
    private static final long LAST_EVENT_WAIT_SECONDS = 30;

    private final AtomicLong subscription;
    private final NativeHandle owner;
    private final NativeEventSink sink;
    private final boolean endsWithConnector;

    /**
     * @param endsWithConnector whether the connector's close delivers a last event to wait
     *     for (CLOSED, to a state listener)
     */
    ListenerSubscription(long subscription, NativeHandle owner, NativeEventSink sink, boolean endsWithConnector) {
        this.subscription = new AtomicLong(subscription);
        this.owner = owner;
        this.sink = sink;
        this.endsWithConnector = endsWithConnector;
    }

    @Override
    public boolean isOpen() {
        return subscription.get() != 0;
    }

    /**
     * Stops delivery: returns after a running callback finished (unless called from inside
     * one) and releases the listener. Idempotent and thread-safe.
     */
    @Override
    public void close() {
        long handle = subscription.getAndSet(0);
        if (handle != 0) {
            owner.untrack(this);
            NativeLib.unsubscribe(handle);
        }
    }

    /**
     * The connector was closed: lets the listener receive its last event first, unless this
     * thread is that listener's (it closed the connector from inside its callback).
     */
    void closeWithConnector() {
        if (endsWithConnector && isOpen() && !sink.isDeliveringHere() && !sink.awaitEnded(LAST_EVENT_WAIT_SECONDS)) {
            LOG.log(Level.WARNING, "group-redis: a listener did not receive its last event within "
                    + LAST_EVENT_WAIT_SECONDS + " s of the connector's close; stopping it");
        }
        close();
    }
}
