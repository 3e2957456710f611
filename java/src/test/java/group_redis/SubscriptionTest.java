package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The generic Subscription: pull and push forms over membership and state subscriptions. */
class SubscriptionTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    private static final Duration BOUND = Duration.ofMillis(Waits.BOUND_MS);

    private static boolean joined(MembershipEvent event, String id) {
        return event.joinedMembers().stream().anyMatch(m -> m.id().equals(id));
    }

    /** Polls until an event matches; fails after the bound. */
    private static <E> E pollMatching(Subscription<E> subscription, java.util.function.Predicate<E> wanted,
            String what) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (System.nanoTime() < deadline) {
            E event = subscription.poll(Duration.ofMillis(500));
            if (event != null && wanted.test(event)) {
                return event;
            }
        }
        throw new AssertionError("no " + what + " within " + BOUND);
    }

    @Test
    void membersPulledInOrderFromTheSnapshotOn() throws Exception {
        GroupConfig config = REDIS.freshGroup().build();
        try (GroupConnector watcher = GroupConnector.connect(config);
                GroupConnector other = GroupConnector.connect(config)) {
            watcher.join("watcher");
            try (MemberSubscription members = watcher.subscribeMembers()) {
                assertEquals("watcher", members.snapshot().get(0).id());
                assertNull(members.poll(Duration.ZERO), "nothing happened yet");
                other.join("m1");
                other.join("m2");
                other.leave("m1");
                MembershipEvent first = pollMatching(members, e -> joined(e, "m1"), "join of m1");
                MembershipEvent second = members.take();
                assertTrue(joined(second, "m2"));
                assertEquals(first.view() + 1, second.view());
                Iterator<MembershipEvent> events = members.iterator();
                assertTrue(events.hasNext());
                MembershipEvent third = events.next();
                assertEquals("m1", third.leftMembers().get(0).id());
                assertEquals(LeaveReason.LEFT, third.reason());
            }
        }
    }

    @Test
    void eachEventGoesToOneOfSeveralPullingThreads() throws Exception {
        GroupConfig config = REDIS.freshGroup().build();
        int joins = 20;
        try (GroupConnector watcher = GroupConnector.connect(config);
                GroupConnector other = GroupConnector.connect(config);
                MemberSubscription members = watcher.subscribeMembers()) {
            Set<Long> views = ConcurrentHashMap.newKeySet();
            BlockingQueue<Long> all = new LinkedBlockingQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                Thread thread = new Thread(() -> {
                    try {
                        for (MembershipEvent event : members) {
                            views.add(event.view());
                            all.add(event.view());
                        }
                    } catch (RuntimeException e) {
                        all.add(-1L);
                    }
                });
                thread.start();
                threads.add(thread);
            }
            for (int i = 0; i < joins; i++) {
                other.join("m" + i);
            }
            Waits.awaitTrue(() -> all.size() >= joins, joins + " events taken");
            members.close(); // ends every iterator within one native wait slice
            for (Thread thread : threads) {
                thread.join(Waits.BOUND_MS);
                assertFalse(thread.isAlive(), "a pulling thread ended with the subscription");
            }
            assertEquals(joins, all.size(), "each event taken once: " + all);
            assertEquals(joins, views.size());
        }
    }

    @Test
    void closeEndsATakeWaitingInAnotherThread() throws Exception {
        try (GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build())) {
            MemberSubscription members = connector.subscribeMembers();
            BlockingQueue<Throwable> outcome = new LinkedBlockingQueue<>();
            CountDownLatch started = new CountDownLatch(1);
            Thread taker = new Thread(() -> {
                started.countDown();
                try {
                    members.take();
                    outcome.add(new AssertionError("take returned an event"));
                } catch (Throwable e) {
                    outcome.add(e);
                }
            });
            taker.start();
            started.await();
            members.close();
            Throwable ended = outcome.poll(Waits.BOUND_MS, TimeUnit.MILLISECONDS);
            assertTrue(ended instanceof ConnectorClosedException, "take ended with " + ended);
            assertFalse(members.isOpen());
            assertThrows(ConnectorClosedException.class, () -> members.poll(Duration.ZERO));
            members.close(); // idempotent
        }
    }

    @Test
    void stateIsPulledUntilClosedThenTheSubscriptionEnds() throws Exception {
        GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build());
        StateSubscription states = connector.subscribeState();
        assertEquals(ConnectionState.CONNECTED, states.snapshot());
        assertNull(states.poll(Duration.ofMillis(10)));
        connector.close();
        assertFalse(states.isOpen());
        // What was delivered before the end can still be taken, CLOSED last; then it ends.
        assertEquals(ConnectionState.CLOSED, states.poll(BOUND));
        // The end follows CLOSED (a wait, not zero: the native side marks it right after).
        assertThrows(ConnectorClosedException.class, () -> states.poll(BOUND));
        assertFalse(states.iterator().hasNext());
        states.close();
    }

    @Test
    void aListenerGetsTheEventsThatArrivedBeforeItFirst() throws Exception {
        GroupConfig config = REDIS.freshGroup().build();
        long before = NativeLib.liveSinkRefs();
        try (GroupConnector watcher = GroupConnector.connect(config);
                GroupConnector other = GroupConnector.connect(config)) {
            MemberSubscription members = watcher.subscribeMembers();
            other.join("early");
            // Proves the join was published: a second subscription's snapshot has it.
            try (MemberSubscription probe = watcher.subscribeMembers()) {
                assertTrue(probe.snapshot().stream().anyMatch(m -> m.id().equals("early")));
            }
            BlockingQueue<MembershipEvent> events = new LinkedBlockingQueue<>();
            members.listen(events::add);
            assertEquals(before + 1, NativeLib.liveSinkRefs());
            assertThrows(InvalidArgumentException.class, () -> members.poll(Duration.ZERO),
                    "pulling a listening subscription");
            assertThrows(InvalidArgumentException.class, () -> members.listen(e -> { }), "a second listener");
            other.join("late");
            assertTrue(joined(Waits.awaitMatching(events, e -> true, "first event"), "early"));
            assertTrue(joined(Waits.awaitMatching(events, e -> true, "second event"), "late"));
            members.close();
            assertEquals(before, NativeLib.liveSinkRefs());
        }
    }

    @Test
    void aListeningSubscriptionLivesWithoutAReferenceUntilTheConnectorCloses() throws Exception {
        GroupConfig config = REDIS.freshGroup().build();
        long before = NativeLib.liveSinkRefs();
        BlockingQueue<MembershipEvent> events = new LinkedBlockingQueue<>();
        try (GroupConnector watcher = GroupConnector.connect(config);
                GroupConnector other = GroupConnector.connect(config)) {
            watcher.subscribeMembers().listen(events::add); // the subscription is not kept
            for (int i = 0; i < 5; i++) {
                System.gc();
            }
            other.join("after-gc");
            assertNotNull(Waits.awaitMatching(events, e -> joined(e, "after-gc"), "join after a GC"));
        }
        assertEquals(before, NativeLib.liveSinkRefs(), "the connector's close released the listener");
    }

    @Test
    void openingAndClosingManySubscriptionsLeavesNothingBehind() throws Exception {
        long before = NativeLib.liveSinkRefs();
        try (GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build())) {
            for (int i = 0; i < 500; i++) {
                StateSubscription pulled = connector.subscribeState();
                pulled.close();
                MemberSubscription listened = connector.addMemberListener(e -> { });
                listened.close();
            }
            assertEquals(before, NativeLib.liveSinkRefs());
            // Left open on purpose: the connector's close ends and frees them.
            connector.subscribeState();
            connector.addConnectionStateListener(s -> { });
        }
        assertEquals(before, NativeLib.liveSinkRefs());
    }

    @Test
    void subscribingOnAClosedConnectorFails() {
        GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build());
        connector.close();
        assertThrows(ConnectorClosedException.class, connector::subscribeMembers);
        assertThrows(ConnectorClosedException.class, () -> connector.addConnectionStateListener(s -> { }));
    }
}
