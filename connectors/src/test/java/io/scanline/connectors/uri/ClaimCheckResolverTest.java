package io.scanline.connectors.uri;

import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.RejectReason;
import io.scanline.connectors.protocol.ImageReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ClaimCheckResolverTest {
    @TempDir
    Path tmp;

    private RejectReason reason(ClaimCheckResolver r, String uri) {
        return assertThrows(IngestException.class, () -> r.resolve(uri)).reason();
    }

    @Test
    void onlyInsideRoots() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("root/slides"));
        Path outside = Files.createDirectories(tmp.resolve("secret"));
        Path img = Files.writeString(root.resolve("a.tif"), "x");
        Path secret = Files.writeString(outside.resolve("s.tif"), "s");
        Files.createSymbolicLink(root.resolve("link.tif"), secret);
        Files.createSymbolicLink(root.resolve("dirlink"), outside);
        Files.createSymbolicLink(root.resolve("inner.tif"), img);
        ClaimCheckResolver r = new ClaimCheckResolver(List.of(tmp.resolve("root")), Map.of());
        Path real = img.toRealPath();

        assertEquals(real, r.resolve(img.toString()));
        assertEquals(real, r.resolve(img.toUri().toString()));
        assertEquals(real, r.resolve("file://" + img));
        assertEquals(real, r.resolve(root.resolve("inner.tif").toString()), "a link that stays inside is fine");

        assertEquals(RejectReason.URI_NOT_ALLOWED, reason(r, secret.toString()));
        assertEquals(RejectReason.URI_NOT_ALLOWED, reason(r, root + "/../../secret/s.tif"));
        assertEquals(RejectReason.URI_NOT_ALLOWED, reason(r, root + "/./a.tif"));
        assertEquals(RejectReason.URI_NOT_ALLOWED, reason(r, "file://" + root + "/%2e%2e/%2e%2e/secret/s.tif"));
        assertEquals(RejectReason.URI_NOT_ALLOWED, reason(r, root.resolve("link.tif").toString()));
        assertEquals(RejectReason.URI_NOT_ALLOWED, reason(r, root.resolve("dirlink/s.tif").toString()));
        assertEquals(RejectReason.URI_NOT_ALLOWED, reason(r, "file://otherhost" + img));
        assertEquals(RejectReason.URI_NOT_ALLOWED, reason(r, "relative/a.tif"));
        assertEquals(RejectReason.URI_NOT_ALLOWED, reason(r, img + "\0"));
        assertEquals(RejectReason.NOT_FOUND, reason(r, root.resolve("missing.tif").toString()));
        assertEquals(RejectReason.NOT_FOUND, reason(r, root.toString()));
        assertEquals(RejectReason.URI_SCHEME_UNSUPPORTED, reason(r, "s3://bucket/a.tif"));
    }

    @Test
    void pluggableSchemeAndVerification() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("r"));
        Path img = Files.writeString(root.resolve("b.tif"), "hello");
        ClaimCheckResolver r = new ClaimCheckResolver(List.of(root), Map.of("mem", uri -> img));
        assertEquals(img, r.resolve("mem://anything"));
        String sha = ClaimCheckResolver.sha256Hex(img);
        assertEquals("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", sha);
        ImageReference good = new ImageReference("i", img.toString(), sha, 5L, null, null, null, null, Map.of());
        assertEquals(img.toRealPath(), r.resolveAndVerify(good));
        ImageReference badSize = new ImageReference("i", img.toString(), null, 6L, null, null, null, null, Map.of());
        assertEquals(RejectReason.CHECKSUM_MISMATCH, assertThrows(IngestException.class, () -> r.resolveAndVerify(badSize)).reason());
        ImageReference badSha = new ImageReference("i", img.toString(), "0".repeat(64), null, null, null, null, null, Map.of());
        assertEquals(RejectReason.CHECKSUM_MISMATCH, assertThrows(IngestException.class, () -> r.resolveAndVerify(badSha)).reason());
    }
}
