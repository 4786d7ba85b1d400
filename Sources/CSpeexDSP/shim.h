#ifndef CUBBY_CSPEEXDSP_SHIM_H
#define CUBBY_CSPEEXDSP_SHIM_H
#include <speex/speex_preprocess.h>
#include <speex/speex_resampler.h>
#include <speex/speex_echo.h>
#endif
