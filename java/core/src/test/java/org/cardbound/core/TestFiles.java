package org.cardbound.core;

import java.nio.file.Files;
import java.nio.file.Path;

// Where the tests find the repository and the C++ test server: system
// properties set by CMake's java_unit test (cardbound.source,
// cardbound.testServer).
public final class TestFiles {
    private TestFiles() {}

    public static Path source() {
        String s = System.getProperty("cardbound.source");
        if (s == null) throw new IllegalStateException("run with -Dcardbound.source=<the repository>");
        return Path.of(s);
    }

    // ../shared/vectors/web-eid beside the repository, or CARDBOUND_SHARED_DIR.
    public static Path webEidVectors() {
        String shared = System.getenv("CARDBOUND_SHARED_DIR");
        Path dir = (shared != null ? Path.of(shared) : source().resolve("../shared")).resolve("vectors/web-eid");
        if (!Files.isRegularFile(dir.resolve("valid-es384.json")))
            throw new IllegalStateException("the Web eID vector is missing from " + dir);
        return dir;
    }

    // build/host/tests/cardbound-test-server; the cross tests need it built
    // (they fail without it: a skipped test would pass for nothing).
    public static Path testServer() {
        String s = System.getProperty("cardbound.testServer");
        Path p = s == null ? null : Path.of(s);
        org.junit.jupiter.api.Assertions.assertTrue(p != null && Files.isExecutable(p),
                "cardbound-test-server is not built (cmake --build build --target cardbound-test-server)");
        return p;
    }
}
