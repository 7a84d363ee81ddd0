#ifndef ESTFCGI_CSQLITE_SHIM_H
#define ESTFCGI_CSQLITE_SHIM_H
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a cast of -1 to a function pointer: Swift cannot import it. */
static inline sqlite3_destructor_type estfcgi_sqlite_transient(void) { return SQLITE_TRANSIENT; }

/* Extended result codes are composite macros, which Swift does not import. */
static inline int estfcgi_sqlite_constraint_unique(void) { return SQLITE_CONSTRAINT_UNIQUE; }
static inline int estfcgi_sqlite_constraint_primarykey(void) { return SQLITE_CONSTRAINT_PRIMARYKEY; }
#endif
