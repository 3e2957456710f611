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
 *     try (MemberSubscription events = connector.addMemberListener(e -> System.out.println(e))) {
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
 * <p>Events come as a {@link Subscription}: membership ({@link #subscribeMembers()},
 * {@link #addMemberListener}), connection states ({@link #subscribeState()},
 * {@link #addConnectionStateListener}) and data changes ({@link #watch(String)},
 * {@link #watchEphemeral(String)}, {@link #onDataEvent}), each pulled or pushed to a listener.
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
     * Sets a member this connector joined online or offline without leaving: {@link #members}
     * shows the flag ({@code "online"}) and subscribers see an update event. Members join
     * online; the flag is restored with the payload after a reconnect.
     *
     * @param memberId the member id, or null for the configured one
     * @param online whether it is online
     */
    public void setOnline(String memberId, boolean online) {
        handle.run(h -> NativeLib.setOnline(h, memberId, online));
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

    // ---------------------------------------------------------------- subscriptions

    /**
     * Subscribes to membership events, pull form: {@link MemberSubscription#snapshot()} is the
     * members now, then {@link MemberSubscription#poll}, {@link MemberSubscription#take} or a
     * for-each loop give every change after it, in order, each once (across reconnects; after
     * lost history a resync event, see {@link MembershipEvent}).
     *
     * @return the subscription; close it to stop
     */
    public MemberSubscription subscribeMembers() {
        return new MemberSubscription(handle);
    }

    /**
     * Registers a membership listener. Events start after {@link MemberSubscription#snapshot()}
     * and arrive in order, each once, on a dispatcher thread of this subscription. The
     * listener form of {@link #subscribeMembers()}.
     *
     * @param listener the listener
     * @return the subscription; close it to stop
     */
    public MemberSubscription addMemberListener(MemberEventListener listener) {
        requireArg(listener, "listener");
        return listening(subscribeMembers(), listener);
    }

    /**
     * Subscribes to connection-state changes, pull form: the snapshot is the state now, the
     * events SUSPENDED, LOST, RECONNECTED, and CLOSED last when this connector closes.
     *
     * @return the subscription; close it to stop
     */
    public StateSubscription subscribeState() {
        return new StateSubscription(handle);
    }

    /**
     * Registers a connection-state listener (SUSPENDED, LOST, RECONNECTED, CLOSED). CLOSED is
     * the last state it receives: {@link #close()} returns after the listener has returned
     * from it (unless close() is called from inside this listener).
     *
     * @param listener the listener
     * @return the subscription; close it to stop
     */
    public StateSubscription addConnectionStateListener(ConnectionStateListener listener) {
        requireArg(listener, "listener");
        return listening(subscribeState(), listener);
    }

    /**
     * Watches the persistent data under {@code prefix}, pull form: the snapshot holds the
     * matching keys with their versions and the group's data revision, then every change
     * after it comes as one {@link DataEvent}, in the order the changes happened (a delete and
     * a re-create are two events). No polling of Redis: the writes themselves record the
     * changes.
     *
     * @param prefix the path prefix ("" for all)
     * @return the watch; close it to stop
     */
    public DataWatch watch(String prefix) {
        return watch(prefix, 0);
    }

    /**
     * Watches the persistent data under {@code prefix} from a revision on: the events are
     * every change with a revision above {@code fromRevision} (e.g. the last one a restarted
     * watcher saw), or, when that history is gone (trimmed, or Redis lost its data), resync
     * events that bring a subscriber who knew the data at {@code fromRevision} to the present
     * ({@link DataEvent#resync()}). The snapshot is the current keys either way.
     *
     * @param prefix the path prefix ("" for all)
     * @param fromRevision the last revision already seen; 0: from now, as {@link #watch(String)}
     * @return the watch; close it to stop
     * @throws InvalidArgumentException for a negative revision
     */
    public DataWatch watch(String prefix, long fromRevision) {
        return new DataWatch(handle, h -> NativeLib.watch(h, prefix, revision(fromRevision)));
    }

    /**
     * Watches the ephemeral keys under {@code prefix}, as {@link #watch(String)} does the
     * persistent data; a key that goes with its session (lease ran out) gives an
     * {@link DataEvent.Kind#EXPIRED} event, a delete or its owner's close a DELETE.
     *
     * @param prefix the key prefix ("" for all)
     * @return the watch; close it to stop
     */
    public DataWatch watchEphemeral(String prefix) {
        return watchEphemeral(prefix, 0);
    }

    /**
     * Watches the ephemeral keys under {@code prefix} from a revision on (see
     * {@link #watch(String, long)}).
     *
     * @param prefix the key prefix ("" for all)
     * @param fromRevision the last revision already seen; 0: from now
     * @return the watch; close it to stop
     * @throws InvalidArgumentException for a negative revision
     */
    public DataWatch watchEphemeral(String prefix, long fromRevision) {
        return new DataWatch(handle, h -> NativeLib.watchEphemeral(h, prefix, revision(fromRevision)));
    }

    /**
     * Registers a listener for the persistent data under {@code prefix}: the listener form of
     * {@link #watch(String)}.
     *
     * @param prefix the path prefix ("" for all)
     * @param listener the listener
     * @return the watch (its snapshot is what the events follow on from); close it to stop
     */
    public DataWatch onDataEvent(String prefix, EventListener<? super DataEvent> listener) {
        requireArg(listener, "listener");
        return listening(watch(prefix), listener);
    }

    private static long revision(long fromRevision) {
        if (fromRevision < 0) {
            throw new InvalidArgumentException("fromRevision must not be negative: " + fromRevision);
        }
        return fromRevision;
    }

    /**
     * Messages to live members and the durable topic log of this connector (see
     * {@link Messages}).
     *
     * @return this connector's messages
     */
    public Messages messages() {
        return new Messages(handle);
    }

    /** Switches a fresh subscription to {@code listener}; closes it if that fails. */
    // ---------------------------------------------------------------- leader election

    /**
     * Campaigns for leadership of {@code name} as this connector's member id and returns at
     * once; the campaign goes on in the background until the returned leadership is resigned
     * or closed, or this connector closes. One campaign per name per connector.
     *
     * @param name the leadership name
     * @return the leadership; close it to resign
     * @throws InvalidArgumentException for an empty or oversized name
     * @throws ConnectorClosedException after close()
     */
    public Leadership elect(String name) {
        requireArg(name, "name");
        return new Leadership(handle, name);
    }

    /**
     * Who leads {@code name} now, read from Redis (any connector, campaigning or not).
     *
     * @param name the leadership name
     * @return the leader and its term, or nobody
     */
    public LeaderView leader(String name) {
        requireArg(name, "name");
        return LeaderView.fromJson(handle.call(h -> NativeLib.leader(h, name)));
    }

    /**
     * Who leads {@code name} (the snapshot) and every change after it, "no leader" included,
     * pull form (or {@link LeaderWatch#listen}).
     *
     * @param name the leadership name
     * @return the watch; close it to stop
     */
    public LeaderWatch observeLeader(String name) {
        requireArg(name, "name");
        return new LeaderWatch(handle, h -> NativeLib.observeLeader(h, name));
    }

    // ---------------------------------------------------------------- controlled assignments

    /**
     * Takes part in assigning {@code ids} among the participants of {@code topic} as this
     * connector's member id (see {@link Assignment}). Every participant passes the id set;
     * the leader's is the one used.
     *
     * @param topic the topic
     * @param ids the ids to distribute
     * @param subGroup only members of this sub-group take part (they must have joined it), or
     *     null for all participants
     * @return the assignment; close it to leave the topic
     */
    public Assignment assignments(String topic, List<String> ids, String subGroup) {
        requireArg(topic, "topic");
        requireArg(ids, "ids");
        return new Assignment(handle, topic, ids, subGroup);
    }

    // ---------------------------------------------------------------- service discovery

    /**
     * A service provider over the group's online members (see {@link ServiceProvider}).
     *
     * @param options the strategy, sub-group, election and error policy
     *     ({@link ServiceProvider#options()})
     * @return the provider; close it to stop its cache
     * @throws InvalidArgumentException for {@link ServiceProvider.Strategy#LEADER} without an
     *     election, or an election with another strategy
     */
    public ServiceProvider serviceProvider(ServiceProvider.Options options) {
        requireArg(options, "options");
        return new ServiceProvider(handle, options);
    }

    private static <E, T extends Subscription<E>> T listening(T subscription, EventListener<? super E> listener) {
        try {
            subscription.listen(listener);
            return subscription;
        } catch (RuntimeException e) {
            subscription.close();
            throw e;
        }
    }

    /**
     * Leaves every member, releases every lock and deletes every ephemeral key of this
     * connector now, stops its heartbeat and ends its subscriptions: before this returns,
     * every listener has received the events delivered up to the end (a state listener
     * CLOSED last), except one that called close() from inside its callback; events a
     * pulled subscription has not taken yet can still be taken, then it reports its end.
     * Idempotent and thread-safe; calls racing with it fail with
     * {@link ConnectorClosedException}. If Redis cannot be reached the failure is logged and
     * the session simply expires.
     */
    @Override
    public void close() {
        closeNow();
    }

    @Override
    public String toString() {
        return "GroupConnector{" + config + (isClosed() ? ", closed" : "") + "}";
    }
}
