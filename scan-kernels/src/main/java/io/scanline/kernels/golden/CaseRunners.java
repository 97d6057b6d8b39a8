package io.scanline.kernels.golden;

import io.scanline.kernels.backend.Backend;

import java.io.IOException;
import java.util.List;
import java.util.ServiceLoader;

/** Finds the runner for a case's family. */
public final class CaseRunners {
    private CaseRunners() {}

    public static CaseRunner forFamily(String family) {
        for (CaseRunner r : ServiceLoader.load(CaseRunner.class)) {
            if (r.supports(family)) return r;
        }
        throw new IllegalArgumentException("no runner for golden family '" + family + "'");
    }

    public static List<Comparison> run(GoldenCase golden, Backend backend, RunOptions options) throws IOException {
        return forFamily(golden.family()).run(golden, backend, options);
    }
}
