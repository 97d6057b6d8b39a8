package io.scanline.connectors.protocol;

import java.util.Map;

/**
 * Opens an inline stream: the file's bytes follow in {@link InlineTile} records.
 *
 * @param declaredBytes file size if the producer knows it, else -1
 * @param fileName      original name, informative only (never used as a path)
 * @param params        model/job parameters, as in {@link ImageReference#params()}
 */
public record InlineHeader(String imageId, long declaredBytes, String fileName, Map<String, String> params) implements ImageMessage {
    public InlineHeader {
        params = params == null ? Map.of() : Map.copyOf(params);
        fileName = fileName == null ? "" : fileName;
    }
}
