// Depthwise 2-D convolution (Sources/SluiceBackends/ONNX/Operators/DepthwiseConv.swift drives it):
// one output plane from one input plane and its own kernel, with the bias and a clamp (Relu,
// Clip, or none) applied in the same pass, so a MobileNet block's depthwise Conv + BN + Clip is
// one read of the input plane and one write of the output plane.
#ifndef SLUICE_DEPTHWISE_H
#define SLUICE_DEPTHWISE_H

/// y[oh, ow] = clamp(bias + Σ_{kh, kw} w[kh, kw] · x[oh·sh − ph + kh·dh, ow·sw − pw + kw·dw]),
/// taps outside the h × w input plane reading 0, for every oh < out_h, ow < out_w; clamp(v) is
/// min(max(v, low), high) with NaN kept (low = −∞, high = +∞ is no clamp, low = 0 a Relu).
/// `x` is the h × w plane, `k` the kh × kw kernel (row-major), `y` the out_h × out_w plane; none
/// overlap. The caller checked every size (the planes are within their tensors, strides and
/// dilations are positive, and the products of any two of these fit a long). A pad may be
/// negative: output rows [r, r + out_h) of a plane are the plane computed with ph − r·sh, as
/// SeparableConvKernel's bands are.
void sluice_depthwise_plane(
    const float *x, long h, long w, const float *k, long kh, long kw, float bias, float *y, long out_h, long out_w,
    long sh, long sw, long dh, long dw, long ph, long pw, float low, float high, int level);

#endif
