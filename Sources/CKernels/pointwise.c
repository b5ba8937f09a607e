#include "pointwise.h"

#include "cpu_level.h"

#include <stdint.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define ALWAYS_INLINE static inline __attribute__((always_inline))

// W is packed in panels of MP maps: channel after channel, the panel's MP weights side by side,
// so a tile broadcasts W(m, c) from one pointer at offsets fixed at compile time (c·MP + r).
// Every level's tile height divides MP, so one packing serves them all and a tile never
// straddles two panels.
//
// The loops, outermost first: blocks of columns (only when there are more than KC channels, so
// that the output block the later channels add to stays in L2), blocks of KC channels, panels
// of NR columns of X, tiles of R maps. A panel of X (kc × NR floats) is then read from memory
// or L2 once, by the first tile, and reused by every other tile of maps from L1; all of W
// (maps × kc) is reread from L2 for each panel, a small fraction of the panel's work.
enum { MP = 12, KC = 256 };

size_t sluice_pointwise_packed_count(size_t maps, size_t channels) { return (maps + MP - 1) / MP * MP * channels; }

void sluice_pointwise_pack(size_t maps, size_t channels, const float *w, float *packed) {
    const size_t panels = (maps + MP - 1) / MP;
    for (size_t i = 0; i < panels; i++) {
        float *panel = packed + i * MP * channels;
        for (size_t c = 0; c < channels; c++) {
            for (size_t r = 0; r < MP; r++) {
                const size_t m = i * MP + r;
                panel[c * MP + r] = m < maps ? w[m * channels + c] : 0.0f;
            }
        }
    }
}

/// One tile's work: R maps by up to NR columns, one block of channels.
typedef struct {
    const float *w;     // W(m0 + r, k0 + p) at w[p·MP + r]
    const float *x;     // X(k0 + p, j0 + q) at x[p·ldx + q]
    size_t ldx, kc;
    float *y;           // Y(m0 + r, j0 + q) at y[r·ldy + q]
    size_t ldy;
    size_t cols;        // the tile's columns: NR, or fewer at the right edge
    const float *bias;  // the bias of map m0, or null
    float low, high;
    int add;            // add the sums to y (not the first block of channels)
    int finish;         // add the bias and clamp (the last block of channels)
    int stream;         // write finished rows that start on a 64-byte line past the caches (AVX-512)
    const float *next;  // the next panel's X, fetched into the cache during this tile, or null
} tile_t;

ALWAYS_INLINE float clamp(float v, float low, float high) {
    // NaN stays NaN: both comparisons are false.
    v = v < low ? low : v;
    return v > high ? high : v;
}

// The baseline: up to RB maps by NB columns in SSE2 (plain C elsewhere, and at the right edge),
// whose 12 sums fit the 16 registers beside a column and a weight. About half of SSE's peak,
// 2.5× the time of the AVX2 tile.
enum { RB = 6, NB = 8 };

ALWAYS_INLINE void tile_base(const tile_t *t, const int R) {
    const size_t w = t->cols < NB ? t->cols : NB;
#if defined(__x86_64__)
    if (w == NB) {
        // Written out in SSE: the vectorizer kept these sums in memory (2.5× slower).
        __m128 acc[RB][2];
        for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm_setzero_ps();
        for (size_t p = 0; p < t->kc; p++) {
            const float *xp = t->x + p * t->ldx;
            const __m128 x0 = _mm_loadu_ps(xp), x1 = _mm_loadu_ps(xp + 4);
            for (int r = 0; r < R; r++) {
                const __m128 v = _mm_set1_ps(t->w[p * MP + r]);
                acc[r][0] = _mm_add_ps(acc[r][0], _mm_mul_ps(v, x0));
                acc[r][1] = _mm_add_ps(acc[r][1], _mm_mul_ps(v, x1));
            }
        }
        const __m128 low = _mm_set1_ps(t->low), high = _mm_set1_ps(t->high);
        for (int r = 0; r < R; r++) {
            float *yr = t->y + (size_t)r * t->ldy;
            const __m128 b = _mm_set1_ps(t->bias ? t->bias[r] : 0.0f);
            for (int q = 0; q < 2; q++) {
                __m128 v = acc[r][q];
                if (t->add) v = _mm_add_ps(v, _mm_loadu_ps(yr + 4 * q));
                if (t->finish) v = _mm_min_ps(high, _mm_max_ps(low, _mm_add_ps(v, b)));
                _mm_storeu_ps(yr + 4 * q, v);
            }
        }
        return;
    }
#endif
    float acc[RB][NB] = {{0}};
    for (size_t p = 0; p < t->kc; p++) {
        const float *xp = t->x + p * t->ldx;
        for (int r = 0; r < R; r++) {
            const float v = t->w[p * MP + r];
            for (size_t q = 0; q < w; q++) acc[r][q] += v * xp[q];
        }
    }
    for (int r = 0; r < R; r++) {
        float *yr = t->y + (size_t)r * t->ldy;
        const float b = t->bias ? t->bias[r] : 0.0f;
        for (size_t q = 0; q < w; q++) {
            float v = t->add ? yr[q] + acc[r][q] : acc[r][q];
            yr[q] = t->finish ? clamp(v + b, t->low, t->high) : v;
        }
    }
}

