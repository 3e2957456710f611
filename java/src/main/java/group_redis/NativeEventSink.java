package group_redis;

import java.lang.System.Logger.Level;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Receives events from a native dispatcher thread. The native side calls
 * {@link #deliver(String)} with JSON text; whatever the listener throws is logged here and
 * never reaches the dispatcher, so delivery goes on with the next event. {@link #ended()}
 * marks that no event will follow, so a connector's close can wait for the last one (CLOSED).
 */
abstract class NativeEventSink {
    private static final System.Logger LOG = System.getLogger("group_redis");

    private final CountDownLatch ended = new CountDownLatch(1);
    /**
     * The thread inside {@link #deliver} now, if any. A dispatcher attaches to the JVM per
     * event, so its Java thread object differs from one event to the next: only "this
     * thread is delivering right now" can be asked.
     */
    private volatile Thread delivering;

    /** Called by native code, one event at a time, on the subscription's dispatcher thread. */
    final void deliver(String json) {
        delivering = Thread.currentThread();
        try {
            handle(json);
        } catch (Throwable listenerFailure) {
            LOG.log(Level.WARNING, "group-redis: a listener threw; delivery goes on", listenerFailure);
        } finally {
            delivering = null;
        }
    }

    /** Called once after the last event (by native code, or by a sink that saw the last one). */
    final void ended() {
        ended.countDown();
        try {
            afterEnd();
        } catch (Throwable failure) {
            LOG.log(Level.WARNING, "group-redis: a subscription's end handler threw", failure);
        }
    }

    /** What a sink does once no event will follow (nothing by default). */
    void afterEnd() {
    }

    /** Whether the calling thread is inside this sink's listener (closing from a callback). */
    final boolean isDeliveringHere() {
        return delivering == Thread.currentThread();
    }

    /**
     * Waits until {@link #ended()}, up to {@code seconds}.
     *
     * @return false when the time ran out
     */
    final boolean awaitEnded(long seconds) {
        try {
            return ended.await(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Decodes the event and hands it to the listener. */
    abstract void handle(String json) throws Exception;
}
