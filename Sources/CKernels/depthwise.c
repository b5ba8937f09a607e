// Depthwise convolution of one plane (see depthwise.h). The body is written once as plain loops
// over contiguous rows, which the compiler vectorizes; the AVX2 and AVX-512 entries are the same
// body compiled for those instruction sets (with FMA where the target has it).
//
// Each output row is accumulated in place, in L1: filled with the bias, then for every tap whose
// input row is inside the plane, `row[ow] += k · in[ow·sw + off]` over exactly the output columns
// whose input column is inside (a range worked out per tap), so the zero padding costs nothing
// and there is no separate edge code; the clamp runs over the row while it is still in L1.
#include "depthwise.h"
#include "cpu_level.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

// The indices i in [0, count) with 0 <= i·s + off < size, as [*lo, *hi) (empty when none).
// Stride 1 and 2 (all but exotic windows) without a division.
ALWAYS_INLINE void inside(long size, long count, long s, long off, long *lo, long *hi) {
    long a, b;
    if (s == 1) {
        a = off >= 0 ? 0 : -off;
        b = size - off;
    } else if (s == 2) {
        a = off >= 0 ? 0 : (1 - off) / 2;
        b = size - off > 0 ? (size - off + 1) / 2 : 0;
    } else {
        a = off >= 0 ? 0 : (s - 1 - off) / s;
        b = size - off > 0 ? (size - off + s - 1) / s : 0;
    }
    if (a > count) a = count;
    if (b > count) b = count;
    if (b < a) b = a;
    *lo = a;
    *hi = b;
}

ALWAYS_INLINE float clamp(float v, float low, float high) {
    // Written so that NaN stays NaN (a comparison with NaN is false): maxps then minps.
    v = v < low ? low : v;
    return v > high ? high : v;
}

// Output row `row` (output row index with input row `top` for the kernel's first row) for any
// window: filled with the bias, then one pass per tap over the output columns it reaches.
ALWAYS_INLINE void any_row(
    const float *restrict x, long h, long w, const float *restrict k, long kh, long kw, float bias,
    float *restrict row, long out_w, long top, long sw, long dh, long dw, long pw, float low, float high) {
    for (long i = 0; i < out_w; i++) row[i] = bias;
    long r0, r1;
    inside(h, kh, dh, top, &r0, &r1);
    for (long r = r0; r < r1; r++) {
        const float *in = x + (top + r * dh) * w;
        for (long c = 0; c < kw; c++) {
            const long off = c * dw - pw;
            long lo, hi;
            inside(w, out_w, sw, off, &lo, &hi);
            const float kv = k[r * kw + c];
            const float *restrict src = in + lo * sw + off;
            float *restrict dst = row + lo;
            const long n = hi - lo;
            if (sw == 1) {
                for (long i = 0; i < n; i++) dst[i] += kv * src[i];
            } else if (sw == 2) {
                for (long i = 0; i < n; i++) dst[i] += kv * src[2 * i];
            } else {
                for (long i = 0; i < n; i++) dst[i] += kv * src[i * sw];
            }
        }
    }
    for (long i = 0; i < out_w; i++) row[i] = clamp(row[i], low, high);
}

// One output element, skipping taps outside the plane (the edge columns of an inside row).
ALWAYS_INLINE float edge_point(
    const float *x, long h, long w, const float *k, long kh, long kw, float bias, long top, long left, long dh,
    long dw) {
    float s = bias;
    for (long r = 0; r < kh; r++) {
        const long ih = top + r * dh;
        if (ih < 0 || ih >= h) continue;
        for (long c = 0; c < kw; c++) {
            const long iw = left + c * dw;
            if (iw >= 0 && iw < w) s += k[r * kw + c] * x[ih * w + iw];
        }
    }
    return s;
}

