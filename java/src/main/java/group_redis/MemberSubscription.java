package group_redis;

import java.util.List;

/**
 * A membership listener's subscription, with the members at the moment it started: events
 * delivered to the listener follow on from that snapshot.
 */
public final class MemberSubscription implements Subscription {
    private final Subscription delegate;
    private final List<Member> snapshot;

    MemberSubscription(Subscription delegate, List<Member> snapshot) {
        this.delegate = delegate;
        this.snapshot = snapshot;
    }

    /**
     * The members when the subscription started, sorted by id.
     *
     * @return an unmodifiable list
     */
    public List<Member> snapshot() {
        return snapshot;
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public boolean isOpen() {
        return delegate.isOpen();
    }
}
