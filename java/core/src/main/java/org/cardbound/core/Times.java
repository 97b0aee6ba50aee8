package org.cardbound.core;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.ResolverStyle;
import java.util.Optional;
import java.util.regex.Pattern;

// The protocol's one time format, exactly `YYYY-MM-DDTHH:MM:SSZ` in UTC
// (docs/protocol.md §4): no fractions, no offsets, no leap seconds.
public final class Times {
    private Times() {}

    private static final Pattern SHAPE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z");
    private static final DateTimeFormatter FORMAT =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss'Z'").withResolverStyle(ResolverStyle.STRICT);

    public static Optional<Instant> parse(String text) {
        if (text == null || !SHAPE.matcher(text).matches()) return Optional.empty();
        try {
            return Optional.of(LocalDateTime.parse(text, FORMAT).toInstant(ZoneOffset.UTC));
        } catch (DateTimeException notATime) {
            return Optional.empty();
        }
    }

    public static String format(Instant at) {
        return FORMAT.format(LocalDateTime.ofInstant(at, ZoneOffset.UTC));
    }
}
