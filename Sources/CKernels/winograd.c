// Winograd F(2x2, 3x3) transforms (see winograd.h). Each body is written once as plain loops
// over contiguous rows, which the compiler vectorizes; the AVX2 and AVX-512 entries are the
// same body compiled for those instruction sets. Only additions and subtractions, in the same
// order at every level, so every level gives the same bits.
#include "winograd.h"
#include "cpu_level.h"

#include <string.h>

#define ALWAYS_INLINE static inline __attribute__((always_inline))

// One input row of the image (or zeros outside it), placed in a row of 2 * tiles_w + 2 floats
// whose column k is the image's column k - pad_left.
ALWAYS_INLINE void padded_row(const float *plane, long h, long w, long ih, long pad_left, long width, float *row) {
    if (ih < 0 || ih >= h) {
        memset(row, 0, (size_t)width * sizeof(float));
        return;
    }
    long start = pad_left > 0 ? pad_left : 0;
    long end = pad_left + w < width ? pad_left + w : width;
    if (start > width) start = width;
    if (end < start) end = start;
    if (start > 0) memset(row, 0, (size_t)start * sizeof(float));
    if (end > start) memcpy(row + start, plane + ih * w + (start - pad_left), (size_t)(end - start) * sizeof(float));
    if (width > end) memset(row + end, 0, (size_t)(width - end) * sizeof(float));
}

ALWAYS_INLINE void input_body(
    const float *x, long channels, long h, long w, long image_stride, long pad_top, long pad_left, long tiles_h,
    long tiles_w, long first, long count, float *v, long ldv, float *pad, float *rows) {
    const long width = 2 * tiles_w + 2, half = tiles_w + 1;
    const long stride = channels * ldv;  // between the 16 transformed matrices
    float *r0 = pad, *r1 = pad + width, *r2 = pad + 2 * width, *r3 = pad + 3 * width;
    for (long c = 0; c < channels; c++) {
        for (long g = first; g < first + count; g++) {
            const long image = g / tiles_h, ty = g % tiles_h;
            const float *plane = x + image * image_stride + c * h * w;
            const long top = 2 * ty - pad_top;
            padded_row(plane, h, w, top, pad_left, width, r0);
            padded_row(plane, h, w, top + 1, pad_left, width, r1);
            padded_row(plane, h, w, top + 2, pad_left, width, r2);
            padded_row(plane, h, w, top + 3, pad_left, width, r3);
            // Rows: B^T d (t0 = d0 - d2, t1 = d1 + d2, t2 = d2 - d1, t3 = d1 - d3), each split
            // into its even and odd columns so the column pass reads contiguous floats.
            float *e[4], *o[4];
            for (int i = 0; i < 4; i++) {
                e[i] = rows + (2 * i) * half;
                o[i] = rows + (2 * i + 1) * half;
            }
            for (long k = 0; k < half; k++) {
                const float a0 = r0[2 * k], a1 = r1[2 * k], a2 = r2[2 * k], a3 = r3[2 * k];
                const float b0 = r0[2 * k + 1], b1 = r1[2 * k + 1], b2 = r2[2 * k + 1], b3 = r3[2 * k + 1];
                e[0][k] = a0 - a2;
                e[1][k] = a1 + a2;
                e[2][k] = a2 - a1;
                e[3][k] = a1 - a3;
                o[0][k] = b0 - b2;
                o[1][k] = b1 + b2;
                o[2][k] = b2 - b1;
                o[3][k] = b1 - b3;
            }
            // Columns: tile t's row i is (e[t], o[t], e[t+1], o[t+1]), times B.
            float *dst = v + c * ldv + (g - first) * tiles_w;
            for (int i = 0; i < 4; i++) {
                const float *ei = e[i], *oi = o[i];
                float *d0 = dst + (4 * i) * stride, *d1 = d0 + stride, *d2 = d1 + stride, *d3 = d2 + stride;
                for (long t = 0; t < tiles_w; t++) {
                    d0[t] = ei[t] - ei[t + 1];
                    d1[t] = oi[t] + ei[t + 1];
                    d2[t] = ei[t + 1] - oi[t];
                    d3[t] = oi[t] - oi[t + 1];
                }
            }
        }
    }
}

