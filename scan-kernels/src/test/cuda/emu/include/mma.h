// Stands in for the CUDA toolkit's WMMA header under the CPU warp emulator (warp_emu.hpp), for the
// shapes the kernels use: 16 × 16 × 16 bf16 -> fp32 and 16 × 16 × 8 tf32 -> fp32. The element-to-lane
// mapping of a WMMA fragment is unspecified by CUDA, and the kernels only touch fragments through this
// API or element by element (the same operation on every element), so any fixed mapping is a faithful
// model: lane l holds elements E·l .. E·l + E − 1 of the tile in row-major order (E = num_elements: 8 for
// 16 × 16 tiles, 4 for the 16 × 8 and 8 × 16 tf32 operand tiles). Loads and stores are per lane; mma_sync
// is a warp collective (all 32 lanes exchange their pieces). tf32 operands are read as the tensor core
// reads them: the top 19 bits of each fp32 word (tf32.cuh).
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

namespace precision { struct tf32 {}; }

// round to nearest, ties away from zero, to 11 significant bits (cvt.rna.tf32.f32)
inline float __float_to_tf32(float v) { return __uint_as_float((__float_as_uint(v) + 0x1000u) & 0xffffe000u); }

namespace detail {
template <class T> struct elem { using type = T; };
template <> struct elem<precision::tf32> { using type = float; };
// rows and columns of a fragment's tile
template <class Use, int M, int N, int K> struct dims;
template <int M, int N, int K> struct dims<matrix_a, M, N, K> { static constexpr int R = M, C = K; };
template <int M, int N, int K> struct dims<matrix_b, M, N, K> { static constexpr int R = K, C = N; };
template <int M, int N, int K> struct dims<accumulator, M, N, K> { static constexpr int R = M, C = N; };
}  // namespace detail

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment {
    static_assert(M == 16 && N == 16 && (K == 16 || K == 8), "the emulator models 16 x 16 x 16 and 16 x 16 x 8 fragments only");
    static constexpr int R = detail::dims<Use, M, N, K>::R, C = detail::dims<Use, M, N, K>::C;
    static constexpr int num_elements = R * C / 32;
    typename detail::elem<T>::type x[num_elements];
};

namespace detail {
inline float to_f(float v) { return v; }
inline float to_f(__nv_bfloat16 v) { return __bfloat162float(v); }
// what the tensor core reads of an operand element
template <class T> inline float operand(float v) { return v; }
template <> inline float operand<precision::tf32>(float v) { return __uint_as_float(__float_as_uint(v) & 0xffffe000u); }
template <class T> inline T from_f(float v);
template <> inline float from_f<float>(float v) { return v; }
template <> inline __nv_bfloat16 from_f<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }
inline int lane() { return (int)(threadIdx.x % 32); }
// element i of an R × C tile at (row, col) of a memory layout with leading dimension ldm
inline size_t offset(int i, int C, unsigned ldm, bool colMajor)
{
    const int r = i / C, c = i % C;
    return colMajor ? (size_t)c * ldm + r : (size_t)r * ldm + c;
}
}  // namespace detail

template <class Use, int K, class T, class Layout>
inline void fill_fragment(fragment<Use, 16, 16, K, T, Layout>& f, float v)
{
    for (auto& e : f.x) e = detail::from_f<typename detail::elem<T>::type>(v);
}

// matrix_a / matrix_b with their layout in the type; the warp reads the tile together (a warp barrier
// keeps the collective semantics: every lane must reach it)
template <class Use, int K, class T, class Layout, class P>
inline void load_matrix_sync(fragment<Use, 16, 16, K, T, Layout>& f, const P* p, unsigned ldm)
{
    using F = fragment<Use, 16, 16, K, T, Layout>;
    const int l = detail::lane();
    for (int j = 0; j < F::num_elements; ++j)
        f.x[j] = p[detail::offset(F::num_elements * l + j, F::C, ldm, std::is_same<Layout, col_major>::value)];
    __syncwarp();
}

template <int K>
inline void load_matrix_sync(fragment<accumulator, 16, 16, K, float>& f, const float* p, unsigned ldm, layout_t layout)
{
    const int l = detail::lane();
    for (int j = 0; j < 8; ++j) f.x[j] = p[detail::offset(8 * l + j, 16, ldm, layout == mem_col_major)];
    __syncwarp();
}

template <int K>
inline void store_matrix_sync(float* p, const fragment<accumulator, 16, 16, K, float>& f, unsigned ldm, layout_t layout)
{
    const int l = detail::lane();
    for (int j = 0; j < 8; ++j) p[detail::offset(8 * l + j, 16, ldm, layout == mem_col_major)] = f.x[j];
    __syncwarp();
}

// D = A · B + C, fp32 accumulation in k order
template <int K, class TA, class LA, class TB, class LB>
inline void mma_sync(fragment<accumulator, 16, 16, K, float>& d, const fragment<matrix_a, 16, 16, K, TA, LA>& a,
                     const fragment<matrix_b, 16, 16, K, TB, LB>& b, const fragment<accumulator, 16, 16, K, float>& c)
{
    constexpr int EA = 16 * K / 32;   // operand elements per lane
    struct In { float a[EA], b[EA], c[8]; };
    In in;
    for (int j = 0; j < EA; ++j) { in.a[j] = detail::to_f(a.x[j]); in.b[j] = detail::to_f(b.x[j]); }
    for (int j = 0; j < 8; ++j) in.c[j] = c.x[j];
    struct Out { float d[8]; };
    const Out o = emu::warp_collective(in, [](const In* all, unsigned lane) {
        Out r;
        for (int j = 0; j < 8; ++j) {
            const int i = 8 * (int)lane + j, row = i / 16, col = i % 16;
            float acc = all[i / 8].c[i % 8];
            for (int k = 0; k < K; ++k) {
                const int ia = row * K + k, ib = k * 16 + col;
                acc = std::fma(detail::operand<TA>(all[ia / EA].a[ia % EA]), detail::operand<TB>(all[ib / EA].b[ib % EA]), acc);
            }
            r.d[j] = acc;
        }
        return r;
    });
    for (int j = 0; j < 8; ++j) d.x[j] = o.d[j];
}
}  // namespace wmma
}  // namespace nvcuda
