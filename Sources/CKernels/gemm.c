#include "gemm.h"

#include <pthread.h>
#include <stdlib.h>

#include "cpu_level.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// B is packed in panels of NR columns and blocks of KC rows (a block of B rows is one run of
// memory: panel after panel, each kc × NR floats row by row). A is copied per call, MC rows by
// KC columns at a time, each row KC floats apart, so the micro-kernel broadcasts A(r, p) from
// one pointer at offsets fixed at compile time (r·KC + p), and a transposed A is gathered there.
//
// The loops, outermost first: MC rows of A, KC rows of B (packing that A block), groups of P
// panels (P·NR columns of C), R-row tiles. A group of panels (P·KC·NR floats) is then reused
// by every tile of the MC rows from L1/L2, and the A block (MC·KC) stays in L2.
enum { NR = 16, KC = 512, MC = 96, FEW = 12 };

size_t sluice_sgemm_packed_count(size_t k, size_t n) { return (n + NR - 1) / NR * NR * k; }

void sluice_sgemm_pack_b(int trans_b, size_t k, size_t n, const float *b, size_t ldb, float *packed) {
    const size_t panels = (n + NR - 1) / NR, width = panels * NR;
    for (size_t p0 = 0; p0 < k; p0 += KC) {
        const size_t kc = k - p0 < KC ? k - p0 : KC;
        float *block = packed + p0 * width;
        for (size_t j = 0; j < panels; j++) {
            float *panel = block + j * NR * kc;
            for (size_t p = 0; p < kc; p++) {
                for (size_t q = 0; q < NR; q++) {
                    const size_t col = j * NR + q;
                    float v = 0.0f;
                    if (col < n) v = trans_b ? b[col * ldb + p0 + p] : b[(p0 + p) * ldb + col];
                    panel[p * NR + q] = v;
                }
            }
        }
    }
}

/// One tile's work: R rows of packed A against P panels of one B block, into C.
typedef struct {
    const float *a;  // the tile's first row of the copied A; row r at a + r·KC
    const float *b;  // the first panel; panel q at b + q·NR·kc
    size_t kc;
    float *c;        // C at the tile's first row and column
    size_t ldc;
    size_t cols;     // columns of C left from the tile's first (may exceed P·NR)
    float alpha, beta;
    int first;       // the first block of k: C is scaled by beta (not read when beta is 0)
} tile_t;

/// The new value of one element of C from its accumulated sum (the scalar form of the stores).
static inline float updated(const tile_t *t, const float *c, float sum) {
    if (!t->first) return *c + t->alpha * sum;
    if (t->beta == 0.0f) return t->alpha * sum;
    return t->beta * *c + t->alpha * sum;
}

// The baseline (SSE2 through the compiler's vectorizer, or plain C): up to 4 rows, one panel.
static inline __attribute__((always_inline)) void tile_base(const tile_t *t, const int R) {
    float acc[4][NR] = {{0}};
    for (size_t p = 0; p < t->kc; p++) {
        const float *bp = t->b + p * NR;
        for (int r = 0; r < R; r++) {
            const float x = t->a[r * KC + p];
            for (int q = 0; q < NR; q++) acc[r][q] += x * bp[q];
        }
    }
    const size_t w = t->cols < NR ? t->cols : NR;
    for (int r = 0; r < R; r++) {
        float *cr = t->c + (size_t)r * t->ldc;
        for (size_t q = 0; q < w; q++) cr[q] = updated(t, cr + q, acc[r][q]);
    }
}

static void tiles_base(const tile_t *t, int rows) {
    switch (rows) {
    case 1: tile_base(t, 1); break;
    case 2: tile_base(t, 2); break;
    case 3: tile_base(t, 3); break;
    default: tile_base(t, 4); break;
    }
}

#if defined(__x86_64__)
#define AVX2 __attribute__((target("avx2,fma"), always_inline)) static inline
#define AVX512 __attribute__((target("avx512f"), always_inline)) static inline