// One output row from its even and odd columns, plus the bias and the residual.
ALWAYS_INLINE void output_row(
    const float *even, const float *odd, float bias, const float *residual, float *y, long out_w) {
    const long pairs = out_w / 2;
    if (residual) {
        for (long t = 0; t < pairs; t++) {
            y[2 * t] = even[t] + bias + residual[2 * t];
            y[2 * t + 1] = odd[t] + bias + residual[2 * t + 1];
        }
        if (out_w & 1) y[out_w - 1] = even[pairs] + bias + residual[out_w - 1];
    } else {
        for (long t = 0; t < pairs; t++) {
            y[2 * t] = even[t] + bias;
            y[2 * t + 1] = odd[t] + bias;
        }
        if (out_w & 1) y[out_w - 1] = even[pairs] + bias;
    }
}

ALWAYS_INLINE void output_body(
    const float *p, long maps, long ldp, const float *bias, const float *residual, float *y, long out_h, long out_w,
    long image_stride, long tiles_h, long tiles_w, long first, long count, float *rows) {
    const long stride = maps * ldp;
    const long plane = out_h * out_w;
    float *a0 = rows, *b0 = rows + tiles_w, *a1 = rows + 2 * tiles_w, *b1 = rows + 3 * tiles_w;
    for (long m = 0; m < maps; m++) {
        const float shift = bias ? bias[m] : 0.0f;
        for (long g = first; g < first + count; g++) {
            const long image = g / tiles_h, ty = g % tiles_h;
            const float *q = p + m * ldp + (g - first) * tiles_w;
            // A^T M A, A^T = [1 1 1 0; 0 1 -1 -1]: rows first (s0 = m0 + m1 + m2, s1 = m1 - m2 - m3),
            // then columns.
            for (long t = 0; t < tiles_w; t++) {
                float s0[4], s1[4];
                for (int j = 0; j < 4; j++) {
                    const float m0 = q[j * stride + t], m1 = q[(4 + j) * stride + t];
                    const float m2 = q[(8 + j) * stride + t], m3 = q[(12 + j) * stride + t];
                    s0[j] = m0 + m1 + m2;
                    s1[j] = m1 - m2 - m3;
                }
                a0[t] = s0[0] + s0[1] + s0[2];
                b0[t] = s0[1] - s0[2] - s0[3];
                a1[t] = s1[0] + s1[1] + s1[2];
                b1[t] = s1[1] - s1[2] - s1[3];
            }
            const long at = image * image_stride + m * plane + 2 * ty * out_w;
            output_row(a0, b0, shift, residual ? residual + at : 0, y + at, out_w);
            if (2 * ty + 1 < out_h) {
                output_row(a1, b1, shift, residual ? residual + at + out_w : 0, y + at + out_w, out_w);
            }
        }
    }
}

#define INPUT_PARAMS                                                                                            \
    const float *x, long channels, long h, long w, long image_stride, long pad_top, long pad_left, long tiles_h, \
        long tiles_w, long first, long count, float *v, long ldv, float *pad, float *rows
#define INPUT_ARGS x, channels, h, w, image_stride, pad_top, pad_left, tiles_h, tiles_w, first, count, v, ldv, pad, rows
#define OUTPUT_PARAMS                                                                                          \
    const float *p, long maps, long ldp, const float *bias, const float *residual, float *y, long out_h,        \
        long out_w, long image_stride, long tiles_h, long tiles_w, long first, long count, float *rows
#define OUTPUT_ARGS p, maps, ldp, bias, residual, y, out_h, out_w, image_stride, tiles_h, tiles_w, first, count, rows

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void input_avx2(INPUT_PARAMS) { input_body(INPUT_ARGS); }
__attribute__((target("avx512f"))) static void input_avx512(INPUT_PARAMS) { input_body(INPUT_ARGS); }
__attribute__((target("avx2,fma"))) static void output_avx2(OUTPUT_PARAMS) { output_body(OUTPUT_ARGS); }
__attribute__((target("avx512f"))) static void output_avx512(OUTPUT_PARAMS) { output_body(OUTPUT_ARGS); }
#endif

void sluice_winograd_input(INPUT_PARAMS, int level) {
#if defined(__x86_64__)
    if (level >= SLUICE_CPU_AVX512) {
        input_avx512(INPUT_ARGS);
        return;
    }
    if (level >= SLUICE_CPU_AVX2) {
        input_avx2(INPUT_ARGS);
        return;
    }
#endif
    (void)level;
    input_body(INPUT_ARGS);
}

void sluice_winograd_output(OUTPUT_PARAMS, int level) {
#if defined(__x86_64__)
    if (level >= SLUICE_CPU_AVX512) {
        output_avx512(OUTPUT_ARGS);
        return;
    }
    if (level >= SLUICE_CPU_AVX2) {
        output_avx2(OUTPUT_ARGS);
        return;
    }
#endif
    (void)level;
    output_body(OUTPUT_ARGS);
}
