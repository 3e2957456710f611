package group_redis;

import java.lang.ref.Cleaner;
import java.util.List;

/**
 * Taking part in an assignment topic ({@link GroupConnector#assignments}): the topic's leader
 * gives every id to exactly one participant, shares differ by at most one, an id moves only
 * when balance needs it and only after its previous owner let it go or its session ended. A
 * participant that loses its lease (LOST) drops its share at once. Closing leaves the topic:
 * the ids move to the others at once. Thread-safe.
 */
public final class Assignment implements AutoCloseable {
    private final String topic;
    private final NativeHandle connector;
    private final OwnedNativeRef ref;
    private final Cleaner.Cleanable cleanable;

    Assignment(NativeHandle connector, String topic, List<String> ids, String subGroup) {
        this.topic = topic;
        this.connector = connector;
        String idsJson = Json.encode(ids);
        this.ref = connector.call(h -> {
            long assignment = NativeLib.assignments(h, topic, idsJson, subGroup);
            connector.retain(); // given back when the native assignment is freed
            return new OwnedNativeRef(
                    assignment, connector, NativeLib::assignmentFree, "assignment is closed");
        });
        this.cleanable = NativeRef.CLEANER.register(this, ref);
    }

    /**
     * The topic.
     *
     * @return the topic
     */
    public String topic() {
        return topic;
    }

    /**
     * This participant's share now.
     *
     * @return the share
     * @throws ConnectorClosedException once closed
     */
    public AssignmentEvent share() {
        return AssignmentEvent.fromJson(ref.call(NativeLib::assignmentShare));
    }

    /**
     * Every change of this participant's share, pull form; its snapshot is the share now.
     *
     * @return the subscription; close it to stop
     */
    public AssignmentSubscription subscribe() {
        return new AssignmentSubscription(connector, h -> ref.callLong(NativeLib::assignmentSubscribe));
    }

    /**
     * Calls {@code listener} each time the share changes, on a dispatcher thread.
     *
     * @param listener the listener
     * @return the subscription (its snapshot is the share when it started)
     */
    public AssignmentSubscription addListener(EventListener<? super AssignmentEvent> listener) {
        AssignmentSubscription subscription = subscribe();
        subscription.listen(listener);
        return subscription;
    }

    /** Leaves the topic and frees the native assignment. Idempotent. */
    @Override
    public void close() {
        cleanable.clean();
    }

    @Override
    public String toString() {
        return "Assignment{" + topic + "}";
    }
}
