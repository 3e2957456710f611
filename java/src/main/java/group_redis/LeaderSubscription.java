package group_redis;

import java.util.function.LongUnaryOperator;

/**
 * A leadership's states ({@link Leadership#subscribe()}): the snapshot is the state when it
 * subscribed; it ends after the final FOLLOWER once the leadership was resigned or closed,
 * or its connector closed.
 */
public final class LeaderSubscription extends NativeSubscription<LeaderEvent, LeaderEvent> {
    LeaderSubscription(NativeHandle connector, LongUnaryOperator opener) {
        super(connector, opener, LeaderEvent::fromJson, LeaderEvent::fromJson);
    }

    /**
     * What the events follow on from.
     *
     * @return the state when it subscribed
     */
    @Override
    public LeaderEvent snapshot() {
        return super.snapshot();
    }
}
