package io.scanline.connectors.image;

import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.IngestLimits;
import io.scanline.connectors.ingest.RejectReason;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Opens an image file by its first bytes (never by its name). Every failure, including runtime
 * exceptions from decoders, comes out as an {@link IngestException} with a reason.
 */
public final class ImageSources {
    private ImageSources() {
    }

    public static ImageSource open(Path file, IngestLimits limits) throws IngestException {
        String src = file.toString();
        byte[] head = new byte[8];
        int n;
        try {
            if (!Files.isRegularFile(file)) {
                throw new IngestException(RejectReason.NOT_FOUND, src, Files.exists(file) ? "not a regular file" : "no such file");
            }
            try (InputStream in = Files.newInputStream(file)) {
                n = in.readNBytes(head, 0, 8);
            }
        } catch (NoSuchFileException e) {
            throw new IngestException(RejectReason.NOT_FOUND, src, "no such file");
        } catch (IOException e) {
            throw new IngestException(RejectReason.NOT_FOUND, src, "cannot read: " + e.getMessage(), e);
        }
        if (n == 0) {
            throw new IngestException(RejectReason.MALFORMED, src, "empty file");
        }
        try {
            if (n >= 4 && ((head[0] == 'I' && head[1] == 'I') || (head[0] == 'M' && head[1] == 'M'))) {
                return TiffImageSource.open(file, limits);
            }
            if (n >= 3 && (head[0] & 0xFF) == 0xFF && (head[1] & 0xFF) == 0xD8 && (head[2] & 0xFF) == 0xFF) {
                return WholeImageSource.open(file, "JPEG", limits);
            }
            if (n >= 8 && (head[0] & 0xFF) == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G') {
                return WholeImageSource.open(file, "PNG", limits);
            }
        } catch (RuntimeException e) {
            // Last line of defence: a decoder bug must still become a typed rejection.
            throw DecodeGuard.classify(src, "opening", e);
        }
        throw new IngestException(RejectReason.UNSUPPORTED_FORMAT, src, "first bytes match no supported format (TIFF, BigTIFF, JPEG, PNG)");
    }
}
