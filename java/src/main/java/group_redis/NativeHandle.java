package group_redis;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import java.util.function.LongFunction;
import java.util.function.LongPredicate;
import java.util.function.LongUnaryOperator;

/**
 * Owns one native connector and makes its lifetime safe under concurrency: every native
 * call runs between {@link #enter()} and {@link #exit()} (through {@link #call} and its
 * primitive variants, the one place that pairs them), and the native memory is freed by
 * whoever leaves last after {@link #close()}. So close() may run while other threads are
 * inside calls (they finish, or fail with {@link ConnectorClosedException} from the core),
 * may run twice, and may run from the {@link java.lang.ref.Cleaner} of a connector that was
 * never closed, without a use-after-free.
 *
 * <p>This object must not refer to its {@link GroupConnector}: it is the Cleaner's action.
 */
final class NativeHandle implements Runnable {
    private static final System.Logger LOG = System.getLogger("group_redis");

    private final long handle;
    /** Calls in flight plus one for the owner; the native object is freed when it hits 0. */
    private final AtomicInteger users = new AtomicInteger(1);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Set<ListenerSubscription> subscriptions = ConcurrentHashMap.newKeySet();

    NativeHandle(long handle) {
        this.handle = handle;
    }

    /**
     * Runs one native call on the live handle.
     *
     * @throws ConnectorClosedException when the connector is closed
     */
    <T> T call(LongFunction<T> nativeCall) {
        long h = enter();
        try {
            return nativeCall.apply(h);
        } finally {
            exit();
        }
    }

    /** {@link #call} for a native call returning {@code long}, without boxing it. */
    long callLong(LongUnaryOperator nativeCall) {
        long h = enter();
        try {
            return nativeCall.applyAsLong(h);
        } finally {
            exit();
        }
    }

    /** {@link #call} for a native call returning {@code boolean}, without boxing it. */
    boolean callBoolean(LongPredicate nativeCall) {
        long h = enter();
        try {
            return nativeCall.test(h);
        } finally {
            exit();
        }
    }

    /** {@link #call} for a native call returning nothing. */
    void run(LongConsumer nativeCall) {
        long h = enter();
        try {
            nativeCall.accept(h);
        } finally {
            exit();
        }
    }

    /** Starts a native call: returns the handle, or throws when the connector is closed. */
    private long enter() {
        while (true) {
            int current = users.get();
            if (current == 0 || closed.get()) {
                throw new ConnectorClosedException("connector is closed");
            }
            if (users.compareAndSet(current, current + 1)) {
                return handle;
            }
        }
    }

    /** Ends a native call started with {@link #enter()}. */
    private void exit() {
        if (users.decrementAndGet() == 0) {
            NativeLib.free(handle);
        }
    }

    boolean isClosed() {
        return closed.get();
    }

    void track(ListenerSubscription subscription) {
        subscriptions.add(subscription);
        if (closed.get()) {
            // close() may have swept the set just before we added to it.
            subscription.close();
        }
    }

    void untrack(ListenerSubscription subscription) {
        subscriptions.remove(subscription);
    }

    /**
     * Closes once: closes the native connector (members leave, locks are released, ephemeral
     * keys deleted), stops listeners once they had their last event (CLOSED), then drops the
     * owner's use. A Redis failure while closing is logged, not thrown: the session then
     * simply expires.
     */
    void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        users.incrementAndGet();
        try {
            // First, so that state listeners get CLOSED: the core publishes it as the last
            // state event of the connector, and each subscription below waits for it.
            NativeLib.close(handle);
        } catch (GroupRedisException e) {
            LOG.log(Level.WARNING, "group-redis: closing the connector did not reach Redis; its session will expire", e);
        } finally {
            exit(); // this call's use
        }
        try {
            for (ListenerSubscription subscription : new ArrayList<>(subscriptions)) {
                subscription.closeWithConnector();
            }
        } finally {
            exit(); // the owner's use
        }
    }

    /** Cleaner action: a connector that became unreachable without close(). */
    @Override
    public void run() {
        close();
    }
}
