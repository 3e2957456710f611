package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A connector whose session was lost is told what it could not restore under the new one:
 * here another connector takes its member id and ephemeral key meanwhile.
 */
class RestoreFailuresTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    @Test
    void nothingToReportOnAHealthyConnector() {
        try (GroupConnector c = GroupConnector.connect(REDIS.freshGroup().build())) {
            assertEquals(List.of(), c.takeRestoreFailures());
        }
    }

    @Test
    void whatAnotherProcessTookIsReportedOnReconnected() throws Exception {
        // A heartbeat every second leaves ample time to take its id and key before it notices.
        GroupConfig config = REDIS.freshGroup().memberId("phoenix").sessionTimeout(Duration.ofSeconds(3))
                .heartbeat(Duration.ofSeconds(1)).build();
        try (GroupConnector lost = GroupConnector.connect(config);
                GroupConnector other = GroupConnector.connect(
                        GroupConfig.builder(REDIS.url()).group(config.group()).memberId("other").build())) {
            lost.join();
            lost.ephemeralSet("phoenix/k", 1);
            BlockingQueue<List<Map<String, Object>>> reported = new LinkedBlockingQueue<>();
            lost.addConnectionStateListener(state -> {
                if (state == ConnectionState.RECONNECTED) {
                    reported.add(lost.takeRestoreFailures());
                }
            });
            // Redis forgets the session, as after others reaped it during a long freeze.
            String sessions = "gr:{" + config.group() + "}:sessions";
            Process cli = new ProcessBuilder("redis-cli", "-p", String.valueOf(REDIS.port()), "ZREM", sessions,
                    lost.sessionId()).redirectErrorStream(true).start();
            assertTrue(cli.waitFor(20, TimeUnit.SECONDS) && cli.exitValue() == 0, "redis-cli ZREM");
            other.join("phoenix");
            other.ephemeralSet("phoenix/k", 2);

            List<Map<String, Object>> failures = reported.poll(20, TimeUnit.SECONDS);
            assertTrue(failures != null, "no RECONNECTED");
            List<String> kinds = new ArrayList<>();
            for (Map<String, Object> failure : failures) {
                kinds.add(failure.get("kind") + ":" + failure.get("name"));
                assertTrue(!String.valueOf(failure.get("error")).isEmpty());
            }
            kinds.sort(null);
            assertEquals(List.of("ephemeral:phoenix/k", "member:phoenix"), kinds);
            assertEquals(List.of(), lost.takeRestoreFailures(), "taken once");
            assertEquals(2, other.ephemeralGet("phoenix/k"));
        }
    }
}
