/* walbuf.c — a SQLite VFS that gathers a commit's WAL frames into one write (see walbuf.h
 * for the why and the durability contract). Every method of a non-WAL file, and every
 * method but the ones below of a WAL file, forwards to the wrapped VFS's file. */
#include "store/walbuf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Past this many gathered bytes the buffer is written out (a batch of 64 creates is about
 * 1 MB of frames; larger transactions simply write in 4 MB steps). */
#define WB_CAP (4u << 20)
#define WB_STEP ((size_t)64 << 10)

typedef struct wb_file {
  sqlite3_file base;  /* base.pMethods: wb_io */
  sqlite3_file *real; /* the wrapped file, in the same allocation right after this struct */
  int is_wal;
  unsigned char *buf; /* gathered writes: bytes [start, start + len) of the file */
  size_t len, cap;
  sqlite3_int64 start;
} wb_file;

static sqlite3_vfs *wb_base; /* the wrapped (default) VFS */
static sqlite3_vfs wb_vfs;

static sqlite3_file *real_of(sqlite3_file *f) { return ((wb_file *)f)->real; }

/* Writes out what is gathered. An error goes to SQLite, which rolls the transaction back. */
static int wb_drain(wb_file *w) {
  /* in steps of 64 KiB: the unix VFS's write masks its length to 17 bits (it never expects
   * more than a 64 KiB page and its frame header) */
  for (size_t done = 0; done < w->len; done += WB_STEP) {
    size_t n = w->len - done < WB_STEP ? w->len - done : WB_STEP;
    int rc = w->real->pMethods->xWrite(w->real, w->buf + done, (int)n, w->start + (sqlite3_int64)done);
    if (rc != SQLITE_OK) {
      /* SQLite rolls the transaction back and will write its log from the old end again:
       * what was gathered is abandoned with it */
      w->len = 0;
      return rc;
    }
  }
  w->len = 0;
  return SQLITE_OK;
}

static int wb_close(sqlite3_file *f) {
  wb_file *w = (wb_file *)f;
  int rc = wb_drain(w);
  int rc2 = w->real->pMethods ? w->real->pMethods->xClose(w->real) : SQLITE_OK;
  free(w->buf);
  w->buf = NULL;
  w->len = w->cap = 0;
  return rc != SQLITE_OK ? rc : rc2;
}

static int wb_read(sqlite3_file *f, void *p, int amt, sqlite3_int64 off) {
  wb_file *w = (wb_file *)f;
  int rc = wb_drain(w);
  return rc != SQLITE_OK ? rc : w->real->pMethods->xRead(w->real, p, amt, off);
}

static int wb_write(sqlite3_file *f, const void *p, int amt, sqlite3_int64 off) {
  wb_file *w = (wb_file *)f;
  if (!w->is_wal) return w->real->pMethods->xWrite(w->real, p, amt, off);
  size_t n = (size_t)amt;
  /* only appends to what is gathered are gathered; anything else writes it out first */
  if (w->len && (off != w->start + (sqlite3_int64)w->len || w->len + n > WB_CAP)) {
    int rc = wb_drain(w);
    if (rc != SQLITE_OK) return rc;
  }
  if (n > WB_STEP) return w->real->pMethods->xWrite(w->real, p, amt, off); /* not a frame */
  if (w->len + n > w->cap) {
    size_t cap = w->cap ? w->cap : 256u << 10;
    while (cap < w->len + n) cap *= 2;
    unsigned char *b = realloc(w->buf, cap);
    if (!b) {
      int rc = wb_drain(w);
      return rc != SQLITE_OK ? rc : w->real->pMethods->xWrite(w->real, p, amt, off);
    }
    w->buf = b;
    w->cap = cap;
  }
  if (!w->len) w->start = off;
  memcpy(w->buf + w->len, p, n);
  w->len += n;
  return SQLITE_OK;
}

static int wb_truncate(sqlite3_file *f, sqlite3_int64 size) {
  wb_file *w = (wb_file *)f;
  int rc = wb_drain(w);
  return rc != SQLITE_OK ? rc : w->real->pMethods->xTruncate(w->real, size);
}

/* The WAL's xSync: write out the gathered frames; fsync only for a new log's header (see
 * walbuf.h). The commit's fsync is walbuf_sync's. */
static int wb_sync(sqlite3_file *f, int flags) {
  wb_file *w = (wb_file *)f;
  if (!w->is_wal) return w->real->pMethods->xSync(w->real, flags);
  int header = w->len && w->start == 0;
  int rc = wb_drain(w);
  if (rc != SQLITE_OK || !header) return rc;
  return w->real->pMethods->xSync(w->real, flags);
}

static int wb_file_size(sqlite3_file *f, sqlite3_int64 *size) {
  wb_file *w = (wb_file *)f;
  int rc = wb_drain(w);
  return rc != SQLITE_OK ? rc : w->real->pMethods->xFileSize(w->real, size);
}

