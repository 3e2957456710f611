package group_redis;

/**
 * Receives the events of a {@link Subscription} in its push form
 * ({@link Subscription#listen}): in order, each once, on the subscription's dispatcher
 * thread (a library thread, never the caller's; one per subscription). What it throws is
 * logged and delivery goes on with the next event. It may close its own subscription, or
 * the connector, from inside the callback.
 *
 * @param <E> the event type
 */
@FunctionalInterface
public interface EventListener<E> {
    /**
     * Called for each event.
     *
     * @param event the event
     */
    void onEvent(E event);
}
