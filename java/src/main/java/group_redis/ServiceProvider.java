package group_redis;

import java.lang.ref.Cleaner;
import java.util.List;

/**
 * A service provider ({@link GroupConnector#serviceProvider}): a live cache of the group's
 * online members (of one sub-group, if given), fed by membership events (a gap in history is
 * resynced), that picks one to call (Curator's ServiceProvider, slacker-cluster's server
 * selection). Picks and {@link #instances()} are answered locally, without I/O.
 *
 * <p>Strategies: {@link Strategy#RANDOM}, {@link Strategy#ROUND_ROBIN}, {@link Strategy#STICKY},
 * {@link Strategy#FIRST} (the member that joined first) and {@link Strategy#LEADER} (the member
 * leading a named election now); "all" is {@link #instances()}. {@link #noteError} takes a
 * member out for a while after errors (Curator's DownInstancePolicy). {@link #subscribe()}
 * tells which members were added, removed (left, went offline, left the sub-group) or updated
 * (e.g. a new payload).
 *
 * <p>The provider holds no lease: while the connector is cut off it serves what it last knew,
 * and once reconnected the cache catches up and subscribers hear the difference. Thread-safe.
 *
 * <pre>{@code
 * try (ServiceProvider provider = connector.serviceProvider(
 *         ServiceProvider.options().strategy(ServiceProvider.Strategy.ROUND_ROBIN).subGroup("web"))) {
 *     Member member = provider.instance();   // null when there is none
 *     ... on a failed call: provider.noteError(member.id());
 * }
 * }</pre>
 */
public final class ServiceProvider implements AutoCloseable {
    /** How {@link #instance()} picks among the instances. */
    public enum Strategy {
        /** Any instance, uniformly at random. */
        RANDOM("random"),
        /** Each instance in turn, in member id order. */
        ROUND_ROBIN("round-robin"),
        /** The instance picked last time while it stays one (and is not noted down). */
        STICKY("sticky"),
        /** The instance that joined first: every caller picks the same one. */
        FIRST("first"),
        /**
         * The member leading the election named by {@link Options#election} now, while it is
         * an instance; none while nobody leads. Errors noted against it do not take it out.
         */
        LEADER("leader");

        private final String wireName;

        Strategy(String wireName) {
            this.wireName = wireName;
        }

        /**
         * The name the native layer uses ("round-robin", ...).
         *
         * @return the name
         */
        public String wireName() {
            return wireName;
        }
    }

    /** What a provider serves and how it picks; every setting is optional. */
    public static final class Options {
        private Strategy strategy = Strategy.ROUND_ROBIN;
        private String subGroup;
        private String election;
        private Long downForMs;
        private Integer errorThreshold;

        Options() {}

        /**
         * How {@link #instance()} picks (default {@link Strategy#ROUND_ROBIN}).
         *
         * @param strategy the strategy
         * @return these options
         */
        public Options strategy(Strategy strategy) {
            this.strategy = strategy;
            return this;
        }

        /**
         * Only members of this sub-group (null: every member).
         *
         * @param subGroup the sub-group
         * @return these options
         */
        public Options subGroup(String subGroup) {
            this.subGroup = subGroup;
            return this;
        }

        /**
         * The election {@link Strategy#LEADER} follows (the name passed to
         * {@link GroupConnector#elect}); required by that strategy, refused by the others.
         *
         * @param election the election's name
         * @return these options
         */
        public Options election(String election) {
            this.election = election;
            return this;
        }

        /**
         * How long {@link #noteError} takes a member out (default 30 000 ms).
         *
         * @param downForMs milliseconds
         * @return these options
         */
        public Options downForMs(long downForMs) {
            this.downForMs = downForMs;
            return this;
        }

        /**
         * How many errors, each within the down-time of the previous, take a member out
         * (default 2).
         *
         * @param errorThreshold the count
         * @return these options
         */
        public Options errorThreshold(int errorThreshold) {
            this.errorThreshold = errorThreshold;
            return this;
        }

        String toJson() {
            java.util.Map<String, Object> map = new java.util.LinkedHashMap<>();
            map.put("strategy", strategy == null ? null : strategy.wireName());
            if (subGroup != null) {
                map.put("sub_group", subGroup);
            }
            if (election != null) {
                map.put("election", election);
            }
            if (downForMs != null) {
                map.put("down_for_ms", downForMs);
            }
            if (errorThreshold != null) {
                map.put("error_threshold", errorThreshold);
            }
            return Json.encode(map);
        }
    }

    private final NativeHandle connector;
    private final OwnedNativeRef ref;
    private final Cleaner.Cleanable cleanable;

    ServiceProvider(NativeHandle connector, Options options) {
        this.connector = connector;
        String optionsJson = options.toJson();
        this.ref = connector.call(h -> {
            long provider = NativeLib.serviceProvider(h, optionsJson);
            connector.retain(); // given back when the native provider is freed
            return new OwnedNativeRef(provider, connector, NativeLib::providerFree, "service provider is closed");
        });
        this.cleanable = NativeRef.CLEANER.register(this, ref);
    }

    /**
     * New provider options: round-robin over every online member.
     *
     * @return the options, to chain setters on
     */
    public static Options options() {
        return new Options();
    }

    /**
     * One instance picked by the strategy among those not taken out by {@link #noteError}
     * (among all when every one is).
     *
     * @return the member, or null when there is none (for {@link Strategy#LEADER}: nobody
     *     leads, or the leader is offline or outside the sub-group)
     * @throws ConnectorClosedException once closed
     */
    public Member instance() {
        String json = ref.call(NativeLib::providerInstance);
        return json == null ? null : Member.fromJson(Json.decode(json));
    }

    /**
     * Every instance now (the "all" strategy), sorted by id, including those taken out by
     * {@link #noteError}.
     *
     * @return an unmodifiable list
     * @throws ConnectorClosedException once closed
     */
    public List<Member> instances() {
        return Member.listFromJson(Json.decode(ref.call(NativeLib::providerInstances)));
    }

    /**
     * Notes a failed call to {@code memberId}: after the error threshold, each error within
     * the down-time of the previous, it is not picked for the down-time (unless no other
     * instance is left).
     *
     * @param memberId the member called
     * @throws ConnectorClosedException once closed
     */
    public void noteError(String memberId) {
        if (memberId == null) {
            throw new InvalidArgumentException("memberId must not be null");
        }
        ref.run(h -> NativeLib.providerNoteError(h, memberId));
    }

    /**
     * Every change of the instances, pull form; its snapshot is the instances now. It ends
     * when the provider is closed or the connector closes.
     *
     * @return the subscription; close it to stop
     * @throws ConnectorClosedException once closed
     */
    public InstanceSubscription subscribe() {
        return new InstanceSubscription(connector, h -> ref.callLong(NativeLib::providerSubscribe));
    }

    /**
     * Calls {@code listener} for every change of the instances on a dispatcher thread of the
     * library.
     *
     * @param listener the listener
     * @return the subscription (its snapshot is the instances when it started)
     */
    public InstanceSubscription addListener(EventListener<? super InstancesChanged> listener) {
        InstanceSubscription subscription = subscribe();
        subscription.listen(listener);
        return subscription;
    }

    /** Stops the cache and frees the native provider (its subscriptions end). Idempotent. */
    @Override
    public void close() {
        cleanable.clean();
    }

    @Override
    public String toString() {
        return "ServiceProvider" + (ref.isClosed() ? "{closed}" : "");
    }
}
