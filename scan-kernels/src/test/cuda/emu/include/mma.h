// Stands in for the CUDA toolkit's WMMA header under the CPU warp emulator (warp_emu.hpp), for the
// 16 × 16 × 16 bf16 -> fp32 shapes the kernels use. The element-to-lane mapping of a WMMA fragment is
// unspecified by CUDA, and the kernels only touch fragments through this API, so any fixed mapping is a
// faithful model: lane l holds elements 8l .. 8l + 7 of the tile in row-major order. Loads and stores are
// per lane; mma_sync is a warp collective (all 32 lanes exchange their pieces).
#pragma once
#include <type_traits>
#ifndef SL_WARP_EMU
#error "include warp_emu.hpp first"
#endif

namespace nvcuda {
namespace wmma {
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment {
    static_assert(M == 16 && N == 16 && K == 16, "the emulator models 16 x 16 x 16 fragments only");
    static constexpr int num_elements = 8;
    T x[8];
};

namespace detail {
inline float to_f(float v) { return v; }
inline float to_f(__nv_bfloat16 v) { return __bfloat162float(v); }
template <class T> inline T from_f(float v);
template <> inline float from_f<float>(float v) { return v; }
template <> inline __nv_bfloat16 from_f<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }
inline int lane() { return (int)(threadIdx.x % 32); }
// element i (0..255) of the tile at (row, col) of a memory layout with leading dimension ldm
inline size_t offset(int i, unsigned ldm, bool colMajor)
{
    const int r = i / 16, c = i % 16;
    return colMajor ? (size_t)c * ldm + r : (size_t)r * ldm + c;
}
}  // namespace detail

template <class Use, class T, class Layout>
inline void fill_fragment(fragment<Use, 16, 16, 16, T, Layout>& f, float v)
{
    for (int j = 0; j < 8; ++j) f.x[j] = detail::from_f<T>(v);
}

// matrix_a / matrix_b with their layout in the type; the warp reads the tile together (a warp barrier
// keeps the collective semantics: every lane must reach it)
template <class Use, class T, class Layout>
inline void load_matrix_sync(fragment<Use, 16, 16, 16, T, Layout>& f, const T* p, unsigned ldm)
{
    const int l = detail::lane();
    for (int j = 0; j < 8; ++j) f.x[j] = p[detail::offset(8 * l + j, ldm, std::is_same<Layout, col_major>::value)];
    __syncwarp();
}

inline void load_matrix_sync(fragment<accumulator, 16, 16, 16, float>& f, const float* p, unsigned ldm, layout_t layout)
{
    const int l = detail::lane();
    for (int j = 0; j < 8; ++j) f.x[j] = p[detail::offset(8 * l + j, ldm, layout == mem_col_major)];
    __syncwarp();
}

inline void store_matrix_sync(float* p, const fragment<accumulator, 16, 16, 16, float>& f, unsigned ldm, layout_t layout)
{
    const int l = detail::lane();
    for (int j = 0; j < 8; ++j) p[detail::offset(8 * l + j, ldm, layout == mem_col_major)] = f.x[j];
    __syncwarp();
}

// D = A · B + C, fp32 accumulation in k order
template <class TA, class LA, class TB, class LB>
inline void mma_sync(fragment<accumulator, 16, 16, 16, float>& d, const fragment<matrix_a, 16, 16, 16, TA, LA>& a,
                     const fragment<matrix_b, 16, 16, 16, TB, LB>& b, const fragment<accumulator, 16, 16, 16, float>& c)
{
    struct In { float a[8], b[8], c[8]; };
    In in;
    for (int j = 0; j < 8; ++j) { in.a[j] = detail::to_f(a.x[j]); in.b[j] = detail::to_f(b.x[j]); in.c[j] = c.x[j]; }
    struct Out { float d[8]; };
    const Out o = emu::warp_collective(in, [](const In* all, unsigned lane) {
        Out r;
        for (int j = 0; j < 8; ++j) {
            const int i = 8 * (int)lane + j, row = i / 16, col = i % 16;
            float acc = all[i / 8].c[i % 8];
            for (int k = 0; k < 16; ++k) {
                const int ia = row * 16 + k, ib = k * 16 + col;
                acc = std::fma(all[ia / 8].a[ia % 8], all[ib / 8].b[ib % 8], acc);
            }
            r.d[j] = acc;
        }
        return r;
    });
    for (int j = 0; j < 8; ++j) d.x[j] = o.d[j];
}
}  // namespace wmma
}  // namespace nvcuda
