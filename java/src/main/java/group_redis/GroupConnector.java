package group_redis;

import java.lang.ref.Cleaner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

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
 * unreachable without close() is closed by a {@link Cleaner} (a listener that refers to its
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
 * <p>Every blocking call that talks to Redis has a {@code CompletableFuture} variant named
 * {@code ...Async} ({@link #tryLockAsync(String, Duration)}, {@link #releaseAsync},
 * {@link #joinAsync()}, {@link #persistentGetAsync}, ...) that never blocks the caller's
 * thread: arguments are checked and values encoded on the caller's thread, the round trip
 * runs on {@link GroupConfig.Builder#asyncExecutor the configured executor} (by default a
 * pool of daemon threads owned by this connector). The future completes with the same
 * result, or exceptionally with the same {@link GroupRedisException} subclass the blocking
 * call throws (not wrapped: {@code get()} wraps it in an {@code ExecutionException} as
 * usual). Stages chained without an executor of their own run on that pool's thread.
 * Cancelling a future whose call has not started skips the call; a call already under way
 * runs to its end (a write is not undone), except that a lock acquired for a future that
 * was cancelled (or timed out) meanwhile is released at once, so cancelling never leaves
 * a lock held that nobody knows about. A cancelled wait for a lock still occupies its
 * thread until it acquires (and releases at once) or its wait runs out.
 */
public final class GroupConnector implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final GroupConfig config;
    private final NativeHandle handle;
    private final AsyncCalls async;
    private final Cleaner.Cleanable cleanable;

    private GroupConnector(GroupConfig config, long nativeHandle) {
        this.config = config;
        this.handle = new NativeHandle(nativeHandle);
        this.async = AsyncCalls.on(config.asyncExecutor());
        this.cleanable = CLEANER.register(this, closeAction(handle, async));
    }

    /**
     * What close() and the Cleaner run. Static, so the action refers to the handle and the
     * pool only, never to the connector (which would then never become unreachable).
     */
    private static Runnable closeAction(NativeHandle handle, AsyncCalls async) {
        return () -> {
            async.shutdown(); // new async calls fail with ConnectorClosedException from here on
            handle.close();
        };
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

    /**
     * Whether {@link #close()} was called.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return handle.isClosed();
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

    private Member joinJson(String memberId, String payloadJson) {
        return Member.fromJson(Json.decode(handle.call(h -> NativeLib.join(h, memberId, payloadJson))));
    }

    private static String encodeOrNull(Object payload) {
        return payload == null ? null : Json.encode(payload);
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

    // ---------------------------------------------------------------- locks

    /**
     * Takes the exclusive lock {@code name} in one attempt, never waiting. Not re-entrant: a
     * second call by the same member finds it held.
     *
     * @param name the lock name
     * @return the acquisition, or empty when the lock is held (by anyone)
     */
    public Optional<LockHandle> lock(String name) {
        return acquire(name, null, false, Duration.ZERO);
    }

    /**
     * Takes the exclusive lock {@code name} in one attempt, never waiting: the same as
     * {@link #lock(String)}.
     *
     * @param name the lock name
     * @return the acquisition, or empty when the lock is held (by anyone)
     * @deprecated Use {@link #lock(String)}. A name with "try" takes a wait and waits up to
     *     it, in every language of the library ({@link #tryLock(String, Duration)} here,
     *     {@code try_lock(name, timeout)} in Rust); this one, which does not wait, broke
     *     that rule. It keeps working.
     */
    @Deprecated
    public Optional<LockHandle> tryLock(String name) {
        return lock(name);
    }

    /**
     * Takes the exclusive lock {@code name}, waiting up to {@code wait} for it. Waiting wakes
     * on the holder's release (no polling) or at the holder's lease deadline.
     *
     * @param name the lock name
     * @param wait how long to wait at most (zero: one attempt, as {@link #lock(String)})
     * @return the acquisition, or empty when the time ran out
     */
    public Optional<LockHandle> tryLock(String name, Duration wait) {
        return acquire(name, null, false, wait);
    }

    /**
     * Takes {@code name} re-entrantly in one attempt, never waiting: the holder taking it again adds a
     * hold with the same token; each release removes one.
     *
     * @param name the lock name
     * @return the acquisition, or empty when another member holds it
     */
    public Optional<LockHandle> reentrantLock(String name) {
        return acquire(name, null, true, Duration.ZERO);
    }

    /**
     * The general form.
     *
     * @param name the lock name
     * @param member the member to take it for, or null for the configured member id
     * @param reentrant whether a holder may take it again
     * @param wait how long to wait (zero: do not wait)
     * @return the acquisition, or empty when not acquired
     */
    public Optional<LockHandle> acquire(String name, String member, boolean reentrant, Duration wait) {
        return acquireMillis(name, member, reentrant, waitMillis(wait));
    }

    private Optional<LockHandle> acquireMillis(String name, String member, boolean reentrant, long waitMillis) {
        long token = acquireToken(name, member, reentrant, waitMillis);
        return token == NativeLib.NO_TOKEN ? Optional.empty() : Optional.of(new LockHandle(this, name, member, token));
    }

    private static long waitMillis(Duration wait) {
        requireArg(wait, "wait");
        try {
            return wait.toMillis();
        } catch (ArithmeticException tooLong) {
            throw new InvalidArgumentException("wait is too long: " + wait);
        }
    }

    /** One attempt, without the handle object (the seed API's lock calls): whether acquired. */
    boolean acquireOnce(String name, String member, boolean reentrant) {
        return acquireToken(name, member, reentrant, 0) != NativeLib.NO_TOKEN;
    }

    /** The token, or {@link NativeLib#NO_TOKEN}. */
    private long acquireToken(String name, String member, boolean reentrant, long waitMillis) {
        return handle.callLong(h -> NativeLib.acquire(h, member, name, reentrant, waitMillis));
    }

    /**
     * Releases one hold of {@code name} taken as the configured member id.
     *
     * @param name the lock name
     * @return false when this member (of this session) does not hold it
     */
    public boolean release(String name) {
        return releaseAs(null, name);
    }

    /**
     * Releases one hold of {@code name} taken for {@code member}.
     *
     * @param member the member id, or null for the configured one
     * @param name the lock name
     * @return false when that member (of this session) does not hold it
     */
    public boolean releaseAs(String member, String name) {
        return handle.callBoolean(h -> NativeLib.release(h, member, name));
    }

    /**
     * Whether this connector holds {@code name} with a valid lease. Answered locally, no I/O.
     *
     * @param name the lock name
     * @return false from the moment the lease may have run out (LOST)
     */
    public boolean isHeld(String name) {
        return handle.callBoolean(h -> NativeLib.isHeld(h, name));
    }

    /**
     * The fencing token of {@code name} if this connector holds it (see {@link #isHeld}).
     *
     * @param name the lock name
     * @return the token, or empty
     * @throws InvalidArgumentException for a name no lock can have (null, empty, too long)
     */
    public OptionalLong heldToken(String name) {
        long token = handle.callLong(h -> NativeLib.heldToken(h, name));
        return token == NativeLib.NO_TOKEN ? OptionalLong.empty() : OptionalLong.of(token);
    }

    /**
     * Who holds {@code name} now, whichever connector of the group it is, as Redis has it
     * (one round trip): the member id, its session and the fencing token of the hold.
     *
     * @param name the lock name
     * @return the holder, or empty when the lock is free
     * @throws InvalidArgumentException for a name no lock can have (null, empty, too long)
     */
    public Optional<LockHolder> lockHolder(String name) {
        String json = handle.call(h -> NativeLib.lockHolder(h, name));
        return json == null ? Optional.empty() : Optional.of(LockHolder.fromJson(Json.decode(json)));
    }

    /**
     * {@link #lockHolder}, and whether grants are held back and until when: after Redis lost
     * or rolled back the group's state, a free lock cannot be had until the leases from
     * before have surely run out (a restart grace).
     *
     * @param name the lock name
     * @return the holder and the end of any grace
     * @throws InvalidArgumentException for a name no lock can have (null, empty, too long)
     */
    public LockStatus lockStatus(String name) {
        return LockStatus.fromJson(Json.decode(handle.call(h -> NativeLib.lockStatus(h, name))));
    }

    // ---------------------------------------------------------------- ephemeral data

    /**
     * Sets the ephemeral {@code key} (replacing this session's earlier value). It is deleted
     * when the session ends.
     *
     * @param key the key
     * @param value the value
     * @throws KeyOwnedException when another live session owns the key
     */
    public void ephemeralSet(String key, Object value) {
        ephemeralSetJson(key, Json.encode(value));
    }

    private void ephemeralSetJson(String key, String json) {
        handle.run(h -> NativeLib.ephemeralSet(h, key, json));
    }

    /**
     * The value of the ephemeral {@code key} (anyone's).
     *
     * @param key the key
     * @return the value, or null when absent
     */
    public Object ephemeralGet(String key) {
        return Json.decode(handle.call(h -> NativeLib.ephemeralGet(h, key)));
    }

    /**
     * Deletes this session's ephemeral {@code key}.
     *
     * @param key the key
     * @return false when it did not exist
     */
    public boolean ephemeralDelete(String key) {
        return handle.callBoolean(h -> NativeLib.ephemeralDel(h, key));
    }

    /**
     * Every live ephemeral key starting with {@code prefix}, sorted, with its value.
     *
     * @param prefix the prefix ("" for all)
     * @return an insertion-ordered map, in key order
     */
    public Map<String, Object> ephemeralList(String prefix) {
        // A JSON object in key order; decoding keeps the document's order (LinkedHashMap).
        return Json.asMap(Json.decode(handle.call(h -> NativeLib.ephemeralList(h, prefix))));
    }

    // ---------------------------------------------------------------- persistent data

    /**
     * Sets the persistent {@code path}.
     *
     * @param path the path
     * @param value the value
     * @return the new version
     */
    public long persistentSet(String path, Object value) {
        return persistentSetJson(path, Json.encode(value));
    }

    private long persistentSetJson(String path, String json) {
        return handle.callLong(h -> NativeLib.persistentSet(h, path, json));
    }

    /**
     * Sets every entry atomically: other clients see all of them or none.
     *
     * @param entries path to value (iteration order is kept)
     * @return the new versions in the map's iteration order
     */
    public List<Long> persistentSetMany(Map<String, ?> entries) {
        return persistentSetManyJson(encodeEntries(entries));
    }

    /** The entries as the JSON list of [path, value] pairs the native call takes. */
    private static String encodeEntries(Map<String, ?> entries) {
        requireArg(entries, "entries");
        List<Object> pairs = new ArrayList<>(entries.size());
        for (Map.Entry<String, ?> entry : entries.entrySet()) {
            requireArg(entry.getKey(), "path");
            Json.check(entry.getValue()); // each value against the depth limit, not the pairs
            pairs.add(java.util.Arrays.asList(entry.getKey(), entry.getValue()));
        }
        return Json.encodeDocument(pairs);
    }

    private List<Long> persistentSetManyJson(String json) {
        List<Long> versions = new ArrayList<>();
        for (Object version : Json.decodeList(handle.call(h -> NativeLib.persistentSetMany(h, json)))) {
            versions.add(Json.asLong(version));
        }
        return Collections.unmodifiableList(versions);
    }

    /**
     * Compare-and-set: writes only if the current version of {@code path} is
     * {@code expectedVersion} (0: the path must not exist).
     *
     * @param path the path
     * @param expectedVersion the version read before
     * @param value the new value
     * @return the new version, or empty when the version did not match (nothing written)
     */
    public OptionalLong persistentCompareAndSet(String path, long expectedVersion, Object value) {
        return persistentCompareAndSetJson(path, expectedVersion, Json.encode(value));
    }

    private OptionalLong persistentCompareAndSetJson(String path, long expectedVersion, String json) {
        long version = handle.callLong(h -> NativeLib.persistentCas(h, path, expectedVersion, json));
        return version == NativeLib.VERSION_MISMATCH ? OptionalLong.empty() : OptionalLong.of(version);
    }

    /**
     * The value of the persistent {@code path}.
     *
     * @param path the path
     * @return the value, or null when absent
     */
    public Object persistentGet(String path) {
        Versioned found = persistentGetVersioned(path);
        return found == null ? null : found.value();
    }

    /**
     * The value of the persistent {@code path} with its version.
     *
     * @param path the path
     * @return the value and version, or null when absent
     */
    public Versioned persistentGetVersioned(String path) {
        Object decoded = Json.decode(handle.call(h -> NativeLib.persistentGet(h, path)));
        if (decoded == null) {
            return null;
        }
        Map<String, Object> map = Json.asMap(decoded);
        return new Versioned(map.get("value"), Json.asLong(map.get("version")));
    }

    /**
     * Deletes the persistent {@code path}.
     *
     * @param path the path
     * @return false when it did not exist
     */
    public boolean persistentDelete(String path) {
        return handle.callBoolean(h -> NativeLib.persistentDel(h, path));
    }

    /**
     * Every persistent entry whose path starts with {@code prefix}, sorted by path (uses the
     * group's index, never a keyspace scan).
     *
     * @param prefix the prefix ("" for all)
     * @return an unmodifiable list
     */
    public List<Entry> persistentList(String prefix) {
        List<Entry> entries = new ArrayList<>();
        for (Object item : Json.decodeList(handle.call(h -> NativeLib.persistentList(h, prefix)))) {
            Map<String, Object> map = Json.asMap(item);
            entries.add(new Entry((String) map.get("path"), map.get("value"), Json.asLong(map.get("version"))));
        }
        return Collections.unmodifiableList(entries);
    }

    // ---------------------------------------------------------------- asynchronous variants
    // Each runs its blocking counterpart on the async executor (see the class comment and
    // AsyncCalls); argument checks and JSON encoding happen first, on the caller's thread.

    /**
     * {@link #join()} without blocking.
     *
     * @return the member record, when joined
     */
    public CompletableFuture<Member> joinAsync() {
        return joinAsync(null, null);
    }

    /**
     * {@link #join(String, Object)} without blocking.
     *
     * @param memberId the member id, or null for the configured one
     * @param payload the payload, or null for the configured one
     * @return the member record, when joined
     */
    public CompletableFuture<Member> joinAsync(String memberId, Object payload) {
        return prepareThenAsync(() -> encodeOrNull(payload), json -> joinJson(memberId, json));
    }

    /**
     * {@link #leave()} without blocking.
     *
     * @return false when this connector was not that member
     */
    public CompletableFuture<Boolean> leaveAsync() {
        return leaveAsync(null);
    }

    /**
     * {@link #leave(String)} without blocking.
     *
     * @param memberId the member id, or null for the configured one
     * @return false when this connector was not that member
     */
    public CompletableFuture<Boolean> leaveAsync(String memberId) {
        return async(() -> leave(memberId));
    }

    /**
     * {@link #members()} without blocking.
     *
     * @return every live member, sorted by id
     */
    public CompletableFuture<List<Member>> membersAsync() {
        return async(this::members);
    }

    /**
     * {@link #lock(String)} without blocking (an acquisition made for a future that was
     * cancelled meanwhile is released at once).
     *
     * @param name the lock name
     * @return the acquisition, or empty when the lock is held
     */
    public CompletableFuture<Optional<LockHandle>> lockAsync(String name) {
        return acquireAsync(name, null, false, Duration.ZERO);
    }

    /**
     * {@link #lock(String)} without blocking: the same as {@link #lockAsync(String)}.
     *
     * @param name the lock name
     * @return the acquisition, or empty when the lock is held
     * @deprecated Use {@link #lockAsync(String)}; a name with "try" takes a wait (see
     *     {@link #tryLock(String)}). It keeps working.
     */
    @Deprecated
    public CompletableFuture<Optional<LockHandle>> tryLockAsync(String name) {
        return lockAsync(name);
    }

    /**
     * {@link #tryLock(String, Duration)} without blocking: the wait happens on the async
     * executor. Cancelling the future, or completing it otherwise (e.g. {@code orTimeout}),
     * before the lock is acquired means that an acquisition made after all is released at
     * once instead of delivered.
     *
     * @param name the lock name
     * @param wait how long to wait
     * @return the acquisition, or empty when the time ran out
     */
    public CompletableFuture<Optional<LockHandle>> tryLockAsync(String name, Duration wait) {
        return acquireAsync(name, null, false, wait);
    }

    /**
     * {@link #reentrantLock(String)} without blocking (a hold added for a cancelled future
     * is removed again).
     *
     * @param name the lock name
     * @return the acquisition, or empty when another member holds it
     */
    public CompletableFuture<Optional<LockHandle>> reentrantLockAsync(String name) {
        return acquireAsync(name, null, true, Duration.ZERO);
    }

    /**
     * {@link #acquire} without blocking (see {@link #tryLockAsync(String, Duration)} on
     * cancelling).
     *
     * @param name the lock name
     * @param member the member to take it for, or null for the configured member id
     * @param reentrant whether a holder may take it again
     * @param wait how long to wait (zero: do not wait)
     * @return the acquisition, or empty when not acquired
     */
    public CompletableFuture<Optional<LockHandle>> acquireAsync(String name, String member, boolean reentrant,
            Duration wait) {
        long waitMillis;
        try {
            waitMillis = waitMillis(wait);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        // The undo: an acquisition whose future was completed meanwhile goes back at once.
        return async(() -> acquireMillis(name, member, reentrant, waitMillis),
                acquired -> acquired.ifPresent(GroupConnector::releaseUnwanted));
    }

    private static void releaseUnwanted(LockHandle lock) {
        try {
            lock.release();
        } catch (GroupRedisException e) {
            // Redis could not be told; the hold stays in this session's ownership set (so
            // isHeld() reports it) and ends with the session, as every hold does.
        }
    }

    /**
     * {@link #release(String)} without blocking.
     *
     * @param name the lock name
     * @return false when this member (of this session) does not hold it
     */
    public CompletableFuture<Boolean> releaseAsync(String name) {
        return releaseAsAsync(null, name);
    }

    /**
     * {@link #releaseAs(String, String)} without blocking.
     *
     * @param member the member id, or null for the configured one
     * @param name the lock name
     * @return false when that member (of this session) does not hold it
     */
    public CompletableFuture<Boolean> releaseAsAsync(String member, String name) {
        return async(() -> releaseAs(member, name));
    }

    /**
     * {@link #lockHolder} without blocking.
     *
     * @param name the lock name
     * @return the holder, or empty when the lock is free
     */
    public CompletableFuture<Optional<LockHolder>> lockHolderAsync(String name) {
        return async(() -> lockHolder(name));
    }

    /**
     * {@link #ephemeralSet} without blocking; the value is encoded before this returns.
     *
     * @param key the key
     * @param value the value
     * @return completes when set
     */
    public CompletableFuture<Void> ephemeralSetAsync(String key, Object value) {
        return prepareThenAsync(() -> Json.encode(value), json -> {
            ephemeralSetJson(key, json);
            return null;
        });
    }

    /**
     * {@link #ephemeralGet} without blocking.
     *
     * @param key the key
     * @return the value, or null when absent
     */
    public CompletableFuture<Object> ephemeralGetAsync(String key) {
        return async(() -> ephemeralGet(key));
    }

    /**
     * {@link #ephemeralDelete} without blocking.
     *
     * @param key the key
     * @return false when it did not exist
     */
    public CompletableFuture<Boolean> ephemeralDeleteAsync(String key) {
        return async(() -> ephemeralDelete(key));
    }

    /**
     * {@link #ephemeralList} without blocking.
     *
     * @param prefix the prefix ("" for all)
     * @return the keys and values, sorted
     */
    public CompletableFuture<Map<String, Object>> ephemeralListAsync(String prefix) {
        return async(() -> ephemeralList(prefix));
    }

    /**
     * {@link #persistentSet} without blocking; the value is encoded before this returns.
     *
     * @param path the path
     * @param value the value
     * @return the new version
     */
    public CompletableFuture<Long> persistentSetAsync(String path, Object value) {
        return prepareThenAsync(() -> Json.encode(value), json -> persistentSetJson(path, json));
    }

    /**
     * {@link #persistentSetMany} without blocking; the entries are encoded before this returns.
     *
     * @param entries path to value
     * @return the new versions in the map's iteration order
     */
    public CompletableFuture<List<Long>> persistentSetManyAsync(Map<String, ?> entries) {
        return prepareThenAsync(() -> encodeEntries(entries), this::persistentSetManyJson);
    }

    /**
     * {@link #persistentCompareAndSet} without blocking.
     *
     * @param path the path
     * @param expectedVersion the version read before (0: must not exist)
     * @param value the new value
     * @return the new version, or empty when the version did not match
     */
    public CompletableFuture<OptionalLong> persistentCompareAndSetAsync(String path, long expectedVersion,
            Object value) {
        return prepareThenAsync(() -> Json.encode(value),
                json -> persistentCompareAndSetJson(path, expectedVersion, json));
    }

    /**
     * {@link #persistentGet} without blocking.
     *
     * @param path the path
     * @return the value, or null when absent
     */
    public CompletableFuture<Object> persistentGetAsync(String path) {
        return async(() -> persistentGet(path));
    }

    /**
     * {@link #persistentGetVersioned} without blocking.
     *
     * @param path the path
     * @return the value and version, or null when absent
     */
    public CompletableFuture<Versioned> persistentGetVersionedAsync(String path) {
        return async(() -> persistentGetVersioned(path));
    }

    /**
     * {@link #persistentDelete} without blocking.
     *
     * @param path the path
     * @return false when it did not exist
     */
    public CompletableFuture<Boolean> persistentDeleteAsync(String path) {
        return async(() -> persistentDelete(path));
    }

    /**
     * {@link #persistentList} without blocking.
     *
     * @param prefix the prefix ("" for all)
     * @return the entries, sorted by path
     */
    public CompletableFuture<List<Entry>> persistentListAsync(String prefix) {
        return async(() -> persistentList(prefix));
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
            ListenerSubscription subscription = new ListenerSubscription(native_, handle);
            handle.track(subscription);
            List<Member> snapshot = Member.listFromJson(Json.decode(NativeLib.subscriptionSnapshot(native_)));
            return new MemberSubscription(subscription, snapshot);
        });
    }

    /**
     * Registers a connection-state listener (SUSPENDED, LOST, RECONNECTED, CLOSED).
     *
     * @param listener the listener
     * @return the subscription; close it to stop
     */
    public Subscription addConnectionStateListener(ConnectionStateListener listener) {
        requireArg(listener, "listener");
        NativeEventSink sink = stateSink(listener);
        return handle.call(h -> {
            ListenerSubscription subscription = new ListenerSubscription(NativeLib.subscribeState(h, sink), handle);
            handle.track(subscription);
            return subscription;
        });
    }

    /**
     * Leaves every member, releases every lock and deletes every ephemeral key of this
     * connector now, stops its listeners and heartbeat. Idempotent and thread-safe; calls
     * racing with it fail with {@link ConnectorClosedException}. If Redis cannot be reached
     * the failure is logged and the session simply expires.
     */
    @Override
    public void close() {
        cleanable.clean();
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
            void handle(String state) {
                listener.onStateChange(ConnectionState.valueOf(state));
            }
        };
    }

    private <T> CompletableFuture<T> async(Supplier<T> call) {
        return async(call, null);
    }

    private <T> CompletableFuture<T> async(Supplier<T> call, Consumer<T> undo) {
        if (handle.isClosed()) {
            return CompletableFuture.failedFuture(new ConnectorClosedException("connector is closed"));
        }
        return this.async.submit(call, undo);
    }

    private <P, T> CompletableFuture<T> prepareThenAsync(Supplier<P> prepare, Function<P, T> call) {
        if (handle.isClosed()) {
            return CompletableFuture.failedFuture(new ConnectorClosedException("connector is closed"));
        }
        return this.async.prepareThenSubmit(prepare, call);
    }

    static void requireArg(Object value, String what) {
        if (value == null) {
            throw new InvalidArgumentException(what + " must not be null");
        }
    }
}