static void tiles_base(const tile_t *t, int rows) {
    switch (rows) {
    case 1: tile_base(t, 1); break;
    case 2: tile_base(t, 2); break;
    case 3: tile_base(t, 3); break;
    case 4: tile_base(t, 4); break;
    case 5: tile_base(t, 5); break;
    default: tile_base(t, RB); break;
    }
}

#if defined(__x86_64__)
#define AVX2 __attribute__((target("avx2,fma"), always_inline)) static inline
#define AVX512 __attribute__((target("avx512f"), always_inline)) static inline

// The next panel's rows, one cache line each per 16 columns, into L1 while the FMAs run.
#define PREFETCH_ROW(P, ROW)                                                                    \
    if (t->next) {                                                                              \
        for (int q = 0; q < (P); q++) _mm_prefetch((const char *)(t->next + (ROW) * t->ldx + 16 * q), _MM_HINT_T0); \
    }

// AVX2: 16 columns are two YMM registers; up to 6 maps (12 accumulators). EDGE tiles (fewer
// columns) load and store through masks, so nothing past a row's last column is touched.
AVX2 void tile_avx2(const tile_t *t, const int R, const int EDGE) {
    static const int lanes[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    __m256 acc[6][2];
    for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    __m256i mask[2] = {_mm256_set1_epi32(-1), _mm256_set1_epi32(-1)};
    if (EDGE) {
        for (int q = 0; q < 2; q++) {
            const size_t c0 = (size_t)q * 8, w = t->cols <= c0 ? 0 : t->cols - c0 >= 8 ? 8 : t->cols - c0;
            mask[q] = _mm256_loadu_si256((const __m256i *)(lanes + 8 - w));
        }
    }
    for (size_t p = 0; p < t->kc; p++) {
        const float *xp = t->x + p * t->ldx;
        __m256 xv[2];
        for (int q = 0; q < 2; q++) xv[q] = EDGE ? _mm256_maskload_ps(xp + 8 * q, mask[q]) : _mm256_loadu_ps(xp + 8 * q);
        PREFETCH_ROW(1, p)
        for (int r = 0; r < R; r++) {
            const __m256 v = _mm256_broadcast_ss(t->w + p * MP + r);
            acc[r][0] = _mm256_fmadd_ps(v, xv[0], acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(v, xv[1], acc[r][1]);
        }
    }
    const __m256 low = _mm256_set1_ps(t->low), high = _mm256_set1_ps(t->high);
    const int add = t->add, finish = t->finish;
#pragma clang loop unroll(full)
    for (int r = 0; r < R; r++) {
        float *yr = t->y + (size_t)r * t->ldy;
        const __m256 b = _mm256_set1_ps(t->bias ? t->bias[r] : 0.0f);
        __m256 v[2];
        for (int q = 0; q < 2; q++) {
            v[q] = acc[r][q];
            if (add) v[q] = _mm256_add_ps(v[q], EDGE ? _mm256_maskload_ps(yr + 8 * q, mask[q]) : _mm256_loadu_ps(yr + 8 * q));
            // max then min with the sum second: a NaN sum comes through both.
            if (finish) v[q] = _mm256_min_ps(high, _mm256_max_ps(low, _mm256_add_ps(v[q], b)));
        }
        for (int q = 0; q < 2; q++) {
            if (EDGE) {
                _mm256_maskstore_ps(yr + 8 * q, mask[q], v[q]);
            } else {
                _mm256_storeu_ps(yr + 8 * q, v[q]);
            }
        }
    }
}

__attribute__((target("avx2,fma"))) static void tiles_avx2(const tile_t *t, int rows, int edge) {
#define AVX2_ROWS(E)                                      \
    switch (rows) {                                       \
    case 1: tile_avx2(t, 1, E); break;                    \
    case 2: tile_avx2(t, 2, E); break;                    \
    case 3: tile_avx2(t, 3, E); break;                    \
    case 4: tile_avx2(t, 4, E); break;                    \
    case 5: tile_avx2(t, 5, E); break;                    \
    default: tile_avx2(t, 6, E); break;                   \
    }
    if (edge) {
        AVX2_ROWS(1)
    } else {
        AVX2_ROWS(0)
    }
#undef AVX2_ROWS
}

// AVX-512: 64 columns are four ZMM registers; up to 6 maps (24 accumulators). Measured on
// 64 channels × 3,136 positions into 128 maps: 6 × 64 ran 20% faster than 12 × 32 (which
// broadcasts twice as many weights per column loaded) and than 4 × 96.
enum { R512 = 6, P512 = 4 };

AVX512 void tile_avx512(const tile_t *t, const int R, const int EDGE) {
    __m512 acc[R512][P512];
    for (int r = 0; r < R; r++)
        for (int q = 0; q < P512; q++) acc[r][q] = _mm512_setzero_ps();
    __mmask16 mask[P512];
    for (int q = 0; q < P512; q++) {
        const size_t c0 = (size_t)q * 16, w = t->cols <= c0 ? 0 : t->cols - c0;
        mask[q] = !EDGE || w >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << w) - 1);
    }
    for (size_t p = 0; p < t->kc; p++) {
        const float *xp = t->x + p * t->ldx;
        __m512 xv[P512];
        for (int q = 0; q < P512; q++) xv[q] = EDGE ? _mm512_maskz_loadu_ps(mask[q], xp + 16 * q) : _mm512_loadu_ps(xp + 16 * q);
        PREFETCH_ROW(P512, p)
        for (int r = 0; r < R; r++) {
            const __m512 v = _mm512_set1_ps(t->w[p * MP + r]);
            for (int q = 0; q < P512; q++) acc[r][q] = _mm512_fmadd_ps(v, xv[q], acc[r][q]);
        }
    }
    const __m512 low = _mm512_set1_ps(t->low), high = _mm512_set1_ps(t->high);
    const int add = t->add, finish = t->finish, stream = !EDGE && t->stream && t->finish;
    // Unrolled by hand's worth: left to itself, clang keeps this a loop over the accumulators
    // spilled to the stack, which cost 15% on the 64 → 128 layer.
#pragma clang loop unroll(full)
    for (int r = 0; r < R; r++) {
        float *yr = t->y + (size_t)r * t->ldy;
        const __m512 b = _mm512_set1_ps(t->bias ? t->bias[r] : 0.0f);
        __m512 v[P512];
        for (int q = 0; q < P512; q++) {
            v[q] = acc[r][q];
            if (add) v[q] = _mm512_add_ps(v[q], _mm512_maskz_loadu_ps(mask[q], yr + 16 * q));
            // max then min with the sum second: a NaN sum comes through both.
            if (finish) v[q] = _mm512_min_ps(high, _mm512_max_ps(low, _mm512_add_ps(v[q], b)));
        }
        // A row off the line (ldy not a whole number of lines) is written through the cache.
        if (stream && ((uintptr_t)yr & 63) == 0) {
            for (int q = 0; q < P512; q++) _mm512_stream_ps(yr + 16 * q, v[q]);
        } else {
            for (int q = 0; q < P512; q++) _mm512_mask_storeu_ps(yr + 16 * q, mask[q], v[q]);
        }
    }
}

