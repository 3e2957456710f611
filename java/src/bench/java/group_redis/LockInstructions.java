package group_redis;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.redisson.Redisson;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * One library's uncontended lock+release pairs against a redis-server that is already running
 * (env REDIS_URL), for bench/lock_instructions_vs_redisson.sh, which runs redis-server under
 * valgrind and takes (a run of N pairs) - (a run of 0 pairs): so this class does exactly the
 * same before and after the loop whatever N is (connect, create the lock object, close), and
 * no warm-up.
 *
 * <pre>java group_redis.LockInstructions group-redis|redisson|redisson-fair PAIRS</pre>
 *
 * <p>One thread, one lock name, {@code tryLock(name, 30 s)} and release, as a user writes
 * it: group-redis through GroupConnector and LockHandle, Redisson through getLock /
 * getFairLock, {@code tryLock(wait, unit)} (lease -1: its watchdog) and unlock. Timeouts are
 * raised because a redis-server under valgrind answers some 30-50x slower. Periodic work is
 * not lock cost and would differ between the two runs, so it is kept out of both: the
 * group-redis session timeout and Redisson's watchdog timeout are 120 s, so the heartbeat and
 * the watchdog's renewal (a third of it: 40 s) never come within a run that ends sooner, and
 * Redisson's connection ping is off. A run that lasted 40 s or more says so (its count then
 * includes a heartbeat or a renewal; use fewer pairs).
 */
public final class LockInstructions {
    private static final String LOCK = "instr-lock";
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration LEASE = Duration.ofSeconds(120);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private LockInstructions() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: LockInstructions group-redis|redisson|redisson-fair PAIRS  (env REDIS_URL)");
            System.exit(2);
        }
        String url = System.getenv("REDIS_URL");
        if (url == null) {
            throw new IllegalArgumentException("REDIS_URL is not set");
        }
        long pairs = Long.parseLong(args[1]);
        long started = System.nanoTime();
        long loop;
        switch (args[0]) {
            case "group-redis":
                loop = groupRedis(url, pairs);
                break;
            case "redisson":
            case "redisson-fair":
                loop = redisson(url, args[0].equals("redisson-fair"), pairs);
                break;
            default:
                throw new IllegalArgumentException("unknown library " + args[0]);
        }
        double total = (System.nanoTime() - started) / 1e9;
        System.out.printf(Locale.ROOT, "%s: %d pairs in %.2f s (%.2f s from connect to close)%n", args[0], pairs,
                loop / 1e9, total);
        if (total >= LEASE.toSeconds() / 3.0) {
            System.out.printf(Locale.ROOT, "%s: WARNING: the run lasted %.0f s, past the %d s heartbeat/renewal"
                    + " period: its count includes periodic calls (use fewer pairs)%n", args[0], total,
                    LEASE.toSeconds() / 3);
        }
    }

    /** Connects, runs the pairs, closes; returns the loop's nanoseconds. */
    private static long groupRedis(String url, long pairs) {
        GroupConfig config = GroupConfig.builder(url).group("instr").memberId("instr").sessionTimeout(LEASE)
                .commandTimeout(TIMEOUT).build();
        try (GroupConnector connector = GroupConnector.connect(config)) {
            long t0 = System.nanoTime();
            for (long i = 0; i < pairs; i++) {
                try (LockHandle held = connector.tryLock(LOCK, WAIT).orElseThrow(
                        () -> new IllegalStateException("uncontended tryLock was not granted"))) {
                    held.token();
                }
            }
            return System.nanoTime() - t0;
        }
    }

    private static long redisson(String url, boolean fair, long pairs) throws InterruptedException {
        Config config = new Config();
        config.setLockWatchdogTimeout(LEASE.toMillis());
        config.useSingleServer().setAddress(url).setTimeout((int) TIMEOUT.toMillis())
                .setConnectTimeout((int) TIMEOUT.toMillis()).setPingConnectionInterval(0);
        RedissonClient redisson = Redisson.create(config);
        try {
            RLock lock = fair ? redisson.getFairLock(LOCK) : redisson.getLock(LOCK);
            long t0 = System.nanoTime();
            for (long i = 0; i < pairs; i++) {
                if (!lock.tryLock(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    throw new IllegalStateException("uncontended tryLock was not granted");
                }
                lock.unlock();
            }
            return System.nanoTime() - t0;
        } finally {
            redisson.shutdown();
        }
    }
}
