package io.scanline.kernels.model;

import io.scanline.kernels.tensor.Tensor;

import java.util.Map;

/**
 * What a streamed forward produced, under the golden key names: {@code embed.output},
 * {@code layer.<i>.output} (when kept), {@code output.features} (B, L, D) in the model's token order,
 * {@code output.pre_logits}, {@code output.logits}, and family extras such as
 * {@code output.logits_all_tokens}. {@code memory} is what the planner accounted for.
 */
public record ModelOutput(Map<String, Tensor> tensors, MemoryLedger memory) {
    public Tensor get(String key) {
        return tensors.get(key);
    }
}
