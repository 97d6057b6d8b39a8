package io.scanline.connectors.uri;

import io.scanline.connectors.ingest.IngestException;

import java.net.URI;
import java.nio.file.Path;

/**
 * Fetches a claim-check URI of a remote scheme (s3, gs, http...) to a local file the readers can
 * open. Plugged into {@link ClaimCheckResolver} by scheme; none ships yet.
 */
public interface SchemeHandler {
    Path fetch(URI uri) throws IngestException;
}
