package group_redis;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;

/**
 * Values JSON cannot carry (they refer to themselves) or readers could not parse (nested more
 * than 100 deep) are refused with InvalidJsonException before any I/O and without a
 * StackOverflowError; decoding is bounded too.
 */
class JsonLimitsTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    /** {@code depth} Lists, one inside the other ({@code nested(1)} is {@code []}). */
    private static List<Object> nested(int depth) {
        return nestedAround(depth, null);
    }

    /** {@code depth} Lists, one inside the other, the innermost holding {@code leaf} (if not null). */
    private static List<Object> nestedAround(int depth, Object leaf) {
        List<Object> root = new ArrayList<>();
        List<Object> current = root;
        for (int i = 1; i < depth; i++) {
            List<Object> next = new ArrayList<>();
            current.add(next);
            current = next;
        }
        if (leaf != null) {
            current.add(leaf);
        }
        return root;
    }

    /** {@code depth} Maps, one inside the other under "k", the innermost holding "leaf": 1. */
    private static Map<String, Object> nestedMaps(int depth) {
        Map<String, Object> root = new LinkedHashMap<>();
        Map<String, Object> current = root;
        for (int i = 1; i < depth; i++) {
            Map<String, Object> next = new LinkedHashMap<>();
            current.put("k", next);
            current = next;
        }
        current.put("leaf", 1);
        return root;
    }

    private static Map<String, Object> selfReferencingMap() {
        Map<String, Object> map = new HashMap<>();
        map.put("self", map);
        return map;
    }

    private static void tooDeep(Executable call) {
        InvalidJsonException e = assertThrows(InvalidJsonException.class, call);
        assertTrue(e.getMessage().contains("nested more than 100 levels deep"), e.getMessage());
    }

    private static void cyclic(Executable call) {
        InvalidJsonException e = assertThrows(InvalidJsonException.class, call);
        assertTrue(e.getMessage().contains("refers to itself"), e.getMessage());
    }

    @Test
    void depthCountsContainersAndIsBoundedAtOneHundred() {
        assertEquals(100, Json.MAX_DEPTH);
        assertEquals("1", Json.encode(1));
        assertEquals("[]", Json.encode(nested(1)));
        assertEquals("[[1]]", Json.encode(nestedAround(2, 1)));
        assertDoesNotThrow(() -> Json.encode(nested(Json.MAX_DEPTH)));
        assertDoesNotThrow(() -> Json.encode(nestedMaps(Json.MAX_DEPTH)));
        assertDoesNotThrow(() -> Json.encode(nestedAround(Json.MAX_DEPTH - 1, Map.of("a", 1))));
        tooDeep(() -> Json.encode(nested(Json.MAX_DEPTH + 1)));
        tooDeep(() -> Json.encode(nestedMaps(Json.MAX_DEPTH + 1)));
        tooDeep(() -> Json.encode(nestedAround(Json.MAX_DEPTH, Map.of("a", 1))));
        // Arrays are levels too, Object[] and primitive ones; byte[] and char[] are strings.
        assertDoesNotThrow(() -> Json.encode(nestedAround(Json.MAX_DEPTH - 1, new int[] {1})));
        tooDeep(() -> Json.encode(nestedAround(Json.MAX_DEPTH, new int[] {1})));
        tooDeep(() -> Json.encode(nestedAround(Json.MAX_DEPTH, new Object[] {1})));
        assertDoesNotThrow(() -> Json.encode(nestedAround(Json.MAX_DEPTH, new byte[] {1})));
        assertDoesNotThrow(() -> Json.encode(nestedAround(Json.MAX_DEPTH, new char[] {'a'})));
    }

    @Test
    void longChainsAreRefusedWithoutOverflowingTheStack() {
        tooDeep(() -> Json.encode(nested(100_000)));
        tooDeep(() -> Json.encode(nestedMaps(100_000)));
        Object[] array = new Object[1];
        Object[] current = array;
        for (int i = 0; i < 100_000; i++) {
            Object[] next = new Object[1];
            current[0] = next;
            current = next;
        }
        tooDeep(() -> Json.encode(array));
    }

    @Test
    void valuesThatReferToThemselvesAreRefused() {
        cyclic(() -> Json.encode(selfReferencingMap()));
        List<Object> list = new ArrayList<>();
        list.add(list);
        cyclic(() -> Json.encode(list));
        Object[] array = new Object[1];
        array[0] = array;
        cyclic(() -> Json.encode(array));
        // Further down: a map -> list -> map cycle, below some plain levels.
        Map<String, Object> inner = new HashMap<>();
        inner.put("list", new ArrayList<>(List.of(1, inner)));
        cyclic(() -> Json.encode(List.of(List.of("x", inner))));
        // A cycle Jackson finds itself (through something that is not a Map/Collection/array)
        // is refused too, not a StackOverflowError.
        AtomicReference<Object> ref = new AtomicReference<>();
        ref.set(List.of(ref));
        assertThrows(InvalidJsonException.class, () -> Json.encode(ref));
        // The same child twice is not a cycle.
        List<Object> shared = List.of(1, 2);
        assertEquals("[[1,2],[1,2]]", Json.encode(List.of(shared, shared)));
        Map<String, Object> twice = new LinkedHashMap<>();
        twice.put("a", shared);
        twice.put("b", shared);
        assertEquals("{\"a\":[1,2],\"b\":[1,2]}", Json.encode(twice));
    }

    @Test
    void decodingDeepInputIsRefusedNotOverflowed() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertThrows(ProtocolException.class, () -> Json.decode(deep));
        assertThrows(ProtocolException.class, () -> Json.decodeList(deep));
        String deepObjects = "{\"k\":".repeat(100_000) + "1" + "}".repeat(100_000);
        assertThrows(ProtocolException.class, () -> Json.decode(deepObjects));
        // What the native layer hands back (a value up to 100 deep inside member records,
        // events and lists, or one another client stored as deep as serde_json reads) decodes.
        assertEquals(nested(Json.MAX_DEPTH), Json.decode(Json.encode(nested(Json.MAX_DEPTH))));
        int wrapped = 131;
        String wrappedText = "[".repeat(wrapped) + "]".repeat(wrapped);
        assertEquals(wrapped, depthOf(Json.decode(wrappedText)));
        assertEquals(List.of(nested(wrapped - 1)), Json.decodeList(wrappedText));
        String limit = "[".repeat(Json.MAX_DOCUMENT_DEPTH) + "]".repeat(Json.MAX_DOCUMENT_DEPTH);
        assertEquals(Json.MAX_DOCUMENT_DEPTH, depthOf(Json.decode(limit)));
        String over = "[" + limit + "]";
        assertThrows(ProtocolException.class, () -> Json.decode(over));
    }

    /** Depth of a chain of single-element (or empty) Lists. */
    private static int depthOf(Object value) {
        int depth = 0;
        while (value instanceof List) {
            depth++;
            List<?> list = (List<?>) value;
            value = list.isEmpty() ? null : list.get(0);
        }
        return depth;
    }

    @Test
    void nothingIsWrittenForARefusedValue() throws Exception {
        try (GroupConnector c = GroupConnector.connect(REDIS.freshGroup().build())) {
            cyclic(() -> c.persistentSet("refused-cyclic", selfReferencingMap()));
            tooDeep(() -> c.persistentSet("refused-deep", nested(100_000)));
            tooDeep(() -> c.persistentSet("refused-deep", nested(101)));
            cyclic(() -> c.ephemeralSet("refused-cyclic", selfReferencingMap()));
            tooDeep(() -> c.ephemeralSet("refused-deep", nested(100_000)));
            cyclic(() -> c.persistentCompareAndSet("refused-cyclic", 0, selfReferencingMap()));
            tooDeep(() -> c.persistentCompareAndSet("refused-deep", 0, nested(101)));
            Map<String, Object> many = new LinkedHashMap<>();
            many.put("refused-many-ok", 1);
            many.put("refused-many-deep", nested(100_000));
            tooDeep(() -> c.persistentSetMany(many));
            many.put("refused-many-deep", selfReferencingMap());
            cyclic(() -> c.persistentSetMany(many));
            cyclic(() -> c.join("refused-member", selfReferencingMap()));
            tooDeep(() -> c.join("refused-member", nested(100_000)));
            tooDeep(() -> c.join("refused-member", nested(101)));
            // The seed API goes the same way.
            cyclic(() -> RedisConn.persistent_set(c, "refused-cyclic", selfReferencingMap()));
            tooDeep(() -> RedisConn.persistent_set(c, "refused-deep", nested(100_000)));
            tooDeep(() -> RedisConn.empheral_set(c, "refused-deep", nested(100_000)));

            assertNull(c.persistentGet("refused-cyclic"));
            assertNull(c.persistentGet("refused-deep"));
            assertNull(c.persistentGet("refused-many-ok"));
            assertNull(c.persistentGet("refused-many-deep"));
            assertNull(c.ephemeralGet("refused-cyclic"));
            assertNull(c.ephemeralGet("refused-deep"));
            assertEquals(0, c.members().size());
            assertEquals(List.of(), redisKeysContaining("refused"));

            // Exactly 100 deep is accepted everywhere and read back, also when the binding or
            // the core wraps it (pairs of persistentSetMany, member records, lists).
            c.persistentSet("ok", nested(100));
            assertEquals(nested(100), c.persistentGet("ok"));
            c.ephemeralSet("ok", nestedMaps(100));
            assertEquals(nestedMaps(100), c.ephemeralGet("ok"));
            assertEquals(Map.of("ok", nestedMaps(100)), c.ephemeralList("ok"));
            Map<String, Object> okMany = new LinkedHashMap<>();
            okMany.put("ok-many-1", nested(100));
            okMany.put("ok-many-2", nestedMaps(100));
            assertEquals(2, c.persistentSetMany(okMany).size());
            assertEquals(nested(100), c.persistentGet("ok-many-1"));
            assertEquals(nestedMaps(100), c.persistentGet("ok-many-2"));
            c.join("deep-member", nested(100));
            assertEquals(nested(100), c.members().get(0).payload());
        }
    }

    @Test
    void aConfiguredPayloadIsHeldToTheSameLimit() {
        tooDeep(() -> GroupConnector.connect(REDIS.freshGroup().payload(nested(101)).build()));
        cyclic(() -> GroupConnector.connect(REDIS.freshGroup().payload(selfReferencingMap()).build()));
        try (GroupConnector c = GroupConnector.connect(
                REDIS.freshGroup().memberId("deep").payload(nestedMaps(100)).build())) {
            c.join();
            assertEquals(nestedMaps(100), c.members().get(0).payload());
        }
    }

    /** Every key in the test Redis whose name contains {@code part} (redis-cli --scan). */
    private static List<String> redisKeysContaining(String part) throws IOException, InterruptedException {
        Process cli = new ProcessBuilder("redis-cli", "-p", String.valueOf(REDIS.port()), "--scan",
                "--pattern", "*" + part + "*").redirectErrorStream(true).start();
        String out;
        try (InputStream in = cli.getInputStream()) {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            in.transferTo(buffer);
            out = buffer.toString(StandardCharsets.UTF_8).trim();
        }
        assertTrue(cli.waitFor(30, TimeUnit.SECONDS), "redis-cli did not finish");
        assertEquals(0, cli.exitValue(), out);
        return out.isEmpty() ? List.of() : Arrays.asList(out.split("\n"));
    }
}
