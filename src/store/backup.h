/* backup.h — whole-database copies: taken while the server keeps writing, and put back.
 *
 * SQLite (sqlite:PATH): the online backup API copies every page inside one read
 * transaction, so the copy is the database as of one commit, while the server goes on
 * writing (WAL readers do not block writers). The copy is written next to FILE, checked
 * (PRAGMA quick_check), switched to a rollback journal so that it is one self-contained
 * file, fsync'ed and renamed onto FILE: FILE is never half-written.
 * PostgreSQL (postgresql://…): pg_dump --format=custom into FILE (also via a rename), and
 * pg_restore --clean --if-exists --no-owner --single-transaction (all or nothing). pg_dump
 * and pg_restore come from PATH, else the newest /usr/lib/postgresql/N/bin. The URL's
 * settings reach them as libpq environment variables (PGHOST, PGPASSWORD, …), never on a
 * command line where other users of the host could read a password.
 *
 * Neither function writes audit records (the store layer knows nothing of them); callers
 * verify the audit chain of a restored database themselves.
 */
#ifndef UNIOPS_BACKUP_H
#define UNIOPS_BACKUP_H

#include "core/err.h"

/* Copies the database at url into the file `file`. An existing file is replaced only when
 * force is set (else ERR_conflict). Returns 0, or -1 with e filled (ERR_unavailable when
 * the database or a tool cannot be reached, ERR_internal otherwise). */
int store_backup(const char *url, const char *file, int force, err *e);

/* Puts the backup `file` (made by store_backup for the same kind of database) in place of
 * the database at url. Refuses (ERR_conflict) when url already holds a database — for
 * SQLite, the file exists; for PostgreSQL, uniops tables exist — unless force is set.
 * SQLite: the file must pass PRAGMA quick_check and hold a uniops schema before anything
 * at url is touched. Returns 0, or -1 with e filled. */
int store_restore(const char *file, const char *url, int force, err *e);

#endif