__attribute__((target("avx512f"))) static void tiles_avx512(const tile_t *t, int rows, int edge) {
#define AVX512_ROWS(E)                                    \
    switch (rows) {                                       \
    case 1: tile_avx512(t, 1, E); break;                  \
    case 2: tile_avx512(t, 2, E); break;                  \
    case 3: tile_avx512(t, 3, E); break;                  \
    case 4: tile_avx512(t, 4, E); break;                  \
    case 5: tile_avx512(t, 5, E); break;                  \
    default: tile_avx512(t, 6, E); break;                 \
    }
    if (edge) {
        AVX512_ROWS(1)
    } else {
        AVX512_ROWS(0)
    }
#undef AVX512_ROWS
}
#endif

/// A level's tile: R maps (a divisor of MP) by NR columns.
static void shape(int level, int *rows, size_t *cols) {
    switch (level) {
#if defined(__x86_64__)
    case SLUICE_CPU_AVX512:
        *rows = R512;
        *cols = 16 * P512;
        return;
    case SLUICE_CPU_AVX2:
        *rows = 6;
        *cols = 16;
        return;
#endif
    default:
        *rows = RB;
        *cols = NB;
        return;
    }
}

static void tiles(int level, const tile_t *t, int rows, int edge) {
#if defined(__x86_64__)
    if (level == SLUICE_CPU_AVX512) {
        tiles_avx512(t, rows, edge);
        return;
    }
    if (level == SLUICE_CPU_AVX2) {
        tiles_avx2(t, rows, edge);
        return;
    }
#endif
    (void)edge;
    tiles_base(t, rows);
}

