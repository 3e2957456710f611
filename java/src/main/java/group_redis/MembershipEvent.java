package group_redis;

import java.util.List;
import java.util.Map;

/**
 * One change of the group's membership, in the seed's shape (joined and left members) plus
 * updates, the leave reason and the position in the group's history. Immutable.
 */
public final class MembershipEvent {
    private final List<Member> joinedMembers;
    private final List<Member> leftMembers;
    private final List<Member> updatedMembers;
    private final LeaveReason reason;
    private final long view;
    private final String position;

    private MembershipEvent(List<Member> joined, List<Member> left, List<Member> updated, LeaveReason reason,
            long view, String position) {
        this.joinedMembers = joined;
        this.leftMembers = left;
        this.updatedMembers = updated;
        this.reason = reason;
        this.view = view;
        this.position = position;
    }

    static MembershipEvent fromJson(String text) {
        Map<String, Object> map = Json.asMap(Json.decode(text));
        Object reason = map.get("reason");
        return new MembershipEvent(Member.listFromJson(map.get("joined_members")),
                Member.listFromJson(map.get("left_members")), Member.listFromJson(map.get("updated_members")),
                reason == null ? null : LeaveReason.valueOf(((String) reason).toUpperCase(java.util.Locale.ROOT)),
                Json.asLong(map.get("view")), (String) map.get("position"));
    }

    /**
     * Members that joined.
     *
     * @return an unmodifiable list, possibly empty
     */
    public List<Member> joinedMembers() {
        return joinedMembers;
    }

    /**
     * Members that left, with their last known record.
     *
     * @return an unmodifiable list, possibly empty
     */
    public List<Member> leftMembers() {
        return leftMembers;
    }

    /**
     * Members whose sub-groups or payload changed.
     *
     * @return an unmodifiable list, possibly empty
     */
    public List<Member> updatedMembers() {
        return updatedMembers;
    }

    /**
     * Why {@link #leftMembers()} left.
     *
     * @return the reason, or null when nobody left
     */
    public LeaveReason reason() {
        return reason;
    }

    /**
     * The group's view counter after this change (grows by one per change).
     *
     * @return the view
     */
    public long view() {
        return view;
    }

    /**
     * Position of the change in the group's event stream ({@code <ms>-<seq>}), empty for a
     * resync.
     *
     * @return the position
     */
    public String position() {
        return position;
    }

    @Override
    public String toString() {
        return "MembershipEvent{joined=" + joinedMembers + ", left=" + leftMembers + ", updated=" + updatedMembers
                + ", reason=" + reason + ", view=" + view + ", position=" + position + "}";
    }
}
