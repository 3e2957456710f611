package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Integers keep every digit (2^53 + 1 is where a double would round), objects keep their
 * key order, and a version or token that is not an integer is a protocol error, not rounded.
 */
class JsonNumbersTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    private static final long BEYOND_DOUBLE = (1L << 53) + 1;

    @Test
    void integersBeyondTwoToThe53DecodeExactlyAsLong() {
        assertEquals(BEYOND_DOUBLE, Json.decode(Long.toString(BEYOND_DOUBLE)));
        assertEquals(Long.MAX_VALUE, Json.decode(Long.toString(Long.MAX_VALUE)));
        assertEquals(Map.of("token", BEYOND_DOUBLE), Json.decode("{\"token\":" + BEYOND_DOUBLE + "}"));
        assertEquals(BEYOND_DOUBLE, Json.asLong(Json.decode(Long.toString(BEYOND_DOUBLE))));
        assertEquals(7L, Json.asLong(Json.decode("7")));
    }

    @Test
    void aVersionThatIsNotAnIntegerIsAProtocolError() {
        assertThrows(ProtocolException.class, () -> Json.asLong(Json.decode("1.5")));
        assertThrows(ProtocolException.class, () -> Json.asLong(Json.decode("18446744073709551615")));
        assertThrows(ProtocolException.class, () -> Json.asLong(Json.decode("\"3\"")));
    }

    @Test
    void objectsKeepTheirKeyOrder() {
        Map<String, Object> decoded = Json.asMap(Json.decode("{\"zeta\":1,\"alpha\":2,\"mid\":3,\"beta\":4}"));
        assertEquals(List.of("zeta", "alpha", "mid", "beta"), List.copyOf(decoded.keySet()));
    }

    @Test
    void storedIntegersBeyondTwoToThe53ComeBackExact() {
        try (GroupConnector connector = GroupConnector.connect(REDIS.freshGroup().build())) {
            connector.persistentSet("big", List.of(BEYOND_DOUBLE, -BEYOND_DOUBLE, Long.MAX_VALUE));
            assertEquals(List.of(BEYOND_DOUBLE, -BEYOND_DOUBLE, Long.MAX_VALUE), connector.persistentGet("big"));
            connector.ephemeralSet("big", BEYOND_DOUBLE);
            assertEquals(BEYOND_DOUBLE, connector.ephemeralList("").get("big"));
        }
    }
}