// The whole plane for a window size (and stride) the caller passes as constants, so the taps
// unroll and the loop over output columns vectorizes with the sum in a register: rows and
// columns whose window lies inside the plane go through that loop, the few others through
// `any_row` and `edge_point`.
ALWAYS_INLINE void fixed_plane(
    const float *restrict x, long h, long w, const float *restrict k, const long kh, const long kw, float bias,
    float *restrict y, long out_h, long out_w, long sh, const long sw, long dh, long dw, long ph, long pw, float low,
    float high) {
    long a, b, ra, rb;
    inside(w - (kw - 1) * dw, out_w, sw, -pw, &a, &b);
    inside(h - (kh - 1) * dh, out_h, sh, -ph, &ra, &rb);
    for (long oh = 0; oh < out_h; oh++) {
        float *restrict row = y + oh * out_w;
        const long top = oh * sh - ph;
        if (oh < ra || oh >= rb) {
            any_row(x, h, w, k, kh, kw, bias, row, out_w, top, sw, dh, dw, pw, low, high);
            continue;
        }
        for (long i = 0; i < a; i++) row[i] = clamp(edge_point(x, h, w, k, kh, kw, bias, top, i * sw - pw, dh, dw), low, high);
        if (b > a) {
            const float *restrict base = x + top * w + a * sw - pw;
            float *restrict out = row + a;
            const long n = b - a, rowStep = dh * w;
            for (long i = 0; i < n; i++) {
                float s = bias;
                for (long r = 0; r < kh; r++) {
                    for (long c = 0; c < kw; c++) s += k[r * kw + c] * base[r * rowStep + i * sw + c * dw];
                }
                out[i] = clamp(s, low, high);
            }
        }
        for (long i = b; i < out_w; i++) row[i] = clamp(edge_point(x, h, w, k, kh, kw, bias, top, i * sw - pw, dh, dw), low, high);
    }
}

#define FIXED(KH, KW)                                                                                             \
    if (kh == KH && kw == KW) {                                                                                  \
        if (sw == 1) {                                                                                           \
            fixed_plane(x, h, w, k, KH, KW, bias, y, out_h, out_w, sh, 1, dh, dw, ph, pw, low, high);            \
        } else if (sw == 2) {                                                                                    \
            fixed_plane(x, h, w, k, KH, KW, bias, y, out_h, out_w, sh, 2, dh, dw, ph, pw, low, high);            \
        } else {                                                                                                 \
            fixed_plane(x, h, w, k, KH, KW, bias, y, out_h, out_w, sh, sw, dh, dw, ph, pw, low, high);           \
        }                                                                                                        \
        return;                                                                                                  \
    }

ALWAYS_INLINE void plane_body(
    const float *restrict x, long h, long w, const float *restrict k, long kh, long kw, float bias, float *restrict y,
    long out_h, long out_w, long sh, long sw, long dh, long dw, long ph, long pw, float low, float high) {
    FIXED(3, 3)
    FIXED(5, 5)
    for (long oh = 0; oh < out_h; oh++) {
        any_row(x, h, w, k, kh, kw, bias, y + oh * out_w, out_w, oh * sh - ph, sw, dh, dw, pw, low, high);
    }
}

#define PLANE_ARGS                                                                                                 \
    const float *x, long h, long w, const float *k, long kh, long kw, float bias, float *y, long out_h, long out_w, \
        long sh, long sw, long dh, long dw, long ph, long pw, float low, float high
#define PLANE_CALL x, h, w, k, kh, kw, bias, y, out_h, out_w, sh, sw, dh, dw, ph, pw, low, high

static void plane_baseline(PLANE_ARGS) { plane_body(PLANE_CALL); }

#if defined(__x86_64__)
#include <immintrin.h>
#include <stdint.h>

// The explicit vector kernels: the plane in chunks of 64 (32) output columns, each chunk four
// blocks of 16 (8) columns whose sums stay in registers (four independent chains of FMAs, so
// their latency overlaps), down every output row. A tap's load is masked to the input columns
// inside the plane (masked-off lanes read nothing, so the zero padding costs nothing and no read
// goes past the plane); the masks depend on the block and the tap's column only, so they are
// worked out once per chunk; taps in rows outside the plane are skipped; the stores are masked
// to the row. For a window of KH × KW taps and stride SW that the caller passes as constants.

