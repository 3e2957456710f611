package group_redis;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Values JSON cannot carry, or readers could not parse, are refused before any I/O. */
class JsonLimitsTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    private static List<Object> nested(int depth) {
        List<Object> root = new ArrayList<>();
        List<Object> current = root;
        for (int i = 1; i < depth; i++) {
            List<Object> next = new ArrayList<>();
            current.add(next);
            current = next;
        }
        return root;
    }

    @Test
    void depthIsBoundedAndCyclesAreRefused() {
        assertDoesNotThrow(() -> Json.encode(nested(Json.MAX_DEPTH)));
        InvalidJsonException deep = assertThrows(InvalidJsonException.class,
                () -> Json.encode(nested(Json.MAX_DEPTH + 1)));
        assertTrue(deep.getMessage().contains("100 levels"), deep.getMessage());
        assertThrows(InvalidJsonException.class, () -> Json.encode(nested(100_000)));
        Map<String, Object> cyclic = new HashMap<>();
        cyclic.put("self", cyclic);
        InvalidJsonException cycle = assertThrows(InvalidJsonException.class, () -> Json.encode(cyclic));
        assertTrue(cycle.getMessage().contains("refers to itself"), cycle.getMessage());
        // The same child twice is not a cycle.
        List<Object> shared = List.of(1, 2);
        assertEquals("[[1,2],[1,2]]", Json.encode(List.of(shared, shared)));
    }

    @Test
    void nothingIsWrittenForARefusedValue() {
        Map<String, Object> cyclic = new HashMap<>();
        cyclic.put("self", cyclic);
        try (GroupConnector c = GroupConnector.connect(REDIS.freshGroup().build())) {
            assertThrows(InvalidJsonException.class, () -> c.persistentSet("cyclic", cyclic));
            assertThrows(InvalidJsonException.class, () -> c.persistentSet("deep", nested(100_000)));
            assertThrows(InvalidJsonException.class, () -> c.ephemeralSet("deep", nested(101)));
            assertThrows(InvalidJsonException.class, () -> c.join("deep", nested(101)));
            assertNull(c.persistentGet("cyclic"));
            assertNull(c.persistentGet("deep"));
            assertNull(c.ephemeralGet("deep"));
            assertEquals(0, c.members().size());
            c.persistentSet("ok", nested(100));
            assertEquals(nested(100), c.persistentGet("ok"));
        }
    }
}
