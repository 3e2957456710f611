package group_redis;

import java.util.List;

/**
 * A subscription to the group's membership events ({@link GroupConnector#subscribeMembers()},
 * {@link GroupConnector#addMemberListener}), with the members at the moment it started:
 * the events follow on from that snapshot. See {@link Subscription} for the pull and push
 * forms; {@link MembershipEvent} for the resync rule.
 */
public final class MemberSubscription extends NativeSubscription<MembershipEvent, List<Member>> {
    MemberSubscription(NativeHandle connector) {
        super(connector, NativeLib::subscribeMembers, MembershipEvent::fromJson,
                json -> Member.listFromJson(Json.decode(json)));
    }

    /**
     * The members when the subscription started, sorted by id.
     *
     * @return an unmodifiable list
     */
    @Override
    public List<Member> snapshot() {
        return super.snapshot();
    }
}
