#ifndef CUBBY_CPOCKETSPHINX_SHIM_H
#define CUBBY_CPOCKETSPHINX_SHIM_H
#include <pocketsphinx/pocketsphinx.h>
#include <sphinxbase/err.h>
#endif
