package group_redis;

import static org.junit.Assert.*;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.Test;

/**
 * Every RedisConn method TestConn does not call, in the seed users' style (JUnit 4, only the
 * jar on the class path; SeedExamplesIT compiles and runs it and checks that the two together
 * call every public method): options, the member-taking lock, leave, sub-groups, deletes,
 * set-many and the event queue. The host comes from -Dseed.redis.host.
 */
public class TestConnExtras {
    private static final String HOST = System.getProperty("seed.redis.host", "localhost");

    private static Object connect(String group) {
        Map<String, Object> conf = new LinkedHashMap<String, Object>();
        conf.put("group-name", group);
        conf.put("heart-beat-freq", 2);
        conf.put("sub-groups", List.of("a", "b"));
        conf.put("timeout", 3000);
        return RedisConn.create_group_connector(HOST, conf);
    }

    private static String freshGroup() {
        return "extras-" + UUID.randomUUID();
    }

    @Test
    public void testMembersHaveTheSeedShapeAndSubGroupsChange() {
        Object c = connect(freshGroup());
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
            RedisConn.join(c);
            assertTrue(RedisConn.leave(c));
            assertFalse(RedisConn.leave(c));
            Collection<Map<?, ?>> none = RedisConn.getMembers(c);
            assertEquals(new ArrayList<Object>(), new ArrayList<Object>(none));
        } finally {
            RedisConn.close(c);
        }
    }

    @Test
    public void testLockForAnotherMember() {
        Object c = connect(freshGroup());
        try {
            assertTrue(RedisConn.lock(c, "member-b", "shared"));
            assertFalse(RedisConn.lock(c, "shared"));
            assertFalse(RedisConn.lock(c, "member-b", "shared"));
            assertFalse(RedisConn.release(c, "shared"));
            assertTrue(RedisConn.release(c, "member-b", "shared"));
            assertTrue(RedisConn.lock(c, "shared"));
        } finally {
            RedisConn.close(c);
        }
    }

    @Test
    public void testDeletesAndSetMany() {
        Object c = connect(freshGroup());
        try {
            RedisConn.empheral_set(c, "e", Map.of("x", 1));
            assertEquals(Map.of("x", 1), RedisConn.empheral_get(c, "e"));
            assertTrue(RedisConn.empheral_del(c, "e"));
            assertNull(RedisConn.empheral_get(c, "e"));

            Map<String, Object> many = new LinkedHashMap<String, Object>();
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

    @Test
    public void testEventQueue() throws InterruptedException {
        String group = freshGroup();
        Object watcher = connect(group);
        Object joiner = connect(group);
        try {
            BlockingQueue<Map<String, Object>> events = RedisConn.register_member_event_ch(watcher);
            RedisConn.join(joiner, "newcomer");
            Map<String, Object> event = events.poll(20, TimeUnit.SECONDS);
            assertNotNull("no join event within 20 s", event);
            Map<?, ?> joined = (Map<?, ?>) ((List<?>) event.get("joined_members")).get(0);
            assertEquals("newcomer", joined.get("id"));
            assertEquals("/" + group + "/members/newcomer", joined.get("path"));

            assertTrue(RedisConn.unregister_event_ch(watcher, events));
            assertFalse(RedisConn.unregister_event_ch(watcher, events));
        } finally {
            RedisConn.close(joiner);
            RedisConn.close(watcher);
        }
    }
}
