package group_redis;

import java.lang.System.Logger.Level;
import java.lang.ref.Cleaner;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongUnaryOperator;

/**
 * Every kind of {@link Subscription} over the one native subscription handle: the kinds
 * differ only in how their events and snapshot are decoded from JSON. The public classes
 * ({@link MemberSubscription}, {@link StateSubscription}, {@link DataWatch}) name a kind and
 * give its snapshot a type.
 *
 * <p>Lifetime: the native subscription holds a use of its connector's native object (so the
 * connector is freed after its last subscription); a pulled subscription that becomes
 * unreachable is freed by a Cleaner, a listening one is kept by its connector until it is
 * closed or the connector closes.
 *
 * @param <E> the event type
 * @param <S> the snapshot type
 */
abstract class NativeSubscription<E, S> implements Subscription<E> {
    private static final System.Logger LOG = System.getLogger("group_redis");
    /**
     * The longest single native wait of {@link #poll}/{@link #take}: the native wait cannot
     * be interrupted, so a longer wait is several of these, and a close() or an interrupt
     * takes effect between them.
     */
    private static final long SLICE_MS = 200;
    /** How long a connector's close waits for a listener to receive its last event. */
    private static final long LAST_EVENT_WAIT_SECONDS = 30;

    private final OwnedNativeRef ref;
    private final NativeHandle connector;
    private final Function<String, E> events;
    private final S snapshot;
    private final Cleaner.Cleanable cleanable;
    private volatile Sink<E> sink;

    /**
     * Opens a subscription of {@code connector}.
     *
     * @param opener the native opener: connector handle to subscription handle
     * @param events decodes an event's JSON
     * @param snapshots decodes the snapshot's JSON
     */
    NativeSubscription(NativeHandle connector, LongUnaryOperator opener, Function<String, E> events,
            Function<String, S> snapshots) {
        this.connector = connector;
        this.events = events;
        this.ref = connector.call(h -> {
            long subscription = opener.applyAsLong(h);
            connector.retain(); // given back when the native subscription is freed
            return new OwnedNativeRef(
                    subscription, connector, NativeLib::subscriptionFree, "subscription ended");
        });
        try {
            this.snapshot = snapshots.apply(ref.call(NativeLib::subscriptionSnapshot));
        } catch (RuntimeException e) {
            ref.run();
            throw e;
        }
        this.cleanable = NativeRef.CLEANER.register(this, ref);
    }

    /**
     * What the events follow on from (its type depends on the kind).
     *
     * @return the snapshot taken when the subscription started
     */
    @Override
    public S snapshot() {
        return snapshot;
    }

    @Override
    public E poll(Duration timeout) throws InterruptedException {
        GroupConnector.requireArg(timeout, "timeout");
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException tooLong) {
            nanos = Long.MAX_VALUE;
        }
        return next(System.nanoTime(), Math.max(nanos, 0));
    }

    @Override
    public E take() throws InterruptedException {
        return next(System.nanoTime(), -1);
    }

    /** The next event within {@code nanos} of {@code start} (negative: no limit), or null. */
    private E next(long start, long nanos) throws InterruptedException {
        while (true) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            long leftMs = nanos < 0 ? SLICE_MS
                    : TimeUnit.NANOSECONDS.toMillis(Math.max(0, nanos - (System.nanoTime() - start)));
            long slice = Math.min(leftMs, SLICE_MS);
            String json;
            try {
                json = ref.call(h -> NativeLib.subscriptionNext(h, slice));
            } catch (ConnectorClosedException ended) {
                ref.run(); // ended and drained (or closed): nothing more will come, free it now
                throw ended;
            }
            if (json != null) {
                return events.apply(json);
            }
            if (nanos >= 0 && leftMs <= slice) {
                return null;
            }
        }
    }

    @Override
    public Iterator<E> iterator() {
        return new Iterator<>() {
            private E next;
            private boolean done;

            @Override
            public boolean hasNext() {
                if (next == null && !done) {
                    try {
                        next = take();
                    } catch (ConnectorClosedException ended) {
                        done = true;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        done = true;
                    }
                }
                return next != null;
            }

            @Override
            public E next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("the subscription ended");
                }
                E event = next;
                next = null;
                return event;
            }
        };
    }

    @Override
    public void listen(EventListener<? super E> listener) {
        listen(listener, null);
    }

    /** {@link #listen(EventListener)}, and {@code onEnd} once after the last event. */
    void listen(EventListener<? super E> listener, Runnable onEnd) {
        GroupConnector.requireArg(listener, "listener");
        Sink<E> newSink = new Sink<>(listener, events, onEnd);
        ref.run(h -> NativeLib.subscriptionListen(h, newSink));
        sink = newSink;
        connector.track(this);
    }

    @Override
    public Flow.Publisher<E> asPublisher() {
        return new SubscriptionPublisher<>(this);
    }

    @Override
    public void close() {
        connector.untrack(this);
        cleanable.clean();
    }

    @Override
    public boolean isOpen() {
        return !ref.isClosed() && !connector.isClosed();
    }

    /**
     * The connector closed, which ends every subscription natively: lets the listener receive
     * what was delivered up to the end (CLOSED last for states), unless this thread is that
     * listener's (it closed the connector from inside its callback), then frees the
     * subscription.
     */
    void connectorClosed() {
        Sink<E> current = sink;
        if (current != null && !ref.isClosed() && !current.isDeliveringHere()
                && !current.awaitEnded(LAST_EVENT_WAIT_SECONDS)) {
            LOG.log(Level.WARNING, "group-redis: a listener did not receive its last event within "
                    + LAST_EVENT_WAIT_SECONDS + " s of the connector's close; stopping it");
        }
        close();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "{" + (isOpen() ? "open" : "closed") + (sink != null ? ", listening" : "")
                + "}";
    }

    /**
     * Hands decoded events to a listener. Static, so it refers to the listener and the
     * decoder only: the native side holds it through a global reference.
     */
    private static final class Sink<E> extends NativeEventSink {
        private final EventListener<? super E> listener;
        private final Function<String, E> events;
        private final Runnable onEnd;

        Sink(EventListener<? super E> listener, Function<String, E> events, Runnable onEnd) {
            this.listener = listener;
            this.events = events;
            this.onEnd = onEnd;
        }

        @Override
        void handle(String json) {
            listener.onEvent(events.apply(json));
        }

        @Override
        void afterEnd() {
            if (onEnd != null) {
                onEnd.run();
            }
        }
    }
}
