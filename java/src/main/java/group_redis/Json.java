package group_redis;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.math.BigDecimal;
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
 * project's rule: a JSON integer becomes an Integer when it fits, else a Long, else a
 * BigInteger (the core keeps integers up to 2^64-1 exactly; a Double would round them); a
 * number with a fraction or an exponent becomes a Double; an object becomes a Map
 * (insertion-ordered), an array a List.
 *
 * <p>Limits: objects and arrays nested more than 100 deep are refused ({@link #MAX_DEPTH}),
 * and so are values that refer to themselves (a Map, Collection or array that contains itself,
 * directly or further down), with {@link InvalidJsonException}, before anything is sent to the
 * native layer and before any recursion could overflow the stack. Depth counts containers:
 * {@code []} is 1, {@code [[1]]} is 2, a scalar is 0. Decoding refuses documents nested more
 * than {@link #MAX_DOCUMENT_DEPTH} with {@link ProtocolException}, so no input can overflow
 * the stack either.
 */
final class Json {
    /**
     * Objects and arrays nested more than 100 deep are refused: the core's limit (every reader
     * in every language must be able to parse what was stored). A value exactly 100 deep is
     * accepted, 101 is refused.
     */
    static final int MAX_DEPTH = 100;

    /**
     * The deepest document Jackson reads or writes. The native layer hands back values wrapped
     * in member records, events and lists (a few levels over the value), and a value another
     * client stored can be as deep as serde_json reads (128); this is far above both and far
     * below what could overflow a thread's stack (Jackson and {@link #normalize} recurse per
     * level). Writing: values are checked against {@link #MAX_DEPTH} first; this bounds what
     * that check cannot see (beans that refer to themselves through their properties).
     */
    static final int MAX_DOCUMENT_DEPTH = 256;

    /** NaN and infinities are written bare (not as strings) so the native side refuses them. */
    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_DOCUMENT_DEPTH).build())
                    .streamWriteConstraints(StreamWriteConstraints.builder()
                            .maxNestingDepth(MAX_DOCUMENT_DEPTH).build())
                    .build())
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
     *
     * @throws InvalidJsonException when the value cannot be JSON or is too deep
     */
    static String encode(Object value) {
        check(value);
        return write(value);
    }

    /**
     * Encodes a document the binding builds around values (a list of path/value pairs, the
     * connector options), each of which the caller has already passed to {@link #check}: the
     * wrapping levels do not count against {@link #MAX_DEPTH}.
     */
    static String encodeDocument(Object document) {
        return write(document);
    }

    private static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new InvalidJsonException("cannot convert a " + value.getClass().getName()
                    + " to JSON: " + e.getOriginalMessage());
        }
    }

    /**
     * Refuses, with {@link InvalidJsonException}, a value whose Maps, Collections and arrays
     * nest more than {@link #MAX_DEPTH} deep or contain themselves. Iterative (an explicit
     * stack), so a chain of any length is refused without a deep recursion.
     */
    static void check(Object value) {
        // Each frame: a container and how deep its parent sits; `onPath` holds the containers
        // between the root and the one being visited (by identity, not equals(): a cyclic
        // map's hashCode() would itself overflow), so a shared child that is not its own
        // ancestor is fine.
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
            if (!isContainer(item)) {
                continue;
            }
            if (onPath.contains(item)) {
                throw new InvalidJsonException("value refers to itself: a "
                        + item.getClass().getName() + " contains itself (a cycle cannot be JSON)");
            }
            if (depth + 1 > MAX_DEPTH) {
                throw new InvalidJsonException("value is nested more than " + MAX_DEPTH
                        + " levels deep (objects and arrays nested more than " + MAX_DEPTH
                        + " deep are refused)");
            }
            Iterable<?> children = children(item);
            if (children == null) {
                continue; // an array of primitives: a level, but no containers below
            }
            onPath.add(item);
            path.push(item);
            pending.push(new Object[] {EXIT, 0});
            for (Object child : children) {
                if (isContainer(child)) {
                    pending.push(new Object[] {child, depth + 1});
                }
            }
        }
    }

    private static final Object EXIT = new Object();

    /** What Jackson writes as a JSON object or array (byte[] and char[] become strings). */
    private static boolean isContainer(Object item) {
        return item instanceof Map
                || (item instanceof Iterable && !(item instanceof java.nio.file.Path))
                || (item != null && item.getClass().isArray()
                        && !(item instanceof byte[]) && !(item instanceof char[]));
    }

    /** The values below a container, or null for an array of primitives. */
    private static Iterable<?> children(Object item) {
        if (item instanceof Map) {
            return ((Map<?, ?>) item).values();
        }
        if (item instanceof Object[]) {
            return java.util.Arrays.asList((Object[]) item);
        }
        if (item instanceof Iterable) {
            return (Iterable<?>) item;
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

    /**
     * Copies Jackson's tree into insertion-ordered Maps and Lists. Integers beyond long stay
     * BigInteger (exact); a BigDecimal (only if Jackson were configured to make them) becomes
     * a Double like every other fractional number.
     */
    @SuppressWarnings("unchecked")
    private static Object normalize(Object value) {
        if (value instanceof BigDecimal) {
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

    /**
     * A JSON integer the native layer sent (a version, a token) as a long. Jackson reads
     * integers into Integer or Long exactly (never through a double, so those beyond 2^53
     * keep every digit); anything else here is a broken document, not a value to round.
     */
    static long asLong(Object value) {
        if (value instanceof Integer || value instanceof Long) {
            return ((Number) value).longValue();
        }
        throw new ProtocolException("native layer returned " + value + " where an integer was expected");
    }
}
