package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Redis restarted empty under a data watch: resync events, never a silent gap. */
class DataWatchResyncTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    private static final Duration BOUND = Duration.ofMillis(Waits.BOUND_MS);

    @Test
    void aRestartWithoutDataGivesResyncDeletesAndRevisionsKeepGrowing() throws Exception {
        GroupConfig config = REDIS.freshGroup().sessionTimeout(Duration.ofMillis(2000))
                .heartbeat(Duration.ofMillis(400)).commandTimeout(Duration.ofMillis(500)).build();
        try (GroupConnector connector = GroupConnector.connect(config)) {
            connector.persistentSet("r/a", 1);
            connector.persistentSet("r/b", 2);
            try (DataWatch watch = connector.watch("r/"); StateSubscription states = connector.subscribeState()) {
                // What the watcher knows: the snapshot, with every event applied to it.
                Map<String, Object> view = new HashMap<>();
                watch.snapshot().entries().forEach(e -> view.put(e.path(), e.value()));
                assertEquals(Map.of("r/a", 1, "r/b", 2), view);
                long lastRevision = watch.snapshot().revision();

                REDIS.server().stopProcess();
                REDIS.server().startProcess(); // empty: the data and its history are gone
                long deadline = System.nanoTime() + BOUND.toNanos();
                boolean resynced = false;
                while (!view.isEmpty() && System.nanoTime() < deadline) {
                    DataEvent event = watch.poll(Duration.ofMillis(500));
                    if (event == null) {
                        continue;
                    }
                    assertTrue(event.resync(), "only resync events after a restart: " + event);
                    assertEquals(DataEvent.Kind.DELETE, event.kind(), event.toString());
                    assertTrue(event.revision() >= lastRevision, "revisions never go back: " + event);
                    view.remove(event.path());
                    resynced = true;
                }
                assertTrue(resynced && view.isEmpty(), "the lost keys were resynced away: " + view);

                // Writes after the restart come as ordinary events, above every earlier revision.
                ConnectionState state;
                do {
                    state = states.poll(BOUND);
                } while (state != null && state != ConnectionState.RECONNECTED);
                assertEquals(ConnectionState.RECONNECTED, state);
                connector.persistentSet("r/c", 3);
                DataEvent after = watch.poll(BOUND);
                assertTrue(after != null && after.kind() == DataEvent.Kind.PUT && "r/c".equals(after.path()),
                        "put of r/c: " + after);
                assertTrue(!after.resync() && after.revision() > lastRevision, after.toString());
            }
        }
    }
}
