package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Subscription.asPublisher(): a Flow.Publisher that honours demand, cancel and the end. */
class PublisherTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    /** Records every signal as a string, in order; requests as told. */
    private static final class Recorder implements Flow.Subscriber<Object> {
        final BlockingQueue<String> signals = new LinkedBlockingQueue<>();
        volatile Flow.Subscription subscription;

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            signals.add("subscribe");
        }

        @Override
        public void onNext(Object item) {
            signals.add(item instanceof DataEvent ? "next " + ((DataEvent) item).path() : "next " + item);
        }

        @Override
        public void onError(Throwable t) {
            signals.add("error " + t.getClass().getSimpleName());
        }

        @Override
        public void onComplete() {
            signals.add("complete");
        }

        String next() throws InterruptedException {
            String signal = signals.poll(Waits.BOUND_MS, TimeUnit.MILLISECONDS);
            if (signal == null) {
                throw new AssertionError("no signal within " + Waits.BOUND_MS + " ms");
            }
            return signal;
        }
    }

    @Test
    void eventsFollowTheDemandAndCancelClosesTheSubscription() throws Exception {
        long before = NativeLib.liveSinkRefs();
        try (GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build())) {
            DataWatch watch = connector.watch("p/");
            Recorder recorder = new Recorder();
            watch.asPublisher().subscribe(recorder);
            assertEquals("subscribe", recorder.next());
            connector.persistentSet("p/1", 1);
            connector.persistentSet("p/2", 2);
            connector.persistentSet("p/3", 3);
            // Proves all three were written and published before any demand.
            try (DataWatch probe = connector.watch("p/")) {
                assertEquals(3, probe.snapshot().entries().size());
            }
            assertNull(recorder.signals.poll(200, TimeUnit.MILLISECONDS), "nothing before a request");
            recorder.subscription.request(1);
            assertEquals("next p/1", recorder.next());
            assertNull(recorder.signals.poll(200, TimeUnit.MILLISECONDS), "one request, one event");
            recorder.subscription.request(5);
            assertEquals("next p/2", recorder.next());
            assertEquals("next p/3", recorder.next());
            recorder.subscription.cancel();
            assertFalse(watch.isOpen());
            assertEquals(before, NativeLib.liveSinkRefs());
            connector.persistentSet("p/4", 4);
            assertNull(recorder.signals.poll(200, TimeUnit.MILLISECONDS), "nothing after cancel");
        }
    }

    @Test
    void theConnectorsCloseCompletesAndASecondSubscriberIsRefused() throws Exception {
        GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build());
        StateSubscription states = connector.subscribeState();
        Flow.Publisher<ConnectionState> publisher = states.asPublisher();
        Recorder recorder = new Recorder();
        publisher.subscribe(recorder);
        assertEquals("subscribe", recorder.next());
        recorder.subscription.request(Long.MAX_VALUE);
        Recorder second = new Recorder();
        publisher.subscribe(second);
        assertEquals("subscribe", second.next());
        assertEquals("error IllegalStateException", second.next());

        connector.close();
        assertEquals("next CLOSED", recorder.next());
        assertEquals("complete", recorder.next());
    }

    @Test
    void aSubscriptionWithAListenerRefusesAPublisherSubscriberAndKeepsItsListener() throws Exception {
        try (GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build())) {
            BlockingQueue<DataEvent> events = new LinkedBlockingQueue<>();
            DataWatch watch = connector.onDataEvent("k/", events::add);
            Recorder recorder = new Recorder();
            watch.asPublisher().subscribe(recorder);
            assertEquals("subscribe", recorder.next());
            assertEquals("error InvalidArgumentException", recorder.next());
            recorder.subscription.cancel(); // a no-op: not this subscriber's subscription
            assertTrue(watch.isOpen());
            connector.persistentSet("k/1", 1);
            assertEquals("k/1", Waits.awaitMatching(events, e -> true, "the listener's event").path());
        }
    }

    @Test
    void aNonPositiveRequestIsAnError() throws Exception {
        try (GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build())) {
            Recorder recorder = new Recorder();
            connector.subscribeMembers().asPublisher().subscribe(recorder);
            assertEquals("subscribe", recorder.next());
            recorder.subscription.request(0);
            assertEquals("error IllegalArgumentException", recorder.next());
            assertTrue(recorder.signals.isEmpty());
        }
    }
}
