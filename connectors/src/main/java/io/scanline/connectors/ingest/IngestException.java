package io.scanline.connectors.ingest;

import java.util.Objects;

/**
 * A rejected input: a typed {@link RejectReason} plus a human-readable detail naming the source and
 * the problem. It is checked on purpose: callers must turn it into a dead-letter record.
 */
public final class IngestException extends Exception {
    private final RejectReason reason;
    private final String source;
    private final String detail;

    public IngestException(RejectReason reason, String source, String detail) {
        this(reason, source, detail, null);
    }

    public IngestException(RejectReason reason, String source, String detail, Throwable cause) {
        super(reason + " " + source + ": " + detail, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.source = source == null ? "?" : source;
        this.detail = detail == null ? "" : detail;
    }

    public RejectReason reason() {
        return reason;
    }

    /** The file, URI or image id the rejection is about. */
    public String source() {
        return source;
    }

    public String detail() {
        return detail;
    }

    /** One line, no stack trace: what {@code scanline inspect} prints and dead-letter records carry. */
    public String oneLine() {
        return "REJECTED " + reason + " " + source + ": " + detail.replace('\n', ' ').replace('\r', ' ');
    }
}
