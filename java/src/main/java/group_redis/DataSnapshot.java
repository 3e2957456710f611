package group_redis;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The watched keys when a data subscription started, with the group's data revision then:
 * the subscription's events are the changes after that revision. Immutable.
 */
public final class DataSnapshot {
    private final long revision;
    private final List<Entry> entries;

    private DataSnapshot(long revision, List<Entry> entries) {
        this.revision = revision;
        this.entries = entries;
    }

    /** Parses {@code {"revision":N,"entries":[{"path","value","version"},...]}}. */
    static DataSnapshot fromJson(String text) {
        Map<String, Object> map = Json.asMap(Json.decode(text));
        List<Entry> entries = new ArrayList<>();
        for (Object item : Json.asList(map.get("entries"))) {
            Map<String, Object> entry = Json.asMap(item);
            entries.add(new Entry((String) entry.get("path"), entry.get("value"), Json.asLong(entry.get("version"))));
        }
        return new DataSnapshot(Json.asLong(map.get("revision")), Collections.unmodifiableList(entries));
    }

    /**
     * The group's data revision the snapshot was read at.
     *
     * @return the revision (0 when no data was ever written)
     */
    public long revision() {
        return revision;
    }

    /**
     * The matching keys with their values and versions, sorted by path.
     *
     * @return an unmodifiable list, possibly empty
     */
    public List<Entry> entries() {
        return entries;
    }

    @Override
    public String toString() {
        return "DataSnapshot{revision=" + revision + ", entries=" + entries + "}";
    }
}
