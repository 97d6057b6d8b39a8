package io.scanline.connectors.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.function.Consumer;

/** Producer side of inline streaming: header, tiles of at most {@code payloadBytes}, end. */
public final class InlineSplitter {
    private InlineSplitter() {
    }

    /** Streams a file as inline records to {@code sink}, reading it once; returns the record count sent. */
    public static int split(String imageId, Path file, Map<String, String> params, int payloadBytes,
                            Consumer<ImageMessage> sink) throws IOException {
        if (payloadBytes < 1 || payloadBytes > ImageMessageCodec.DEFAULT_TILE_PAYLOAD) {
            throw new IllegalArgumentException("payload must be 1.." + ImageMessageCodec.DEFAULT_TILE_PAYLOAD + " bytes");
        }
        long size = Files.size(file);
        sink.accept(new InlineHeader(imageId, size, file.getFileName().toString(), params));
        MessageDigest sha = sha256();
        int seq = 0;
        long offset = 0;
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf;
            while ((buf = in.readNBytes(payloadBytes)).length > 0) {
                sha.update(buf);
                sink.accept(new InlineTile(imageId, seq++, offset, buf));
                offset += buf.length;
            }
        }
        sink.accept(new InlineEnd(imageId, seq, offset, sha.digest()));
        return seq + 2;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
