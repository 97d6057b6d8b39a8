// The selective scan / SSD float64 host reference (spec ops §8.1, §9), shared by the CUDA scan harnesses
// (scan_check_util.cuh) and the CPU warp-emulator check (emu/scan_emu.cpp).
// Glossary: B batch, L tokens, E channels (H·P for SSD), N state size, H heads, P head dim, G groups.
// Layouts: u, z, y (B, L, E); dl (B, L, H) (H = E for Mamba-1); a (E, N) or (H) for SSD; bm, cm (B, L, G, N);
// h (B, E, N).
#pragma once
#include <cmath>
#include <vector>

static void host_scan(bool ssd, const std::vector<float>& u, const std::vector<float>& dl, const std::vector<float>& a,
                      const std::vector<float>& bm, const std::vector<float>& cm, const std::vector<float>* d,
                      const std::vector<float>* z, const std::vector<float>& db, bool sp, std::vector<double>& h,
                      std::vector<double>& y, int b, int l, int e, int n, int heads, int g)
{
    int p = e / heads, eg = e / g;
    y.assign((size_t)b * l * e, 0.0);
    for (int bi = 0; bi < b; ++bi)
        for (int t = 0; t < l; ++t)
            for (int ei = 0; ei < e; ++ei) {
                int hh = ei / p, gi = ei / eg;
                size_t tok = (size_t)bi * l + t;
                double delta = (double)dl[tok * heads + hh] + db[hh];
                if (sp) delta = delta > 20 ? delta : std::log1p(std::exp(delta));
                double acc = 0;
                for (int ni = 0; ni < n; ++ni) {
                    double aa = ssd ? a[hh] : a[(size_t)ei * n + ni];
                    double& hv = h[((size_t)bi * e + ei) * n + ni];
                    hv = std::exp(delta * aa) * hv + delta * u[tok * e + ei] * bm[(tok * g + gi) * n + ni];
                    acc += hv * cm[(tok * g + gi) * n + ni];
                }
                if (d) acc += (*d)[hh] * u[tok * e + ei];
                if (z) { double zz = (*z)[tok * e + ei]; acc *= zz / (1 + std::exp(-zz)); }
                y[tok * e + ei] = acc;
            }
}
