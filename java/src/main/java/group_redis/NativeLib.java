package group_redis;

/**
 * The native methods of libgroup_redis (ffi/src/jni_api in the repository). Values cross as
 * plain Java types: handles as {@code long}, names as {@code String}, JSON documents as
 * {@code String}. Errors arrive as {@link GroupRedisException} subclasses. Handles must be
 * live: {@link NativeHandle} guarantees that for connectors.
 */
final class NativeLib {
    /** Must equal {@code ABI_VERSION} in ffi/src/jni_api/mod.rs. */
    static final int EXPECTED_ABI_VERSION = 4;

    static {
        NativeLoader.load();
    }

    private NativeLib() {
    }

    /** Forces the class (and so the library) to load; throws if it cannot. */
    static void ensureLoaded() {
        // The static initializer did the work.
    }

    static native int abiVersion();

    static native long connect(String configJson);

    static native void close(long handle);

    static native void free(long handle);

    static native String sessionId(long handle);

    static native String state(long handle);

    static native String subGroups(long handle);

    static native String join(long handle, String member, String payloadJson);

    static native boolean leave(long handle, String member);

    static native String members(long handle);

    static native String takeRestoreFailures(long handle);

    static native void updatePayload(long handle, String member, String payloadJson);
    static native void setOnline(long handle, String member, boolean online);

    static native void addSubGroup(long handle, String subGroup);

    static native void removeSubGroup(long handle, String subGroup);

    /**
     * What {@link #acquire} returns when it did not acquire, {@link #heldToken} when the lock
     * is not held: fencing tokens are never 0.
     */
    static final long NO_TOKEN = 0;

    /** What {@link #persistentCas} returns when the expected version did not match. */
    static final long VERSION_MISMATCH = 0;

    /** The configured member id (the one a null member stands for below). No I/O. */
    static native String memberId(long handle);

    /**
     * Returns the fencing token, or {@link #NO_TOKEN} when not acquired. {@code member} null:
     * the configured member id.
     */
    static native long acquire(long handle, String member, String name, boolean reentrant, long waitMillis);

    /** {@code member} null: the configured member id. */
    static native boolean release(long handle, String member, String name);

    /** Whether this connector holds {@code name} with a valid lease. No I/O. */
    static native boolean isHeld(long handle, String name);

    /**
     * Returns the fencing token of a lock this connector holds, or {@link #NO_TOKEN}. No I/O.
     * An invalid name throws {@link InvalidArgumentException}.
     */
    static native long heldToken(long handle, String name);

    /**
     * Who holds {@code name}: JSON {@code {"member":..,"session":..,"token":..}}, or null
     * when it is free.
     */
    static native String lockHolder(long handle, String name);

    /**
     * JSON {@code {"holder": {...} or null, "grants_held_until_ms": n or null}}.
     */
    static native String lockStatus(long handle, String name);

    static native void ephemeralSet(long handle, String key, String valueJson);

    static native String ephemeralGet(long handle, String key);

    static native boolean ephemeralDel(long handle, String key);

    /** JSON object {key: value, ...}, its members in key order. */
    static native String ephemeralList(long handle, String prefix);

    static native long persistentSet(long handle, String path, String valueJson);

    static native String persistentSetMany(long handle, String entriesJson);

    /** Returns the new version, or {@link #VERSION_MISMATCH} when the expected version did not match. */
    static native long persistentCas(long handle, String path, long expectedVersion, String valueJson);

    static native String persistentGet(long handle, String path);

    static native boolean persistentDel(long handle, String path);

    static native String persistentList(long handle, String prefix);

    // Subscriptions: one native handle for every kind of event (NativeSubscription).

    /** Opens a membership subscription; returns its handle. */
    static native long subscribeMembers(long handle);

    /** Opens a connection-state subscription; returns its handle. */
    static native long subscribeState(long handle);

    /** Opens a watch on persistent data under {@code prefix} after {@code fromRevision} (0: from now). */
    static native long watch(long handle, String prefix, long fromRevision);

    /** Opens a watch on ephemeral keys under {@code prefix} after {@code fromRevision} (0: from now). */
    static native long watchEphemeral(long handle, String prefix, long fromRevision);

    /** What the subscription started from, as JSON (per kind). */
    static native String subscriptionSnapshot(long subscription);

    /**
     * The next event as JSON, waiting up to {@code timeoutMs} (negative: no limit; 0: only
     * one already there); null when the time ran out. Throws ConnectorClosedException once
     * the subscription ended and was drained, InvalidArgumentException after
     * {@link #subscriptionListen}. Safe from many threads; each event goes to one of them.
     */
    static native String subscriptionNext(long subscription, long timeoutMs);

