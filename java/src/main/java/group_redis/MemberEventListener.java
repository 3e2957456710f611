package group_redis;

/**
 * Receives membership events, in order and each once, on the subscription's dispatcher
 * thread (one thread per subscription, never the caller's). What it throws is logged and
 * delivery goes on. The {@link EventListener} of membership events, under its own name.
 */
@FunctionalInterface
public interface MemberEventListener extends EventListener<MembershipEvent> {
    /**
     * Called for each change of the group's membership.
     *
     * @param event the change
     */
    void onMembershipEvent(MembershipEvent event);

    /**
     * Hands the event to {@link #onMembershipEvent}.
     *
     * @param event the change
     */
    @Override
    default void onEvent(MembershipEvent event) {
        onMembershipEvent(event);
    }
}
