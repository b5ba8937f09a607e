#include "CLinux.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>

static volatile int clinux_signal_pipe = -1;

// Runs on whichever thread the kernel picks (OpenBLAS and event-loop threads included), so it
// only does what is async-signal-safe: one write of the signal number to the pipe.
static void clinux_on_signal(int sig) {
    int saved = errno;
    unsigned char byte = (unsigned char)sig;
    if (clinux_signal_pipe >= 0) { ssize_t ignored = write(clinux_signal_pipe, &byte, 1); (void)ignored; }
    errno = saved;
}

int clinux_forward_signal(int sig, int write_fd) {
    clinux_signal_pipe = write_fd;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = clinux_on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    return sigaction(sig, &action, NULL);
}
