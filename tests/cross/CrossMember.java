import group_redis.Assignment;
import group_redis.AssignmentEvent;
import group_redis.GroupConfig;
import group_redis.GroupConnector;
import group_redis.Leadership;
import group_redis.LeaveReason;
import group_redis.LockHandle;
import group_redis.Member;
import group_redis.MemberSubscription;
import group_redis.MembershipEvent;
import group_redis.TopicMessage;
import group_redis.Versioned;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The Java member of the cross-language test (tests/cross/test_cross.py compiles this file
 * with javac against the project's jar and drives it over stdin/stdout, one command per
 * line; the protocol and the lock round are described in test_cross.py and are the same
 * in cross_member.c).
 *
 * <p>Arguments: redis-url group member-id [session-timeout-ms]. Every command is answered by one line starting
 * with "OK " or "FAIL "; GRANT lines come before the answer to LOCK.
 *
 * <p>Only the public GroupConnector API is used, and every call into the library is in the
 * "library calls" section at the end, so an API change is adapted in one place.
 */
public final class CrossMember {
    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static final String LOCK = "cross-lock";

    private final GroupConnector conn;
    private final String me;
    private final PrintStream out;
    /** Member id -> how it left ("left", "expired", "resync"), and the ids seen joining. */
    private final Map<String, String> left = new HashMap<>();
    private final Map<String, Boolean> joined = new HashMap<>();
    private final MemberSubscription events;
    private Leadership leadership;
    private Assignment assignment;

