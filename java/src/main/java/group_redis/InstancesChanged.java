package group_redis;

import java.util.List;
import java.util.Map;

/**
 * A change of a {@link ServiceProvider}'s instances: who was added (joined, came back online,
 * entered the sub-group), removed (left, went offline, left the sub-group: their last record)
 * and updated (a changed record, e.g. its payload). Immutable.
 */
public final class InstancesChanged {
    private final List<Member> added;
    private final List<Member> removed;
    private final List<Member> updated;
    private final long view;

    private InstancesChanged(List<Member> added, List<Member> removed, List<Member> updated, long view) {
        this.added = added;
        this.removed = removed;
        this.updated = updated;
        this.view = view;
    }

    /** {@code {"added":[...],"removed":[...],"updated":[...],"view":N}}, as the native layer reports it. */
    static InstancesChanged fromJson(String json) {
        Map<String, Object> map = Json.asMap(Json.decode(json));
        return new InstancesChanged(Member.listFromJson(map.get("added")), Member.listFromJson(map.get("removed")),
                Member.listFromJson(map.get("updated")), Json.asLong(map.get("view")));
    }

    /**
     * Members that are instances now and were not before.
     *
     * @return an unmodifiable list
     */
    public List<Member> added() {
        return added;
    }

    /**
     * Members that are no longer instances (their last known record).
     *
     * @return an unmodifiable list
     */
    public List<Member> removed() {
        return removed;
    }

    /**
     * Instances whose record changed.
     *
     * @return an unmodifiable list
     */
    public List<Member> updated() {
        return updated;
    }

    /**
     * The group's membership view after the change.
     *
     * @return the view counter
     */
    public long view() {
        return view;
    }

    @Override
    public String toString() {
        return "InstancesChanged{added=" + added + ", removed=" + removed + ", updated=" + updated + "}";
    }
}
