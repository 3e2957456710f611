package group_redis;

import java.util.concurrent.atomic.AtomicLong;

/** A native subscription (member events or connection states) owned by a connector. */
final class ListenerSubscription implements Subscription {
    private final AtomicLong subscription;
    private final NativeHandle owner;

    ListenerSubscription(long subscription, NativeHandle owner) {
        this.subscription = new AtomicLong(subscription);
        this.owner = owner;
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
}
