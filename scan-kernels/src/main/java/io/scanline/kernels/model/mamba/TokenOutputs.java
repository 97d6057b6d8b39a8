package io.scanline.kernels.model.mamba;

import io.scanline.kernels.model.TokenSink;
import io.scanline.kernels.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-token outputs of a stream: either handed to a {@link TokenSink} chunk by chunk, or scattered
 * into full (B, L, W) tensors at their output slots. Layer outputs (debugging) are always collected.
 *
 * <p>Glossary: B images, L output tokens, W width of the output.
 */
final class TokenOutputs {
    private final int batch, tokens;
    private final TokenSink sink;
    private final Map<String, float[]> full = new LinkedHashMap<>();
    private final Map<String, Integer> widths = new LinkedHashMap<>();

    TokenOutputs(int batch, int tokens, TokenSink sink) {
        this.batch = batch;
        this.tokens = tokens;
        this.sink = sink;
    }

    /** A final output: to the sink if there is one (contiguous slots s0..), else collected. */
    void emit(String key, int s0, Tensor rows) {
        if (sink != null) sink.accept(key, s0, rows);
        else collect(key, rows, Seq.identity(rows.dim(1)), s0);
    }

    /** A final output whose rows go to slots slot[i] (−1: dropped); the sink sees each contiguous run. */
    void emit(String key, Tensor rows, int[] slot) {
        if (sink == null) {
            collect(key, rows, slot, 0);
            return;
        }
        int n = rows.dim(1), i = 0;
        while (i < n) {
            if (slot[i] < 0) { i++; continue; }
            int j = i + 1;
            while (j < n && slot[j] == slot[i] + (j - i)) j++;
            sink.accept(key, slot[i], rows.sliceAxis1(i, j));
            i = j;
        }
    }

    /** Always collected (layer outputs, embed output): rows i go to slots slot[i] + offset. */
    void collect(String key, Tensor rows, int[] slot, int offset) {
        int w = rows.dim(2), n = rows.dim(1);
        float[] dst = full.computeIfAbsent(key, k -> new float[Math.multiplyExact(batch * tokens, w)]);
        widths.putIfAbsent(key, w);
        float[] src = rows.f32();
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < n; i++) {
                if (slot[i] < 0) continue;
                System.arraycopy(src, (b * n + i) * w, dst, (b * tokens + slot[i] + offset) * w, w);
            }
    }

    void into(Map<String, Tensor> out) {
        for (Map.Entry<String, float[]> e : full.entrySet()) {
            out.put(e.getKey(), Tensor.of(e.getValue(), batch, tokens, widths.get(e.getKey())));
        }
    }
}