static int wb_lock(sqlite3_file *f, int l) { return real_of(f)->pMethods->xLock(real_of(f), l); }
static int wb_unlock(sqlite3_file *f, int l) { return real_of(f)->pMethods->xUnlock(real_of(f), l); }
static int wb_check_reserved(sqlite3_file *f, int *out) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
static int wb_file_control(sqlite3_file *f, int op, void *arg) {
  return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
static int wb_sector_size(sqlite3_file *f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }
static int wb_device_characteristics(sqlite3_file *f) {
  return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
static int wb_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **p) {
  return real_of(f)->pMethods->xShmMap(real_of(f), region, size, extend, p);
}
static int wb_shm_lock(sqlite3_file *f, int offset, int n, int flags) {
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
static void wb_shm_barrier(sqlite3_file *f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); }
static int wb_shm_unmap(sqlite3_file *f, int del) { return real_of(f)->pMethods->xShmUnmap(real_of(f), del); }
static int wb_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp) {
  return real_of(f)->pMethods->xFetch(real_of(f), off, amt, pp);
}
static int wb_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p) {
  return real_of(f)->pMethods->xUnfetch(real_of(f), off, p);
}

static const sqlite3_io_methods wb_io = {
    3,        wb_close,        wb_read,         wb_write,          wb_truncate,
    wb_sync,  wb_file_size,    wb_lock,         wb_unlock,         wb_check_reserved,
    wb_file_control, wb_sector_size, wb_device_characteristics, wb_shm_map, wb_shm_lock,
    wb_shm_barrier, wb_shm_unmap, wb_fetch, wb_unfetch,
};

static int wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags) {
  (void)vfs;
  wb_file *w = (wb_file *)f;
  memset(w, 0, sizeof *w);
  w->real = (sqlite3_file *)(w + 1);
  int rc = wb_base->xOpen(wb_base, name, w->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    /* SQLite calls xClose only when pMethods is set: close the wrapped file ourselves */
    if (w->real->pMethods) w->real->pMethods->xClose(w->real);
    return rc;
  }
  /* we forward xShm* and xFetch (versions 2 and 3 of the methods), which the unix VFS has */
  if (w->real->pMethods->iVersion < 3) {
    w->real->pMethods->xClose(w->real);
    return SQLITE_CANTOPEN;
  }
  w->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
  f->pMethods = &wb_io;
  return SQLITE_OK;
}

/* Everything but xOpen is the wrapped VFS's own. */
static int wb_delete(sqlite3_vfs *v, const char *n, int sync) { (void)v; return wb_base->xDelete(wb_base, n, sync); }
static int wb_access(sqlite3_vfs *v, const char *n, int fl, int *out) {
  (void)v;
  return wb_base->xAccess(wb_base, n, fl, out);
}
static int wb_full_pathname(sqlite3_vfs *v, const char *n, int cap, char *out) {
  (void)v;
  return wb_base->xFullPathname(wb_base, n, cap, out);
}
static void *wb_dl_open(sqlite3_vfs *v, const char *n) { (void)v; return wb_base->xDlOpen(wb_base, n); }
static void wb_dl_error(sqlite3_vfs *v, int n, char *msg) { (void)v; wb_base->xDlError(wb_base, n, msg); }
static void (*wb_dl_sym(sqlite3_vfs *v, void *h, const char *sym))(void) {
  (void)v;
  return wb_base->xDlSym(wb_base, h, sym);
}
static void wb_dl_close(sqlite3_vfs *v, void *h) { (void)v; wb_base->xDlClose(wb_base, h); }
static int wb_randomness(sqlite3_vfs *v, int n, char *out) { (void)v; return wb_base->xRandomness(wb_base, n, out); }
static int wb_sleep(sqlite3_vfs *v, int us) { (void)v; return wb_base->xSleep(wb_base, us); }
static int wb_current_time(sqlite3_vfs *v, double *out) { (void)v; return wb_base->xCurrentTime(wb_base, out); }
static int wb_last_error(sqlite3_vfs *v, int n, char *out) { (void)v; return wb_base->xGetLastError(wb_base, n, out); }
static int wb_current_time64(sqlite3_vfs *v, sqlite3_int64 *out) {
  (void)v;
  return wb_base->xCurrentTimeInt64(wb_base, out);
}

static const char *registered;

static void wb_register(void) {
  wb_base = sqlite3_vfs_find(NULL);
  /* the unix VFS is version 3 with xShm* and xFetch; anything older we leave alone */
  if (!wb_base || wb_base->iVersion < 2 || !wb_base->xCurrentTimeInt64) return;
  wb_vfs = (sqlite3_vfs){
      .iVersion = 2,
      .szOsFile = (int)sizeof(wb_file) + wb_base->szOsFile,
      .mxPathname = wb_base->mxPathname,
      .zName = "uniops-walbuf",
      .xOpen = wb_open,
      .xDelete = wb_delete,
      .xAccess = wb_access,
      .xFullPathname = wb_full_pathname,
      .xDlOpen = wb_dl_open,
      .xDlError = wb_dl_error,
      .xDlSym = wb_dl_sym,
      .xDlClose = wb_dl_close,
      .xRandomness = wb_randomness,
      .xSleep = wb_sleep,
      .xCurrentTime = wb_current_time,
      .xGetLastError = wb_last_error,
      .xCurrentTimeInt64 = wb_current_time64,
  };
  if (sqlite3_vfs_register(&wb_vfs, 0) == SQLITE_OK) registered = wb_vfs.zName;
}

const char *walbuf_vfs_name(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, wb_register);
  return registered;
}

int walbuf_sync(sqlite3_file *f, int flags) {
  if (!f || !f->pMethods) return SQLITE_MISUSE;
  if (f->pMethods == &wb_io) return real_of(f)->pMethods->xSync(real_of(f), flags);
  return f->pMethods->xSync(f, flags);
}
