package io.scanline.kernels.bench;

import io.scanline.kernels.tensor.Tensor;

import java.util.SplittableRandom;

/** Seeded random tensors for benchmarks and tests. */
public final class RandomTensors {
    private final SplittableRandom rnd;

    public RandomTensors(long seed) {
        this.rnd = new SplittableRandom(seed);
    }

    /** Uniform in [lo, hi). */
    public Tensor uniform(double lo, double hi, int... shape) {
        float[] d = new float[Tensor.checkedNumel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
        return Tensor.of(d, shape);
    }

    /** Normal(mean, std). */
    public Tensor normal(double mean, double std, int... shape) {
        float[] d = new float[Tensor.checkedNumel(shape)];
        for (int i = 0; i < d.length; i++) {
            double u1 = 1.0 - rnd.nextDouble(), u2 = rnd.nextDouble();
            d[i] = (float) (mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
        }
        return Tensor.of(d, shape);
    }

    public int nextInt(int bound) {
        return rnd.nextInt(bound);
    }
}
