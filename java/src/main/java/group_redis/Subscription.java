package group_redis;

import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.Flow;

/**
 * A stream of events of one kind, starting from a snapshot: membership
 * ({@link MemberSubscription}), connection states ({@link StateSubscription}), data changes
 * ({@link DataWatch}). The events are the changes after {@link #snapshot()}, in order, each
 * once, across reconnects; when history was lost the subscription resyncs with events that
 * bring the subscriber to a fresh snapshot (see each event type).
 *
 * <p>Two ways to receive them, one per subscription:
 * <ul>
 *   <li>pull: {@link #poll(Duration)}, {@link #take()} or a for-each loop (the iterator ends
 *       when the subscription does), from any threads (each event goes to one caller);</li>
 *   <li>push: {@link #listen(EventListener)}: from then on every event goes to the listener
 *       on a dispatcher thread of the library (a throwing listener is logged and delivery goes
 *       on). Events that arrived before {@code listen} are delivered to it first. A listening
 *       subscription lives until it is closed or its connector closes, whether or not the
 *       caller keeps a reference to it.</li>
 * </ul>
 * <p>A subscription ends when it is closed or its connector closes (a state subscription's
 * last event is then CLOSED). A pulled subscription that nothing refers to any more is closed
 * by a {@link java.lang.ref.Cleaner}, but close it explicitly (try-with-resources).
 *
 * <pre>{@code
 * try (DataWatch watch = connector.watch("config/")) {
 *     Map<String, Object> config = new HashMap<>();
 *     watch.snapshot().entries().forEach(e -> config.put(e.path(), e.value()));
 *     for (DataEvent event : watch) {
 *         if (event.kind() == DataEvent.Kind.PUT) config.put(event.path(), event.value());
 *         else config.remove(event.path());
 *     }
 * }
 * }</pre>
 *
 * @param <E> the event type
 */
public interface Subscription<E> extends AutoCloseable, Iterable<E> {
    /**
     * What the events follow on from; each kind narrows the type: the members
     * ({@link MemberSubscription}), the state ({@link StateSubscription}), the keys with the
     * data revision ({@link DataWatch}).
     *
     * @return the snapshot taken when the subscription started
     */
    Object snapshot();

    /**
     * The next event, waiting up to {@code timeout} for it.
     *
     * @param timeout how long to wait at most (zero: only an event already there)
     * @return the event, or null when the time ran out
     * @throws ConnectorClosedException once the subscription ended (closed, or its connector
     *     closed) and every event before the end was taken
     * @throws InvalidArgumentException after {@link #listen}: events go to the listener
     * @throws InterruptedException when the thread is interrupted while it waits
     */
    E poll(Duration timeout) throws InterruptedException;

    /**
     * The next event, waiting as long as it takes.
     *
     * @return the event
     * @throws ConnectorClosedException once the subscription ended and every event before
     *     the end was taken
     * @throws InvalidArgumentException after {@link #listen}: events go to the listener
     * @throws InterruptedException when the thread is interrupted while it waits
     */
    E take() throws InterruptedException;

    /**
     * The events as a blocking iterator: {@code hasNext()} waits for the next event and
     * returns false once the subscription ended (or the thread was interrupted: the
     * interrupt flag is then set again).
     *
     * @return an iterator over the events to come
     */
    @Override
    Iterator<E> iterator();

    /**
     * Switches to the push form: from now on every event goes to {@code listener} on a
     * dispatcher thread of the library, those already waiting first. Once per subscription;
     * afterwards the pull methods throw {@link InvalidArgumentException}.
     *
     * @param listener the listener
     * @throws InvalidArgumentException when the subscription already has a listener
     * @throws ConnectorClosedException when the subscription is closed
     */
    void listen(EventListener<? super E> listener);

    /**
     * The push form as a {@link Flow.Publisher} for one subscriber, so reactive libraries
     * adapt it in one line: {@code JdkFlowAdapter.flowPublisherToFlux(watch.asPublisher())}
     * (Reactor), {@code FlowAdapters.toPublisher(watch.asPublisher())} (RxJava 3 through
     * org.reactivestreams). Subscribing calls {@link #listen} (so it fails the same way on a
     * subscription that already has a listener, through {@code onError}); events beyond the
     * subscriber's demand wait in an unbounded buffer (Redis does not wait for them);
     * cancelling closes this subscription; its end (the connector closed) is
     * {@code onComplete}.
     *
     * @return a publisher taking one subscriber
     */
    Flow.Publisher<E> asPublisher();

    /**
     * Stops the subscription. With a listener: returns once a callback that is running has
     * finished, except when called from inside that callback. A thread waiting in
     * {@link #poll} or {@link #take} gets {@link ConnectorClosedException}. Idempotent and
     * thread-safe.
     */
    @Override
    void close();

    /**
     * Whether the subscription is still open.
     *
     * @return false after {@link #close()} (or the connector's close)
     */
    boolean isOpen();
}
