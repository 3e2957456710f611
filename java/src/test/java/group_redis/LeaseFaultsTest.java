package group_redis;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A holder cut off from Redis (a proxy that stops forwarding) hears LOST before anyone else
 * can hold its lock, is_held turns false, and no lock is granted while its lease is in doubt.
 */
class LeaseFaultsTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    @ParameterizedTest
    @ValueSource(ints = {0, 70, 140})
    void aHolderCutOffHearsLostBeforeAnyoneElseHolds(int delayMs) throws Exception {
        GroupConfig base = REDIS.freshGroup().sessionTimeout(Duration.ofMillis(1000))
                .heartbeat(Duration.ofMillis(250)).build();
        try (TcpProxy proxy = new TcpProxy(REDIS.port());
                GroupConnector holder = GroupConnector.connect(GroupConfig.builder(proxy.url())
                        .group(base.group()).memberId("holder").sessionTimeout(Duration.ofMillis(1000))
                        .heartbeat(Duration.ofMillis(250)).commandTimeout(Duration.ofMillis(200)).build());
                GroupConnector waiter = GroupConnector.connect(GroupConfig.builder(REDIS.url())
                        .group(base.group()).memberId("waiter").sessionTimeout(Duration.ofMillis(1000))
                        .heartbeat(Duration.ofMillis(250)).build())) {
            Map<ConnectionState, Long> firstSeen = new ConcurrentHashMap<>();
            CountDownLatch suspended = new CountDownLatch(1);
            holder.addConnectionStateListener(state -> {
                firstSeen.putIfAbsent(state, System.nanoTime());
                if (state == ConnectionState.SUSPENDED) {
                    suspended.countDown();
                }
            });
            long token = holder.lock("L").orElseThrow().token();
            Thread.sleep(delayMs); // vary where in the heartbeat period the cut falls

            proxy.pause();
            long cut = System.nanoTime();
            long[] acquired = new long[2];
            Thread waiting = new Thread(() -> {
                acquired[0] = waiter.tryLock("L", Duration.ofSeconds(20)).orElseThrow().token();
                acquired[1] = System.nanoTime();
            });
            waiting.start();
            assertTrue(suspended.await(20, TimeUnit.SECONDS), "SUSPENDED");
            if (!firstSeen.containsKey(ConnectionState.LOST)) {
                // The lease is in doubt: no lock may be granted.
                // LeaseInDoubt while SUSPENDED; SessionExpired if LOST came in between.
                GroupRedisException refused = assertThrows(GroupRedisException.class, () -> holder.lock("other"));
                assertTrue(refused instanceof LeaseInDoubtException || refused instanceof SessionExpiredException,
                        refused.toString());
            }
            waiting.join(20_000);
            assertTrue(acquired[0] > token, "the waiter's token grows");
            Long lost = firstSeen.get(ConnectionState.LOST);
            assertTrue(lost != null && lost < acquired[1], "LOST came after the waiter held L");
            assertFalse(holder.isHeld("L"));
            System.out.printf("partition (Java), pause after %d ms: LOST %.0f ms after the cut, waiter held L"
                    + " %.0f ms after it: margin %.0f ms%n", delayMs, (lost - cut) / 1e6,
                    (acquired[1] - cut) / 1e6, (acquired[1] - lost) / 1e6);
            proxy.resume();
        }
    }
}
