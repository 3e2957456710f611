package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** No global reference or native object outlives what owns it. */
class LeakTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    private static final int CALLS = 100_000;

    @Test
    void aHundredThousandCallsLeaveNoGlobalReferenceBehind() throws Exception {
        long before = NativeLib.liveSinkRefs();
        WeakReference<ConnectionStateListener> lastListener = null;
        try (GroupConnector c = GroupConnector.connect(REDIS.freshGroup().build())) {
            for (int i = 0; i < CALLS; i++) {
                if (i % 20 == 0) {
                    Object captured = new Object(); // a capturing lambda: a fresh object each time
                    ConnectionStateListener listener = state -> captured.hashCode();
                    Subscription subscription = c.addConnectionStateListener(listener);
                    subscription.close();
                    lastListener = new WeakReference<>(listener);
                } else {
                    c.isHeld("lock-" + (i % 7));
                }
            }
            assertEquals(before, NativeLib.liveSinkRefs(), "sink global references after " + CALLS + " calls");
            WeakReference<ConnectionStateListener> watched = lastListener;
            Waits.awaitTrue(() -> {
                System.gc();
                return watched.get() == null;
            }, "the last closed listener being garbage collected");
        }
    }

    @Test
    void aForgottenConnectorIsClosedByTheCleaner() throws Exception {
        GroupConfig config = REDIS.freshGroup().build();
        try (GroupConnector observer = GroupConnector.connect(config)) {
            BlockingQueue<MembershipEvent> events = new LinkedBlockingQueue<>();
            observer.addMemberListener(events::add);
            joinAndForget(config);
            Waits.awaitMatching(events, e -> e.joinedMembers().stream().anyMatch(m -> m.id().equals("forgotten")),
                    "join of the forgotten member");
            MembershipEvent left = null;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Waits.BOUND_MS);
            while (left == null && System.nanoTime() < deadline) {
                System.gc(); // the connector is unreachable; the GC lets the Cleaner run
                MembershipEvent event = events.poll(50, TimeUnit.MILLISECONDS);
                if (event != null && event.leftMembers().stream().anyMatch(m -> m.id().equals("forgotten"))) {
                    left = event;
                }
            }
            assertTrue(left != null, "the Cleaner did not close the forgotten connector within " + Waits.BOUND_MS + " ms");
            assertEquals(LeaveReason.LEFT, left.reason(), "closed (left), not expired");
        }
    }

    /** Joins from a connector nothing refers to once this returns. */
    private static void joinAndForget(GroupConfig config) {
        GroupConnector forgotten = GroupConnector.connect(config);
        forgotten.join("forgotten");
    }

    @Test
    void manyConnectorsOpenAndCloseCleanly() {
        long before = NativeLib.liveSinkRefs();
        for (int i = 0; i < 200; i++) {
            try (GroupConnector c = GroupConnector.connect(REDIS.freshGroup().build())) {
                c.addConnectionStateListener(s -> { });
                assertTrue(c.lock("l").isPresent());
            }
        }
        assertEquals(before, NativeLib.liveSinkRefs());
    }
}
