package io.scanline.connectors.patch;

import io.scanline.connectors.image.GeoReference;
import io.scanline.connectors.image.ImageSource;
import io.scanline.connectors.image.Level;
import io.scanline.connectors.image.LevelKind;
import io.scanline.connectors.image.RgbBand;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Random;

/** An in-memory RGB image with random pixels; counts the rows read so tests can check band sizes. */
final class MemoryImageSource implements ImageSource {
    final int width, height;
    final byte[] rgb;
    int maxRowsPerRead;
    long rowsRead;

    MemoryImageSource(int width, int height, long seed) {
        this.width = width;
        this.height = height;
        this.rgb = new byte[width * height * 3];
        new Random(seed).nextBytes(rgb);
    }

    int pixel(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xFF;
    }

    @Override
    public String format() {
        return "memory";
    }

    @Override
    public String source() {
        return "memory";
    }

    @Override
    public List<Level> levels() {
        return List.of(new Level(0, LevelKind.LEVEL, width, height, false, width, height, "none", 3, 8, 1));
    }

    @Override
    public List<Level> images() {
        return levels();
    }

    @Override
    public OptionalDouble mppLevel0() {
        return OptionalDouble.empty();
    }

    @Override
    public OptionalDouble appMag() {
        return OptionalDouble.empty();
    }

    @Override
    public Optional<GeoReference> geoReference() {
        return Optional.empty();
    }

    @Override
    public RgbBand readRows(int level, int y, int rows) {
        if (level != 0 || y < 0 || rows <= 0 || y + rows > height) {
            throw new IllegalArgumentException("bad read " + y + "+" + rows);
        }
        maxRowsPerRead = Math.max(maxRowsPerRead, rows);
        rowsRead += rows;
        byte[] out = new byte[width * rows * 3];
        System.arraycopy(rgb, y * width * 3, out, 0, out.length);
        return new RgbBand(y, width, rows, out);
    }

    @Override
    public void close() {
    }
}
