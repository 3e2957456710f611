package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The native library's records reach {@code System.Logger} "group_redis" (here through its
 * default backend, java.util.logging): a member record that is not JSON, written into Redis
 * with redis-cli as a foreign client would, is skipped with a WARNING naming the operation
 * and the group, whether it is met on the caller's thread or on a library thread.
 */
class LogsTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    /** Held: java.util.logging keeps loggers only weakly. */
    private static final Logger JUL = Logger.getLogger(Logs.LOGGER_NAME);

    private final List<Handler> added = new ArrayList<>();

    /** Keeps every record it is given (from any thread). */
    static final class Capture extends Handler {
        private final List<LogRecord> records = new ArrayList<>();

        @Override
        public synchronized void publish(LogRecord record) {
            records.add(record);
        }

        synchronized List<LogRecord> containing(String text) {
            List<LogRecord> found = new ArrayList<>();
            for (LogRecord record : records) {
                if (record.getMessage().contains(text)) {
                    found.add(record);
                }
            }
            return found;
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    private <H extends Handler> H install(H handler) {
        JUL.addHandler(handler);
        added.add(handler);
        return handler;
    }

    @AfterEach
    void restoreLogging() {
        added.forEach(JUL::removeHandler);
        JUL.setLevel(null);
        Logs.refreshLevel();
    }

    private static void writeGarbageMember(String group) throws Exception {
        Process cli = new ProcessBuilder("redis-cli", "-p", String.valueOf(REDIS.port()), "HSET",
                "gr:{" + group + "}:members", "garbage", "{not json").redirectErrorStream(true).start();
        assertTrue(cli.waitFor(20, TimeUnit.SECONDS) && cli.exitValue() == 0, "redis-cli HSET");
    }

    private static List<String> ids(GroupConnector connector) {
        List<String> ids = new ArrayList<>();
        connector.members().forEach(member -> ids.add(member.id()));
        return ids;
    }

    @Test
    void anUnreadableRecordIsAWarningOnTheGroupRedisLogger() throws Exception {
        Capture capture = install(new Capture());
        GroupConfig config = REDIS.freshGroup().memberId("good").build();
        try (GroupConnector connector = GroupConnector.connect(config)) {
            connector.join();
            writeGarbageMember(config.group());

            assertEquals(List.of("good"), ids(connector));
            List<LogRecord> onCaller = capture.containing("members{group=" + config.group() + "}: skipping a member record");
            assertEquals(1, onCaller.size(), "records: " + capture.records);
            LogRecord record = onCaller.get(0);
            assertEquals(Level.WARNING, record.getLevel());
            assertEquals(Logs.LOGGER_NAME, record.getLoggerName());
            assertTrue(record.getMessage().contains("{not json"), record.getMessage());

            // The subscription's snapshot is read on a library thread, attached for the record.
            try (Subscription ignored = connector.addMemberListener(event -> { })) {
                List<LogRecord> onLibraryThread = capture.containing(
                        "subscribe{group=" + config.group() + "}: skipping a member record");
                assertEquals(1, onLibraryThread.size(), "records: " + capture.records);
                assertEquals(Level.WARNING, onLibraryThread.get(0).getLevel());
            }
        }
    }

    @Test
    void theNativeLevelFollowsTheLogger() throws Exception {
        Capture capture = install(new Capture());
        GroupConfig config = REDIS.freshGroup().memberId("good").build();
        try (GroupConnector connector = GroupConnector.connect(config)) {
            writeGarbageMember(config.group());

            JUL.setLevel(Level.SEVERE);
            Logs.refreshLevel();
            assertEquals(1, Logs.installedLevel());
            connector.members();
            assertEquals(List.of(), capture.containing("skipping a member record"));

            JUL.setLevel(Level.FINE);
            Logs.refreshLevel();
            assertEquals(4, Logs.installedLevel());
            connector.members();
            assertEquals(1, capture.containing("skipping a member record").size());
        }
    }

    @Test
    void aThrowingHandlerNeverReachesTheCallerOrTheLibrary() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        install(new Handler() {
            @Override
            public void publish(LogRecord record) {
                calls.incrementAndGet();
                throw new IllegalStateException("a broken handler");
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        GroupConfig config = REDIS.freshGroup().memberId("good").build();
        try (GroupConnector connector = GroupConnector.connect(config)) {
            connector.join();
            writeGarbageMember(config.group());
            assertEquals(List.of("good"), ids(connector));
            assertEquals(List.of("good"), ids(connector));
            try (Subscription ignored = connector.addMemberListener(event -> { })) {
                assertEquals(3, calls.get());
            }
            // The connector still works after records failed on both kinds of thread.
            connector.ephemeralSet("still/working", 1);
            assertEquals(1, connector.ephemeralGet("still/working"));
        }
    }
}
