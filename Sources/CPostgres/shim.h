#ifndef ESTFCGI_CPOSTGRES_SHIM_H
#define ESTFCGI_CPOSTGRES_SHIM_H
#include <libpq-fe.h>

/* PG_DIAG_* are character macros from postgres_ext.h; spelled out so Swift sees ints. */
static inline int estfcgi_pg_diag_sqlstate(void) { return PG_DIAG_SQLSTATE; }
static inline int estfcgi_pg_diag_constraint_name(void) { return PG_DIAG_CONSTRAINT_NAME; }
static inline int estfcgi_pg_diag_message_primary(void) { return PG_DIAG_MESSAGE_PRIMARY; }
#endif
