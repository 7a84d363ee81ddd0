#ifndef ESTFCGI_CFASTCGI_SHIM_H
#define ESTFCGI_CFASTCGI_SHIM_H
/* fcgiapp.h only: fcgi_stdio.h redefines stdio and is not thread-safe. */
#include <fcgiapp.h>
#include <stdlib.h>

/* FCGX_Request must stay at one heap address for its life (libfcgi keeps pointers into it). */
static inline FCGX_Request *estfcgi_request_new(void) {
    return (FCGX_Request *)calloc(1, sizeof(FCGX_Request));
}
static inline void estfcgi_request_free(FCGX_Request *r) { free(r); }

/* The process environment as the web server (or fcgiwrap) handed it to a CGI program, in
   order and with any duplicated names (Swift 6 rejects the `environ` global itself). */
extern char **environ;
static inline char **estfcgi_environ(void) { return environ; }
#endif
