// Winograd F(2x2, 3x3) convolution transforms (Sources/SluiceBackends/ONNX/Operators/ConvWinograd.swift
// drives them): input tiles to the 16 transformed matrices the products multiply, and the 16
// products back to 2x2 output blocks with the bias and an optional residual added.
#ifndef SLUICE_WINOGRAD_H
#define SLUICE_WINOGRAD_H

/// Input transform of the tile rows [first, first + count) of a batch whose images each have
/// `tiles_h` tile rows of `tiles_w` tiles. Tile (row g, column t) of channel c reads the 4x4
/// input window at row 2*(g % tiles_h) - pad_top, column 2*t - pad_left of image g / tiles_h,
/// zero outside the H x W plane; its 16 transformed values go to
/// v[xi * channels * ldv + c * ldv + (g - first) * tiles_w + t], xi = 0..15.
/// `x` is NCHW with `image_stride` floats between images; `pad` is room for 4 * (2 * tiles_w + 2)
/// floats and `rows` room for 8 * (tiles_w + 1) floats. The caller checked every size and that
/// ldv >= count * tiles_w.
void sluice_winograd_input(
    const float *x, long channels, long h, long w, long image_stride, long pad_top, long pad_left,
    long tiles_h, long tiles_w, long first, long count, float *v, long ldv, float *pad, float *rows, int level);

/// Output transform of the same tile rows: p holds the 16 products, p[xi * maps * ldp + m * ldp + j]
/// (j the tile's index within the block, as in the input transform); writes the 2x2 block of each
/// tile, clipped to the out_h x out_w plane, into y (NCHW, `image_stride` floats between images),
/// adding bias[m] (bias may be null) and, when residual is not null, the element of residual at
/// the same index as y's. `rows` is room for 4 * tiles_w floats.
void sluice_winograd_output(
    const float *p, long maps, long ldp, const float *bias, const float *residual, float *y, long out_h,
    long out_w, long image_stride, long tiles_h, long tiles_w, long first, long count, float *rows, int level);

#endif