// sluice_pointwise on the columns it is given, with the tiles from its first column.
static void block(
    const float *packed, size_t maps, size_t channels, const float *x, size_t ldx, size_t n, const float *bias,
    float low, float high, float *y, size_t ldy, int stream, int level) {
    int R;
    size_t NR;
    shape(level, &R, &NR);
    // With one block of channels every column is finished at once, and the columns need no blocks.
    size_t nc = n;
    if (channels > KC) {
        nc = (size_t)(1u << 15) / maps / NR * NR;  // an output block of at most 128 KiB
        if (nc < NR) nc = NR;
    }
    for (size_t j0 = 0; j0 < n; j0 += nc) {
        const size_t end = n - j0 < nc ? n : j0 + nc;
        for (size_t k0 = 0; k0 < channels; k0 += KC) {
            const size_t kc = channels - k0 < KC ? channels - k0 : KC;
            for (size_t j = j0; j < end; j += NR) {
                const size_t cols = end - j < NR ? end - j : NR;
                const float *next = j + NR < end ? x + k0 * ldx + j + NR : NULL;
                for (size_t m0 = 0; m0 < maps; m0 += (size_t)R) {
                    const size_t rows = maps - m0 < (size_t)R ? maps - m0 : (size_t)R;
                    const tile_t t = {
                        .w = packed + m0 / MP * MP * channels + k0 * MP + m0 % MP, .x = x + k0 * ldx + j, .ldx = ldx,
                        .kc = kc, .y = y + m0 * ldy + j, .ldy = ldy, .cols = cols, .bias = bias ? bias + m0 : NULL,
                        .low = low, .high = high, .add = k0 > 0, .finish = k0 + kc == channels, .stream = stream,
                        .next = m0 == 0 ? next : NULL,
                    };
                    tiles(level, &t, (int)rows, cols < NR);
                }
            }
        }
    }
}

void sluice_pointwise(
    const float *packed, size_t maps, size_t channels, const float *x, size_t ldx, size_t n, const float *bias,
    float low, float high, float *y, size_t ldy, int stream, int level) {
#if !defined(__x86_64__)
    level = SLUICE_CPU_BASELINE;
#endif
    // Streaming only from AVX-512 (see the header). Its tiles stream a row only from a 64-byte
    // line, and a lent answer's rows start 48 bytes past one: when every row of y sits at the
    // same place in its line (ldy a whole number of lines), the columns before the first line
    // go first, through the cache, and every later tile starts on a line. Otherwise the rows
    // that happen to start on a line stream and the others do not.
    if (level != SLUICE_CPU_AVX512) stream = 0;
    // Edge tiles (fewer than a tile's columns) never stream: when less than one full tile would be
    // left after the peel, nothing would stream, and the peel would only cost a second pass
    // over the weights, so the call is one pass through the cache.
    size_t peel = 0;
    if (stream && ldy % 16 == 0) {
        peel = (16 - (size_t)((uintptr_t)y / sizeof(float) % 16)) % 16;
        int tile_maps;
        size_t tile_columns;
        shape(level, &tile_maps, &tile_columns);
        if (n < peel + tile_columns) stream = 0, peel = 0;
    }
    if (peel) block(packed, maps, channels, x, ldx, peel, bias, low, high, y, ldy, 0, level);
    block(packed, maps, channels, x + peel, ldx, n - peel, bias, low, high, y + peel, ldy, stream, level);
#if defined(__x86_64__)
    // Non-temporal stores are weakly ordered: fenced before another thread can be handed y.
    if (stream) _mm_sfence();
#endif
}