ALWAYS_INLINE long clampl(long v, long lo, long hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Column `col` of row `line` (col may be negative or past the row: only lanes inside are
// read), computed in integers so that no out-of-range pointer is formed.
ALWAYS_INLINE const float *at(const float *line, long col) {
    return (const float *)((uintptr_t)line + (uintptr_t)(col * (long)sizeof(float)));
}

// The lanes j < n of 16 with 0 <= col + j < w.
ALWAYS_INLINE unsigned mask16(long col, long w) {
    const long a = clampl(-col, 0, 16), b = clampl(w - col, 0, 16);
    return b > a ? (unsigned)((1ul << b) - (1ul << a)) : 0u;
}

__attribute__((target("avx512f"))) ALWAYS_INLINE void vector_plane512(
    const float *x, long h, long w, const float *k, const long KH, const long KW, float bias, float *y, long out_h,
    long out_w, long sh, const long SW, long dh, long dw, long ph, long pw, float low, float high) {
    __m512 kv[KH * KW];
    for (long t = 0; t < KH * KW; t++) kv[t] = _mm512_set1_ps(k[t]);
    const __m512 vb = _mm512_set1_ps(bias), vlo = _mm512_set1_ps(low), vhi = _mm512_set1_ps(high);
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (long i0 = 0; i0 < out_w; i0 += 64) {
        __mmask16 lo[4][KW], hi[4][KW], store[4];
        for (int j = 0; j < 4; j++) {
            for (long c = 0; c < KW; c++) {
                const long col = (i0 + 16 * j) * SW - pw + c * dw;
                lo[j][c] = (__mmask16)mask16(col, w);
                hi[j][c] = (__mmask16)mask16(col + 16, w);
            }
            store[j] = (__mmask16)((1ul << clampl(out_w - i0 - 16 * j, 0, 16)) - 1);
        }
        for (long oh = 0; oh < out_h; oh++) {
            const long top = oh * sh - ph;
            long r0, r1;
            inside(h, KH, dh, top, &r0, &r1);
            __m512 s[4] = {vb, vb, vb, vb};
            for (long r = 0; r < KH; r++) {
                if (r < r0 || r >= r1) continue;
                const float *line = x + (top + r * dh) * w;
                for (long c = 0; c < KW; c++) {
                    for (int j = 0; j < 4; j++) {
                        const float *p = at(line, (i0 + 16 * j) * SW - pw + c * dw);
                        __m512 v = _mm512_maskz_loadu_ps(lo[j][c], p);
                        if (SW == 2) v = _mm512_permutex2var_ps(v, evens, _mm512_maskz_loadu_ps(hi[j][c], p + 16));
                        s[j] = _mm512_fmadd_ps(kv[r * KW + c], v, s[j]);
                    }
                }
            }
            float *row = y + oh * out_w + i0;
            for (int j = 0; j < 4; j++) {
                _mm512_mask_storeu_ps(row + 16 * j, store[j], _mm512_min_ps(vhi, _mm512_max_ps(vlo, s[j])));
            }
        }
    }
}

// Lane j of the result is -1 when a <= j < b (a, b within [0, 8]).
__attribute__((target("avx2,fma"))) ALWAYS_INLINE __m256i lanes8(long a, long b) {
    static const int32_t ones_then_zeros[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    static const int32_t zeros_then_ones[16] = {0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1};
    if (b <= a) return _mm256_setzero_si256();
    const __m256i below = _mm256_loadu_si256((const __m256i *)(ones_then_zeros + 8 - b));
    const __m256i from = _mm256_loadu_si256((const __m256i *)(zeros_then_ones + 8 - a));
    return _mm256_and_si256(below, from);
}

__attribute__((target("avx2,fma"))) ALWAYS_INLINE __m256i mask8(long col, long w) {
    return lanes8(clampl(-col, 0, 8), clampl(w - col, 0, 8));
}

__attribute__((target("avx2,fma"))) ALWAYS_INLINE void vector_plane256(
    const float *x, long h, long w, const float *k, const long KH, const long KW, float bias, float *y, long out_h,
    long out_w, long sh, const long SW, long dh, long dw, long ph, long pw, float low, float high) {
    __m256 kv[KH * KW];
    for (long t = 0; t < KH * KW; t++) kv[t] = _mm256_set1_ps(k[t]);
    const __m256 vb = _mm256_set1_ps(bias), vlo = _mm256_set1_ps(low), vhi = _mm256_set1_ps(high);
    for (long i0 = 0; i0 < out_w; i0 += 32) {
        __m256i lo[4][KW], hi[4][KW], store[4];
        for (int j = 0; j < 4; j++) {
            for (long c = 0; c < KW; c++) {
                const long col = (i0 + 8 * j) * SW - pw + c * dw;
                lo[j][c] = mask8(col, w);
                hi[j][c] = mask8(col + 8, w);
            }
            store[j] = lanes8(0, clampl(out_w - i0 - 8 * j, 0, 8));
        }
        for (long oh = 0; oh < out_h; oh++) {
            const long top = oh * sh - ph;
            long r0, r1;
            inside(h, KH, dh, top, &r0, &r1);
            __m256 s[4] = {vb, vb, vb, vb};
            for (long r = 0; r < KH; r++) {
                if (r < r0 || r >= r1) continue;
                const float *line = x + (top + r * dh) * w;
                for (long c = 0; c < KW; c++) {
                    for (int j = 0; j < 4; j++) {
                        const float *p = at(line, (i0 + 8 * j) * SW - pw + c * dw);
                        __m256 v = _mm256_maskload_ps(p, lo[j][c]);
                        if (SW == 2) {
                            // Even elements of 16: [a0 a2 b0 b2 | a4 a6 b4 b6], then the middle lanes swapped.
                            const __m256 mixed = _mm256_shuffle_ps(v, _mm256_maskload_ps(p + 8, hi[j][c]), 0x88);
                            v = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(mixed), 0xD8));
                        }
                        s[j] = _mm256_fmadd_ps(kv[r * KW + c], v, s[j]);
                    }
                }
            }
            float *row = y + oh * out_w + i0;
            for (int j = 0; j < 4; j++) {
                _mm256_maskstore_ps(row + 8 * j, store[j], _mm256_min_ps(vhi, _mm256_max_ps(vlo, s[j])));
            }
        }
    }
}

#define VECTOR(FN, KH, KW)                                                                               \
    if (kh == KH && kw == KW && (sw == 1 || sw == 2)) {                                                 \
        if (sw == 1) {                                                                                  \
            FN(x, h, w, k, KH, KW, bias, y, out_h, out_w, sh, 1, dh, dw, ph, pw, low, high);            \
        } else {                                                                                        \
            FN(x, h, w, k, KH, KW, bias, y, out_h, out_w, sh, 2, dh, dw, ph, pw, low, high);            \
        }                                                                                               \
        return;                                                                                         \
    }

__attribute__((target("avx2,fma"))) static void plane_avx2(PLANE_ARGS) {
    VECTOR(vector_plane256, 3, 3)
    VECTOR(vector_plane256, 5, 5)
    plane_body(PLANE_CALL);
}

__attribute__((target("avx512f"))) static void plane_avx512(PLANE_ARGS) {
    VECTOR(vector_plane512, 3, 3)
    VECTOR(vector_plane512, 5, 5)
    plane_body(PLANE_CALL);
}
#endif

void sluice_depthwise_plane(PLANE_ARGS, int level) {
#if defined(__x86_64__)
    if (level >= SLUICE_CPU_AVX512) {
        plane_avx512(PLANE_CALL);
        return;
    }
    if (level >= SLUICE_CPU_AVX2) {
        plane_avx2(PLANE_CALL);
        return;
    }
#endif
    (void)level;
    plane_baseline(PLANE_CALL);
}
