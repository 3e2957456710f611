package group_redis;

/** What the connector knows about its session's lease (Curator-style connection states). */
public enum ConnectionState {
    /** The session is alive and its lease was renewed on time. */
    CONNECTED,
    /** A heartbeat failed: Redis is unreachable or slow. Locks may be at risk. */
    SUSPENDED,
    /** The lease ran out on the local clock: treat every lock as gone. */
    LOST,
    /**
     * Contact is back after SUSPENDED or LOST (an event; as a query this reads CONNECTED).
     * After LOST it is a new session: members and ephemeral data were re-registered, locks
     * were not re-taken.
     */
    RECONNECTED,
    /** The connector was closed. */
    CLOSED
}
