// Pointwise (1×1) convolution as a matrix product against weights packed once (issue #19): an
// image's output Y [maps, positions] is W [maps, channels] times its input X [channels,
// positions], with the bias and a clamp (Relu, Clip) applied to each tile while it is still in
// registers. W is the constant, left operand, so it is packed at load; X is read in place.
#ifndef SLUICE_POINTWISE_H
#define SLUICE_POINTWISE_H

#include <stddef.h>

/// Floats in the packed form of W [maps, channels]: maps rounded up to a multiple of 12, times
/// channels. The caller checks that this product fits its limits before allocating.
size_t sluice_pointwise_packed_count(size_t maps, size_t channels);

/// Packs W (row-major [maps, channels]) into `packed` (sluice_pointwise_packed_count floats):
/// panels of 12 maps, each channel after channel with its 12 weights side by side, the maps
/// past `maps` zero. The one layout every level reads.
void sluice_pointwise_pack(size_t maps, size_t channels, const float *w, float *packed);

/// y[m·ldy + j] = clamp(bias[m] + Σ_c W[m, c] · x[c·ldx + j]) for m < maps, j < n, with W packed
/// by sluice_pointwise_pack; clamp(v) is min(max(v, low), high) with NaN kept (low = −∞,
/// high = +∞ is no clamp, low = 0 a Relu); `bias` may be null (0). Reads x only at columns
/// j < n of its rows, so a block of columns of a wider X is `x + j0` with n the block's width.
/// With `stream` at AVX-512, whole 64-byte lines of y are written with non-temporal stores,
/// which skip reading them into the cache first (for outputs far larger than the caches, whose
/// reader would not find them there anyway); when ldy is a multiple of 16, the columns before
/// the first line are peeled off, so y need not start on one. Other levels ignore `stream`: at
/// AVX2 streaming the same peeled lines made MobileNet's 64 → 128 block 10% slower.
/// maps, channels, n > 0; y does not overlap x or W; sizes are trusted, checked by the caller.
void sluice_pointwise(
    const float *packed, size_t maps, size_t channels, const float *x, size_t ldx, size_t n, const float *bias,
    float low, float high, float *y, size_t ldy, int stream, int level);

#endif
