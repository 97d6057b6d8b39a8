package io.scanline.kernels.bench;

import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** region() gives exactly the values of pixel(), for any region, batch and seed: made in parallel (big regions) or by one thread (small ones). */
class SyntheticImageTest {

    @Test
    void regionEqualsPixelByPixel() {
        SyntheticImage img = new SyntheticImage(2, 300, 517, 42);
        int[][] regions = {{0, 300, 0, 517}, {17, 29, 3, 260}, {299, 300, 516, 517}, {5, 5, 0, 10}, {100, 140, 130, 131}};
        for (int[] r : regions) {
            Tensor t = img.region(r[0], r[1], r[2], r[3]);
            int h = r[1] - r[0], w = r[3] - r[2];
            float[] want = new float[2 * 3 * h * w];
            int o = 0;
            for (int b = 0; b < 2; b++)
                for (int c = 0; c < 3; c++)
                    for (int y = r[0]; y < r[1]; y++)
                        for (int x = r[2]; x < r[3]; x++) want[o++] = img.pixel(b, c, y, x);
            assertArrayEquals(want, t.f32(), "region " + java.util.Arrays.toString(r));
        }
    }

    @Test
    void rowsAreTheFullWidthRegionAndBoundsAreChecked() {
        SyntheticImage img = new SyntheticImage(1, 40, 33, -7);
        assertArrayEquals(img.region(3, 9, 0, 33).f32(), img.rows(3, 9).f32());
        assertThrows(IndexOutOfBoundsException.class, () -> img.region(0, 41, 0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> img.region(0, 1, 30, 34));
    }
}
