package group_redis;

import java.lang.ref.Cleaner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
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
 * The lower layer of {@link GroupConnector}: the native handle and its plumbing, locks,
 * ephemeral and persistent data. Its public methods are documented and called as
 * {@code GroupConnector}'s own; the layers exist to keep each file to one concern
 * ({@link AsyncGroupConnector} adds the {@code ...Async} twins, {@link GroupConnector}
 * connecting, membership, subscriptions and close).
 */
abstract class ConnectorBase {
    final GroupConfig config;
    final NativeHandle handle;
    final AsyncCalls async;
    private final Cleaner.Cleanable cleanable;

    ConnectorBase(GroupConfig config, long nativeHandle) {
        this.config = config;
        this.handle = new NativeHandle(nativeHandle);
        this.async = AsyncCalls.on(config.asyncExecutor());
        this.cleanable = NativeRef.CLEANER.register(this, closeAction(handle, async));
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

    /** Runs the close action once (idempotent, thread-safe). */
    final void closeNow() {
        cleanable.clean();
    }

    /**
     * Whether {@link GroupConnector#close()} was called.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return handle.isClosed();
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
        return acquireAs(null, name, false, Duration.ZERO);
    }

    /**
     * Takes the exclusive lock {@code name} in one attempt, never waiting: the same as
     * {@link #lock(String)}.
     *
     * @param name the lock name
     * @return the acquisition, or empty when the lock is held (by anyone)
     * @deprecated Use {@link #lock(String)}. A name with "try" takes a wait and waits up to
     *     it, in every language of the library ({@link #tryLock(String, Duration)} here,
     *     {@code try_lock(name, wait)} in Rust); this one, which does not wait, broke
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
        return acquireAs(null, name, false, wait);
    }

    /**
     * Takes {@code name} re-entrantly in one attempt, never waiting: the holder taking it again adds a
     * hold with the same token; each release removes one.
     *
     * @param name the lock name
     * @return the acquisition, or empty when another member holds it
     */
    public Optional<LockHandle> reentrantLock(String name) {
        return acquireAs(null, name, true, Duration.ZERO);
    }

    /**
     * The general form: takes {@code name} for {@code member}, as in every language of the
     * library (a member argument comes before the name it acts on).
     *
     * @param member the member to take it for, or null for the configured member id
     * @param name the lock name
     * @param reentrant whether a holder may take it again
     * @param wait how long to wait (zero: do not wait)
     * @return the acquisition, or empty when not acquired
     */
    public Optional<LockHandle> acquireAs(String member, String name, boolean reentrant, Duration wait) {
        return acquireMillis(member, name, reentrant, waitMillis(wait));
    }

    /**
     * The general form with the name first: the same as
     * {@link #acquireAs(String, String, boolean, Duration) acquireAs(member, name, reentrant, wait)}.
     *
     * @param name the lock name
     * @param member the member to take it for, or null for the configured member id
     * @param reentrant whether a holder may take it again
     * @param wait how long to wait (zero: do not wait)
     * @return the acquisition, or empty when not acquired
     * @deprecated Use {@link #acquireAs(String, String, boolean, Duration)}: everywhere else
     *     (Rust, C, Python, {@link #releaseAs}) the member comes before the name it acts on.
     *     It keeps working.
     */
    @Deprecated
    public Optional<LockHandle> acquire(String name, String member, boolean reentrant, Duration wait) {
        return acquireAs(member, name, reentrant, wait);
    }

    Optional<LockHandle> acquireMillis(String member, String name, boolean reentrant, long waitMillis) {
        long token = acquireToken(member, name, reentrant, waitMillis);
        return token == NativeLib.NO_TOKEN ? Optional.empty() : Optional.of(new LockHandle(this, name, member, token));
    }

    static long waitMillis(Duration wait) {
        requireArg(wait, "wait");
        try {
            return wait.toMillis();
        } catch (ArithmeticException tooLong) {
            throw new InvalidArgumentException("wait is too long: " + wait);
        }
    }

    /** One attempt, without the handle object (the seed API's lock calls): whether acquired. */
    boolean acquireOnce(String member, String name, boolean reentrant) {
        return acquireToken(member, name, reentrant, 0) != NativeLib.NO_TOKEN;
    }

    /** The token, or {@link NativeLib#NO_TOKEN}. */
    private long acquireToken(String member, String name, boolean reentrant, long waitMillis) {
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

    void ephemeralSetJson(String key, String json) {
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

    long persistentSetJson(String path, String json) {
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
    static String encodeEntries(Map<String, ?> entries) {
        requireArg(entries, "entries");
        List<Object> pairs = new ArrayList<>(entries.size());
        for (Map.Entry<String, ?> entry : entries.entrySet()) {
            requireArg(entry.getKey(), "path");
            Json.check(entry.getValue()); // each value against the depth limit, not the pairs
            pairs.add(Arrays.asList(entry.getKey(), entry.getValue()));
        }
        return Json.encodeDocument(pairs);
    }

    List<Long> persistentSetManyJson(String json) {
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
    public OptionalLong persistentCas(String path, long expectedVersion, Object value) {
        return persistentCasJson(path, expectedVersion, Json.encode(value));
    }

    /**
     * Compare-and-set: the same as {@link #persistentCas(String, long, Object)}.
     *
     * @param path the path
     * @param expectedVersion the version read before
     * @param value the new value
     * @return the new version, or empty when the version did not match (nothing written)
     * @deprecated Use {@link #persistentCas(String, long, Object)}, the name the operation has
     *     in every language of the library ({@code persistent_cas}). It keeps working.
     */
    @Deprecated
    public OptionalLong persistentCompareAndSet(String path, long expectedVersion, Object value) {
        return persistentCas(path, expectedVersion, value);
    }

    OptionalLong persistentCasJson(String path, long expectedVersion, String json) {
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


    // ---------------------------------------------------------------- plumbing

    <T> CompletableFuture<T> async(Supplier<T> call) {
        return async(call, null);
    }

    <T> CompletableFuture<T> async(Supplier<T> call, Consumer<T> undo) {
        if (handle.isClosed()) {
            return CompletableFuture.failedFuture(new ConnectorClosedException("connector is closed"));
        }
        return this.async.submit(call, undo);
    }

    <P, T> CompletableFuture<T> prepareThenAsync(Supplier<P> prepare, Function<P, T> call) {
        if (handle.isClosed()) {
            return CompletableFuture.failedFuture(new ConnectorClosedException("connector is closed"));
        }
        return this.async.prepareThenSubmit(prepare, call);
    }

    static String encodeOrNull(Object payload) {
        return payload == null ? null : Json.encode(payload);
    }

    static void requireArg(Object value, String what) {
        if (value == null) {
            throw new InvalidArgumentException(what + " must not be null");
        }
    }
}