// AVX2: a panel is two YMM registers; up to 6 rows × 1 panel (12 accumulators), or 1 row × 4.
AVX2 void tile_avx2(const tile_t *t, const int R, const int P) {
    __m256 acc[6][8];
    for (int r = 0; r < R; r++)
        for (int q = 0; q < 2 * P; q++) acc[r][q] = _mm256_setzero_ps();
    const size_t stride = NR * t->kc;
    for (size_t p = 0; p < t->kc; p++) {
        __m256 bv[8];
        for (int q = 0; q < P; q++) {
            bv[2 * q] = _mm256_loadu_ps(t->b + q * stride + p * NR);
            bv[2 * q + 1] = _mm256_loadu_ps(t->b + q * stride + p * NR + 8);
        }
        for (int r = 0; r < R; r++) {
            const __m256 x = _mm256_broadcast_ss(t->a + r * KC + p);
            for (int q = 0; q < 2 * P; q++) acc[r][q] = _mm256_fmadd_ps(x, bv[q], acc[r][q]);
        }
    }
    static const int lanes[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    const __m256 alpha = _mm256_set1_ps(t->alpha), beta = _mm256_set1_ps(t->beta);
    for (int r = 0; r < R; r++) {
        for (int q = 0; q < 2 * P; q++) {
            const size_t c0 = (size_t)q * 8;
            if (c0 >= t->cols) break;
            const size_t w = t->cols - c0 >= 8 ? 8 : t->cols - c0;
            const __m256i mask = _mm256_loadu_si256((const __m256i *)(lanes + 8 - w));
            float *cp = t->c + (size_t)r * t->ldc + c0;
            __m256 v = _mm256_mul_ps(acc[r][q], alpha);
            if (!t->first) {
                v = _mm256_add_ps(v, _mm256_maskload_ps(cp, mask));
            } else if (t->beta != 0.0f) {
                v = _mm256_fmadd_ps(beta, _mm256_maskload_ps(cp, mask), v);
            }
            _mm256_maskstore_ps(cp, mask, v);
        }
    }
}

__attribute__((target("avx2,fma"))) static void tiles_avx2(const tile_t *t, int rows, int panels) {
    if (panels == 4) {
        tile_avx2(t, 1, 4);  // only one row takes four panels
        return;
    }
    if (panels == 2) {
        if (rows == 1) tile_avx2(t, 1, 2); else tile_avx2(t, 2, 2);  // only 1-2 rows take two
        return;
    }
    switch (rows) {
    case 1: tile_avx2(t, 1, 1); break;
    case 2: tile_avx2(t, 2, 1); break;
    case 3: tile_avx2(t, 3, 1); break;
    case 4: tile_avx2(t, 4, 1); break;
    case 5: tile_avx2(t, 5, 1); break;
    default: tile_avx2(t, 6, 1); break;
    }
}

// AVX-512: a panel is one ZMM register; up to 12 rows × 2 panels (24 accumulators), or 1-2
// rows × 4.
AVX512 void tile_avx512(const tile_t *t, const int R, const int P) {
    __m512 acc[12][4];
    for (int r = 0; r < R; r++)
        for (int q = 0; q < P; q++) acc[r][q] = _mm512_setzero_ps();
    const size_t stride = NR * t->kc;
    for (size_t p = 0; p < t->kc; p++) {
        __m512 bv[4];
        for (int q = 0; q < P; q++) bv[q] = _mm512_loadu_ps(t->b + q * stride + p * NR);
        for (int r = 0; r < R; r++) {
            const __m512 x = _mm512_set1_ps(t->a[r * KC + p]);
            for (int q = 0; q < P; q++) acc[r][q] = _mm512_fmadd_ps(x, bv[q], acc[r][q]);
        }
    }
    const __m512 alpha = _mm512_set1_ps(t->alpha), beta = _mm512_set1_ps(t->beta);
    for (int r = 0; r < R; r++) {
        for (int q = 0; q < P; q++) {
            const size_t c0 = (size_t)q * NR;
            if (c0 >= t->cols) break;
            const size_t w = t->cols - c0;
            const __mmask16 mask = w >= NR ? (__mmask16)0xFFFF : (__mmask16)((1u << w) - 1);
            float *cp = t->c + (size_t)r * t->ldc + c0;
            __m512 v = _mm512_mul_ps(acc[r][q], alpha);
            if (!t->first) {
                v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, cp));
            } else if (t->beta != 0.0f) {
                v = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(mask, cp), v);
            }
            _mm512_mask_storeu_ps(cp, mask, v);
        }
    }
}

#define ROWS_512(P)                                   \
    switch (rows) {                                   \
    case 1: tile_avx512(t, 1, P); break;              \
    case 2: tile_avx512(t, 2, P); break;              \
    case 3: tile_avx512(t, 3, P); break;              \
    case 4: tile_avx512(t, 4, P); break;              \
    case 5: tile_avx512(t, 5, P); break;              \
    case 6: tile_avx512(t, 6, P); break;              \
    case 7: tile_avx512(t, 7, P); break;              \
    case 8: tile_avx512(t, 8, P); break;              \
    case 9: tile_avx512(t, 9, P); break;              \
    case 10: tile_avx512(t, 10, P); break;            \
    case 11: tile_avx512(t, 11, P); break;            \
    default: tile_avx512(t, 12, P); break;            \
    }

__attribute__((target("avx512f"))) static void tiles_avx512(const tile_t *t, int rows, int panels) {
    if (panels == 4) {
        if (rows == 1) tile_avx512(t, 1, 4); else tile_avx512(t, 2, 4);  // only 1-2 rows take four
        return;
    }
    if (panels == 2) {
        ROWS_512(2)
    } else {
        ROWS_512(1)
    }
}
#endif

/// The tile shape of a level: at most `rows` rows by `panels` panels, for an A block of mc rows
/// (few rows take more panels at once, so that enough sums are in flight to hide the latency
/// of the multiply-adds while B streams by).
static void shape(int level, size_t mc, int *rows, int *panels) {
    switch (level) {
    case SLUICE_CPU_AVX512:
        *rows = 12;
        *panels = mc <= 2 ? 4 : 2;
        return;
    case SLUICE_CPU_AVX2:
        *rows = 6;
        *panels = mc == 1 ? 4 : mc == 2 ? 2 : 1;
        return;
    default:
        *rows = 4;
        *panels = 1;
        return;
    }
}

