/*
 * A storage fault layer for the power-loss test, loaded into a hub process with LD_PRELOAD.
 *
 * It follows every write, truncate and sync the process makes to the files of one directory
 * (POWER_CUT_DIR) and keeps, per file, the bytes each unsynced change overwrote (an undo log). An
 * fsync or fdatasync of a file makes its changes durable and drops its log; a sync of the directory
 * makes the names of the files created in it durable. SIGUSR2 arms the cut: the POWER_CUT_AFTER-th
 * followed operation after it (unset: never) is not performed. Instead the layer writes back the
 * old bytes of every unsynced change, newest first, restores each file's synced length, removes
 * each file created since the last directory sync, and _exit()s with POWER_CUT_EXIT_CODE: the disk
 * as a power cut at that moment leaves it. A process that ends any other way leaves its writes to
 * the OS, which would write them back.
 *
 * Simplifications: a write is atomic (no torn sectors); an unlink is durable at once; `-shm` files
 * (SQLite's WAL index, rebuilt after a crash) are not followed; writev/pwritev, mmap writes and
 * relative openat paths are not followed (SQLite with its default settings uses none of them).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define POWER_CUT_EXIT_CODE 86
#define MAX_FDS 65536
#define MAX_FILES 64
#define MAX_PATH 4096

/** The bytes one unsynced change overwrote, linked newest first. */
struct undo {
  struct undo *prev;
  off_t off;
  size_t len;
  unsigned char data[];
};

/** What a power cut must undo in one file. */
struct file {
  char path[MAX_PATH];
  /** Whether it changed since its last sync; `base` is its length then. */
  int dirty;
  off_t base;
  struct undo *last;
  /** Created since the last sync of the directory: its name is not durable yet. */
  int created;
  long undo_bytes;
};

static struct file files[MAX_FILES];
static int nfiles;
/** For each descriptor: 1 + the index of its file, or 0 when it is not followed. */
static unsigned char fd_file[MAX_FDS];
/** Descriptors open on the directory itself (a sync of one makes creations durable). */
static unsigned char fd_dir[MAX_FDS];

static char dir[MAX_PATH];
static size_t dir_len;
static long cut_after = -1;
static long ops;
static int ready;
static volatile sig_atomic_t armed;
/**
 * Held across each followed operation and its bookkeeping: the store writes from a worker thread
 * while the main thread opens and reads, and a cut must not interleave with another write.
 */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int handler_installed;

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_close)(int);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off64_t);
static int (*real_ftruncate)(int, off_t);
static int (*real_ftruncate64)(int, off64_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_unlink)(const char *);

static void init(void) {
  if (ready) return;
  real_open = dlsym(RTLD_NEXT, "open");
  real_open64 = dlsym(RTLD_NEXT, "open64");
  real_openat = dlsym(RTLD_NEXT, "openat");
  real_openat64 = dlsym(RTLD_NEXT, "openat64");
  real_close = dlsym(RTLD_NEXT, "close");
  real_write = dlsym(RTLD_NEXT, "write");
  real_pwrite = dlsym(RTLD_NEXT, "pwrite");
  real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
  real_ftruncate = dlsym(RTLD_NEXT, "ftruncate");
  real_ftruncate64 = dlsym(RTLD_NEXT, "ftruncate64");
  real_fsync = dlsym(RTLD_NEXT, "fsync");
  real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
  real_unlink = dlsym(RTLD_NEXT, "unlink");
  const char *d = getenv("POWER_CUT_DIR");
  if (d && strlen(d) < MAX_PATH) {
    strcpy(dir, d);
    dir_len = strlen(dir);
    while (dir_len > 1 && dir[dir_len - 1] == '/') dir[--dir_len] = '\0';
  }
  const char *n = getenv("POWER_CUT_AFTER");
  if (n && *n) cut_after = atol(n);
  ready = 1;
}

static int is_dir(const char *path) {
  return dir_len > 0 && strcmp(path, dir) == 0;
}

/** Whether a path names a followed file: inside the directory, and not an `-shm` index. */
static int is_followed(const char *path) {
  if (dir_len == 0 || strncmp(path, dir, dir_len) != 0 || path[dir_len] != '/') return 0;
  size_t len = strlen(path);
  return !(len >= 4 && strcmp(path + len - 4, "-shm") == 0);
}

static int file_index(const char *path) {
  for (int i = 0; i < nfiles; i += 1) {
    if (strcmp(files[i].path, path) == 0) return i;
  }
  if (nfiles == MAX_FILES || strlen(path) >= MAX_PATH) {
    fprintf(stderr, "unsynced.so: too many files or too long a path: %s\n", path);
    _exit(70);
  }
  memset(&files[nfiles], 0, sizeof files[nfiles]);
  strcpy(files[nfiles].path, path);
  return nfiles++;
}

static struct file *file_of(int fd) {
  if (fd < 0 || fd >= MAX_FDS || fd_file[fd] == 0) return NULL;
  return &files[fd_file[fd] - 1];
}

