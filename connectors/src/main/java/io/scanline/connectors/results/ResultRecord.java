package io.scanline.connectors.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A result message for the Kafka results topic (keyed by image id, JSON value). Large outputs travel by
 * reference (claim check: URI, sha256, size, media type) and small ones inline (base64), so a record stays
 * well below Kafka's ~1 MiB default message limit.
 *
 * @param imageId   the input image id (also the Kafka key)
 * @param kind      {@code mask}, {@code detections-coco}, {@code detections-geojson}, {@code overlay}
 * @param mediaType e.g. {@code image/tiff}, {@code image/png}, {@code application/json}, {@code application/geo+json}
 * @param uri       where the file was written, or null when inline
 * @param sha256    hex digest of the bytes (file or inline)
 * @param bytes     size of the bytes
 * @param inline    the bytes themselves when small, else null
 * @param summary   small facts for consumers that do not open the file (counts, mask size, mpp, CRS)
 */
public record ResultRecord(String imageId, String kind, String mediaType, String uri, String sha256, long bytes,
                           byte[] inline, JsonNode summary) {
    /** Default inline limit: leaves room for the JSON envelope and base64's 4/3 growth under 1 MiB. */
    public static final int DEFAULT_INLINE_LIMIT = 256 * 1024;

    public ResultRecord {
        if (imageId == null || imageId.isEmpty()) throw new IllegalArgumentException("result record without image id");
        if ((uri == null) == (inline == null)) throw new IllegalArgumentException("a result record is either a reference or inline");
    }

    /** A record for a written file: inline when it is at most {@code inlineLimit} bytes, else by reference. */
    public static ResultRecord forFile(String imageId, String kind, String mediaType, Path file, int inlineLimit,
                                       JsonNode summary) throws IOException {
        long size = Files.size(file);
        String sha = sha256(file);
        if (size <= inlineLimit) {
            return new ResultRecord(imageId, kind, mediaType, null, sha, size, Files.readAllBytes(file), summary);
        }
        return new ResultRecord(imageId, kind, mediaType, file.toAbsolutePath().toUri().toString(), sha, size, null, summary);
    }

    public byte[] toJson() {
        ObjectNode n = CocoJson.JSON.createObjectNode().put("version", 1).put("image_id", imageId).put("kind", kind)
                .put("media_type", mediaType).put("sha256", sha256).put("bytes", bytes);
        if (uri != null) n.put("uri", uri);
        else n.put("inline_base64", Base64.getEncoder().encodeToString(inline));
        if (summary != null) n.set("summary", summary);
        try {
            return CocoJson.JSON.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ResultRecord fromJson(byte[] json) throws IOException {
        JsonNode n = CocoJson.JSON.readTree(json);
        if (n == null || n.path("version").asInt() != 1) throw new IOException("not a version-1 result record");
        byte[] inline = n.hasNonNull("inline_base64") ? Base64.getDecoder().decode(n.get("inline_base64").asText()) : null;
        ResultRecord r = new ResultRecord(n.path("image_id").asText(), n.path("kind").asText(), n.path("media_type").asText(),
                n.hasNonNull("uri") ? n.get("uri").asText() : null, n.path("sha256").asText(), n.path("bytes").asLong(),
                inline, n.get("summary"));
        if (inline != null && (inline.length != r.bytes || !sha256(inline).equals(r.sha256))) {
            throw new IOException("inline result of " + r.imageId + " does not match its size/sha256");
        }
        return r;
    }

    public byte[] key() {
        return imageId.getBytes(StandardCharsets.UTF_8);
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md = digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) > 0; ) md.update(buf, 0, r);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static String sha256(byte[] b) {
        return HexFormat.of().formatHex(digest().digest(b));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
