package group_redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The seed library's static API, kept so existing callers compile and behave the same: the
 * connector is an opaque {@code Object} (a {@link GroupConnector} underneath) passed to
 * every call. New code should use {@link GroupConnector} directly.
 *
 * <pre>{@code
 * Object c = RedisConn.create_group_connector("localhost");
 * RedisConn.join(c);
 * if (RedisConn.lock(c, "lock1")) {
 *     try { ... } finally { RedisConn.release(c, "lock1"); }
 * }
 * RedisConn.close(c);
 * }</pre>
 *
 * Errors are {@link GroupRedisException} subclasses (unchecked).
 *
 * <p>Moving from the seed library: keep {@code import group_redis.RedisConn} and every call as
 * it is; only the dependency changes, to {@code io.github.group-redis:group-redis} (from
 * {@code group-redis:group-redis}: Maven Central publishes only under a verified reverse-DNS
 * group id).
 */
public final class RedisConn {
    private static final int DEFAULT_PORT = 6379;

    /** Event queues registered per connector, to unregister them by identity. */
    private static final Map<BlockingQueue<?>, Subscription<?>> QUEUES = new IdentityHashMap<>();

    private RedisConn() {
    }

    // ---------------------------------------------------------------- connecting

    /**
     * Connects to Redis on {@code host} with the defaults (group {@code default-group},
     * sub-group {@code default}).
     *
     * @param host a host name ({@code localhost}), {@code host:port}, or a
     *        {@code redis://} / {@code rediss://} / {@code redis+sentinel://} /
     *        {@code redis+cluster://} URL
     * @return the connector
     */
    public static Object create_group_connector(String host) {
        return create_group_connector(host, Map.of());
    }

    /**
     * Connects with options. Keys: {@code "group-name"} (String), {@code "heart-beat-freq"}
     * (seconds; the session timeout becomes the larger of 10 s and three heartbeats),
     * {@code "sub-groups"} (collection of String), {@code "port"}, {@code "password"},
     * {@code "timeout"} (command timeout in milliseconds). {@code conf} is not modified.
     *
     * @param host as for {@link #create_group_connector(String)}
     * @param conf the options (may be null)
     * @return the connector
     */
    public static Object create_group_connector(String host, Map<String, Object> conf) {
        GroupConnector.requireArg(host, "host");
        Map<String, Object> options = conf == null ? Map.of() : conf;
        GroupConfig.Builder builder = GroupConfig.builder(url(host, options));
        Object group = options.get("group-name");
        if (group != null) {
            builder.group(group.toString());
        }
        Object heartbeat = options.get("heart-beat-freq");
        if (heartbeat != null) {
            Duration every = Duration.ofMillis(Math.round(number(heartbeat, "heart-beat-freq") * 1000));
            Duration lease = every.multipliedBy(3);
            builder.heartbeat(every).sessionTimeout(lease.compareTo(Duration.ofSeconds(10)) > 0 ? lease : Duration.ofSeconds(10));
        }
        Object subGroups = options.get("sub-groups");
        if (subGroups != null) {
            if (!(subGroups instanceof Collection)) {
                throw new InvalidArgumentException("sub-groups must be a collection of strings");
            }
            List<String> names = new ArrayList<>();
            for (Object name : (Collection<?>) subGroups) {
                names.add(String.valueOf(name));
            }
            builder.subGroups(names);
        }
        Object timeout = options.get("timeout");
        if (timeout != null) {
            builder.commandTimeout(Duration.ofMillis(Math.round(number(timeout, "timeout"))));
        }
        return GroupConnector.connect(builder.build());
    }

    /** Builds the Redis URL from the seed's host/port/password options. */
    static String url(String host, Map<String, Object> options) {
        if (host.startsWith("redis://") || host.startsWith("rediss://")
                || host.startsWith("redis+sentinel://") || host.startsWith("rediss+sentinel://")
                || host.startsWith("redis+cluster://") || host.startsWith("rediss+cluster://")) {
            return host;
        }
        if (host.isEmpty()) {
            throw new InvalidArgumentException("host must not be empty");
        }
        String name = host;
        Object port = options.get("port");
        int lastColon = host.lastIndexOf(':');
        boolean bareIpv6 = host.indexOf(':') != lastColon && !host.startsWith("[");
        if (lastColon > 0 && !bareIpv6 && port == null) {
            name = host.substring(0, lastColon);
            port = host.substring(lastColon + 1);
        }
        if (bareIpv6) {
            name = "[" + host + "]";
        }
        int portNumber = port == null ? DEFAULT_PORT : (int) number(port, "port");
        Object password = options.get("password");
        String auth = password == null ? "" : ":" + percentEncode(password.toString()) + "@";
        return "redis://" + auth + name + ":" + portNumber;
    }

