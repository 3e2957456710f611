package group_redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.redisson.Redisson;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * Lock throughput of GroupConnector next to Redisson's RLock, on one redis-server started
 * here, plus the JNI per-call overhead. Prints numbers; asserts nothing. Run with
 * java/bench.sh. Every measurement is preceded by a warm-up of the same work.
 */
public final class LockBenchmark {
    private static final int THREADS = 16;
    private static final Duration WARMUP = Duration.ofSeconds(2);
    private static final Duration MEASURE = Duration.ofSeconds(3);
    private static final int ROUNDS = 3;

    private LockBenchmark() {
    }

    /** One lock+release pair on lock {@code name}. */
    @FunctionalInterface
    interface Pair {
        void run(String name) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            System.out.printf(Locale.ROOT, "redis-server on port %d; warm-up %d s, then %d interleaved rounds of %d s;"
                    + " median shown%n", redis.port(), WARMUP.toSeconds(), ROUNDS, MEASURE.toSeconds());
            GroupConnector connector = GroupConnector.connect(GroupConfig.builder(redis.url()).group("bench").build());
            Config redissonConfig = new Config();
            redissonConfig.useSingleServer().setAddress(redis.url());
            RedissonClient redisson = Redisson.create(redissonConfig);
            try {
                Pair ours = name -> {
                    try (LockHandle lock = connector.lock(name).orElseThrow()) {
                        lock.token();
                    }
                };
                Pair theirs = name -> {
                    RLock lock = redisson.getLock(name);
                    lock.lock();
                    lock.unlock();
                };
                // Redisson's lock() starts its watchdog (lease renewal) per acquisition; with an
                // explicit lease it does not. Both are shown so neither is a straw man.
                Pair theirsWithLease = name -> {
                    RLock lock = redisson.getLock(name);
                    if (!lock.tryLock(0, 30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("uncontended tryLock failed");
                    }
                    lock.unlock();
                };
                String[] names = {"group-redis GroupConnector", "Redisson lock()/unlock()",
                    "Redisson tryLock(0,30s)/unlock"};
                Pair[] contenders = {ours, theirs, theirsWithLease};
                for (int threads : new int[] {1, THREADS}) {
                    String scenario = threads == 1 ? "uncontended lock+release, 1 thread"
                            : THREADS + " threads on " + THREADS + " locks";
                    for (Pair contender : contenders) {
                        run(contender, threads, WARMUP);
                    }
                    // Interleaved rounds, median reported: the machine may be shared, so a
                    // burst of other load hits every contender alike rather than one of them.
                    double[][] rates = new double[contenders.length][ROUNDS];
                    for (int round = 0; round < ROUNDS; round++) {
                        for (int i = 0; i < contenders.length; i++) {
                            rates[i][round] = run(contenders[i], threads, MEASURE) / (MEASURE.toNanos() / 1e9);
                        }
                    }
                    for (int i = 0; i < contenders.length; i++) {
                        report(scenario, threads, names[i], rates[i]);
                    }
                }
                jniOverhead(connector);
            } finally {
                redisson.shutdown();
                connector.close();
            }
        }
    }

    private static void report(String scenario, int threads, String who, double[] rates) {
        double[] sorted = rates.clone();
        Arrays.sort(sorted);
        double median = sorted[sorted.length / 2];
        System.out.printf(Locale.ROOT, "%-36s %-32s %8.0f pairs/s  (%.0f us per pair per thread; rounds %.0f..%.0f)%n",
                scenario, who, median, 1e6 / median * threads, sorted[0], sorted[sorted.length - 1]);
    }

    private static long run(Pair pair, int threads, Duration length) throws Exception {
        AtomicLong done = new AtomicLong();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        long[] end = new long[1];
        for (int t = 0; t < threads; t++) {
            String name = "bench-lock-" + t;
            Thread worker = new Thread(() -> {
                try {
                    start.await();
                    long count = 0;
                    while (System.nanoTime() < end[0]) {
                        pair.run(name);
                        count++;
                    }
                    done.addAndGet(count);
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            });
            worker.start();
            workers.add(worker);
        }
        end[0] = System.nanoTime() + length.toNanos();
        start.countDown();
        for (Thread worker : workers) {
            worker.join();
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("a benchmark thread failed", failures.get(0));
        }
        return done.get();
    }

    /** Cost of crossing into native code: a bare call and a call with a string argument. */
    private static void jniOverhead(GroupConnector connector) {
        int calls = 2_000_000;
        for (int round = 0; round < 2; round++) { // first round is the warm-up
            long t0 = System.nanoTime();
            int sum = 0;
            for (int i = 0; i < calls; i++) {
                sum += NativeLib.abiVersion();
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                if (connector.isHeld("bench-lock-0")) {
                    sum++;
                }
            }
            long t2 = System.nanoTime();
            if (round == 1) {
                System.out.printf(Locale.ROOT, "%-36s %-32s %8.1f ns/call%n", "JNI per-call overhead",
                        "bare native call (abiVersion)", (t1 - t0) / (double) calls);
                System.out.printf(Locale.ROOT, "%-36s %-32s %8.1f ns/call%n", "JNI per-call overhead",
                        "isHeld(name): a string, no I/O", (t2 - t1) / (double) calls);
            }
            if (sum == 42) {
                System.out.println(); // keeps the loops from being optimized away
            }
        }
    }
}
