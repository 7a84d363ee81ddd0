#ifndef ESTFCGI_CSQLITE_SHIM_H
#define ESTFCGI_CSQLITE_SHIM_H
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a cast of -1 to a function pointer: Swift cannot import it. */
static inline sqlite3_destructor_type estfcgi_sqlite_transient(void) { return SQLITE_TRANSIENT; }

/* Extended result codes are composite macros, which Swift does not import. */
static inline int estfcgi_sqlite_constraint_unique(void) { return SQLITE_CONSTRAINT_UNIQUE; }
static inline int estfcgi_sqlite_constraint_primarykey(void) { return SQLITE_CONSTRAINT_PRIMARYKEY; }

/* No memory statistics (SQLITE_CONFIG_MEMSTATUS 0): with them every sqlite3_malloc and
   sqlite3_free, about 260 per enrollment, takes one process-wide mutex, for which the
   workers' connections contend; nothing here reads the statistics. sqlite3_config is
   variadic (Swift cannot call it) and must precede sqlite3_initialize: SQLITE_MISUSE
   after it, which is harmless (the statistics stay on). */
static inline int estfcgi_sqlite_configure(void) {
    int rc = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
    return rc;
}
#endif
