package io.scanline.kernels.golden;

import io.scanline.kernels.backend.Backend;

import java.io.IOException;
import java.util.List;

/**
 * Runs one kind of golden case on a backend and compares every output. Implementations are found
 * with {@link java.util.ServiceLoader} so that model families can add theirs.
 */
public interface CaseRunner {
    boolean supports(String family);

    List<Comparison> run(GoldenCase golden, Backend backend, RunOptions options) throws IOException;
}
