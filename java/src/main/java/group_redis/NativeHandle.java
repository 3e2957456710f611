package group_redis;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Owns one native connector (see {@link NativeRef}): close() may run while other threads are
 * inside calls (they finish, or fail with {@link ConnectorClosedException} from the core), may
 * run twice, and may run from the {@link java.lang.ref.Cleaner} of a connector that was never
 * closed. It also keeps the connector's listening subscriptions alive until they are closed
 * or the connector is, and ends them on close. Each open subscription holds a use of the
 * native connector, so the connector is freed after its last subscription.
 *
 * <p>This object must not refer to its {@link GroupConnector}: it is the Cleaner's action.
 */
final class NativeHandle extends NativeRef implements Runnable {
    private static final System.Logger LOG = System.getLogger("group_redis");

    private final Set<NativeSubscription<?, ?>> listening = ConcurrentHashMap.newKeySet();

    NativeHandle(long handle) {
        super(handle, "connector is closed");
    }

    @Override
    void free(long handle) {
        NativeLib.free(handle);
    }

    /** Keeps a listening subscription until it is closed or the connector closes. */
    void track(NativeSubscription<?, ?> subscription) {
        listening.add(subscription);
        if (isClosed()) {
            // close() may have swept the set just before we added to it.
            subscription.connectorClosed();
        }
    }

    void untrack(NativeSubscription<?, ?> subscription) {
        listening.remove(subscription);
    }

    /**
     * Closes once: closes the native connector (members leave, locks are released, ephemeral
     * keys deleted; every subscription gets its last event and ends), stops listeners once
     * they had their last event, then drops the owner's use. A Redis failure while closing is
     * logged, not thrown: the session then simply expires.
     */
    void close() {
        if (!markClosed()) {
            return;
        }
        retain();
        try {
            NativeLib.close(rawHandle());
        } catch (GroupRedisException e) {
            LOG.log(Level.WARNING, "group-redis: closing the connector did not reach Redis; its session will expire", e);
        } finally {
            release();
        }
        try {
            for (NativeSubscription<?, ?> subscription : new ArrayList<>(listening)) {
                subscription.connectorClosed();
            }
        } finally {
            releaseOwner();
        }
    }

    /** Cleaner action: a connector that became unreachable without close(). */
    @Override
    public void run() {
        close();
    }
}
