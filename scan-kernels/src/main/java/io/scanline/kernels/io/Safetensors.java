package io.scanline.kernels.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.kernels.tensor.DType;
import io.scanline.kernels.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reader of the standard safetensors format: {@code u64 LE header length | JSON header | data}.
 *
 * <p>The header is validated in full when the file is opened (before any tensor is read), so a
 * malformed file fails with a {@link SafetensorsFormatException} naming the file and the problem and
 * never with an OOM or an index error. Tensors are read lazily, one at a time, so a large weights file
 * costs only the tensors asked for.
 */
public final class Safetensors implements AutoCloseable {
    /** Upper bound of a header; real headers are a few hundred KiB even for thousands of tensors. */
    public static final long MAX_HEADER_BYTES = 100L << 20;

    static final ObjectMapper JSON = new ObjectMapper();

    /** Where one tensor lives in the data section. */
    public record Entry(String name, DType dtype, int[] shape, long begin, long end) {}

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries;          // header order
    private final Map<String, String> metadata;

    private Safetensors(Path file, FileChannel channel, long dataStart, Map<String, Entry> entries,
                        Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Opens and validates a file; the caller closes it. */
    public static Safetensors open(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            return parse(file, ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Reads every tensor of a file at once (small files: golden cases, test models). */
    public static Map<String, Tensor> readAll(Path file) throws IOException {
        try (Safetensors st = open(file)) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (String name : st.names()) out.put(name, st.read(name));
            return out;
        }
    }

    private static Safetensors parse(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) throw new SafetensorsFormatException(file, "file has " + size + " bytes, less than the 8-byte header length");
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0);
        long headerLen = lenBuf.flip().getLong();
        if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES) {
            throw new SafetensorsFormatException(file, "bad header length " + Long.toUnsignedString(headerLen)
                    + " (must be in 1.." + MAX_HEADER_BYTES + ")");
        }
        if (8 + headerLen > size) {
            throw new SafetensorsFormatException(file, "header length " + headerLen + " runs past the end of the file ("
                    + size + " bytes)");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        readFully(ch, hb, 8);
        JsonNode root;
        try {
            root = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new SafetensorsFormatException(file, "header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new SafetensorsFormatException(file, "header is not a JSON object");
        long dataStart = 8 + headerLen;
        long dataLen = size - dataStart;

        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            JsonNode v = f.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) throw new SafetensorsFormatException(file, "__metadata__ is not an object");
                for (Iterator<Map.Entry<String, JsonNode>> m = v.fields(); m.hasNext(); ) {
                    Map.Entry<String, JsonNode> me = m.next();
                    if (!me.getValue().isTextual()) {
                        throw new SafetensorsFormatException(file, "__metadata__ value of '" + me.getKey() + "' is not a string");
                    }
                    metadata.put(me.getKey(), me.getValue().asText());
                }
                continue;
            }
            entries.put(name, parseEntry(file, name, v, dataLen));
        }
        checkOverlaps(file, entries.values());
        return new Safetensors(file, ch, dataStart, Collections.unmodifiableMap(entries),
                Collections.unmodifiableMap(metadata));
    }

    private static Entry parseEntry(Path file, String name, JsonNode v, long dataLen) throws SafetensorsFormatException {
        if (!v.isObject()) throw new SafetensorsFormatException(file, "tensor '" + name + "': entry is not an object");
        JsonNode dt = v.get("dtype"), sh = v.get("shape"), off = v.get("data_offsets");
        if (dt == null || !dt.isTextual()) throw new SafetensorsFormatException(file, "tensor '" + name + "': missing dtype");
        DType dtype = DType.fromSafetensors(dt.asText());
        if (dtype == null) {
            throw new SafetensorsFormatException(file, "tensor '" + name + "': unknown or unsupported dtype '" + dt.asText()
                    + "' (supported: F64, F32, F16, BF16)");
        }
        if (sh == null || !sh.isArray()) throw new SafetensorsFormatException(file, "tensor '" + name + "': missing shape");
        int[] shape = new int[sh.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0 || d.asLong() > Integer.MAX_VALUE) {
                throw new SafetensorsFormatException(file, "tensor '" + name + "': bad dimension " + d + " in shape " + sh);
            }
            shape[i] = (int) d.asLong();
            numel = Math.multiplyHigh(numel, shape[i]) != 0 ? Long.MAX_VALUE : numel * shape[i];
            if (numel > Long.MAX_VALUE / 8) numel = Long.MAX_VALUE / 8;
        }
        if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).isIntegralNumber() || !off.get(1).isIntegralNumber()) {
            throw new SafetensorsFormatException(file, "tensor '" + name + "': data_offsets must be [begin, end]");
        }
        long begin = off.get(0).asLong(), end = off.get(1).asLong();
        if (begin < 0 || end < begin) {
            throw new SafetensorsFormatException(file, "tensor '" + name + "': bad data_offsets [" + begin + ", " + end + "]");
        }
        if (end > dataLen) {
            throw new SafetensorsFormatException(file, "tensor '" + name + "': data_offsets [" + begin + ", " + end
                    + "] outside the data section of " + dataLen + " bytes (file truncated?)");
        }
        long expected = numel * dtype.bytes;
        if (end - begin != expected) {
            throw new SafetensorsFormatException(file, "tensor '" + name + "': shape " + sh + " of " + dtype + " needs "
                    + expected + " bytes but data_offsets span " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static void checkOverlaps(Path file, java.util.Collection<Entry> all) throws SafetensorsFormatException {
        List<Entry> sorted = new ArrayList<>(all);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        for (int i = 1; i < sorted.size(); i++) {
            Entry a = sorted.get(i - 1), b = sorted.get(i);
            if (b.begin < a.end) {
                throw new SafetensorsFormatException(file, "tensors '" + a.name + "' and '" + b.name + "' overlap (["
                        + a.begin + ", " + a.end + ") and [" + b.begin + ", " + b.end + "))");
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) throw new IOException("unexpected end of file");
            pos += n;
        }
    }

    public Path file() { return file; }

    public Set<String> names() { return entries.keySet(); }

    public boolean contains(String name) { return entries.containsKey(name); }

    public Entry entry(String name) { return entries.get(name); }

    public Map<String, String> metadata() { return metadata; }

    /** Reads one tensor; F32/F64 keep their type, F16/BF16 are widened to F32. */
    public Tensor read(String name) throws IOException {
        Entry e = entries.get(name);
        if (e == null) throw new SafetensorsFormatException(file, "no tensor named '" + name + "'");
        long len = e.end - e.begin;
        if (len > Integer.MAX_VALUE - 8) {
            throw new SafetensorsFormatException(file, "tensor '" + name + "' has " + len + " bytes, more than one host array holds");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) len).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, buf, dataStart + e.begin);
        buf.flip();
        int n = (int) (len / e.dtype.bytes);
        switch (e.dtype) {
            case F64: {
                double[] d = new double[n];
                buf.asDoubleBuffer().get(d);
                return Tensor.of(d, e.shape);
            }
            case F32: {
                float[] d = new float[n];
                buf.asFloatBuffer().get(d);
                return Tensor.of(d, e.shape);
            }
            case F16: {
                float[] d = new float[n];
                for (int i = 0; i < n; i++) d[i] = halfToFloat(buf.getShort());
                return Tensor.of(d, e.shape);
            }
            case BF16: {
                float[] d = new float[n];
                for (int i = 0; i < n; i++) d[i] = Float.intBitsToFloat((buf.getShort() & 0xffff) << 16);
                return Tensor.of(d, e.shape);
            }
            default:
                throw new AssertionError(e.dtype);
        }
    }

    /** IEEE 754 binary16 to float (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));   // inf / NaN
        if (exp == 0) {
            float v = mant * 0x1p-24f;                                                     // zero / subnormal
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** Writes tensors (F32/F64, in map order, back to back) and string metadata in the standard layout. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            ObjectNode o = header.putObject(e.getKey());
            o.put("dtype", t.dtype().safetensorsName);
            var sh = o.putArray("shape");
            for (int d : t.shape()) sh.add(d);
            var off = o.putArray("data_offsets");
            off.add(offset);
            offset += t.bytes();
            off.add(offset);
        }
        byte[] hj = JSON.writeValueAsBytes(header);
        int padded = (hj.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(hj);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (head.hasRemaining()) ch.write(head);
            for (Tensor t : tensors.values()) {
                ByteBuffer b = ByteBuffer.allocate((int) t.bytes()).order(ByteOrder.LITTLE_ENDIAN);
                if (t.dtype() == DType.F32) b.asFloatBuffer().put(t.f32());
                else b.asDoubleBuffer().put(t.f64());
                while (b.hasRemaining()) ch.write(b);
            }
        }
    }
}
