package group_redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Set;
import java.util.List;
import java.util.Map;

/**
 * Java values to and from JSON text, with Jackson (shaded into the jar). Decoding follows the
 * project's rule: a JSON number becomes an Integer when it fits, else a Long, else a Double;
 * an object becomes a Map (insertion-ordered), an array a List.
 */
final class Json {
    /**
     * Objects and arrays nested deeper than this are refused (the core's limit: every reader
     * in every language must be able to parse what was stored).
     */
    static final int MAX_DEPTH = 100;

    /** NaN and infinities are written bare (not as strings) so the native side refuses them. */
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
            .build();
    private static final TypeReference<List<Object>> LIST = new TypeReference<>() { };

    private Json() {
    }

    /**
     * Encodes {@code value} (null, Number, String, Boolean, Map, List/array, bean). Values
     * that refer to themselves, or nest Maps, Collections and arrays more than
     * {@link #MAX_DEPTH} deep, are refused with {@link InvalidJsonException} before any
     * recursion could overflow the stack.
     */
    static String encode(Object value) {
        checkShape(value);
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new InvalidJsonException("cannot convert a " + value.getClass().getName()
                    + " to JSON: " + e.getOriginalMessage());
        }
    }

    /** Walks the containers of {@code value} iteratively: depth and cycles. */
    private static void checkShape(Object value) {
        // Each frame: a container and how deep it sits; `onPath` holds the containers
        // between the root and the one being visited, so a shared (not cyclic) child is fine.
        Deque<Object[]> pending = new ArrayDeque<>();
        Set<Object> onPath = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Object> path = new ArrayDeque<>();
        pending.push(new Object[] {value, 0});
        while (!pending.isEmpty()) {
            Object[] frame = pending.pop();
            if (frame[0] == EXIT) {
                onPath.remove(path.pop());
                continue;
            }
            Object item = frame[0];
            int depth = (Integer) frame[1];
            Iterable<?> children = children(item);
            if (children == null) {
                continue;
            }
            if (depth + 1 > MAX_DEPTH) {
                throw new InvalidJsonException("value is nested more than " + MAX_DEPTH + " levels deep");
            }
            if (!onPath.add(item)) {
                throw new InvalidJsonException("value refers to itself (a cycle cannot be JSON)");
            }
            path.push(item);
            pending.push(new Object[] {EXIT, 0});
            for (Object child : children) {
                pending.push(new Object[] {child, depth + 1});
            }
        }
    }

    private static final Object EXIT = new Object();

    private static Iterable<?> children(Object item) {
        if (item instanceof Map) {
            return ((Map<?, ?>) item).values();
        }
        if (item instanceof Iterable && !(item instanceof java.nio.file.Path)) {
            return (Iterable<?>) item;
        }
        if (item instanceof Object[]) {
            return java.util.Arrays.asList((Object[]) item);
        }
        return null;
    }

    /** Decodes JSON text; {@code null} text (absent) gives null. */
    static Object decode(String text) {
        if (text == null) {
            return null;
        }
        try {
            return normalize(MAPPER.readValue(text, Object.class));
        } catch (JsonProcessingException e) {
            throw new ProtocolException("native layer returned bad JSON: " + e.getOriginalMessage());
        }
    }

    /** Decodes a JSON array. */
    static List<Object> decodeList(String text) {
        try {
            List<Object> items = MAPPER.readValue(text, LIST);
            List<Object> normalized = new ArrayList<>(items.size());
            for (Object item : items) {
                normalized.add(normalize(item));
            }
            return normalized;
        } catch (JsonProcessingException e) {
            throw new ProtocolException("native layer returned bad JSON: " + e.getOriginalMessage());
        }
    }

    /** Turns Jackson's BigInteger/BigDecimal (numbers beyond long) into Double. */
    @SuppressWarnings("unchecked")
    private static Object normalize(Object value) {
        if (value instanceof BigInteger || value instanceof BigDecimal) {
            return ((Number) value).doubleValue();
        }
        if (value instanceof Map) {
            Map<String, Object> map = (Map<String, Object>) value;
            Map<String, Object> out = new LinkedHashMap<>(map.size() * 2);
            for (Map.Entry<String, Object> entry : map.entrySet()) {
                out.put(entry.getKey(), normalize(entry.getValue()));
            }
            return out;
        }
        if (value instanceof List) {
            List<Object> list = (List<Object>) value;
            List<Object> out = new ArrayList<>(list.size());
            for (Object item : list) {
                out.add(normalize(item));
            }
            return out;
        }
        return value;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Object value) {
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    static List<Object> asList(Object value) {
        return (List<Object>) value;
    }

    static long asLong(Object value) {
        return ((Number) value).longValue();
    }
}
