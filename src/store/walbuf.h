/* walbuf.h — a SQLite VFS that hands the frames of one commit to the kernel in one write.
 *
 * SQLite writes each WAL frame as two write() calls (its 24-byte header, then the page): a
 * group-committed batch of a dozen work orders is ~50 frames, ~100 system calls, all made
 * while the batch holds the single writer. This VFS wraps the default one; for a WAL file
 * it gathers consecutive writes in memory and writes them at the next xSync (or read,
 * truncate, size query, close, or a non-contiguous write).
 *
 * Durability contract (the writer runs with synchronous=FULL, so SQLite calls xSync on the
 * WAL at every commit, *before* it publishes the new frames to other connections in the
 * wal-index): xSync writes the gathered frames and reports any error to SQLite, which then
 * rolls the commit back — nothing unwritten is ever published. It does not fsync, except
 * when the gathered data holds the WAL header (a new log generation, which SQLite wants on
 * disk before any frame of it); the fsync that makes a commit durable is walbuf_sync,
 * which store.c's group commit calls after handing the writer to the next batch, and
 * before it answers any write of the batch. Other files pass straight through. */
#ifndef UNIOPS_WALBUF_H
#define UNIOPS_WALBUF_H
#include <sqlite3.h>

/* The VFS name to open the writer connection with; registers it on first use (not as the
 * default). NULL if registration failed (then use the default VFS). */
const char *walbuf_vfs_name(void);

/* Makes everything written through `f` durable: for a walbuf WAL file, the underlying
 * file's xSync; for any other file, its own xSync. Returns an SQLite result code. Safe to
 * call while another thread writes through the same file. */
int walbuf_sync(sqlite3_file *f, int flags);

#endif
