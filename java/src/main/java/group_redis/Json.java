package group_redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Java values to and from JSON text, with Jackson (shaded into the jar). Decoding follows the
 * project's rule: a JSON number becomes an Integer when it fits, else a Long, else a Double;
 * an object becomes a Map (insertion-ordered), an array a List.
 */
final class Json {
    /** NaN and infinities are written bare (not as strings) so the native side refuses them. */
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
            .build();
    private static final TypeReference<List<Object>> LIST = new TypeReference<>() { };

    private Json() {
    }

    /** Encodes {@code value} (null, Number, String, Boolean, Map, List/array, bean). */
    static String encode(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new InvalidJsonException("cannot convert a " + value.getClass().getName()
                    + " to JSON: " + e.getOriginalMessage());
        }
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
