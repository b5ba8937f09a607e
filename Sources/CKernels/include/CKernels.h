// The CKernels module's umbrella header: every header of the target, named here so that a build
// tree that already compiled the module notices a header added or changed (an umbrella
// directory is not rescanned by a module cache built before the header existed).
#ifndef SLUICE_CKERNELS_UMBRELLA_H
#define SLUICE_CKERNELS_UMBRELLA_H

#include "cpu_level.h"
#include "depthwise.h"
#include "float_text.h"
#include "gemm.h"
#include "pointwise.h"
#include "winograd.h"

#endif
