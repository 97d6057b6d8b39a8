// Host-only helpers shared by the CUDA harnesses and the CPU warp-emulator checks: seeded random inputs
// and the relative error of a result against a float64 (or float) reference.
#pragma once
#include <cmath>
#include <vector>
#include <algorithm>

static unsigned long long rng = 88172645463325252ull;
static float urand(float lo, float hi) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return lo + (hi - lo) * (float)((rng >> 40) * (1.0 / 16777216.0));
}
static std::vector<float> rnd(size_t n, float lo, float hi) { std::vector<float> v(n); for (auto& x : v) x = urand(lo, hi); return v; }
// max|got − want| / max|want|; NaN when got holds a NaN
template <class W>
static double relerr(const std::vector<float>& got, const W& want) {
    double md = 0, mw = 1e-30;
    for (size_t i = 0; i < want.size(); ++i) {
        const double diff = std::fabs(got[i] - (double)want[i]);
        if (!(diff == diff)) return NAN;
        md = std::max(md, diff); mw = std::max(mw, std::fabs((double)want[i]));
    }
    return md / mw;
}
