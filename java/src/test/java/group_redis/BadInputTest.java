package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;

/** Null, empty, oversized and malformed input, closed connectors and a Redis that is down. */
class BadInputTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    private static final String OVERSIZED = "x".repeat(1025);

    private static void invalid(Executable call) {
        assertThrows(InvalidArgumentException.class, call);
    }

    @Test
    void badNamesAreRefusedAndTheConnectorStaysUsable() {
        try (GroupConnector c = GroupConnector.connect(REDIS.freshGroup().build())) {
            for (String bad : new String[] {null, "", OVERSIZED, "nul\0byte"}) {
                invalid(() -> c.lock(bad));
                invalid(() -> c.release(bad));
                invalid(() -> c.heldToken(bad));
                invalid(() -> c.lockHolder(bad));
                invalid(() -> c.ephemeralSet(bad, 1));
                invalid(() -> c.ephemeralGet(bad));
                invalid(() -> c.persistentSet(bad, 1));
                invalid(() -> c.persistentGet(bad));
                invalid(() -> c.persistentDelete(bad));
                invalid(() -> c.addSubGroup(bad));
                if (bad != null) {
                    invalid(() -> c.join(bad));
                    invalid(() -> c.acquire("l", bad, false, Duration.ZERO));
                }
            }
            invalid(() -> c.join(null));
            invalid(() -> c.tryLock("l", null));
            invalid(() -> c.tryLock("l", Duration.ofMillis(-1)));
            invalid(() -> c.addMemberListener(null));
            invalid(() -> c.addConnectionStateListener(null));
            invalid(() -> c.persistentSetMany(null));
            invalid(() -> c.persistentCompareAndSet("p", -1, 1));
            invalid(() -> c.updatePayload("never-joined", 1));
            // Values JSON cannot carry.
            assertThrows(InvalidJsonException.class, () -> c.persistentSet("p", new Object()));
            assertThrows(InvalidJsonException.class, () -> c.persistentSet("p", Double.NaN));
            assertThrows(InvalidJsonException.class, () -> c.ephemeralSet("p", Map.of("inf", Double.POSITIVE_INFINITY)));
            // Nothing was left pending: the connector still works.
            assertTrue(c.lock("still-works").isPresent());
            assertEquals(ConnectionState.CONNECTED, c.state());
        }
    }

    @Test
    void badConfigurationsAreRefused() {
        invalid(() -> GroupConfig.builder(null));
        invalid(() -> GroupConnector.connect(null));
        invalid(() -> GroupConnector.connect(REDIS.freshGroup().group("").build()));
        invalid(() -> GroupConnector.connect(REDIS.freshGroup().group("a{b}").build()));
        invalid(() -> GroupConnector.connect(REDIS.freshGroup().memberId("").build()));
        invalid(() -> GroupConnector.connect(REDIS.freshGroup().sessionTimeout(Duration.ofMillis(10)).build()));
        invalid(() -> GroupConnector.connect(REDIS.freshGroup().heartbeat(Duration.ofMinutes(1)).build()));
        invalid(() -> GroupConnector.connect(REDIS.freshGroup().subGroups(List.of("")).build()));
        invalid(() -> GroupConnector.connect(GroupConfig.builder("not a url").build()));
        invalid(() -> RedisConn.create_group_connector(null));
        invalid(() -> RedisConn.create_group_connector(""));
        invalid(() -> RedisConn.create_group_connector("localhost", Map.of("port", "not-a-number")));
    }

    @Test
    void redisDownIsAConnectionError() throws Exception {
        int nothingListens = RedisServer.freePort();
        assertThrows(ConnectionException.class, () -> GroupConnector.connect(
                GroupConfig.builder("redis://127.0.0.1:" + nothingListens).commandTimeout(Duration.ofSeconds(2)).build()));
        assertThrows(ConnectionException.class,
                () -> RedisConn.create_group_connector("127.0.0.1", Map.of("port", nothingListens)));
    }

    @Test
    void theSeedConfMapIsNotModified() {
        Map<String, Object> conf = new HashMap<>();
        conf.put("port", REDIS.port());
        conf.put("group-name", "unmodified");
        Map<String, Object> copy = new HashMap<>(conf);
        Object c = RedisConn.create_group_connector("127.0.0.1", conf);
        RedisConn.close(c);
        assertEquals(copy, conf);
        // An unmodifiable map works too.
        RedisConn.close(RedisConn.create_group_connector("127.0.0.1", Collections.unmodifiableMap(conf)));
    }

    @Test
    void aClosedConnectorRefusesEveryCall() {
        GroupConnector c = GroupConnector.connect(REDIS.freshGroup().build());
        c.close();
        List<Executable> calls = List.of(c::join, () -> c.join("m"), c::leave, c::members, c::sessionId,
                () -> c.lock("l"), () -> c.release("l"), () -> c.isHeld("l"), () -> c.ephemeralSet("k", 1),
                () -> c.ephemeralGet("k"), () -> c.ephemeralList(""), () -> c.persistentSet("p", 1),
                () -> c.persistentGet("p"), () -> c.persistentList(""), () -> c.addSubGroup("s"),
                () -> c.addMemberListener(e -> { }), () -> c.addConnectionStateListener(s -> { }));
        for (Executable call : calls) {
            assertThrows(ConnectorClosedException.class, call);
        }
        assertEquals(ConnectionState.CLOSED, c.state());
        c.close();
        // The seed API: the same, and a wrong object is refused clearly.
        assertThrows(ConnectorClosedException.class, () -> RedisConn.lock(c, "l"));
        RedisConn.close(c);
        invalid(() -> RedisConn.lock(null, "l"));
        invalid(() -> RedisConn.lock("not a connector", "l"));
        invalid(() -> RedisConn.getMembers(new Object()));
    }

    @Test
    void closeRacingWithCallsNeverCrashes() throws Exception {
        for (int attempt = 0; attempt < 5; attempt++) {
            GroupConnector c = GroupConnector.connect(REDIS.freshGroup().build());
            ExecutorService pool = Executors.newFixedThreadPool(8);
            CountDownLatch started = new CountDownLatch(8);
            List<Future<Integer>> workers = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                String lock = "race-" + t;
                workers.add(pool.submit(() -> {
                    started.countDown();
                    int ok = 0;
                    try {
                        while (true) {
                            c.lock(lock).ifPresent(LockHandle::close);
                            c.isHeld(lock);
                            ok++;
                        }
                    } catch (ConnectorClosedException expected) {
                        return ok;
                    }
                }));
            }
            started.await(20, TimeUnit.SECONDS);
            Thread.sleep(20); // let calls be in flight; correctness does not depend on it
            ExecutorService closers = Executors.newFixedThreadPool(3);
            for (int i = 0; i < 3; i++) {
                closers.submit(c::close);
            }
            for (Future<Integer> worker : workers) {
                worker.get(20, TimeUnit.SECONDS); // each ends with ConnectorClosedException, not a crash
            }
            closers.shutdown();
            assertTrue(closers.awaitTermination(20, TimeUnit.SECONDS));
            pool.shutdown();
            assertTrue(c.isClosed());
        }
    }

    @Test
    void aNativePanicBecomesAJavaExceptionAndTheLibraryStaysUsable() {
        GroupRedisException thrown = assertThrows(GroupRedisException.class, NativeLib::selfTestPanic);
        assertTrue(thrown.getMessage().contains("self-test panic"), thrown.getMessage());
        try (GroupConnector c = GroupConnector.connect(REDIS.freshGroup().build())) {
            assertTrue(c.lock("after-panic").isPresent());
        }
    }

    @Test
    void closeEndsACallWaitingForALock() throws Exception {
        GroupConfig config = REDIS.freshGroup().build();
        try (GroupConnector holder = GroupConnector.connect(config)) {
            assertTrue(holder.lock("held-long").isPresent());
            GroupConnector waiter = GroupConnector.connect(config);
            java.util.concurrent.CompletableFuture<Object> waiting = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> waiter.tryLock("held-long", Duration.ofSeconds(60)));
            Thread.sleep(100); // let it start waiting; the outcome does not depend on it
            waiter.close();
            java.util.concurrent.ExecutionException ended = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> waiting.get(20, TimeUnit.SECONDS));
            assertTrue(ended.getCause() instanceof ConnectorClosedException, String.valueOf(ended.getCause()));
        }
    }

    @Test
    void urlsThatDoNotParseNeverShowThePassword() {
        for (String url : new String[] {"redis://user:hunter2@127.0.0.1:99999", "redis://user:hunter2@bad host:6379",
                "redis://user:hunter2@[::1:6379", "user:hunter2@127.0.0.1:6379"}) {
            GroupRedisException err = assertThrows(GroupRedisException.class,
                    () -> GroupConnector.connect(GroupConfig.builder(url).build()).close());
            assertTrue(!String.valueOf(err.getMessage()).contains("hunter2") && !err.toString().contains("hunter2"),
                    url + ": " + err);
        }
    }
}
