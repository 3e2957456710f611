package group_redis;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs the blocking calls behind {@link GroupConnector}'s {@code *Async} methods on an
 * executor, so the caller's thread never waits for Redis.
 *
 * <p>The executor is the one given with {@link GroupConfig.Builder#asyncExecutor}, else a pool
 * owned by the connector: daemon threads named {@code group-redis-async-N}, one per call in
 * flight, that end after {@value #IDLE_SECONDS} s without work and are shut down with the
 * connector. It grows with the calls in flight instead of queueing them because a waiting
 * lock call occupies its thread: a bounded pool could queue the very release it waits for.
 *
 * <p>Futures complete with the call's own exception ({@link RedisTimeoutException}, ...), not a
 * wrapper. A future completed before its call started (cancelled, or timed out with
 * {@code orTimeout}) skips the call. A call that had already started runs to its end, and a
 * result nobody can receive any more is handed to an undo action: a lock acquired for a
 * cancelled future is released at once, so no lock stays held that no caller knows about.
 */
final class AsyncCalls {
    static final long IDLE_SECONDS = 30;

    private final Executor executor;
    /** The pool this object created (shut down by {@link #shutdown()}), or null for a given one. */
    private final ExecutorService ownPool;

    private AsyncCalls(Executor executor, ExecutorService ownPool) {
        this.executor = executor;
        this.ownPool = ownPool;
    }

    /** Calls on {@code given}, or on a pool of our own when it is null. */
    static AsyncCalls on(Executor given) {
        if (given != null) {
            return new AsyncCalls(given, null);
        }
        ThreadPoolExecutor pool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, IDLE_SECONDS, TimeUnit.SECONDS,
                new SynchronousQueue<>(), daemonThreads());
        return new AsyncCalls(pool, pool);
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, "group-redis-async-" + count.incrementAndGet());
            thread.setDaemon(true); // a forgotten future never keeps the JVM alive
            return thread;
        };
    }

    /**
     * Runs {@code prepare} on the caller's thread (argument checks and JSON encoding: no I/O,
     * and done before the caller may change the objects it passed), then {@code call} with its
     * result on the executor. A failing {@code prepare} gives a failed future, not an exception.
     */
    <P, T> CompletableFuture<T> prepareThenSubmit(Supplier<P> prepare, Function<P, T> call) {
        P prepared;
        try {
            prepared = prepare.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return submit(() -> call.apply(prepared), null);
    }

    /**
     * Runs {@code call} on the executor; when its result can no longer be delivered because
     * the future was completed meanwhile (cancelled, timed out), gives it to {@code undo}.
     */
    <T> CompletableFuture<T> submit(Supplier<T> call, Consumer<T> undo) {
        CompletableFuture<T> future = new CompletableFuture<>();
        Runnable task = () -> {
            if (future.isDone()) {
                return; // cancelled before it started: nothing was done, nothing to undo
            }
            T result;
            try {
                result = call.get();
            } catch (RuntimeException e) {
                future.completeExceptionally(e);
                return;
            } catch (Error e) {
                future.completeExceptionally(e);
                throw e;
            }
            if (!future.complete(result) && undo != null) {
                undo.accept(result);
            }
        };
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            future.completeExceptionally(ownPool != null && ownPool.isShutdown()
                    ? new ConnectorClosedException("connector is closed")
                    : e);
        }
        return future;
    }

    /**
     * Stops taking calls (they fail with {@link ConnectorClosedException}); calls already
     * running finish, failing the same way once the connector is closed. A given executor is
     * the caller's to shut down.
     */
    void shutdown() {
        if (ownPool != null) {
            ownPool.shutdown();
        }
    }
}
