#ifndef ESTFCGI_CSQLITE_SHIM_H
#define ESTFCGI_CSQLITE_SHIM_H
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a cast of -1 to a function pointer: Swift cannot import it. */
static inline sqlite3_destructor_type estfcgi_sqlite_transient(void) { return SQLITE_TRANSIENT; }
#endif
