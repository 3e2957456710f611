package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** lockHolder: who holds a lock, as every connector of the group sees it in Redis. */
class LockHolderTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    @Test
    void aFreeLockHasNoHolder() throws Exception {
        try (GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build())) {
            assertEquals(Optional.empty(), connector.lockHolder("never-taken"));
            assertEquals(Optional.empty(), connector.lockHolderAsync("never-taken").get(Waits.BOUND_MS, TimeUnit.MILLISECONDS));
        }
    }

    @Test
    void theHolderIsThisMemberSessionAndTokenSeenFromBothConnectorsUntilReleased() throws Exception {
        GroupConfig.Builder group = REDIS.freshGroup();
        try (GroupConnector holder = GroupConnector.connect(group.memberId("holder").build());
                GroupConnector other = GroupConnector.connect(group.memberId("other").build())) {
            assertEquals("holder", holder.memberId());
            LockHandle lock = holder.lock("report").orElseThrow();
            LockHolder expected = new LockHolder("holder", holder.sessionId(), lock.token());
            assertEquals(Optional.of(expected), holder.lockHolder("report"));
            assertEquals(Optional.of(expected), other.lockHolder("report"));
            assertEquals(Optional.of(expected), other.lockHolderAsync("report").get(Waits.BOUND_MS, TimeUnit.MILLISECONDS));
            assertEquals(expected.hashCode(), other.lockHolder("report").orElseThrow().hashCode());
            assertNotEquals(other.sessionId(), expected.session());

            lock.release();
            assertEquals(Optional.empty(), holder.lockHolder("report"));
            assertEquals(Optional.empty(), other.lockHolder("report"));

            // The next hold has a new token, so it is a different holder record.
            try (LockHandle next = other.tryLock("report", Duration.ZERO).orElseThrow()) {
                LockHolder now = holder.lockHolder("report").orElseThrow();
                assertEquals(new LockHolder("other", other.sessionId(), next.token()), now);
                assertNotEquals(expected, now);
            }
        }
    }

    @Test
    void lockStatusNamesTheHolderAndNoGraceOnAGroupThatLostNothing() {
        try (GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build())) {
            LockStatus free = connector.lockStatus("status");
            assertEquals(Optional.empty(), free.holder());
            assertEquals(Optional.empty(), free.grantsHeldUntil());
            try (LockHandle lock = connector.lock("status").orElseThrow()) {
                LockStatus held = connector.lockStatus("status");
                assertEquals(lock.token(), held.holder().orElseThrow().token());
                assertEquals(Optional.empty(), held.grantsHeldUntil());
            }
        }
    }

    @Test
    void aLockTakenForAnotherMemberNamesThatMemberAndThisSession() {
        try (GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build())) {
            try (LockHandle lock = connector.acquire("shared", "member-b", false, Duration.ZERO).orElseThrow()) {
                LockHolder holder = connector.lockHolder("shared").orElseThrow();
                assertEquals("member-b", holder.member());
                assertEquals(connector.sessionId(), holder.session());
                assertEquals(lock.token(), holder.token());
                assertEquals("LockHolder{member=member-b, session=" + connector.sessionId() + ", token="
                        + lock.token() + "}", holder.toString());
            }
        }
    }

    @Test
    void invalidNamesAreRefused() {
        try (GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build())) {
            for (String bad : new String[] {null, "", "x".repeat(1025)}) {
                assertThrows(InvalidArgumentException.class, () -> connector.lockHolder(bad));
                ExecutionException failed = assertThrows(ExecutionException.class,
                        () -> connector.lockHolderAsync(bad).get(Waits.BOUND_MS, TimeUnit.MILLISECONDS));
                assertEquals(InvalidArgumentException.class, failed.getCause().getClass());
            }
            assertEquals(Optional.empty(), connector.lockHolder("still-usable"));
        }
    }

    @Test
    void aGrantNoReplicaAcknowledgesIsGivenBackAndThrows() {
        // No replica runs here: with waitReplicas the grant is never reported as acquired
        // (docs/SAFETY.md, "Waiting for replicas"; a real replica: core/tests/wait_replicas.rs).
        GroupConfig.Builder group = REDIS.freshGroup();
        assertThrows(InvalidArgumentException.class, () -> group.waitReplicas(-1, null));
        try (GroupConnector connector = GroupConnector.connect(
                group.waitReplicas(1, Duration.ofMillis(200)).build())) {
            assertThrows(RedisTimeoutException.class, () -> connector.lock("waited"));
            assertEquals(false, connector.isHeld("waited"));
            assertEquals(Optional.empty(), connector.lockHolder("waited"));
        }
    }
}
