package group_redis;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;

/**
 * The native library's log records, delivered to the {@link System.Logger} named
 * {@value #LOGGER_NAME}: a stored record that cannot be read and was skipped, a failed
 * heartbeat (SUSPENDED), a lease that ran out (LOST), a member or ephemeral key that could
 * not be restored, RECONNECTED, and so on. With the logger at INFO or more verbose each
 * message names the operation it happened in, with its group and member, e.g.
 * {@code members{group=workers}: skipping a member record error=...}; at WARNING or above
 * operations are not traced (which costs them nothing) and the message starts with its text.
 *
 * <p>{@code System.Logger} goes to {@code java.util.logging} unless the application installs
 * another backend. For SLF4J (Logback, Log4j 2 via SLF4J, ...), put SLF4J's
 * {@code org.slf4j:slf4j-jdk-platform-logging} module on the class path: it is a
 * {@code System.LoggerFinder} that routes every {@code System.Logger} to SLF4J, where the
 * logger {@value #LOGGER_NAME} is configured like any other.
 *
 * <p>The native library sends only what the logger would keep: the most verbose loggable
 * level is read when the first connector connects, on every later
 * {@link GroupConnector#connect}, and by {@link #refreshLevel()} (call it after making the
 * logger more verbose at run time; a less verbose setting takes effect at once, since each
 * record is checked with {@link Logger#isLoggable} first). Records arrive on the thread that
 * logged: a library thread, attached to the JVM for the call, or the caller's thread inside
 * a call. Nothing thrown while logging one reaches the library or the caller; such a record
 * is dropped.
 */
public final class Logs {
    /** The name of the {@code System.Logger} records go to. */
    public static final String LOGGER_NAME = "group_redis";

    private static final Logger LOGGER = System.getLogger(LOGGER_NAME);

    /** The native level last installed: 0 = none, 1 = ERROR .. 5 = TRACE. */
    private static int installed;

    private Logs() {
    }

    /**
     * Tells the native library which records the logger wants now. Cheap when nothing
     * changed (no native call).
     */
    public static synchronized void refreshLevel() {
        int level = nativeLevel();
        if (level != installed) {
            NativeLib.ensureLoaded();
            NativeLib.setLogLevel(level);
            installed = level;
        }
    }

    /**
     * {@link #refreshLevel()} for {@link GroupConnector#connect}: a failure to set up logging
     * (e.g. connecting from inside a log handler, where the level cannot change) must not
     * stop a connect.
     */
    static void refreshLevelForConnect() {
        try {
            refreshLevel();
        } catch (GroupRedisException loggingStaysAsItWas) {
            // Records keep going where they went before.
        }
    }

    /** The native level (1 = ERROR .. 5 = TRACE) matching the most verbose loggable level. */
    static int nativeLevel() {
        if (LOGGER.isLoggable(Level.TRACE)) {
            return 5;
        }
        if (LOGGER.isLoggable(Level.DEBUG)) {
            return 4;
        }
        if (LOGGER.isLoggable(Level.INFO)) {
            return 3;
        }
        if (LOGGER.isLoggable(Level.WARNING)) {
            return 2;
        }
        return 1;
    }

    /** The level installed last (tests). */
    static synchronized int installedLevel() {
        return installed;
    }

    private static Level level(int nativeLevel) {
        switch (nativeLevel) {
            case 1:
                return Level.ERROR;
            case 2:
                return Level.WARNING;
            case 3:
                return Level.INFO;
            case 4:
                return Level.DEBUG;
            default:
                return Level.TRACE;
        }
    }

    /**
     * Called by the native library (ffi/src/jni_api/logs.rs) with one record. Never throws:
     * an exception here would surface in whatever call the logging thread is making.
     */
    @SuppressWarnings("unused")
    private static void deliver(int nativeLevel, String target, String message) {
        try {
            Level level = level(nativeLevel);
            if (LOGGER.isLoggable(level)) {
                LOGGER.log(level, message);
            }
        } catch (Throwable ignored) {
            // A failing handler loses this record, nothing else.
        }
    }
}
