package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Connection states across a Redis restart (the restarted Redis has lost all data). */
class ConnectionStateTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    @Test
    void suspendedThenLostThenReconnectedWithMembersAndKeysReestablished() throws Exception {
        GroupConfig config = REDIS.freshGroup().memberId("survivor").sessionTimeout(Duration.ofMillis(2000))
                .heartbeat(Duration.ofMillis(400)).commandTimeout(Duration.ofMillis(500)).build();
        try (GroupConnector connector = GroupConnector.connect(config)) {
            BlockingQueue<ConnectionState> states = new LinkedBlockingQueue<>();
            connector.addConnectionStateListener(states::add);
            connector.join();
            connector.ephemeralSet("mine", 42);
            assertTrue(connector.lock("held").isPresent());
            String firstSession = connector.sessionId();

            REDIS.server().stopProcess();
            Waits.awaitMatching(states, s -> s == ConnectionState.SUSPENDED, "SUSPENDED");
            Waits.awaitMatching(states, s -> s == ConnectionState.LOST, "LOST");
            assertFalse(connector.isHeld("held"), "a lock is not held once the lease is lost");
            assertEquals(ConnectionState.LOST, connector.state());

            REDIS.server().startProcess();
            Waits.awaitMatching(states, s -> s == ConnectionState.RECONNECTED, "RECONNECTED");
            assertEquals(ConnectionState.CONNECTED, connector.state());
            assertNotEquals(firstSession, connector.sessionId(), "a lost session is replaced");
            assertEquals("survivor", connector.members().get(0).id());
            assertEquals(42, connector.ephemeralGet("mine"));
            assertFalse(connector.isHeld("held"), "locks are not re-taken");
        }
    }
}
