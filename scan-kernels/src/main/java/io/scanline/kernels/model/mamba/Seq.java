package io.scanline.kernels.model.mamba;

/** Token positions of a scan in store order. */
final class Seq {
    private Seq() {}

    /** Identity positions 0..l−1. */
    static int[] identity(int l) {
        int[] p = new int[l];
        for (int i = 0; i < l; i++) p[i] = i;
        return p;
    }
}
