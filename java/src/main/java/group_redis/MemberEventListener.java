package group_redis;

/**
 * Receives membership events, in order and each once, on the subscription's dispatcher
 * thread (one thread per subscription, never the caller's). What it throws is logged and
 * delivery goes on.
 */
@FunctionalInterface
public interface MemberEventListener {
    /**
     * Called for each change of the group's membership.
     *
     * @param event the change
     */
    void onMembershipEvent(MembershipEvent event);
}
