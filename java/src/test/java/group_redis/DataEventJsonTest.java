package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** DataEvent and DataSnapshot read the JSON shapes every binding shares (SPEC19 section 2). */
class DataEventJsonTest {
    @Test
    void aPutCarriesItsValueVersionAndRevision() {
        DataEvent event = DataEvent.fromJson("{\"path\":\"cfg/a\",\"kind\":\"put\",\"value\":{\"n\":1,\"big\":"
                + "9007199254740993},\"version\":3,\"revision\":17,\"resync\":false}");
        assertEquals("cfg/a", event.path());
        assertEquals(DataEvent.Kind.PUT, event.kind());
        assertEquals(Map.of("n", 1, "big", 9007199254740993L), event.value());
        assertEquals(3, event.version());
        assertEquals(17, event.revision());
        assertFalse(event.resync());
    }

    @Test
    void deleteAndExpiredHaveNoValueAndResyncIsRead() {
        DataEvent delete = DataEvent.fromJson(
                "{\"path\":\"cfg/a\",\"kind\":\"delete\",\"value\":null,\"version\":3,\"revision\":18,\"resync\":true}");
        assertEquals(DataEvent.Kind.DELETE, delete.kind());
        assertNull(delete.value());
        assertTrue(delete.resync());
        DataEvent expired = DataEvent.fromJson(
                "{\"path\":\"w/1\",\"kind\":\"expired\",\"value\":null,\"version\":1,\"revision\":19}");
        assertEquals(DataEvent.Kind.EXPIRED, expired.kind());
        assertFalse(expired.resync(), "an absent resync reads as false");
    }

    @Test
    void anUnknownKindIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> DataEvent.fromJson(
                "{\"path\":\"a\",\"kind\":\"renamed\",\"value\":null,\"version\":1,\"revision\":1}"));
    }

    @Test
    void aSnapshotHasItsRevisionAndEntriesInOrder() {
        DataSnapshot snapshot = DataSnapshot.fromJson("{\"revision\":42,\"entries\":["
                + "{\"path\":\"cfg/a\",\"value\":[1,2],\"version\":2},{\"path\":\"cfg/b\",\"value\":\"x\",\"version\":5}]}");
        assertEquals(42, snapshot.revision());
        assertEquals(2, snapshot.entries().size());
        assertEquals("cfg/a", snapshot.entries().get(0).path());
        assertEquals(List.of(1, 2), snapshot.entries().get(0).value());
        assertEquals(5, snapshot.entries().get(1).version());
        assertThrows(UnsupportedOperationException.class, () -> snapshot.entries().clear());
        assertTrue(DataSnapshot.fromJson("{\"revision\":0,\"entries\":[]}").entries().isEmpty());
    }
}
