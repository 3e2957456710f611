package group_redis;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * The {@code CompletableFuture} twins of {@link GroupConnector}'s blocking calls, one
 * {@code ...Async} method per call that talks to Redis; every {@code GroupConnector} has them
 * ({@code connector.tryLockAsync("reindex", wait)}). This class only groups them: its one
 * subclass is {@code GroupConnector}.
 *
 * <p>None of them blocks the caller's thread: arguments are checked and values encoded on the
 * caller's thread, the round trip runs on {@link GroupConfig.Builder#asyncExecutor the
 * configured executor} (by default a pool of daemon threads owned by the connector). The
 * future completes with the same result, or exceptionally with the same
 * {@link GroupRedisException} subclass the blocking call throws (not wrapped: {@code get()}
 * wraps it in an {@code ExecutionException} as usual). Stages chained without an executor of
 * their own run on that pool's thread. Cancelling a future whose call has not started skips
 * the call; a call already under way runs to its end (a write is not undone), except that a
 * lock acquired for a future that was cancelled (or timed out) meanwhile is released at once,
 * so cancelling never leaves a lock held that nobody knows about. A cancelled wait for a lock
 * still occupies its thread until it acquires (and releases at once) or its wait runs out.
 */
public abstract class AsyncGroupConnector extends ConnectorBase {
    AsyncGroupConnector(GroupConfig config, long nativeHandle) {
        super(config, nativeHandle);
    }

    /** The membership calls live in the subclass; this is the only subclass there is. */
    private GroupConnector self() {
        return (GroupConnector) this;
    }


    /**
     * {@link GroupConnector#join()} without blocking.
     *
     * @return the member record, when joined
     */
    public CompletableFuture<Member> joinAsync() {
        return joinAsync(null, null);
    }

    /**
     * {@link GroupConnector#join(String, Object)} without blocking.
     *
     * @param memberId the member id, or null for the configured one
     * @param payload the payload, or null for the configured one
     * @return the member record, when joined
     */
    public CompletableFuture<Member> joinAsync(String memberId, Object payload) {
        return prepareThenAsync(() -> encodeOrNull(payload), json -> self().joinJson(memberId, json));
    }

    /**
     * {@link GroupConnector#leave()} without blocking.
     *
     * @return false when this connector was not that member
     */
    public CompletableFuture<Boolean> leaveAsync() {
        return leaveAsync(null);
    }

    /**
     * {@link GroupConnector#leave(String)} without blocking.
     *
     * @param memberId the member id, or null for the configured one
     * @return false when this connector was not that member
     */
    public CompletableFuture<Boolean> leaveAsync(String memberId) {
        return async(() -> self().leave(memberId));
    }

    /**
     * {@link GroupConnector#members()} without blocking.
     *
     * @return every live member, sorted by id
     */
    public CompletableFuture<List<Member>> membersAsync() {
        return async(() -> self().members());
    }

    /**
     * {@link GroupConnector#lock(String)} without blocking (an acquisition made for a future that was
     * cancelled meanwhile is released at once).
     *
     * @param name the lock name
     * @return the acquisition, or empty when the lock is held
     */
    public CompletableFuture<Optional<LockHandle>> lockAsync(String name) {
        return acquireAsAsync(null, name, false, Duration.ZERO);
    }

    /**
     * {@link GroupConnector#lock(String)} without blocking: the same as {@link #lockAsync(String)}.
     *
     * @param name the lock name
     * @return the acquisition, or empty when the lock is held
     * @deprecated Use {@link #lockAsync(String)}; a name with "try" takes a wait (see
     *     {@link GroupConnector#tryLock(String)}). It keeps working.
     */
    @Deprecated
    public CompletableFuture<Optional<LockHandle>> tryLockAsync(String name) {
        return lockAsync(name);
    }