    private static double number(Object value, String what) {
        if (value instanceof Number) {
            return ((Number) value).doubleValue();
        }
        try {
            return Double.parseDouble(value.toString());
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException(what + " must be a number, not " + value);
        }
    }

    /** Percent-encodes everything but RFC 3986 unreserved characters (for the password). */
    private static String percentEncode(String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
                out.append(c);
            } else {
                out.append(String.format("%%%02X", b & 0xff));
            }
        }
        return out.toString();
    }

    private static GroupConnector connector(Object c) {
        if (c == null) {
            throw new InvalidArgumentException("connector must not be null");
        }
        if (!(c instanceof GroupConnector)) {
            throw new InvalidArgumentException("not a connector from create_group_connector: " + c.getClass().getName());
        }
        return (GroupConnector) c;
    }

    /**
     * Closes the connector: its members leave, its locks are released and its ephemeral
     * keys deleted now. Idempotent.
     *
     * @param c the connector
     */
    public static void close(Object c) {
        GroupConnector connector = connector(c);
        synchronized (QUEUES) {
            QUEUES.values().removeIf(s -> !s.isOpen());
        }
        connector.close();
    }

    // ---------------------------------------------------------------- membership

    /**
     * Every live member as a map: {@code "id"}, {@code "path"} ({@code /<group>/members/<id>})
     * and {@code "val"} (a map with {@code "ts"}, the join time in ms, {@code "sub-groups"}
     * and {@code "payload"}).
     *
     * @param c the connector
     * @return the members, sorted by id
     */
    public static Collection<Map<?, ?>> getMembers(Object c) {
        GroupConnector connector = connector(c);
        List<Map<?, ?>> out = new ArrayList<>();
        for (Member member : connector.members()) {
            out.add(memberMap(connector, member));
        }
        return out;
    }

    static Map<String, Object> memberMap(GroupConnector connector, Member member) {
        Map<String, Object> val = new LinkedHashMap<>();
        val.put("ts", member.joinedAt());
        val.put("sub-groups", member.subGroups());
        val.put("payload", member.payload());
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("id", member.id());
        map.put("path", "/" + groupName(connector) + "/members/" + member.id());
        map.put("val", val);
        return map;
    }

    private static String groupName(GroupConnector connector) {
        String group = connector.config().group();
        return group == null ? "default-group" : group;
    }

    /**
     * Joins as this process's member id ({@code <hostname>-<pid>}).
     *
     * @param c the connector
     */
    public static void join(Object c) {
        connector(c).join();
    }

    /**
     * Joins as {@code member}.
     *
     * @param c the connector
     * @param member the member id
     */
    public static void join(Object c, String member) {
        connector(c).join(member);
    }

    /**
     * Leaves as this process's member id.
     *
     * @param c the connector
     * @return false when it was not a member
     */
    public static boolean leave(Object c) {
        return connector(c).leave();
    }

    /**
     * Leaves as {@code member}.
     *
     * @param c the connector
     * @param member the member id
     * @return false when this connector was not that member
     */
    public static boolean leave(Object c, String member) {
        GroupConnector.requireArg(member, "member id");
        return connector(c).leave(member);
    }

    /**
     * Adds a sub-group to every member this connector joined.
     *
     * @param c the connector
     * @param subGroup the sub-group
     */
    public static void addSubGroup(Object c, String subGroup) {
        connector(c).addSubGroup(subGroup);
    }

    /**
     * Removes a sub-group from every member this connector joined.
     *
     * @param c the connector
     * @param subGroup the sub-group
     */
    public static void removeSubGroup(Object c, String subGroup) {
        connector(c).removeSubGroup(subGroup);
    }

    // ---------------------------------------------------------------- locks

    /**
     * Takes the exclusive lock {@code key} without waiting (not re-entrant).
     *
     * @param c the connector
     * @param key the lock name
     * @return true when taken
     */
    public static boolean lock(Object c, String key) {
        return connector(c).acquireOnce(null, key, false);
    }

    /**
     * Takes the exclusive lock {@code key} for {@code member}.
     *
     * @param c the connector
     * @param member the member id
     * @param key the lock name
     * @return true when taken
     */
    public static boolean lock(Object c, String member, String key) {
        GroupConnector.requireArg(member, "member id");
        return connector(c).acquireOnce(member, key, false);
    }

    /**
     * Takes {@code key} re-entrantly (each call adds a hold; release removes one).
     *
     * @param c the connector
     * @param key the lock name
     * @return true when taken (or taken again)
     */
    public static boolean reentrant_lock(Object c, String key) {
        return connector(c).acquireOnce(null, key, true);
    }

    /**
     * Takes {@code key} re-entrantly for {@code member}.
     *
     * @param c the connector
     * @param member the member id
     * @param key the lock name
     * @return true when taken (or taken again)
     */
    public static boolean reentrant_lock(Object c, String member, String key) {
        GroupConnector.requireArg(member, "member id");
        return connector(c).acquireOnce(member, key, true);
    }

    /**
     * Releases one hold of {@code key}.
     *
     * @param c the connector
     * @param key the lock name
     * @return false when this member does not hold it
     */
    public static boolean release(Object c, String key) {
        return connector(c).release(key);
    }

    /**
     * Releases one hold of {@code key} taken for {@code member}.
     *
     * @param c the connector
     * @param member the member id
     * @param key the lock name
     * @return false when that member does not hold it
     */
    public static boolean release(Object c, String member, String key) {
        GroupConnector.requireArg(member, "member id");
        return connector(c).releaseAs(member, key);
    }

    // ---------------------------------------------------------------- data

    /**
     * Sets an ephemeral key (deleted when this connector's session ends). The name keeps the
     * seed's spelling.
     *
     * @param c the connector
     * @param key the key
     * @param val the value (JSON-able)
     */
    public static void empheral_set(Object c, String key, Object val) {
        connector(c).ephemeralSet(key, val);
    }

    /**
     * The value of an ephemeral key.
     *
     * @param c the connector
     * @param key the key
     * @return the value, or null
     */
    public static Object empheral_get(Object c, String key) {
        return connector(c).ephemeralGet(key);
    }

    /**
     * Deletes this connector's ephemeral key.
     *
     * @param c the connector
     * @param key the key
     * @return false when it did not exist
     */
    public static boolean empheral_del(Object c, String key) {
        return connector(c).ephemeralDelete(key);
    }

    /**
     * Sets a persistent key.
     *
     * @param c the connector
     * @param key the key
     * @param val the value (JSON-able)
     */
    public static void persistent_set(Object c, String key, Object val) {
        connector(c).persistentSet(key, val);
    }

    /**
     * Sets many persistent keys atomically.
     *
     * @param c the connector
     * @param entries key to value
     */
    public static void persistent_set_many(Object c, Map<String, ?> entries) {
        connector(c).persistentSetMany(entries);
    }

    /**
     * The value of a persistent key.
     *
     * @param c the connector
     * @param key the key
     * @return the value, or null
     */
    public static Object persistent_get(Object c, String key) {
        return connector(c).persistentGet(key);
    }

    /**
     * Deletes a persistent key.
     *
     * @param c the connector
     * @param key the key
     * @return false when it did not exist
     */
    public static boolean persistent_del(Object c, String key) {
        return connector(c).persistentDelete(key);
    }

    // ---------------------------------------------------------------- events

    /**
     * Registers a queue that receives every membership event (like the seed's core.async
     * channel, but unbounded: nothing is dropped). Each event is a map with
     * {@code "joined_members"}, {@code "left_members"}, {@code "updated_members"} (lists of
     * member maps as in {@link #getMembers}), {@code "reason"} ("left", "expired", "resync"
     * or null), {@code "view"} and {@code "position"}.
     *
     * @param c the connector
     * @return the queue; pass it to {@link #unregister_event_ch} to stop
     */
    public static BlockingQueue<Map<String, Object>> register_member_event_ch(Object c) {
        GroupConnector connector = connector(c);
        BlockingQueue<Map<String, Object>> queue = new LinkedBlockingQueue<>();
        Subscription<?> subscription = connector.addMemberListener(event -> queue.add(eventMap(connector, event)));
        synchronized (QUEUES) {
            QUEUES.put(queue, subscription);
        }
        return queue;
    }

    /**
     * Stops the events of a queue from {@link #register_member_event_ch}.
     *
     * @param c the connector
     * @param queue the queue
     * @return false when the queue was not registered (or already unregistered)
     */
    public static boolean unregister_event_ch(Object c, BlockingQueue<?> queue) {
        connector(c);
        GroupConnector.requireArg(queue, "queue");
        Subscription<?> subscription;
        synchronized (QUEUES) {
            subscription = QUEUES.remove(queue);
        }
        if (subscription == null) {
            return false;
        }
        subscription.close();
        return true;
    }

    private static Map<String, Object> eventMap(GroupConnector connector, MembershipEvent event) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("joined_members", memberMaps(connector, event.joinedMembers()));
        map.put("left_members", memberMaps(connector, event.leftMembers()));
        map.put("updated_members", memberMaps(connector, event.updatedMembers()));
        map.put("reason", event.reason() == null ? null : event.reason().name().toLowerCase(java.util.Locale.ROOT));
        map.put("view", event.view());
        map.put("position", event.position());
        return map;
    }

    private static List<Map<String, Object>> memberMaps(GroupConnector connector, List<Member> members) {
        List<Map<String, Object>> out = new ArrayList<>(members.size());
        for (Member member : members) {
            out.add(memberMap(connector, member));
        }
        return out;
    }
}
