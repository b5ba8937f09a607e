#ifndef SLUICE_CNGHTTP2_SHIM_H
#define SLUICE_CNGHTTP2_SHIM_H

#include <nghttp2/nghttp2.h>

/* Values nghttp2 defines as macros, which Swift does not import. */
static inline int32_t cnghttp2_max_window_size(void) { return NGHTTP2_MAX_WINDOW_SIZE; }
static inline size_t cnghttp2_client_magic_length(void) { return NGHTTP2_CLIENT_MAGIC_LEN; }
static inline const char *cnghttp2_client_magic(void) { return NGHTTP2_CLIENT_MAGIC; }

#endif
