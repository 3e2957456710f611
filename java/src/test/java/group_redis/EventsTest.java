package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Membership events through a listener and through the seed-style queue. */
class EventsTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    private static boolean joined(MembershipEvent event, String id) {
        return event.joinedMembers().stream().anyMatch(m -> m.id().equals(id));
    }

    private static boolean left(MembershipEvent event, String id) {
        return event.leftMembers().stream().anyMatch(m -> m.id().equals(id));
    }

    @Test
    void listenerSeesJoinUpdateAndLeaveInOrderOnADispatcherThread() throws Exception {
        GroupConfig config = REDIS.freshGroup().build();
        try (GroupConnector watcher = GroupConnector.connect(config);
                GroupConnector other = GroupConnector.connect(config)) {
            watcher.join("watcher");
            BlockingQueue<MembershipEvent> events = new LinkedBlockingQueue<>();
            BlockingQueue<String> threads = new LinkedBlockingQueue<>();
            MemberSubscription subscription = watcher.addMemberListener(event -> {
                threads.add(Thread.currentThread().getName());
                events.add(event);
            });
            assertEquals(List.of("watcher"), List.of(subscription.snapshot().get(0).id()));

            other.join("m1", Map.of("v", 1));
            MembershipEvent join = Waits.awaitMatching(events, e -> joined(e, "m1"), "join of m1");
            assertEquals(Map.of("v", 1), join.joinedMembers().get(0).payload());
            other.updatePayload("m1", Map.of("v", 2));
            MembershipEvent update = Waits.awaitMatching(events,
                    e -> e.updatedMembers().stream().anyMatch(m -> m.id().equals("m1")), "update of m1");
            assertEquals(join.view() + 1, update.view());
            other.leave("m1");
            MembershipEvent leave = Waits.awaitMatching(events, e -> left(e, "m1"), "leave of m1");
            assertEquals(LeaveReason.LEFT, leave.reason());
            assertEquals(update.view() + 1, leave.view());
            assertNotEquals(Thread.currentThread().getName(), threads.take());

            subscription.close();
            assertFalse(subscription.isOpen());
            other.join("m2");
            // The closed listener gets nothing more; a fresh one sees m2 in its snapshot.
            try (MemberSubscription fresh = watcher.addMemberListener(e -> { })) {
                assertTrue(fresh.snapshot().stream().anyMatch(m -> m.id().equals("m2")));
            }
            assertTrue(events.stream().noneMatch(e -> joined(e, "m2")));
        }
    }

    @Test
    void aThrowingListenerIsLoggedAndDeliveryGoesOn() throws Exception {
        GroupConfig config = REDIS.freshGroup().build();
        try (GroupConnector watcher = GroupConnector.connect(config);
                GroupConnector other = GroupConnector.connect(config)) {
            BlockingQueue<MembershipEvent> events = new LinkedBlockingQueue<>();
            AtomicInteger calls = new AtomicInteger();
            watcher.addMemberListener(event -> {
                calls.incrementAndGet();
                events.add(event);
                throw new IllegalStateException("listener bug (expected by the test)");
            });
            other.join("a");
            Waits.awaitMatching(events, e -> joined(e, "a"), "join of a");
            other.join("b");
            Waits.awaitMatching(events, e -> joined(e, "b"), "join of b after a listener threw");
            assertEquals(2, calls.get());
        }
    }

    @Test
    void seedStyleQueueReceivesEventsUntilUnregistered() throws Exception {
        GroupConfig config = REDIS.freshGroup().build();
        Object c = RedisConn.create_group_connector(REDIS.url(), Map.of("group-name", config.group()));
        try (GroupConnector other = GroupConnector.connect(config)) {
            BlockingQueue<Map<String, Object>> queue = RedisConn.register_member_event_ch(c);
            other.join("q1");
            Map<String, Object> event = Waits.awaitMatching(queue,
                    e -> !((List<?>) e.get("joined_members")).isEmpty(), "join event on the queue");
            Map<?, ?> member = (Map<?, ?>) ((List<?>) event.get("joined_members")).get(0);
            assertEquals("q1", member.get("id"));
            assertEquals("/" + config.group() + "/members/q1", member.get("path"));
            assertTrue(((Map<?, ?>) member.get("val")).containsKey("ts"));
            other.leave("q1");
            Map<String, Object> leave = Waits.awaitMatching(queue,
                    e -> !((List<?>) e.get("left_members")).isEmpty(), "leave event on the queue");
            assertEquals("left", leave.get("reason"));

            assertTrue(RedisConn.unregister_event_ch(c, queue));
            assertFalse(RedisConn.unregister_event_ch(c, queue));
            other.join("q2");
            // A watcher registered after q2 joined proves the join was published; the
            // unregistered queue must still be empty.
            try (MemberSubscription after = ((GroupConnector) c).addMemberListener(e -> { })) {
                assertTrue(after.snapshot().stream().anyMatch(m -> m.id().equals("q2")));
            }
            assertEquals(null, queue.poll(200, TimeUnit.MILLISECONDS));
        } finally {
            RedisConn.close(c);
        }
    }

    @Test
    void connectorCloseStopsItsListenersAndReleasesThem() throws Exception {
        GroupConfig config = REDIS.freshGroup().build();
        long before = NativeLib.liveSinkRefs();
        GroupConnector connector = GroupConnector.connect(config);
        Subscription members = connector.addMemberListener(e -> { });
        BlockingQueue<ConnectionState> states = new LinkedBlockingQueue<>();
        Subscription state = connector.addConnectionStateListener(states::add);
        assertEquals(before + 2, NativeLib.liveSinkRefs());
        connector.close();
        assertFalse(members.isOpen());
        assertFalse(state.isOpen());
        assertEquals(before, NativeLib.liveSinkRefs());
    }

    @Test
    void aListenerMayCloseItsOwnSubscriptionAndEvenTheConnector() throws Exception {
        GroupConfig config = REDIS.freshGroup().build();
        long before = NativeLib.liveSinkRefs();
        try (GroupConnector other = GroupConnector.connect(config)) {
            GroupConnector watcher = GroupConnector.connect(config);
            BlockingQueue<MembershipEvent> seen = new LinkedBlockingQueue<>();
            AtomicInteger deliveries = new AtomicInteger();
            Subscription[] self = new Subscription[1];
            self[0] = watcher.addMemberListener(event -> {
                deliveries.incrementAndGet();
                seen.add(event);
                self[0].close(); // from the dispatcher thread itself: must not deadlock
            });
            BlockingQueue<MembershipEvent> closer = new LinkedBlockingQueue<>();
            watcher.addMemberListener(event -> {
                watcher.close(); // closes the connector from inside a callback
                closer.add(event);
            });
            other.join("trigger");
            Waits.awaitMatching(seen, e -> joined(e, "trigger"), "first event");
            Waits.awaitMatching(closer, e -> joined(e, "trigger"), "event that closed the connector");
            assertTrue(watcher.isClosed());
            assertFalse(self[0].isOpen());
            // The dispatchers end once their callbacks return, releasing their references.
            Waits.awaitTrue(() -> NativeLib.liveSinkRefs() == before, "sink references released");
            other.join("after");
            assertEquals(1, deliveries.get(), "a closed subscription gets nothing more");
        }
    }

    @Test
    void setOnlineFlagsAMemberWithoutItLeaving() throws Exception {
        GroupConfig config = REDIS.freshGroup().build();
        try (GroupConnector watcher = GroupConnector.connect(config);
                GroupConnector other = GroupConnector.connect(config)) {
            other.join("m1", Map.of("v", 1));
            BlockingQueue<MembershipEvent> events = new LinkedBlockingQueue<>();
            MemberSubscription subscription = watcher.addMemberListener(events::add);
            assertTrue(subscription.snapshot().get(0).online());

            other.setOnline("m1", false);
            MembershipEvent update = Waits.awaitMatching(events,
                    e -> e.updatedMembers().stream().anyMatch(m -> m.id().equals("m1")), "update of m1");
            assertFalse(update.updatedMembers().get(0).online());
            Member seen = watcher.members().get(0);
            assertEquals("m1", seen.id());
            assertFalse(seen.online());
            assertEquals(Map.of("v", 1), seen.payload());
            other.setOnline("m1", true);
            assertTrue(watcher.members().get(0).online());
            subscription.close();
        }
    }
}
