package group_redis;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/** Waiting on events with a generous bound that ends as soon as the event arrives. */
final class Waits {
    static final long BOUND_MS = 20_000;

    private Waits() {
    }

    /** Takes items from {@code queue} until one matches; fails after the bound. */
    static <T> T awaitMatching(BlockingQueue<T> queue, Predicate<T> wanted, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BOUND_MS);
        while (true) {
            long left = deadline - System.nanoTime();
            T item = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
            if (item == null) {
                return fail("no " + what + " within " + BOUND_MS + " ms");
            }
            if (wanted.test(item)) {
                return item;
            }
        }
    }

    /** Polls a local condition (no I/O involved) until it holds; fails after the bound. */
    static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BOUND_MS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail(what + " did not happen within " + BOUND_MS + " ms");
            }
            Thread.sleep(10);
        }
    }
}
