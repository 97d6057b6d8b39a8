// The single translation unit nvcc turns into cuda/scanline.fatbin (see build-fatbin.sh).
// Each included file holds one family of kernels.
#include "common.cuh"
#include "selective_scan.cuh"
#include "scan_tail.cuh"
#include "scan_lanes.cuh"
// the backend launches only the 16-warp build (see CudaOps.BLOCK_KERNEL)
#define SL_BLOCK_VARIANTS SL_BLOCK_INSTANCE(16, 8, 512)
#include "scan_block.cuh"
#include "ssd.cuh"
// the backend launches one segment-SSD build (see CudaOps.SEG_OUT)
#define SL_SEG_VARIANTS SL_SEG_INSTANCE(16, 32, 4, 16, 4)
#include "ssd_seg.cuh"
#include "ssd_state_mma.cuh"
#include "ssd_out_mma.cuh"
#include "mlstm.cuh"
#include "mlstm_mma.cuh"
#include "mlstm_fused.cuh"
#include "mlstm_wgmma.cuh"
#include "conv.cuh"
#include "gemm.cuh"
#include "gemm_bf16.cuh"
#include "gemm_bf16_wgmma.cuh"
#include "gemm_mma.cuh"
#include "gemm_tf32.cuh"
#include "gemm_tf32_wgmma.cuh"
#include "norms.cuh"
#include "elementwise.cuh"
#include "spatial.cuh"
#include "bench_util.cuh"
#include "peak_probe.cuh"
