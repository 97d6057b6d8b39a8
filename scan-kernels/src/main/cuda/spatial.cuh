// Position- and grid-dependent ops: De-focus RoPE (§11), patch-embedding im2col (§4.1), ViL 3×3
// depthwise conv (§7.2), PyTorch bicubic resize (§12).
// Glossary: B batch, L tokens, N RoPE width, Cc image channels, H/W image size, ps patch size,
// st stride, Hp/Wp patch grid, E channels, oh/ow resize target.
#pragma once

// RoPE as coded in De-focus: every element its own angle θ = (pos/ρ)·freq[j], computed in fp64 from
// the exact integer position (fp32 positions lose phase on long streams).
extern "C" __global__ void rope_defocus(const float* x, const float* freq, const long long* pos0, float* y,
                                        int Bsz, int L, int N, double rho)
{
    const long long half = N / 2;
    const long long n = (long long)Bsz * L * half;
    SL_GRID_STRIDE(i, n) {
        const int p = (int)(i % half);
        const long long bt = i / half;
        const int b = (int)(bt / L);
        const int t = (int)(bt % L);
        const double pos = (double)(pos0[b] + t) / rho;
        const size_t o = (size_t)bt * N + 2 * p;
        const double th0 = pos * (double)freq[2 * p], th1 = pos * (double)freq[2 * p + 1];
        const double v0 = x[o], v1 = x[o + 1];
        y[o] = (float)(v0 * cos(th0) - v1 * sin(th0));
        y[o + 1] = (float)(v1 * cos(th1) + v0 * sin(th1));
    }
}

// cols (B·Hp·Wp, Cc·ps·ps): one patch per row in the (ch, i, j) order of the conv weight, so the
// patch embedding becomes gemm_nt(cols, w as (D, Cc·ps·ps)).
extern "C" __global__ void im2col_patch(const float* img, float* cols, int Bsz, int Cc, int H, int W, int ps, int st,
                                        int Hp, int Wp)
{
    const int kk = Cc * ps * ps;
    const long long n = (long long)Bsz * Hp * Wp * kk;
    SL_GRID_STRIDE(i, n) {
        const int k = (int)(i % kk);
        const long long pt = i / kk;
        const int c = (int)(pt % Wp);
        const int r = (int)((pt / Wp) % Hp);
        const int b = (int)(pt / ((long long)Wp * Hp));
        const int ch = k / (ps * ps), ii = (k / ps) % ps, jj = k % ps;
        cols[i] = img[(((size_t)b * Cc + ch) * H + (size_t)r * st + ii) * W + (size_t)c * st + jj];
    }
}

// x, y (B, Hp, Wp, E); w (E, 3, 3); zero padding 1.
extern "C" __global__ void dwconv3x3(const float* x, const float* w, const float* bias, float* y, int Bsz, int Hp,
                                     int Wp, int E)
{
    const long long n = (long long)Bsz * Hp * Wp * E;
    SL_GRID_STRIDE(i, n) {
        const int e = (int)(i % E);
        const long long pix = i / E;
        const int c = (int)(pix % Wp);
        const int r = (int)((pix / Wp) % Hp);
        const int b = (int)(pix / ((long long)Wp * Hp));
        float acc = bias ? bias[e] : 0.f;
        for (int a = 0; a < 3; ++a) {
            const int rr = r + a - 1;
            if (rr < 0 || rr >= Hp) continue;
            for (int bb = 0; bb < 3; ++bb) {
                const int cc = c + bb - 1;
                if (cc < 0 || cc >= Wp) continue;
                acc = fmaf(w[(size_t)e * 9 + a * 3 + bb], x[(((size_t)b * Hp + rr) * Wp + cc) * E + e], acc);
            }
        }
        y[i] = acc;
    }
}

namespace sl {
__device__ __forceinline__ void cubic_axis(int n, int nOut, int o, int idx[4], double w[4])
{
    const double A = -0.75;
    const double r = (double)n / nOut * (o + 0.5) - 0.5;   // not clamped at 0 (PyTorch)
    const int i0 = (int)floor(r);
    const double t = r - i0;
    w[0] = ((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A;
    w[1] = ((A + 2) * t - (A + 3)) * t * t + 1;
    w[2] = ((A + 2) * (1 - t) - (A + 3)) * (1 - t) * (1 - t) + 1;
    w[3] = ((A * (2 - t) - 5 * A) * (2 - t) + 8 * A) * (2 - t) - 4 * A;
    for (int k = 0; k < 4; ++k) idx[k] = min(max(i0 - 1 + k, 0), n - 1);
}
}

// PyTorch upsample_bicubic2d (align_corners = False) in fp64, rounded once: in (C, H, W) -> out (C, oh, ow).
extern "C" __global__ void bicubic_resize(const double* in, float* out, int C, int H, int W, int oh, int ow)
{
    const long long n = (long long)C * oh * ow;
    SL_GRID_STRIDE(i, n) {
        const int ox = (int)(i % ow);
        const int oy = (int)((i / ow) % oh);
        const int c = (int)(i / ((long long)ow * oh));
        int iy[4], ix[4];
        double wy[4], wx[4];
        sl::cubic_axis(H, oh, oy, iy, wy);
        sl::cubic_axis(W, ow, ox, ix, wx);
        double acc = 0.0;
        for (int a = 0; a < 4; ++a) {
            double row = 0.0;
            for (int b = 0; b < 4; ++b) row += wx[b] * in[((size_t)c * H + iy[a]) * W + ix[b]];
            acc += wy[a] * row;
        }
        out[i] = (float)acc;
    }
}