    /**
     * {@link GroupConnector#tryLock(String, Duration)} without blocking: the wait happens on the async
     * executor. Cancelling the future, or completing it otherwise (e.g. {@code orTimeout}),
     * before the lock is acquired means that an acquisition made after all is released at
     * once instead of delivered.
     *
     * @param name the lock name
     * @param wait how long to wait
     * @return the acquisition, or empty when the time ran out
     */
    public CompletableFuture<Optional<LockHandle>> tryLockAsync(String name, Duration wait) {
        return acquireAsAsync(null, name, false, wait);
    }

    /**
     * {@link GroupConnector#reentrantLock(String)} without blocking (a hold added for a cancelled future
     * is removed again).
     *
     * @param name the lock name
     * @return the acquisition, or empty when another member holds it
     */
    public CompletableFuture<Optional<LockHandle>> reentrantLockAsync(String name) {
        return acquireAsAsync(null, name, true, Duration.ZERO);
    }

    /**
     * {@link GroupConnector#acquireAs} without blocking (see
     * {@link #tryLockAsync(String, Duration)} on cancelling).
     *
     * @param member the member to take it for, or null for the configured member id
     * @param name the lock name
     * @param reentrant whether a holder may take it again
     * @param wait how long to wait (zero: do not wait)
     * @return the acquisition, or empty when not acquired
     */
    public CompletableFuture<Optional<LockHandle>> acquireAsAsync(String member, String name, boolean reentrant,
            Duration wait) {
        long waitMillis;
        try {
            waitMillis = waitMillis(wait);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        // The undo: an acquisition whose future was completed meanwhile goes back at once.
        return async(() -> acquireMillis(member, name, reentrant, waitMillis),
                acquired -> acquired.ifPresent(AsyncGroupConnector::releaseUnwanted));
    }

    /**
     * {@link #acquireAsAsync} with the name first.
     *
     * @param name the lock name
     * @param member the member to take it for, or null for the configured member id
     * @param reentrant whether a holder may take it again
     * @param wait how long to wait (zero: do not wait)
     * @return the acquisition, or empty when not acquired
     * @deprecated Use {@link #acquireAsAsync(String, String, boolean, Duration)}: the member
     *     comes before the name it acts on, as everywhere else. It keeps working.
     */
    @Deprecated
    public CompletableFuture<Optional<LockHandle>> acquireAsync(String name, String member, boolean reentrant,
            Duration wait) {
        return acquireAsAsync(member, name, reentrant, wait);
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
     * {@link GroupConnector#release(String)} without blocking.
     *
     * @param name the lock name
     * @return false when this member (of this session) does not hold it
     */
    public CompletableFuture<Boolean> releaseAsync(String name) {
        return releaseAsAsync(null, name);
    }

    /**
     * {@link GroupConnector#releaseAs(String, String)} without blocking.
     *
     * @param member the member id, or null for the configured one
     * @param name the lock name
     * @return false when that member (of this session) does not hold it
     */
    public CompletableFuture<Boolean> releaseAsAsync(String member, String name) {
        return async(() -> releaseAs(member, name));
    }

    /**
     * {@link GroupConnector#lockHolder} without blocking.
     *
     * @param name the lock name
     * @return the holder, or empty when the lock is free
     */
    public CompletableFuture<Optional<LockHolder>> lockHolderAsync(String name) {
        return async(() -> lockHolder(name));
    }

    /**
     * {@link GroupConnector#lockStatus} without blocking.
     *
     * @param name the lock name
     * @return the holder and the end of any restart grace
     */
    public CompletableFuture<LockStatus> lockStatusAsync(String name) {
        return async(() -> lockStatus(name));
    }

    /**
     * {@link GroupConnector#ephemeralSet} without blocking; the value is encoded before this returns.
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
     * {@link GroupConnector#ephemeralGet} without blocking.
     *
     * @param key the key
     * @return the value, or null when absent
     */
    public CompletableFuture<Object> ephemeralGetAsync(String key) {
        return async(() -> ephemeralGet(key));
    }

    /**
     * {@link GroupConnector#ephemeralDelete} without blocking.
     *
     * @param key the key
     * @return false when it did not exist
     */
    public CompletableFuture<Boolean> ephemeralDeleteAsync(String key) {
        return async(() -> ephemeralDelete(key));
    }

    /**
     * {@link GroupConnector#ephemeralList} without blocking.
     *
     * @param prefix the prefix ("" for all)
     * @return the keys and values, sorted
     */
    public CompletableFuture<Map<String, Object>> ephemeralListAsync(String prefix) {
        return async(() -> ephemeralList(prefix));
    }

    /**
     * {@link GroupConnector#persistentSet} without blocking; the value is encoded before this returns.
     *
     * @param path the path
     * @param value the value
     * @return the new version
     */
    public CompletableFuture<Long> persistentSetAsync(String path, Object value) {
        return prepareThenAsync(() -> Json.encode(value), json -> persistentSetJson(path, json));
    }

    /**
     * {@link GroupConnector#persistentSetMany} without blocking; the entries are encoded before this returns.
     *
     * @param entries path to value
     * @return the new versions in the map's iteration order
     */
    public CompletableFuture<List<Long>> persistentSetManyAsync(Map<String, ?> entries) {
        return prepareThenAsync(() -> encodeEntries(entries), this::persistentSetManyJson);
    }

    /**
     * {@link GroupConnector#persistentCas} without blocking.
     *
     * @param path the path
     * @param expectedVersion the version read before (0: must not exist)
     * @param value the new value
     * @return the new version, or empty when the version did not match
     */
    public CompletableFuture<OptionalLong> persistentCasAsync(String path, long expectedVersion, Object value) {
        return prepareThenAsync(() -> Json.encode(value), json -> persistentCasJson(path, expectedVersion, json));
    }

    /**
     * {@link #persistentCasAsync} under its old name.
     *
     * @param path the path
     * @param expectedVersion the version read before (0: must not exist)
     * @param value the new value
     * @return the new version, or empty when the version did not match
     * @deprecated Use {@link #persistentCasAsync(String, long, Object)}. It keeps working.
     */
    @Deprecated
    public CompletableFuture<OptionalLong> persistentCompareAndSetAsync(String path, long expectedVersion,
            Object value) {
        return persistentCasAsync(path, expectedVersion, value);
    }

    /**
     * {@link GroupConnector#persistentGet} without blocking.
     *
     * @param path the path
     * @return the value, or null when absent
     */
    public CompletableFuture<Object> persistentGetAsync(String path) {
        return async(() -> persistentGet(path));
    }

    /**
     * {@link GroupConnector#persistentGetVersioned} without blocking.
     *
     * @param path the path
     * @return the value and version, or null when absent
     */
    public CompletableFuture<Versioned> persistentGetVersionedAsync(String path) {
        return async(() -> persistentGetVersioned(path));
    }

    /**
     * {@link GroupConnector#persistentDelete} without blocking.
     *
     * @param path the path
     * @return false when it did not exist
     */
    public CompletableFuture<Boolean> persistentDeleteAsync(String path) {
        return async(() -> persistentDelete(path));
    }

    /**
     * {@link GroupConnector#persistentList} without blocking.
     *
     * @param prefix the prefix ("" for all)
     * @return the entries, sorted by path
     */
    public CompletableFuture<List<Entry>> persistentListAsync(String prefix) {
        return async(() -> persistentList(prefix));
    }

    /**
     * {@link GroupConnector#serviceProvider} without blocking (opening subscribes to
     * membership events, a round trip). A provider opened for a future that was cancelled
     * meanwhile is closed at once.
     *
     * @param options the strategy, sub-group, election and error policy
     * @return the provider, when its cache is filled
     */
    public CompletableFuture<ServiceProvider> serviceProviderAsync(ServiceProvider.Options options) {
        return async(() -> self().serviceProvider(options), ServiceProvider::close);
    }
}
