package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Controlled assignments: a join splits the ids after the old owner let go, close hands over. */
class AssignmentTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    private static AssignmentEvent waitShare(Assignment assignment, int size) throws InterruptedException {
        long deadline = System.nanoTime() + Waits.BOUND_MS * 1_000_000L;
        while (true) {
            AssignmentEvent share = assignment.share();
            if (share.ids().size() == size) {
                return share;
            }
            assertTrue(System.nanoTime() < deadline, "share " + share);
            Thread.sleep(5);
        }
    }

    @Test
    void aJoinSplitsTheIdsAndClosingHandsThemOver() throws Exception {
        GroupConfig.Builder group = REDIS.freshGroup();
        List<String> ids = List.of("a", "b", "c", "d");
        try (GroupConnector one = GroupConnector.connect(group.memberId("one").build());
                GroupConnector two = GroupConnector.connect(group.memberId("two").build())) {
            Assignment first = one.assignments("jobs", ids, null);
            AssignmentEvent all = waitShare(first, 4);
            assertEquals("one", all.member());
            assertEquals(ids, all.ids());
            try (AssignmentSubscription changes = first.subscribe();
                    Assignment second = two.assignments("jobs", ids, null)) {
                AssignmentEvent shrunk = changes.poll(java.time.Duration.ofMillis(Waits.BOUND_MS));
                assertEquals(2, shrunk.ids().size());
                AssignmentEvent theirs = waitShare(second, 2);
                Set<String> overlap = new HashSet<>(theirs.ids());
                overlap.retainAll(shrunk.ids());
                assertEquals(Collections.emptySet(), overlap);
                for (String id : theirs.ids()) {
                    assertTrue(theirs.tokens().get(id) > all.tokens().get(id));
                }
                first.close();
                waitShare(second, 4);
            }
        }
    }
}
