package io.scanline.kernels.io;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file that does not follow the format; the message names the file and the problem. */
public final class SafetensorsFormatException extends IOException {
    public SafetensorsFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }
}
