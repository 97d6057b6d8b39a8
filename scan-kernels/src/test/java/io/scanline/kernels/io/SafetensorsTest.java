package io.scanline.kernels.io;

import io.scanline.kernels.tensor.DType;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsTest {
    @TempDir
    Path dir;

    @Test
    void roundTripKeepsTensorsAndMetadata() throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("a", Tensor.of(new float[] {1.5f, -2f, 3.25f, 0f, 7f, 8f}, 2, 3));
        t.put("b.c", Tensor.of(new double[] {Math.PI, -1e300}, 2));
        t.put("empty", Tensor.zeros(0, 4));
        Path f = dir.resolve("x.safetensors");
        Safetensors.write(f, t, Map.of("format", "pt", "note", "ü"));
        try (Safetensors st = Safetensors.open(f)) {
            assertEquals(Map.of("format", "pt", "note", "ü"), st.metadata());
            assertEquals(java.util.List.of("a", "b.c", "empty"), new java.util.ArrayList<>(st.names()));
            assertArrayEquals(t.get("a").f32(), st.read("a").f32());
            assertArrayEquals(new int[] {2, 3}, st.read("a").shape());
            assertArrayEquals(t.get("b.c").f64(), st.read("b.c").f64());
            assertEquals(DType.F64, st.read("b.c").dtype());
            assertEquals(0, st.read("empty").numel());
        }
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(f), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLen % 8, "header padded to a multiple of 8");
    }

    @Test
    void readsHalfAndBfloat16AsF32() throws IOException {
        // 1.0, -2.5, 65504 (max half), 2^-24 (smallest subnormal) in F16; 1.0, -3.0 in BF16
        short[] half = {0x3c00, (short) 0xc100, 0x7bff, 0x0001};
        short[] bf = {0x3f80, (short) 0xc040};
        ByteBuffer data = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : half) data.putShort(s);
        for (short s : bf) data.putShort(s);
        Path f = raw("{\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]}}", data.array());
        try (Safetensors st = Safetensors.open(f)) {
            assertArrayEquals(new float[] {1f, -2.5f, 65504f, 0x1p-24f}, st.read("h").f32());
            assertArrayEquals(new float[] {1f, -3f}, st.read("b").f32());
        }
    }

    // ---- malformed files: each must fail with SafetensorsFormatException naming the file and the problem

    private Path raw(String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Path f = Files.createTempFile(dir, "bad", ".safetensors");
        Files.write(f, b.array());
        return f;
    }

    private void assertRejected(Path f, String fragment) {
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> {
            try (Safetensors st = Safetensors.open(f)) {
                for (String n : st.names()) st.read(n);
            }
        });
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }

    @Test
    void rejectsFileShorterThanLengthField() throws IOException {
        Path f = dir.resolve("short.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        assertRejected(f, "less than the 8-byte header length");
    }

    @Test
    void rejectsHugeHeaderLengthWithoutAllocating() throws IOException {
        Path f = dir.resolve("huge.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE - 3).putLong(0);
        Files.write(f, b.array());
        assertRejected(f, "bad header length");
    }

    @Test
    void rejectsHeaderPastEndOfFile() throws IOException {
        Path f = dir.resolve("past.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).putLong(0);
        Files.write(f, b.array());
        assertRejected(f, "runs past the end of the file");
    }

    @Test
    void rejectsInvalidJson() throws IOException {
        assertRejected(raw("{\"a\": [1, 2", new byte[0]), "not valid JSON");
    }

    @Test
    void rejectsUnknownDtype() throws IOException {
        assertRejected(raw("{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]),
                "unknown or unsupported dtype 'C64'");
    }

    @Test
    void rejectsShapeSizeMismatch() throws IOException {
        assertRejected(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]),
                "needs 12 bytes but data_offsets span 8");
    }

    @Test
    void rejectsOffsetsOutsideFile() throws IOException {
        assertRejected(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]),
                "outside the data section");
    }

    @Test
    void rejectsTruncatedData() throws IOException {
        Path good = dir.resolve("good.safetensors");
        Safetensors.write(good, Map.of("w", Tensor.zeros(64)), Map.of());
        byte[] all = Files.readAllBytes(good);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, java.util.Arrays.copyOf(all, all.length - 10));
        assertRejected(cut, "file truncated?");
    }

    @Test
    void rejectsOverlappingTensors() throws IOException {
        assertRejected(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]), "overlap");
    }

    @Test
    void rejectsNegativeDimensionAndBadOffsets() throws IOException {
        assertRejected(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]), "bad dimension");
        assertRejected(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", new byte[8]), "bad data_offsets");
        assertRejected(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]), "data_offsets must be [begin, end]");
    }

    @Test
    void rejectsAbsurdShapeWithoutOverflow() throws IOException {
        assertRejected(raw("{\"a\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}",
                new byte[8]), "needs");
    }

    @Test
    void rejectsNonStringMetadata() throws IOException {
        assertRejected(raw("{\"__metadata__\":{\"k\":1}}", new byte[0]), "is not a string");
    }
}
