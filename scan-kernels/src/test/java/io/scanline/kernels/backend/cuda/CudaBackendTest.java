package io.scanline.kernels.backend.cuda;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.BackendProvider;
import io.scanline.kernels.backend.Backends;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.bench.RandomTensors;
import io.scanline.kernels.golden.Comparison;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cuda backend against the reference backend. On a machine with a GPU and a fatbin this runs
 * {@link CudaConformance} (every op, awkward shapes, chunked == whole; tolerance 1e-5 relative, the
 * op cases' fp32 tolerance, see that class). Without one, every test instead asserts that the backend
 * reports itself unavailable with a precise reason and that opening it fails fast: nothing passes
 * silently.
 */
class CudaBackendTest {

    private static String reason() {
        return Backends.providers().get(CudaBackend.NAME).unavailableReason();
    }

    @Test
    void providerIsRegistered() {
        BackendProvider p = Backends.providers().get(CudaBackend.NAME);
        assertNotNull(p, "cuda provider missing from META-INF/services");
        assertNotNull(Backends.providers().get(ReferenceBackend.NAME), "reference provider must stay registered");
    }

    @Test
    void everyOpMatchesReferenceOrUnavailabilityIsExplained() {
        String why = reason();
        if (why != null) {
            boolean fatbin = CudaFatbin.present();
            assertTrue(fatbin ? why.startsWith("no CUDA driver") || why.startsWith("no CUDA device")
                            : why.equals("no fatbin in this build: nvcc was absent"),
                    "unexpected unavailability reason (fatbin present: " + fatbin + "): " + why);
            Backends.BackendUnavailableException e = assertThrows(Backends.BackendUnavailableException.class,
                    () -> Backends.open(CudaBackend.NAME));
            assertTrue(e.getMessage().contains(why), e.getMessage());
            System.out.println("[cuda] unavailable here, as reported: " + why);
            return;
        }
        try (Backend be = Backends.open(CudaBackend.NAME, Map.of())) {
            List<Comparison> res = new CudaConformance((CudaBackend) be, new ReferenceBackend(), 11L).runAll();
            String failures = res.stream().filter(c -> !c.pass()).map(Comparison::format).collect(Collectors.joining("\n"));
            assertTrue(res.size() > 150, "too few comparisons: " + res.size());
            assertTrue(failures.isEmpty(), failures);
        }
    }

    @Test
    void launchOptionsParseAndRejectUnknownValues() {
        assertEquals(CudaOps.Bf16Mlstm.FUSED, CudaOps.Bf16Mlstm.parse(" Fused"));
        assertEquals(CudaOps.Bf16Mlstm.THREE_PASS, CudaOps.Bf16Mlstm.parse("three-pass"));
        assertEquals(CudaOps.Bf16Mlstm.THREE_PASS, CudaOps.Bf16Mlstm.parse("THREE_PASS"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CudaOps.Bf16Mlstm.parse("chunked"));
        assertTrue(e.getMessage().contains("three-pass or fused") && e.getMessage().contains("chunked"), e.getMessage());
        assertEquals(CudaOps.FusedQk.BY_SHAPE, CudaOps.FusedQk.parse(" by-shape"));
        assertEquals(CudaOps.FusedQk.BF16, CudaOps.FusedQk.parse("BF16"));
        e = assertThrows(IllegalArgumentException.class, () -> CudaOps.FusedQk.parse("fp16"));
        assertTrue(e.getMessage().contains("by-shape, fp32 or bf16") && e.getMessage().contains("fp16"), e.getMessage());
        assertEquals(CudaOps.FusedKernel.WGMMA, CudaOps.FusedKernel.parse(" WgMma"));
        assertEquals(CudaOps.FusedKernel.MMA, CudaOps.FusedKernel.parse("mma"));
        e = assertThrows(IllegalArgumentException.class, () -> CudaOps.FusedKernel.parse("tma"));
        assertTrue(e.getMessage().contains("auto, mma or wgmma") && e.getMessage().contains("tma"), e.getMessage());
        assertEquals(CudaOps.Fp32Gemm.TF32X3, CudaOps.Fp32Gemm.parse(" TF32x3"));
        assertEquals(CudaOps.Fp32Gemm.WGMMA, CudaOps.Fp32Gemm.parse("WGMMA"));
        assertEquals(CudaOps.Bf16Gemm.WGMMA, CudaOps.Bf16Gemm.parse(" wgmma"));
        assertEquals(CudaOps.Bf16Gemm.WMMA, CudaOps.Bf16Gemm.parse("WMMA"));
        e = assertThrows(IllegalArgumentException.class, () -> CudaOps.Bf16Gemm.parse("tf32x3"));
        assertTrue(e.getMessage().contains("auto, wmma, mma or wgmma") && e.getMessage().contains("tf32x3"), e.getMessage());
        assertEquals(CudaOps.Fp32Mlstm.SIMT, CudaOps.Fp32Mlstm.parse("Simt "));
        assertEquals(CudaOps.Fp32Mlstm.TF32X3, CudaOps.Fp32Mlstm.parse("tf32x3"));
        assertEquals(CudaOps.Fp32Mlstm.AUTO, CudaOps.Fp32Mlstm.parse("Auto"));
        e = assertThrows(IllegalArgumentException.class, () -> CudaOps.Fp32Mlstm.parse("bf16"));
        assertTrue(e.getMessage().contains("tf32x3 or simt") && e.getMessage().contains("bf16"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CudaOps.Fp32Gemm.parse("tf32"));
        assertTrue(e.getMessage().contains("auto, simt, tf32x3 or wgmma") && e.getMessage().contains("'tf32'"), e.getMessage());
        assertEquals(CudaOps.SsdState.SCALAR, CudaOps.SsdState.parse("Scalar "));
        assertEquals(CudaOps.SsdOut.MMA, CudaOps.SsdOut.parse("MMA"));
        e = assertThrows(IllegalArgumentException.class, () -> CudaOps.SsdOut.parse("wgmma"));
        assertTrue(e.getMessage().contains("output pass must be mma or scalar"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CudaOps.SsdState.parse("tensor"));
        assertTrue(e.getMessage().contains("auto, mma, scalar or backward") && e.getMessage().contains("'tensor'"), e.getMessage());
        assertEquals(CudaOps.SsdState.BACKWARD, CudaOps.SsdState.parse("Backward"));
        assertEquals(CudaOps.SsdState.AUTO, CudaOps.SsdState.parse(" auto"));
        assertEquals(CudaOps.ScanState.FORWARD, CudaOps.ScanState.parse("FORWARD"));
        e = assertThrows(IllegalArgumentException.class, () -> CudaOps.ScanState.parse("tail"));
        assertTrue(e.getMessage().contains("backward or forward") && e.getMessage().contains("'tail'"), e.getMessage());
    }

    @Test
    void weightsAreUploadedOncePerBackend() {
        String why = reason();
        if (why != null) {
            assertThrows(Backends.BackendUnavailableException.class, () -> Backends.open(CudaBackend.NAME));
            return;
        }
        try (CudaBackend be = (CudaBackend) Backends.open(CudaBackend.NAME, Map.of())) {
            RandomTensors r = new RandomTensors(3);
            Tensor w = r.normal(0, 1, 8, 16), b = r.normal(0, 1, 8);
            long before = be.weightUploads();
            for (int i = 0; i < 3; i++) be.linear(r.normal(0, 1, 2, 16), w, b);
            assertEquals(before + 2, be.weightUploads(), "w and b must be uploaded once, then found by identity");
        }
    }

    @Test
    void fp32MlstmKernelsFollowTheChoiceAndTheHeadDim() {
        // tensor cores need 16-wide head dims whatever the choice; AUTO takes them from TF32_MLSTM_MIN_DH
        assertEquals(CudaOps.Fp32Mlstm.SIMT, CudaOps.fp32MlstmForm(CudaOps.Fp32Mlstm.TF32X3, 20));
        assertEquals(CudaOps.Fp32Mlstm.TF32X3, CudaOps.fp32MlstmForm(CudaOps.Fp32Mlstm.TF32X3, 16));
        assertEquals(CudaOps.Fp32Mlstm.SIMT, CudaOps.fp32MlstmForm(CudaOps.Fp32Mlstm.SIMT, 384));
        assertEquals(CudaOps.Fp32Mlstm.SIMT, CudaOps.fp32MlstmForm(CudaOps.Fp32Mlstm.AUTO, CudaOps.TF32_MLSTM_MIN_DH - 16));
        assertEquals(CudaOps.Fp32Mlstm.TF32X3, CudaOps.fp32MlstmForm(CudaOps.Fp32Mlstm.AUTO, CudaOps.TF32_MLSTM_MIN_DH));
        assertEquals(CudaOps.Fp32Mlstm.TF32X3, CudaOps.fp32MlstmForm(CudaOps.Fp32Mlstm.AUTO, 384));
    }

    @Test
    void tensorCoreMlstmChunksAreWholeTilesThatFitSharedMemory() {
        // pure host arithmetic: holds with or without a GPU; mirrors mlstm_mma.cuh's layout formulas
        for (CudaOps.MmaOperands f : CudaOps.MmaOperands.values()) {
            assertEquals(16, f.chunk(7, 1000, 96), f + ": at least one 16-token tile");
            assertEquals(32, f.chunk(64, 17, 96), f + ": never more tiles than the call needs");
            assertEquals(48, f.chunk(50, 1000, 32), f + ": rounded down to whole tiles");
            for (int dh : new int[] {16, 96, 192, 384, 512}) {
                int q = f.chunk(256, 100000, dh);
                assertTrue(q % 16 == 0 && Math.max(f.stateSmem(q, dh), f.outSmem(q, dh)) <= 227 * 1024, f + " DH" + dh + ": " + q);
                assertTrue(q == 256 || Math.max(f.stateSmem(q + 16, dh), f.outSmem(q + 16, dh)) > 227 * 1024,
                        f + " DH" + dh + ": the largest chunk that fits is chosen, " + q);
            }
        }
        // fp32 operands take twice the bytes: at ViL-B's head dim 48 tokens fit where bf16 fits 64
        assertEquals(64, CudaOps.MmaOperands.BF16.chunk(64, 100000, 384));
        assertEquals(48, CudaOps.MmaOperands.TF32X3.chunk(64, 100000, 384));
        // bytes as laid out: 3xTF32 DH 384 Q 32: q, k-or-C slab (384 × 68 floats), v slab, P, the fp32 scores,
        // the gates; pass 1: k and v at DP 388, gates
        assertEquals(4 * (32 * 388 + 384 * 68 + 32 * 68 + 32 * 36) + 4 * 32 * 68 + 28 * 32,
                CudaOps.MmaOperands.TF32X3.outSmem(32, 384));
        assertEquals(2 * 4 * 32 * 388 + 24 * 32 + 16, CudaOps.MmaOperands.TF32X3.stateSmem(32, 384));
    }

    @Test
    void mlstmChunkIsBoundedBySharedMemory() {
        // pure host arithmetic: holds with or without a GPU
        assertEquals(64, CudaOps.mlstmChunk(64, 1000, 96));
        assertEquals(7, CudaOps.mlstmChunk(64, 7, 96), "never longer than the call");
        int q = CudaOps.mlstmChunk(256, 100000, 384);
        assertTrue(q >= 1 && q < 256 && CudaOps.mlstmOutSmem(q, 384) <= 200 * 1024, "chunk " + q);
        assertFalse(CudaOps.mlstmOutSmem(q * 2, 384) <= 200 * 1024 && q * 2 <= 256, "largest chunk that fits is chosen");
    }

    @Test
    void bf16ModeMatchesReferenceOrUnavailabilityIsExplained() {
        String why = reason();
        if (why != null) {
            assertThrows(Backends.BackendUnavailableException.class,
                    () -> Backends.open(CudaBackend.NAME, Map.of("precision", "bf16")));
            return;
        }
        // tolerances stated (and argued) in CudaBf16Conformance: 2e-5 vs bf16-rounded inputs, 1e-2 vs fp32
        try (CudaBackend be = (CudaBackend) Backends.open(CudaBackend.NAME, Map.of("precision", "bf16"))) {
            assertEquals(Precision.BF16, be.precision());
            List<Comparison> res = new CudaBf16Conformance(be, new ReferenceBackend(), 5L).runAll();
            String failures = res.stream().filter(c -> !c.pass()).map(Comparison::format).collect(Collectors.joining("\n"));
            assertTrue(res.size() > 30, "too few comparisons: " + res.size());
            assertTrue(failures.isEmpty(), failures);
        }
    }

    @Test
    void precisionOptionIsParsedStrictly() {
        // pure host parsing: holds with or without a GPU
        assertEquals(Precision.FP32, Precision.parse("fp32"));
        assertEquals(Precision.BF16, Precision.parse(" BF16 "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp16"));
        assertTrue(e.getMessage().contains("fp32 or bf16") && e.getMessage().contains("fp16"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Precision.parse(null));
    }

    @Test
    void automaticBf16GemmTakesWgmmaFromFourWavesOfTiles() {
        // an H100's 132 SMs: the bench's model-sized calls (M 4096) stay on mma.sync, where wgmma ran 6-10% slower
        assertEquals(CudaOps.Bf16Gemm.MMA, CudaOps.autoBf16Gemm(4096, 3072, 132, true));    // 384 tiles
        assertEquals(CudaOps.Bf16Gemm.MMA, CudaOps.autoBf16Gemm(4097, 1536, 132, true));    // 198 tiles
        assertEquals(CudaOps.Bf16Gemm.WGMMA, CudaOps.autoBf16Gemm(16384, 1536, 132, true)); // 768 tiles
        assertEquals(CudaOps.Bf16Gemm.WGMMA, CudaOps.autoBf16Gemm(65536, 768, 132, true));
        assertEquals(CudaOps.Bf16Gemm.MMA, CudaOps.autoBf16Gemm(65536, 768, 132, false));   // no sm_90a build
        assertEquals(CudaOps.Bf16Gemm.WMMA, CudaOps.autoBf16Gemm(1024, 768, 132, true));    // 24 tiles: WMMA's smaller ones
        assertEquals(CudaOps.Bf16Gemm.WGMMA, CudaOps.autoBf16Gemm(128 * 528, 256, 132, true));   // exactly four waves
        assertEquals(CudaOps.Bf16Gemm.MMA, CudaOps.autoBf16Gemm(128 * 527, 256, 132, true));
    }
}
