#ifndef CIRCUITFIT_CZLIB_SHIM_H
#define CIRCUITFIT_CZLIB_SHIM_H
#include <zlib.h>
#endif
