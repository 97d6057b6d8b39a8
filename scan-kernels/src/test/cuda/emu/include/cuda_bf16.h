// Stands in for the CUDA toolkit header under the CPU warp emulator: warp_emu.hpp defines the bf16 types
// and conversions the kernels use.
#pragma once
#ifndef SL_WARP_EMU
#error "include warp_emu.hpp first"
#endif
