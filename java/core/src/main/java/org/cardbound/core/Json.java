package org.cardbound.core;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

// One strict JSON reader and writer for every message: duplicate members are
// refused (two "signature"s must not mean whichever came last), trailing
// text is refused, and the input is bounded before Jackson sees it.
public final class Json {
    private Json() {}

    // The largest JSON text we parse: a token or a message is a few KiB.
    public static final int MAX_TEXT_BYTES = 1024 * 1024;

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .disable(SerializationFeature.INDENT_OUTPUT);

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static JsonNode parse(String text) {
        if (text.getBytes(StandardCharsets.UTF_8).length > MAX_TEXT_BYTES)
            throw new ProtocolException("the JSON text is larger than " + MAX_TEXT_BYTES + " bytes");
        try {
            JsonNode node = MAPPER.readTree(text);
            if (node == null) throw new ProtocolException("no JSON text");
            return node;
        } catch (JsonProcessingException e) {
            throw new ProtocolException("not JSON: " + e.getOriginalMessage());

        }
    }

    public static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
