package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * RedisConn is what the seed library's users compiled against: its public surface must not
 * change by accident. Every public method, constructor and field, with static-ness and the
 * generic parameter and return types (generics matter to source compatibility, their
 * erasure to binary compatibility), is compared with the committed list
 * src/test/resources/group_redis/RedisConn.api (its lines starting with # are comments). A
 * change that is meant must update that file, so it shows in review.
 */
class RedisConnSignaturesTest {
    private static final String COMMITTED = "RedisConn.api";

    @Test
    void thePublicSurfaceOfRedisConnIsTheCommittedOne() throws IOException {
        assertEquals(committed(), String.join("\n", surface(RedisConn.class)) + "\n",
                "RedisConn's public API changed: if that is meant, put the new list in src/test/resources/group_redis/"
                        + COMMITTED);
    }

    private static String committed() throws IOException {
        try (InputStream in = RedisConnSignaturesTest.class.getResourceAsStream(COMMITTED)) {
            if (in == null) {
                throw new IOException(COMMITTED + " is missing from the test resources");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(line -> !line.startsWith("#")).collect(Collectors.joining("\n", "", "\n"));
        }
    }

    /** One line per public member, sorted, after a line for the class itself. */
    static List<String> surface(Class<?> type) {
        List<String> members = new ArrayList<>();
        Arrays.stream(type.getDeclaredConstructors()).filter(RedisConnSignaturesTest::isPublic)
                .forEach(c -> members.add(modifiers(c) + "<init>(" + types(c.getGenericParameterTypes()) + ")"));
        Arrays.stream(type.getDeclaredFields()).filter(RedisConnSignaturesTest::isPublic)
                .forEach(f -> members.add(modifiers(f) + f.getGenericType().getTypeName() + " " + f.getName()));
        for (Method m : type.getDeclaredMethods()) {
            if (isPublic(m) && !m.isSynthetic()) {
                members.add(modifiers(m) + m.getGenericReturnType().getTypeName() + " " + m.getName()
                        + "(" + types(m.getGenericParameterTypes()) + ")");
            }
        }
        members.sort(null);
        List<String> lines = new ArrayList<>();
        lines.add(Modifier.toString(type.getModifiers()) + " class " + type.getName());
        lines.addAll(members);
        return lines;
    }

    private static boolean isPublic(Member member) {
        return Modifier.isPublic(member.getModifiers());
    }

    /** "public static " and the like; final and synchronized do not change what callers link to. */
    private static String modifiers(Member member) {
        return "public " + (Modifier.isStatic(member.getModifiers()) ? "static " : "");
    }

    private static String types(Type[] types) {
        return Arrays.stream(types).map(Type::getTypeName).collect(Collectors.joining(", "));
    }
}
