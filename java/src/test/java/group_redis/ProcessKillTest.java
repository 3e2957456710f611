package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A member in a second JVM killed with SIGKILL is seen leaving (expired) by this one. */
class ProcessKillTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    @Test
    void aKilledJvmIsSeenLeavingAndItsLockAndKeyAreFreed() throws Exception {
        GroupConfig config = REDIS.freshGroup().memberId("watcher").build();
        try (GroupConnector watcher = GroupConnector.connect(config)) {
            BlockingQueue<MembershipEvent> events = new LinkedBlockingQueue<>();
            watcher.addMemberListener(events::add);

            String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
            Process child = new ProcessBuilder(List.of(java, "-Xcheck:jni", "-cp", System.getProperty("java.class.path"),
                    MemberProcess.class.getName(), REDIS.url(), config.group(), "doomed", "2000"))
                    .redirectErrorStream(true).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                String line;
                while ((line = out.readLine()) != null && !line.equals("READY")) {
                    System.out.println("[child] " + line);
                }
                assertEquals("READY", line, "the child JVM did not get ready");
                Waits.awaitMatching(events, e -> e.joinedMembers().stream().anyMatch(m -> m.id().equals("doomed")),
                        "join of the child");
                assertTrue(watcher.lock("killed-holds-this").isEmpty(), "the child holds the lock");

                child.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no close
                assertTrue(child.waitFor(20, TimeUnit.SECONDS));
                assertEquals(137, child.exitValue(), "killed by SIGKILL");

                MembershipEvent left = Waits.awaitMatching(events,
                        e -> e.leftMembers().stream().anyMatch(m -> m.id().equals("doomed")), "leave of the killed child");
                assertEquals(LeaveReason.EXPIRED, left.reason());
                assertTrue(watcher.tryLock("killed-holds-this", Duration.ofSeconds(20)).isPresent());
                assertNull(watcher.ephemeralGet("killed-owns-this"));
            } finally {
                child.destroyForcibly();
            }
        }
    }
}
