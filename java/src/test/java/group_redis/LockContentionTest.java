package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Many threads over several connectors contend for one lock: at most one inside at a time. */
class LockContentionTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    private static final int CONNECTORS = 4;
    private static final int THREADS_PER_CONNECTOR = 4;
    private static final int ROUNDS = 25;

    @Test
    void mutualExclusionWithGrowingTokens() throws Exception {
        GroupConfig.Builder base = REDIS.freshGroup();
        List<GroupConnector> connectors = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(CONNECTORS * THREADS_PER_CONNECTOR);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicLong lastToken = new AtomicLong();
        AtomicInteger tokenRegressions = new AtomicInteger();
        int[] unsafeCounter = {0}; // only the lock protects this
        try {
            for (int c = 0; c < CONNECTORS; c++) {
                connectors.add(GroupConnector.connect(base.memberId("member-" + c).build()));
            }
            List<Future<?>> done = new ArrayList<>();
            for (GroupConnector connector : connectors) {
                for (int t = 0; t < THREADS_PER_CONNECTOR; t++) {
                    done.add(pool.submit(() -> {
                        for (int round = 0; round < ROUNDS; round++) {
                            try (LockHandle lock = connector.tryLock("the-one", Duration.ofSeconds(20)).orElseThrow()) {
                                if (inside.incrementAndGet() != 1) {
                                    overlaps.incrementAndGet();
                                }
                                if (lock.token() <= lastToken.get()) {
                                    tokenRegressions.incrementAndGet();
                                }
                                lastToken.set(lock.token());
                                unsafeCounter[0]++;
                                inside.decrementAndGet();
                            }
                        }
                        return null;
                    }));
                }
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            for (GroupConnector connector : connectors) {
                connector.close();
            }
        }
        assertEquals(0, overlaps.get(), "two holders at once");
        assertEquals(0, tokenRegressions.get(), "a fencing token did not grow");
        assertEquals(CONNECTORS * THREADS_PER_CONNECTOR * ROUNDS, unsafeCounter[0]);
        assertTrue(lastToken.get() >= CONNECTORS * THREADS_PER_CONNECTOR * ROUNDS);
    }
}
