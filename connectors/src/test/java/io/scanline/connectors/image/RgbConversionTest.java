package io.scanline.connectors.image;

import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class RgbConversionTest {
    @Test
    void bgrFastPathEqualsColorModelPath() {
        for (int[] wh : new int[][]{{1, 1}, {7, 3}, {240, 17}}) {
            BufferedImage img = new BufferedImage(wh[0], wh[1], BufferedImage.TYPE_3BYTE_BGR);
            Random r = new Random(wh[0]);
            for (int y = 0; y < wh[1]; y++) {
                for (int x = 0; x < wh[0]; x++) {
                    img.setRGB(x, y, r.nextInt());
                }
            }
            byte[] fast = new byte[wh[0] * wh[1] * 3 + 6], ref = new byte[fast.length];
            RgbConversion.toRgb(img, fast, 0);
            RgbConversion.viaColorModel(img, ref, 0);
            assertArrayEquals(ref, fast);
        }
    }

    @Test
    void grayIsReplicatedAsStored() {
        BufferedImage g = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_GRAY);
        g.getRaster().setSample(0, 0, 0, 0);
        g.getRaster().setSample(1, 0, 0, 128);
        g.getRaster().setSample(2, 0, 0, 255);
        byte[] out = new byte[9];
        RgbConversion.toRgb(g, out, 0);
        assertEquals(128, out[3] & 0xFF, "no gamma curve on gray");
        assertEquals(128, out[5] & 0xFF);
        assertEquals(255, out[8] & 0xFF);
        BufferedImage g16 = new BufferedImage(1, 1, BufferedImage.TYPE_USHORT_GRAY);
        g16.getRaster().setSample(0, 0, 0, 0xABCD);
        RgbConversion.toRgb(g16, out, 0);
        assertEquals(0xAB, out[0] & 0xFF, "16-bit keeps the top 8 bits");
    }
}
