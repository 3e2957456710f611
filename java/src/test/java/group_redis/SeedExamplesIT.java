package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.MethodInvocationTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.util.JavacTask;
import com.sun.source.util.TreePath;
import com.sun.source.util.TreePathScanner;
import com.sun.source.util.Trees;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.TypeElement;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Seed users swap the jar and change nothing else: the seed-style examples in src/test/seed
 * (JUnit 4, as the seed's own TestConn) are compiled here against the packaged jar alone,
 * must call every public method of RedisConn between them, and are then run in a JVM whose
 * class path is that jar, JUnit 4 and the compiled examples, against a real redis-server.
 * An integration test (failsafe, after the jar is packaged) because it needs the jar.
 */
class SeedExamplesIT {
    private static final long CHILD_BOUND_S = 180;

    @Test
    void seedExamplesCompileAgainstTheJarCallEveryRedisConnMethodAndPass() throws Exception {
        Path jar = Paths.get(System.getProperty("group_redis.jar"));
        assertTrue(Files.isRegularFile(jar), "no packaged jar at " + jar);
        Path sources = Paths.get(System.getProperty("group_redis.seed.sources"));
        Path classes = Files.createDirectories(Paths.get(System.getProperty("group_redis.seed.classes")));
        String classPath = Stream.of(jar, jarOf(org.junit.Assert.class), jarOf(org.hamcrest.Matcher.class))
                .map(Path::toString).collect(Collectors.joining(File.pathSeparator));

        Compiled compiled = compile(sources, classes, classPath);
        Set<String> notCalled = new TreeSet<>(compiled.publicRedisConnMethods);
        notCalled.removeAll(compiled.calledRedisConnMethods);
        assertEquals(Set.of(), notCalled, "public RedisConn methods no seed example calls");

        try (RedisServer redis = RedisServer.start()) {
            String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
            Path log = Files.createTempFile("seed-examples-", ".log");
            try {
                Process child = new ProcessBuilder(java, "-Xcheck:jni",
                        "-Dseed.redis.host=127.0.0.1:" + redis.port(),
                        "-cp", classes + File.pathSeparator + classPath,
                        "org.junit.runner.JUnitCore", "group_redis.TestConn", "group_redis.TestConnExtras")
                        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
                boolean ended = child.waitFor(CHILD_BOUND_S, TimeUnit.SECONDS);
                if (!ended) {
                    child.destroyForcibly();
                }
                String output = Files.readString(log, StandardCharsets.UTF_8);
                System.out.println(output);
                assertTrue(ended, "the seed examples did not finish within " + CHILD_BOUND_S + " s");
                assertEquals(0, child.exitValue(), "the seed examples failed:\n" + output);
                assertTrue(output.contains("OK (" + compiled.testMethods + " tests)"),
                        "expected all " + compiled.testMethods + " seed tests to run:\n" + output);
            } finally {
                Files.deleteIfExists(log);
            }
        }
    }

    /** What compiling the examples found. */
    private static final class Compiled {
        final Set<String> publicRedisConnMethods = new TreeSet<>();
        final Set<String> calledRedisConnMethods = new TreeSet<>();
        int testMethods;
    }

    private static Compiled compile(Path sources, Path classes, String classPath) throws IOException {
        List<File> files;
        try (Stream<Path> walk = Files.walk(sources)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).map(Path::toFile).collect(Collectors.toList());
        }
        assertTrue(!files.isEmpty(), "no seed examples under " + sources);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager fileManager = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            JavacTask task = (JavacTask) javac.getTask(null, fileManager, diagnostics,
                    List.of("--release", "11", "-classpath", classPath, "-d", classes.toString()), null,
                    fileManager.getJavaFileObjectsFromFiles(files));
            Iterable<? extends CompilationUnitTree> units = task.parse();
            task.analyze();
            List<Diagnostic<? extends JavaFileObject>> errors = diagnostics.getDiagnostics().stream()
                    .filter(d -> d.getKind() == Diagnostic.Kind.ERROR).collect(Collectors.toList());
            assertEquals(List.of(), errors, "the seed examples do not compile against the jar alone");
            Compiled compiled = new Compiled();
            Trees trees = Trees.instance(task);
            for (CompilationUnitTree unit : units) {
                new TreePathScanner<Void, Void>() {
                    @Override
                    public Void visitMethodInvocation(MethodInvocationTree node, Void unused) {
                        Element called = trees.getElement(getCurrentPath());
                        if (called != null && called.getEnclosingElement().toString().equals("group_redis.RedisConn")) {
                            compiled.calledRedisConnMethods.add(signature((ExecutableElement) called));
                        }
                        return super.visitMethodInvocation(node, unused);
                    }

                    @Override
                    public Void visitMethod(MethodTree node, Void unused) {
                        if (node.getModifiers().getAnnotations().stream()
                                .anyMatch(a -> a.getAnnotationType().toString().equals("Test"))) {
                            compiled.testMethods++;
                        }
                        return super.visitMethod(node, unused);
                    }
                }.scan(new TreePath(unit), null);
            }
            // Asked before generate(), which ends the compiler's model of the jar.
            compiled.publicRedisConnMethods.addAll(publicMethods(task.getElements().getTypeElement("group_redis.RedisConn")));
            task.generate();
            return compiled;
        }
    }

    /** The public methods of RedisConn as the compiler saw them in the jar. */
    private static Set<String> publicMethods(TypeElement redisConn) {
        return redisConn.getEnclosedElements().stream()
                .filter(e -> e.getKind() == ElementKind.METHOD && e.getModifiers().contains(Modifier.PUBLIC))
                .map(e -> signature((ExecutableElement) e))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static String signature(ExecutableElement method) {
        return method.getSimpleName() + method.getParameters().stream()
                .map(p -> p.asType().toString()).collect(Collectors.joining(", ", "(", ")"));
    }

    private static Path jarOf(Class<?> type) throws URISyntaxException {
        return Paths.get(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    }
}
