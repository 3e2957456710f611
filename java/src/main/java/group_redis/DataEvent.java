package group_redis;

import java.util.Locale;
import java.util.Map;

/**
 * One change of a watched data key ({@link GroupConnector#watch(String)},
 * {@link GroupConnector#watchEphemeral(String)}), in the order the changes happened. A delete
 * followed by a re-create is two events, never collapsed into one. Immutable.
 *
 * <p>Applying every event of a subscription to its {@link DataSnapshot} in order (a put sets
 * the path's value and version, a delete or expiry removes it) gives the data as it is. That
 * holds for resync events too ({@link #resync()}): after history was lost they bring the
 * subscriber from what it knew to a fresh snapshot, one event per path that differs.
 */
public final class DataEvent {
    /** What happened to the key. */
    public enum Kind {
        /** The key was created or replaced: {@link DataEvent#value()} is its new value. */
        PUT,
        /** The key was deleted (explicitly, or by its owner's close for an ephemeral key). */
        DELETE,
        /** An ephemeral key went with its session, whose lease ran out. */
        EXPIRED
    }

    private final String path;
    private final Kind kind;
    private final Object value;
    private final long version;
    private final long revision;
    private final boolean resync;

    private DataEvent(String path, Kind kind, Object value, long version, long revision, boolean resync) {
        this.path = path;
        this.kind = kind;
        this.value = value;
        this.version = version;
        this.revision = revision;
        this.resync = resync;
    }

    /** Parses the event's JSON: {@code {"path","kind","value","version","revision","resync"}}. */
    static DataEvent fromJson(String text) {
        Map<String, Object> map = Json.asMap(Json.decode(text));
        String kind = (String) map.get("kind");
        return new DataEvent((String) map.get("path"), Kind.valueOf(kind.toUpperCase(Locale.ROOT)),
                map.get("value"), Json.asLong(map.get("version")), Json.asLong(map.get("revision")),
                Boolean.TRUE.equals(map.get("resync")));
    }

    /**
     * The key's path (for ephemeral data, the key).
     *
     * @return the path
     */
    public String path() {
        return path;
    }

    /**
     * What happened.
     *
     * @return PUT, DELETE or EXPIRED
     */
    public Kind kind() {
        return kind;
    }

    /**
     * The new value of a PUT (decoded JSON, as {@link GroupConnector#persistentGet} returns
     * it); null for DELETE and EXPIRED.
     *
     * @return the value, or null
     */
    public Object value() {
        return value;
    }

    /**
     * The key's version after a PUT, or the version it had when it was deleted or expired.
     *
     * @return the version (from 1)
     */
    public long version() {
        return version;
    }

    /**
     * The group's data revision of this change: one counter for persistent and ephemeral
     * data that only grows (across a Redis restart without data too). Pass the last one seen
     * to {@link GroupConnector#watch(String, long)} to resume after it.
     *
     * @return the revision
     */
    public long revision() {
        return revision;
    }

    /**
     * Whether this event is part of a resync: history was lost (trimmed, or Redis lost its
     * data), so instead of the changes themselves the subscriber gets one event per path
     * that differs from a fresh snapshot, all with that snapshot's revision.
     *
     * @return true for a resync event
     */
    public boolean resync() {
        return resync;
    }

    @Override
    public String toString() {
        return "DataEvent{" + kind + " " + path + (kind == Kind.PUT ? "=" + value : "") + ", version=" + version
                + ", revision=" + revision + (resync ? ", resync" : "") + "}";
    }
}
