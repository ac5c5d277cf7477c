/*
 * SQLite calls fcntl() through a pointer of type int (*)(int, int, ...), so
 * the replacement must be variadic too: on some ABIs (Apple arm64) variadic
 * arguments are passed differently from named ones, and a Rust function
 * cannot be variadic. This shim takes the third argument out of the va_list
 * and hands lock requests to Rust (src/io/db/locking.rs); everything else goes
 * to the real fcntl() unchanged. SQLite passes an int for every other
 * command it uses (F_GETFD, F_SETFD, F_FULLFSYNC).
 */
#include <fcntl.h>
#include <stdarg.h>

int aipm_locking_fcntl(int fd, int cmd, struct flock *lock);

int aipm_fcntl(int fd, int cmd, ...) {
    va_list ap;
    int rc;
    va_start(ap, cmd);
    if (cmd == F_GETLK || cmd == F_SETLK || cmd == F_SETLKW) {
        rc = aipm_locking_fcntl(fd, cmd, va_arg(ap, struct flock *));
    } else {
        rc = fcntl(fd, cmd, va_arg(ap, int));
    }
    va_end(ap);
    return rc;
}
