package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Service discovery: each strategy (random, round-robin, sticky, first, leader; "all" is
 * instances()), online members only, a sub-group, noteError with its down-time, the added /
 * removed / updated changes (a payload update, the online flag), and the payload and online
 * flag a member last set restored after a reconnect.
 */
class ServiceProviderTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    private static final Duration PATIENCE = Duration.ofMillis(Waits.BOUND_MS);

    private static List<String> ids(List<Member> members) {
        List<String> ids = new ArrayList<>();
        for (Member m : members) {
            ids.add(m.id());
        }
        return ids;
    }

    private static String picked(ServiceProvider provider) {
        Member member = provider.instance();
        return member == null ? null : member.id();
    }

    private static void eventually(String what, BooleanSupplier check) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!check.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for: " + what);
            Thread.sleep(10);
        }
    }

    private static ServiceProvider.Options strategy(ServiceProvider.Strategy strategy) {
        return ServiceProvider.options().strategy(strategy);
    }

    @Test
    void strategiesPickAmongOnlineMembers() throws Exception {
        GroupConfig.Builder group = REDIS.freshGroup();
        try (GroupConnector svc = GroupConnector.connect(group.memberId("svc").build());
                GroupConnector client = GroupConnector.connect(group.memberId("client").build())) {
            for (String id : List.of("a", "b", "c")) {
                svc.join(id, Map.of("port", 80));
            }
            svc.setOnline("c", false);
            try (ServiceProvider round = client.serviceProvider(strategy(ServiceProvider.Strategy.ROUND_ROBIN))) {
                assertEquals(List.of("a", "b"), ids(round.instances()), "c is offline");
                List<String> picks = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    picks.add(picked(round));
                }
                assertEquals(List.of("a", "b", "a", "b"), picks);
                round.close();
                assertThrows(ConnectorClosedException.class, round::instance);
            }
            try (ServiceProvider first = client.serviceProviderAsync(strategy(ServiceProvider.Strategy.FIRST))
                            .get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
                    ServiceProvider sticky = client.serviceProvider(strategy(ServiceProvider.Strategy.STICKY));
                    ServiceProvider random = client.serviceProvider(strategy(ServiceProvider.Strategy.RANDOM))) {
                assertEquals("a", picked(first));
                assertEquals("a", picked(first));
                String kept = picked(sticky);
                for (int i = 0; i < 5; i++) {
                    assertEquals(kept, picked(sticky));
                }
                Set<String> seen = new HashSet<>();
                for (int i = 0; i < 200; i++) {
                    seen.add(picked(random));
                }
                assertEquals(Set.of("a", "b"), seen);
            }
            assertThrows(InvalidArgumentException.class,
                    () -> client.serviceProvider(strategy(ServiceProvider.Strategy.LEADER)));
            assertThrows(InvalidArgumentException.class,
                    () -> client.serviceProvider(strategy(ServiceProvider.Strategy.FIRST).election("svc")));
        }
    }

    @Test
    void aSubGroupAndNoteErrorWithItsDownTime() throws Exception {
        GroupConfig.Builder group = REDIS.freshGroup();
        try (GroupConnector web = GroupConnector.connect(group.memberId("web-1").subGroups(List.of("web")).build());
                GroupConnector svc = GroupConnector.connect(group.memberId("svc").subGroups(List.of("web")).build());
                GroupConnector db = GroupConnector.connect(group.memberId("db-1").subGroups(List.of("db")).build());
                GroupConnector client = GroupConnector.connect(group.memberId("client").build())) {
            web.join();
            svc.join();
            db.join();
            try (ServiceProvider webs = client.serviceProvider(
                    ServiceProvider.options().subGroup("web").downForMs(300).errorThreshold(2))) {
                assertEquals(List.of("svc", "web-1"), ids(webs.instances()));
                webs.noteError("svc");
                webs.noteError("svc");
                long noted = System.nanoTime();
                List<String> picks = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    picks.add(picked(webs));
                }
                if (System.nanoTime() - noted < TimeUnit.MILLISECONDS.toNanos(300)) {
                    assertEquals(List.of("web-1", "web-1", "web-1", "web-1"), picks, "svc is out");
                }
                Thread.sleep(350);
                Set<String> back = new HashSet<>();
                for (int i = 0; i < 4; i++) {
                    back.add(picked(webs));
                }
                assertEquals(Set.of("svc", "web-1"), back, "back after its down-time");
            }
        }
    }

    @Test
    void theLeaderStrategyFollowsTheElection() throws Exception {
        GroupConfig.Builder group = REDIS.freshGroup();
        try (GroupConnector a = GroupConnector.connect(group.memberId("a").build());
                GroupConnector b = GroupConnector.connect(group.memberId("b").build());
                GroupConnector client = GroupConnector.connect(group.memberId("client").build())) {
            a.join();
            b.join();
            Leadership first = a.elect("svc");
            eventually("a leads", first::isLeader);
            Leadership second = b.elect("svc");
            try (ServiceProvider leader = client.serviceProvider(
                    strategy(ServiceProvider.Strategy.LEADER).election("svc"))) {
                assertEquals("a", picked(leader));
                first.close(); // resigns: b is elected
                eventually("the provider picks b", () -> "b".equals(picked(leader)));
                second.close();
                eventually("nobody leads", () -> picked(leader) == null);
                assertEquals(List.of("a", "b"), ids(leader.instances()));
            }
        }
    }

    @Test
    void changesTellAddedRemovedAndUpdated() throws Exception {
        GroupConfig.Builder group = REDIS.freshGroup();
        try (GroupConnector svc = GroupConnector.connect(group.memberId("svc").build());
                GroupConnector client = GroupConnector.connect(group.memberId("client").build())) {
            svc.join("a");
            ServiceProvider provider = client.serviceProvider(ServiceProvider.options());
            BlockingQueue<InstancesChanged> heard = new LinkedBlockingQueue<>();
            try (InstanceSubscription changes = provider.subscribe();
                    InstanceSubscription listening = provider.addListener(heard::add)) {
                assertEquals(List.of("a"), ids(changes.snapshot()));
                svc.join("b");
                InstancesChanged change = changes.poll(PATIENCE);
                assertEquals(List.of("b"), ids(change.added()));
                assertTrue(change.removed().isEmpty());
                svc.updatePayload("b", Map.of("port", 9));
                change = changes.poll(PATIENCE);
                assertEquals(List.of("b"), ids(change.updated()));
                assertEquals(Map.of("port", 9), change.updated().get(0).payload());
                svc.setOnline("a", false);
                change = changes.poll(PATIENCE);
                assertEquals(List.of("a"), ids(change.removed()));
                Member a = client.members().stream().filter(m -> m.id().equals("a")).findFirst().orElseThrow();
                assertFalse(a.online(), "still a member, shown offline");
                svc.leave("b");
                assertEquals(List.of("b"), ids(changes.poll(PATIENCE).removed()));
                for (int i = 0; i < 4; i++) {
                    assertNotNull(heard.poll(PATIENCE.toMillis(), TimeUnit.MILLISECONDS), "listener event " + i);
                }
                provider.close();
                assertThrows(ConnectorClosedException.class, () -> changes.poll(PATIENCE), "ended with its provider");
            }
        }
    }

    @Test
    void payloadAndOnlineFlagAreRestoredAfterAReconnect() throws Exception {
        GroupConfig base = REDIS.freshGroup().build();
        try (TcpProxy proxy = new TcpProxy(REDIS.port());
                GroupConnector svc = GroupConnector.connect(GroupConfig.builder(proxy.url())
                        .group(base.group()).memberId("svc").sessionTimeout(Duration.ofMillis(1000))
                        .heartbeat(Duration.ofMillis(250)).commandTimeout(Duration.ofMillis(200)).build());
                GroupConnector client = GroupConnector.connect(GroupConfig.builder(REDIS.url())
                        .group(base.group()).memberId("client").build())) {
            svc.join(null, Map.of("port", 1));
            svc.updatePayload(null, Map.of("port", 2));
            svc.setOnline(null, false);
            String before = svc.sessionId();
            try (ServiceProvider provider = client.serviceProvider(ServiceProvider.options());
                    InstanceSubscription changes = provider.subscribe()) {
                proxy.pause(); // svc's lease runs out: it is reaped
                Thread.sleep(1500);
                proxy.resume();
                eventually("svc back under a new session", () -> client.members().stream()
                        .anyMatch(m -> m.id().equals("svc") && !m.session().equals(before)));
                Member back = client.members().stream().filter(m -> m.id().equals("svc")).findFirst().orElseThrow();
                assertEquals(Map.of("port", 2), back.payload());
                assertFalse(back.online());
                assertTrue(provider.instances().isEmpty(), "offline all along: never offered");
                svc.setOnline(null, true);
                InstancesChanged change = changes.poll(PATIENCE);
                assertNotEquals(null, change);
                assertEquals(List.of("svc"), ids(change.added()));
                assertEquals(Map.of("port", 2), change.added().get(0).payload());
            }
        }
    }
}
