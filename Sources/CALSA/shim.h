#ifndef CUBBY_CALSA_SHIM_H
#define CUBBY_CALSA_SHIM_H
#include <alsa/asoundlib.h>

/// ALSA's snd_pcm_hw_params_alloca is a macro; Swift uses malloc'd params instead (snd_pcm_hw_params_malloc).
#endif
