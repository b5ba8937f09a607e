// OpenBLAS's CBLAS interface for the ONNX backend (Gemm, MatMul, Conv via im2col).
// pkg-config `openblas` adds Debian's include folder (…/openblas-pthread/) where cblas.h lives.
#include <cblas.h>
