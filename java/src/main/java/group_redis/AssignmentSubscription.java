package group_redis;

import java.util.function.LongUnaryOperator;

/** A participant's share, each time it changes ({@link Assignment#subscribe()}). */
public final class AssignmentSubscription extends NativeSubscription<AssignmentEvent, AssignmentEvent> {
    AssignmentSubscription(NativeHandle connector, LongUnaryOperator opener) {
        super(connector, opener, AssignmentEvent::fromJson, AssignmentEvent::fromJson);
    }

    /**
     * What the events follow on from.
     *
     * @return the share when it subscribed
     */
    @Override
    public AssignmentEvent snapshot() {
        return super.snapshot();
    }
}
