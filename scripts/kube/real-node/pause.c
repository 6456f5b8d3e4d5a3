/*
 * The sandbox ("pause") process of the real-node test environment. Its only
 * job is to keep the pod's namespaces alive until the runtime stops the pod.
 *
 * Built with `gcc -static` and put into a FROM-scratch image at `up`, because
 * nothing may be pulled from a registry here (docs/real-node.md).
 *
 * As PID 1 of a pod with a shared PID namespace it also reaps orphans, and a
 * PID 1 ignores every signal it has no handler for, so SIGTERM and SIGINT get
 * explicit handlers: without them, stopping a pod would always wait for the
 * grace period and end in SIGKILL.
 */
#include <signal.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig)
{
    (void)sig;
    _exit(0);
}

static void on_child(int sig)
{
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
}

int main(void)
{
    struct sigaction stop = {0};
    struct sigaction child = {0};

    stop.sa_handler = on_stop;
    sigemptyset(&stop.sa_mask);
    child.sa_handler = on_child;
    sigemptyset(&child.sa_mask);
    child.sa_flags = SA_NOCLDSTOP | SA_RESTART;
    if (sigaction(SIGTERM, &stop, NULL) != 0 || sigaction(SIGINT, &stop, NULL) != 0 ||
        sigaction(SIGCHLD, &child, NULL) != 0) {
        return 1;
    }
    for (;;) {
        pause();
    }
}