    /**
     * From now on every event goes to {@code sink.deliver(json)} on a dispatcher thread,
     * those already waiting first; {@code sink.ended()} once after the last one.
     */
    static native void subscriptionListen(long subscription, NativeEventSink sink);

    /** Stops and frees: waits for a running delivery to return, unless called from inside it. */
    static native void subscriptionFree(long subscription);

    // Leader election: a leadership handle (NativeLeadership), its events through the
    // subscription handle above. JSON shapes as in include/group_redis.h (gr_elect, gr_leader).

    /** Campaigns for leadership of name; returns the leadership handle. */
    static native long elect(long handle, String name);

    /** Whether this connector leads now (local). */
    static native boolean leadershipIsLeader(long leadership);

    /** The term's fencing token while leading, else 0 (local). */
    static native long leadershipToken(long leadership);

    /** A subscription to the leadership's states ({"state":"LEADER","token":N}, ...). */
    static native long leadershipSubscribe(long leadership);

    /** Gives leadership up now (releases the lock). */
    static native void leadershipResign(long leadership);

    /** Resigns and frees the handle. */
    static native void leadershipFree(long leadership);

    /** Who leads name: {"leader":ID or null,"token":N or null}. */
    static native String leader(long handle, String name);

    /** A subscription to who leads name (snapshot and events as leader() returns them). */
    static native long observeLeader(long handle, String name);

    // Controlled assignments: an assignment handle, its shares through the subscription handle.

    /** Takes part in assigning the ids (a JSON array) of topic; subGroup may be null. */
    static native long assignments(long handle, String topic, String idsJson, String subGroup);

    /** This participant's share: {"member","epoch","ids":[...],"tokens":{...}}. */
    static native String assignmentShare(long assignment);

    /** A subscription to this participant's share (snapshot and events as assignmentShare). */
    static native long assignmentSubscribe(long assignment);

    /** Leaves the topic and frees the handle. */
    static native void assignmentFree(long assignment);

    // Service discovery: a provider handle, its instance changes through the subscription handle.

    /** Opens a provider; optionsJson {"strategy","sub_group","election","down_for_ms","error_threshold"} or null. */
    static native long serviceProvider(long handle, String optionsJson);

    /** One instance picked by the strategy (a member record as JSON), or null when none. */
    static native String providerInstance(long provider);

    /** Every instance now, a JSON array of member records sorted by id. */
    static native String providerInstances(long provider);

    /** Notes an error calling memberId (out for down_for_ms after error_threshold errors). */
    static native void providerNoteError(long provider, String memberId);

    /** A subscription to the instances: {"added","removed","updated","view"} events. */
    static native long providerSubscribe(long provider);

    /** Stops the provider's cache and frees the handle. */
    static native void providerFree(long provider);

    // Messages and topics (docs/MESSAGES.md); documents cross as JSON text.

    /** Appends a JSON array of messages to a topic; returns their indexes as a JSON array. */
    static native String topicSend(long handle, String topic, String messagesJson);

    /** {"messages":[{"index","payload","time"}...],"next_index":N}; waitMs &lt;= 0: no wait. */
    static native String topicRead(long handle, String topic, long fromIndex, long maxCount, long waitMs);

    /** {"first_index","last_index","length"} of a topic. */
    static native String topicInfo(long handle, String topic);

    /** Sets a topic's retention (0: no limit); returns how many messages were removed now. */
    static native long topicSetRetention(long handle, String topic, long maxLen, long maxAgeMs);

    /** Takes messages for this session in a consumer group: a JSON array of messages. */
    static native String topicConsume(long handle, String topic, String group, long maxCount, long waitMs);

    /** Acknowledges a JSON array of indexes; returns a JSON array of booleans. */
    static native String topicAck(long handle, String topic, String group, String indexesJson);

    /** Sends JSON to one live member (InvalidArgumentException: no such live member). */
    static native void send(long handle, String memberId, String payloadJson);

    /** Sends JSON to every live member (of subGroup, null: all); returns how many. */
    static native long broadcast(long handle, String payloadJson, String subGroup);

    /** Sends a request and waits up to timeoutMs for the reply (JSON). */
    static native String request(long handle, String memberId, String payloadJson, long timeoutMs);

    /** Answers a request (the message JSON as received) with JSON. */
    static native void reply(long handle, String requestJson, String payloadJson);

    /** Opens a subscription to a member's messages (null: the connector's member id). */
    static native long listen(long handle, String memberId);

    /**
     * Delivers the library's log records at {@code level} (1 = ERROR .. 5 = TRACE) or more
     * severe to {@link Logs}; 0 turns delivery off.
     */
    static native void setLogLevel(int level);

    /** Panics inside the native boundary on purpose (tests of the panic handling). */
    static native long selfTestPanic();

    /** Global references to listener sinks the native side holds now (leak checks). */
    static native long liveSinkRefs();
}
