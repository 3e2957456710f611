package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Leader election: one leader at a time, growing terms, hand-over on resign and close. */
class LeadershipTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    private static final Duration PATIENCE = Duration.ofMillis(Waits.BOUND_MS);

    private static long waitLeading(Leadership leadership) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!leadership.isLeader()) {
            assertTrue(System.nanoTime() < deadline, "not elected");
            Thread.sleep(5);
        }
        long token = leadership.token();
        assertTrue(token > 0);
        return token;
    }

    @Test
    void oneLeaderAtATimeAndTheNextOnResignAndClose() throws Exception {
        GroupConfig.Builder group = REDIS.freshGroup();
        try (GroupConnector a = GroupConnector.connect(group.memberId("a").build());
                GroupConnector b = GroupConnector.connect(group.memberId("b").build());
                GroupConnector observer = GroupConnector.connect(group.memberId("observer").build());
                LeaderWatch views = observer.observeLeader("job")) {
            assertEquals(Optional.empty(), views.snapshot().leader());
            Leadership first = a.elect("job");
            long token = waitLeading(first);
            assertEquals(new LeaderView("a", token), observer.leader("job"));
            assertEquals(new LeaderView("a", token), views.poll(PATIENCE));

            Leadership second = b.elect("job");
            try (LeaderSubscription states = second.subscribe()) {
                assertEquals(LeaderEvent.State.FOLLOWER, states.snapshot().state());
                assertFalse(second.isLeader());
                assertEquals(0, second.token());

                first.resign();
                assertFalse(first.isLeader());
                LeaderEvent elected = states.poll(PATIENCE);
                assertTrue(elected.isLeader(), String.valueOf(elected));
                assertTrue(elected.token() > token);
                assertEquals(elected.token(), waitLeading(second));
                // The observer reports the latest leader, so a term it has not seen yet may
                // be skipped if it ends first: b's term is observed before b resigns.
                LeaderView view = views.poll(PATIENCE);
                if (view.leader().isEmpty()) { // "no leader" between the terms
                    view = views.poll(PATIENCE);
                }
                assertEquals(new LeaderView("b", elected.token()), view);
                first.close();
                first.close();
                assertFalse(first.isLeader());
                assertThrows(ConnectorClosedException.class, first::subscribe);

                second.close(); // resigns
                assertEquals(new LeaderEvent(LeaderEvent.State.FOLLOWER, 0), states.poll(PATIENCE));
                assertThrows(ConnectorClosedException.class, () -> states.poll(PATIENCE));
            }
            assertEquals(Optional.empty(), views.poll(PATIENCE).leader());
            assertEquals(Optional.empty(), observer.leader("job").leader());
        }
    }

    @Test
    void aListenerHearsLeaderThenFollowerWhenTheConnectorCloses() throws Exception {
        GroupConfig.Builder group = REDIS.freshGroup();
        BlockingQueue<LeaderEvent> heard = new LinkedBlockingQueue<>();
        try (GroupConnector b = GroupConnector.connect(group.memberId("b").build())) {
            GroupConnector a = GroupConnector.connect(group.memberId("a").build());
            Leadership leadership = a.elect("job");
            waitLeading(leadership);
            LeaderSubscription listening = leadership.addListener(heard::add);
            assertTrue(listening.snapshot().isLeader());
            Leadership rival = b.elect("job");
            a.close();
            assertEquals(LeaderEvent.State.FOLLOWER, heard.poll(Waits.BOUND_MS, TimeUnit.MILLISECONDS).state());
            assertFalse(leadership.isLeader());
            waitLeading(rival);
            leadership.close();
            rival.close();
            assertThrows(InvalidArgumentException.class, () -> b.elect(""));
        }
    }
}
