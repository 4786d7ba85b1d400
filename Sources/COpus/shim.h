#ifndef CUBBY_COPUS_SHIM_H
#define CUBBY_COPUS_SHIM_H
#include <opus/opus.h>

/// opus_encoder_ctl is variadic, which Swift cannot call: one static inline wrapper per request used.
static inline int cubby_opus_set_bitrate(OpusEncoder *enc, opus_int32 bitrate) {
    return opus_encoder_ctl(enc, OPUS_SET_BITRATE(bitrate));
}
static inline int cubby_opus_set_complexity(OpusEncoder *enc, opus_int32 complexity) {
    return opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(complexity));
}
#endif
