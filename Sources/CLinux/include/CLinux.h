#ifndef SLUICE_CLINUX_H
#define SLUICE_CLINUX_H
// What Swift's Glibc module leaves out: epoll, eventfd, timerfd, accept4, the stdio globals, and
// malloc_trim.
#include <malloc.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <signal.h>

extern int accept4(int, struct sockaddr *, socklen_t *, int);

/// Installs a process-wide handler for `sig` that writes the signal number (one byte) to
/// `write_fd` (a non-blocking pipe). Whatever thread the kernel delivers the signal to, the byte
/// arrives: unlike a thread-blocked signalfd (what Dispatch's signal sources use on Linux), no
/// thread that does not block the signal can swallow it. Returns sigaction's result.
int clinux_forward_signal(int sig, int write_fd);

static inline FILE *clinux_stderr(void) { return stderr; }
static inline FILE *clinux_stdout(void) { return stdout; }
#endif
