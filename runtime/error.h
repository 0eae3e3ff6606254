/* SPDX-License-Identifier: MIT */
/*
 * Error codes: everything in this project returns 0 or -errno. nng's own
 * codes are converted here, once, and nowhere else.
 */
#ifndef DISTILLER_RUNTIME_ERROR_H
#define DISTILLER_RUNTIME_ERROR_H

/* Maps an NNG_E* code to a negative errno value; 0 stays 0. */
int error_from_nng(int nng_err);

#endif
