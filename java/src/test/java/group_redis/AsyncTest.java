package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The CompletableFuture variants: same results and exceptions, never the caller's thread, safe cancel. */
class AsyncTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    /** Waits for a future with the tests' generous bound. */
    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(Waits.BOUND_MS, TimeUnit.MILLISECONDS);
    }

    /** The exception a future failed with, as the blocking call would have thrown it. */
    private static Throwable failure(CompletableFuture<?> future) throws InterruptedException {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> future.get(Waits.BOUND_MS, TimeUnit.MILLISECONDS));
        return e.getCause();
    }

    @Test
    void asyncCallsGiveWhatTheBlockingOnesGive() throws Exception {
        GroupConfig.Builder group = REDIS.freshGroup();
        try (GroupConnector connector = GroupConnector.connect(group.memberId("async-1").build())) {
            assertEquals("async-1", await(connector.joinAsync()).id());
            assertEquals(List.of("async-1"), await(connector.membersAsync()).stream().map(Member::id).collect(Collectors.toList()));

            long version = await(connector.persistentSetAsync("config/size", 500));
            assertEquals(500, await(connector.persistentGetAsync("config/size")));
            assertEquals(version, await(connector.persistentGetVersionedAsync("config/size")).version());
            assertEquals(OptionalLong.empty(), await(connector.persistentCompareAndSetAsync("config/size", version + 7, 1)));
            assertTrue(await(connector.persistentCompareAndSetAsync("config/size", version, 600)).isPresent());
            Map<String, Object> many = new LinkedHashMap<>();
            many.put("config/a", "x");
            many.put("config/b", List.of(1, 2));
            assertEquals(2, await(connector.persistentSetManyAsync(many)).size());
            assertEquals(List.of("config/a", "config/b", "config/size"),
                    await(connector.persistentListAsync("config/")).stream().map(Entry::path).collect(Collectors.toList()));
            assertTrue(await(connector.persistentDeleteAsync("config/a")));
            assertFalse(await(connector.persistentDeleteAsync("config/a")));

            assertNull(await(connector.ephemeralSetAsync("addr", "10.0.0.1:80")));
            assertEquals("10.0.0.1:80", await(connector.ephemeralGetAsync("addr")));
            assertEquals(Map.of("addr", "10.0.0.1:80"), await(connector.ephemeralListAsync("")));
            assertTrue(await(connector.ephemeralDeleteAsync("addr")));

            LockHandle lock = await(connector.lockAsync("l")).orElseThrow();
            assertTrue(connector.isHeld("l"));
            assertEquals(Optional.empty(), await(connector.lockAsync("l")));
            assertTrue(await(connector.releaseAsync("l")));
            assertFalse(lock.isHeld());
            assertTrue(await(connector.reentrantLockAsync("r")).isPresent());
            assertTrue(await(connector.reentrantLockAsync("r")).isPresent());
            assertTrue(await(connector.releaseAsync("r")));
            assertTrue(await(connector.releaseAsync("r")));
            assertFalse(await(connector.releaseAsync("r")));

            assertTrue(await(connector.leaveAsync()));
            assertEquals(List.of(), await(connector.membersAsync()));
        }
    }

    @Test
    void aWaitingLockCallReturnsAtOnceAndCompletesOnAPoolThreadWhenTheHolderReleases() throws Exception {
        GroupConfig.Builder group = REDIS.freshGroup();
        try (GroupConnector holder = GroupConnector.connect(group.memberId("holder").build());
             GroupConnector waiter = GroupConnector.connect(group.memberId("waiter").build())) {
            LockHandle held = holder.lock("busy").orElseThrow();
            CompletableFuture<Optional<LockHandle>> waiting = waiter.tryLockAsync("busy", Duration.ofSeconds(60));
            // The lock is held, so the call cannot have completed: it returned without waiting.
            assertFalse(waiting.isDone());
            CompletableFuture<Thread> completedOn = waiting.thenApply(acquired -> Thread.currentThread());
            held.release();
            // Wait on the dependent stage, not on `waiting`: a thread blocked in
            // waiting.get() helps run waiting's dependents once it completes, so the stage
            // could then run on this thread instead of the pool's.
            Thread poolThread = await(completedOn);
            LockHandle taken = waiting.getNow(Optional.empty()).orElseThrow();
            assertTrue(taken.token() > held.token());
            assertTrue(poolThread.getName().startsWith("group-redis-async-"), poolThread.getName());
            assertTrue(poolThread.isDaemon());
            assertTrue(waiter.isHeld("busy"));
        }
    }

    @Test
    void aGivenExecutorRunsTheCalls() throws Exception {
        List<Runnable> ran = new ArrayList<>();
        Executor counting = task -> {
            synchronized (ran) {
                ran.add(task);
            }
            new Thread(task, "given-executor").start();
        };
        try (GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().asyncExecutor(counting).build())) {
            CompletableFuture<Thread> on = connector.persistentSetAsync("p", 1).thenApply(v -> Thread.currentThread());
            await(connector.persistentGetAsync("p"));
            synchronized (ran) {
                assertEquals(2, ran.size());
            }
            String name = await(on).getName();
            // Either the executor's thread, or this one if the set finished before thenApply.
            assertTrue(name.equals("given-executor") || name.equals(Thread.currentThread().getName()), name);
        }
    }

    @Test
    @SuppressWarnings("try") // closes `other` early, to see what its futures do then
    void futuresFailWithTheSameExceptionClassesAsTheBlockingCalls() throws Exception {
        GroupConfig.Builder group = REDIS.freshGroup();
        try (GroupConnector owner = GroupConnector.connect(group.memberId("owner").build());
             GroupConnector other = GroupConnector.connect(group.memberId("other").build())) {
            owner.join();
            owner.ephemeralSet("mine", 1);
            assertInstanceOf(MemberExistsException.class, failure(other.joinAsync("owner", null)));
            assertInstanceOf(KeyOwnedException.class, failure(other.ephemeralSetAsync("mine", 2)));
            // Checked on the caller's thread, yet reported through the future, not thrown.
            assertInstanceOf(InvalidJsonException.class, failure(other.persistentSetAsync("p", Double.NaN)));
            assertInstanceOf(InvalidArgumentException.class, failure(other.tryLockAsync("l", null)));
            assertInstanceOf(InvalidArgumentException.class, failure(other.lockAsync(null)));
            assertInstanceOf(InvalidArgumentException.class, failure(other.persistentSetManyAsync(null)));
            // join() is not wrapped in a CompletionException's cause chain twice: one level.
            Throwable viaJoin = assertThrows(java.util.concurrent.CompletionException.class,
                    () -> other.ephemeralSetAsync("mine", 3).join()).getCause();
            assertInstanceOf(KeyOwnedException.class, viaJoin);
            other.close();
            assertInstanceOf(ConnectorClosedException.class, failure(other.membersAsync()));
            assertInstanceOf(ConnectorClosedException.class, failure(other.tryLockAsync("l", Duration.ofSeconds(1))));
        }
    }

    @Test
    void aLockAcquiredForACancelledFutureIsReleasedAtOnce() throws Exception {
        GroupConfig.Builder group = REDIS.freshGroup();
        String lockKey = "gr:{" + group.build().group() + "}:lock:contended";
        String queueKey = "gr:{" + group.build().group() + "}:lockwait:contended";
        String fenceKey = "gr:{" + group.build().group() + "}:fence";
        try (GroupConnector holder = GroupConnector.connect(group.memberId("holder").build());
             GroupConnector canceller = GroupConnector.connect(group.memberId("canceller").build());
             GroupConnector third = GroupConnector.connect(group.memberId("third").build())) {
            LockHandle first = holder.lock("contended").orElseThrow();
            CompletableFuture<Optional<LockHandle>> waiting = canceller.tryLockAsync("contended", Duration.ofSeconds(60));
            // Cancel only once the call is inside its wait in Redis (in the lock's queue), so
            // the acquisition after the cancel really happens and must be undone.
            Waits.awaitTrue(() -> "1".equals(redisCli("LLEN", queueKey)), "the async call waiting on the lock");
            assertTrue(waiting.cancel(true));
            first.release();

            // Nobody else contends, so the release hands the lock to the cancelled call (the
            // group's token high-water mark moves on by one) and it must give the lock back
            // (a free lock has no hash). Without the undo, `canceller` would hold it for its
            // whole session and this wait would fail.
            String acquiredToken = Long.toString(first.token() + 1);
            Waits.awaitTrue(() -> acquiredToken.equals(redisCli("GET", fenceKey))
                    && "0".equals(redisCli("EXISTS", lockKey)),
                    "the lock acquired for the cancelled future, then released");
            LockHandle next = third.lock("contended").orElseThrow();
            assertEquals(first.token() + 2, next.token());
            assertFalse(canceller.isHeld("contended"));
            assertTrue(waiting.isCancelled());
        }
    }

    @Test
    void aCallCancelledBeforeItStartsIsNotMade() throws Exception {
        List<Runnable> queued = new ArrayList<>();
        Executor later = queued::add; // runs nothing until the test says so
        try (GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().asyncExecutor(later).build())) {
            CompletableFuture<Long> set = connector.persistentSetAsync("never", 1);
            CompletableFuture<Optional<LockHandle>> lock = connector.lockAsync("never");
            assertTrue(set.cancel(false));
            assertTrue(lock.cancel(false));
            assertEquals(2, queued.size());
            queued.forEach(Runnable::run);
            assertNull(connector.persistentGet("never"));
            assertFalse(connector.isHeld("never"));
            assertTrue(connector.lock("never").isPresent());
        }
    }

    /** One command through redis-cli: a test-only look at the lock's state in Redis. */
    private static String redisCli(String... args) {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-p", String.valueOf(REDIS.port())));
        command.addAll(List.of(args));
        try {
            Process cli = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertTrue(cli.waitFor(20, TimeUnit.SECONDS) && cli.exitValue() == 0, "redis-cli " + args[0] + ": " + out);
            return out;
        } catch (IOException e) {
            throw new AssertionError("redis-cli did not run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
