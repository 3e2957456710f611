package group_redis;

import java.lang.System.Logger.Level;

/**
 * Receives events from a native dispatcher thread. The native side calls
 * {@link #deliver(String)} with JSON text; whatever the listener throws is logged here and
 * never reaches the dispatcher, so delivery goes on with the next event.
 */
abstract class NativeEventSink {
    private static final System.Logger LOG = System.getLogger("group_redis");

    /** Called by native code, one event at a time, on the subscription's dispatcher thread. */
    final void deliver(String json) {
        try {
            handle(json);
        } catch (Throwable listenerFailure) {
            LOG.log(Level.WARNING, "group-redis: a listener threw; delivery goes on", listenerFailure);
        }
    }

    /** Decodes the event and hands it to the listener. */
    abstract void handle(String json) throws Exception;
}
