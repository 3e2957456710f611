package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The object API against a real Redis: membership, locks, data, values. */
class GroupConnectorTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    @Test
    void membersCarryPayloadSubGroupsAndJoinTime() {
        GroupConfig config = REDIS.freshGroup().memberId("alpha").subGroups(List.of("workers"))
                .payload(Map.of("port", 8080)).build();
        try (GroupConnector connector = GroupConnector.connect(config)) {
            Member joined = connector.join();
            assertEquals("alpha", joined.id());
            connector.join("beta", List.of(1, "two"));
            List<Member> members = connector.members();
            assertEquals(List.of("alpha", "beta"), Arrays.asList(members.get(0).id(), members.get(1).id()));
            assertEquals(Map.of("port", 8080), members.get(0).payload());
            assertEquals(List.of(1, "two"), members.get(1).payload());
            assertEquals(List.of("workers"), members.get(0).subGroups());
            assertTrue(members.get(0).joinedAt() > 1_600_000_000_000L);

            connector.addSubGroup("extra");
            assertEquals(List.of("workers", "extra"), connector.members().get(0).subGroups());
            connector.removeSubGroup("workers");
            assertEquals(List.of("extra"), connector.subGroups());

            assertTrue(connector.leave("beta"));
            assertFalse(connector.leave("beta"));
            assertEquals(1, connector.members().size());
        }
    }

    @Test
    void closeLeavesReleasesAndDeletesAtOnce() {
        GroupConfig config = REDIS.freshGroup().build();
        try (GroupConnector observer = GroupConnector.connect(config)) {
            GroupConnector owner = GroupConnector.connect(config);
            owner.join("owner");
            owner.ephemeralSet("eph", "x");
            assertTrue(owner.lock("l").isPresent());
            owner.close();
            owner.close(); // idempotent
            assertEquals(List.of(), observer.members());
            assertNull(observer.ephemeralGet("eph"));
            assertTrue(observer.lock("l").isPresent());
            assertEquals(ConnectionState.CLOSED, owner.state());
        }
    }

    @Test
    void locksReturnGrowingFencingTokensAndReleaseWithTryWithResources() {
        try (GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build())) {
            long first;
            try (LockHandle lock = connector.lock("res").orElseThrow()) {
                first = lock.token();
                assertTrue(lock.isHeld());
                assertTrue(connector.isHeld("res"));
                assertEquals(OptionalLong.of(first), connector.heldToken("res"));
                assertTrue(connector.lock("res").isEmpty(), "not re-entrant");
            }
            assertFalse(connector.isHeld("res"));
            try (LockHandle again = connector.lock("res").orElseThrow()) {
                assertTrue(again.token() > first, again.token() + " > " + first);
            }
            try (LockHandle outer = connector.reentrantLock("re").orElseThrow();
                    LockHandle inner = connector.reentrantLock("re").orElseThrow()) {
                assertEquals(outer.token(), inner.token());
            }
            assertFalse(connector.isHeld("re"));
        }
    }

    @Test
    void tryLockWaitsForTheHoldersRelease() throws Exception {
        GroupConfig config = REDIS.freshGroup().build();
        try (GroupConnector holder = GroupConnector.connect(config);
                GroupConnector waiter = GroupConnector.connect(config)) {
            LockHandle held = holder.lock("busy").orElseThrow();
            CompletableFuture<Optional<LockHandle>> waiting = CompletableFuture
                    .supplyAsync(() -> waiter.tryLock("busy", Duration.ofSeconds(20)));
            // Release only once the waiter is blocked in Redis-side contention.
            assertTrue(waiter.lock("busy").isEmpty());
            held.close();
            Optional<LockHandle> got = waiting.get(20, TimeUnit.SECONDS);
            assertTrue(got.isPresent());
            assertTrue(got.get().token() > held.token());
            assertTrue(waiter.tryLock("never", Duration.ZERO).isPresent());
            assertTrue(holder.tryLock("never", Duration.ofMillis(50)).isEmpty(), "times out while held");
        }
    }

    @Test
    @SuppressWarnings("deprecation") // the deprecated tryLock(name) must keep working
    void lockMakesOneAttemptAndTheDeprecatedTryLockWithoutAWaitStillDoesTheSame() throws Exception {
        GroupConfig.Builder group = REDIS.freshGroup();
        try (GroupConnector holder = GroupConnector.connect(group.memberId("holder").build());
                GroupConnector other = GroupConnector.connect(group.memberId("other").build())) {
            LockHandle held = holder.lock("one-attempt").orElseThrow();
            // The holder keeps the lock throughout: a call that waited would not return.
            assertEquals(Optional.empty(), other.lock("one-attempt"));
            assertEquals(Optional.empty(), other.tryLock("one-attempt"));
            assertEquals(Optional.empty(), other.tryLockAsync("one-attempt").get(Waits.BOUND_MS, TimeUnit.MILLISECONDS));
            assertEquals(Optional.empty(), other.lockAsync("one-attempt").get(Waits.BOUND_MS, TimeUnit.MILLISECONDS));
            held.close();
            try (LockHandle deprecated = other.tryLock("one-attempt").orElseThrow()) {
                assertTrue(deprecated.token() > held.token());
                assertTrue(other.isHeld("one-attempt"));
            }
            try (LockHandle viaFuture = other.tryLockAsync("one-attempt")
                    .get(Waits.BOUND_MS, TimeUnit.MILLISECONDS).orElseThrow()) {
                assertTrue(viaFuture.isHeld());
            }
        }
    }

    @Test
    void ephemeralListIsInKeyOrder() {
        try (GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build())) {
            for (String key : List.of("svc/m", "svc/b", "svc/z", "svc/a", "other")) {
                connector.ephemeralSet(key, key.length());
            }
            assertEquals(List.of("svc/a", "svc/b", "svc/m", "svc/z"), List.copyOf(connector.ephemeralList("svc/").keySet()));
            assertEquals(5, connector.ephemeralList("svc/").get("svc/z"));
        }
    }

    @Test
    void memberIdIsTheConfiguredOneOrHostnameDashPid() {
        try (GroupConnector named = GroupConnector.connect(REDIS.freshGroup().memberId("named").build());
                GroupConnector unnamed = GroupConnector.connect(REDIS.freshGroup().build())) {
            assertEquals("named", named.memberId());
            assertTrue(unnamed.memberId().endsWith("-" + ProcessHandle.current().pid()), unnamed.memberId());
            assertEquals(unnamed.memberId(), unnamed.join().id());
        }
    }

    @Test
    void lockOnBehalfOfAnotherMember() {
        try (GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build())) {
            LockHandle lock = connector.acquire("shared", "member-b", false, Duration.ZERO).orElseThrow();
            assertFalse(connector.release("shared"), "held by member-b, not by us");
            assertTrue(lock.release());
            assertFalse(lock.release(), "released once");
        }
    }

    @Test
    void ephemeralDataReplacesListsAndDeletes() {
        try (GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build())) {
            connector.ephemeralSet("svc/a", 1);
            connector.ephemeralSet("svc/a", 2);
            connector.ephemeralSet("svc/b", Map.of("k", "v"));
            connector.ephemeralSet("other", true);
            assertEquals(2, connector.ephemeralGet("svc/a"));
            Map<String, Object> expected = new LinkedHashMap<>();
            expected.put("svc/a", 2);
            expected.put("svc/b", Map.of("k", "v"));
            assertEquals(expected, connector.ephemeralList("svc/"));
            assertTrue(connector.ephemeralDelete("svc/a"));
            assertFalse(connector.ephemeralDelete("svc/a"));
            assertNull(connector.ephemeralGet("svc/a"));
        }
    }

    @Test
    void persistentDataVersionsCasSetManyAndList() {
        GroupConfig config = REDIS.freshGroup().build();
        try (GroupConnector connector = GroupConnector.connect(config)) {
            assertEquals(1, connector.persistentSet("cfg/a", "x"));
            assertEquals(2, connector.persistentSet("cfg/a", "y"));
            Versioned current = connector.persistentGetVersioned("cfg/a");
            assertEquals(new Versioned("y", 2), current);
            assertEquals(OptionalLong.empty(), connector.persistentCompareAndSet("cfg/a", 1, "stale"));
            assertEquals(OptionalLong.of(3), connector.persistentCompareAndSet("cfg/a", 2, "z"));
            assertEquals(OptionalLong.of(1), connector.persistentCompareAndSet("cfg/new", 0, "fresh"));

            Map<String, Object> many = new LinkedHashMap<>();
            many.put("cfg/b", 1);
            many.put("cfg/c", List.of(1, 2));
            assertEquals(List.of(1L, 1L), connector.persistentSetMany(many));
            List<Entry> entries = connector.persistentList("cfg/");
            assertEquals(List.of("cfg/a", "cfg/b", "cfg/c", "cfg/new"),
                    Arrays.asList(entries.get(0).path(), entries.get(1).path(), entries.get(2).path(), entries.get(3).path()));
            assertEquals(List.of(1, 2), entries.get(2).value());
            assertTrue(connector.persistentDelete("cfg/b"));
            assertFalse(connector.persistentDelete("cfg/b"));
            assertNull(connector.persistentGet("cfg/b"));
        }
        // Persistent data outlives the connector.
        try (GroupConnector later = GroupConnector.connect(config)) {
            assertEquals("z", later.persistentGet("cfg/a"));
        }
    }

    @Test
    void valuesRoundTripWithTheProjectsNumberRules() {
        try (GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build())) {
            Map<String, Object> value = new LinkedHashMap<>();
            value.put("int", 1);
            value.put("long", 5_000_000_000L);
            value.put("double", 1.5);
            value.put("string", "héllo \u2603 \uD83D\uDE00");
            value.put("bool", false);
            value.put("null", null);
            value.put("list", List.of(1, "a", List.of()));
            value.put("map", Map.of("nested", Map.of()));
            connector.persistentSet("v", value);
            Object back = connector.persistentGet("v");
            assertEquals(value, back);
            Map<?, ?> map = (Map<?, ?>) back;
            assertEquals(Integer.class, map.get("int").getClass());
            assertEquals(Long.class, map.get("long").getClass());
            assertEquals(Double.class, map.get("double").getClass());
            // Integers beyond long come back exact (BigInteger), not rounded to a Double.
            java.math.BigInteger u64Max = new java.math.BigInteger("18446744073709551615");
            assertEquals(u64Max, roundTrip(connector, u64Max));
            assertEquals(Long.MIN_VALUE, roundTrip(connector, Long.MIN_VALUE));
            connector.persistentSet("nul", null);
            assertNull(connector.persistentGet("nul"));
            assertEquals(1, connector.persistentGetVersioned("nul").version());
        }
    }

    private static Object roundTrip(GroupConnector connector, Object value) {
        connector.persistentSet("big", value);
        return connector.persistentGet("big");
    }

    @Test
    void stateIsConnectedWhileRedisAnswers() {
        try (GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build())) {
            assertEquals(ConnectionState.CONNECTED, connector.state());
            assertFalse(connector.sessionId().isEmpty());
        }
    }

    @Test
    void joinRefusesAMemberIdOfAnotherLiveSession() {
        GroupConfig config = REDIS.freshGroup().build();
        try (GroupConnector a = GroupConnector.connect(config); GroupConnector b = GroupConnector.connect(config)) {
            a.join("same");
            assertThrows(MemberExistsException.class, () -> b.join("same"));
        }
    }
}
