package group_redis;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Subscription} as a {@link Flow.Publisher} ({@link Subscription#asPublisher()}), so
 * Reactor ({@code JdkFlowAdapter.flowPublisherToFlux}) or RxJava
 * ({@code FlowAdapters.toPublisher}) adapt it in one line. One subscriber: the events go to one
 * consumer. Events come from Redis whatever the demand, so those not yet requested wait in an
 * unbounded buffer; cancelling closes the subscription; its end (the connector closed) is
 * {@code onComplete}.
 */
final class SubscriptionPublisher<E> implements Flow.Publisher<E> {
    private final NativeSubscription<E, ?> source;
    private final AtomicBoolean subscribed = new AtomicBoolean();

    SubscriptionPublisher(NativeSubscription<E, ?> source) {
        this.source = source;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super E> subscriber) {
        GroupConnector.requireArg(subscriber, "subscriber");
        if (!subscribed.compareAndSet(false, true)) {
            subscriber.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            });
            subscriber.onError(new IllegalStateException("a subscription's publisher takes one subscriber"));
            return;
        }
        Relay<E> relay = new Relay<>(subscriber, source);
        subscriber.onSubscribe(relay);
        try {
            source.listen(relay::offer, relay::end);
        } catch (RuntimeException e) {
            relay.refuse(e); // e.g. it has a listener already: that one keeps it
        }
    }

    /** Hands buffered events to the subscriber as it requests them, one signal at a time. */
    private static final class Relay<E> implements Flow.Subscription {
        private final Flow.Subscriber<? super E> subscriber;
        private final NativeSubscription<E, ?> source;
        private final Queue<E> buffer = new ConcurrentLinkedQueue<>();
        private final AtomicLong demand = new AtomicLong();
        /** Drain requests; whoever raises it from 0 drains, so signals never overlap. */
        private final AtomicInteger work = new AtomicInteger();
        private volatile boolean ended;
        private volatile Throwable failure;
        private volatile boolean cancelled;
        /** Whether this relay listens to the source (so an error or cancel closes it). */
        private volatile boolean ownsSource = true;
        private boolean terminated;

        Relay(Flow.Subscriber<? super E> subscriber, NativeSubscription<E, ?> source) {
            this.subscriber = subscriber;
            this.source = source;
        }

        void offer(E event) {
            buffer.add(event);
            drain();
        }

        void end() {
            ended = true;
            drain();
        }

        void fail(Throwable e) {
            failure = e;
            drain();
        }

        /** Fails without closing the source: it was never this relay's. */
        void refuse(Throwable e) {
            ownsSource = false;
            fail(e);
        }

        @Override
        public void request(long n) {
            if (n <= 0) {
                fail(new IllegalArgumentException("request(" + n + "): must be positive (Reactive Streams 3.9)"));
                return;
            }
            demand.getAndAccumulate(n, (current, more) -> current + more < 0 ? Long.MAX_VALUE : current + more);
            drain();
        }

        @Override
        public void cancel() {
            cancelled = true;
            if (ownsSource) {
                source.close();
            }
        }

        private void drain() {
            if (work.getAndIncrement() != 0) {
                return;
            }
            do {
                try {
                    relay();
                } catch (RuntimeException | Error subscriberFailure) {
                    // A subscriber must not throw (Reactive Streams 2.13): stop it.
                    terminated = true;
                    if (ownsSource) {
                        source.close();
                    }
                    throw subscriberFailure;
                }
            } while (work.decrementAndGet() != 0);
        }

        /** Signals what the demand allows, the end once the buffer is empty. */
        private void relay() {
            while (!cancelled && !terminated) {
                if (failure != null) {
                    terminated = true;
                    if (ownsSource) {
                        source.close(); // an error ends the subscription too (Reactive Streams 1.4)
                    }
                    subscriber.onError(failure);
                } else if (buffer.isEmpty()) {
                    if (ended) {
                        terminated = true;
                        subscriber.onComplete();
                    }
                    return;
                } else if (demand.get() > 0) {
                    demand.decrementAndGet();
                    subscriber.onNext(buffer.poll());
                } else {
                    return;
                }
            }
        }
    }
}