    private CrossMember(String url, String group, String me, Duration sessionTimeout, PrintStream out) {
        this.me = me;
        this.out = out;
        this.conn = connect(url, group, me, sessionTimeout);
        this.events = subscribe();
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Duration sessionTimeout = args.length > 3 ? Duration.ofMillis(Long.parseLong(args[3])) : null;
        CrossMember member = new CrossMember(args[0], args[1], args[2], sessionTimeout, out);
        out.println("OK READY");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String[] words = line.trim().split(" ");
            try {
                if (!member.run(words)) {
                    break;
                }
            } catch (Exception e) {
                // A thrown exception is a failure of this command, reported, never a hang.
                out.println("FAIL " + words[0] + " threw " + e);
            }
        }
        member.close();
    }

    /** Runs one command; false after QUIT. */
    private boolean run(String[] words) throws InterruptedException {
        switch (words[0]) {
            case "JOIN":
                join(Map.of("language", "java"));
                out.println("OK JOIN");
                return true;
            case "SEEN_JOIN":
                awaitEvent(words[1], false);
                return true;
            case "SEEN_LEAVE":
                awaitEvent(words[1], true);
                return true;
            case "LOCK":
                lockRounds(Integer.parseInt(words[1]));
                return true;
            case "WRITE":
                ephemeralSet("json/" + me, expectedDocument());
                persistentSet("json/" + me, expectedDocument());
                out.println("OK WRITE");
                return true;
            case "CHECK":
                check(words[1]);
                return true;
            case "BROADCAST":
                broadcastSequence(Integer.parseInt(words[1]));
                return true;
            case "CONSUME":
                consume(words[1], words[2]);
                return true;
            case "LEAVE":
                out.println(leave() ? "OK LEAVE" : "FAIL LEAVE: was not a member");
                return true;
            case "CAMPAIGN":
                campaign(words[1]);
                out.println("OK CAMPAIGN");
                return true;
            case "ASSIGN":
                assign(words[1], List.of(words[2].split(",")));
                out.println("OK ASSIGN");
                return true;
            case "LEADER":
                out.println("OK LEADER " + leaderToken());
                return true;
            case "SHARE":
                out.println("OK SHARE " + share());
                return true;
            case "MEMBERS":
                out.println("OK MEMBERS " + String.join(" ", members()));
                return true;
            case "ONLINE":
                setOnline("1".equals(words[1]));
                out.println("OK ONLINE");
                return true;
            case "QUIT":
                return false;
            default:
                out.println("FAIL unknown command " + words[0]);
                return true;
        }
    }

    // ------------------------------------------------------------ membership events

    private synchronized void record(MembershipEvent event) {
        for (Member m : event.joinedMembers()) {
            joined.put(m.id(), true);
        }
        for (Member m : event.leftMembers()) {
            left.put(m.id(), event.reason() == null ? "none" : event.reason().name().toLowerCase());
        }
        notifyAll();
    }

    /** Waits (bounded) until the listener has seen {@code id} join, or leave. */
    private synchronized void awaitEvent(String id, boolean leaving) throws InterruptedException {
        long start = System.nanoTime();
        long giveUp = start + PATIENCE.toNanos();
        while (!(leaving ? left.containsKey(id) : joined.containsKey(id))) {
            long rest = giveUp - System.nanoTime();
            if (rest <= 0) {
                out.println("FAIL " + (leaving ? "SEEN_LEAVE " : "SEEN_JOIN ") + id + ": no event in "
                        + PATIENCE.toSeconds() + " s");
                return;
            }
            wait(Math.max(1, rest / 1_000_000));
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        out.println(leaving ? "OK SEEN_LEAVE " + id + " " + left.get(id) + " " + ms
                : "OK SEEN_JOIN " + id + " " + ms);
    }

    // ------------------------------------------------------------ the contended lock

    /** The lock round of test_cross.py, {@code rounds} times; prints GRANT token wait-ms. */
    private void lockRounds(int rounds) {
        List<String> violations = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            long asked = System.nanoTime();
            OptionalLong token = lock(PATIENCE);
            long waitedMs = (System.nanoTime() - asked) / 1_000_000;
            if (token.isEmpty()) {
                out.println("FAIL LOCK: not acquired within " + PATIENCE.toSeconds() + " s");
                return;
            }
            insideTheLock(token.getAsLong(), violations);
            release();
            out.println("GRANT " + token.getAsLong() + " " + waitedMs);
        }
        out.println(violations.isEmpty() ? "OK LOCK " + rounds : "FAIL LOCK " + violations);
    }

    private void insideTheLock(long token, List<String> violations) {
        Versioned holders = persistentGetVersioned("cross/holders");
        long holdersVersion = holders == null ? 0 : holders.version();
        if (holders != null && !Integer.valueOf(0).equals(holders.value())) {
            violations.add("entered with holders=" + holders.value());
        }
        OptionalLong mine = compareAndSet("cross/holders", holdersVersion, 1);
        if (mine.isEmpty()) {
            violations.add("holders changed between read and write at token " + token);
            return;
        }
        Versioned grants = persistentGetVersioned("cross/grants");
        List<Object> log = grants == null ? new ArrayList<>() : new ArrayList<>((List<?>) grants.value());
        long last = log.isEmpty() ? 0 : ((Number) ((List<?>) log.get(log.size() - 1)).get(0)).longValue();
        if (last >= token) {
            violations.add("token " + token + " not above the last grant's " + last);
        }
        log.add(List.of(token, me));
        if (compareAndSet("cross/grants", grants == null ? 0 : grants.version(), log).isEmpty()) {
            violations.add("grant log changed under token " + token);
        }
        Versioned still = persistentGetVersioned("cross/holders");
        if (still == null || still.version() != mine.getAsLong() || !Integer.valueOf(1).equals(still.value())) {
            violations.add("holders became " + still + " while token " + token + " held the lock");
        }
        if (compareAndSet("cross/holders", mine.getAsLong(), 0).isEmpty()) {
            violations.add("holders changed while token " + token + " held the lock");
        }
    }

    // ------------------------------------------------------------ JSON values

    /**
     * The document every member writes and expects from the others, built from Java types:
     * equals() then compares kinds too (Integer vs Long vs BigInteger vs Double, -0.0 vs 0.0).
     * The same document is spelled out in test_cross.py and cross_member.c.
     */
    static Map<String, Object> expectedDocument() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("integers", List.of(0, -1, 9007199254740993L, -9007199254740993L, Long.MAX_VALUE,
                Long.MIN_VALUE, new BigInteger("18446744073709551615")));
        doc.put("floats", List.of(0.1, 1e300, 5e-324, 1.7976931348623157e308, 2.2250738585072014e-308,
                0.30000000000000004, 2.7715077941825975e-163, 1.5, -0.0, 1.0, -2.5e-10));
        doc.put("text", List.of("\uD83D\uDE00", "e\u0301", "\uD834\uDD1E clef", "\u65E5\u672C\u8A9E",
                "quote \" backslash \\ newline \n tab \t", "\u0000nul", "\u007F\u2028\uFEFF", ""));
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("\uD83D\uDE00", 1);
        keys.put("e\u0301", 2);
        keys.put("", 3);
        doc.put("keys", keys);
        Map<String, Object> deepest = new HashMap<>();
        deepest.put("b", null);
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("a", List.of(1, List.of(2, List.of(3, deepest)), List.of()));
        nested.put("t", true);
        nested.put("f", false);
        nested.put("empty", Map.of());
        doc.put("nested", nested);
        return doc;
    }

    private void check(String peer) {
        Object ephemeral = ephemeralGet("json/" + peer);
        Object persistent = persistentGet("json/" + peer);
        Map<String, Object> expected = expectedDocument();
        if (!expected.equals(ephemeral)) {
            out.println("FAIL CHECK " + peer + " ephemeral: " + differences(expected, ephemeral));
        } else if (!expected.equals(persistent)) {
            out.println("FAIL CHECK " + peer + " persistent: " + differences(expected, persistent));
        } else {
            out.println("OK CHECK " + peer);
        }
    }

    /** What differs, with the Java classes, so a Double standing in for a Long shows. */
    private static String differences(Map<String, Object> expected, Object got) {
        if (!(got instanceof Map)) {
            return "got " + got;
        }
        StringBuilder text = new StringBuilder();
        for (Map.Entry<String, Object> field : expected.entrySet()) {
            Object theirs = ((Map<?, ?>) got).get(field.getKey());
            if (!field.getValue().equals(theirs)) {
                text.append(field.getKey()).append(": expected ").append(typed(field.getValue()))
                        .append(" got ").append(typed(theirs)).append("; ");
            }
        }
        return text.length() == 0 ? "extra fields in " + got : text.toString();
    }

    private static String typed(Object value) {
        if (value instanceof List) {
            List<String> items = new ArrayList<>();
            for (Object item : (List<?>) value) {
                items.add(typed(item));
            }
            return items.toString();
        }
        return value == null ? "null" : value + ":" + value.getClass().getSimpleName();
    }

    // ------------------------------------------------------------ messages

    /** Broadcasts 0..count-1 to every live member, in order. */
    private void broadcastSequence(int count) {
        for (int i = 0; i < count; i++) {
            long recipients = conn.messages().broadcast(Map.of("seq", i, "from", "java"), null);
            if (recipients < 2) {
                out.println("FAIL BROADCAST reached " + recipients + " members");
                return;
            }
        }
        out.println("OK BROADCAST " + count);
    }

    /**
     * Consumes {@code topic} in consumer group {@code group} until a wait of a second brings
     * nothing: "DONE index" for every message this member acknowledged, "LOST index" for one
     * another consumer had.
     */
    private void consume(String topic, String group) {
        while (true) {
            List<TopicMessage> taken = conn.messages().topicConsume(topic, group, 10, Duration.ofSeconds(1));
            if (taken.isEmpty()) {
                break;
            }
            for (TopicMessage message : taken) {
                boolean acked = conn.messages().topicAck(topic, group, List.of(message.index())).get(0);
                out.println((acked ? "DONE " : "LOST ") + message.index());
            }
        }
        out.println("OK CONSUME");
    }

    // ------------------------------------------------------------ library calls

    private static GroupConnector connect(String url, String group, String me, Duration sessionTimeout) {
        GroupConfig.Builder config = GroupConfig.builder(url).group(group).memberId(me);
        if (sessionTimeout != null) {
            config.sessionTimeout(sessionTimeout);
        }
        return GroupConnector.connect(config.build());
    }

    private MemberSubscription subscribe() {
        return conn.addMemberListener(this::record);
    }

    private void join(Object payload) {
        conn.join(me, payload);
    }

    private boolean leave() {
        return conn.leave(me);
    }

    /** The lock's fencing token, or empty when {@code wait} ran out. */
    private OptionalLong lock(Duration wait) {
        Optional<LockHandle> handle = conn.tryLock(LOCK, wait);
        return handle.isPresent() ? OptionalLong.of(handle.get().token()) : OptionalLong.empty();
    }

    private void release() {
        if (!conn.release(LOCK)) {
            throw new IllegalStateException("release found the lock not held");
        }
    }

    private Versioned persistentGetVersioned(String path) {
        return conn.persistentGetVersioned(path);
    }

    private Object persistentGet(String path) {
        return conn.persistentGet(path);
    }

    private OptionalLong compareAndSet(String path, long expectedVersion, Object value) {
        return conn.persistentCas(path, expectedVersion, value);
    }

    private void persistentSet(String path, Object value) {
        conn.persistentSet(path, value);
    }

    private void ephemeralSet(String key, Object value) {
        conn.ephemeralSet(key, value);
    }

    private Object ephemeralGet(String key) {
        return conn.ephemeralGet(key);
    }

    // The recipes: one leadership, one assignment topic, the members' payload and online flag.

    private void campaign(String name) {
        leadership = conn.elect(name);
    }

    private void assign(String topic, List<String> ids) {
        assignment = conn.assignments(topic, ids, null);
    }

    /** The term's token while this member leads (locally), else 0. */
    private long leaderToken() {
        return leadership.token();
    }

    /** "epoch id,id,..." ("-" for no ids). */
    private String share() {
        AssignmentEvent share = assignment.share();
        return share.epoch() + " " + (share.ids().isEmpty() ? "-" : String.join(",", share.ids()));
    }

    /** "id:online(1|0):language" per member. */
    private List<String> members() {
        List<String> members = new ArrayList<>();
        for (Member m : conn.members()) {
            Object language = m.payload() instanceof Map ? ((Map<?, ?>) m.payload()).get("language") : null;
            members.add(m.id() + ":" + (m.online() ? 1 : 0) + ":" + language);
        }
        return members;
    }

    private void setOnline(boolean online) {
        conn.setOnline(me, online);
    }

    private void close() {
        if (assignment != null) {
            assignment.close();
        }
        if (leadership != null) {
            leadership.close();
        }
        events.close();
        conn.close();
    }
}
