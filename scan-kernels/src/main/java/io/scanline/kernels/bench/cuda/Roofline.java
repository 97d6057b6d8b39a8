package io.scanline.kernels.bench.cuda;

/**
 * The roofline of one benchmark case: the most FLOP/s any kernel can reach on it, the lower of the compute ceiling and
 * its arithmetic intensity (FLOPs per byte an ideal kernel must move) times the memory bandwidth. Where the bandwidth
 * term is the lower the case is memory-bound: "% of the tensor-core peak" is then capped below 100% by the shape and
 * the op's input and output types, not by the kernel.
 *
 * @param intensity   FLOPs per byte moved
 * @param tflops      the ceiling, TFLOP/s
 * @param memoryBound whether the bandwidth term set the ceiling
 */
public record Roofline(double intensity, double tflops, boolean memoryBound) {
    /**
     * @param flops        the case's FLOP count
     * @param bytes        the bytes an ideal kernel reads and writes (each input once, each output once)
     * @param peakTflops   the compute ceiling, TFLOP/s
     * @param bandwidthGBs the memory ceiling, GB/s (10^9 bytes a second)
     */
    public static Roofline of(double flops, double bytes, double peakTflops, double bandwidthGBs) {
        if (!(flops > 0 && bytes > 0 && peakTflops > 0 && bandwidthGBs > 0)) {
            throw new IllegalArgumentException("roofline needs positive FLOPs, bytes, peak and bandwidth: " + flops + ", " + bytes
                    + ", " + peakTflops + ", " + bandwidthGBs);
        }
        double intensity = flops / bytes;
        double memTflops = intensity * bandwidthGBs / 1e3;
        return new Roofline(intensity, Math.min(peakTflops, memTflops), memTflops < peakTflops);
    }
}
