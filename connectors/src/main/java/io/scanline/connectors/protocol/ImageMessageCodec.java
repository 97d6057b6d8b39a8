package io.scanline.connectors.protocol;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.connectors.image.Region;
import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.RejectReason;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * Wire format of the images topic, version 1 (documented in the module README).
 *
 * <p>Reference: UTF-8 JSON object starting with <code>{</code>, {@code "v": 1, "type": "reference"}.
 * Inline records: binary, big-endian:
 * <pre>
 *   "SLIM" | version u8 (=1) | type u8 (1 header, 2 tile, 3 end) | imageId (u16 length + UTF-8) | body | CRC-32C u32
 *   header body: declaredBytes i64 | fileName (u16 length + UTF-8) | params JSON (u32 length + UTF-8)
 *   tile body:   seq i32 | offset i64 | payload (u32 length + bytes)
 *   end body:    records i32 | totalBytes i64 | sha256 (32 bytes)
 * </pre>
 * The CRC covers every byte before it. Decoding is strict: unknown versions, types or JSON fields,
 * trailing bytes, and lengths beyond the record are errors.
 */
public final class ImageMessageCodec {
    public static final int VERSION = 1;
    /** Largest record, the Kafka default {@code max.message.bytes} (~1 MiB). */
    public static final int MAX_RECORD_BYTES = 1 << 20;
    /** Tile payload that keeps a tile record, its key and Kafka's batch overhead under 1 MiB. */
    public static final int DEFAULT_TILE_PAYLOAD = 960 * 1024;
    private static final byte[] MAGIC = {'S', 'L', 'I', 'M'};
    private static final int MAX_PARAMS = 64;
    private static final int MAX_PARAM_CHARS = 4096;
    private static final Pattern IMAGE_ID = Pattern.compile("[A-Za-z0-9._:@+/=-]{1,256}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Set<String> REFERENCE_FIELDS = Set.of("v", "type", "imageId", "uri", "sha256", "sizeBytes",
            "level", "targetMpp", "downsample", "region", "params");
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8).maxStringLength(64 * 1024)
                    .maxNumberLength(64).build())
            .build());

    private ImageMessageCodec() {
    }

    public static void checkImageId(String id, String source) throws IngestException {
        if (id == null || !IMAGE_ID.matcher(id).matches()) {
            throw new IngestException(RejectReason.PROTOCOL_VIOLATION, source,
                    "image id must be 1..256 characters of [A-Za-z0-9._:@+/=-], got " + (id == null ? "none" : "'" + abbreviate(id) + "'"));
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }

    // ---------------------------------------------------------------- encode

    public static byte[] encode(ImageMessage m) {
        try {
            if (m instanceof ImageReference r) {
                return encodeReference(r);
            }
            if (m instanceof InlineHeader h) {
                return frame(1, h.imageId(), out -> {
                    out.writeLong(h.declaredBytes());
                    writeString16(out, h.fileName());
                    byte[] p = JSON.writeValueAsBytes(h.params());
                    out.writeInt(p.length);
                    out.write(p);
                });
            }
            if (m instanceof InlineTile t) {
                return frame(2, t.imageId(), out -> {
                    out.writeInt(t.seq());
                    out.writeLong(t.offset());
                    out.writeInt(t.payload().length);
                    out.write(t.payload());
                });
            }
            if (m instanceof InlineEnd e) {
                if (e.sha256().length != 32) {
                    throw new IllegalArgumentException("sha256 must be 32 bytes");
                }
                return frame(3, e.imageId(), out -> {
                    out.writeInt(e.records());
                    out.writeLong(e.totalBytes());
                    out.write(e.sha256());
                });
            }
            throw new IllegalArgumentException("a malformed message cannot be encoded: " + ((MalformedMessage) m).error().oneLine());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    private static byte[] frame(int type, String imageId, Body body) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bos);
        out.write(MAGIC);
        out.writeByte(VERSION);
        out.writeByte(type);
        writeString16(out, imageId);
        body.write(out);
        out.flush();
        CRC32C crc = new CRC32C();
        byte[] b = bos.toByteArray();
        crc.update(b);
        out.writeInt((int) crc.getValue());
        out.flush();
        byte[] all = bos.toByteArray();
        if (all.length > MAX_RECORD_BYTES) {
            throw new IllegalArgumentException("record of " + all.length + " bytes exceeds " + MAX_RECORD_BYTES);
        }
        return all;
    }

    private static void writeString16(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 0xFFFF) {
            throw new IllegalArgumentException("string of " + b.length + " bytes is too long");
        }
        out.writeShort(b.length);
        out.write(b);
    }

    private static byte[] encodeReference(ImageReference r) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("v", VERSION);
        o.put("type", "reference");
        o.put("imageId", r.imageId());
        o.put("uri", r.uri());
        if (r.sha256() != null) {
            o.put("sha256", r.sha256());
        }
        if (r.sizeBytes() != null) {
            o.put("sizeBytes", r.sizeBytes());
        }
        if (r.level() != null) {
            o.put("level", r.level());
        }
        if (r.targetMpp() != null) {
            o.put("targetMpp", r.targetMpp());
        }
        if (r.downsample() != null) {
            o.put("downsample", r.downsample());
        }
        if (r.region() != null) {
            ObjectNode g = o.putObject("region");
            g.put("x", r.region().x());
            g.put("y", r.region().y());
            g.put("width", r.region().width());
            g.put("height", r.region().height());
        }
        ObjectNode p = o.putObject("params");
        r.params().forEach(p::put);
        return JSON.writeValueAsBytes(o);
    }

    // ---------------------------------------------------------------- decode

    /** Decodes and validates one record value. */
    public static ImageMessage decode(byte[] b) throws IngestException {
        if (b == null || b.length == 0) {
            throw violation("empty record");
        }
        if (b.length > MAX_RECORD_BYTES) {
            throw violation("record of " + b.length + " bytes exceeds " + MAX_RECORD_BYTES);
        }
        if (b[0] == '{') {
            return decodeReference(b);
        }
        if (b.length >= 4 && b[0] == MAGIC[0] && b[1] == MAGIC[1] && b[2] == MAGIC[2] && b[3] == MAGIC[3]) {
            try {
                return decodeInline(b);
            } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
                throw violation("inline record cut short");
            }
        }
        throw violation("record starts with neither '{' (reference) nor \"SLIM\" (inline)");
    }

    private static IngestException violation(String detail) {
        return new IngestException(RejectReason.PROTOCOL_VIOLATION, "images topic", detail);
    }

    private static ImageMessage decodeInline(byte[] b) throws IngestException {
        if (b.length < 4 + 2 + 2 + 4) {
            throw violation("inline record of " + b.length + " bytes is too short");
        }
        CRC32C crc = new CRC32C();
        crc.update(b, 0, b.length - 4);
        ByteBuffer bb = ByteBuffer.wrap(b);
        int stored = bb.getInt(b.length - 4);
        bb.position(4);
        int version = bb.get() & 0xFF;
        int type = bb.get() & 0xFF;
        if (version != VERSION) {
            throw violation("inline record version " + version + " (this reader speaks " + VERSION + ")");
        }
        String id = readString16(bb, b.length - 4);
        if (stored != (int) crc.getValue()) {
            throw new IngestException(RejectReason.CHECKSUM_MISMATCH, id, "CRC-32C of inline record type " + type + " does not match");
        }
        checkImageId(id, "inline record");
        ImageMessage m;
        int end = b.length - 4;
        switch (type) {
            case 1 -> {
                long declared = bb.getLong();
                String name = readString16(bb, end);
                int n = bb.getInt();
                if (n < 0 || n > end - bb.position()) {
                    throw violation("header params length " + n + " runs past the record");
                }
                byte[] p = new byte[n];
                bb.get(p);
                if (declared < -1) {
                    throw violation("declared size " + declared);
                }
                m = new InlineHeader(id, declared, name, parseParams(parseJson(p), id));
            }
            case 2 -> {
                int seq = bb.getInt();
                long offset = bb.getLong();
                int n = bb.getInt();
                if (seq < 0 || offset < 0) {
                    throw violation("tile seq " + seq + " offset " + offset + " must be non-negative");
                }
                if (n < 0 || n > end - bb.position()) {
                    throw violation("tile payload length " + n + " runs past the record");
                }
                byte[] p = new byte[n];
                bb.get(p);
                m = new InlineTile(id, seq, offset, p);
            }
            case 3 -> {
                int records = bb.getInt();
                long total = bb.getLong();
                if (records < 0 || total < 0) {
                    throw violation("end record counts must be non-negative");
                }
                byte[] sha = new byte[32];
                if (end - bb.position() < 32) {
                    throw violation("end record sha256 cut short");
                }
                bb.get(sha);
                m = new InlineEnd(id, records, total, sha);
            }
            default -> throw violation("unknown inline record type " + type);
        }
        if (bb.position() != end) {
            throw violation((end - bb.position()) + " unexpected bytes at the end of inline record type " + type);
        }
        return m;
    }

    private static String readString16(ByteBuffer bb, int end) throws IngestException {
        int n = Short.toUnsignedInt(bb.getShort());
        if (n > end - bb.position()) {
            throw violation("string length " + n + " runs past the record");
        }
        byte[] s = new byte[n];
        bb.get(s);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(s)).toString();
        } catch (CharacterCodingException e) {
            throw violation("string is not valid UTF-8");
        }
    }

    private static JsonNode parseJson(byte[] b) throws IngestException {
        try {
            JsonNode n = JSON.readTree(b);
            if (n == null || !n.isObject()) {
                throw violation("JSON is not an object");
            }
            return n;
        } catch (IOException | RuntimeException e) {
            throw violation("invalid JSON: " + abbreviate(String.valueOf(e.getMessage()).replace('\n', ' ')));
        }
    }

    private static Map<String, String> parseParams(JsonNode n, String id) throws IngestException {
        if (n == null || n.isNull()) {
            return Map.of();
        }
        if (!n.isObject()) {
            throw violation("params of " + id + " must be an object of strings");
        }
        if (n.size() > MAX_PARAMS) {
            throw violation("params of " + id + " has " + n.size() + " entries (limit " + MAX_PARAMS + ")");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual() || e.getKey().length() > 128 || e.getValue().asText().length() > MAX_PARAM_CHARS) {
                throw violation("param '" + abbreviate(e.getKey()) + "' of " + id + " must be a string of at most " + MAX_PARAM_CHARS + " characters");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static ImageReference decodeReference(byte[] b) throws IngestException {
        JsonNode o = parseJson(b);
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!REFERENCE_FIELDS.contains(f)) {
                throw violation("unknown field '" + abbreviate(f) + "' in reference message");
            }
        }
        JsonNode v = o.get("v");
        if (v == null || !v.isInt() || v.asInt() != VERSION) {
            throw violation("reference message needs \"v\": " + VERSION + ", got " + v);
        }
        if (!"reference".equals(text(o, "type", true))) {
            throw violation("reference message needs \"type\": \"reference\"");
        }
        String id = text(o, "imageId", true);
        checkImageId(id, "reference message");
        String uri = text(o, "uri", true);
        if (uri.isEmpty() || uri.length() > 4096) {
            throw violation("uri of " + id + " must be 1..4096 characters");
        }
        String sha = text(o, "sha256", false);
        if (sha != null && !SHA256.matcher(sha).matches()) {
            throw violation("sha256 of " + id + " must be 64 lowercase hex digits");
        }
        Long size = o.has("sizeBytes") ? integer(o, "sizeBytes", 0, Long.MAX_VALUE) : null;
        Integer level = o.has("level") ? (int) integer(o, "level", 0, 1024) : null;
        Double mpp = o.has("targetMpp") ? positive(o, "targetMpp") : null;
        Double ds = o.has("downsample") ? positive(o, "downsample") : null;
        int chosen = (level != null ? 1 : 0) + (mpp != null ? 1 : 0) + (ds != null ? 1 : 0);
        if (chosen > 1) {
            throw violation("reference " + id + " sets more than one of level, targetMpp, downsample");
        }
        Region region = null;
        if (o.has("region")) {
            JsonNode g = o.get("region");
            if (!g.isObject() || g.size() != 4) {
                throw violation("region of " + id + " must be {x, y, width, height}");
            }
            long x = integer(g, "x", 0, Integer.MAX_VALUE), y = integer(g, "y", 0, Integer.MAX_VALUE);
            long w = integer(g, "width", 1, Integer.MAX_VALUE), h = integer(g, "height", 1, Integer.MAX_VALUE);
            region = new Region((int) x, (int) y, (int) w, (int) h);
        }
        return new ImageReference(id, uri, sha, size, level, mpp, ds, region, parseParams(o.get("params"), id));
    }

    private static String text(JsonNode o, String f, boolean required) throws IngestException {
        JsonNode n = o.get(f);
        if (n == null || n.isNull()) {
            if (required) {
                throw violation("reference message lacks \"" + f + "\"");
            }
            return null;
        }
        if (!n.isTextual()) {
            throw violation("\"" + f + "\" must be a string");
        }
        return n.asText();
    }

    private static long integer(JsonNode o, String f, long min, long max) throws IngestException {
        JsonNode n = o.get(f);
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < min || n.asLong() > max) {
            throw violation("\"" + f + "\" must be an integer in " + min + ".." + max + ", got " + n);
        }
        return n.asLong();
    }

    private static double positive(JsonNode o, String f) throws IngestException {
        JsonNode n = o.get(f);
        if (n == null || !n.isNumber() || !(n.asDouble() > 0) || !Double.isFinite(n.asDouble())) {
            throw violation("\"" + f + "\" must be a positive number, got " + n);
        }
        return n.asDouble();
    }
}
