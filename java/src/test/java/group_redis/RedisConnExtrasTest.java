package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the seed's static class lacked: leave, deletes, set-many, options, sub-groups. */
class RedisConnExtrasTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    private static Object connect() {
        Map<String, Object> conf = new LinkedHashMap<>();
        conf.put("group-name", "extras-" + UUID.randomUUID());
        conf.put("port", REDIS.port());
        conf.put("heart-beat-freq", 2);
        conf.put("sub-groups", List.of("a", "b"));
        conf.put("timeout", 3000);
        return RedisConn.create_group_connector("127.0.0.1", conf);
    }

    @Test
    void membersHaveTheSeedShapeAndSubGroupsChange() {
        Object c = connect();
        try {
            RedisConn.join(c, "m1");
            Map<?, ?> member = RedisConn.getMembers(c).iterator().next();
            Map<?, ?> val = (Map<?, ?>) member.get("val");
            assertEquals(List.of("a", "b"), val.get("sub-groups"));
            assertTrue(((Number) val.get("ts")).longValue() > 0);
            RedisConn.addSubGroup(c, "c");
            RedisConn.removeSubGroup(c, "a");
            Map<?, ?> changed = (Map<?, ?>) RedisConn.getMembers(c).iterator().next().get("val");
            assertEquals(List.of("b", "c"), changed.get("sub-groups"));
            assertTrue(RedisConn.leave(c, "m1"));
            assertFalse(RedisConn.leave(c, "m1"));
            Collection<Map<?, ?>> none = RedisConn.getMembers(c);
            assertEquals(new ArrayList<>(), new ArrayList<>(none));
        } finally {
            RedisConn.close(c);
        }
    }

    @Test
    void deletesAndSetMany() {
        Object c = connect();
        try {
            RedisConn.empheral_set(c, "e", Map.of("x", 1));
            assertEquals(Map.of("x", 1), RedisConn.empheral_get(c, "e"));
            assertTrue(RedisConn.empheral_del(c, "e"));
            assertNull(RedisConn.empheral_get(c, "e"));

            Map<String, Object> many = new LinkedHashMap<>();
            many.put("p1", 1);
            many.put("p2", "two");
            RedisConn.persistent_set_many(c, many);
            assertEquals("two", RedisConn.persistent_get(c, "p2"));
            assertTrue(RedisConn.persistent_del(c, "p1"));
            assertFalse(RedisConn.persistent_del(c, "p1"));
            assertNull(RedisConn.persistent_get(c, "p1"));
        } finally {
            RedisConn.close(c);
        }
    }
}
