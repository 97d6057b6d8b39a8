package io.scanline.connectors.image;

import io.scanline.connectors.TestData;
import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.IngestLimits;
import io.scanline.connectors.ingest.RejectReason;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TiffImageSourceTest {

    /** Whole-image decode through ImageIO and the colour-model path: the reference for the block-row reads. */
    private static byte[] referenceRgb(Path f, int imageIndex) throws Exception {
        try (FileImageInputStream in = new FileImageInputStream(f.toFile())) {
            ImageReader r = ImageIO.getImageReaders(in).next();
            r.setInput(in);
            BufferedImage img = r.read(imageIndex);
            byte[] rgb = new byte[img.getWidth() * img.getHeight() * 3];
            if (img.getColorModel().getNumColorComponents() == 1 && !(img.getColorModel() instanceof java.awt.image.IndexColorModel)) {
                RgbConversion.grayRaw(img, rgb, 0);
            } else {
                RgbConversion.viaColorModel(img, rgb, 0);
            }
            r.dispose();
            return rgb;
        }
    }

    /** Reads a level in uneven row bands (crossing block boundaries) and compares with the whole decode. */
    private static void bandsEqualWholeDecode(String rel) throws Exception {
        Path f = TestData.testdata(rel);
        byte[] ref = referenceRgb(f, 0);
        try (ImageSource s = ImageSources.open(f, IngestLimits.defaults())) {
            Level l = s.levels().get(0);
            assertEquals(ref.length, l.width() * l.height() * 3);
            byte[] got = new byte[ref.length];
            int y = 0, step = 1;
            while (y < l.height()) {
                int rows = Math.min(step, l.height() - y);
                RgbBand b = s.readRows(0, y, rows);
                System.arraycopy(b.rgb(), 0, got, y * l.width() * 3, b.rgb().length);
                y += rows;
                step = step * 3 % 97 + 1; // 1, 4, 13, 40, 24, ... crosses tile and strip boundaries
            }
            assertArrayEquals(ref, got, rel + ": banded read equals whole-image decode");
        }
    }

    @Test
    void svsJpegTilesMatchWholeDecode() throws Exception {
        bandsEqualWholeDecode("pathology/CMU-1-Small-Region.svs.tiff");
    }

    @Test
    void tiledLzwWorksAroundRegionBug() throws Exception {
        bandsEqualWholeDecode("aerial/bluemarble-tiled-lzw.tif");
    }

    @Test
    void stripedGrayAndJpegStrips() throws Exception {
        bandsEqualWholeDecode("aerial/SP27GTIF.tif");
        bandsEqualWholeDecode("aerial/qgis-orthophoto-rgb.tif");
    }

    @Test
    void svsLevelsAndMetadata() throws Exception {
        try (ImageSource s = ImageSources.open(TestData.testdata("pathology/CMU-1-Small-Region.svs.tiff"), IngestLimits.defaults())) {
            assertTrue(s.format().startsWith("SVS"), s.format());
            assertEquals(1, s.levels().size());
            Level l0 = s.levels().get(0);
            assertEquals(2220, l0.width());
            assertEquals(2967, l0.height());
            assertEquals(240, l0.tileWidth());
            assertEquals("JPEG", l0.compression());
            List<LevelKind> kinds = s.images().stream().map(Level::kind).toList();
            assertEquals(List.of(LevelKind.LEVEL, LevelKind.THUMBNAIL, LevelKind.LABEL, LevelKind.MACRO), kinds);
            assertEquals("LZW", s.images().get(2).compression());
            assertEquals(0.499, s.mppLevel0().orElseThrow(), 1e-9);
            assertEquals(20, s.appMag().orElseThrow(), 1e-9);
            assertEquals(0, LevelSelector.byMpp(s, 2.0));
            assertThrows(IngestException.class, () -> LevelSelector.byMpp(s, 0.25));
            assertThrows(IngestException.class, () -> LevelSelector.byIndex(s, 1));
        }
    }

    @Test
    void svsDescriptionParsing() {
        SvsMetadata m = SvsMetadata.parse("Aperio Image Library v10.0.51\r\n46920x33014 [0,100 46000x32914] (256x256) JPEG/RGB Q=30"
                + "|AppMag = 40|StripeWidth = 2040|MPP = 0.2520|Left = 25.6");
        assertEquals(0.252, m.mpp().orElseThrow(), 1e-12);
        assertEquals(40, m.appMag().orElseThrow(), 1e-12);
        assertTrue(SvsMetadata.parse("Aperio x|MPP = abc").mpp().isEmpty(), "unparsable MPP is absent, not an error");
    }

    @Test
    void limitsApplyToRealFiles() {
        Path svs = TestData.testdata("pathology/CMU-1-Small-Region.svs.tiff");
        assertEquals(RejectReason.PIXEL_LIMIT, assertThrows(IngestException.class,
                () -> ImageSources.open(svs, IngestLimits.defaults().withMaxPixelsPerLevel(1_000_000))).reason());
        assertEquals(RejectReason.DIMENSION_LIMIT, assertThrows(IngestException.class,
                () -> ImageSources.open(svs, IngestLimits.defaults().withMaxDimension(2000))).reason());
        assertEquals(RejectReason.TOO_MANY_IFDS, assertThrows(IngestException.class,
                () -> ImageSources.open(svs, IngestLimits.defaults().withMaxIfds(3))).reason());
        assertEquals(RejectReason.TILE_BYTES_LIMIT, assertThrows(IngestException.class,
                () -> ImageSources.open(svs, IngestLimits.defaults().withMaxTileBytes(100_000))).reason());
        Path png = TestData.testdata("pathology/ihc.png");
        assertEquals(RejectReason.TILE_BYTES_LIMIT, assertThrows(IngestException.class,
                () -> ImageSources.open(png, IngestLimits.defaults().withMaxReadBytes(512 * 512))).reason());
    }

    @Test
    void decodeTimeoutPoisonsTheSource() throws Exception {
        // A 1 ns deadline: the first block row (2220 x 240 JPEG pixels) cannot be decoded in time.
        IngestLimits tiny = IngestLimits.defaults().withDecodeTimeout(Duration.ofNanos(1));
        try (ImageSource s = ImageSources.open(TestData.testdata("pathology/CMU-1-Small-Region.svs.tiff"), tiny)) {
            IngestException e = assertThrows(IngestException.class, () -> s.readRows(0, 0, 16));
            assertEquals(RejectReason.DECODE_TIMEOUT, e.reason());
            assertEquals(RejectReason.DECODE_TIMEOUT, assertThrows(IngestException.class, () -> s.readRows(0, 500, 16)).reason());
        }
    }

    @Test
    void unknownAndMissingFiles() throws Exception {
        assertEquals(RejectReason.NOT_FOUND, assertThrows(IngestException.class,
                () -> ImageSources.open(Path.of("no/such/file.tif"), IngestLimits.defaults())).reason());
        Path readme = TestData.shared().resolve("testdata/README.md");
        assertEquals(RejectReason.UNSUPPORTED_FORMAT, assertThrows(IngestException.class,
                () -> ImageSources.open(readme, IngestLimits.defaults())).reason());
    }
}
