#ifndef CUBBY_CBLAS_SHIM_H
#define CUBBY_CBLAS_SHIM_H
// OpenBLAS, the serial build (libopenblas-serial-dev): the safety model's matrix products run on the
// calling thread, so judging a sentence never wakes a thread pool on a four-core toy board.
#include <cblas.h>
#endif
