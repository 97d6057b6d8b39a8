package io.scanline.kernels.model;

import java.util.List;

/**
 * A model compiled for streaming (spec streaming §1, §4): the passes over the token sequence, in
 * order. Layers inside one pass are fused (each chunk flows through all of them, each carrying its
 * own state); a pass whose {@code barrierAfter} is set materializes the residual stream in a
 * {@link TokenStore} for the next pass.
 */
public record Plan(String family, List<Pass> passes, long carriedStateFloatsPerImage, long storeFloatsPerToken) {

    public enum Order { FORWARD, REVERSE, COLUMN_FORWARD, COLUMN_REVERSE }

    /** One sweep: its order, the layers fused in it (names as in the state_dict), barrier after it. */
    public record Pass(String name, Order order, List<String> layers, boolean barrierAfter) {}

    public int barriers() {
        return (int) passes.stream().filter(Pass::barrierAfter).count();
    }

    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(family).append(": ").append(passes.size()).append(" pass(es), ").append(barriers())
                .append(" barrier(s); carried state ").append(carriedStateFloatsPerImage)
                .append(" floats/image; store ").append(storeFloatsPerToken).append(" floats/token\n");
        for (Pass p : passes) {
            sb.append("  ").append(p.name).append(" [").append(p.order).append("] ").append(p.layers)
                    .append(p.barrierAfter ? "  | barrier" : "").append('\n');
        }
        return sb.toString();
    }
}
