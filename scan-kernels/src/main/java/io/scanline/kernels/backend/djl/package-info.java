/**
 * The {@code djl} backend: DJL 0.35.1 PyTorch engine with CPU libtorch 2.7.1 from Maven Central, offline
 * only ({@code DJL_OFFLINE=true}, {@code OPT_OUT_TRACKING=true}; {@link io.scanline.kernels.backend.djl.DjlRuntime}
 * also sets the matching system properties and refuses an environment that turns offline mode off).
 *
 * <p>Glossary: B batch, L tokens of a call, E/C channels, N state size, H/P/G SSD heads/head dim/groups,
 * NH/DH mLSTM heads/head dim, Q inner chunk length.
 *
 * <p>Layout: {@link io.scanline.kernels.backend.djl.DjlProvider} (discovery, no DJL types, so it loads
 * without DJL and reports what is missing), {@link io.scanline.kernels.backend.djl.DjlBackend} (one
 * sub-manager per op), {@code Staging} (reused direct buffers for host-to-libtorch copies), {@code Nd}
 * (conversions), {@code HostOps} (headwise map, depthwise 3x3, patch im2col as
 * Java loops), {@code DjlDense} (GEMMs, norms of large inputs, gated RMSNorm, bicubic as fp64 GEMMs),
 * {@code DjlConv1d} (host taps, libtorch silu), {@code DjlSelectiveScan} (libtorch exp(δA) per block,
 * vectorized Java recurrence), {@code DjlSsd} (chunked §9.2, fp64 decays in Java, two fused matmuls per
 * chunk), {@code DjlMlstm} (chunkwise §10.3, fp64 gates in Java, two fused matmuls per chunk).
 *
 * <p>Threads: one libtorch intra-op thread by default ({@code threads=N} option, process-wide); the
 * measurements and what dominates each family are in NOTES.md next to this file.
 */
package io.scanline.kernels.backend.djl;