static void forget(struct file *f) {
  while (f->last) {
    struct undo *u = f->last;
    f->last = u->prev;
    free(u);
  }
  f->dirty = 0;
  f->undo_bytes = 0;
}

/** Puts back every unsynced change and every undurable creation, then exits as if the power went out. */
static void power_cut(void) {
  int rolled = 0;
  long bytes = 0;
  for (int i = 0; i < nfiles; i += 1) {
    struct file *f = &files[i];
    if (f->created) {
      real_unlink(f->path);
      rolled += 1;
      continue;
    }
    if (!f->dirty) continue;
    int fd = real_open(f->path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) continue;
    for (struct undo *u = f->last; u; u = u->prev) {
      if (real_pwrite(fd, u->data, u->len, u->off) != (ssize_t)u->len) {
        fprintf(stderr, "unsynced.so: could not restore %s: %s\n", f->path, strerror(errno));
        _exit(71);
      }
    }
    real_ftruncate(fd, f->base);
    real_close(fd);
    rolled += 1;
    bytes += f->undo_bytes;
  }
  fprintf(stderr, "{\"msg\":\"power cut\",\"operation\":%ld,\"filesRolledBack\":%d,\"bytesRestored\":%ld}\n", ops, rolled, bytes);
  _exit(POWER_CUT_EXIT_CODE);
}

static void arm(int sig) {
  (void)sig;
  armed = 1;
}

/** Counts one tracked operation once armed; the chosen one never happens. */
static void count(void) {
  if (!armed) return;
  ops += 1;
  if (cut_after > 0 && ops >= cut_after) power_cut();
}

static off_t size_of(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? st.st_size : 0;
}

/** Keeps the synced bytes of [off, off + len) that a change is about to overwrite or cut off. */
static void keep(struct file *f, int fd, off_t off, size_t len) {
  if (!f->dirty) {
    f->dirty = 1;
    f->base = size_of(fd);
  }
  if (off >= f->base) return;
  if ((off_t)len > f->base - off) len = (size_t)(f->base - off);
  struct undo *u = malloc(sizeof *u + len);
  if (!u) {
    fprintf(stderr, "unsynced.so: out of memory\n");
    _exit(72);
  }
  u->off = off;
  u->len = len;
  ssize_t got = pread(fd, u->data, len, off);
  if (got < 0) {
    int rfd = real_open(f->path, O_RDONLY | O_CLOEXEC);
    got = rfd < 0 ? -1 : pread(rfd, u->data, len, off);
    if (rfd >= 0) real_close(rfd);
  }
  if (got < 0) {
    fprintf(stderr, "unsynced.so: could not read %s: %s\n", f->path, strerror(errno));
    _exit(73);
  }
  // Bytes past the end read short: they are cut off by restoring the length.
  u->len = (size_t)got;
  u->prev = f->last;
  f->last = u;
  f->undo_bytes += got;
}

static void before_write(struct file *f, int fd, off_t off, size_t len) {
  count();
  keep(f, fd, off, len);
}

static void opened(int fd, const char *path, int existed) {
  if (fd < 0 || fd >= MAX_FDS) return;
  fd_file[fd] = 0;
  fd_dir[fd] = 0;
  if (is_dir(path)) {
    fd_dir[fd] = 1;
  } else if (is_followed(path)) {
    // Installed now, not at load: Node resets every signal's disposition when it starts.
    if (!handler_installed) {
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_handler = arm;
      sa.sa_flags = SA_RESTART;
      sigemptyset(&sa.sa_mask);
      sigaction(SIGUSR2, &sa, NULL);
      handler_installed = 1;
    }
    int i = file_index(path);
    fd_file[fd] = (unsigned char)(i + 1);
    if (!existed) files[i].created = 1;
  }
}

/** A descriptor of a file not followed (its number may have been a followed one's). */
static int untracked(int fd) {
  if (fd >= 0 && fd < MAX_FDS) fd_file[fd] = fd_dir[fd] = 0;
  return fd;
}

static int existed_before(const char *path, int flags) {
  struct stat st;
  if (!(flags & O_CREAT) || !is_followed(path)) return 1;
  return stat(path, &st) == 0;
}

#define OPEN_MODE(flags) \
  mode_t mode = 0; \
  if ((flags) & (O_CREAT | __O_TMPFILE)) { \
    va_list ap; \
    va_start(ap, flags); \
    mode = va_arg(ap, mode_t); \
    va_end(ap); \
  }

int open(const char *path, int flags, ...) {
  init();
  OPEN_MODE(flags);
  if (!is_followed(path) && !is_dir(path)) return untracked(real_open(path, flags, mode));
  pthread_mutex_lock(&lock);
  int existed = existed_before(path, flags);
  int fd = real_open(path, flags, mode);
  opened(fd, path, existed);
  pthread_mutex_unlock(&lock);
  return fd;
}

