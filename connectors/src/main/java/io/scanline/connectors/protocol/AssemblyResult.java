package io.scanline.connectors.protocol;

import io.scanline.connectors.ingest.IngestException;

import java.nio.file.Path;

/** What {@link InlineAssembler#accept} says after each record. */
public sealed interface AssemblyResult {
    String imageId();

    /** The image is still incomplete (or the record was a harmless duplicate). */
    record Pending(String imageId) implements AssemblyResult {
    }

    /** All bytes arrived and match the end record; the caller owns {@code file} from now on. */
    record Completed(String imageId, Path file, long sizeBytes, String sha256Hex, InlineHeader header) implements AssemblyResult {
    }

    /** The image is dropped (its spool file deleted); the error goes to the dead-letter topic. */
    record Rejected(String imageId, IngestException error) implements AssemblyResult {
    }
}
