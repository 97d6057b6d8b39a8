// The single translation unit nvcc turns into cuda/scanline.fatbin (see build-fatbin.sh).
// Each included file holds one family of kernels.
#include "common.cuh"
#include "selective_scan.cuh"
#include "scan_lanes.cuh"
#include "ssd.cuh"
#include "mlstm.cuh"
#include "conv.cuh"
#include "gemm.cuh"
#include "gemm_bf16.cuh"
#include "norms.cuh"
#include "elementwise.cuh"
#include "spatial.cuh"
#include "bench_util.cuh"
