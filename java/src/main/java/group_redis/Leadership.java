package group_redis;

import java.lang.ref.Cleaner;

/**
 * A campaign for leadership of one name ({@link GroupConnector#elect}), going on in the
 * background until {@link #resign()} or {@link #close()}, or its connector closes. A campaign
 * waits for the lock {@code leader/<name>}; the term's fencing token is that lock's token,
 * which only grows. At most one live session leads a name.
 *
 * <p>On SUSPENDED a leader reports {@link LeaderEvent.State#UNSURE} and {@link #isLeader()} is
 * false until the lease is renewed; on LOST it reports FOLLOWER before anyone else can be
 * elected, and campaigns again under its new session. Thread-safe.
 *
 * <pre>{@code
 * try (Leadership leadership = connector.elect("scheduler")) {
 *     leadership.addListener(event -> System.out.println(event));
 *     ...
 * } // resigned: the next leader is elected at once
 * }</pre>
 */
public final class Leadership implements AutoCloseable {
    private final String name;
    private final NativeHandle connector;
    private final OwnedNativeRef ref;
    private final Cleaner.Cleanable cleanable;

    Leadership(NativeHandle connector, String name) {
        this.name = name;
        this.connector = connector;
        this.ref = connector.call(h -> {
            long leadership = NativeLib.elect(h, name);
            connector.retain(); // given back when the native leadership is freed
            return new OwnedNativeRef(
                    leadership, connector, NativeLib::leadershipFree, "leadership is closed");
        });
        this.cleanable = NativeRef.CLEANER.register(this, ref);
    }

    /**
     * The name campaigned for.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Whether this connector leads now, answered locally without I/O: the term is held, the
     * lease is good and the connection is not SUSPENDED.
     *
     * @return false also once closed
     */
    public boolean isLeader() {
        if (ref.isClosed()) {
            return false;
        }
        try {
            return ref.callBoolean(NativeLib::leadershipIsLeader);
        } catch (ConnectorClosedException closed) {
            return false;
        }
    }

    /**
     * The term's fencing token while {@link #isLeader()}, answered locally.
     *
     * @return the token, or 0 when not leading
     */
    public long token() {
        if (ref.isClosed()) {
            return 0;
        }
        try {
            return ref.callLong(NativeLib::leadershipToken);
        } catch (ConnectorClosedException closed) {
            return 0;
        }
    }

    /**
     * Every change of state from now on, pull form; its snapshot is the state now.
     *
     * @return the subscription; close it to stop
     * @throws ConnectorClosedException when the leadership is closed
     */
    public LeaderSubscription subscribe() {
        return new LeaderSubscription(connector, h -> ref.callLong(NativeLib::leadershipSubscribe));
    }

    /**
     * Calls {@code listener} for every change of state on a dispatcher thread of the library,
     * until the returned subscription is closed or the leadership ends.
     *
     * @param listener the listener
     * @return the subscription (its snapshot is the state when it started)
     */
    public LeaderSubscription addListener(EventListener<? super LeaderEvent> listener) {
        LeaderSubscription subscription = subscribe();
        subscription.listen(listener);
        return subscription;
    }

    /**
     * Stops campaigning and gives leadership up now: the lock is released, so the next leader
     * is elected without waiting for a lease. Returns when done; idempotent.
     */
    public void resign() {
        if (!ref.isClosed()) {
            ref.run(NativeLib::leadershipResign);
        }
    }

    /** Resigns and frees the native leadership. Idempotent. */
    @Override
    public void close() {
        cleanable.clean();
    }

    @Override
    public String toString() {
        return "Leadership{" + name + (isLeader() ? ", leader" : "") + "}";
    }
}
