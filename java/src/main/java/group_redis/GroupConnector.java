package group_redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A client's handle on one group: membership with events, locks with fencing tokens,
 * ephemeral data (gone with this connector's session) and persistent data.
 *
 * <pre>{@code
 * try (GroupConnector connector = GroupConnector.connect(
 *         GroupConfig.builder("redis://127.0.0.1:6379").group("workers").build())) {
 *     connector.join();
 *     try (Subscription events = connector.addMemberListener(e -> System.out.println(e))) {
 *         try (LockHandle lock = connector.tryLock("reindex", Duration.ofSeconds(5)).orElseThrow()) {
 *             System.out.println("holding reindex, token " + lock.token());
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>Thread-safe: share one connector between threads. Each connector owns one session whose
 * lease a background heartbeat renews; when the process dies or freezes past the lease, other
 * members see it leave and its locks and ephemeral keys go. {@link #close()} leaves at once;
 * it is idempotent and safe while other threads are in calls. A connector that becomes
 * unreachable without close() is closed by a {@link java.lang.ref.Cleaner} (a listener that refers to its
 * connector keeps it reachable, so close connectors explicitly, e.g. with try-with-resources).
 *
 * <p>Values are JSON documents: pass null, String, Boolean, Integer/Long/Double, Map, List (or
 * anything Jackson can serialize); they come back as the same kinds, integers as Integer when
 * they fit, else Long, else BigInteger (exact up to 2^64-1), other numbers as Double. Errors
 * are {@link GroupRedisException} subclasses.
 *
 * <p>Lock names follow one rule in every language of the library: a name with "try" takes a
 * wait and waits up to it ({@link #tryLock(String, Duration)}); {@link #lock(String)} and
 * {@link #reentrantLock(String)} make one attempt and never wait.
 *
 * <p>Every blocking call that talks to Redis has a {@code CompletableFuture} twin named
 * {@code ...Async} ({@link #tryLockAsync(String, Duration)}, {@link #releaseAsync},
 * {@link #joinAsync()}, {@link #persistentGetAsync}, ...) that never blocks the caller's
 * thread; they are declared in {@link AsyncGroupConnector}, which says how they run and what
 * cancelling one does.
 */
public final class GroupConnector extends AsyncGroupConnector implements AutoCloseable {
    private GroupConnector(GroupConfig config, long nativeHandle) {
        super(config, nativeHandle);
    }

    /**
     * Connects, starts a session and its heartbeat.
     *
     * @param config the options
     * @return a connected connector
     * @throws InvalidArgumentException for bad options
     * @throws ConnectionException when Redis cannot be reached
     */
    public static GroupConnector connect(GroupConfig config) {
        requireArg(config, "config");
        NativeLib.ensureLoaded();
        Logs.refreshLevelForConnect();
        return new GroupConnector(config, NativeLib.connect(config.toJson()));
    }

    /**
     * The options this connector was created with.
     *
     * @return the options
     */
    public GroupConfig config() {
        return config;
    }

    /**
     * The current session id (changes when a lost session is replaced).
     *
     * @return the session id
     */
    public String sessionId() {
        return handle.call(NativeLib::sessionId);
    }

    /**
     * The member id this connector joins, locks and releases as when none is given: the
     * configured {@link GroupConfig.Builder#memberId member id}, or the default
     * {@code <hostname>-<pid>}. No I/O.
     *
     * @return the member id
     */
    public String memberId() {
        return handle.call(NativeLib::memberId);
    }

    /**
     * The connection state as last observed (never RECONNECTED: that is an event, then it
     * reads CONNECTED). No I/O.
     *
     * @return the state; CLOSED after {@link #close()}
     */
    public ConnectionState state() {
        if (handle.isClosed()) {
            return ConnectionState.CLOSED;
        }
        return ConnectionState.valueOf(handle.call(NativeLib::state));
    }

    // ---------------------------------------------------------------- membership

    /**
     * Joins the group as the configured member id with the configured payload.
     *
     * @return the member record
     * @throws MemberExistsException when another live session holds the id
     */
    public Member join() {
        return join(null, null);
    }

    /**
     * Joins the group as {@code memberId} with the configured payload. Joining again with the
     * same id updates the record.
     *
     * @param memberId the member id
     * @return the member record
     */
    public Member join(String memberId) {
        requireArg(memberId, "member id");
        return join(memberId, null);
    }

    /**
     * Joins as {@code memberId} (null: the configured one) with {@code payload} (null: the
     * configured payload).
     *
     * @param memberId the member id, or null
     * @param payload the payload, or null
     * @return the member record
     */
    public Member join(String memberId, Object payload) {
        return joinJson(memberId, encodeOrNull(payload));
    }

    Member joinJson(String memberId, String payloadJson) {
        return Member.fromJson(Json.decode(handle.call(h -> NativeLib.join(h, memberId, payloadJson))));
    }

    /**
     * Leaves as the configured member id.
     *
     * @return false when this connector was not that member
     */
    public boolean leave() {
        return leave(null);
    }

    /**
     * Leaves as {@code memberId} (null: the configured one).
     *
     * @param memberId the member id, or null
     * @return false when this connector was not that member
     */
    public boolean leave(String memberId) {
        return handle.callBoolean(h -> NativeLib.leave(h, memberId));
    }

    /**
     * Every live member, sorted by id, in one round trip.
     *
     * @return an unmodifiable list
     */
    public List<Member> members() {
        return Member.listFromJson(Json.decode(handle.call(NativeLib::members)));
    }

    /**
     * What could not be restored when a lost session was replaced: a member id or an
     * ephemeral key that another process took while this one was gone. Each entry is a map
     * with {@code kind} ("member" or "ephemeral"), {@code name} and {@code error}, oldest
     * first; the list is emptied. Filled before RECONNECTED is delivered, so a
     * {@link ConnectionStateListener} may call this on RECONNECTED.
     *
     * @return an unmodifiable list, empty when everything was restored
     */
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> takeRestoreFailures() {
        List<Object> decoded = Json.decodeList(handle.call(NativeLib::takeRestoreFailures));
        List<Map<String, Object>> failures = new ArrayList<>();
        for (Object item : decoded) {
            failures.add((Map<String, Object>) item);
        }
        return Collections.unmodifiableList(failures);
    }

    /**
     * Replaces the payload of a member this connector joined; subscribers see an update.
     *
     * @param memberId the member id, or null for the configured one
     * @param payload the new payload
     */
    public void updatePayload(String memberId, Object payload) {
        String payloadJson = Json.encode(payload);
        handle.run(h -> NativeLib.updatePayload(h, memberId, payloadJson));
    }

    /**
     * Adds a sub-group to this connector's sub-groups and updates every member it joined.
     *
     * @param subGroup the sub-group
     */
    public void addSubGroup(String subGroup) {
        handle.run(h -> NativeLib.addSubGroup(h, subGroup));
    }

    /**
     * Removes a sub-group and updates every member this connector joined.
     *
     * @param subGroup the sub-group
     */
    public void removeSubGroup(String subGroup) {
        handle.run(h -> NativeLib.removeSubGroup(h, subGroup));
    }

    /**
     * The sub-groups members of this connector join with.
     *
     * @return an unmodifiable list
     */
    public List<String> subGroups() {
        List<String> groups = new ArrayList<>();
        for (Object group : Json.decodeList(handle.call(NativeLib::subGroups))) {
            groups.add((String) group);
        }
        return Collections.unmodifiableList(groups);
    }

    // ---------------------------------------------------------------- listeners

    /**
     * Registers a membership listener. Events start after {@link MemberSubscription#snapshot()}
     * and arrive in order, each once, on a dispatcher thread of this subscription.
     *
     * @param listener the listener
     * @return the subscription; close it to stop
     */
    public MemberSubscription addMemberListener(MemberEventListener listener) {
        requireArg(listener, "listener");
        NativeEventSink sink = memberSink(listener);
        return handle.call(h -> {
            long native_ = NativeLib.subscribeMembers(h, sink);
            ListenerSubscription subscription = new ListenerSubscription(native_, handle, sink, false);
            handle.track(subscription);
            List<Member> snapshot = Member.listFromJson(Json.decode(NativeLib.subscriptionSnapshot(native_)));
            return new MemberSubscription(subscription, snapshot);
        });
    }

    /**
     * Registers a connection-state listener (SUSPENDED, LOST, RECONNECTED, CLOSED). CLOSED is
     * the last state it receives: {@link #close()} returns after the listener has returned
     * from it (unless close() is called from inside this listener).
     *
     * @param listener the listener
     * @return the subscription; close it to stop
     */
    public Subscription addConnectionStateListener(ConnectionStateListener listener) {
        requireArg(listener, "listener");
        NativeEventSink sink = stateSink(listener);
        return handle.call(h -> {
            ListenerSubscription subscription = new ListenerSubscription(NativeLib.subscribeState(h, sink), handle, sink, true);
            handle.track(subscription);
            return subscription;
        });
    }

    /**
     * Leaves every member, releases every lock and deletes every ephemeral key of this
     * connector now, stops its heartbeat, delivers CLOSED to its state listeners and then
     * stops its listeners. Idempotent and thread-safe; calls
     * racing with it fail with {@link ConnectorClosedException}. If Redis cannot be reached
     * the failure is logged and the session simply expires.
     */
    @Override
    public void close() {
        closeNow();
    }

    @Override
    public String toString() {
        return "GroupConnector{" + config + (isClosed() ? ", closed" : "") + "}";
    }

    // ---------------------------------------------------------------- plumbing

    /*
     * Sinks are built in static methods so they refer to their listener only, never to this
     * connector: the native side holds them through global references, and a sink that kept
     * the connector reachable would stop the Cleaner from ever closing a forgotten one.
     */

    private static NativeEventSink memberSink(MemberEventListener listener) {
        return new NativeEventSink() {
            @Override
            void handle(String json) {
                listener.onMembershipEvent(MembershipEvent.fromJson(json));
            }
        };
    }

    private static NativeEventSink stateSink(ConnectionStateListener listener) {
        return new NativeEventSink() {
            @Override
            void handle(String name) {
                ConnectionState state = ConnectionState.valueOf(name);
                try {
                    listener.onStateChange(state);
                } finally {
                    if (state == ConnectionState.CLOSED) {
                        ended(); // the connector's last state: its close may go on
                    }
                }
            }
        };
    }
}
