package group_redis;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * How to connect and who to be. Immutable; build with {@link #builder(String)}:
 *
 * <pre>{@code
 * GroupConfig config = GroupConfig.builder("redis://127.0.0.1:6379")
 *         .group("workers")
 *         .sessionTimeout(Duration.ofSeconds(10))
 *         .payload(Map.of("port", 8080))
 *         .build();
 * }</pre>
 *
 * Options left unset take the core's defaults: group {@code default-group}, member id
 * {@code <hostname>-<pid>}, session timeout 10 s, heartbeat a third of it, sub-group
 * {@code default}, no payload, command timeout 5 s.
 */
public final class GroupConfig {
    private final String url;
    private final String group;
    private final String memberId;
    private final Duration sessionTimeout;
    private final Duration heartbeat;
    private final List<String> subGroups;
    private final Object payload;
    private final Duration commandTimeout;
    private final Executor asyncExecutor;
    private final String tlsRootCertPem;
    private final Path tlsRootCertFile;
    private final Duration maxLease;
    private final int waitReplicas;
    private final Duration waitReplicasTimeout;

    private GroupConfig(Builder builder) {
        this.url = builder.url;
        this.group = builder.group;
        this.memberId = builder.memberId;
        this.sessionTimeout = builder.sessionTimeout;
        this.heartbeat = builder.heartbeat;
        this.subGroups = builder.subGroups == null ? null : Collections.unmodifiableList(new ArrayList<>(builder.subGroups));
        this.payload = builder.payload;
        this.commandTimeout = builder.commandTimeout;
        this.asyncExecutor = builder.asyncExecutor;
        this.tlsRootCertPem = builder.tlsRootCertPem;
        this.tlsRootCertFile = builder.tlsRootCertFile;
        this.maxLease = builder.maxLease;
        this.waitReplicas = builder.waitReplicas;
        this.waitReplicasTimeout = builder.waitReplicasTimeout;
    }

    /**
     * Starts a configuration for {@code url}: {@code redis://[user:password@]host[:port][/db]}, or
     * {@code rediss://} for TLS; {@code redis+sentinel://[user:password@]host:port[,host:port...]/service[/db]}
     * (and {@code rediss+sentinel://}, {@code ?sentinel_password=}) for a Sentinel-monitored master.
     *
     * @param url the Redis URL
     * @return a builder
     */
    public static Builder builder(String url) {
        return new Builder(url);
    }

    /**
     * The Redis URL (may contain a password: do not log it).
     *
     * @return the URL
     */
    public String url() {
        return url;
    }

    /**
     * The group, or null for the default.
     *
     * @return the group name
     */
    public String group() {
        return group;
    }

    /**
     * The default member id, or null for {@code <hostname>-<pid>}.
     *
     * @return the member id
     */
    public String memberId() {
        return memberId;
    }

    /**
     * The executor the {@code *Async} calls run on, or null for the connector's own pool.
     *
     * @return the executor, or null
     */
    public Executor asyncExecutor() {
        return asyncExecutor;
    }

    /** The options as the JSON document the native layer reads. */
    String toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("url", url);
        json.put("group", group);
        json.put("memberId", memberId);
        json.put("sessionTimeoutMs", millis(sessionTimeout));
        json.put("heartbeatMs", millis(heartbeat));
        json.put("commandTimeoutMs", millis(commandTimeout));
        json.put("subGroups", subGroups);
        json.put("maxLeaseMs", millis(maxLease));
        if (waitReplicas > 0) {
            json.put("waitReplicas", (long) waitReplicas);
            json.put("waitReplicasTimeoutMs", millis(waitReplicasTimeout));
        }
        json.put("tlsRootCertPem", tlsRootCertPem != null ? tlsRootCertPem : readPem(tlsRootCertFile));
        if (payload != null) {
            Json.check(payload); // the payload against the depth limit, not the options document
            json.put("payload", payload);
        }
        return Json.encodeDocument(json);
    }

    /** The file's text, read at connect so a missing or unreadable file is a clear error then. */
    private static String readPem(Path file) {
        if (file == null) {
            return null;
        }
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            throw new InvalidArgumentException("cannot read the TLS root certificate file " + file + ": " + e);
        }
    }

    private static Long millis(Duration duration) {
        return duration == null ? null : duration.toMillis();
    }

    @Override
    public String toString() {
        return "GroupConfig{group=" + group + ", memberId=" + memberId + ", sessionTimeout=" + sessionTimeout
                + ", heartbeat=" + heartbeat + ", subGroups=" + subGroups
                + (tlsRootCertPem != null || tlsRootCertFile != null ? ", tlsRootCert=set" : "") + "}";
    }

    /** Builder of {@link GroupConfig}. Every option is checked when the connector connects. */
    public static final class Builder {
        private final String url;
        private String group;
        private String memberId;
        private Duration sessionTimeout;
        private Duration heartbeat;
        private List<String> subGroups;
        private Object payload;
        private Duration commandTimeout;
        private Executor asyncExecutor;
        private String tlsRootCertPem;
        private Path tlsRootCertFile;
        private Duration maxLease;
        private int waitReplicas;
        private Duration waitReplicasTimeout;

        private Builder(String url) {
            if (url == null) {
                throw new InvalidArgumentException("the Redis URL must not be null");
            }
            this.url = url;
        }

        /**
         * The group to coordinate in (no '{' or '}').
         *
         * @param group the group name
         * @return this builder
         */
        public Builder group(String group) {
            this.group = group;
            return this;
        }

        /**
         * The member id {@link GroupConnector#join()} uses.
         *
         * @param memberId the member id
         * @return this builder
         */
        public Builder memberId(String memberId) {
            this.memberId = memberId;
            return this;
        }

        /**
         * The session lease: a crashed or frozen process is gone this long after its last
         * heartbeat (100 ms to 24 h).
         *
         * @param sessionTimeout the lease
         * @return this builder
         */
        public Builder sessionTimeout(Duration sessionTimeout) {
            this.sessionTimeout = sessionTimeout;
            return this;
        }

        /**
         * The longest session timeout any member of the group uses (default: this
         * connector's own; at most 24 h). After Redis restarted without the group's data, a
         * connector that never saw the group waits this long from the server's start before
         * its first lock grant, so a holder from before the restart cannot overlap it. Set it
         * when members use different session timeouts.
         *
         * @param maxLease the longest lease in the group
         * @return this builder
         */
        public Builder maxLease(Duration maxLease) {
            this.maxLease = maxLease;
            return this;
        }

        /**
         * Reports a lock grant acquired only once {@code replicas} replicas of the Redis
         * master acknowledged it (Redis {@code WAIT}), waiting up to {@code timeout} (below
         * the command timeout; null: 1 s). 0 (the default) turns it off. A grant not
         * acknowledged in time is given back and the lock call throws
         * {@link RedisTimeoutException}: the lock is then not held (docs/SAFETY.md).
         *
         * @param replicas how many replicas must have each grant
         * @param timeout how long to wait for them, or null for 1 s
         * @return this builder
         */
        public Builder waitReplicas(int replicas, Duration timeout) {
            if (replicas < 0) {
                throw new InvalidArgumentException("waitReplicas must not be negative");
            }
            this.waitReplicas = replicas;
            this.waitReplicasTimeout = timeout;
            return this;
        }

        /**
         * How often the lease is renewed (below the session timeout).
         *
         * @param heartbeat the period
         * @return this builder
         */
        public Builder heartbeat(Duration heartbeat) {
            this.heartbeat = heartbeat;
            return this;
        }

        /**
         * The sub-groups members join with.
         *
         * @param subGroups the sub-groups
         * @return this builder
         */
        public Builder subGroups(List<String> subGroups) {
            this.subGroups = subGroups;
            return this;
        }

        /**
         * The payload members join with (small JSON-able value: Map, List, String, number...).
         *
         * @param payload the payload
         * @return this builder
         */
        public Builder payload(Object payload) {
            this.payload = payload;
            return this;
        }

        /**
         * How long one Redis command may take before it fails with
         * {@link RedisTimeoutException}.
         *
         * @param commandTimeout the timeout
         * @return this builder
         */
        public Builder commandTimeout(Duration commandTimeout) {
            this.commandTimeout = commandTimeout;
            return this;
        }

        /**
         * Where the connector's {@code *Async} calls ({@link GroupConnector#tryLockAsync}, ...)
         * run their blocking work. Unset (or null): a pool owned by the connector, daemon
         * threads named {@code group-redis-async-N}, one per call in flight, idle ones ending
         * after 30 s, shut down by {@link GroupConnector#close()}. A given executor is not shut
         * down by the connector. A call waiting for a lock occupies its thread while it waits,
         * so an executor with few threads can make other calls queue behind such waits.
         *
         * @param executor the executor, or null for the connector's own pool
         * @return this builder
         */
        public Builder asyncExecutor(Executor executor) {
            this.asyncExecutor = executor;
            return this;
        }

        /**
         * For {@code rediss://} and {@code rediss+sentinel://} URLs (the Sentinels and the
         * master alike): trust this CA certificate instead of the system's roots,
         * for a server whose certificate comes from a private CA. The same option as the core's
         * {@code Config::with_tls_root_cert}, C's {@code gr_options_set_tls_root_cert} and
         * Python's {@code tls_root_cert}. Text that is not a usable certificate makes
         * {@link GroupConnector#connect} fail with a {@link GroupRedisException}. Replaces an
         * earlier {@link #tlsRootCertFile}.
         *
         * @param pem the certificate, PEM text (the contents of e.g. ca.pem)
         * @return this builder
         */
        public Builder tlsRootCert(String pem) {
            this.tlsRootCertPem = pem;
            this.tlsRootCertFile = null;
            return this;
        }

        /**
         * {@link #tlsRootCert(String)} from a PEM file, read when the connector connects: a
         * missing or unreadable file makes {@link GroupConnector#connect} throw an
         * {@link InvalidArgumentException} naming the file. Replaces an earlier
         * {@link #tlsRootCert(String)}.
         *
         * @param pemFile the CA certificate file, e.g. {@code /etc/redis/ca.pem}
         * @return this builder
         */
        public Builder tlsRootCertFile(Path pemFile) {
            this.tlsRootCertFile = pemFile;
            this.tlsRootCertPem = null;
            return this;
        }

        /**
         * Builds the configuration.
         *
         * @return the configuration
         */
        public GroupConfig build() {
            return new GroupConfig(this);
        }
    }
}
