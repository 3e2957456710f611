package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Data watches: snapshot, ordered put/delete/expired events, resuming from a revision. */
class DataWatchTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    private static final Duration BOUND = Duration.ofMillis(Waits.BOUND_MS);

    /** The next event, failing after the bound. */
    private static DataEvent next(Subscription<DataEvent> watch, String what) throws InterruptedException {
        DataEvent event = watch.poll(BOUND);
        if (event == null) {
            throw new AssertionError("no " + what + " within " + BOUND);
        }
        return event;
    }

    private static void assertEvent(DataEvent event, DataEvent.Kind kind, String path, Object value, long version) {
        assertEquals(kind, event.kind(), event.toString());
        assertEquals(path, event.path(), event.toString());
        assertEquals(value, event.value(), event.toString());
        assertEquals(version, event.version(), event.toString());
        assertFalse(event.resync(), event.toString());
    }

    @Test
    void snapshotThenEveryChangeInOrderWithADeleteAndRecreateAsTwoEvents() throws Exception {
        try (GroupConnector writer = GroupConnector.connect(REDIS.freshGroup().build())) {
            writer.persistentSet("cfg/a", 1);
            writer.persistentSet("cfg/b", Map.of("x", "y"));
            writer.persistentSet("other/z", 0);
            try (DataWatch watch = writer.watch("cfg/")) {
                DataSnapshot snapshot = watch.snapshot();
                assertEquals(2, snapshot.entries().size(), snapshot.toString());
                assertEquals("cfg/a", snapshot.entries().get(0).path());
                assertEquals(1, snapshot.entries().get(0).value());
                assertEquals(Map.of("x", "y"), snapshot.entries().get(1).value());
                assertTrue(snapshot.revision() > 0);

                writer.persistentSet("cfg/a", 2);
                writer.persistentDelete("cfg/b");
                writer.persistentSet("other/z", 1); // not under the prefix
                writer.persistentSet("cfg/b", "again");
                writer.persistentCas("cfg/a", 2, 3);

                List<DataEvent> events = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    events.add(next(watch, "event " + i));
                }
                assertEvent(events.get(0), DataEvent.Kind.PUT, "cfg/a", 2, 2);
                assertEvent(events.get(1), DataEvent.Kind.DELETE, "cfg/b", null, 1);
                assertEvent(events.get(2), DataEvent.Kind.PUT, "cfg/b", "again", 1);
                assertEvent(events.get(3), DataEvent.Kind.PUT, "cfg/a", 3, 3);
                long revision = snapshot.revision();
                for (DataEvent event : events) {
                    assertTrue(event.revision() > revision, "revisions only grow: " + events);
                    revision = event.revision();
                }
                assertNull(watch.poll(Duration.ofMillis(200)), "nothing for other/z");
            }
        }
    }

    @Test
    void aWatcherResumesFromTheLastRevisionItSaw() throws Exception {
        try (GroupConnector writer = GroupConnector.connect(REDIS.freshGroup().build())) {
            long seen;
            try (DataWatch first = writer.watch("jobs/")) {
                writer.persistentSet("jobs/1", "a");
                writer.persistentSet("jobs/2", "b");
                next(first, "jobs/1");
                seen = next(first, "jobs/2").revision();
            } // the watcher stops; changes go on without it
            writer.persistentSet("jobs/3", "c");
            writer.persistentDelete("jobs/1");
            writer.persistentSet("jobs/2", "b2");

            try (DataWatch resumed = writer.watch("jobs/", seen)) {
                assertEquals(List.of("jobs/2", "jobs/3"), resumed.snapshot().entries().stream().map(Entry::path)
                        .collect(java.util.stream.Collectors.toList()), "the snapshot is the current keys");
                assertEvent(next(resumed, "jobs/3 put"), DataEvent.Kind.PUT, "jobs/3", "c", 1);
                assertEvent(next(resumed, "jobs/1 delete"), DataEvent.Kind.DELETE, "jobs/1", null, 1);
                assertEvent(next(resumed, "jobs/2 put"), DataEvent.Kind.PUT, "jobs/2", "b2", 2);
                assertNull(resumed.poll(Duration.ofMillis(200)), "each change once");
            }
            assertThrows(InvalidArgumentException.class, () -> writer.watch("jobs/", -1));
        }
    }

    @Test
    void ephemeralKeysGivePutDeleteAndDeleteOnTheOwnersClose() throws Exception {
        GroupConfig config = REDIS.freshGroup().build();
        try (GroupConnector watcher = GroupConnector.connect(config);
                DataWatch watch = watcher.watchEphemeral("eph/")) {
            assertTrue(watch.snapshot().entries().isEmpty());
            GroupConnector owner = GroupConnector.connect(config);
            owner.ephemeralSet("eph/k", "v");
            owner.ephemeralDelete("eph/k");
            owner.ephemeralSet("eph/j", 7);
            owner.close();
            assertEvent(next(watch, "put of eph/k"), DataEvent.Kind.PUT, "eph/k", "v", 1);
            assertEquals(DataEvent.Kind.DELETE, next(watch, "delete of eph/k").kind());
            assertEvent(next(watch, "put of eph/j"), DataEvent.Kind.PUT, "eph/j", 7, 1);
            DataEvent closed = next(watch, "eph/j going with its owner's close");
            assertEquals(DataEvent.Kind.DELETE, closed.kind(), "a close is a delete, not an expiry: " + closed);
            assertEquals("eph/j", closed.path());
        }
    }

    @Test
    void anEphemeralKeyWhoseLeaseRanOutIsExpired() throws Exception {
        GroupConfig config = REDIS.freshGroup().build();
        try (TcpProxy proxy = new TcpProxy(REDIS.port());
                GroupConnector watcher = GroupConnector.connect(config);
                DataWatch watch = watcher.watchEphemeral("lease/")) {
            GroupConnector cutOff = GroupConnector.connect(GroupConfig.builder(proxy.url()).group(config.group())
                    .sessionTimeout(Duration.ofMillis(1000)).heartbeat(Duration.ofMillis(250))
                    .commandTimeout(Duration.ofMillis(200)).build());
            try {
                cutOff.ephemeralSet("lease/mine", 1);
                assertEquals(DataEvent.Kind.PUT, next(watch, "put of lease/mine").kind());
                proxy.pause(); // its heartbeats stop reaching Redis: the lease runs out
                DataEvent expired = next(watch, "expiry of lease/mine");
                assertEvent(expired, DataEvent.Kind.EXPIRED, "lease/mine", null, 1);
            } finally {
                proxy.resume();
                cutOff.close();
            }
        }
    }

    @Test
    void aListenerReceivesDataEventsAndOneThatThrowsDoesNotStopDelivery() throws Exception {
        long before = NativeLib.liveSinkRefs();
        try (GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build())) {
            BlockingQueue<DataEvent> events = new LinkedBlockingQueue<>();
            BlockingQueue<String> threads = new LinkedBlockingQueue<>();
            AtomicInteger calls = new AtomicInteger();
            DataWatch watch = connector.onDataEvent("l/", event -> {
                threads.add(Thread.currentThread().getName());
                events.add(event);
                if (calls.incrementAndGet() == 1) {
                    throw new IllegalStateException("listener bug (expected by the test)");
                }
            });
            assertTrue(watch.snapshot().entries().isEmpty());
            connector.persistentSet("l/1", 1);
            connector.persistentSet("l/2", 2);
            assertEvent(Waits.awaitMatching(events, e -> true, "l/1"), DataEvent.Kind.PUT, "l/1", 1, 1);
            assertEvent(Waits.awaitMatching(events, e -> true, "l/2 after a throw"), DataEvent.Kind.PUT, "l/2", 2, 1);
            assertFalse(threads.take().equals(Thread.currentThread().getName()));
            assertEquals(before + 1, NativeLib.liveSinkRefs());
            watch.close();
            assertFalse(watch.isOpen());
            assertEquals(before, NativeLib.liveSinkRefs());
        }
    }

    @Test
    void aListenerMayCloseItsOwnWatch() throws Exception {
        long before = NativeLib.liveSinkRefs();
        try (GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build())) {
            AtomicInteger deliveries = new AtomicInteger();
            BlockingQueue<DataEvent> seen = new LinkedBlockingQueue<>();
            DataWatch[] self = new DataWatch[1];
            self[0] = connector.watch("s/");
            self[0].listen(event -> {
                deliveries.incrementAndGet();
                seen.add(event);
                self[0].close(); // from its own dispatcher: must not deadlock
            });
            connector.persistentSet("s/1", 1);
            Waits.awaitMatching(seen, e -> true, "the first event");
            Waits.awaitTrue(() -> NativeLib.liveSinkRefs() == before, "the sink released");
            connector.persistentSet("s/2", 2);
            // A fresh watch sees s/2 in its snapshot: it was written; the closed one got nothing more.
            try (DataWatch probe = connector.watch("s/")) {
                assertEquals(2, probe.snapshot().entries().size());
            }
            assertEquals(1, deliveries.get());
            assertFalse(self[0].isOpen());
        }
    }
}