static void tiles(int level, const tile_t *t, int rows, int panels) {
#if defined(__x86_64__)
    if (level == SLUICE_CPU_AVX512) {
        tiles_avx512(t, rows, panels);
        return;
    }
    if (level == SLUICE_CPU_AVX2) {
        tiles_avx2(t, rows, panels);
        return;
    }
#endif
    (void)panels;
    tiles_base(t, rows);
}

// One A block per thread that multiplies, 64-byte aligned: MC × KC floats (192 KiB), allocated
// at its first product and reused call after call, freed when the thread ends. On the heap, not
// in static thread-local storage, which glibc would carve out of every thread's stack (event
// loops included) whether or not it ever multiplies. Should it not be had (out of memory), the
// product goes through a block of FEW rows on the stack instead: B is then streamed once per
// 12 rows of A rather than per 96, slower for many rows, but the packed B is all it needs, so
// the weights' unpacked copy can be dropped at load.
static pthread_key_t apack_key;
static pthread_once_t apack_once = PTHREAD_ONCE_INIT;
static int apack_ready;

static void apack_create(void) { apack_ready = pthread_key_create(&apack_key, free) == 0; }

static float *apack_block(void) {
    pthread_once(&apack_once, apack_create);
    if (!apack_ready) return NULL;
    float *block = pthread_getspecific(apack_key);
    if (block) return block;
    void *fresh = NULL;
    if (posix_memalign(&fresh, 64, sizeof(float) * MC * KC) != 0) return NULL;
    if (pthread_setspecific(apack_key, fresh) != 0) {
        free(fresh);
        return NULL;
    }
    return fresh;
}

/// The product with `apack` as the block for A, `block_rows` (MC, or FEW on the stack) rows.
static void multiply(size_t m, size_t n, size_t k, float alpha, const float *a, size_t a_row, size_t a_col,
                     const float *packed, float beta, float *c, size_t ldc, int level, float *apack, size_t block_rows) {
    const size_t panels = (n + NR - 1) / NR, width = panels * NR;
    for (size_t i0 = 0; i0 < m; i0 += block_rows) {
        const size_t mc = m - i0 < block_rows ? m - i0 : block_rows;
        int R, P;
        shape(level, mc, &R, &P);
        for (size_t p0 = 0; p0 < k; p0 += KC) {
            const size_t kc = k - p0 < KC ? k - p0 : KC;
            // Row i0 + i of A, columns p0 … p0 + kc, to apack + i·KC.
            for (size_t i = 0; i < mc; i++) {
                const float *src = a + (i0 + i) * a_row + p0 * a_col;
                float *dst = apack + i * KC;
                if (a_col == 1) {
                    for (size_t p = 0; p < kc; p++) dst[p] = src[p];  // short rows: no memcpy call
                } else {
                    for (size_t p = 0; p < kc; p++) dst[p] = src[p * a_col];
                }
            }
            const float *block = packed + p0 * width;
            for (size_t j = 0; j < panels;) {
                int group = P;
                while ((size_t)group > panels - j) group /= 2;
                for (size_t ib = 0; ib < mc; ib += (size_t)R) {
                    const size_t rows = mc - ib < (size_t)R ? mc - ib : (size_t)R;
                    const tile_t t = {
                        .a = apack + ib * KC, .b = block + j * NR * kc, .kc = kc,
                        .c = c + (i0 + ib) * ldc + j * NR, .ldc = ldc, .cols = n - j * NR,
                        .alpha = alpha, .beta = beta, .first = p0 == 0,
                    };
                    tiles(level, &t, (int)rows, group);
                }
                j += (size_t)group;
            }
        }
    }
}

__attribute__((noinline)) void sluice_sgemm_packed_on_stack(size_t m, size_t n, size_t k, float alpha,
                                                          const float *a, size_t a_row, size_t a_col,
                                                          const float *packed, float beta, float *c, size_t ldc,
                                                          int level) {
#if !defined(__x86_64__)
    level = SLUICE_CPU_BASELINE;
#endif
    // FEW rows (the tallest tile) of KC floats: 24 KiB, on the stack of a function the usual
    // path never enters.
    float apack[FEW * KC] __attribute__((aligned(64)));
    multiply(m, n, k, alpha, a, a_row, a_col, packed, beta, c, ldc, level, apack, FEW);
}

void sluice_sgemm_packed(size_t m, size_t n, size_t k, float alpha, const float *a, size_t a_row, size_t a_col,
                         const float *packed, float beta, float *c, size_t ldc, int level) {
#if !defined(__x86_64__)
    level = SLUICE_CPU_BASELINE;
#endif
    float *apack = apack_block();
    if (!apack) {
        sluice_sgemm_packed_on_stack(m, n, k, alpha, a, a_row, a_col, packed, beta, c, ldc, level);
        return;
    }
    multiply(m, n, k, alpha, a, a_row, a_col, packed, beta, c, ldc, level, apack, MC);
}
