package group_redis;

import java.util.function.LongUnaryOperator;

/**
 * Who leads a name and every change ({@link GroupConnector#observeLeader}), "no leader"
 * included: the snapshot is who led when it subscribed.
 */
public final class LeaderWatch extends NativeSubscription<LeaderView, LeaderView> {
    LeaderWatch(NativeHandle connector, LongUnaryOperator opener) {
        super(connector, opener, LeaderView::fromJson, LeaderView::fromJson);
    }

    /**
     * What the events follow on from.
     *
     * @return who led when it subscribed
     */
    @Override
    public LeaderView snapshot() {
        return super.snapshot();
    }
}
