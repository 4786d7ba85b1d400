#ifndef CUBBY_CGPIOD_SHIM_H
#define CUBBY_CGPIOD_SHIM_H
// libgpiod 1.6 (Debian 12): GPIO lines through the kernel's character device, /dev/gpiochipN.
#include <gpiod.h>
#endif
