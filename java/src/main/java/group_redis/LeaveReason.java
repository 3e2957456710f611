package group_redis;

/** Why members left. */
public enum LeaveReason {
    /** It called leave, or its connector closed. */
    LEFT,
    /** Its session's lease ran out (crash, freeze, partition). */
    EXPIRED,
    /**
     * The subscriber lost track (trimmed history, or Redis lost its data) and found the
     * member gone when it compared a fresh snapshot with what it knew.
     */
    RESYNC
}
