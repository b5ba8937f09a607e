#ifndef SLUICE_CZLIB_H
#define SLUICE_CZLIB_H
// zlib for SluiceHTTP's content codings. deflateInit2 and inflateInit2 are macros (they pass the
// library version and the stream size), which Swift does not import.
#include <zlib.h>

static inline int sluice_deflateInit2(z_streamp stream, int level, int windowBits) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}
static inline int sluice_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
#endif
