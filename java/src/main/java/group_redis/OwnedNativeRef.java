package group_redis;

import java.util.function.LongConsumer;

/**
 * A native handle owned by one of a connector's objects (a subscription, a leadership, an
 * assignment): freed by whoever leaves last once closed, which gives back its use of the
 * connector. It is the Cleaner's action too, so it refers to no Java owner.
 */
final class OwnedNativeRef extends NativeRef implements Runnable {
    private final NativeHandle connector;
    private final LongConsumer freeNative;

    OwnedNativeRef(long handle, NativeHandle connector, LongConsumer freeNative, String closedMessage) {
        super(handle, closedMessage);
        this.connector = connector;
        this.freeNative = freeNative;
    }

    @Override
    void free(long handle) {
        try {
            freeNative.accept(handle);
        } finally {
            connector.release();
        }
    }

    /** Closes once: no new calls; freed when the calls in flight are done. */
    @Override
    public void run() {
        if (markClosed()) {
            releaseOwner();
        }
    }
}
