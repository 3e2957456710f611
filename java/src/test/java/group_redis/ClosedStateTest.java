package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A connector's close() ends with CLOSED for its state listeners, as in C and Python. */
class ClosedStateTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    @Test
    void stateListenersReceiveClosedBeforeCloseReturnsAndNothingAfter() throws Exception {
        long before = NativeLib.liveSinkRefs();
        GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build());
        List<ConnectionState> first = new CopyOnWriteArrayList<>();
        List<ConnectionState> second = new CopyOnWriteArrayList<>();
        Subscription a = connector.addConnectionStateListener(first::add);
        Subscription b = connector.addConnectionStateListener(second::add);
        connector.join("m");

        connector.close();

        // No waiting: close() returns once the listeners have had CLOSED.
        assertEquals(List.of(ConnectionState.CLOSED), first);
        assertEquals(List.of(ConnectionState.CLOSED), second);
        assertFalse(a.isOpen());
        assertFalse(b.isOpen());
        assertEquals(before, NativeLib.liveSinkRefs());
        connector.close(); // idempotent: no second CLOSED
        assertEquals(List.of(ConnectionState.CLOSED), first);
    }

    @Test
    void aListenerThatThrowsOnClosedDoesNotStopTheClose() throws Exception {
        long before = NativeLib.liveSinkRefs();
        GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build());
        BlockingQueue<ConnectionState> seen = new LinkedBlockingQueue<>();
        connector.addConnectionStateListener(state -> {
            seen.add(state);
            throw new IllegalStateException("listener bug (expected by the test)");
        });
        connector.close();
        assertEquals(ConnectionState.CLOSED, seen.poll());
        assertEquals(before, NativeLib.liveSinkRefs());
    }

    @Test
    void aMemberListenerClosingTheConnectorStillLetsStateListenersSeeClosed() throws Exception {
        GroupConfig config = REDIS.freshGroup().build();
        long before = NativeLib.liveSinkRefs();
        try (GroupConnector other = GroupConnector.connect(config)) {
            GroupConnector watcher = GroupConnector.connect(config);
            BlockingQueue<ConnectionState> states = new LinkedBlockingQueue<>();
            watcher.addConnectionStateListener(states::add);
            BlockingQueue<String> closedFromListener = new LinkedBlockingQueue<>();
            watcher.addMemberListener(event -> {
                watcher.close(); // from a dispatcher thread: waits on the state dispatcher, not on itself
                closedFromListener.add("closed");
            });
            other.join("trigger");
            Waits.awaitMatching(closedFromListener, s -> true, "the close from inside a member listener");
            assertEquals(ConnectionState.CLOSED, states.poll(0, TimeUnit.MILLISECONDS),
                    "CLOSED was delivered before close() returned");
            assertNull(states.poll());
            Waits.awaitTrue(() -> NativeLib.liveSinkRefs() == before, "sink references released");
        }
    }

    @Test
    void aStateListenerMayCloseTheConnectorFromInsideItsCallback() throws Exception {
        long before = NativeLib.liveSinkRefs();
        GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build());
        BlockingQueue<ConnectionState> seen = new LinkedBlockingQueue<>();
        Subscription[] self = new Subscription[1];
        self[0] = connector.addConnectionStateListener(state -> {
            seen.add(state);
            connector.close(); // on CLOSED, from its own dispatcher: must not wait for itself
        });
        connector.close();
        assertEquals(ConnectionState.CLOSED, seen.poll());
        assertTrue(connector.isClosed());
        assertFalse(self[0].isOpen());
        Waits.awaitTrue(() -> NativeLib.liveSinkRefs() == before, "sink references released");
    }
}
