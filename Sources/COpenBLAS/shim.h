#ifndef CIRCUITFIT_COPENBLAS_SHIM_H
#define CIRCUITFIT_COPENBLAS_SHIM_H
#include <cblas.h>
#include <lapacke.h>
#endif
