package group_redis;

import java.util.function.LongUnaryOperator;

/**
 * A watch on the data under a prefix ({@link GroupConnector#watch(String)},
 * {@link GroupConnector#watchEphemeral(String)}, {@link GroupConnector#onDataEvent}): a
 * snapshot of the matching keys with their versions and the group's data revision, then one
 * {@link DataEvent} per change in the order the changes happened. See {@link Subscription}
 * for the pull and push forms.
 */
public final class DataWatch extends NativeSubscription<DataEvent, DataSnapshot> {
    DataWatch(NativeHandle connector, LongUnaryOperator opener) {
        super(connector, opener, DataEvent::fromJson, DataSnapshot::fromJson);
    }

    /**
     * The matching keys when the watch started, with the data revision they were read at.
     * When the watch resumes from a revision ({@link GroupConnector#watch(String, long)}) it
     * holds the current keys too, so a restarted watcher may also just reload; the events
     * are then the changes after the given revision (or a resync when that history is gone).
     *
     * @return the snapshot
     */
    @Override
    public DataSnapshot snapshot() {
        return super.snapshot();
    }
}