int open64(const char *path, int flags, ...) {
  init();
  OPEN_MODE(flags);
  if (!is_followed(path) && !is_dir(path)) return untracked(real_open64(path, flags, mode));
  pthread_mutex_lock(&lock);
  int existed = existed_before(path, flags);
  int fd = real_open64(path, flags, mode);
  opened(fd, path, existed);
  pthread_mutex_unlock(&lock);
  return fd;
}

int openat(int dirfd, const char *path, int flags, ...) {
  init();
  OPEN_MODE(flags);
  if (path[0] != '/' || (!is_followed(path) && !is_dir(path))) {
    return untracked(real_openat(dirfd, path, flags, mode));
  }
  pthread_mutex_lock(&lock);
  int existed = existed_before(path, flags);
  int fd = real_openat(dirfd, path, flags, mode);
  opened(fd, path, existed);
  pthread_mutex_unlock(&lock);
  return fd;
}

int openat64(int dirfd, const char *path, int flags, ...) {
  init();
  OPEN_MODE(flags);
  if (path[0] != '/' || (!is_followed(path) && !is_dir(path))) {
    return untracked(real_openat64(dirfd, path, flags, mode));
  }
  pthread_mutex_lock(&lock);
  int existed = existed_before(path, flags);
  int fd = real_openat64(dirfd, path, flags, mode);
  opened(fd, path, existed);
  pthread_mutex_unlock(&lock);
  return fd;
}

int close(int fd) {
  init();
  if (fd >= 0 && fd < MAX_FDS) fd_file[fd] = fd_dir[fd] = 0;
  return real_close(fd);
}

ssize_t write(int fd, const void *buf, size_t len) {
  init();
  if (!file_of(fd)) return real_write(fd, buf, len);
  pthread_mutex_lock(&lock);
  struct file *f = file_of(fd);
  if (f) before_write(f, fd, lseek(fd, 0, SEEK_CUR), len);
  ssize_t rc = real_write(fd, buf, len);
  pthread_mutex_unlock(&lock);
  return rc;
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off) {
  init();
  if (!file_of(fd)) return real_pwrite(fd, buf, len, off);
  pthread_mutex_lock(&lock);
  struct file *f = file_of(fd);
  if (f) before_write(f, fd, off, len);
  ssize_t rc = real_pwrite(fd, buf, len, off);
  pthread_mutex_unlock(&lock);
  return rc;
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t off) {
  init();
  if (!file_of(fd)) return real_pwrite64(fd, buf, len, off);
  pthread_mutex_lock(&lock);
  struct file *f = file_of(fd);
  if (f) before_write(f, fd, off, len);
  ssize_t rc = real_pwrite64(fd, buf, len, off);
  pthread_mutex_unlock(&lock);
  return rc;
}

static void before_truncate(int fd, off_t len) {
  struct file *f = file_of(fd);
  if (!f) return;
  count();
  off_t size = size_of(fd);
  if (len < size) keep(f, fd, len, (size_t)(size - len));
  else keep(f, fd, size, 0);
}

int ftruncate(int fd, off_t len) {
  init();
  if (!file_of(fd)) return real_ftruncate(fd, len);
  pthread_mutex_lock(&lock);
  before_truncate(fd, len);
  int rc = real_ftruncate(fd, len);
  pthread_mutex_unlock(&lock);
  return rc;
}

int ftruncate64(int fd, off64_t len) {
  init();
  if (!file_of(fd)) return real_ftruncate64(fd, len);
  pthread_mutex_lock(&lock);
  before_truncate(fd, len);
  int rc = real_ftruncate64(fd, len);
  pthread_mutex_unlock(&lock);
  return rc;
}

static int is_dir_fd(int fd) {
  return fd >= 0 && fd < MAX_FDS && fd_dir[fd];
}

/** After a sync: a file's changes are durable, or, for the directory, its files' names. */
static void synced(int fd) {
  if (is_dir_fd(fd)) {
    for (int i = 0; i < nfiles; i += 1) files[i].created = 0;
  } else if (file_of(fd)) {
    forget(file_of(fd));
  }
}

int fsync(int fd) {
  init();
  if (!is_dir_fd(fd) && !file_of(fd)) return real_fsync(fd);
  pthread_mutex_lock(&lock);
  count();
  int rc = real_fsync(fd);
  if (rc == 0) synced(fd);
  pthread_mutex_unlock(&lock);
  return rc;
}

int fdatasync(int fd) {
  init();
  if (!is_dir_fd(fd) && !file_of(fd)) return real_fdatasync(fd);
  pthread_mutex_lock(&lock);
  count();
  int rc = real_fdatasync(fd);
  if (rc == 0) synced(fd);
  pthread_mutex_unlock(&lock);
  return rc;
}

int unlink(const char *path) {
  init();
  if (!is_followed(path)) return real_unlink(path);
  pthread_mutex_lock(&lock);
  int rc = real_unlink(path);
  if (rc == 0) {
    for (int i = 0; i < nfiles; i += 1) {
      if (strcmp(files[i].path, path) == 0) {
        forget(&files[i]);
        files[i].created = 0;
      }
    }
  }
  pthread_mutex_unlock(&lock);
  return rc;
}
