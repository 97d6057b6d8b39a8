package io.scanline.kernels.model;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.golden.CaseRunner;
import io.scanline.kernels.golden.Comparison;
import io.scanline.kernels.golden.GoldenCase;
import io.scanline.kernels.golden.RunOptions;
import io.scanline.kernels.tensor.Tensor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs a model golden case: builds the family from the case's config and weights, streams
 * {@code input.image} with the requested chunking and compares every stored output at 1e-4
 * (golden README: fp32 engine vs fp64 reference over several blocks).
 */
public final class ModelCaseRunner implements CaseRunner {
    public static final double MODEL_TOL = 1e-4;

    @Override
    public boolean supports(String family) {
        return ModelFamilies.all().containsKey(family);
    }

    @Override
    public List<Comparison> run(GoldenCase g, Backend backend, RunOptions o) throws IOException {
        StreamingModel model = ModelFamilies.get(g.family()).build(g.config(), Weights.load(g.dir(), g.config()));
        StreamOptions so = StreamOptions.defaults().withChunk(o.chunk()).withLayerOutputs(true)
                .withForms(o.mlstmForm(), o.ssdForm());
        ModelOutput out = model.forward(backend, ImageSource.of(g.tensor("input.image").toF32()), so);
        List<Comparison> res = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : g.io().entrySet()) {
            if (e.getKey().equals("input.image")) continue;
            Tensor mine = out.get(e.getKey());
            if (mine == null) {
                res.add(new Comparison(e.getKey(), Double.NaN, Double.NaN, MODEL_TOL, false, "not produced"));
            } else {
                res.add(Comparison.relative(e.getKey(), mine, e.getValue(), MODEL_TOL));
            }
        }
        return res;
    }
}
