package org.cardbound.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.cardbound.core.Json;
import org.cardbound.core.TestFiles;
import org.junit.jupiter.api.Test;

// EndReason is written by hand; it must stay the registry's server reasons.
class EndReasonTest {
    @Test
    void theServersEndReasonsAreTheRegistrys() throws Exception {
        JsonNode registry = Json.parse(Files.readString(TestFiles.source().resolve("protocol/registry.json")));
        Set<String> server = new TreeSet<>();
        for (JsonNode r : registry.get("endReasons")) {
            for (JsonNode by : r.get("raisedBy"))
                if (by.textValue().equals("server")) server.add(r.get("reason").textValue());
        }
        assertEquals(server, Arrays.stream(EndReason.values()).map(EndReason::wireName).collect(Collectors.toCollection(TreeSet::new)));
    }
}
